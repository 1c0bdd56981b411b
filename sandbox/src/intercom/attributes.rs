//! Data attributes (contact/company), conversation attributes (2.16) and the checks that a
//! custom value is written only to a defined, unarchived attribute of the right type.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{ConversationAttribute, DataAttribute, IntercomState, ListOption};
use super::search::query_map;
use super::{St, render};

const DATA_TYPES: &[&str] = &[
    "string", "integer", "float", "boolean", "date", "datetime", "options",
];
const CONV_TYPES: &[&str] = &[
    "string",
    "integer",
    "list",
    "decimal",
    "boolean",
    "datetime",
    "relationship",
    "files",
];

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn type_error(name: &str, expected: &str, got: &Value) -> ApiError {
    ApiError::bad(format!(
        "Custom attribute '{name}' is of type {expected}; got {} ({got}). Send a value of the attribute's type.",
        describe(got)
    ))
    .field(format!("custom_attributes.{name}"))
}

/// Checks a value against a scalar data type shared by all three attribute kinds.
fn scalar_ok(data_type: &str, v: &Value) -> Option<bool> {
    Some(match data_type {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "float" | "decimal" => v.is_number(),
        "boolean" => v.is_boolean(),
        // Dates are integer Unix seconds on the wire.
        "date" | "datetime" => v.is_i64() || v.is_u64(),
        _ => return None,
    })
}

/// Contact `custom_attributes`: every key must be a defined, unarchived custom contact
/// attribute and every value of its type (`null` clears).
pub(crate) fn check_contact_values(
    ws: &IntercomState,
    values: &Map<String, Value>,
) -> Result<(), ApiError> {
    for (name, v) in values {
        let attr = ws
            .data_attributes
            .iter()
            .find(|a| a.model == "contact" && a.custom && !a.archived && a.name == *name);
        let Some(attr) = attr else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "parameter_not_found",
                format!("Custom attribute '{name}' does not exist. Create it with POST /data_attributes (model contact) first."),
            )
            .field(format!("custom_attributes.{name}")));
        };
        if v.is_null() {
            continue;
        }
        let fine = match attr.data_type.as_str() {
            "options" => v
                .as_str()
                .is_some_and(|s| attr.options.iter().any(|o| o == s)),
            t => scalar_ok(t, v).unwrap_or(true),
        };
        if !fine {
            let expected = if attr.data_type == "options" {
                format!("options {:?}", attr.options)
            } else {
                attr.data_type.clone()
            };
            return Err(type_error(name, &expected, v));
        }
    }
    Ok(())
}

/// Conversation `custom_attributes`: defined, unarchived conversation attributes; list values
/// are an option label or id.
pub(crate) fn check_conversation_values(
    ws: &IntercomState,
    values: &Map<String, Value>,
) -> Result<(), ApiError> {
    for (name, v) in values {
        let Some(attr) = ws
            .conversation_attributes
            .iter()
            .find(|a| !a.archived && a.name == *name)
        else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "parameter_not_found",
                format!("Conversation attribute '{name}' does not exist. Create it with POST /conversations/attributes first."),
            )
            .field(format!("custom_attributes.{name}")));
        };
        if v.is_null() {
            continue;
        }
        let fine = match attr.data_type.as_str() {
            "list" => v.as_str().is_some_and(|s| {
                attr.options
                    .iter()
                    .any(|o| !o.archived && (o.label == s || o.id == s))
            }),
            t => scalar_ok(t, v).unwrap_or(true),
        };
        if !fine {
            let expected = if attr.data_type == "list" {
                format!(
                    "list {:?}",
                    attr.options
                        .iter()
                        .filter(|o| !o.archived)
                        .map(|o| o.label.as_str())
                        .collect::<Vec<_>>()
                )
            } else {
                attr.data_type.clone()
            };
            return Err(type_error(name, &expected, v));
        }
    }
    Ok(())
}

/// Ticket attribute value check (ticket types hold the definitions).
pub(crate) fn check_ticket_value(
    data_type: &str,
    list_items: &[(String, String)],
    name: &str,
    v: &Value,
) -> Result<(), ApiError> {
    if v.is_null() {
        return Ok(());
    }
    let fine = match data_type {
        "list" => v
            .as_str()
            .is_some_and(|s| list_items.iter().any(|(id, _)| id == s)),
        "files" => v.is_array(),
        t => scalar_ok(t, v).unwrap_or(true),
    };
    if fine {
        return Ok(());
    }
    let expected = if data_type == "list" {
        format!(
            "list (send the item id: {:?})",
            list_items
                .iter()
                .map(|(id, label)| format!("{id} = {label}"))
                .collect::<Vec<_>>()
        )
    } else {
        data_type.to_string()
    };
    Err(ApiError::bad(format!(
        "Ticket attribute '{name}' is of type {expected}; got {} ({v})",
        describe(v)
    ))
    .field(format!("ticket_attributes.{name}")))
}

fn valid_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '-' || c == '_')
}

