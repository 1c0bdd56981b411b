//! Ticket types (with their attributes; archive only, no DELETE) and ticket states (read-only).

use axum::body::Bytes;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{IntercomState, TicketType, TicketTypeAttribute};
use super::{St, render};

const CATEGORIES: &[&str] = &["Customer", "Back-office", "Tracker"];
const TICKET_ATTR_TYPES: &[&str] = &[
    "string", "list", "integer", "decimal", "boolean", "datetime", "files",
];

pub(crate) fn type_not_found() -> ApiError {
    ApiError::not_found("Ticket type not found")
}

/// `GET /ticket_states`.
pub(crate) async fn list_states(State(sh): St) -> ApiResult {
    let ws = sh.lock()?;
    ok(
        json!({ "type": "list", "data": ws.ticket_states.iter().map(render::ticket_state).collect::<Vec<_>>() }),
    )
}

/// `GET /ticket_types`.
pub(crate) async fn list_types(State(sh): St) -> ApiResult {
    let ws = sh.lock()?;
    ok(
        json!({ "type": "list", "data": ws.ticket_types.values().map(|t| render::ticket_type(&ws, t)).collect::<Vec<_>>() }),
    )
}

/// `GET /ticket_types/{id}`.
pub(crate) async fn get_type(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    ok(render::ticket_type(
        &ws,
        ws.ticket_types.get(&id).ok_or_else(type_not_found)?,
    ))
}

fn default_attribute(id: String, name: &str, order: i64, now: i64) -> TicketTypeAttribute {
    TicketTypeAttribute {
        id,
        name: name.to_string(),
        description: String::new(),
        data_type: "string".into(),
        list_items: vec![],
        required_to_create: false,
        required_to_create_for_contacts: false,
        visible_on_create: true,
        visible_to_contacts: true,
        multiline: order == 1,
        default: true,
        order,
        archived: false,
        created_at: now,
    }
}

fn apply_type(t: &mut TicketType, b: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(c) = b.get("category").and_then(Value::as_str) {
        if !CATEGORIES.contains(&c) {
            return Err(ApiError::bad(format!(
                "category must be one of {CATEGORIES:?}, got '{c}'"
            ))
            .field("category"));
        }
        t.category = c.to_string();
    }
    if let Some(v) = b.get("name").and_then(Value::as_str) {
        t.name = v.to_string();
    }
    if let Some(v) = b.get("description").and_then(Value::as_str) {
        t.description = v.to_string();
    }
    if let Some(v) = b.get("icon").and_then(Value::as_str) {
        t.icon = v.to_string();
    }
    if let Some(v) = b.get("is_internal").and_then(Value::as_bool) {
        t.is_internal = v;
    }
    Ok(())
}

/// `POST /ticket_types`: gets `_default_title_` and `_default_description_` automatically.
pub(crate) async fn create_type(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("name"))?;
    let mut ws = sh.lock()?;
    if ws
        .ticket_types
        .values()
        .any(|t| !t.archived && t.name.eq_ignore_ascii_case(name))
    {
        return Err(
            ApiError::bad(format!("A ticket type named '{name}' already exists")).field("name"),
        );
    }
    let now = sh.now();
    let id = ws.next_id();
    let (a, d) = (ws.next_id(), ws.next_id());
    let mut t = TicketType {
        id: id.clone(),
        name: name.to_string(),
        description: String::new(),
        icon: "🎟️".into(),
        category: "Customer".into(),
        is_internal: false,
        archived: false,
        attributes: vec![
            default_attribute(a, "_default_title_", 0, now),
            default_attribute(d, "_default_description_", 1, now),
        ],
        created_at: now,
        updated_at: now,
    };
    apply_type(&mut t, &b)?;
    let out = render::ticket_type(&ws, &t);
    ws.ticket_types.insert(id, t);
    ok(out)
}

/// `PUT /ticket_types/{id}`: same fields plus `archived` (there is no DELETE).
pub(crate) async fn update_type(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let now = sh.now();
    let t = ws.ticket_types.get_mut(&id).ok_or_else(type_not_found)?;
    apply_type(t, &b)?;
    if let Some(v) = b.get("archived").and_then(Value::as_bool) {
        t.archived = v;
    }
    t.updated_at = now;
    let t = ws.ticket_types.get(&id).ok_or_else(type_not_found)?;
    ok(render::ticket_type(&ws, t))
}

