//! Conversation attributes (2.16): list, get, create, update, archive (DELETE archives) and
//! list options.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{ConversationAttribute, IntercomState, ListOption};
use super::search::query_map;
use super::{St, render};

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
