//! Before-images: before the migration changes an object it did not create in this run, what
//! the fields the change touches hold now, so that a rollback can put them back (see
//! [`crate::ledger::BeforeImage`]). Contacts get the first-ever image (when the migration found
//! them in Intercom) and a per-run image; tickets and conversations an earlier run created get
//! the per-run image of what a delta changes on them.

use std::collections::BTreeMap;

use intercom_client::models::{Contact, UpdateContact, UpdateConversation, UpdateTicket};
use serde_json::Value;

use crate::ObjectKind;
use crate::ledger::{ExpectedFields, Origin, RecordSections};
use crate::verify::found;

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
pub(crate) fn ticket_fields(u: &UpdateTicket) -> Vec<String> {
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
        out.extend(ASSIGNEES.map(str::to_owned));
    }
    out
}

/// The before-image fields of a conversation's update (`PUT /conversations/{id}`): its title
/// and custom attributes.
pub(crate) fn conversation_update_fields(u: &UpdateConversation) -> Vec<String> {
    let mut out: Vec<String> = u
        .custom_attributes
        .iter()
        .flatten()
        .map(|(k, _)| format!("custom_attributes.{k}"))
        .collect();
    if u.title.is_some() {
        out.push("title".to_owned());
    }
    out
}

/// The before-image fields of a conversation's state (an open, close or snooze action).
pub(crate) const CONVERSATION_STATE: [&str; 2] = ["state", "snoozed_until"];

/// The before-image fields of an assignment (ticket or conversation): both assignees.
pub(crate) const ASSIGNEES: [&str; 2] = ["admin_assignee_id", "team_assignee_id"];

/// The before-image fields of tags attached or detached (`tags.<tag id>`: whether it was
/// attached).
pub(crate) fn tag_fields<'a>(tags: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    tags.into_iter().map(|t| format!("tags.{t}")).collect()
}

/// Before a run changes ticket or conversation `target_id` (record `owner`) that an earlier run
/// created, records this run's image of `fields` (first touch per run; names as `verify` reads
/// them, tags as `tags.<tag id>`), with the admin the change acts as (`actor`, kept as
/// [`ACTOR`]), whom a restore acts as too, and, from a delta, the sections the record was last
/// written with (`sections`, kept as [`SECTIONS`]: a restore puts them back, so that the next
/// delta applies the newer values again section by section). Values come from the ledger's expectation of the
/// object (what the migration last wrote on it) when it names every field but tags; else, and
/// always for tags (someone may have attached one in Intercom), from one read of the object. An
/// object this run created, and dry runs, record nothing. A read that fails fails the record:
/// the change is not sent without its before-image.
pub(crate) async fn remember_object_before(
    st: &RunState,
    kind: ObjectKind,
    owner: &str,
    target_id: &str,
    mut fields: Vec<String>,
    actor: Option<&str>,
    sections: Option<&RecordSections>,
) -> Result<(), Fault> {
    if fields.is_empty()
        || st.writer.dry_report().is_some()
        || st.ledger.creating_run(&kind, owner, target_id)? == Some(st.run)
    {
        return Ok(());
    }
    let known = st.ledger.run_imaged_fields(&kind, target_id, st.run)?;
    let sections = match sections {
        Some(s) if !known.contains(SECTIONS) => Some(serde_json::to_value(s).map_err(|e| {
            Fault::record(format!(
                "{kind} {owner}: its sections do not encode for its before-image ({e})"
            ))
        })?),
        _ => None,
    };
    fields.retain(|f| !known.contains(f));
    let new = fields;
    if new.is_empty() {
        return Ok(());
    }
    let written = st.ledger.expectation(&kind, target_id)?.map(|e| e.fields);
    let holds = match written {
        Some(w)
            if new
                .iter()
                .all(|f| !f.starts_with("tags.") && w.contains_key(f)) =>
        {
            w
        }
        _ => read_fields(st, &kind, target_id).await?,
    };
    let mut image: BTreeMap<String, Value> = new
        .into_iter()
        .map(|f| {
            let v = image_value(&holds, &f);
            (f, v)
        })
        .collect();
    if let Some(admin) = actor.filter(|a| !a.is_empty()) {
        image.insert(ACTOR.to_owned(), Value::from(admin));
    }
    if let Some(s) = sections {
        image.insert(SECTIONS.to_owned(), s);
    }
    st.ledger
        .record_run_image(&kind, target_id, owner, st.run, &image)?;
    Ok(())
}

/// What a ticket or conversation holds now, in `verify`'s field names (one `GET`).
async fn read_fields(
    st: &RunState,
    kind: &ObjectKind,
    target_id: &str,
) -> Result<ExpectedFields, Fault> {
    let found = match kind {
        ObjectKind::Ticket => found::ticket(st.intercom.tickets().get(target_id).await?),
        _ => found::conversation(st.intercom.conversations().get(target_id).await?),
    };
    Ok(found.fields)
}

/// The before-image value of field `f` in `holds` (fields in `verify`'s names): a tag's
/// `tags.<id>` is whether `tags` lists it; an absent field, or an assignee "0", is `null`.
fn image_value(holds: &ExpectedFields, f: &str) -> Value {
    if let Some(tag) = f.strip_prefix("tags.") {
        let listed = holds
            .get("tags")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|t| t.as_str() == Some(tag)));
        return Value::Bool(listed);
    }
    match holds.get(f) {
        None => Value::Null,
        Some(v) if ASSIGNEES.contains(&f) && matches!(v.as_str(), Some("0" | "")) => Value::Null,
        Some(v) if ASSIGNEES.contains(&f) && v.as_i64() == Some(0) => Value::Null,
        Some(v) => v.clone(),
    }
}

/// The pseudo-field of a ticket's or conversation's before-image naming the admin a restore
/// acts as.
pub(crate) const ACTOR: &str = "admin_id";

/// The pseudo-field of a ticket's or conversation's before-image holding the sections
/// ([`RecordSections`]) the record was written with before the run.
pub(crate) const SECTIONS: &str = "record_sections";

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
