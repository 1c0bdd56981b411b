//! The rollback's writes: deletes, archives and restores, through the same [`Writer`] seam as
//! the migration's creates (live: sent with `intercom-client`, paced and retried by it; dry:
//! counted, not sent). A 404 answers [`Undone::AlreadyGone`]: the object is gone either way.
//!
//! The migration's side of a restore (recording before-images) is in `before_image`.

use std::collections::BTreeMap;

use intercom_client::models::{
    AssigneeType, ConversationAction, UpdateConversation, UpdateDataAttribute, UpdateTicket,
    UpdateTicketType,
};
use serde::Serialize;
use serde_json::{Map, Value};

use super::before_image::ACTOR;

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
        self.contact_undone(id, r, || crate::verify::expect::contact_restored(fields))
    }

    /// Settles an undo call on contact `id`: on success, what Intercom holds from now on is
    /// recorded (`verify` reads it back: a run-scoped rollback leaves the contact migrated, and
    /// checked); a contact already gone counts as done.
    fn contact_undone(
        &self,
        id: &str,
        r: IcResult<Undone>,
        expectation: impl FnOnce() -> crate::ledger::ExpectedFields,
    ) -> IcResult<Undone> {
        if matches!(r, Ok(Undone::Restored)) {
            self.expected(ObjectKind::Contact, id, None, expectation());
        }
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
        self.contact_undone(id, r, || crate::verify::expect::untagged(tag))
    }
}

impl Writer {
    /// Puts back fields of a ticket a run updated but did not create, from that run's image
    /// (`fields`: `ticket_attributes.<name>`, `ticket_state_id`, `open`, `snoozed_until`,
    /// `admin_assignee_id`, `team_assignee_id`, and [`ACTOR`]): one `PUT /tickets/{id}`,
    /// and a second when both an admin and a team were assigned, or only a team (`assignee_id`
    /// "0" first unassigns both). The expectation follows.
    pub(crate) async fn restore_ticket(
        &self,
        id: &str,
        fields: &BTreeMap<String, Value>,
    ) -> IcResult<Undone> {
        let mut u = UpdateTicket {
            admin_id: fields.get(ACTOR).and_then(text),
            ..UpdateTicket::default()
        };
        let mut attrs = intercom_client::models::CustomAttributes::new();
        for (f, v) in fields {
            if let Some(a) = f.strip_prefix("ticket_attributes.") {
                attrs.insert(a.to_owned(), v.clone());
            }
        }
        if !attrs.is_empty() {
            u.ticket_attributes = Some(attrs);
        }
        u.ticket_state_id = fields.get("ticket_state_id").and_then(text);
        u.open = fields.get("open").and_then(Value::as_bool);
        u.snoozed_until = fields.get("snoozed_until").and_then(Value::as_i64);
        let admin = fields.get("admin_assignee_id").and_then(text);
        let team = fields.get("team_assignee_id").and_then(text);
        let assigned = fields.contains_key("admin_assignee_id");
        let mut then_team = None;
        let mut kind = None;
        if assigned {
            match (admin, team) {
                (Some(a), t) => {
                    u.assignee_id = Some(a);
                    kind = Some(AssigneeType::Admin);
                    then_team = t;
                }
                (None, t) => {
                    u.assignee_id = Some("0".to_owned());
                    then_team = t;
                }
            }
        }
        let r = self.update_ticket_assigning(id, &u, kind).await;
        if let Err(e) = r {
            return gone_is_done(Err(e));
        }
        if let Some(team) = then_team {
            let t = UpdateTicket {
                admin_id: u.admin_id.clone(),
                assignee_id: Some(team),
                ..UpdateTicket::default()
            };
            self.update_ticket_assigning(id, &t, Some(AssigneeType::Team))
                .await?;
        }
        Ok(Undone::Restored)
    }
}

/// A before-image value as an id or text (`null` and other types: none).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Writer {
    /// Puts back fields of a conversation a run changed but did not create, from that run's
    /// image (`fields`: `title`, `custom_attributes.<name>`, `admin_assignee_id`,
    /// `team_assignee_id`, `state`, `snoozed_until`, and [`ACTOR`]): one
    /// `PUT /conversations/{id}` for the title and attributes, then an assignment per assignee
    /// (`"0"` unassigns) and an open, close or snooze action, as [`ACTOR`]. Intercom records
    /// the actions in the conversation's history, as it did the run's own. A snooze whose time
    /// has passed opens the conversation (Intercom snoozes only into the future). The
    /// expectations follow.
    pub(crate) async fn restore_conversation(
        &self,
        id: &str,
        fields: &BTreeMap<String, Value>,
    ) -> IcResult<Undone> {
        let actor = fields.get(ACTOR).and_then(text).unwrap_or_default();
        let mut attrs = intercom_client::models::CustomAttributes::new();
        for (f, v) in fields {
            if let Some(a) = f.strip_prefix("custom_attributes.") {
                attrs.insert(a.to_owned(), v.clone());
            }
        }
        let update = UpdateConversation {
            title: fields
                .get("title")
                .map(|t| t.as_str().unwrap_or_default().to_owned()),
            custom_attributes: (!attrs.is_empty()).then_some(attrs),
            ..UpdateConversation::default()
        };
        if update.title.is_some() || update.custom_attributes.is_some() {
            if let Err(e) = self.update_conversation(id, &update).await {
                return gone_is_done(Err(e));
            }
        }
        let mut actions = Vec::new();
        for (field, kind) in [
            ("admin_assignee_id", AssigneeType::Admin),
            ("team_assignee_id", AssigneeType::Team),
        ] {
            if let Some(v) = fields.get(field) {
                let who = text(v).unwrap_or_else(|| "0".to_owned());
                actions.push(ConversationAction::assign(actor.clone(), kind, who));
            }
        }
        if let Some(state) = fields.get("state").and_then(Value::as_str) {
            let until = fields.get("snoozed_until").and_then(Value::as_i64);
            let now = chrono::Utc::now().timestamp();
            actions.push(match (state, until) {
                ("closed", _) => ConversationAction::close(actor.clone()),
                ("snoozed", Some(t)) if t > now => ConversationAction::snooze(actor.clone(), t),
                _ => ConversationAction::open(actor.clone()),
            });
        }
        for action in &actions {
            // A 404: the conversation is gone.
            if let Err(e) = self.act_conversation(id, action).await {
                return gone_is_done(Err(e));
            }
        }
        Ok(Undone::Restored)
    }

    /// Attaches (`attached`) or detaches a tag on a ticket or conversation, as `admin`, to put
    /// a before-image's `tags.<id>` back. A detach answered 404 (not attached, or the object
    /// is gone) is done.
    pub(crate) async fn restore_tag(
        &self,
        kind: &ObjectKind,
        id: &str,
        tag: &str,
        attached: bool,
        admin: &str,
    ) -> IcResult<()> {
        let r = match (kind, attached) {
            (ObjectKind::Ticket, true) => self.tag_ticket(id, tag, admin).await,
            (ObjectKind::Ticket, false) => self.untag_ticket(id, tag, admin).await,
            (_, true) => self.tag_conversation(id, tag, admin).await,
            (_, false) => self.untag_conversation(id, tag, admin).await,
        };
        match r {
            Err(e) if !attached && e.is_not_found() => Ok(()),
            other => other,
        }
    }
}
