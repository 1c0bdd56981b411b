//! The rollback's writes: deletes, archives and restores, through the same [`Writer`] seam as
//! the migration's creates (live: sent with `intercom-client`, paced and retried by it; dry:
//! counted, not sent). A 404 answers [`Undone::AlreadyGone`]: the object is gone either way.
//!
//! Also the migration's side of a restore: [`remember_before`] records, before the migration
//! first changes a contact it did not create, what that contact held (its before-image, see
//! [`crate::ledger::BeforeImage`]).

use std::collections::BTreeMap;

use intercom_client::models::{Contact, UpdateContact, UpdateDataAttribute, UpdateTicketType};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ObjectKind;
use crate::ledger::Origin;

use super::error::Fault;
use super::state::RunState;
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
    /// An object the migration did not create got back the values it held before (its
    /// before-image), and lost the tags the migration attached.
    Restored,
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

impl Writer {
    /// Puts back fields of a contact the migration did not create (`PUT /contacts/{id}`;
    /// `null` clears a field that was absent).
    pub(crate) async fn restore_contact(
        &self,
        id: &str,
        fields: &Map<String, Value>,
    ) -> IcResult<Undone> {
        let r = self
            .send(
                ObjectKind::Contact,
                fields,
                |_| Undone::Restored,
                |c| async move {
                    c.contacts()
                        .update_fields(id, fields)
                        .await
                        .map(|_| Undone::Restored)
                },
            )
            .await;
        gone_is_done(r)
    }

    /// Detaches a tag the migration attached to a contact it did not create
    /// (`DELETE /contacts/{id}/tags/{tag}`).
    pub(crate) async fn untag_contact(&self, id: &str, tag: &str) -> IcResult<Undone> {
        let req = UndoRequest {
            method: "DELETE",
            path: format!("/contacts/{id}/tags/{tag}"),
        };
        let r = self
            .send(
                ObjectKind::Contact,
                &req,
                |_| Undone::Restored,
                |c| async move {
                    c.tags()
                        .untag_contact(id, tag)
                        .await
                        .map(|_| Undone::Restored)
                },
            )
            .await;
        gone_is_done(r)
    }
}

/// A change the migration is about to make on a contact.
pub(crate) enum ContactChange<'a> {
    /// `PUT /contacts/{id}` with these fields.
    Update(&'a UpdateContact),
    /// `POST /contacts/{id}/tags` with each of these tag ids.
    Tags(&'a [String]),
}

impl ContactChange<'_> {
    /// The before-image field names the change touches.
    fn fields(&self) -> Vec<String> {
        match self {
            ContactChange::Tags(tags) => tags.iter().map(|t| format!("tags.{t}")).collect(),
            ContactChange::Update(u) => {
                let Ok(Value::Object(body)) = serde_json::to_value(u) else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for (k, v) in body {
                    match (k.as_str(), v) {
                        ("custom_attributes", Value::Object(attrs)) => {
                            out.extend(attrs.keys().map(|a| format!("custom_attributes.{a}")))
                        }
                        _ => out.push(k),
                    }
                }
                out
            }
        }
    }
}

/// Before the migration changes contact `contact_id` for the record `owner` (a contact source
/// id): when `owner` was found and reused (a contact that existed before the migration), records
/// the current values of the fields the change touches that have no before-image yet (first
/// touch only), reading the contact once (`GET /contacts/{id}`) only when some field is new.
/// Contacts the migration created, and dry runs, record nothing. A read that fails fails the
/// record: the change is not sent without its before-image.
pub(crate) async fn remember_before(
    st: &RunState,
    owner: &str,
    contact_id: &str,
    change: ContactChange<'_>,
) -> Result<(), Fault> {
    let kind = ObjectKind::Contact;
    let fields = change.fields();
    if fields.is_empty() {
        return Ok(());
    }
    let reused = st
        .ledger
        .lookup(&kind, owner)?
        .is_some_and(|r| r.origin == Some(Origin::Reused));
    // A dry writer has a report (and records nothing in Intercom, so nothing to restore).
    if !reused || st.writer.dry_report().is_some() {
        return Ok(());
    }
    let known = st.ledger.imaged_fields(&kind, contact_id)?;
    let new: Vec<String> = fields.into_iter().filter(|f| !known.contains(f)).collect();
    if new.is_empty() {
        return Ok(());
    }
    let contact = st.intercom.contacts().get(contact_id).await?;
    let image: BTreeMap<String, Value> = new
        .into_iter()
        .map(|f| {
            let v = current_value(&contact, &f);
            (f, v)
        })
        .collect();
    st.ledger
        .record_before_image(&kind, contact_id, owner, st.run, &image)?;
    Ok(())
}

/// What `contact` holds in before-image field `field` (`null`: absent; a tag: whether it is
/// attached, `null` when the contact lists only part of its tags and not this one).
fn current_value(contact: &Contact, field: &str) -> Value {
    if let Some(tag) = field.strip_prefix("tags.") {
        let Some(list) = &contact.tags else {
            return Value::Bool(false);
        };
        if list.data.iter().any(|r| r.id.as_deref() == Some(tag)) {
            return Value::Bool(true);
        }
        return if list.has_more {
            Value::Null
        } else {
            Value::Bool(false)
        };
    }
    if let Some(attr) = field.strip_prefix("custom_attributes.") {
        return contact
            .custom_attributes
            .get(attr)
            .cloned()
            .unwrap_or(Value::Null);
    }
    let s = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
    let n = |v: Option<i64>| v.map(Value::from).unwrap_or(Value::Null);
    match field {
        "role" => contact
            .role
            .as_ref()
            .map(|r| Value::from(r.as_str()))
            .unwrap_or(Value::Null),
        "external_id" => s(&contact.external_id),
        "email" => s(&contact.email),
        "phone" => s(&contact.phone),
        "name" => s(&contact.name),
        "owner_id" => s(&contact.owner_id),
        "signed_up_at" => n(contact.signed_up_at),
        "last_seen_at" => n(contact.last_seen_at),
        "unsubscribed_from_emails" => contact
            .unsubscribed_from_emails
            .map(Value::Bool)
            .unwrap_or(Value::Null),
        // Intercom answers `avatar` as `{type: avatar, image_url}`; it is written as the URL.
        "avatar" => match contact.extra.get("avatar") {
            Some(Value::Object(a)) => a.get("image_url").cloned().unwrap_or(Value::Null),
            Some(v) => v.clone(),
            None => Value::Null,
        },
        other => contact.extra.get(other).cloned().unwrap_or(Value::Null),
    }
}
