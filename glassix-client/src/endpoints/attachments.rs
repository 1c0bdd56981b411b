//! Attachment downloads from presigned links, with one ticket refresh when a link expired.

use bytes::Bytes;
use percent_encoding::percent_decode_str;
use reqwest::Method;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderMap};
use url::Url;

use crate::client::Department;
use crate::error::{Error, Result};
use crate::models::Attachment;
use crate::transport::{Auth, Reply, Request};

const ENDPOINT: &str = "GET attachment";

/// A downloaded attachment.
#[derive(Clone, Debug, PartialEq)]
pub struct AttachmentDownload {
    /// The file's bytes.
    pub bytes: Bytes,
    /// `Content-Type` of the download, if sent.
    pub content_type: Option<String>,
    /// File name from `Content-Disposition`, else the attachment's `originalFileName`
    /// (`None` only if both are missing).
    pub file_name: Option<String>,
    /// Whether the link had expired and the ticket was fetched again for a fresh one.
    pub refreshed: bool,
}

impl Department {
    /// Download an attachment of ticket `ticket_id` from its presigned `uri`.
    ///
    /// The bearer token is never sent with it (the link is presigned and lives on another
    /// host). If the link answers 403 (expired: presigned links live 6 h), the ticket is fetched
    /// again once and the download retried with the fresh `uri` of the same attachment (matched
    /// by `id`, else by `fileIdentifier`). 429, 5xx and transport errors are retried like reads.
    pub async fn download_attachment(
        &self,
        ticket_id: i64,
        attachment: &Attachment,
    ) -> Result<AttachmentDownload> {
        let record = describe(ticket_id, attachment);
        let reply = self.fetch_file(&attachment.uri, &record).await?;
        if reply.status.is_success() {
            return Ok(finish(reply, attachment, false));
        }
        if reply.status.as_u16() != 403 {
            return Err(self.file_error(&reply, &record));
        }
        tracing::info!(
            ticket_id,
            attachment = attachment.id,
            "glassix: attachment link refused (expired?), refreshing the ticket"
        );
        let fresh_ticket = self.ticket(ticket_id).await?;
        let fresh = fresh_ticket
            .attachments()
            .find(|a| {
                (attachment.id != 0 && a.id == attachment.id)
                    || (attachment.id == 0
                        && !attachment.file_identifier.is_empty()
                        && a.file_identifier == attachment.file_identifier)
            })
            .cloned()
            .ok_or_else(|| Error::AttachmentGone {
                ticket_id,
                attachment: format!("{} ({})", attachment.id, attachment.file_identifier),
                department: Some(self.id()),
            })?;
        let reply = self.fetch_file(&fresh.uri, &record).await?;
        if reply.status.is_success() {
            return Ok(finish(reply, &fresh, true));
        }
        Err(self.file_error(&reply, &record))
    }

    async fn fetch_file(&self, uri: &str, record: &str) -> Result<Reply> {
        let url = Url::parse(uri.trim()).map_err(|e| Error::InvalidUrl {
            context: format!("the uri of {record}"),
            message: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::InvalidUrl {
                context: format!("the uri of {record}"),
                message: format!("unsupported scheme `{}`", url.scheme()),
            });
        }
        let req = Request {
            method: Method::GET,
            url,
            body: None,
            endpoint: ENDPOINT,
            department: Some(self.id()),
            // Presigned storage links are not part of the department's API quota.
            pacer: None,
            auth: Auth::None,
            record: Some(record.to_owned()),
            timeout: self.inner.download_timeout,
        };
        self.inner.execute(&req).await
    }

    fn file_error(&self, reply: &Reply, record: &str) -> Error {
        let mut message = crate::transport::service_message(&reply.body);
        if reply.status.as_u16() == 403 {
            message = format!("the link was refused even after refreshing the ticket: {message}");
        }
        Error::Http {
            status: reply.status.as_u16(),
            message,
            endpoint: ENDPOINT.to_owned(),
            department: Some(self.id()),
            record: Some(record.to_owned()),
            attempts: reply.attempts,
        }
    }
}

fn describe(ticket_id: i64, a: &Attachment) -> String {
    format!(
        "attachment {} ({}) of ticket {ticket_id}",
        a.id, a.file_identifier
    )
}

fn finish(reply: Reply, attachment: &Attachment, refreshed: bool) -> AttachmentDownload {
    let content_type = header_str(&reply.headers, CONTENT_TYPE.as_str());
    let file_name = header_str(&reply.headers, CONTENT_DISPOSITION.as_str())
        .and_then(|cd| disposition_file_name(&cd))
        .or_else(|| {
            (!attachment.original_file_name.is_empty())
                .then(|| attachment.original_file_name.clone())
        });
    AttachmentDownload {
        bytes: reply.body,
        content_type,
        file_name,
        refreshed,
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The file name of a `Content-Disposition` value: `filename*=UTF-8''…` first, else `filename=`.
pub(crate) fn disposition_file_name(value: &str) -> Option<String> {
    let mut plain = None;
    for part in value.split(';').map(str::trim) {
        let Some((key, val)) = part.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => {
                let val = val.trim().trim_matches('"');
                let encoded = val.splitn(3, '\'').nth(2).unwrap_or(val);
                if let Ok(decoded) = percent_decode_str(encoded).decode_utf8() {
                    if !decoded.is_empty() {
                        return Some(decoded.into_owned());
                    }
                }
            }
            "filename" => {
                let v = val.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .unwrap_or(v)
                    .replace("\\\"", "\"");
                if !v.is_empty() {
                    plain = Some(v);
                }
            }
            _ => {}
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::disposition_file_name;

    #[test]
    fn content_disposition_names() {
        assert_eq!(
            disposition_file_name("attachment; filename=\"bank-statement.jpg\"").as_deref(),
            Some("bank-statement.jpg")
        );
        assert_eq!(
            disposition_file_name("attachment; filename=plain.txt").as_deref(),
            Some("plain.txt")
        );
        assert_eq!(
            disposition_file_name(
                "attachment; filename=\"a.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
            )
            .as_deref(),
            Some("résumé.pdf")
        );
        assert_eq!(disposition_file_name("inline"), None);
    }
}