/// `GET /data_attributes?model=&include_archived=`.
pub(crate) async fn list_data(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let q = query_map(q);
    let model = q.get("model").and_then(Value::as_str);
    if model == Some("conversation") {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            "model=conversation is no longer supported. Use GET /conversations/attributes instead",
        ));
    }
    let archived = q.get("include_archived").and_then(Value::as_str) == Some("true");
    let ws = sh.lock()?;
    let data: Vec<Value> = ws
        .data_attributes
        .iter()
        .filter(|a| model.is_none_or(|m| a.model == m) && (archived || !a.archived))
        .map(render::data_attribute)
        .collect();
    ok(json!({ "type": "list", "data": data }))
}

/// `POST /data_attributes`.
pub(crate) async fn create_data(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("name"))?;
    let model = b
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("model"))?;
    let data_type = b
        .get("data_type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("data_type"))?;
    if model != "contact" && model != "company" {
        return Err(ApiError::bad(
            "The Data Attribute model field must be either contact or company",
        )
        .field("model"));
    }
    if !DATA_TYPES.contains(&data_type) {
        return Err(ApiError::bad("Data Type isn't an option").field("data_type"));
    }
    if !valid_name(name) {
        return Err(ApiError::bad("Your name for this attribute must only contain alphanumeric characters, currency symbols, and hyphens").field("name"));
    }
    let options: Vec<String> = b
        .get("options")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| o.get("value").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if data_type == "options" && options.len() < 2 {
        return Err(ApiError::bad(
            "An options attribute needs at least 2 options: [{\"value\": ...}, ...]",
        )
        .field("options"));
    }
    let mut ws = sh.lock()?;
    if ws
        .data_attributes
        .iter()
        .any(|a| a.model == model && a.name.eq_ignore_ascii_case(name))
    {
        return Err(ApiError::bad(format!("You already have '{name}' in your {model} data. To save this as new {model} data, use a different name.")).field("name"));
    }
    let now = sh.now();
    let attr = DataAttribute {
        id: ws.data_attributes.iter().map(|a| a.id).max().unwrap_or(0) + 1,
        model: model.to_string(),
        name: name.to_string(),
        data_type: data_type.to_string(),
        options,
        description: b
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        messenger_writable: b
            .get("messenger_writable")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        custom: true,
        archived: false,
        created_at: now,
        updated_at: now,
    };
    let out = render::data_attribute(&attr);
    ws.data_attributes.push(attr);
    ok(out)
}

/// `PUT /data_attributes/{id}`: archive, description, messenger_writable, options; never the type.
pub(crate) async fn update_data(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let now = sh.now();
    let attr = ws
        .data_attributes
        .iter_mut()
        .find(|a| a.custom && a.id.to_string() == id)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "field_not_found",
                "We couldn't find that data attribute to update",
            )
        })?;
    if let Some(t) = b.get("data_type").and_then(Value::as_str) {
        if t != attr.data_type {
            return Err(ApiError::bad(
                "The data type of an attribute cannot be changed through the API",
            )
            .field("data_type"));
        }
    }
    if let Some(a) = b.get("archived").and_then(Value::as_bool) {
        attr.archived = a;
    }
    if let Some(d) = b.get("description").and_then(Value::as_str) {
        attr.description = Some(d.to_string());
    }
    if let Some(m) = b.get("messenger_writable").and_then(Value::as_bool) {
        attr.messenger_writable = m;
    }
    if let Some(o) = b.get("options") {
        let list = o
            .as_array()
            .ok_or_else(|| ApiError::bad("Options isn't an array").field("options"))?;
        attr.options = list
            .iter()
            .filter_map(|o| o.get("value").and_then(Value::as_str).map(str::to_string))
            .collect();
    }
    attr.updated_at = now;
    ok(render::data_attribute(attr))
}

/// `GET /conversations/attributes?include_archived=`.
pub(crate) async fn list_conv(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let archived = query_map(q).get("include_archived").and_then(Value::as_str) == Some("true");
    let ws = sh.lock()?;
    let data: Vec<Value> = ws
        .conversation_attributes
        .iter()
        .filter(|a| archived || !a.archived)
        .map(render::conversation_attribute)
        .collect();
    ok(json!({ "type": "list", "data": data }))
}

fn conv_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "conversation_attribute_not_found",
        "Conversation attribute not found",
    )
}

/// `GET /conversations/attributes/{id}`.
pub(crate) async fn get_conv(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let a = ws
        .conversation_attributes
        .iter()
        .find(|a| a.id.to_string() == id)
        .ok_or_else(conv_not_found)?;
    ok(render::conversation_attribute(a))
}

fn option_id(ws: &mut IntercomState) -> String {
    ws.sequence += 1;
    uuid::Uuid::from_u64_pair(0x0a77_0000_0000_4000, 0x8000_0000_0000_0000 | ws.sequence)
        .to_string()
}

