//! Contacts (create, get, update, delete, archive/unarchive, search, find by external id, list)
//! and contact notes.
//!
//! Rules: a create needs one of `email`, `external_id`, `role`; `email` must be an address
//! (`format: email`, else 400 `parameter_invalid`); `email_verified` needs `email`;
//! a duplicate e-mail (case-insensitive) or external id answers 409 naming the existing id;
//! custom attributes must be defined and typed; new contacts become searchable after the
//! configured delay; DELETE is permanent (notes go with the contact, conversations and tickets
//! stay); archive hides the contact from search, lists and find-by-external-id until unarchived.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::attributes::check_contact_values;
use super::email::check_email;
use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{Contact, Deleted, IntercomState, Note, id_of};
use super::search::{cursor_page, matches, per_page, query_map, search_request};
use super::{St, render};

fn str_field(b: &Map<String, Value>, k: &str) -> Result<Option<Option<String>>, ApiError> {
    match b.get(k) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(ApiError::bad(format!("{k} must be a string")).field(k)),
    }
}

fn int_field(b: &Map<String, Value>, k: &str) -> Result<Option<Option<i64>>, ApiError> {
    match b.get(k) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => v.as_i64().map(|n| Some(Some(n))).ok_or_else(|| {
            ApiError::bad(format!("{k} must be an integer (Unix seconds)")).field(k)
        }),
    }
}

fn conflict(existing: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("A contact matching those details already exists with id={existing}"),
    )
}

/// Rejects an e-mail or external id already used by another (non-deleted) contact.
fn check_unique(
    ws: &IntercomState,
    me: Option<&str>,
    email: Option<&str>,
    external_id: Option<&str>,
) -> Result<(), ApiError> {
    let clash = email
        .and_then(|e| ws.contact_by_email(e))
        .filter(|c| Some(c.id.as_str()) != me)
        .or_else(|| {
            external_id
                .and_then(|x| ws.contact_by_external_id(x))
                .filter(|c| Some(c.id.as_str()) != me)
        });
    match clash {
        Some(c) => Err(conflict(&c.id)),
        None => Ok(()),
    }
}

pub(crate) fn contact_id(ws: &mut IntercomState) -> String {
    ws.sequence += 1;
    format!("6762f0dd{:016x}", ws.sequence)
}