fn apply_attribute(
    ws: &mut IntercomState,
    a: &mut TicketTypeAttribute,
    b: &Map<String, Value>,
) -> Result<(), ApiError> {
    let flag = |k: &str, cur: bool| b.get(k).and_then(Value::as_bool).unwrap_or(cur);
    a.required_to_create = flag("required_to_create", a.required_to_create);
    a.required_to_create_for_contacts = flag(
        "required_to_create_for_contacts",
        a.required_to_create_for_contacts,
    );
    a.visible_on_create = flag("visible_on_create", a.visible_on_create);
    a.visible_to_contacts = flag("visible_to_contacts", a.visible_to_contacts);
    a.multiline = flag("multiline", a.multiline);
    a.archived = flag("archived", a.archived);
    if let Some(v) = b.get("description").and_then(Value::as_str) {
        a.description = v.to_string();
    }
    if let Some(v) = b.get("name").and_then(Value::as_str) {
        a.name = v.to_string();
    }
    if let Some(items) = b.get("list_items") {
        let items = items.as_str().ok_or_else(|| {
            ApiError::bad("list_items must be a comma-separated string").field("list_items")
        })?;
        let mut list = Vec::new();
        for label in items.split(',').map(str::trim).filter(|l| !l.is_empty()) {
            let existing = a
                .list_items
                .iter()
                .find(|(_, l)| l == label)
                .map(|(id, _)| id.clone());
            let id = existing.unwrap_or_else(|| {
                ws.sequence += 1;
                uuid::Uuid::from_u64_pair(
                    0x7171_0000_0000_4000,
                    0x8000_0000_0000_0000 | ws.sequence,
                )
                .to_string()
            });
            list.push((id, label.to_string()));
        }
        a.list_items = list;
    }
    Ok(())
}

/// `POST /ticket_types/{id}/attributes`.
pub(crate) async fn create_type_attribute(
    State(sh): St,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let b = parse_body(&body)?;
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("name"))?;
    let description = b
        .get("description")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("description"))?;
    let data_type = b
        .get("data_type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("data_type"))?;
    if !TICKET_ATTR_TYPES.contains(&data_type) {
        return Err(
            ApiError::bad(format!("data_type must be one of {TICKET_ATTR_TYPES:?}"))
                .field("data_type"),
        );
    }
    let mut ws = sh.lock()?;
    let now = sh.now();
    let t = ws.ticket_types.get(&id).ok_or_else(type_not_found)?;
    if t.attributes
        .iter()
        .any(|a| !a.archived && a.name.eq_ignore_ascii_case(name))
    {
        return Err(ApiError::bad(format!(
            "Ticket type attribute '{name}' already exists on this ticket type"
        ))
        .field("name"));
    }
    let order = t.attributes.len() as i64;
    let attr_id = ws.next_id();
    let mut a = TicketTypeAttribute {
        id: attr_id,
        name: name.to_string(),
        description: description.to_string(),
        data_type: data_type.to_string(),
        list_items: vec![],
        required_to_create: false,
        required_to_create_for_contacts: false,
        visible_on_create: true,
        visible_to_contacts: true,
        multiline: false,
        default: false,
        order,
        archived: false,
        created_at: now,
    };
    apply_attribute(&mut ws, &mut a, &b)?;
    if data_type == "list" && a.list_items.is_empty() {
        return Err(
            ApiError::bad("A list attribute needs list_items (comma-separated labels)")
                .field("list_items"),
        );
    }
    let t = ws.ticket_types.get_mut(&id).ok_or_else(type_not_found)?;
    t.attributes.push(a.clone());
    t.updated_at = now;
    let t = ws.ticket_types.get(&id).ok_or_else(type_not_found)?;
    ok(render::ticket_type_attribute(t, &a))
}

/// `PUT /ticket_types/{id}/attributes/{attribute_id}` (archive with `archived: true`).
pub(crate) async fn update_type_attribute(
    State(sh): St,
    Path((id, attr)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let t = ws.ticket_types.get(&id).ok_or_else(type_not_found)?;
    let mut a = t
        .attributes
        .iter()
        .find(|a| a.id == attr)
        .cloned()
        .ok_or_else(|| ApiError::not_found("Ticket type attribute not found"))?;
    if b.get("data_type")
        .and_then(Value::as_str)
        .is_some_and(|d| d != a.data_type)
    {
        return Err(
            ApiError::bad("The data type of a ticket type attribute cannot be changed")
                .field("data_type"),
        );
    }
    apply_attribute(&mut ws, &mut a, &b)?;
    let t = ws.ticket_types.get_mut(&id).ok_or_else(type_not_found)?;
    if let Some(slot) = t.attributes.iter_mut().find(|x| x.id == attr) {
        *slot = a.clone();
    }
    let t = ws.ticket_types.get(&id).ok_or_else(type_not_found)?;
    ok(render::ticket_type_attribute(t, &a))
}
