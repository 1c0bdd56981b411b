//! Before-images: before the migration changes an object it did not create in this run, what
//! the fields the change touches hold now, so that a rollback can put them back (see
//! [`crate::ledger::BeforeImage`]). Contacts get the first-ever image (when the migration found
//! them in Intercom) and a per-run image; tickets and conversations an earlier run created get
//! the per-run image of what a delta changes on them.

use std::collections::BTreeMap;

use intercom_client::models::{Contact, UpdateContact, UpdateTicket};
use serde_json::Value;

use crate::ObjectKind;
use crate::ledger::Origin;

use super::error::Fault;
use super::state::RunState;

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