/// Applies the writable fields of a create or update body.
fn apply(ws: &IntercomState, c: &mut Contact, b: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(role) = str_field(b, "role")? {
        let role = role.unwrap_or_else(|| "user".into());
        if role != "user" && role != "lead" {
            return Err(
                ApiError::bad(format!("role must be user or lead, got '{role}'")).field("role"),
            );
        }
        c.role = role;
    }
    if let Some(v) = str_field(b, "email")? {
        if let Some(e) = &v {
            check_email("email", e)?;
        }
        c.email = v;
    }
    if let Some(v) = str_field(b, "external_id")? {
        c.external_id = v;
    }
    if let Some(v) = str_field(b, "phone")? {
        c.phone = v;
    }
    if let Some(v) = str_field(b, "name")? {
        c.name = v;
    }
    if let Some(v) = str_field(b, "avatar")? {
        c.avatar = v;
    }
    if let Some(v) = b.get("owner_id") {
        let id = id_of(Some(v));
        if let Some(id) = &id {
            if ws.admin(id).is_none() {
                return Err(ApiError::bad(format!(
                    "owner_id {id} is not an admin of this workspace"
                ))
                .field("owner_id"));
            }
        }
        c.owner_id = id;
    }
    if let Some(v) = int_field(b, "signed_up_at")? {
        c.signed_up_at = v;
    }
    if let Some(v) = int_field(b, "last_seen_at")? {
        c.last_seen_at = v;
    }
    if let Some(v) = b.get("unsubscribed_from_emails") {
        c.unsubscribed_from_emails = v
            .as_bool()
            .ok_or_else(|| ApiError::bad("unsubscribed_from_emails must be a boolean"))?;
    }
    if let Some(v) = b.get("custom_attributes") {
        let values = v.as_object().ok_or_else(|| {
            ApiError::bad("custom_attributes must be an object").field("custom_attributes")
        })?;
        check_contact_values(ws, values)?;
        for (k, v) in values {
            if v.is_null() {
                c.custom_attributes.remove(k);
            } else {
                c.custom_attributes.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// Creates a contact in `ws` (shared with ticket creation by e-mail).
pub(crate) fn insert_contact(
    ws: &mut IntercomState,
    b: &Map<String, Value>,
    now: i64,
    searchable_at_ms: i64,
    created_by: &str,
) -> Result<String, ApiError> {
    let id = contact_id(ws);
    let mut c = Contact {
        id: id.clone(),
        role: "user".into(),
        external_id: None,
        email: None,
        phone: None,
        name: None,
        avatar: None,
        owner_id: None,
        signed_up_at: None,
        last_seen_at: None,
        unsubscribed_from_emails: false,
        custom_attributes: Map::new(),
        tag_ids: vec![],
        created_at: now,
        updated_at: now,
        archived: false,
        searchable_at_ms,
        created_by: created_by.into(),
    };
    apply(ws, &mut c, b)?;
    check_unique(ws, None, c.email.as_deref(), c.external_id.as_deref())?;
    ws.put_contact(c);
    Ok(id)
}

/// `POST /contacts`.
pub(crate) async fn create(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    if !["email", "external_id", "role"]
        .iter()
        .any(|k| b.get(*k).is_some_and(|v| !v.is_null()))
    {
        return Err(ApiError::bad(
            "A contact needs at least one of email, external_id or role",
        ));
    }
    if b.contains_key("email_verified") && !b.get("email").is_some_and(Value::is_string) {
        return Err(
            ApiError::bad("email_verified can only be set together with email")
                .field("email_verified"),
        );
    }
    let mut ws = sh.lock()?;
    let now = sh.now();
    let searchable = sh.clock.now_ms() + sh.config.searchable_delay_secs * 1000;
    let id = insert_contact(&mut ws, &b, now, searchable, "api")?;
    let c = ws.contacts.get(&id).ok_or_else(ApiError::internal)?;
    ok(render::contact(&ws, c))
}

fn live<'a>(ws: &'a IntercomState, id: &str) -> Result<&'a Contact, ApiError> {
    ws.contacts.get(id).ok_or_else(ApiError::user_not_found)
}

/// `GET /contacts/{id}`.
pub(crate) async fn get_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    ok(render::contact(&ws, live(&ws, &id)?))
}

/// `PUT /contacts/{id}`.
pub(crate) async fn update(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let mut c = live(&ws, &id)?.clone();
    apply(&ws, &mut c, &b)?;
    check_unique(&ws, Some(&id), c.email.as_deref(), c.external_id.as_deref())?;
    c.updated_at = sh.now();
    let out = render::contact(&ws, &c);
    ws.put_contact(c);
    ok(out)
}

/// `DELETE /contacts/{id}`: permanent; the contact's notes go with it.
pub(crate) async fn delete_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let mut ws = sh.lock()?;
    let c = ws
        .remove_contact(&id)
        .ok_or_else(ApiError::user_not_found)?;
    ws.notes.retain(|n| n.contact_id != id);
    let now = sh.now();
    let record = serde_json::to_value(&c).unwrap_or(Value::Null);
    ws.deleted.push(Deleted {
        kind: "contact".into(),
        id: id.clone(),
        deleted_at: now,
        record,
    });
    ok(json!({ "type": "contact", "id": id, "external_id": c.external_id, "deleted": true }))
}

fn set_archived(sh: &super::Shared, id: &str, archived: bool) -> ApiResult {
    let mut ws = sh.lock()?;
    let now = sh.now();
    let c = ws
        .contacts
        .get_mut(id)
        .ok_or_else(ApiError::user_not_found)?;
    c.archived = archived;
    c.updated_at = now;
    ok(json!({ "type": "contact", "id": id, "external_id": c.external_id, "archived": archived }))
}

/// `POST /contacts/{id}/archive`.
pub(crate) async fn archive(State(sh): St, Path(id): Path<String>) -> ApiResult {
    set_archived(&sh, &id, true)
}

/// `POST /contacts/{id}/unarchive`.
pub(crate) async fn unarchive(State(sh): St, Path(id): Path<String>) -> ApiResult {
    set_archived(&sh, &id, false)
}

