//! Wire shapes of the fake's objects, following the 2.16 description's examples.
//!
//! Conversations and tickets carry up to 500 parts; building their JSON is the costliest thing a
//! handler does (about 6 µs a part). [`Deferred`] lets a handler capture what the parts need
//! while it holds the state lock (a plain copy, plus each distinct author rendered once) and build
//! the JSON after releasing it, so one long conversation does not stall every other request.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::errors::{ApiError, ApiResult, ok_json_bytes};
use super::model::*;
use super::render_cache::RenderedType;

pub(crate) const WORKSPACE_ID: &str = "sandbox0";

/// Removes `keys` whose value is null: where the 2.16 description types a field as a
/// non-nullable string or integer (an admin's `job_title`, a contact's `email`, an attachment's
/// `width` …), the fake leaves out a value it does not have instead of sending `null`, so that
/// its answers validate against the description (what clients must accept either way).
fn without_nulls(mut v: Value, keys: &[&str]) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            if o.get(*k).is_some_and(Value::is_null) {
                o.remove(*k);
            }
        }
    }
    v
}

fn list(url: String, data: Vec<Value>) -> Value {
    let total = data.len();
    let shown: Vec<Value> = data.into_iter().take(10).collect();
    json!({ "type": "list", "data": shown, "url": url, "total_count": total, "has_more": total > 10 })
}

pub(crate) fn contact(ws: &IntercomState, c: &Contact) -> Value {
    let tags = c
        .tag_ids
        .iter()
        .map(|t| json!({ "type": "tag", "id": t, "url": format!("/tags/{t}") }))
        .collect();
    let notes = ws
        .notes
        .iter()
        .filter(|n| n.contact_id == c.id)
        .map(|n| json!({ "type": "note", "id": n.id, "url": format!("/notes/{}", n.id) }))
        .collect();
    let v = json!({
        "type": "contact", "id": c.id, "workspace_id": WORKSPACE_ID, "external_id": c.external_id,
        "role": c.role, "email": c.email, "phone": c.phone, "name": c.name, "avatar": c.avatar,
        "owner_id": c.owner_id, "social_profiles": { "type": "list", "data": [] },
        "has_hard_bounced": false, "marked_email_as_spam": false,
        "unsubscribed_from_emails": c.unsubscribed_from_emails,
        "created_at": c.created_at, "updated_at": c.updated_at, "signed_up_at": c.signed_up_at,
        "last_seen_at": c.last_seen_at, "last_replied_at": null, "last_contacted_at": null,
        "last_email_opened_at": null, "last_email_clicked_at": null, "language_override": null,
        "browser": null, "browser_version": null, "browser_language": null, "os": null,
        "location": { "type": "location", "country": null, "region": null, "city": null, "country_code": null, "continent_code": null },
        "custom_attributes": c.custom_attributes,
        "tags": list(format!("/contacts/{}/tags", c.id), tags),
        "notes": list(format!("/contacts/{}/notes", c.id), notes),
        "companies": list(format!("/contacts/{}/companies", c.id), vec![]),
    });
    without_nulls(v, &["email"])
}

pub(crate) fn admin_ref(ws: &IntercomState, id: &str) -> Value {
    match ws.admin(id) {
        Some(a) => json!({ "type": "admin", "id": a.id, "name": a.name, "email": a.email }),
        None => json!({ "type": "admin", "id": id }),
    }
}

pub(crate) fn admin(a: &Admin) -> Value {
    // 2.16: `avatar` is an image URL (nullable), no longer the `{type: avatar}` object.
    let v = json!({
        "type": "admin", "id": a.id, "name": a.name, "email": a.email, "job_title": a.job_title,
        "away_mode_enabled": false, "away_mode_reassign": false, "has_inbox_seat": true,
        "team_ids": a.team_ids, "avatar": null,
    });
    without_nulls(v, &["job_title"])
}

