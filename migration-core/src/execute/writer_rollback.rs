//! The rollback's writes: deletes, archives and restores, through the same [`Writer`] seam as
//! the migration's creates (live: sent with `intercom-client`, paced and retried by it; dry:
//! counted, not sent). A 404 answers [`Undone::AlreadyGone`]: the object is gone either way.
//!
//! Also the migration's side of a restore: [`remember_before`] records, before the migration
//! first changes a contact it did not create, what that contact held (its before-image, see
//! [`crate::ledger::BeforeImage`]).

use std::collections::BTreeMap;

use intercom_client::models::{
    AssigneeType, Contact, UpdateContact, UpdateDataAttribute, UpdateTicket, UpdateTicketType,
};
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
    /// `admin_assignee_id`, `team_assignee_id`, and [`TICKET_ACTOR`]): one `PUT /tickets/{id}`,
    /// and a second when both an admin and a team were assigned, or only a team (`assignee_id`
    /// "0" first unassigns both). The expectation follows.
    pub(crate) async fn restore_ticket(
        &self,
        id: &str,
        fields: &BTreeMap<String, Value>,
    ) -> IcResult<Undone> {
        let text = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let mut u = UpdateTicket {
            admin_id: fields.get(TICKET_ACTOR).and_then(text),
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

/// Before the migration changes contact `contact_id` for the record `owner`, records what the
/// fields the change touches hold now, unless this run created the contact (a rollback of the
/// run deletes it) or this is a dry run:
///
/// * for a contact that existed before the migration (origin `reused`), the first-ever image
///   of each field (`before_images`, first touch only; a full rollback restores it);
/// * for any contact this run did not create (reused, or created by an earlier run), this
///   run's image of each field (`run_before_images`, first touch per run; `rollback --run`
///   restores it).
///
/// The values come from the ledger's expectation of the contact (what the migration last
/// wrote on it) when it holds every field needed; otherwise from one `GET /contacts/{id}`. A
/// read that fails fails the record: the change is not sent without its before-image.
pub(crate) async fn remember_before(
    st: &RunState,
    owner: &str,
    contact_id: &str,
    change: ContactChange<'_>,
) -> Result<(), Fault> {
    let kind = ObjectKind::Contact;
    let fields = change.fields();
    // A dry writer has a report (and records nothing in Intercom, so nothing to restore).
    if fields.is_empty() || st.writer.dry_report().is_some() {
        return Ok(());
    }
    let reused = st
        .ledger
        .lookup(&kind, owner)?
        .is_some_and(|r| r.origin == Some(Origin::Reused));
    if !reused && st.ledger.creating_run(&kind, owner, contact_id)? == Some(st.run) {
        return Ok(());
    }
    let first: Vec<String> = if reused {
        let known = st.ledger.imaged_fields(&kind, contact_id)?;
        fields
            .iter()
            .filter(|f| !known.contains(*f))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let known = st.ledger.run_imaged_fields(&kind, contact_id, st.run)?;
    let this_run: Vec<String> = fields.into_iter().filter(|f| !known.contains(f)).collect();
    if first.is_empty() && this_run.is_empty() {
        return Ok(());
    }
    // The first-ever image needs Intercom's own values (the migration may never have written
    // the field); a run's image can come from what the migration last wrote.
    let written = st.ledger.expectation(&kind, contact_id)?.map(|e| e.fields);
    let from_ledger = first.is_empty()
        && written
            .as_ref()
            .is_some_and(|w| this_run.iter().all(|f| w.contains_key(f)));
    let value_of: Box<dyn Fn(&str) -> Value> = match (from_ledger, written) {
        (true, Some(w)) => Box::new(move |f| w.get(f).cloned().unwrap_or(Value::Null)),
        _ => {
            let contact = st.intercom.contacts().get(contact_id).await?;
            Box::new(move |f| current_value(&contact, f))
        }
    };
    let image = |names: &[String]| -> BTreeMap<String, Value> {
        names.iter().map(|f| (f.clone(), value_of(f))).collect()
    };
    if !first.is_empty() {
        st.ledger
            .record_before_image(&kind, contact_id, owner, st.run, &image(&first))?;
    }
    if !this_run.is_empty() {
        st.ledger
            .record_run_image(&kind, contact_id, owner, st.run, &image(&this_run))?;
    }
    Ok(())
}

/// The before-image fields of a ticket update: its attributes, state, snooze and assignee.
fn ticket_fields(u: &UpdateTicket) -> Vec<String> {
    let mut out: Vec<String> = u
        .ticket_attributes
        .iter()
        .flatten()
        .map(|(k, _)| format!("ticket_attributes.{k}"))
        .collect();
    if u.ticket_state_id.is_some() || u.open.is_some() || u.snoozed_until.is_some() {
        out.extend(["ticket_state_id", "open", "snoozed_until"].map(str::to_owned));
    }
    if u.assignee_id.is_some() {
        out.extend(["admin_assignee_id", "team_assignee_id"].map(str::to_owned));
    }
    out
}

/// Before a run updates ticket `ticket_id` (record `owner`) that an earlier run created,
/// records this run's image of the fields the update touches (first touch per run), from the
/// ledger's expectation of the ticket (what the migration last wrote on it) when it names
/// every field, else from one `GET /tickets/{id}`; with them the admin the update acts as
/// (`admin_id`), whom a restore acts as too. A ticket this run created, and dry runs, record
/// nothing.
pub(crate) async fn remember_ticket_before(
    st: &RunState,
    owner: &str,
    ticket_id: &str,
    u: &UpdateTicket,
) -> Result<(), Fault> {
    let kind = ObjectKind::Ticket;
    let fields = ticket_fields(u);
    if fields.is_empty()
        || st.writer.dry_report().is_some()
        || st.ledger.creating_run(&kind, owner, ticket_id)? == Some(st.run)
    {
        return Ok(());
    }
    let known = st.ledger.run_imaged_fields(&kind, ticket_id, st.run)?;
    let new: Vec<String> = fields.into_iter().filter(|f| !known.contains(f)).collect();
    if new.is_empty() {
        return Ok(());
    }
    // What the migration last wrote on it, when that names every field; else one read.
    let written = st.ledger.expectation(&kind, ticket_id)?.map(|e| e.fields);
    let mut image: BTreeMap<String, Value> = match written {
        Some(w) if new.iter().all(|f| w.contains_key(f)) => new
            .into_iter()
            .map(|f| {
                let v = w.get(&f).cloned().unwrap_or(Value::Null);
                (f, v)
            })
            .collect(),
        _ => read_ticket_fields(st, ticket_id, new).await?,
    };
    if let Some(admin) = &u.admin_id {
        image.insert(TICKET_ACTOR.to_owned(), Value::from(admin.as_str()));
    }
    st.ledger
        .record_run_image(&kind, ticket_id, owner, st.run, &image)?;
    Ok(())
}

/// The current values of before-image `fields` of ticket `ticket_id` (`GET /tickets/{id}`).
async fn read_ticket_fields(
    st: &RunState,
    ticket_id: &str,
    fields: Vec<String>,
) -> Result<BTreeMap<String, Value>, Fault> {
    let t = st.intercom.tickets().get(ticket_id).await?;
    let id = |v: &Option<String>| match v.as_deref() {
        None | Some("0") | Some("") => Value::Null,
        Some(s) => Value::from(s),
    };
    Ok(fields
        .into_iter()
        .map(|f| {
            let v = if let Some(a) = f.strip_prefix("ticket_attributes.") {
                t.ticket_attributes.get(a).cloned().unwrap_or(Value::Null)
            } else {
                match f.as_str() {
                    "ticket_state_id" => t
                        .ticket_state
                        .as_ref()
                        .map(|s| Value::from(s.id.clone()))
                        .unwrap_or(Value::Null),
                    "open" => t.open.map(Value::Bool).unwrap_or(Value::Null),
                    "snoozed_until" => t.snoozed_until.map(Value::from).unwrap_or(Value::Null),
                    "admin_assignee_id" => id(&t.admin_assignee_id),
                    "team_assignee_id" => id(&t.team_assignee_id),
                    _ => Value::Null,
                }
            };
            (f, v)
        })
        .collect())
}

/// The pseudo-field of a ticket's before-image naming the admin a restore acts as.
pub(crate) const TICKET_ACTOR: &str = "admin_id";

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
