//! Ticket listing (windows, paging, de-duplication) and ticket get.

mod common;

use chrono::{TimeDelta, TimeZone, Utc};
use common::*;
use futures::{StreamExt, TryStreamExt};
use glassix_client::models::{SortOrder, TicketState, TransactionType};
use glassix_client::{Error, TicketQuery};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn utc(y: i32, m: u32, d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn list_path() -> String {
    format!("{API}/tickets/list")
}

async fn mount_window(server: &MockServer, since: &str, until: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("since", since))
        .and(query_param("until", until))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

async fn mount_page(server: &MockServer, token: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("page", token))
        .and(query_param_is_missing("since"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn three_pages_across_two_windows_yield_each_ticket_once_first_copy_wins() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let next = format!("{}{API}/tickets/list?page=ZmE0ZTowMg==", server.uri());
    mount_window(
        &server,
        "01/03/2025 00:00:00:00",
        "08/03/2025 00:00:00:00",
        page_json(
            vec![
                ticket_json(1, "one", "2025-03-01T10:00:00Z"),
                ticket_json(2, "two", "2025-03-02T10:00:00Z"),
            ],
            Some(next),
        ),
    )
    .await;
    mount_page(
        &server,
        "ZmE0ZTowMg==",
        page_json(
            vec![ticket_json(3, "three (first copy)", "2025-03-07T10:00:00Z")],
            None,
        ),
    )
    .await;
    mount_window(
        &server,
        "08/03/2025 00:00:00:00",
        "15/03/2025 00:00:00:00",
        page_json(
            vec![
                ticket_json(3, "three (later copy)", "2025-03-09T10:00:00Z"),
                ticket_json(4, "four", "2025-03-10T10:00:00Z"),
            ],
            None,
        ),
    )
    .await;

    let client = client(&server);
    let tickets: Vec<_> = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 15))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert_eq!(tickets[2].field1, "three (first copy)");
    let listing = client.stats().departments[0].listing;
    assert_eq!(
        listing,
        glassix_client::ListingStats {
            pages: 3,
            tickets: 4,
            duplicates: 1,
            relisted_windows: 0
        }
    );
    assert!(tickets.iter().all(|t| t.transactions.is_none()));

    // The dates are sent percent-encoded with %20 for spaces, as in the reference.
    let requests = server.received_requests().await.unwrap();
    let first = requests
        .iter()
        .find(|r| r.url.path() == list_path() && r.url.query().unwrap_or("").starts_with("since"))
        .unwrap();
    assert_eq!(
        first.url.query().unwrap(),
        "since=01%2F03%2F2025%2000%3A00%3A00%3A00&until=08%2F03%2F2025%2000%3A00%3A00%3A00"
    );
    // paging.next is followed verbatim, with the bearer token, and nothing added.
    let paged = requests
        .iter()
        .find(|r| r.url.query() == Some("page=ZmE0ZTowMg=="))
        .unwrap();
    assert_eq!(paged.headers.get("authorization").unwrap(), "Bearer t1");
}

#[tokio::test]
async fn expired_paging_next_relists_the_window_once() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let next = format!("{}{API}/tickets/list?page=cGFnZTI=", server.uri());
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("since", "01/03/2025 00:00:00:00"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_json(
            vec![ticket_json(1, "one", "2025-03-01T10:00:00Z")],
            Some(next),
        )))
        .expect(2)
        .mount(&server)
        .await;
    let (seq, page_calls) = Sequence::new(vec![
        ResponseTemplate::new(400)
            .set_body_json(json!({"Message": "The paging token has expired."})),
        ResponseTemplate::new(200).set_body_json(page_json(
            vec![ticket_json(2, "two", "2025-03-02T10:00:00Z")],
            None,
        )),
    ]);
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("page", "cGFnZTI="))
        .respond_with(seq)
        .mount(&server)
        .await;

    let client = client(&server);
    let ids: Vec<i64> = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 8))
        .map_ok(|t| t.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, vec![1, 2], "ticket 1 is listed twice but yielded once");
    let listing = client.stats().departments[0].listing;
    assert_eq!(
        (listing.pages, listing.duplicates, listing.relisted_windows),
        (3, 1, 1)
    );
    assert_eq!(page_calls.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_second_paging_refusal_in_the_same_window_is_an_error() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let next = format!("{}{API}/tickets/list?page=cGFnZTI=", server.uri());
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("since", "01/03/2025 00:00:00:00"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_json(
            vec![ticket_json(1, "one", "2025-03-01T10:00:00Z")],
            Some(next),
        )))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("page", "cGFnZTI="))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"Message": "The paging token has expired."})),
        )
        .expect(2)
        .mount(&server)
        .await;

    let client = client(&server);
    let items: Vec<_> = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 8))
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().id, 1);
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
    assert!(
        err.to_string().contains("The paging token has expired."),
        "{err}"
    );
    assert!(err.to_string().contains("01/03/2025"), "{err}");
}

#[tokio::test]
async fn paging_next_to_a_foreign_host_is_refused() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_window(
        &server,
        "01/03/2025 00:00:00:00",
        "08/03/2025 00:00:00:00",
        page_json(
            vec![ticket_json(1, "one", "2025-03-01T10:00:00Z")],
            Some("https://evil.example.com/api/v1.2/tickets/list?page=eA==".to_owned()),
        ),
    )
    .await;

    let client = client(&server);
    let items: Vec<_> = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 8))
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().id, 1);
    match &items[1] {
        Err(Error::ForeignHost { expected, found }) => {
            assert_eq!(found, "https://evil.example.com");
            assert!(expected.starts_with("http://127.0.0.1:"), "{expected}");
        }
        other => panic!("expected ForeignHost, got {other:?}"),
    }
    // Only the token request and the first page reached the server.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn paging_next_with_another_scheme_or_port_is_refused() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let other_scheme = server.uri().replace("http://", "https://");
    mount_window(
        &server,
        "01/03/2025 00:00:00:00",
        "08/03/2025 00:00:00:00",
        page_json(
            vec![],
            Some(format!("{other_scheme}{API}/tickets/list?page=eA==")),
        ),
    )
    .await;
    let client = client(&server);
    let err = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 8))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignHost { .. }), "{err:?}");
}