pub(crate) fn team(t: &Team) -> Value {
    json!({
        "type": "team", "id": t.id, "name": t.name, "admin_ids": t.admin_ids,
        "admin_priority_level": { "primary_admin_ids": [], "secondary_admin_ids": [] },
    })
}

pub(crate) fn note(ws: &IntercomState, n: &Note) -> Value {
    json!({
        "type": "note", "id": n.id, "created_at": n.created_at,
        "contact": { "type": "contact", "id": n.contact_id },
        "author": n.admin_id.as_deref().map(|a| admin_ref(ws, a)), "body": n.body,
    })
}

pub(crate) fn tag(t: &Tag) -> Value {
    json!({ "type": "tag", "id": t.id, "name": t.name })
}

pub(crate) fn applied_tag(t: &Tag, now: i64, admin_id: Option<&str>) -> Value {
    json!({
        "type": "tag", "id": t.id, "name": t.name, "applied_at": now,
        "applied_by": { "type": "admin", "id": admin_id.unwrap_or("0") },
    })
}

fn tag_list(ws: &IntercomState, ids: &[String]) -> Value {
    let tags: Vec<Value> = ids.iter().filter_map(|i| ws.tags.get(i)).map(tag).collect();
    json!({ "type": "tag.list", "tags": tags })
}

pub(crate) fn attachment(a: &Attachment) -> Value {
    // Width and height are not known for uploaded files: left out (the description types them
    // as non-nullable integers).
    json!({ "type": "upload", "name": a.name, "url": a.url, "content_type": a.content_type, "filesize": a.filesize })
}

fn author(ws: &IntercomState, kind: &str, id: &str) -> Value {
    match kind {
        "admin" => admin_ref(ws, id),
        _ => match ws.contacts.get(id) {
            Some(c) => {
                // `format: email`: a contact without an address has no `email` here (was "").
                without_nulls(
                    json!({ "type": kind, "id": id, "name": c.name, "email": c.email }),
                    &["email"],
                )
            }
            None => json!({ "type": kind, "id": id }),
        },
    }
}

pub(crate) fn part(ws: &IntercomState, p: &Part, kind: &str) -> Value {
    part_with_author(p, kind, author(ws, &p.author_type, &p.author_id))
}

fn part_with_author(p: &Part, kind: &str, author: Value) -> Value {
    json!({
        "type": kind, "id": p.id, "part_type": p.part_type, "body": p.body,
        "created_at": p.created_at, "updated_at": p.updated_at, "notified_at": p.created_at,
        "assigned_to": p.assigned_to, "author": author,
        "attachments": p.attachments.iter().map(attachment).collect::<Vec<_>>(),
        "external_id": null, "redacted": false, "metadata": {}, "app_package_code": "helpdesk-sandbox",
    })
}

/// The most recent `max` parts of a conversation or ticket, copied out of the state together
/// with their rendered authors, so that their JSON can be built without the state lock.
struct PartsView {
    /// `conversation` or `ticket`.
    kind: &'static str,
    parts: Vec<Part>,
    /// The distinct authors, rendered once each; `author_of[i]` indexes it for `parts[i]`.
    authors: Vec<Value>,
    author_of: Vec<usize>,
    total: usize,
}

impl PartsView {
    fn capture(ws: &IntercomState, all: &[Part], max: usize, kind: &'static str) -> Self {
        let parts = all[all.len().saturating_sub(max)..].to_vec();
        let mut index: HashMap<(&str, &str), usize> = HashMap::new();
        let mut authors = Vec::new();
        let author_of = parts
            .iter()
            .map(|p| {
                *index
                    .entry((p.author_type.as_str(), p.author_id.as_str()))
                    .or_insert_with(|| {
                        authors.push(author(ws, &p.author_type, &p.author_id));
                        authors.len() - 1
                    })
            })
            .collect();
        PartsView {
            kind,
            parts,
            authors,
            author_of,
            total: all.len(),
        }
    }

