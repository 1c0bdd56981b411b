//! Conversations: create (contact-initiated, `created_at` honoured), reply (user comment; admin
//! comment, note or quick reply with `created_at` and attachments), parts (assign, close,
//! snooze, open; stamped now), update (custom attributes, title, read), get (at most the 500
//! most recent parts with the true `total_count`), delete, list and search.

use std::sync::MutexGuard;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Map, Value, json};

use super::attributes::check_conversation_values;
use super::email::check_email;
use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{Attachment, Conversation, Deleted, IntercomState, Part, id_of};
use super::search::{cursor_page, matches, per_page, query_map, search_request};
use super::{Shared, St, render};

const MAX_ATTACHMENTS: usize = 10;

/// `created_at` of a body: an integer Unix time, or `now` when absent.
pub(crate) fn created_at(b: &Map<String, Value>, now: i64) -> Result<i64, ApiError> {
    match b.get("created_at") {
        None | Some(Value::Null) => Ok(now),
        Some(v) => v.as_i64().ok_or_else(|| {
            ApiError::bad("created_at must be an integer Unix timestamp (seconds)")
                .field("created_at")
        }),
    }
}

/// `attachment_urls` (≤ 10) and `attachment_files` (≤ 10, base64 `data`, `content_type`, `name`).
pub(crate) fn attachments(b: &Map<String, Value>) -> Result<Vec<Attachment>, ApiError> {
    let mut out = Vec::new();
    if let Some(v) = b.get("attachment_urls") {
        let urls = v.as_array().ok_or_else(|| {
            ApiError::bad("attachment_urls must be an array").field("attachment_urls")
        })?;
        if urls.len() > MAX_ATTACHMENTS {
            return Err(ApiError::bad(format!(
                "A maximum of {MAX_ATTACHMENTS} attachment_urls is allowed per part; got {}",
                urls.len()
            ))
            .field("attachment_urls"));
        }
        for u in urls {
            let url = u.as_str().ok_or_else(|| {
                ApiError::bad("attachment_urls must hold strings").field("attachment_urls")
            })?;
            let name = url
                .rsplit('/')
                .next()
                .unwrap_or(url)
                .split('?')
                .next()
                .unwrap_or_default()
                .to_string();
            out.push(Attachment {
                name,
                url: url.to_string(),
                content_type: "application/octet-stream".into(),
                filesize: 0,
            });
        }
    }
    if let Some(v) = b.get("attachment_files") {
        let files = v.as_array().ok_or_else(|| {
            ApiError::bad("attachment_files must be an array").field("attachment_files")
        })?;
        if files.len() > MAX_ATTACHMENTS {
            return Err(ApiError::bad(format!(
                "A maximum of {MAX_ATTACHMENTS} attachment_files is allowed per part; got {}",
                files.len()
            ))
            .field("attachment_files"));
        }
        for (i, f) in files.iter().enumerate() {
            let field = |k: &str| {
                f.get(k)
                    .and_then(Value::as_str)
                    .ok_or_else(|| ApiError::missing(&format!("attachment_files[{i}].{k}")))
            };
            let data = base64::engine::general_purpose::STANDARD
                .decode(field("data")?)
                .map_err(|_| {
                    ApiError::bad(format!("attachment_files[{i}].data is not valid base64"))
                })?;
            let name = field("name")?.to_string();
            out.push(Attachment {
                url: format!("sandbox://upload/{}", name),
                name,
                content_type: field("content_type")?.to_string(),
                filesize: data.len() as u64,
            });
        }
    }
    Ok(out)
}

/// Finds the contact a user reply names through `intercom_user_id`, `user_id` (external id) or
/// `email` (which must be an address: 400 otherwise).
pub(crate) fn reply_contact(
    ws: &IntercomState,
    b: &Map<String, Value>,
) -> Result<String, ApiError> {
    let found = if let Some(id) = id_of(b.get("intercom_user_id")) {
        ws.contacts.get(&id).map(|c| c.id.clone())
    } else if let Some(ext) = id_of(b.get("user_id")) {
        ws.contact_by_external_id(&ext).map(|c| c.id.clone())
    } else if let Some(email) = b.get("email").and_then(Value::as_str) {
        check_email("email", email)?;
        ws.contact_by_email(email).map(|c| c.id.clone())
    } else {
        return Err(ApiError::bad(
            "A user reply needs one of intercom_user_id, user_id or email",
        ));
    };
    found.ok_or_else(ApiError::user_not_found)
}

