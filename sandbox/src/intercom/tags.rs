//! Tags: get-or-create by name (case-insensitive), rename, bulk-tag users, attach/detach on
//! contacts, conversations and tickets, delete (400 while still attached to anything).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{Deleted, IntercomState, Tag, id_of};
use super::{St, render};

fn tag_not_found() -> ApiError {
    ApiError::resource_not_found()
}

/// `GET /tags`.
pub(crate) async fn list(State(sh): St) -> ApiResult {
    let ws = sh.lock()?;
    ok(json!({ "type": "list", "data": ws.tags.values().map(render::tag).collect::<Vec<_>>() }))
}

/// `GET /tags/{id}`.
pub(crate) async fn get_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    ok(render::tag(ws.tags.get(&id).ok_or_else(tag_not_found)?))
}

/// `POST /tags`: `{name}` get-or-create, `{name, id}` rename, `{name, users:[{id}]}` bulk tag
/// (missing users are skipped, as 2.16 does). Companies are not modelled.
pub(crate) async fn create_or_update(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::missing("name"))?;
    if b.contains_key("companies") {
        return Err(ApiError::bad(
            "invalid tag parameters: companies are not modelled by the sandbox",
        ));
    }
    let mut ws = sh.lock()?;
    let id = if let Some(id) = id_of(b.get("id")) {
        let t = ws.tags.get_mut(&id).ok_or_else(tag_not_found)?;
        t.name = name.to_string();
        id
    } else if let Some(t) = ws.tags.values().find(|t| t.name.eq_ignore_ascii_case(name)) {
        t.id.clone()
    } else {
        let id = ws.next_id();
        ws.tags.insert(
            id.clone(),
            Tag {
                id: id.clone(),
                name: name.to_string(),
            },
        );
        id
    };
    let mut users = Vec::new();
    if let Some(list) = b.get("users").and_then(Value::as_array) {
        for u in list {
            if let Some(cid) = id_of(u.get("id")) {
                if let Some(c) = ws.contacts.get_mut(&cid) {
                    if u.get("untag").and_then(Value::as_bool) == Some(true) {
                        c.tag_ids.retain(|t| *t != id);
                    } else if !c.tag_ids.contains(&id) {
                        c.tag_ids.push(id.clone());
                    }
                    users.push(json!({ "type": "user", "id": cid }));
                }
            }
        }
    }
    let t = ws.tags.get(&id).ok_or_else(ApiError::internal)?;
    let mut out = render::tag(t);
    if b.contains_key("users") {
        out["users"] = Value::Array(users);
    }
    ok(out)
}

fn in_use(ws: &IntercomState, id: &str) -> Option<String> {
    let contacts = ws
        .contacts
        .values()
        .filter(|c| c.tag_ids.iter().any(|t| t == id))
        .count();
    let convs = ws
        .conversations
        .values()
        .filter(|c| c.tag_ids.iter().any(|t| t == id))
        .count();
    let tickets = ws
        .tickets
        .values()
        .filter(|c| c.tag_ids.iter().any(|t| t == id))
        .count();
    (contacts + convs + tickets > 0)
        .then(|| format!("Contacts: {contacts}, Conversations: {convs}, Tickets: {tickets}"))
}

/// `DELETE /tags/{id}`: 200 with an empty body, or 400 while objects still carry the tag.
pub(crate) async fn delete_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let mut ws = sh.lock()?;
    if !ws.tags.contains_key(&id) {
        return Err(tag_not_found());
    }
    if let Some(deps) = in_use(&ws, &id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "tag_has_dependent_objects",
            format!("Unable to delete Tag with dependent objects. {deps}. Detach it first."),
        ));
    }
    let t = ws.tags.remove(&id).ok_or_else(tag_not_found)?;
    let now = sh.now();
    ws.deleted.push(Deleted {
        kind: "tag".into(),
        id,
        deleted_at: now,
        record: render::tag(&t),
    });
    Ok(axum::response::IntoResponse::into_response(StatusCode::OK))
}

fn tag_id_body(body: &Bytes) -> Result<(String, Option<String>), ApiError> {
    let b = parse_body(body)?;
    let id = id_of(b.get("id")).ok_or_else(|| ApiError::missing("id"))?;
    Ok((id, id_of(b.get("admin_id"))))
}

fn admin_required(ws: &IntercomState, admin: &Option<String>) -> Result<(), ApiError> {
    let a = admin
        .as_deref()
        .ok_or_else(|| ApiError::missing("admin_id"))?;
    ws.admin(a).map(|_| ()).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "admin_not_found", "Admin not found").field("admin_id")
    })
}

