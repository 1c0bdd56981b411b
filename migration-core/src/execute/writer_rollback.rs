//! The rollback's writes: deletes and archives, through the same [`Writer`] seam as the
//! migration's creates (live: sent with `intercom-client`, paced and retried by it; dry:
//! counted, not sent). A 404 answers [`Undone::AlreadyGone`]: the object is gone either way.

use intercom_client::models::{UpdateDataAttribute, UpdateTicketType};
use serde::Serialize;

use crate::ObjectKind;

use super::writer::Writer;

type IcResult<T> = Result<T, intercom_client::Error>;

/// What one rollback call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Undone {
    /// Intercom deleted it.
    Deleted,
    /// Intercom archived it (no delete exists for this kind).
    Archived,
    /// Intercom answered 404: someone (or an interrupted earlier rollback) already removed it.
    AlreadyGone,
}

/// The request a dry writer records for one rollback call.
#[derive(Serialize)]
struct UndoRequest<'a> {
    method: &'a str,
    path: String,
}

/// Turns a 404 into [`Undone::AlreadyGone`].
fn gone_is_done(r: IcResult<Undone>) -> IcResult<Undone> {
    match r {
        Err(e) if e.is_not_found() => Ok(Undone::AlreadyGone),
        other => other,
    }
}

impl Writer {
    /// Deletes one object the migration created: `DELETE /contacts/{id}`,
    /// `/conversations/{id}`, `/tickets/{id}`, `/articles/{id}`, `/help_center/collections/{id}`
    /// or `/tags/{id}`. Answers `None` for a kind that has no delete.
    pub(crate) async fn delete_object(
        &self,
        kind: &ObjectKind,
        id: &str,
    ) -> Option<IcResult<Undone>> {
        let path = match kind {
            ObjectKind::Contact => format!("/contacts/{id}"),
            ObjectKind::Conversation => format!("/conversations/{id}"),
            ObjectKind::Ticket => format!("/tickets/{id}"),
            ObjectKind::Article => format!("/articles/{id}"),
            ObjectKind::Collection => format!("/help_center/collections/{id}"),
            ObjectKind::Tag => format!("/tags/{id}"),
            _ => return None,
        };
        let req = UndoRequest {
            method: "DELETE",
            path,
        };
        let kind2 = kind.clone();
        let r = self
            .send(
                kind.clone(),
                &req,
                |_| Undone::Deleted,
                |c| async move {
                    match kind2 {
                        ObjectKind::Contact => c.contacts().delete(id).await.map(drop),
                        ObjectKind::Conversation => {
                            c.conversations().delete(id, None).await.map(drop)
                        }
                        ObjectKind::Ticket => c.tickets().delete(id).await.map(drop),
                        ObjectKind::Article => c.help_center().delete_article(id).await.map(drop),
                        ObjectKind::Collection => {
                            c.help_center().delete_collection(id).await.map(drop)
                        }
                        _ => c.tags().delete(id).await,
                    }
                    .map(|()| Undone::Deleted)
                },
            )
            .await;
        Some(gone_is_done(r))
    }

    /// Archives a data attribute by its Intercom id (`PUT /data_attributes/{id}`
    /// `{"archived":true}`; the API has no delete).
    pub(crate) async fn archive_data_attribute(&self, id: &str) -> IcResult<Undone> {
        let body = UpdateDataAttribute {
            archived: Some(true),
            ..Default::default()
        };
        let body = &body;
        let r = self
            .send(
                ObjectKind::DataAttribute,
                body,
                |_| Undone::Archived,
                |c| async move {
                    c.attributes()
                        .update_data_attribute(id, body)
                        .await
                        .map(|_| Undone::Archived)
                },
            )
            .await;
        gone_is_done(r)
    }

    /// Archives a conversation attribute by its Intercom id
    /// (`DELETE /conversations/attributes/{id}`, a soft delete).
    pub(crate) async fn archive_conversation_attribute(&self, id: &str) -> IcResult<Undone> {
        let req = UndoRequest {
            method: "DELETE",
            path: format!("/conversations/attributes/{id}"),
        };
        let r = self
            .send(
                ObjectKind::ConversationAttribute,
                &req,
                |_| Undone::Archived,
                |c| async move {
                    c.attributes()
                        .archive_conversation_attribute(id)
                        .await
                        .map(|_| Undone::Archived)
                },
            )
            .await;
        gone_is_done(r)
    }

    /// Archives a ticket type (`PUT /ticket_types/{id}` `{"archived":true}`).
    pub(crate) async fn archive_ticket_type(&self, id: &str) -> IcResult<Undone> {
        let body = UpdateTicketType {
            archived: Some(true),
            ..Default::default()
        };
        let body = &body;
        let r = self
            .send(
                ObjectKind::TicketType,
                body,
                |_| Undone::Archived,
                |c| async move {
                    c.ticket_types()
                        .update(id, body)
                        .await
                        .map(|_| Undone::Archived)
                },
            )
            .await;
        gone_is_done(r)
    }

    /// Takes a ticket type this migration archived in a rollback out of the archive
    /// (`PUT /ticket_types/{id}` `{"archived":false}`), so that a later `migrate` can create
    /// tickets of it again.
    pub(crate) async fn restore_ticket_type(&self, id: &str) -> IcResult<()> {
        let body = UpdateTicketType {
            archived: Some(false),
            ..Default::default()
        };
        let body = &body;
        self.send(
            ObjectKind::TicketType,
            body,
            |_| (),
            |c| async move { c.ticket_types().update(id, body).await.map(drop) },
        )
        .await?;
        self.expected(
            ObjectKind::TicketType,
            id,
            None,
            crate::verify::expect::ticket_type_restored(),
        );
        Ok(())
    }

    /// Takes a contact data attribute this migration archived in a rollback out of the
    /// archive (`PUT /data_attributes/{id}` `{"archived":false}`): Intercom keeps an archived
    /// attribute's name taken, so it cannot be created again.
    pub(crate) async fn restore_data_attribute(&self, id: &str) -> IcResult<()> {
        let body = UpdateDataAttribute {
            archived: Some(false),
            ..Default::default()
        };
        let body = &body;
        self.send(
            ObjectKind::DataAttribute,
            body,
            |_| (),
            |c| async move {
                c.attributes()
                    .update_data_attribute(id, body)
                    .await
                    .map(drop)
            },
        )
        .await
    }
}
