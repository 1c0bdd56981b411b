//! Attachment downloads behind expiring presigned-style links on the same fake server.
//!
//! Assumption (agreed with `glassix-client`): links look like
//! `{server}/__files/{fileIdentifier}?X-Amz-Date=YYYYMMDDTHHMMSSZ&X-Amz-Expires=21600&X-Amz-Signature=<hex>`,
//! need no bearer token, and answer 403 with an S3-style XML body once expired.

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::NaiveDateTime;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Path-segment encoding that keeps `-`, `_`, `.` and `~` readable.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

use super::Shared;

/// Builds a fresh link for `file` valid for `ttl_secs` from `now_ms`.
pub(crate) fn presign(server: &str, file: &str, now_ms: i64, ttl_secs: i64) -> String {
    let date = chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string();
    let sig = signature(file, &date, ttl_secs);
    format!(
        "{server}/__files/{}?X-Amz-Date={date}&X-Amz-Expires={ttl_secs}&X-Amz-Signature={sig}",
        utf8_percent_encode(file, SEGMENT)
    )
}

/// A deterministic 256-bit-looking hex "signature" (FNV-1a based; not cryptographic: it only has
/// to detect edited links).
fn signature(file: &str, date: &str, ttl: i64) -> String {
    let mut out = String::with_capacity(64);
    for round in 0u64..4 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ round;
        for b in file
            .bytes()
            .chain(date.bytes())
            .chain(ttl.to_string().bytes())
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// Whether a link signed at `signed_ms` for `ttl` seconds has expired at `now_ms`. The values come
/// from the URL (the signature is not keyed, so a client can forge any `ttl`): saturate.
fn expired(now_ms: i64, signed_ms: i64, ttl: i64) -> bool {
    now_ms > signed_ms.saturating_add(ttl.saturating_mul(1000))
}

fn s3_error(code: &str, message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/xml")],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
    )
        .into_response()
}

/// `attachment; filename="<name>"`; a non-ASCII name gets an ASCII fallback plus RFC 5987
/// `filename*=UTF-8''<percent-encoded>`.
pub(crate) fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if ascii == name {
        format!("attachment; filename=\"{name}\"")
    } else {
        format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            utf8_percent_encode(name, NON_ALPHANUMERIC)
        )
    }
}

/// MIME type guessed from the file extension.
pub(crate) fn content_type_for(name: &str) -> &'static str {
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "mp4" => "video/mp4",
        "ogg" | "oga" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ => "application/octet-stream",
    }
}

/// Deterministic stand-in bytes for a file the snapshot does not carry.
pub(crate) fn synthetic_bytes(file: &str) -> Vec<u8> {
    let mut bytes = format!("helpdesk-sandbox synthetic file {file}\n").into_bytes();
    let mut h: u32 = 2_166_136_261;
    for b in file.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(16_777_619);
    }
    let len = 256 + (h % 2048) as usize;
    while bytes.len() < len {
        h = h.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        bytes.push((h >> 24) as u8);
    }
    bytes
}

/// `GET /__files/{fileIdentifier}` with the presigned query.
pub(crate) async fn download(
    State(shared): State<std::sync::Arc<Shared>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let (Some(date), Some(expires), Some(sig)) = (
        get("X-Amz-Date"),
        get("X-Amz-Expires"),
        get("X-Amz-Signature"),
    ) else {
        return s3_error(
            "AccessDenied",
            "Query-string authentication requires the X-Amz-Date, X-Amz-Expires and X-Amz-Signature parameters",
        );
    };
    let Ok(ttl) = expires.parse::<i64>() else {
        return s3_error(
            "AuthorizationQueryParametersError",
            "X-Amz-Expires should be a number",
        );
    };
    if signature(&file, &date, ttl) != sig {
        return s3_error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        );
    }
    let Ok(signed) = NaiveDateTime::parse_from_str(&date, "%Y%m%dT%H%M%SZ") else {
        return s3_error(
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 Long Format",
        );
    };
    if expired(
        shared.clock.now_ms(),
        signed.and_utc().timestamp_millis(),
        ttl,
    ) {
        return s3_error("AccessDenied", "Request has expired");
    }
    let Ok(state) = shared.state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Some(original) = state.file_names.get(&file).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
        )
            .into_response();
    };
    let (content_type, bytes) = match state.files.get(&file) {
        Some(f) => (
            f.content_type.clone(),
            base64::engine::general_purpose::STANDARD
                .decode(&f.base64)
                .unwrap_or_default(),
        ),
        None => (
            content_type_for(&original).to_string(),
            synthetic_bytes(&file),
        ),
    };
    drop(state);
    let disposition = content_disposition(&original);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_saturates_on_forged_lifetimes() {
        assert!(!expired(1_000, 0, 1));
        assert!(expired(1_001, 0, 1));
        assert!(!expired(i64::MAX, 0, i64::MAX));
        assert!(expired(0, 0, i64::MIN));
        assert!(!expired(i64::MAX - 1, i64::MAX - 1, 5));
    }
}
