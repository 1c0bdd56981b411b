//! Tickets: create with `created_at` and `skip_notifications`, reply, update, get, delete,
//! search, and convert from a conversation.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::attributes::check_ticket_value;
use super::contacts::insert_contact;
use super::conversations::{created_at, reply_part};
use super::email::check_email;
use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{Deleted, IntercomState, Ticket, TicketType, id_of};
use super::search::{cursor_page, matches, search_request};
use super::ticket_types::type_not_found;
use super::{St, render};

fn ticket_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ticket_not_found",
        "Ticket not found",
    )
}

/// Validates `ticket_attributes` against the type; on create, required attributes must be set.
fn check_attributes(
    t: &TicketType,
    values: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    for (name, v) in values {
        let Some(a) = t.attributes.iter().find(|a| !a.archived && a.name == *name) else {
            return Err(ApiError::bad(format!(
                "Extra attributes provided that are not found on ticket type: {name}"
            ))
            .field(format!("ticket_attributes.{name}")));
        };
        check_ticket_value(&a.data_type, &a.list_items, name, v)?;
    }
    if creating {
        let missing: Vec<&str> = t
            .attributes
            .iter()
            .filter(|a| {
                !a.archived
                    && a.required_to_create
                    && values.get(&a.name).is_none_or(Value::is_null)
            })
            .map(|a| a.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(ApiError::bad(format!(
                "Missing required ticket attributes: {}",
                missing.join(", ")
            )));
        }
    }
    Ok(())
}

fn assignee_ids(ws: &IntercomState, assignment: Option<&Value>) -> Result<(i64, i64), ApiError> {
    let Some(a) = assignment else {
        return Ok((0, 0));
    };
    let admin = id_of(a.get("admin_assignee_id")).unwrap_or_else(|| "0".into());
    let team = id_of(a.get("team_assignee_id")).unwrap_or_else(|| "0".into());
    if admin != "0" && ws.admin(&admin).is_none()
        || team != "0" && !ws.teams.iter().any(|t| t.id == team)
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "assignee_not_found",
            "Assignee not found",
        ));
    }
    Ok((admin.parse().unwrap_or(0), team.parse().unwrap_or(0)))
}

/// `POST /tickets`: exactly one contact (`{id}`, `{external_id}` or `{email}`; an unknown e-mail
/// creates the contact, as Intercom does), typed attributes, `created_at` honoured.
pub(crate) async fn create(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let type_id =
        id_of(b.get("ticket_type_id")).ok_or_else(|| ApiError::missing("ticket_type_id"))?;
    let contacts = b
        .get("contacts")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::missing("contacts"))?;
    if contacts.len() != 1 {
        return Err(ApiError::bad(format!(
            "contacts must contain exactly one contact, got {}",
            contacts.len()
        ))
        .field("contacts"));
    }
    let values = b
        .get("ticket_attributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut ws = sh.lock()?;
    let now = sh.now();
    let t = ws
        .ticket_types
        .get(&type_id)
        .filter(|t| !t.archived)
        .ok_or_else(type_not_found)?;
    check_attributes(t, &values, true)?;
    let (admin, team) = assignee_ids(&ws, b.get("assignment"))?;
    let at = created_at(&b, now)?;
    let spec = &contacts[0];
    let contact = if let Some(id) = id_of(spec.get("id")) {
        ws.contacts
            .get(&id)
            .map(|c| c.id.clone())
            .ok_or_else(ApiError::user_not_found)?
    } else if let Some(ext) = id_of(spec.get("external_id")) {
        ws.contact_by_external_id(&ext)
            .map(|c| c.id.clone())
            .ok_or_else(ApiError::user_not_found)?
    } else if let Some(email) = spec.get("email").and_then(Value::as_str) {
        check_email("contacts[0].email", email)?;
        match ws.contact_by_email(email) {
            Some(c) => c.id.clone(),
            None => {
                let mut m = Map::new();
                m.insert("email".into(), Value::String(email.to_string()));
                let searchable = sh.clock.now_ms() + sh.config.searchable_delay_secs * 1000;
                insert_contact(&mut ws, &m, now, searchable, "ticket_email")?
            }
        }
    } else {
        return Err(ApiError::bad("contacts[0] needs id, external_id or email").field("contacts"));
    };
    let submitted = ws
        .ticket_states
        .iter()
        .find(|s| s.category == "submitted")
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let id = ws.next_id();
    ws.ticket_number += 1;
    let ticket = Ticket {
        id: id.clone(),
        ticket_id: ws.ticket_number.to_string(),
        ticket_type_id: type_id,
        contact_ids: vec![contact],
        ticket_attributes: values,
        ticket_state_id: submitted,
        previous_ticket_state_id: None,
        created_at: at,
        updated_at: at,
        open: true,
        snoozed_until: None,
        is_shared: false,
        admin_assignee_id: admin,
        team_assignee_id: team,
        parts: vec![],
        tag_ids: vec![],
        skip_notifications: b
            .get("skip_notifications")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        converted_from_conversation: None,
    };
    let out = render::ticket_deferred(&ws, &ticket, sh.config.max_parts_returned);
    ws.tickets.insert(id, ticket);
    drop(ws);
    out.respond()
}