pub(crate) fn admin_checked(
    ws: &IntercomState,
    b: &Map<String, Value>,
) -> Result<String, ApiError> {
    let id = id_of(b.get("admin_id")).ok_or_else(|| ApiError::missing("admin_id"))?;
    ws.admin(&id).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "admin_not_found", "Admin not found").field("admin_id")
    })?;
    Ok(id)
}

/// Builds the part a reply body describes (shared with ticket replies).
pub(crate) fn reply_part(
    ws: &mut IntercomState,
    b: &Map<String, Value>,
    now: i64,
) -> Result<Part, ApiError> {
    let kind = b
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("type"))?;
    let message_type = b
        .get("message_type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("message_type"))?;
    let body = b.get("body").and_then(Value::as_str).map(str::to_string);
    let (author_type, author_id) = match kind {
        "admin" => {
            if !["comment", "note", "quick_reply"].contains(&message_type) {
                return Err(ApiError::bad(format!(
                    "message_type must be comment, note or quick_reply, got '{message_type}'"
                ))
                .field("message_type"));
            }
            if message_type != "quick_reply" && body.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::missing("body"));
            }
            ("admin".to_string(), admin_checked(ws, b)?)
        }
        "user" => {
            if message_type != "comment" {
                return Err(ApiError::bad("A user reply must have message_type comment")
                    .field("message_type"));
            }
            if body.as_deref().is_none_or(str::is_empty) {
                return Err(ApiError::missing("body"));
            }
            let id = reply_contact(ws, b)?;
            let role = ws
                .contacts
                .get(&id)
                .map(|c| c.role.clone())
                .unwrap_or_else(|| "user".into());
            (role, id)
        }
        other => {
            return Err(
                ApiError::bad(format!("type must be admin or user, got '{other}'")).field("type"),
            );
        }
    };
    let at = created_at(b, now)?;
    Ok(Part {
        id: ws.next_id(),
        part_type: message_type.to_string(),
        body,
        created_at: at,
        updated_at: at,
        author_type,
        author_id,
        attachments: attachments(b)?,
        assigned_to: None,
        skip_notifications: b
            .get("skip_notifications")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

fn conversation_not_found() -> ApiError {
    ApiError::not_found("Conversation not found")
}

/// `POST /conversations`: `from` must be an existing contact (404 `User Not Found` otherwise).
pub(crate) async fn create(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let from = b
        .get("from")
        .and_then(Value::as_object)
        .ok_or_else(|| ApiError::missing("from"))?;
    let from_type = from
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("from.type"))?;
    if !["user", "lead", "contact"].contains(&from_type) {
        return Err(ApiError::bad(format!(
            "from.type must be user, lead or contact, got '{from_type}'"
        ))
        .field("from.type"));
    }
    let from_id = id_of(from.get("id")).ok_or_else(|| ApiError::missing("from.id"))?;
    let text = b
        .get("body")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("body"))?;
    let mut ws = sh.lock()?;
    let contact = ws
        .contacts
        .get(&from_id)
        .filter(|c| !c.archived)
        .ok_or_else(ApiError::user_not_found)?;
    let role = contact.role.clone();
    let contact_id = contact.id.clone();
    let now = sh.now();
    let at = created_at(&b, now)?;
    let files = attachments(&b)?;
    let id = ws.next_id();
    let source_id = ws.next_id();
    let c = Conversation {
        id: id.clone(),
        created_at: at,
        updated_at: at,
        source_id: source_id.clone(),
        source_body: text.to_string(),
        source_subject: b.get("subject").and_then(Value::as_str).map(str::to_string),
        source_author_type: role,
        source_author_id: from_id,
        source_attachments: files,
        contact_ids: vec![contact_id],
        parts: vec![],
        state: "open".into(),
        read: false,
        snoozed_until: None,
        admin_assignee_id: 0,
        team_assignee_id: 0,
        title: None,
        custom_attributes: Map::new(),
        tag_ids: vec![],
        ticket_id: None,
    };
    ws.conversations.insert(id.clone(), c);
    ok(
        json!({ "type": "user_message", "id": source_id, "created_at": at, "body": text, "message_type": "inapp", "conversation_id": id }),
    )
}