/// `GET /contacts/find_by_external_id/{external_id}` (users only, archived hidden).
pub(crate) async fn find_by_external_id(State(sh): St, Path(ext): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let c = ws
        .contact_by_external_id(&ext)
        .filter(|c| c.role == "user" && !c.archived)
        .ok_or_else(ApiError::user_not_found)?;
    ok(render::contact(&ws, c))
}

/// `GET /contacts?per_page=&starting_after=`.
pub(crate) async fn list(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_map(q);
    let per = per_page(q.get("per_page"), 50)?;
    let ws = sh.lock()?;
    let ids: Vec<&Contact> = ws.live_contacts().collect();
    let (page, pages) = cursor_page(&ids, per, q.get("starting_after").and_then(Value::as_str))?;
    let data: Vec<Value> = page.iter().map(|c| render::contact(&ws, c)).collect();
    ok(json!({ "type": "list", "data": data, "total_count": ids.len(), "pages": pages }))
}

/// `POST /contacts/search` (body cursor).
pub(crate) async fn search(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let (query, per, after) = search_request(&b, 50)?;
    let ws = sh.lock()?;
    let now_ms = sh.clock.now_ms();
    let mut hits = Vec::new();
    // Fast path for the lookups a migrator makes (`email` or `external_id` equals a string):
    // served from the indexes instead of scanning every contact.
    let indexed: Option<Vec<&Contact>> = match (
        query.get("field").and_then(Value::as_str),
        query.get("operator").and_then(Value::as_str),
        query.get("value").and_then(Value::as_str),
    ) {
        (Some("email"), Some("="), Some(v)) => Some(ws.contact_by_email(v).into_iter().collect()),
        (Some("external_id"), Some("="), Some(v)) => {
            Some(ws.contact_by_external_id(v).into_iter().collect())
        }
        _ => None,
    };
    let candidates: Vec<&Contact> = match indexed {
        Some(found) => found.into_iter().filter(|c| !c.archived).collect(),
        None => ws.live_contacts().collect(),
    };
    for c in candidates
        .into_iter()
        .filter(|c| c.searchable_at_ms <= now_ms)
    {
        let mut doc = render::contact(&ws, c);
        doc["email_domain"] = json!(
            c.email
                .as_deref()
                .and_then(|e| e.split_once('@'))
                .map(|(_, d)| d)
        );
        doc["tag_id"] = json!(c.tag_ids);
        if matches(&query, &doc, 0)? {
            hits.push(doc);
        }
    }
    let (data, pages) = cursor_page(&hits, per, after.as_deref())?;
    ok(json!({ "type": "list", "data": data, "total_count": hits.len(), "pages": pages }))
}

/// `POST /contacts/{id}/notes` with `body` and `admin_id`.
pub(crate) async fn create_note(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let text = b
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("body"))?;
    let mut ws = sh.lock()?;
    live(&ws, &id)?;
    let admin_id = id_of(b.get("admin_id"));
    if let Some(a) = &admin_id {
        if ws.admin(a).is_none() {
            return Err(
                ApiError::new(StatusCode::NOT_FOUND, "admin_not_found", "Admin not found")
                    .field("admin_id"),
            );
        }
    }
    let note = Note {
        id: ws.next_id(),
        contact_id: id,
        admin_id,
        body: text.to_string(),
        created_at: sh.now(),
    };
    let out = render::note(&ws, &note);
    ws.notes.push(note);
    ok(out)
}

/// `GET /contacts/{id}/notes`.
pub(crate) async fn list_notes(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    live(&ws, &id)?;
    let data: Vec<Value> = ws
        .notes
        .iter()
        .filter(|n| n.contact_id == id)
        .map(|n| render::note(&ws, n))
        .collect();
    ok(
        json!({ "type": "list", "data": data, "total_count": data.len(), "pages": { "type": "pages", "page": 1, "per_page": data.len().max(1), "total_pages": 1 } }),
    )
}

/// `GET /notes/{id}`.
pub(crate) async fn get_note(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let n = ws
        .notes
        .iter()
        .find(|n| n.id == id)
        .ok_or_else(ApiError::resource_not_found)?;
    ok(render::note(&ws, n))
}