    /// `(key, value)` of the parts list: `conversation_parts` or `ticket_parts`.
    fn render(self) -> (String, Value) {
        let part_kind = format!("{}_part", self.kind);
        let list: Vec<Value> = self
            .parts
            .iter()
            .zip(&self.author_of)
            .map(|(p, &a)| {
                let author = self.authors.get(a).cloned().unwrap_or(Value::Null);
                part_with_author(p, &part_kind, author)
            })
            .collect();
        let key = format!("{}_parts", self.kind);
        let value = json!({ "type": format!("{part_kind}.list"), key.as_str(): list, "total_count": self.total });
        (key, value)
    }
}

/// A conversation or ticket rendered under the state lock except for its parts, which
/// [`Deferred::finish`] renders once the lock is released.
pub(crate) struct Deferred {
    head: Value,
    /// A ticket's type, rendered once for every answer that carries it
    /// ([`super::render_cache::RenderedTypes`]).
    ticket_type: Option<Arc<RenderedType>>,
    parts: Option<PartsView>,
}

impl Deferred {
    /// The complete JSON (call it after dropping the state guard).
    pub(crate) fn finish(self) -> Value {
        let mut v = self.head;
        if let Some(tt) = self.ticket_type {
            v["ticket_type"] = tt.value.clone();
        }
        if let Some(view) = self.parts {
            let (key, list) = view.render();
            v[key.as_str()] = list;
        }
        v
    }

    /// The answer, `200` with the same JSON as [`Deferred::finish`], written straight to bytes
    /// with the ticket type's JSON copied in as it was serialised (call it after dropping the
    /// state guard).
    pub(crate) fn respond(self) -> ApiResult {
        let mut buf = Vec::with_capacity(4096);
        write_json(&mut buf, &self.head)?;
        // The head is an object: its members go on before the closing brace.
        if buf.pop() != Some(b'}') {
            return Err(ApiError::internal());
        }
        if let Some(tt) = &self.ticket_type {
            member(&mut buf, "ticket_type")?;
            buf.extend_from_slice(tt.json.as_bytes());
        }
        if let Some(view) = self.parts {
            let (key, list) = view.render();
            member(&mut buf, &key)?;
            write_json(&mut buf, &list)?;
        }
        buf.push(b'}');
        ok_json_bytes(buf)
    }
}

fn write_json(buf: &mut Vec<u8>, v: &Value) -> Result<(), ApiError> {
    serde_json::to_writer(buf, v).map_err(|_| ApiError::internal())
}

/// Starts the member `key` of an object whose `{` and earlier members are in `buf`.
fn member(buf: &mut Vec<u8>, key: &str) -> Result<(), ApiError> {
    if buf.last() != Some(&b'{') {
        buf.push(b',');
    }
    serde_json::to_writer(&mut *buf, key).map_err(|_| ApiError::internal())?;
    buf.push(b':');
    Ok(())
}

fn contact_list(ws: &IntercomState, ids: &[String]) -> Value {
    let contacts: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "type": "contact", "id": id, "external_id": ws.contacts.get(id).and_then(|c| c.external_id.clone()) }))
        .collect();
    json!({ "type": "contact.list", "contacts": contacts })
}

/// A conversation; with parts, only the `max_parts` most recent are included while
/// `total_count` tells the true number.
pub(crate) fn conversation(
    ws: &IntercomState,
    c: &Conversation,
    max_parts: Option<usize>,
) -> Value {
    conversation_deferred(ws, c, max_parts).finish()
}

