//! Users, contacts, tags, canned replies; department scoping.

mod common;

use common::*;
use glassix_client::models::{IdentifierType, UserStatus, UserType};
use glassix_client::{Client, Error};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount_get(server: &MockServer, p: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/{p}")))
        .and(header("authorization", "Bearer t1"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn users_are_decoded_with_capital_user_name_and_unknown_values_kept() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_get(
        &server,
        "users/allusers",
        json!([
            {"id": "6b1d2f7a-0c3e-4a58-9f21-7d8e9a0b1c2d", "type": "AGENT", "gender": "Female",
             "UserName": "dana.whitfield@example.com", "status": "Online", "roles": ["SystemUser"],
             "avatarColour": "teal"},
            {"id": "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f", "type": "ROBOT", "status": 2,
             "userName": "api@example.com", "fullName": null}
        ]),
    )
    .await;
    let users = client(&server).users(dept()).await.unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].user_name, "dana.whitfield@example.com");
    assert_eq!(users[0].kind, UserType::Agent);
    assert_eq!(users[0].extra["avatarColour"], "teal");
    assert_eq!(users[1].kind, UserType::Unknown("ROBOT".into()));
    assert_eq!(users[1].status, UserStatus::Break);
    assert_eq!(users[1].user_name, "api@example.com");
    assert_eq!(users[1].full_name, "");
}

#[tokio::test]
async fn contact_get_and_not_found() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let id: Uuid = "9c1e5b7d-3a2f-4e6b-8d0c-1f2e3d4c5b6a".parse().unwrap();
    mount_get(
        &server,
        &format!("contacts/get/{id}"),
        json!({
            "id": id, "name": "Priya Nandakumar",
            "identifiers": [{"id": 5500101, "contactId": id, "identifierType": 1,
                             "identifier": "15555550142", "lastAccessed": "2025-03-04T08:40:13Z"}],
            "imageUri": null, "creationDateTime": "2024-11-19T14:02:51Z", "tags": ["VIP"]
        }),
    )
    .await;
    let missing: Uuid = "2d4f6a8c-0e1b-4c3d-9f5e-7a6b5c4d3e2f".parse().unwrap();
    Mock::given(method("GET"))
        .and(path(format!("{API}/contacts/get/{missing}")))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"Message": "Contact not found."})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let c = client.contact(dept(), id).await.unwrap();
    assert_eq!(c.name, "Priya Nandakumar");
    assert_eq!(
        c.identifiers[0].identifier_type,
        IdentifierType::PhoneNumber
    );
    assert_eq!(c.identifiers[0].contact_id, id);
    assert_eq!(c.tags, vec!["VIP"]);
    let err = client.contact(dept(), missing).await.unwrap_err();
    assert!(err.is_not_found());
    assert!(
        err.to_string().contains(&format!("contact {missing}")),
        "{err}"
    );
}

#[tokio::test]
async fn tags_accept_camel_and_pascal_case() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_get(
        &server,
        "tenants/gettags",
        json!([
            {"name": "Password reset", "color": "#3E63DD", "parentTags": ["Account"], "isDeleted": false},
            {"Name": "Legacy promo", "Color": "#8B8D98", "ParentTags": null, "IsDeleted": true}
        ]),
    )
    .await;
    let tags = client(&server).tags(dept()).await.unwrap();
    assert_eq!(tags[0].parent_tags, vec!["Account"]);
    assert_eq!(tags[1].name, "Legacy promo");
    assert!(tags[1].is_deleted);
    assert!(tags[1].parent_tags.is_empty());
}

#[tokio::test]
async fn canned_replies() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_get(
        &server,
        "cannedreplies/getall",
        json!([{"id": 73001, "title": "Refund confirmation", "text": "Refunded.", "html": "",
                "rank": 1, "autoTags": ["Billing"], "categoryName": "Billing", "culture": "en-US"}]),
    )
    .await;
    let replies = client(&server).canned_replies(dept()).await.unwrap();
    assert_eq!(replies[0].id, 73001);
    assert_eq!(replies[0].auto_tags, vec!["Billing"]);
}

#[tokio::test]
async fn each_department_uses_its_own_token() {
    let server = MockServer::start().await;
    for (d, token) in [(DEPT, "token-a"), (DEPT2, "token-b")] {
        Mock::given(method("POST"))
            .and(path(format!("{API}/token/get")))
            .and(wiremock::matchers::body_partial_json(json!({"apiKey": d})))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token)))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{API}/tenants/gettags")))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"name": token}])))
            .mount(&server)
            .await;
    }
    let client = Client::builder()
        .base_url(format!("{}{API}", server.uri()))
        .department(creds_for(DEPT))
        .department(creds_for(DEPT2))
        .build()
        .unwrap();
    let a = client.tags(DEPT.parse().unwrap()).await.unwrap();
    let b = client.tags(DEPT2.parse().unwrap()).await.unwrap();
    assert_eq!(a[0].name, "token-a");
    assert_eq!(b[0].name, "token-b");
    assert_eq!(client.department_ids().len(), 2);
    let stats = client.stats();
    assert_eq!(stats.departments[1].tokens_issued, 1);
    assert_eq!(stats.departments[1].pace.requests, 1);

    let unknown: Uuid = "11111111-1111-4111-8111-111111111111".parse().unwrap();
    let err = client.users(unknown).await.unwrap_err();
    assert!(matches!(err, Error::UnknownDepartment { department } if department == unknown));
}

#[test]
fn public_types_can_cross_tasks() {
    fn send_sync<T: Send + Sync + 'static>() {}
    fn send<T: Send + 'static>() {}
    send_sync::<Client>();
    send_sync::<glassix_client::Department>();
    send_sync::<Error>();
    send_sync::<glassix_client::Ticket>();
    send::<futures::stream::BoxStream<'static, glassix_client::Result<glassix_client::Ticket>>>();
}
