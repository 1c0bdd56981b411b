//! Restoring an object from its before-image: a contact the migration did not create gets one
//! `PUT /contacts/{id}` with the old values (`null` where a field was absent), and one
//! `DELETE /contacts/{id}/tags/{tag}` per tag the migration attached (a tag whose earlier
//! presence is unknown is left attached and reported); a ticket or conversation an earlier run
//! created gets back what one run changed on it: its fields, state and assignees, and its tags
//! attached or detached as they were.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::ObjectKind;
use crate::execute::Undone;
use crate::execute::before_image::{ACTOR, SECTIONS};
use crate::execute::writer::Writer;
use crate::ledger::BeforeField;

use super::plan::Restore;
use super::summary::LeftItem;

/// What restoring one object did: its result, the fields put back (to forget in the ledger),
/// and what could not be put back.
pub(super) struct Restored {
    pub(super) result: Result<Undone, String>,
    pub(super) fields: Vec<String>,
    pub(super) partial: Option<LeftItem>,
}

/// Sends the calls that put `r` back.
pub(super) async fn restore(writer: &Writer, r: &Restore) -> Restored {
    if matches!(r.kind, ObjectKind::Ticket | ObjectKind::Conversation) {
        return ticket_or_conversation(writer, r).await;
    }
    let mut body = Map::new();
    let mut attrs = Map::new();
    let mut detach = Vec::new();
    let mut unknown = Vec::new();
    let mut fields = Vec::new();
    for f in &r.fields {
        if let Some(tag) = f.field.strip_prefix("tags.") {
            match f.value {
                Value::Bool(false) => detach.push((tag, &f.field)),
                Value::Bool(true) => fields.push(f.field.clone()),
                // Reported once, then forgotten like the rest.
                _ => {
                    unknown.push(tag);
                    fields.push(f.field.clone());
                }
            }
        } else if let Some(a) = f.field.strip_prefix("custom_attributes.") {
            attrs.insert(a.to_owned(), f.value.clone());
            fields.push(f.field.clone());
        } else {
            body.insert(f.field.clone(), f.value.clone());
            fields.push(f.field.clone());
        }
    }
    if !attrs.is_empty() {
        body.insert("custom_attributes".to_owned(), Value::Object(attrs));
    }
    let failed = |e: intercom_client::Error| {
        format!(
            "{} {} (Intercom id {}): restoring its earlier values failed: {e}; run `rollback` \
             again to retry it",
            r.kind, r.source_id, r.target_id
        )
    };
    let mut outcome = Undone::Restored;
    if !body.is_empty() {
        match writer.restore_contact(&r.target_id, &body).await {
            Ok(Undone::AlreadyGone) => outcome = Undone::AlreadyGone,
            Ok(_) => {}
            Err(e) => {
                return Restored {
                    result: Err(failed(e)),
                    fields: Vec::new(),
                    partial: None,
                };
            }
        }
    }
    for (tag, field) in detach {
        if outcome == Undone::AlreadyGone {
            fields.push(field.clone());
            continue;
        }
        match writer.untag_contact(&r.target_id, tag).await {
            Ok(_) => fields.push(field.clone()),
            Err(e) => {
                // The fields already put back are forgotten; the rest is retried.
                return Restored {
                    result: Err(failed(e)),
                    fields,
                    partial: None,
                };
            }
        }
    }
    let partial = (!unknown.is_empty()).then(|| LeftItem {
        kind: r.kind.clone(),
        source_id: r.source_id.clone(),
        target_id: r.target_id.clone(),
        why: format!(
            "tag(s) {} left attached: the contact listed only part of its tags when the \
             migration first changed it, so whether it had them before is unknown; detach them \
             in Intercom if they were not there",
            unknown.join(", ")
        ),
        failed: false,
        objects: 1,
    });
    Restored {
        result: Ok(outcome),
        fields,
        partial,
    }
}

/// A ticket or conversation a run updated (attributes, state, assignees, tags): put back as it
/// was before that run. The fields put back before a failure are forgotten; the rest is
/// retried by the next rollback.
async fn ticket_or_conversation(writer: &Writer, r: &Restore) -> Restored {
    let (tags, fields): (Vec<&BeforeField>, Vec<&BeforeField>) =
        r.fields.iter().partition(|f| f.field.starts_with("tags."));
    let fields: BTreeMap<String, Value> = fields
        .into_iter()
        .map(|f| (f.field.clone(), f.value.clone()))
        .collect();
    let failed = |e: intercom_client::Error| {
        format!(
            "{} {} (Intercom id {}): restoring the values it held before run {} failed: {e}; \
             run `rollback` again to retry it",
            r.kind,
            r.source_id,
            r.target_id,
            r.run.map(|r| r.0).unwrap_or_default()
        )
    };
    let mut done: Vec<String> = Vec::new();
    if fields.keys().any(|k| k != ACTOR && k != SECTIONS) {
        let put = match r.kind {
            ObjectKind::Ticket => writer.restore_ticket(&r.target_id, &fields).await,
            _ => writer.restore_conversation(&r.target_id, &fields).await,
        };
        match put {
            Ok(Undone::AlreadyGone) => {
                return Restored {
                    result: Ok(Undone::AlreadyGone),
                    fields: r.fields.iter().map(|f| f.field.clone()).collect(),
                    partial: None,
                };
            }
            Ok(_) => done.extend(fields.keys().cloned()),
            Err(e) => {
                return Restored {
                    result: Err(failed(e)),
                    fields: Vec::new(),
                    partial: None,
                };
            }
        }
    }
    let actor = fields
        .get(ACTOR)
        .and_then(Value::as_str)
        .unwrap_or_default();
    for f in tags {
        let tag = f.field.trim_start_matches("tags.");
        let attached = f.value == Value::Bool(true);
        match writer
            .restore_tag(&r.kind, &r.target_id, tag, attached, actor)
            .await
        {
            Ok(()) => done.push(f.field.clone()),
            Err(e) => {
                return Restored {
                    result: Err(failed(e)),
                    fields: done,
                    partial: None,
                };
            }
        }
    }
    // Every field is back, the acting admin and the sections included.
    Restored {
        result: Ok(Undone::Restored),
        fields: r.fields.iter().map(|f| f.field.clone()).collect(),
        partial: None,
    }
}
