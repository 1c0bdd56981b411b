//! The checks that a custom value is written only to a defined, unarchived attribute of the
//! right type (contacts, conversations, tickets).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::errors::ApiError;
use super::model::IntercomState;

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
