//! Tiers without API access fail fast: at build time when configured, on the first answer when
//! the server refuses (no retries).

mod common;

use common::*;
use glassix_client::{Client, Error, Quota, Tier};
use serde_json::json;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const STARTER: &str =
    "API access is not available on the Starter plan. Upgrade to Growth or Enterprise.";

#[tokio::test]
async fn a_configured_starter_tier_fails_at_build_without_any_request() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let err = builder(&server).tier(Tier::Starter).build().unwrap_err();
    assert!(
        matches!(
            err,
            Error::TierWithoutApi {
                tier: Tier::Starter
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(
        msg.contains("Starter") && msg.contains("Growth or Enterprise"),
        "{msg}"
    );
    assert!(msg.contains("Settings → Developers → API keys"), "{msg}");
    // Even with a quota override, Starter has no API.
    let err = builder(&server)
        .tier(Tier::Starter)
        .quota(Quota::new(10, 100))
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::TierWithoutApi { .. }));
}

#[tokio::test]
async fn a_starter_workspace_refused_by_the_token_endpoint_fails_fast() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({ "Message": STARTER })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.users(dept()).await.unwrap_err();
    match &err {
        Error::ApiAccessDenied {
            status,
            message,
            endpoint,
            department,
            configured_tier,
        } => {
            assert_eq!(*status, 403);
            assert_eq!(message, STARTER);
            assert_eq!(endpoint, "POST /token/get");
            assert_eq!(*department, Some(dept()));
            assert_eq!(*configured_tier, Tier::Growth);
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    let msg = err.to_string();
    assert!(msg.contains("Growth or Enterprise"), "{msg}");
    assert!(msg.contains("Settings → Developers → API keys"), "{msg}");
    // The refusal is remembered: later calls fail at once, without a request (expect(1)).
    let again = client.tags(dept()).await.unwrap_err();
    assert!(
        matches!(again, Error::ApiAccessDenied { status: 403, .. }),
        "{again:?}"
    );
    assert!(again.to_string().contains("no request sent"), "{again}");
}

#[tokio::test]
async fn a_403_on_an_endpoint_fails_fast_too() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tenants/gettags")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({ "Message": STARTER })))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.tags(dept()).await.unwrap_err();
    assert!(matches!(err, Error::ApiAccessDenied { .. }), "{err:?}");
    assert_eq!(err.endpoint(), Some("GET /tenants/gettags"));
}

#[test]
fn tier_defaults_follow_the_agreements() {
    assert_eq!(Tier::Starter.default_quota(), None);
    assert_eq!(Tier::Growth.default_quota(), Some(Quota::new(120, 3_000)));
    assert_eq!(
        Tier::Enterprise.default_quota(),
        Some(Quota::new(600, 20_000))
    );
    let client = Client::builder()
        .workspace("acme")
        .department(creds())
        .tier(Tier::Enterprise)
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://acme.glassix.com/api/v1.2");
    let pace = client.department(dept()).unwrap().stats().pace;
    assert_eq!((pace.per_minute, pace.per_hour), (600, 20_000));
}

#[test]
fn builder_rejects_bad_configuration() {
    let no_base = Client::builder().department(creds()).build().unwrap_err();
    assert!(matches!(no_base, Error::Config { .. }));
    let no_dept = Client::builder().workspace("acme").build().unwrap_err();
    assert!(
        no_dept
            .to_string()
            .contains("Settings → Developers → API keys")
    );
    let bad_ws = Client::builder()
        .workspace("acme.evil")
        .department(creds())
        .build()
        .unwrap_err();
    assert!(bad_ws.to_string().contains("sub-domain"), "{bad_ws}");
    let bad_url = Client::builder()
        .base_url("ftp://x/api")
        .department(creds())
        .build()
        .unwrap_err();
    assert!(matches!(bad_url, Error::Config { .. }));
    let twice = Client::builder()
        .workspace("acme")
        .department(creds())
        .department(creds())
        .build()
        .unwrap_err();
    assert!(twice.to_string().contains("twice"));
    assert!(glassix_client::Credentials::new("not-a-guid", "s", "u").is_err());
    assert!(glassix_client::Credentials::new(DEPT, " ", "u").is_err());
}