/// `POST /tickets/{id}/reply` → the new `ticket_part`. Contacts cannot reply on Back-office tickets.
pub(crate) async fn reply(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let t = ws.tickets.get(&id).ok_or_else(ticket_not_found)?;
    let category = ws
        .ticket_types
        .get(&t.ticket_type_id)
        .map(|t| t.category.clone())
        .unwrap_or_default();
    if b.get("type").and_then(Value::as_str) == Some("user") && category == "Back-office" {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "parameter_mismatch",
            "User replies are not allowed on Backoffice tickets",
        ));
    }
    let part = reply_part(&mut ws, &b, sh.now())?;
    let out = render::part(&ws, &part, "ticket_part");
    let now = sh.now();
    let t = ws.tickets.get_mut(&id).ok_or_else(ticket_not_found)?;
    t.updated_at = now.max(part.created_at);
    t.parts.push(part);
    ok(out)
}

/// `PUT /tickets/{id}`.
pub(crate) async fn update(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let mut t = ws.tickets.get(&id).cloned().ok_or_else(ticket_not_found)?;
    if let Some(v) = b.get("ticket_attributes") {
        let values = v
            .as_object()
            .ok_or_else(|| ApiError::bad("ticket_attributes must be an object"))?;
        let tt = ws
            .ticket_types
            .get(&t.ticket_type_id)
            .ok_or_else(type_not_found)?;
        check_attributes(tt, values, false)?;
        for (k, v) in values {
            t.ticket_attributes.insert(k.clone(), v.clone());
        }
    }
    if let Some(state) = id_of(b.get("ticket_state_id")) {
        if !ws.ticket_states.iter().any(|s| s.id == state) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "ticket_state_id_invalid",
                "Ticket state id is not valid or is not associated with the ticket type",
            ));
        }
        if state != t.ticket_state_id {
            t.previous_ticket_state_id = Some(std::mem::replace(&mut t.ticket_state_id, state));
        }
    }
    if let Some(v) = b.get("open").and_then(Value::as_bool) {
        t.open = v;
        if !v {
            t.snoozed_until = None;
        }
    }
    if let Some(v) = b.get("snoozed_until") {
        t.snoozed_until = v.as_i64();
    }
    if let Some(v) = b.get("is_shared").and_then(Value::as_bool) {
        t.is_shared = v;
    }
    if let Some(a) = id_of(b.get("admin_id")) {
        ws.admin(&a).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "admin_not_found", "Admin not found")
        })?;
    }
    if let Some(target) = id_of(b.get("assignee_id")) {
        if target == "0" {
            t.admin_assignee_id = 0;
            t.team_assignee_id = 0;
        } else if ws.admin(&target).is_some() {
            t.admin_assignee_id = target.parse().unwrap_or(0);
        } else if ws.teams.iter().any(|x| x.id == target) {
            t.team_assignee_id = target.parse().unwrap_or(0);
        } else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "assignee_not_found",
                "Assignee not found",
            ));
        }
    }
    t.updated_at = sh.now();
    let out = render::ticket_deferred(&ws, &t, sh.config.max_parts_returned);
    ws.tickets.insert(id, t);
    drop(ws);
    out.respond()
}

