//! The fake Glassix's rules, driven over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers in test crates fail loudly by design

mod common;

use chrono::TimeZone;
use common::Api;
use helpdesk_sandbox::{
    Clock, FakeGlassix, FakeGlassixHandle, GeneratorSizes, GlassixConfig, GlassixSnapshot, Tier,
    TierLimits, generate,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn frozen() -> Clock {
    Clock::frozen_at(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 5).unwrap())
}

fn small_snapshot() -> GlassixSnapshot {
    generate(
        11,
        &GeneratorSizes {
            departments: 2,
            span_days: 20,
            ..GeneratorSizes::with_tickets(250)
        },
    )
}

async fn start(snapshot: GlassixSnapshot, config: GlassixConfig) -> FakeGlassixHandle {
    FakeGlassix::start(
        snapshot,
        GlassixConfig {
            clock: frozen(),
            ..config
        },
    )
    .await
    .unwrap()
}

async fn token(h: &FakeGlassixHandle, dept: usize) -> Api {
    let c = &h.credentials()[dept];
    let api = Api::new(&h.base_url, None);
    let r = api
        .post(
            "/token/get",
            json!({ "apiKey": c.api_key, "apiSecret": c.api_secret, "userName": c.user_name }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    Api::new(&h.base_url, Some(r.body["access_token"].as_str().unwrap()))
}

const JANUARY: &str = "/tickets/list?since=01%2F01%2F2025%2000%3A00%3A00%3A00&until=01%2F02%2F2025%2000%3A00%3A00%3A00";

#[tokio::test]
async fn token_is_issued_refused_and_expires() {
    let h = start(small_snapshot(), GlassixConfig::default()).await;
    let c = &h.credentials()[0];
    let anon = Api::new(&h.base_url, None);
    let r = anon
        .post(
            "/token/get",
            json!({ "apiKey": c.api_key, "apiSecret": c.api_secret, "userName": c.user_name }),
        )
        .await;
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 10800);
    let r = anon
        .post(
            "/token/get",
            json!({ "apiKey": c.api_key, "apiSecret": "wrong", "userName": c.user_name }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body,
        json!({ "Message": "Invalid API key, secret or user name." })
    );
    let api = token(&h, 0).await;
    assert_eq!(api.get("/users/allusers").await.status, StatusCode::OK);
    assert_eq!(
        anon.get("/users/allusers").await.status,
        StatusCode::UNAUTHORIZED
    );
    h.clock().advance(chrono::Duration::seconds(10_801));
    let r = api.get("/users/allusers").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.body["Message"],
        "Authorization has been denied for this request."
    );
}

#[tokio::test]
async fn token_endpoint_allows_30_requests_a_minute() {
    let h = start(small_snapshot(), GlassixConfig::default()).await;
    let c = &h.credentials()[0];
    let anon = Api::new(&h.base_url, None);
    let body = json!({ "apiKey": c.api_key, "apiSecret": c.api_secret, "userName": c.user_name });
    for _ in 0..30 {
        assert_eq!(
            anon.post("/token/get", body.clone()).await.status,
            StatusCode::OK
        );
    }
    let r = anon.post("/token/get", body.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text.is_empty());
    h.clock().advance(chrono::Duration::minutes(1));
    assert_eq!(anon.post("/token/get", body).await.status, StatusCode::OK);
}

#[tokio::test]
async fn starter_workspace_has_no_api() {
    let h = start(
        small_snapshot(),
        GlassixConfig {
            tier: Some(Tier::Starter),
            ..GlassixConfig::default()
        },
    )
    .await;
    let c = &h.credentials()[0];
    let anon = Api::new(&h.base_url, None);
    let r = anon
        .post(
            "/token/get",
            json!({ "apiKey": c.api_key, "apiSecret": c.api_secret, "userName": c.user_name }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        r.body["Message"],
        "API access is not available on the Starter plan. Upgrade to Growth or Enterprise."
    );
    assert_eq!(
        anon.get("/tickets/get/1").await.status,
        StatusCode::FORBIDDEN
    );
}

async fn requests_until_429(tier: Tier) -> usize {
    let h = start(
        small_snapshot(),
        GlassixConfig {
            tier: Some(tier),
            ..GlassixConfig::default()
        },
    )
    .await;
    let api = token(&h, 0).await;
    for n in 0..1000 {
        let r = api.get("/tenants/gettags").await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.text.is_empty(), "429 has an empty body");
            assert!(
                r.header("retry-after").is_none(),
                "no Retry-After by default"
            );
            return n;
        }
        assert_eq!(r.status, StatusCode::OK);
    }
    panic!("no 429 within 1000 requests");
}

