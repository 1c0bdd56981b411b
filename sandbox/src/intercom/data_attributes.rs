//! Data attributes (contact and company custom fields): list, create, update/archive (no DELETE).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::DataAttribute;
use super::search::query_map;
use super::{St, render};

const DATA_TYPES: &[&str] = &[
    "string", "integer", "float", "boolean", "date", "datetime", "options",
];
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