/// `GET /tickets/{id}`.
pub(crate) async fn get_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let t = ws.tickets.get(&id).ok_or_else(ticket_not_found)?;
    let out = render::ticket_deferred(&ws, t, sh.config.max_parts_returned);
    drop(ws);
    out.respond()
}

/// `DELETE /tickets/{id}`: permanent.
pub(crate) async fn delete_one(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let mut ws = sh.lock()?;
    let t = ws.tickets.remove(&id).ok_or_else(ticket_not_found)?;
    let now = sh.now();
    let record = serde_json::to_value(&t).unwrap_or(Value::Null);
    ws.deleted.push(Deleted {
        kind: "ticket".into(),
        id: id.clone(),
        deleted_at: now,
        record,
    });
    ok(json!({ "id": id, "object": "ticket", "deleted": true }))
}

/// `POST /tickets/search` (body cursor, default 20).
pub(crate) async fn search(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let (query, per, after) = search_request(&b, 20)?;
    let ws = sh.lock()?;
    let mut hits = Vec::new();
    for t in ws.tickets.values() {
        let mut doc = render::ticket(&ws, t, 0);
        doc["ticket_type_id"] = json!(t.ticket_type_id);
        doc["contact_ids"] = json!(t.contact_ids);
        doc["ticket_state_id"] = json!(t.ticket_state_id);
        doc["custom_attributes"] = Value::Object(t.ticket_attributes.clone());
        if matches(&query, &doc, 0)? {
            hits.push(render::ticket(&ws, t, sh.config.max_parts_returned));
        }
    }
    let (data, pages) = cursor_page(&hits, per, after.as_deref())?;
    ok(json!({ "type": "ticket.list", "pages": pages, "total_count": hits.len(), "tickets": data }))
}

/// `POST /conversations/{id}/convert` with `ticket_type_id` (a Customer type), optional
/// `ticket_state_id` and `attributes`. The ticket keeps the conversation's id and parts.
pub(crate) async fn convert(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let type_id =
        id_of(b.get("ticket_type_id")).ok_or_else(|| ApiError::missing("ticket_type_id"))?;
    let values = b
        .get("attributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut ws = sh.lock()?;
    let c = ws
        .conversations
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Conversation not found"))?;
    let tt = ws
        .ticket_types
        .get(&type_id)
        .filter(|t| !t.archived)
        .ok_or_else(type_not_found)?;
    if tt.category != "Customer" {
        return Err(ApiError::bad("Ticket type is not a customer ticket type"));
    }
    check_attributes(tt, &values, false)?;
    let state = match id_of(b.get("ticket_state_id")) {
        Some(s) if ws.ticket_states.iter().any(|x| x.id == s) => s,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "ticket_state_id_invalid",
                "Ticket state id is not valid or is not associated with the ticket type",
            ));
        }
        None => ws
            .ticket_states
            .iter()
            .find(|s| s.category == "submitted")
            .map(|s| s.id.clone())
            .unwrap_or_default(),
    };
    if ws.tickets.contains_key(&id) {
        return Err(ApiError::bad(
            "This conversation has already been converted to a ticket",
        ));
    }
    ws.ticket_number += 1;
    let now = sh.now();
    let ticket = Ticket {
        id: id.clone(),
        ticket_id: ws.ticket_number.to_string(),
        ticket_type_id: type_id,
        contact_ids: c.contact_ids.clone(),
        ticket_attributes: values,
        ticket_state_id: state,
        previous_ticket_state_id: None,
        created_at: c.created_at,
        updated_at: now,
        open: c.state != "closed",
        snoozed_until: c.snoozed_until,
        is_shared: false,
        admin_assignee_id: c.admin_assignee_id,
        team_assignee_id: c.team_assignee_id,
        parts: c.parts.clone(),
        tag_ids: c.tag_ids.clone(),
        skip_notifications: false,
        converted_from_conversation: Some(id.clone()),
    };
    let out = render::ticket(&ws, &ticket, sh.config.max_parts_returned);
    ws.tickets.insert(id.clone(), ticket);
    if let Some(c) = ws.conversations.get_mut(&id) {
        c.ticket_id = Some(id);
    }
    ok(out)
}
