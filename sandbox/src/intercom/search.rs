//! Search queries (`{field, operator, value}` or `{operator: AND|OR, value: [...]}`) and the
//! three pagination styles.

use base64::Engine;
use serde_json::{Map, Value, json};

use super::errors::ApiError;

const MAX_PER_PAGE: u64 = 150;

/// Looks a dotted field up: `custom_attributes.<name>` splits once; other dots descend.
fn lookup<'a>(doc: &'a Value, field: &str) -> Option<&'a Value> {
    if let Some(name) = field.strip_prefix("custom_attributes.") {
        return doc.get("custom_attributes")?.get(name);
    }
    field.split('.').try_fold(doc, |v, k| v.get(k))
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(items), _) => items.iter().any(|i| equal(i, b)),
        (Value::Null, Value::Null) => true,
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => match (as_text(a), as_text(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// Whether `doc` satisfies `query`. `depth` counts nesting levels (at most 2 below the top).
pub(crate) fn matches(query: &Value, doc: &Value, depth: usize) -> Result<bool, ApiError> {
    let op = query
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("query.operator"))?;
    if op == "AND" || op == "OR" {
        if depth > 2 {
            return Err(ApiError::bad(
                "Search queries support at most 2 levels of nesting",
            ));
        }
        let items = query
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::bad("A group query needs a value array"))?;
        if items.len() > 15 {
            return Err(ApiError::bad("A search group supports at most 15 filters"));
        }
        let mut results = Vec::with_capacity(items.len());
        for q in items {
            results.push(matches(q, doc, depth + 1)?);
        }
        return Ok(if op == "AND" {
            results.iter().all(|b| *b)
        } else {
            results.iter().any(|b| *b)
        });
    }
    let field = query
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("query.field"))?;
    let want = query.get("value").unwrap_or(&Value::Null);
    let have = lookup(doc, field).unwrap_or(&Value::Null);
    let text = |v: &Value| as_text(v).unwrap_or_default();
    Ok(match op {
        "=" => equal(have, want),
        "!=" => !equal(have, want),
        "IN" => want
            .as_array()
            .ok_or_else(|| ApiError::bad("IN needs an array value"))?
            .iter()
            .any(|w| equal(have, w)),
        "NIN" => !want
            .as_array()
            .ok_or_else(|| ApiError::bad("NIN needs an array value"))?
            .iter()
            .any(|w| equal(have, w)),
        "<" | ">" | "<=" | ">=" => match (number(have), number(want)) {
            (Some(h), Some(w)) => match op {
                "<" => h < w,
                ">" => h > w,
                "<=" => h <= w,
                _ => h >= w,
            },
            _ => false,
        },
        "~" => text(have).contains(&text(want)),
        "!~" => !text(have).contains(&text(want)),
        "^" => text(have).starts_with(&text(want)),
        "$" => text(have).ends_with(&text(want)),
        other => {
            return Err(
                ApiError::bad(format!("Operator '{other}' is not supported"))
                    .field("query.operator"),
            );
        }
    })
}

fn encode_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

fn decode_cursor(c: &str) -> Result<usize, ApiError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            ApiError::bad("starting_after is not a valid cursor").field("starting_after")
        })
}

/// Validated `per_page` (default `default`, max 150).
pub(crate) fn per_page(v: Option<&Value>, default: u64) -> Result<usize, ApiError> {
    let n = match v {
        None | Some(Value::Null) => default,
        Some(v) => number(v)
            .filter(|n| *n >= 1.0 && n.fract() == 0.0)
            .map(|n| n as u64)
            .ok_or_else(|| {
                ApiError::bad("per_page must be a positive integer").field("per_page")
            })?,
    };
    if n > MAX_PER_PAGE {
        return Err(
            ApiError::bad(format!("per_page must be at most {MAX_PER_PAGE}")).field("per_page"),
        );
    }
    Ok(n as usize)
}

/// Cursor pagination (query or body): returns the page and the `pages` object.
pub(crate) fn cursor_page<T: Clone>(
    items: &[T],
    per_page: usize,
    starting_after: Option<&str>,
) -> Result<(Vec<T>, Value), ApiError> {
    let offset = starting_after
        .filter(|s| !s.is_empty())
        .map(decode_cursor)
        .transpose()?
        .unwrap_or(0);
    let page: Vec<T> = items.iter().skip(offset).take(per_page).cloned().collect();
    let total_pages = items.len().div_ceil(per_page);
    let mut pages = json!({ "type": "pages", "page": (offset / per_page).saturating_add(1), "per_page": per_page, "total_pages": total_pages });
    if offset.saturating_add(per_page) < items.len() {
        pages["next"] =
            json!({ "per_page": per_page, "starting_after": encode_cursor(offset + per_page) });
    }
    Ok((page, pages))
}

/// Page-number pagination: `page` (1-based) and `per_page`.
pub(crate) fn numbered_page<T: Clone>(
    items: &[T],
    query: &Map<String, Value>,
    default: u64,
) -> Result<(Vec<T>, Value), ApiError> {
    let per_page = per_page(query.get("per_page"), default)?;
    let page = match query.get("page") {
        None => 1,
        Some(v) => number(v)
            .filter(|n| *n >= 1.0)
            .map(|n| n as usize)
            .ok_or_else(|| ApiError::bad("page must be a positive integer").field("page"))?,
    };
    let data: Vec<T> = items
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .cloned()
        .collect();
    let pages = json!({ "type": "pages", "page": page, "per_page": per_page, "total_pages": items.len().div_ceil(per_page) });
    Ok((data, pages))
}

/// Reads `query` and `pagination` of a search body.
pub(crate) fn search_request(
    body: &Map<String, Value>,
    default_per_page: u64,
) -> Result<(Value, usize, Option<String>), ApiError> {
    let query = body
        .get("query")
        .cloned()
        .ok_or_else(|| ApiError::missing("query"))?;
    let pagination = body.get("pagination");
    let per = per_page(pagination.and_then(|p| p.get("per_page")), default_per_page)?;
    let after = pagination
        .and_then(|p| p.get("starting_after"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((query, per, after))
}

/// Query-string parameters as JSON strings.
pub(crate) fn query_map(raw: Option<String>) -> Map<String, Value> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}