/// [`conversation`], with the parts left to [`Deferred::finish`].
pub(crate) fn conversation_deferred(
    ws: &IntercomState,
    c: &Conversation,
    max_parts: Option<usize>,
) -> Deferred {
    let v = json!({
        "type": "conversation", "id": c.id, "title": c.title, "created_at": c.created_at, "updated_at": c.updated_at,
        "waiting_since": null, "snoozed_until": c.snoozed_until,
        "source": {
            "type": "conversation", "id": c.source_id, "delivered_as": "customer_initiated",
            "subject": c.source_subject.clone().unwrap_or_default(), "body": c.source_body,
            "author": author(ws, &c.source_author_type, &c.source_author_id),
            "attachments": c.source_attachments.iter().map(attachment).collect::<Vec<_>>(),
            "url": null, "redacted": false,
        },
        "contacts": contact_list(ws, &c.contact_ids),
        "teammates": null, "first_contact_reply": null,
        "admin_assignee_id": c.admin_assignee_id, "team_assignee_id": c.team_assignee_id,
        "open": c.state != "closed", "state": c.state, "read": c.read, "tags": tag_list(ws, &c.tag_ids),
        "priority": "none", "sla_applied": null, "statistics": null, "conversation_rating": null,
        "custom_attributes": c.custom_attributes, "topics": {},
        "ticket": c.ticket_id.as_ref().map(|t| json!({ "type": "ticket", "id": t })),
        "linked_objects": { "type": "list", "data": [], "total_count": 0, "has_more": false },
        "ai_agent": null, "ai_agent_participated": false,
    });
    Deferred {
        head: v,
        ticket_type: None,
        parts: max_parts.map(|max| PartsView::capture(ws, &c.parts, max, "conversation")),
    }
}

pub(crate) fn ticket_state(s: &TicketState) -> Value {
    json!({ "type": "ticket_state", "id": s.id, "category": s.category, "internal_label": s.internal_label, "external_label": s.external_label })
}

pub(crate) fn ticket_type_attribute(tt: &TicketType, a: &TicketTypeAttribute) -> Value {
    let input_options = match a.data_type.as_str() {
        "string" => json!({ "multiline": a.multiline }),
        "list" => {
            json!({ "list_options": a.list_items.iter().map(|(id, label)| json!({"id": id, "label": label, "archived": false})).collect::<Vec<_>>() })
        }
        _ => Value::Null,
    };
    json!({
        "type": "ticket_type_attribute", "id": a.id, "workspace_id": WORKSPACE_ID, "name": a.name,
        "description": a.description, "data_type": a.data_type, "input_options": input_options, "order": a.order,
        "required_to_create": a.required_to_create, "required_to_create_for_contacts": a.required_to_create_for_contacts,
        "visible_on_create": a.visible_on_create, "visible_to_contacts": a.visible_to_contacts, "default": a.default,
        "ticket_type_id": tt.id.parse::<i64>().unwrap_or_default(), "archived": a.archived,
        "created_at": a.created_at, "updated_at": a.created_at,
    })
}

pub(crate) fn ticket_type(ws: &IntercomState, t: &TicketType) -> Value {
    json!({
        "type": "ticket_type", "id": t.id, "name": t.name, "description": t.description, "icon": t.icon,
        "workspace_id": WORKSPACE_ID, "archived": t.archived, "created_at": t.created_at, "updated_at": t.updated_at,
        "is_internal": t.is_internal, "category": t.category,
        "ticket_type_attributes": { "type": "list", "ticket_type_attributes": t.attributes.iter().map(|a| ticket_type_attribute(t, a)).collect::<Vec<_>>() },
        "ticket_states": { "type": "list", "data": ws.ticket_states.iter().map(ticket_state).collect::<Vec<_>>() },
    })
}

pub(crate) fn ticket(ws: &IntercomState, t: &Ticket, max_parts: usize) -> Value {
    ticket_deferred(ws, t, max_parts).finish()
}

