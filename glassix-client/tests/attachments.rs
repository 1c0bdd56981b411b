//! Attachment downloads from presigned links, refreshing the ticket once when a link expired.

mod common;

use common::*;
use glassix_client::Error;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const EXPIRED: &str =
    "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";

fn file_uri(server: &MockServer, sig: &str) -> String {
    format!(
        "{}/__files/250304_screenshot.jpg?X-Amz-Date=20250304T091500Z&X-Amz-Expires=21600&X-Amz-Signature={sig}",
        server.uri()
    )
}

fn no_bearer(req: &Request) -> bool {
    !req.headers.contains_key("authorization")
}

async fn mount_file(server: &MockServer, sig: &str, response: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/__files/250304_screenshot.jpg"))
        .and(query_param("X-Amz-Signature", sig))
        .and(no_bearer)
        .respond_with(response)
        .expect(times)
        .mount(server)
        .await;
}

fn jpeg() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("Content-Type", "image/jpeg")
        .insert_header(
            "Content-Disposition",
            "attachment; filename=\"bank-statement.jpg\"",
        )
        .set_body_bytes(vec![0xFF, 0xD8, 0xFF, 0xE0])
}

#[tokio::test]
async fn download_returns_bytes_type_and_name_without_the_bearer_token() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_file(&server, "aaaa", jpeg(), 1).await;
    let client = client(&server);
    let ticket: glassix_client::Ticket =
        serde_json::from_value(full_ticket_json(48213377, &file_uri(&server, "aaaa"))).unwrap();
    let attachment = ticket.attachments().next().unwrap();
    let file = client
        .download_attachment(dept(), ticket.id, attachment)
        .await
        .unwrap();
    assert_eq!(&file.bytes[..], &[0xFF, 0xD8, 0xFF, 0xE0]);
    assert_eq!(file.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(file.file_name.as_deref(), Some("bank-statement.jpg"));
    assert!(!file.refreshed);
    // Downloads are not counted against the department's API quota.
    assert_eq!(client.stats().departments[0].pace.requests, 0);
}

#[tokio::test]
async fn an_expired_link_refreshes_the_ticket_once() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_file(
        &server,
        "old",
        ResponseTemplate::new(403).set_body_string(EXPIRED),
        1,
    )
    .await;
    mount_file(
        &server,
        "new",
        ResponseTemplate::new(200).set_body_bytes(b"%PDF".to_vec()),
        1,
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/get/48213377")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(full_ticket_json(48213377, &file_uri(&server, "new"))),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let stale: glassix_client::Ticket =
        serde_json::from_value(full_ticket_json(48213377, &file_uri(&server, "old"))).unwrap();
    let d = client.department(dept()).unwrap();
    let file = d
        .download_attachment(stale.id, stale.attachments().next().unwrap())
        .await
        .unwrap();
    assert!(file.refreshed);
    assert_eq!(&file.bytes[..], b"%PDF");
    // No Content-Disposition: the original file name is used.
    assert_eq!(file.file_name.as_deref(), Some("bank-statement.jpg"));
    assert_eq!(file.content_type, None);
}

#[tokio::test]
async fn a_link_still_refused_after_the_refresh_is_an_error() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_file(
        &server,
        "old",
        ResponseTemplate::new(403).set_body_string(EXPIRED),
        2,
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/get/48213377")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(full_ticket_json(48213377, &file_uri(&server, "old"))),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let stale: glassix_client::Ticket =
        serde_json::from_value(full_ticket_json(48213377, &file_uri(&server, "old"))).unwrap();
    let err = client
        .download_attachment(dept(), stale.id, stale.attachments().next().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let msg = err.to_string();
    assert!(msg.contains("Request has expired"), "{msg}");
    assert!(
        msg.contains("attachment 900001 (250304_screenshot.jpg) of ticket 48213377"),
        "{msg}"
    );
    assert!(
        !msg.contains("X-Amz-Signature"),
        "presigned URLs stay out of errors: {msg}"
    );
}

#[tokio::test]
async fn an_attachment_gone_from_the_refreshed_ticket_is_reported() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_file(
        &server,
        "old",
        ResponseTemplate::new(403).set_body_string(EXPIRED),
        1,
    )
    .await;
    let mut refreshed = full_ticket_json(48213377, "unused");
    refreshed["transactions"][0]["attachments"] = json!([]);
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/get/48213377")))
        .respond_with(ResponseTemplate::new(200).set_body_json(refreshed))
        .mount(&server)
        .await;
    let client = client(&server);
    let stale: glassix_client::Ticket =
        serde_json::from_value(full_ticket_json(48213377, &file_uri(&server, "old"))).unwrap();
    let err = client
        .download_attachment(dept(), stale.id, stale.attachments().next().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AttachmentGone {
                ticket_id: 48213377,
                ..
            }
        ),
        "{err:?}"
    );
}