#[tokio::test]
async fn growth_and_enterprise_have_different_per_minute_limits() {
    assert_eq!(requests_until_429(Tier::Growth).await, 120);
    assert_eq!(requests_until_429(Tier::Enterprise).await, 600);
}

#[tokio::test]
async fn hourly_quota_and_optional_retry_after() {
    let limits = TierLimits {
        per_minute: 100,
        per_hour: 3,
    };
    let h = start(
        small_snapshot(),
        GlassixConfig {
            limits: Some(limits),
            retry_after: true,
            ..GlassixConfig::default()
        },
    )
    .await;
    let api = token(&h, 0).await;
    for _ in 0..3 {
        assert_eq!(api.get("/users/allusers").await.status, StatusCode::OK);
    }
    h.clock().advance(chrono::Duration::minutes(2));
    let r = api.get("/users/allusers").await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "hour bucket is full even in a new minute"
    );
    let retry: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 60 && retry <= 3600, "{retry}");
    // Another department has its own quota.
    let other = token(&h, 1).await;
    assert_eq!(other.get("/users/allusers").await.status, StatusCode::OK);
}

#[tokio::test]
async fn list_window_rules() {
    let h = start(small_snapshot(), GlassixConfig::default()).await;
    let api = token(&h, 0).await;
    let too_long = "/tickets/list?since=01%2F01%2F2025%2000%3A00%3A00%3A00&until=01%2F02%2F2025%2000%3A00%3A00%3A01";
    let r = api.get(too_long).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body, json!({ "Message": "The request is invalid." }));
    assert_eq!(
        api.get("/tickets/list?since=2025-01-01&until=2025-01-10")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.get("/tickets/list").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.get(&format!("{JANUARY}&sortOrder=Ascending"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.get(JANUARY).await.status,
        StatusCode::OK,
        "exactly one calendar month is allowed"
    );
}

#[tokio::test]
async fn list_pages_of_100_with_verbatim_next_links_that_expire() {
    let snapshot = small_snapshot();
    let h = start(snapshot.clone(), GlassixConfig::default()).await;
    let dept = h.credentials()[0].api_key.clone();
    let expected = snapshot
        .tickets
        .iter()
        .filter(|t| t["departmentId"] == dept.as_str())
        .count();
    assert!(expected > 100, "{expected}");
    let api = token(&h, 0).await;
    let first = api.get(JANUARY).await;
    let tickets = first.body["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 100);
    assert!(
        tickets.iter().all(|t| t.get("transactions").is_none()),
        "list results carry no transactions"
    );
    assert!(tickets.iter().all(|t| t["departmentId"] == dept.as_str()));
    let next = first.body["paging"]["next"].as_str().unwrap().to_string();
    assert!(
        next.starts_with(&format!("{}/tickets/list?page=", h.base_url)),
        "{next}"
    );
    // Extra parameters next to `page` are refused.
    assert_eq!(
        api.get(&format!("{next}&since=01%2F01%2F2025%2000%3A00%3A00%3A00"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let mut ids: Vec<i64> = tickets.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    let mut url = Some(next.clone());
    while let Some(u) = url {
        let page = api.get(&u).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        ids.extend(
            page.body["tickets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_i64().unwrap()),
        );
        url = page.body["paging"]["next"].as_str().map(str::to_string);
        if url.is_none() {
            assert_eq!(
                page.body["paging"],
                json!({}),
                "last page has an empty paging object"
            );
        }
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), expected);
    // Another department's token cannot use the page link.
    let other = token(&h, 1).await;
    assert_eq!(other.get(&next).await.status, StatusCode::BAD_REQUEST);
    h.clock()
        .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    let api = token(&h, 0).await;
    let r = api.get(&next).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["Message"], "The paging token has expired.");
}

#[tokio::test]
async fn ticket_get_and_attachment_links_expire() {
    let snapshot = small_snapshot();
    let h = start(snapshot.clone(), GlassixConfig::default()).await;
    let api = token(&h, 0).await;
    let dept = h.credentials()[0].api_key.clone();
    let with_attachment = snapshot
        .tickets
        .iter()
        .filter(|t| t["departmentId"] == dept.as_str())
        .find(|t| {
            t["transactions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|tr| !tr["attachments"].as_array().unwrap().is_empty())
        })
        .unwrap();
    let id = with_attachment["id"].as_i64().unwrap();
    let t = api.get(&format!("/tickets/get/{id}")).await;
    assert_eq!(t.status, StatusCode::OK);
    assert_eq!(
        t.body["transactions"].as_array().unwrap().len(),
        with_attachment["transactions"].as_array().unwrap().len()
    );
    let att = t.body["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|tr| tr["attachments"].as_array().unwrap().clone())
        .next()
        .unwrap();
    let uri = att["uri"].as_str().unwrap().to_string();
    assert!(
        uri.contains("X-Amz-Expires=21600") && uri.contains("X-Amz-Signature="),
        "{uri}"
    );
    let plain = reqwest::Client::new();
    let r = plain.get(&uri).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(!r.bytes().await.unwrap().is_empty());
    let tampered = uri.replace("X-Amz-Signature=", "X-Amz-Signature=00");
    assert_eq!(
        plain.get(&tampered).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    h.clock().advance(chrono::Duration::seconds(21_601));
    let r = plain.get(&uri).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("<Code>AccessDenied</Code><Message>Request has expired</Message>"),
        "{body}"
    );
    // A fresh ticket get gives a working link again.
    let api = token(&h, 0).await;
    let t = api.get(&format!("/tickets/get/{id}")).await;
    let fresh = t.body["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|tr| tr["attachments"].as_array().unwrap().clone())
        .next()
        .unwrap();
    assert_eq!(
        plain
            .get(fresh["uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // Another department's ticket is not found.
    let other = token(&h, 1).await;
    let r = other.get(&format!("/tickets/get/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["Message"], "Ticket not found.");
}

fn fixture_snapshot() -> Option<(GlassixSnapshot, Value)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/glassix-fixtures.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("skipped: {path} is missing");
        return None;
    };
    let f: Value = serde_json::from_str(&text).unwrap();
    let mut tickets = vec![f["ticket_get_48213377"].clone()];
    for page in ["tickets_list_page1", "tickets_list_page2_last"] {
        for t in f[page]["tickets"].as_array().unwrap() {
            if t["id"] != 48213377 {
                tickets.push(t.clone());
            }
        }
    }
    let snapshot = json!({
        "tier": "growth", "workspace": f["_meta"]["workspace"],
        "departments": [{
            "id": f["_meta"]["department_id_equals_api_key"], "name": "Acme Support",
            "api_secret": f["token_get"]["request"]["apiSecret"], "api_user_name": f["token_get"]["request"]["userName"],
            "users": f["users_allusers"], "tags": f["tenants_gettags"], "canned_replies": f["cannedreplies_getall"],
        }],
        "contacts": [f["contact_get_priya"]],
        "tickets": tickets,
    });
    Some((
        GlassixSnapshot::from_json(&snapshot.to_string()).unwrap(),
        f,
    ))
}

#[tokio::test]
async fn serves_the_reference_fixtures() {
    let Some((snapshot, f)) = fixture_snapshot() else {
        return;
    };
    let h = start(snapshot, GlassixConfig::default()).await;
    let api = token(&h, 0).await;
    let list = api.get("/tickets/list?since=01%2F03%2F2025%2000%3A00%3A00%3A00&until=08%2F03%2F2025%2000%3A00%3A00%3A00").await;
    let ids: Vec<i64> = list.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.contains(&48213377) && ids.contains(&48213402));
    let mut got = api.get("/tickets/get/48213377").await.body;
    let mut want = f["ticket_get_48213377"].clone();
    for t in [&mut got, &mut want] {
        for tr in t["transactions"].as_array_mut().unwrap() {
            for a in tr["attachments"].as_array_mut().unwrap() {
                a["uri"] = Value::Null;
                a["thumbnails"] = Value::Null;
            }
        }
    }
    assert_eq!(got, want, "served verbatim apart from re-signed links");
    assert_eq!(
        api.get("/contacts/get/9c1e5b7d-3a2f-4e6b-8d0c-1f2e3d4c5b6a")
            .await
            .body,
        f["contact_get_priya"]
    );
    assert_eq!(
        api.get("/contacts/get/00000000-0000-0000-0000-000000000001")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(api.get("/users/allusers").await.body, f["users_allusers"]);
    assert_eq!(api.get("/tenants/gettags").await.body, f["tenants_gettags"]);
    assert_eq!(
        api.get("/cannedreplies/getall").await.body,
        f["cannedreplies_getall"]
    );
}

#[tokio::test]
async fn a_huge_page_number_is_an_empty_page_not_a_panic() {
    let h = start(small_snapshot(), GlassixConfig::default()).await;
    let api = token(&h, 0).await;
    let first = api.get(JANUARY).await;
    let next = first.body["paging"]["next"].as_str().unwrap().to_string();
    let (base, token_b64) = next.split_once("page=").unwrap();
    use base64::Engine;
    let raw = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(token_b64)
            .unwrap(),
    )
    .unwrap();
    let guid = raw.rsplit_once(':').unwrap().0;
    let huge = base64::engine::general_purpose::STANDARD.encode(format!("{guid}:{}", usize::MAX));
    let r = api.get(&format!("{base}page={huge}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["tickets"], json!([]));
    // The server is still healthy afterwards (no poisoned state lock).
    assert_eq!(api.get(&next).await.status, StatusCode::OK);
}