#[tokio::test]
async fn last_page_paging_may_be_null_absent_or_empty() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let bodies = [
        json!({"tickets": [ticket_json(1, "a", "2025-03-01T10:00:00Z")], "paging": null}),
        json!({"tickets": [ticket_json(2, "b", "2025-03-08T10:00:00Z")]}),
        json!({"tickets": [ticket_json(3, "c", "2025-03-15T10:00:00Z")], "paging": {"next": ""}}),
    ];
    let windows = [
        ("01/03/2025 00:00:00:00", "08/03/2025 00:00:00:00"),
        ("08/03/2025 00:00:00:00", "15/03/2025 00:00:00:00"),
        ("15/03/2025 00:00:00:00", "22/03/2025 00:00:00:00"),
    ];
    for ((since, until), body) in windows.into_iter().zip(bodies) {
        mount_window(&server, since, until, body).await;
    }
    let client = client(&server);
    let ids: Vec<i64> = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 22))
        .map_ok(|t| t.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, vec![1, 2, 3]);
}

#[tokio::test]
async fn window_length_state_filter_and_sort_order_are_sent() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("ticketState", "Open,Closed"))
        .and(query_param("sortOrder", "DESC"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_json(vec![], None)))
        .expect(3)
        .mount(&server)
        .await;
    let client = client(&server);
    let query = TicketQuery::new(utc(2025, 3, 1), utc(2025, 3, 4))
        .window(TimeDelta::days(1))
        .states([TicketState::Open, TicketState::Closed])
        .sort(SortOrder::Descending);
    let n = client.tickets(dept(), query).count().await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn malformed_json_names_the_failing_path() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let mut bad = ticket_json(2, "two", "2025-03-02T10:00:00Z");
    bad["participants"][0]["id"] = json!("not-a-number");
    mount_window(
        &server,
        "01/03/2025 00:00:00:00",
        "08/03/2025 00:00:00:00",
        page_json(
            vec![ticket_json(1, "one", "2025-03-01T10:00:00Z"), bad],
            None,
        ),
    )
    .await;
    let client = client(&server);
    let items: Vec<_> = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 8))
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    match &items[0] {
        Err(Error::Decode { path, endpoint, .. }) => {
            assert_eq!(path, "tickets[1].participants[0].id");
            assert_eq!(endpoint, "GET /tickets/list");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let msg = items[0].as_ref().unwrap_err().to_string();
    assert!(msg.contains("tickets[1].participants[0].id"), "{msg}");

    // A bad timestamp and a non-JSON body.
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/get/7")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": 7, "open": "yesterday"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/get/8")))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    match client.ticket(dept(), 7).await {
        Err(Error::Decode {
            path,
            message,
            record,
            ..
        }) => {
            assert_eq!(path, "open");
            assert!(message.contains("yesterday"), "{message}");
            assert_eq!(record.as_deref(), Some("ticket 7"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.ticket(dept(), 8).await,
        Err(Error::Decode { .. })
    ));
}

#[tokio::test]
async fn ticket_get_returns_transactions_and_404_is_not_found() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/get/48213377")))
        .respond_with(ResponseTemplate::new(200).set_body_json(full_ticket_json(
            48213377,
            "https://files.example.com/x.jpg",
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/get/42")))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"Message": "Ticket not found."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let t = client.ticket(dept(), 48213377).await.unwrap();
    assert_eq!(t.transactions().len(), 1);
    let tx = &t.transactions()[0];
    assert_eq!(tx.id, 681_700_000_001_201);
    assert_eq!(tx.kind, TransactionType::Message);
    assert_eq!(t.attachments().count(), 1);
    assert_eq!(t.close, None);

    let err = client.ticket(dept(), 42).await.unwrap_err();
    assert!(err.is_not_found());
    assert!(!err.is_retryable());
    assert_eq!(err.service_message(), Some("Ticket not found."));
    assert_eq!(err.department(), Some(dept()));
    let msg = err.to_string();
    assert!(
        msg.contains("ticket 42") && msg.contains("GET /tickets/get/{id}"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_paging_next_that_points_back_at_a_read_page_ends_the_listing_with_an_error() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let next = format!("{}{API}/tickets/list?page=bG9vcDox", server.uri());
    mount_window(
        &server,
        "01/03/2025 00:00:00:00",
        "08/03/2025 00:00:00:00",
        page_json(
            vec![ticket_json(1, "one", "2025-03-01T10:00:00Z")],
            Some(next.clone()),
        ),
    )
    .await;
    // The page links to itself: without a guard the stream would request it forever.
    Mock::given(method("GET"))
        .and(path(list_path()))
        .and(query_param("page", "bG9vcDox"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_json(
            vec![ticket_json(2, "two", "2025-03-02T10:00:00Z")],
            Some(next),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let items: Vec<_> = client
        .tickets(dept(), utc(2025, 3, 1)..utc(2025, 3, 8))
        .take(10)
        .collect()
        .await;
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap().id, 1);
    assert_eq!(items[1].as_ref().unwrap().id, 2);
    let err = items[2].as_ref().unwrap_err();
    assert!(matches!(err, Error::InvalidUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("already read"), "{err}");
}