/// `POST /conversations/attributes`.
pub(crate) async fn create_conv(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("name"))?;
    let data_type = b
        .get("data_type")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("data_type"))?;
    if !CONV_TYPES.contains(&data_type) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            format!(
                "data_type '{data_type}' is not valid. Allowed types: {}",
                CONV_TYPES.join(", ")
            ),
        ));
    }
    let mut ws = sh.lock()?;
    if ws
        .conversation_attributes
        .iter()
        .any(|a| !a.archived && a.name.eq_ignore_ascii_case(name))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETER",
            format!("A conversation attribute named '{name}' already exists"),
        )
        .field("name"));
    }
    let labels: Vec<String> = b
        .get("options")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| o.get("label").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let options = labels
        .into_iter()
        .map(|label| ListOption {
            id: option_id(&mut ws),
            label,
            archived: false,
        })
        .collect();
    let now = sh.now();
    let attr = ConversationAttribute {
        id: ws
            .conversation_attributes
            .iter()
            .map(|a| a.id)
            .max()
            .unwrap_or(0)
            + 1,
        name: name.to_string(),
        data_type: data_type.to_string(),
        description: b
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
        multiline: b.get("multiline").and_then(Value::as_bool).unwrap_or(false),
        options,
        archived: false,
        created_at: now,
        updated_at: now,
    };
    let out = render::conversation_attribute(&attr);
    ws.conversation_attributes.push(attr);
    ok(out)
}

/// `PUT /conversations/attributes/{id}`.
pub(crate) async fn update_conv(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let now = sh.now();
    let a = ws
        .conversation_attributes
        .iter_mut()
        .find(|a| a.id.to_string() == id)
        .ok_or_else(conv_not_found)?;
    if b.get("data_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t != a.data_type)
    {
        return Err(
            ApiError::bad("The data type of an attribute cannot be changed").field("data_type"),
        );
    }
    if let Some(v) = b.get("description").and_then(Value::as_str) {
        a.description = v.to_string();
    }
    if let Some(v) = b.get("required").and_then(Value::as_bool) {
        a.required = v;
    }
    if let Some(v) = b.get("multiline").and_then(Value::as_bool) {
        a.multiline = v;
    }
    if let Some(v) = b.get("archived").and_then(Value::as_bool) {
        a.archived = v;
    }
    if let Some(v) = b.get("name").and_then(Value::as_str) {
        a.name = v.to_string();
    }
    a.updated_at = now;
    ok(render::conversation_attribute(a))
}

/// `DELETE /conversations/attributes/{id}`: archives (soft delete).
pub(crate) async fn archive_conv(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let mut ws = sh.lock()?;
    let now = sh.now();
    let a = ws
        .conversation_attributes
        .iter_mut()
        .find(|a| a.id.to_string() == id)
        .ok_or_else(conv_not_found)?;
    a.archived = true;
    a.updated_at = now;
    ok(render::conversation_attribute(a))
}

fn list_attr<'a>(
    ws: &'a mut IntercomState,
    id: &str,
) -> Result<&'a mut ConversationAttribute, ApiError> {
    let a = ws
        .conversation_attributes
        .iter_mut()
        .find(|a| a.id.to_string() == id)
        .ok_or_else(conv_not_found)?;
    if a.data_type != "list" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            "Options can only be managed on list attributes",
        ));
    }
    Ok(a)
}

fn label_of(b: &Map<String, Value>) -> Result<String, ApiError> {
    if b.keys().any(|k| k != "label") {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            "only 'label' is accepted",
        ));
    }
    match b.get("label") {
        None => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            "label is required",
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            "label must be a string",
        )),
    }
}

/// `POST /conversations/attributes/{id}/options`.
pub(crate) async fn add_option(State(sh): St, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let label = label_of(&parse_body(&body)?)?;
    let mut ws = sh.lock()?;
    let oid = option_id(&mut ws);
    let a = list_attr(&mut ws, &id)?;
    a.options.push(ListOption {
        id: oid,
        label,
        archived: false,
    });
    ok(render::conversation_attribute(a))
}

/// `PUT /conversations/attributes/{id}/options/{option_id}`.
pub(crate) async fn update_option(
    State(sh): St,
    Path((id, option)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let label = label_of(&parse_body(&body)?)?;
    let mut ws = sh.lock()?;
    let a = list_attr(&mut ws, &id)?;
    let o = a
        .options
        .iter_mut()
        .find(|o| o.id == option)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "conversation_attribute_not_found",
                "List option not found",
            )
        })?;
    o.label = label;
    ok(render::conversation_attribute(a))
}

/// `DELETE /conversations/attributes/{id}/options/{option_id}`: archives the option.
pub(crate) async fn archive_option(
    State(sh): St,
    Path((id, option)): Path<(String, String)>,
) -> ApiResult {
    let mut ws = sh.lock()?;
    let a = list_attr(&mut ws, &id)?;
    if a.options
        .iter()
        .filter(|o| !o.archived && o.id != option)
        .count()
        < 2
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "parameter_invalid",
            "A list attribute must have at least 2 active options",
        ));
    }
    let o = a
        .options
        .iter_mut()
        .find(|o| o.id == option)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "conversation_attribute_not_found",
                "List option not found",
            )
        })?;
    o.archived = true;
    ok(render::conversation_attribute(a))
}