fn attach(list: &mut Vec<String>, tag: &str, on: bool) {
    if on {
        if !list.iter().any(|t| t == tag) {
            list.push(tag.to_string());
        }
    } else {
        list.retain(|t| t != tag);
    }
}

/// `GET /contacts/{id}/tags`.
pub(crate) async fn contact_tags(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let c = ws.contacts.get(&id).ok_or_else(ApiError::user_not_found)?;
    ok(
        json!({ "type": "list", "data": c.tag_ids.iter().filter_map(|t| ws.tags.get(t)).map(render::tag).collect::<Vec<_>>() }),
    )
}

/// `POST /contacts/{id}/tags` with `{id}`.
pub(crate) async fn tag_contact(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let (tag, admin) = tag_id_body(&body)?;
    let mut ws = sh.lock()?;
    let t = ws.tags.get(&tag).cloned().ok_or_else(tag_not_found)?;
    let c = ws
        .contacts
        .get_mut(&id)
        .ok_or_else(ApiError::user_not_found)?;
    attach(&mut c.tag_ids, &tag, true);
    ok(render::applied_tag(&t, sh.now(), admin.as_deref()))
}

/// `DELETE /contacts/{id}/tags/{tag_id}`.
pub(crate) async fn untag_contact(
    State(sh): St,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult {
    let mut ws = sh.lock()?;
    let t = ws.tags.get(&tag).cloned().ok_or_else(tag_not_found)?;
    let c = ws
        .contacts
        .get_mut(&id)
        .ok_or_else(ApiError::user_not_found)?;
    attach(&mut c.tag_ids, &tag, false);
    ok(render::applied_tag(&t, sh.now(), None))
}

fn conversation_not_found() -> ApiError {
    ApiError::not_found("Conversation not found")
}

/// `POST /conversations/{id}/tags` with `{id, admin_id}`.
pub(crate) async fn tag_conversation(
    State(sh): St,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let (tag, admin) = tag_id_body(&body)?;
    let mut ws = sh.lock()?;
    admin_required(&ws, &admin)?;
    let t = ws.tags.get(&tag).cloned().ok_or_else(tag_not_found)?;
    let c = ws
        .conversations
        .get_mut(&id)
        .ok_or_else(conversation_not_found)?;
    attach(&mut c.tag_ids, &tag, true);
    ok(render::applied_tag(&t, sh.now(), admin.as_deref()))
}

/// `DELETE /conversations/{id}/tags/{tag_id}` with `{admin_id}`.
pub(crate) async fn untag_conversation(
    State(sh): St,
    Path((id, tag)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let admin = id_of(parse_body(&body)?.get("admin_id"));
    let mut ws = sh.lock()?;
    admin_required(&ws, &admin)?;
    let t = ws.tags.get(&tag).cloned().ok_or_else(tag_not_found)?;
    let c = ws
        .conversations
        .get_mut(&id)
        .ok_or_else(conversation_not_found)?;
    attach(&mut c.tag_ids, &tag, false);
    ok(render::applied_tag(&t, sh.now(), admin.as_deref()))
}

fn ticket_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ticket_not_found",
        "Ticket not found",
    )
}

/// `POST /tickets/{id}/tags` with `{id, admin_id}`.
pub(crate) async fn tag_ticket(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let (tag, admin) = tag_id_body(&body)?;
    let mut ws = sh.lock()?;
    admin_required(&ws, &admin)?;
    let t = ws.tags.get(&tag).cloned().ok_or_else(tag_not_found)?;
    let c = ws.tickets.get_mut(&id).ok_or_else(ticket_not_found)?;
    attach(&mut c.tag_ids, &tag, true);
    ok(render::applied_tag(&t, sh.now(), admin.as_deref()))
}

/// `DELETE /tickets/{id}/tags/{tag_id}` with `{admin_id}`.
pub(crate) async fn untag_ticket(
    State(sh): St,
    Path((id, tag)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let admin = id_of(parse_body(&body)?.get("admin_id"));
    let mut ws = sh.lock()?;
    admin_required(&ws, &admin)?;
    let t = ws.tags.get(&tag).cloned().ok_or_else(tag_not_found)?;
    let c = ws.tickets.get_mut(&id).ok_or_else(ticket_not_found)?;
    attach(&mut c.tag_ids, &tag, false);
    ok(render::applied_tag(&t, sh.now(), admin.as_deref()))
}