/// Conversation `id` with its latest parts. The parts' JSON is built after the state lock is
/// released (see [`render::Deferred`]).
fn respond(sh: &Shared, ws: MutexGuard<'_, IntercomState>, id: &str) -> ApiResult {
    let c = ws
        .conversations
        .get(id)
        .ok_or_else(conversation_not_found)?;
    let out = render::conversation_deferred(&ws, c, Some(sh.config.max_parts_returned));
    drop(ws);
    out.respond()
}

/// `POST /conversations/{id}/reply` (`last` with a user reply means that contact's latest).
pub(crate) async fn reply(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let id = if id == "last" {
        let contact = reply_contact(&ws, &b)?;
        ws.conversations
            .values()
            .rev()
            .find(|c| c.contact_ids.contains(&contact))
            .map(|c| c.id.clone())
            .ok_or_else(conversation_not_found)?
    } else {
        id
    };
    if !ws.conversations.contains_key(&id) {
        return Err(conversation_not_found());
    }
    let part = reply_part(&mut ws, &b, sh.now())?;
    let now = sh.now();
    let c = ws
        .conversations
        .get_mut(&id)
        .ok_or_else(conversation_not_found)?;
    if part.author_type != "admin" && !c.contact_ids.contains(&part.author_id) {
        c.contact_ids.push(part.author_id.clone());
    }
    c.updated_at = now.max(part.created_at);
    c.parts.push(part);
    respond(&sh, ws, &id)
}

/// `POST /conversations/{id}/parts`: close, snoozed, open, assignment (no `created_at`).
pub(crate) async fn manage(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    if !ws.conversations.contains_key(&id) {
        return Err(conversation_not_found());
    }
    let admin = admin_checked(&ws, &b)?;
    let message_type = b
        .get("message_type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("message_type"))?
        .to_string();
    let now = sh.now();
    let mut assigned_to = None;
    let mut new_state: Option<&str> = None;
    let mut snoozed_until = None;
    let mut assignee: Option<(String, i64)> = None;
    match message_type.as_str() {
        "close" => new_state = Some("closed"),
        "open" => new_state = Some("open"),
        "snoozed" => {
            let until = b
                .get("snoozed_until")
                .and_then(Value::as_i64)
                .ok_or_else(|| ApiError::missing("snoozed_until"))?;
            snoozed_until = Some(until);
            new_state = Some("snoozed");
        }
        "assignment" => {
            let kind = b
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::missing("type"))?
                .to_string();
            let target =
                id_of(b.get("assignee_id")).ok_or_else(|| ApiError::missing("assignee_id"))?;
            let exists = target == "0"
                || match kind.as_str() {
                    "admin" => ws.admin(&target).is_some(),
                    "team" => ws.teams.iter().any(|t| t.id == target),
                    other => {
                        return Err(ApiError::bad(format!(
                            "type must be admin or team, got '{other}'"
                        ))
                        .field("type"));
                    }
                };
            if !exists {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "assignee_not_found",
                    "Assignee not found",
                )
                .field("assignee_id"));
            }
            assigned_to = (target != "0").then(|| json!({ "type": kind, "id": target }));
            assignee = Some((kind, target.parse().unwrap_or(0)));
        }
        other => {
            return Err(ApiError::bad(format!(
                "message_type must be close, snoozed, open or assignment, got '{other}'"
            ))
            .field("message_type"));
        }
    }
    let part = Part {
        id: ws.next_id(),
        part_type: message_type,
        body: b.get("body").and_then(Value::as_str).map(str::to_string),
        created_at: now,
        updated_at: now,
        author_type: "admin".into(),
        author_id: admin,
        attachments: vec![],
        assigned_to,
        skip_notifications: false,
    };
    let c = ws
        .conversations
        .get_mut(&id)
        .ok_or_else(conversation_not_found)?;
    if let Some(s) = new_state {
        c.state = s.to_string();
        c.snoozed_until = snoozed_until;
    }
    if let Some((kind, target)) = assignee {
        if kind == "team" {
            c.team_assignee_id = target;
        } else {
            c.admin_assignee_id = target;
        }
    }
    c.updated_at = now;
    c.parts.push(part);
    respond(&sh, ws, &id)
}

