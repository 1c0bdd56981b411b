//! `GET /tickets/list` (time windows, 100 per page, absolute `paging.next` URLs that reject
//! extra parameters and expire) and `GET /tickets/get/{id}` (with fresh attachment links).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{Months, NaiveDateTime};
use serde_json::{Value, json};

use super::auth::Department;
use super::files::presign;
use super::{INVALID, PageSet, Shared, message};

/// Parses `dd/MM/yyyy HH:mm:ss:ff` (UTC; `ff` = hundredths) to epoch milliseconds.
pub(crate) fn parse_list_time(s: &str) -> Option<i64> {
    let (main, centis) = s.trim().rsplit_once(':')?;
    if centis.len() != 2 {
        return None;
    }
    let centis: i64 = centis.parse().ok()?;
    let t = NaiveDateTime::parse_from_str(main, "%d/%m/%Y %H:%M:%S").ok()?;
    Some(t.and_utc().timestamp_millis() + centis * 10)
}

fn page_token(guid: &str, page: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{guid}:{page}"))
}

/// `GET /tickets/list`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(Department(dept)): Extension<Department>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let Ok(mut s) = shared.state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let now = shared.clock.now_ms();
    let page_size = shared.config.page_size.max(1);
    let (guid, page_no) = if let Some(page) = get("page") {
        // A page URL must be requested verbatim: no other parameter is allowed next to `page`.
        if params.len() != 1 {
            return message(StatusCode::BAD_REQUEST, INVALID);
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(page)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let Some((guid, no)) = decoded.as_deref().and_then(|d| d.rsplit_once(':')) else {
            return message(StatusCode::BAD_REQUEST, INVALID);
        };
        let Ok(no) = no.parse::<usize>() else {
            return message(StatusCode::BAD_REQUEST, INVALID);
        };
        match s.pages.get(guid) {
            Some(set) if set.department == dept => {
                if now > set.created_ms + shared.config.page_token_ttl_secs * 1000 {
                    return message(StatusCode::BAD_REQUEST, "The paging token has expired.");
                }
            }
            _ => return message(StatusCode::BAD_REQUEST, INVALID),
        }
        (guid.to_string(), no.max(1))
    } else {
        let (Some(since), Some(until)) = (
            get("since").and_then(parse_list_time),
            get("until").and_then(parse_list_time),
        ) else {
            return message(StatusCode::BAD_REQUEST, INVALID);
        };
        let since_dt = chrono::DateTime::from_timestamp_millis(since).unwrap_or_default();
        let Some(limit) = since_dt.checked_add_months(Months::new(1)) else {
            return message(StatusCode::BAD_REQUEST, INVALID);
        };
        if until <= since || until > limit.timestamp_millis() {
            return message(StatusCode::BAD_REQUEST, INVALID);
        }
        let states: Option<Vec<String>> = get("ticketState").map(|v| {
            v.split(',')
                .map(|x| x.trim().to_ascii_lowercase())
                .collect()
        });
        let descending = match get("sortOrder").map(str::to_ascii_uppercase).as_deref() {
            None | Some("ASC") => false,
            Some("DESC") => true,
            Some(_) => return message(StatusCode::BAD_REQUEST, INVALID),
        };
        let mut hits: Vec<(i64, i64)> = s
            .tickets
            .iter()
            .filter(|(_, t)| t.department == dept)
            .filter(|(_, t)| t.times_ms.iter().any(|&m| m >= since && m < until))
            .filter(|(_, t)| {
                states
                    .as_ref()
                    .is_none_or(|st| st.contains(&t.state.to_ascii_lowercase()))
            })
            .map(|(id, t)| (t.open_ms, *id))
            .collect();
        hits.sort_unstable();
        if descending {
            hits.reverse();
        }
        // Forget long-expired page sets (kept 2 TTLs to still say "expired") so memory stays flat.
        let ttl_ms = shared.config.page_token_ttl_secs * 1000;
        s.pages.retain(|_, p| now <= p.created_ms + 2 * ttl_ms);
        s.sequence += 1;
        let guid =
            uuid::Uuid::from_u64_pair(0x5a4d_b0c5_0000_4000, 0x8000_0000_0000_0000 | s.sequence)
                .to_string();
        s.pages.insert(
            guid.clone(),
            PageSet {
                department: dept.clone(),
                ids: hits.into_iter().map(|(_, id)| id).collect(),
                created_ms: now,
            },
        );
        (guid, 1)
    };
    let Some(set) = s.pages.get(&guid) else {
        return message(StatusCode::BAD_REQUEST, INVALID);
    };
    // The page number comes from the client's URL: saturate instead of overflowing on a forged one.
    let start = (page_no - 1).saturating_mul(page_size);
    let tickets: Vec<Value> = set
        .ids
        .iter()
        .skip(start)
        .take(page_size)
        .filter_map(|id| s.tickets.get(id))
        .map(|t| {
            let mut j = t.json.clone();
            if let Some(o) = j.as_object_mut() {
                o.remove("transactions");
            }
            j
        })
        .collect();
    let paging = if set.ids.len() > start.saturating_add(page_size) {
        json!({ "next": format!("{}/tickets/list?page={}", shared.api_base(), page_token(&guid, page_no + 1)) })
    } else {
        json!({})
    };
    axum::Json(json!({ "tickets": tickets, "paging": paging })).into_response()
}

/// `GET /tickets/get/{id}`: the full ticket with `transactions`, attachment links re-signed now.
pub(crate) async fn get_ticket(
    State(shared): State<Arc<Shared>>,
    Extension(Department(dept)): Extension<Department>,
    Path(id): Path<String>,
) -> Response {
    let Ok(s) = shared.state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let ticket = id
        .parse::<i64>()
        .ok()
        .and_then(|id| s.tickets.get(&id))
        .filter(|t| t.department == dept);
    let Some(ticket) = ticket else {
        return message(StatusCode::NOT_FOUND, "Ticket not found.");
    };
    let mut json = ticket.json.clone();
    drop(s);
    let now = shared.clock.now_ms();
    let ttl = shared.config.link_ttl_secs;
    if let Some(transactions) = json.get_mut("transactions").and_then(Value::as_array_mut) {
        for tr in transactions {
            for a in tr
                .get_mut("attachments")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(f) = a
                    .get("fileIdentifier")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                {
                    a["uri"] = Value::String(presign(&shared.server_url, &f, now, ttl));
                }
                let thumbs: Vec<Value> = a
                    .get("thumbnailsFileIdentifiers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|f| Value::String(presign(&shared.server_url, f, now, ttl)))
                    .collect();
                if !thumbs.is_empty() {
                    a["thumbnails"] = Value::Array(thumbs);
                }
            }
        }
    }
    axum::Json(json).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_time_format() {
        let ms = parse_list_time("01/07/2023 00:00:00:50").unwrap();
        assert_eq!(ms % 1000, 500);
        assert!(parse_list_time("2023-07-01").is_none());
        assert!(parse_list_time("01/07/2023 00:00:00").is_none());
    }
}