/// [`ticket`], with the parts left to [`Deferred::finish`].
pub(crate) fn ticket_deferred(ws: &IntercomState, t: &Ticket, max_parts: usize) -> Deferred {
    let state = ws.ticket_states.iter().find(|s| s.id == t.ticket_state_id);
    let tt = ws.ticket_types.get(&t.ticket_type_id);
    let mut head = without_nulls(
        json!({
            "type": "ticket", "id": t.id, "ticket_id": t.ticket_id, "ticket_attributes": t.ticket_attributes,
            "ticket_state": state.map(ticket_state),
            "contacts": contact_list(ws, &t.contact_ids),
            "admin_assignee_id": t.admin_assignee_id, "team_assignee_id": t.team_assignee_id,
            "created_at": t.created_at, "updated_at": t.updated_at, "open": t.open, "snoozed_until": t.snoozed_until,
            "linked_objects": { "type": "list", "data": [], "total_count": 0, "has_more": false },
            "category": tt.map(|tt| tt.category.clone()), "is_shared": t.is_shared,
            "previous_ticket_state_id": t.previous_ticket_state_id, "tags": tag_list(ws, &t.tag_ids),
        }),
        &["snoozed_until"],
    );
    let rendered = tt.map(|tt| ws.rendered_types.get(ws, tt));
    if rendered.is_none() {
        head["ticket_type"] = Value::Null;
    }
    Deferred {
        head,
        ticket_type: rendered,
        parts: Some(PartsView::capture(ws, &t.parts, max_parts, "ticket")),
    }
}

pub(crate) fn data_attribute(a: &DataAttribute) -> Value {
    let full_name = if a.custom {
        format!("custom_attributes.{}", a.name)
    } else {
        a.name.clone()
    };
    let mut v = json!({
        "type": "data_attribute", "id": a.id, "model": a.model, "name": a.name, "full_name": full_name,
        "label": a.name, "description": a.description, "data_type": a.data_type,
        "api_writable": true, "ui_writable": a.custom, "messenger_writable": a.messenger_writable,
        "custom": a.custom, "archived": a.archived, "created_at": a.created_at, "updated_at": a.updated_at,
    });
    v = without_nulls(v, &["description"]);
    if a.data_type == "options" {
        v["options"] = Value::Array(a.options.iter().map(|o| Value::String(o.clone())).collect());
    }
    v
}

pub(crate) fn conversation_attribute(a: &ConversationAttribute) -> Value {
    let mut v = json!({
        "type": "conversation_attribute", "id": a.id, "name": a.name, "description": a.description,
        "data_type": a.data_type, "required": a.required, "visible_to_team_ids": [], "archived": a.archived,
        "created_at": a.created_at, "updated_at": a.updated_at,
    });
    match a.data_type.as_str() {
        "string" => v["multiline"] = Value::Bool(a.multiline),
        "list" => {
            v["options"] = Value::Array(
                a.options
                    .iter()
                    .map(|o| json!({"id": o.id, "label": o.label, "archived": o.archived}))
                    .collect(),
            )
        }
        _ => {}
    }
    v
}

pub(crate) fn collection(c: &Collection) -> Value {
    json!({
        "id": c.id, "workspace_id": WORKSPACE_ID, "name": c.name, "description": c.description,
        "url": format!("http://help-center.sandbox/collection-{}", c.id), "icon": "book-bookmark", "order": c.order,
        "created_at": c.created_at, "updated_at": c.updated_at, "default_locale": "en",
        "translated_content": null, "parent_id": c.parent_id, "help_center_id": c.help_center_id,
    })
}

pub(crate) fn article(a: &Article) -> Value {
    json!({
        "id": a.id, "type": "article", "workspace_id": WORKSPACE_ID, "title": a.title, "description": a.description,
        "body": a.body, "author_id": a.author_id, "state": a.state, "created_at": a.created_at, "updated_at": a.updated_at,
        "url": format!("http://help-center.sandbox/en/articles/{}", a.id),
        "parent_id": a.parent_id, "parent_ids": a.parent_id.into_iter().collect::<Vec<_>>(), "parent_type": a.parent_type,
        "default_locale": "en", "tags": { "type": "tag.list", "tags": [] },
        "statistics": { "type": "article_statistics", "views": 0, "conversations": 0, "reactions": 0 },
    })
}