/// `PUT /conversations/{id}`: `read`, `title`, `custom_attributes` (defined and typed).
pub(crate) async fn update(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    if !ws.conversations.contains_key(&id) {
        return Err(conversation_not_found());
    }
    let values = match b.get("custom_attributes") {
        None => None,
        Some(v) => Some(
            v.as_object()
                .ok_or_else(|| ApiError::bad("custom_attributes must be an object"))?
                .clone(),
        ),
    };
    if let Some(v) = &values {
        check_conversation_values(&ws, v)?;
    }
    let now = sh.now();
    let c = ws
        .conversations
        .get_mut(&id)
        .ok_or_else(conversation_not_found)?;
    if let Some(v) = b.get("read").and_then(Value::as_bool) {
        c.read = v;
    }
    if let Some(v) = b.get("title") {
        c.title = v.as_str().map(str::to_string);
    }
    for (k, v) in values.into_iter().flatten() {
        if v.is_null() {
            c.custom_attributes.remove(&k);
        } else {
            c.custom_attributes.insert(k, v);
        }
    }
    c.updated_at = now;
    respond(&sh, ws, &id)
}

/// `GET /conversations/{id}`.
pub(crate) async fn get_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    respond(&sh, ws, &id)
}

/// `DELETE /conversations/{id}`: permanent.
pub(crate) async fn delete_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let mut ws = sh.lock()?;
    let c = ws
        .conversations
        .remove(&id)
        .ok_or_else(conversation_not_found)?;
    let now = sh.now();
    let record = serde_json::to_value(&c).unwrap_or(Value::Null);
    ws.deleted.push(Deleted {
        kind: "conversation".into(),
        id: id.clone(),
        deleted_at: now,
        record,
    });
    ok(json!({ "id": id, "object": "conversation", "deleted": true }))
}

/// `GET /conversations?per_page=&starting_after=` (default 20, max 150).
pub(crate) async fn list(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_map(q);
    let per = per_page(q.get("per_page"), 20)?;
    let ws = sh.lock()?;
    let all: Vec<&Conversation> = ws.conversations.values().collect();
    let (page, pages) = cursor_page(&all, per, q.get("starting_after").and_then(Value::as_str))?;
    let data: Vec<Value> = page
        .iter()
        .map(|c| render::conversation(&ws, c, None))
        .collect();
    ok(
        json!({ "type": "conversation.list", "pages": pages, "total_count": all.len(), "conversations": data }),
    )
}

/// `POST /conversations/search` (body cursor, default 20).
pub(crate) async fn search(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let (query, per, after) = search_request(&b, 20)?;
    let ws = sh.lock()?;
    // Fast path for the look-up a migrator makes after a lost response (`contact_ids = X`): only
    // that contact's conversations are rendered and matched, not every conversation under the lock.
    let of_contact = match (
        query.get("field").and_then(Value::as_str),
        query.get("operator").and_then(Value::as_str),
        query.get("value").and_then(Value::as_str),
    ) {
        (Some("contact_ids"), Some("="), Some(v)) => Some(v),
        _ => None,
    };
    let mut hits = Vec::new();
    for c in ws.conversations.values().filter(|c| {
        of_contact.is_none_or(|v| c.contact_ids.iter().any(|id| id.eq_ignore_ascii_case(v)))
    }) {
        let mut doc = render::conversation(&ws, c, None);
        doc["contact_ids"] = json!(c.contact_ids);
        doc["tag_ids"] = json!(c.tag_ids);
        if matches(&query, &doc, 0)? {
            hits.push(doc);
        }
    }
    let (data, pages) = cursor_page(&hits, per, after.as_deref())?;
    ok(
        json!({ "type": "conversation.list", "pages": pages, "total_count": hits.len(), "conversations": data }),
    )
}
