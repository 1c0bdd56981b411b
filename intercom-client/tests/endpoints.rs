//! One wiremock test per endpoint family: the request the client sends (method, path, query,
//! headers, body) and the decoding of a realistic response; plus the 409 case, error bodies and
//! the three pagination styles.

// Test helpers outside #[test] functions may unwrap and panic too (clippy.toml only covers the
// test functions themselves): a failing assertion is the point of a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures::TryStreamExt;
use intercom_client::models::*;
use intercom_client::{Client, Error, ErrorCode};
use serde_json::json;
use wiremock::matchers::{
    body_json, body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const HEX: &str = "6762f0dd1bb69f9f2193bb83";

async fn setup() -> (MockServer, Client) {
    let server = MockServer::builder().start().await;
    let client = Client::builder()
        .access_token("secret-token".to_owned())
        .base_url(server.uri())
        .build()
        .unwrap();
    (server, client)
}

fn ok(v: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(v)
}

fn contact_json() -> serde_json::Value {
    json!({
        "type": "contact", "id": HEX, "workspace_id": "abc", "external_id": "g-1", "role": "user",
        "email": "jane@example.com", "phone": null, "name": "Jane", "owner_id": 991,
        "created_at": 1600000000, "updated_at": "1600000001", "signed_up_at": 1600000000.0,
        "custom_attributes": {"plan": "pro"}, "tags": {"type": "list", "data": [{"type": "tag", "id": "17", "url": "/tags/17"}], "url": "/contacts/x/tags", "total_count": 1, "has_more": false},
        "notes": null, "brand_new_field": {"x": 1}, "location": {"city": "Paris"}
    })
}

#[tokio::test]
async fn sends_auth_version_and_accept_headers() {
    let (server, c) = setup().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .and(header("authorization", "Bearer secret-token"))
        .and(header("intercom-version", "2.16"))
        .and(header("accept", "application/json"))
        .respond_with(ok(json!({"type": "admin", "id": "991", "email": "a@x.io", "team_ids": [1, 2],
            "app": {"type": "app", "id_code": "xyz", "name": "ACME", "region": "EU", "timezone": "Europe/Paris", "created_at": 1671465577}})))
        .expect(1)
        .mount(&server)
        .await;
    let me = c.admins().me().await.unwrap();
    assert_eq!(me.admin.id, "991");
    assert_eq!(me.admin.team_ids, vec!["1", "2"]);
    assert_eq!(me.app.unwrap().region.as_deref(), Some("EU"));
    // A configured version is sent instead.
    let c215 = Client::builder()
        .access_token("t".to_owned())
        .base_url(server.uri())
        .api_version("2.15")
        .build()
        .unwrap();
    Mock::given(path("/teams"))
        .and(header("intercom-version", "2.15"))
        .respond_with(ok(json!({"type": "team.list", "teams": []})))
        .expect(1)
        .mount(&server)
        .await;
    assert!(c215.admins().list_teams().await.unwrap().is_empty());
}

#[tokio::test]
async fn admins_and_teams() {
    let (server, c) = setup().await;
    Mock::given(path("/admins")).respond_with(ok(json!({"type": "admin.list", "admins": [{"type": "admin", "id": "1", "name": "Ann", "email": "ann@x.io", "has_inbox_seat": true, "role": {"id": 3}}]}))).mount(&server).await;
    Mock::given(path("/admins/1"))
        .respond_with(ok(json!({"type": "admin", "id": 1, "name": "Ann"})))
        .mount(&server)
        .await;
    Mock::given(path("/teams/5"))
        .respond_with(ok(
            json!({"type": "team", "id": "5", "name": "Support", "admin_ids": [1]}),
        ))
        .mount(&server)
        .await;
    let admins = c.admins().list().await.unwrap();
    assert_eq!(admins[0].email.as_deref(), Some("ann@x.io"));
    assert_eq!(admins[0].has_inbox_seat, Some(true));
    assert!(
        admins[0].extra.contains_key("role"),
        "unknown fields are kept"
    );
    assert_eq!(c.admins().get("1").await.unwrap().id, "1");
    assert_eq!(
        c.admins().get_team("5").await.unwrap().name.as_deref(),
        Some("Support")
    );
}

#[tokio::test]
async fn contacts_crud_and_lenient_decoding() {
    let (server, c) = setup().await;
    Mock::given(method("POST")).and(path("/contacts"))
        .and(body_json(json!({"role": "user", "external_id": "g-1", "email": "jane@example.com", "name": "Jane", "signed_up_at": 1600000000, "unsubscribed_from_emails": true, "custom_attributes": {"plan": "pro"}})))
        .respond_with(ok(contact_json())).expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path(format!("/contacts/{HEX}")))
        .respond_with(ok(contact_json()))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/contacts/{HEX}")))
        .and(body_json(json!({"phone": "+331"})))
        .respond_with(ok(contact_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/contacts/{HEX}")))
        .respond_with(ok(
            json!({"type": "contact", "id": HEX, "external_id": "g-1", "deleted": true}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/contacts/{HEX}/archive")))
        .respond_with(ok(json!({"type": "contact", "id": HEX, "archived": true})))
        .mount(&server)
        .await;

    let created = c
        .contacts()
        .create(&CreateContact {
            role: Some(Role::User),
            external_id: Some("g-1".into()),
            email: Some("jane@example.com".into()),
            name: Some("Jane".into()),
            signed_up_at: Some(1_600_000_000),
            unsubscribed_from_emails: Some(true),
            custom_attributes: Some(json!({"plan": "pro"}).as_object().unwrap().clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.id, HEX);
    assert_eq!(created.role, Some(Role::User));
    assert_eq!(
        created.owner_id.as_deref(),
        Some("991"),
        "integer owner_id accepted"
    );
    assert_eq!(
        created.updated_at,
        Some(1_600_000_001),
        "string timestamp accepted"
    );
    assert_eq!(
        created.signed_up_at,
        Some(1_600_000_000),
        "float timestamp accepted"
    );
    assert_eq!(created.phone, None);
    assert_eq!(created.tags.unwrap().data[0].id.as_deref(), Some("17"));
    assert!(created.extra.contains_key("brand_new_field"));
    assert_eq!(
        c.contacts().get(HEX).await.unwrap().email.as_deref(),
        Some("jane@example.com")
    );
    c.contacts()
        .update(
            HEX,
            &UpdateContact {
                phone: Some("+331".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(c.contacts().delete(HEX).await.unwrap().deleted);
    assert!(c.contacts().archive(HEX).await.unwrap().archived);
    // Refused before sending: none of email/external_id/role.
    let err = c
        .contacts()
        .create(&CreateContact {
            name: Some("x".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)));
}

#[tokio::test]
async fn unknown_role_is_kept() {
    let (server, c) = setup().await;
    Mock::given(path(format!("/contacts/{HEX}")))
        .respond_with(ok(json!({"id": HEX, "role": "visitor"})))
        .mount(&server)
        .await;
    assert_eq!(
        c.contacts().get(HEX).await.unwrap().role,
        Some(Role::Unknown("visitor".into()))
    );
}

#[tokio::test]
async fn duplicate_contact_is_its_own_case() {
    let (server, c) = setup().await;
    Mock::given(method("POST")).and(path("/contacts")).respond_with(ResponseTemplate::new(409).set_body_json(json!({
        "type": "error.list", "request_id": "req-9",
        "errors": [{"code": "conflict", "message": format!("A contact matching those details already exists with id={HEX}")}]
    }))).mount(&server).await;
    let err = c
        .contacts()
        .create(&CreateContact {
            email: Some("jane@example.com".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    match &err {
        Error::DuplicateContact {
            existing_id,
            request_id,
            ..
        } => {
            assert_eq!(existing_id.as_deref(), Some(HEX));
            assert_eq!(request_id.as_deref(), Some("req-9"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(409));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn duplicate_contact_without_id_in_message() {
    let (server, c) = setup().await;
    Mock::given(method("POST")).and(path("/contacts")).respond_with(ResponseTemplate::new(409).set_body_json(json!({
        "type": "error.list", "errors": [{"code": "conflict", "message": "Multiple existing users match this email address"}]
    }))).mount(&server).await;
    let err = c
        .contacts()
        .create(&CreateContact {
            email: Some("a@b.c".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::DuplicateContact {
                existing_id: None,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_bodies_are_decoded() {
    let (server, c) = setup().await;
    Mock::given(path("/tickets/1")).respond_with(ResponseTemplate::new(400).set_body_json(json!({
        "type": "error.list", "request_id": "b5f1",
        "errors": [{"code": "ticket_state_id_invalid", "message": "Ticket state id is invalid", "field": "ticket_state_id"}, {"code": "shiny_new_code"}]
    }))).mount(&server).await;
    Mock::given(path("/tickets/2"))
        .respond_with(ResponseTemplate::new(401).set_body_string("Unauthorized"))
        .mount(&server)
        .await;
    let err = c
        .tickets()
        .update(
            "1",
            &UpdateTicket {
                ticket_state_id: Some("9".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.request_id(), Some("b5f1"));
    let e = err.api_errors();
    assert_eq!(e[0].code, ErrorCode::TicketStateIdInvalid);
    assert_eq!(e[0].field.as_deref(), Some("ticket_state_id"));
    assert_eq!(e[1].code, ErrorCode::Unknown("shiny_new_code".into()));
    assert!(!err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("PUT /tickets/1")
            && text.contains("ticket_state_id_invalid")
            && text.contains("b5f1"),
        "{text}"
    );
    assert!(!text.contains("secret-token"));
    let err = c.tickets().get("2").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.api_errors()[0].message.as_deref(), Some("Unauthorized"));
}

#[tokio::test]
async fn decode_errors_name_the_field() {
    let (server, c) = setup().await;
    Mock::given(path("/tags"))
        .respond_with(ok(
            json!({"type": "list", "data": [{"id": "1", "name": ["not", "a", "string"]}]}),
        ))
        .mount(&server)
        .await;
    let err = c.tags().list().await.unwrap_err();
    match err {
        Error::Decode { at, .. } => assert_eq!(at, "data[0].name"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn find_by_external_id_and_search_helpers() {
    let (server, c) = setup().await;
    Mock::given(path("/contacts/find_by_external_id/g-1"))
        .respond_with(ok(contact_json()))
        .mount(&server)
        .await;
    Mock::given(path("/contacts/find_by_external_id/missing")).respond_with(ResponseTemplate::new(404).set_body_json(json!({"type": "error.list", "errors": [{"code": "not_found", "message": "User Not Found"}]}))).mount(&server).await;
    Mock::given(path("/contacts/find_by_external_id/merged"))
        .respond_with(
            ResponseTemplate::new(410)
                .set_body_json(json!({"type": "error.list", "errors": [{"code": "not_found"}]})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/contacts/search"))
        .and(body_json(json!({"query": {"field": "email", "operator": "=", "value": "jane@example.com"}})))
        .respond_with(ok(json!({"type": "list", "data": [contact_json()], "total_count": 1, "pages": {"type": "pages", "page": 1, "per_page": 50, "total_pages": 1}}))).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/contacts/search"))
        .and(body_json(
            json!({"query": {"field": "external_id", "operator": "=", "value": "g-1"}}),
        ))
        .respond_with(ok(json!({"type": "list", "data": [], "total_count": 0})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        c.contacts()
            .find_by_external_id("g-1")
            .await
            .unwrap()
            .unwrap()
            .id,
        HEX
    );
    assert!(
        c.contacts()
            .find_by_external_id("missing")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        c.contacts()
            .find_by_external_id("merged")
            .await
            .unwrap_err()
            .status(),
        Some(410)
    );
    assert_eq!(
        c.contacts()
            .search_by_email("jane@example.com")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        c.contacts()
            .search_by_external_id("g-1")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn notes_and_contact_tags() {
    let (server, c) = setup().await;
    Mock::given(method("POST")).and(path(format!("/contacts/{HEX}/notes"))).and(body_json(json!({"body": "Imported", "admin_id": "991"})))
        .respond_with(ok(json!({"type": "note", "id": 5, "created_at": 1700000000, "contact": {"type": "contact", "id": HEX}, "author": {"type": "admin", "id": "991"}, "body": "<p>Imported</p>"}))).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path(format!("/contacts/{HEX}/tags")))
        .and(body_json(json!({"id": "17"})))
        .respond_with(ok(json!({"type": "tag", "id": "17", "name": "vip"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/contacts/{HEX}/tags/17")))
        .respond_with(ok(json!({"type": "tag", "id": "17", "name": "vip"})))
        .expect(1)
        .mount(&server)
        .await;
    let note = c
        .contacts()
        .create_note(
            HEX,
            &CreateNote {
                body: "Imported".into(),
                admin_id: Some("991".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(note.id, "5");
    assert_eq!(note.author.unwrap().id, "991");
    assert_eq!(
        c.tags()
            .tag_contact(HEX, "17")
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("vip")
    );
    c.tags().untag_contact(HEX, "17").await.unwrap();
}

#[tokio::test]
async fn tags_endpoints() {
    let (server, c) = setup().await;
    Mock::given(method("POST"))
        .and(path("/tags"))
        .and(body_json(json!({"name": "imported"})))
        .respond_with(ok(json!({"type": "tag", "id": "17", "name": "imported"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/tags"))
        .respond_with(ok(
            json!({"type": "list", "data": [{"type": "tag", "id": "17", "name": "imported"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/tags/17"))
        .respond_with(ok(json!({"type": "tag", "id": "17", "name": "imported"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/tags/17"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/conversations/123/tags")).and(body_json(json!({"id": "17", "admin_id": "991"})))
        .respond_with(ok(json!({"type": "tag", "id": "17", "name": "imported", "applied_at": 1700000000, "applied_by": {"type": "admin", "id": "991"}}))).expect(1).mount(&server).await;
    Mock::given(method("DELETE"))
        .and(path("/conversations/123/tags/17"))
        .and(body_json(json!({"admin_id": "991"})))
        .respond_with(ok(json!({"type": "tag", "id": "17"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/tickets/456/tags"))
        .and(body_json(json!({"id": "17", "admin_id": "991"})))
        .respond_with(ok(json!({"type": "tag", "id": "17"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/tickets/456/tags/17"))
        .and(body_json(json!({"admin_id": "991"})))
        .respond_with(ok(json!({"type": "tag", "id": "17"})))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        c.tags()
            .create_or_find(&CreateTag {
                name: "imported".into(),
                id: None
            })
            .await
            .unwrap()
            .id,
        "17"
    );
    assert_eq!(c.tags().list().await.unwrap().len(), 1);
    assert_eq!(
        c.tags().get("17").await.unwrap().name.as_deref(),
        Some("imported")
    );
    c.tags().delete("17").await.unwrap();
    let t = c.tags().tag_conversation("123", "17", "991").await.unwrap();
    assert_eq!(t.applied_at, Some(1_700_000_000));
    assert_eq!(t.applied_by.unwrap().id.as_deref(), Some("991"));
    c.tags()
        .untag_conversation("123", "17", "991")
        .await
        .unwrap();
    c.tags().tag_ticket("456", "17", "991").await.unwrap();
    c.tags().untag_ticket("456", "17", "991").await.unwrap();
}

#[tokio::test]
async fn data_and_conversation_attributes() {
    let (server, c) = setup().await;
    Mock::given(method("GET")).and(path("/data_attributes")).and(query_param("model", "contact")).and(query_param("include_archived", "true"))
        .respond_with(ok(json!({"type": "list", "data": [{"type": "data_attribute", "id": 42, "model": "contact", "name": "plan", "full_name": "custom_attributes.plan", "data_type": "string", "custom": true, "archived": false}, {"id": 43, "data_type": "money"}]}))).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/data_attributes"))
        .and(body_json(
            json!({"name": "plan", "model": "contact", "data_type": "string"}),
        ))
        .respond_with(ok(
            json!({"type": "data_attribute", "id": 42, "name": "plan"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/data_attributes/42"))
        .and(body_json(json!({"archived": true})))
        .respond_with(ok(
            json!({"type": "data_attribute", "id": 42, "archived": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/conversations/attributes")).and(query_param_is_missing("include_archived"))
        .respond_with(ok(json!({"type": "list", "data": [{"id": "7", "name": "source_channel", "data_type": "string", "multiline": false}]}))).mount(&server).await;
    Mock::given(method("POST")).and(path("/conversations/attributes")).and(body_json(json!({"name": "queue", "data_type": "list", "options": [{"label": "Sales"}, {"label": "Support"}]})))
        .respond_with(ok(json!({"id": "8", "name": "queue", "data_type": "list", "options": [{"id": "o1", "label": "Sales"}]}))).expect(1).mount(&server).await;
    Mock::given(method("PUT"))
        .and(path("/conversations/attributes/8"))
        .and(body_json(json!({"name": "queue2"})))
        .respond_with(ok(
            json!({"id": "8", "name": "queue2", "data_type": "list"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/conversations/attributes/8"))
        .respond_with(ok(
            json!({"id": "8", "archived": true, "data_type": "list"}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let list = c
        .attributes()
        .list_data_attributes(Some(AttributeModel::Contact), true)
        .await
        .unwrap();
    assert_eq!(list[0].id, "42");
    assert_eq!(list[0].data_type, Some(DataType::String));
    assert_eq!(list[1].data_type, Some(DataType::Unknown("money".into())));
    let created = c
        .attributes()
        .create_data_attribute(&CreateDataAttribute {
            name: "plan".into(),
            model: CreateAttributeModel::Contact,
            data_type: DataType::String,
            description: None,
            options: None,
            messenger_writable: None,
        })
        .await
        .unwrap();
    assert_eq!(created.id, "42");
    assert_eq!(
        c.attributes()
            .archive_data_attribute("42")
            .await
            .unwrap()
            .archived,
        Some(true)
    );
    let err = c
        .attributes()
        .create_data_attribute(&CreateDataAttribute {
            name: "t".into(),
            model: CreateAttributeModel::Contact,
            data_type: DataType::Options,
            description: None,
            options: Some(vec![AttributeOption {
                value: "one".into(),
            }]),
            messenger_writable: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(_)),
        "options need 2 entries"
    );
    assert_eq!(
        c.attributes()
            .list_conversation_attributes(false)
            .await
            .unwrap()[0]
            .data_type,
        Some(ConversationAttributeType::String)
    );
    let mut q = CreateConversationAttribute::new("queue", ConversationAttributeType::List);
    q.options = Some(vec![
        ConversationAttributeOption {
            label: "Sales".into(),
        },
        ConversationAttributeOption {
            label: "Support".into(),
        },
    ]);
    let a = c
        .attributes()
        .create_conversation_attribute(&q)
        .await
        .unwrap();
    assert!(a.extra.contains_key("options"));
    c.attributes()
        .update_conversation_attribute(
            "8",
            &UpdateConversationAttribute {
                name: Some("queue2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.attributes()
            .archive_conversation_attribute("8")
            .await
            .unwrap()
            .archived,
        Some(true)
    );
}

#[tokio::test]
async fn ticket_types_and_states() {
    let (server, c) = setup().await;
    let tt = json!({"type": "ticket_type", "id": "5", "name": "Imported", "category": "Back-office", "icon": "🎟️", "archived": false,
        "ticket_type_attributes": {"type": "list", "ticket_type_attributes": [{"type": "ticket_type_attribute", "id": "9", "name": "_default_title_", "data_type": "string"}]},
        "ticket_states": {"type": "list", "data": []}});
    Mock::given(method("GET"))
        .and(path("/ticket_types"))
        .respond_with(ok(json!({"type": "list", "data": [tt.clone()]})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ticket_types/5"))
        .respond_with(ok(tt.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/ticket_types"))
        .and(body_json(
            json!({"name": "Imported", "category": "Back-office"}),
        ))
        .respond_with(ok(tt.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/ticket_types/5/attributes")).and(body_json(json!({"name": "queue", "description": "Queue", "data_type": "list", "list_items": "A,B"})))
        .respond_with(ok(json!({"type": "ticket_type_attribute", "id": "10", "name": "queue", "data_type": "list", "input_options": {"list_options": [{"id": "g1", "label": "A"}]}}))).expect(1).mount(&server).await;
    Mock::given(method("GET")).and(path("/ticket_states")).respond_with(ok(json!({"type": "list", "data": [{"type": "ticket_state", "id": "3", "category": "in_progress", "internal_label": "Working", "external_label": "In progress"}, {"id": 4, "category": "parked"}]}))).mount(&server).await;

    Mock::given(method("PUT"))
        .and(path("/ticket_types/5"))
        .and(body_json(json!({"archived": true})))
        .respond_with(ok(
            json!({"type": "ticket_type", "id": "5", "archived": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/ticket_types/5/attributes/10"))
        .and(body_json(json!({"archived": true})))
        .respond_with(ok(
            json!({"type": "ticket_type_attribute", "id": "10", "archived": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let archived = UpdateTicketType {
        archived: Some(true),
        ..Default::default()
    };
    assert_eq!(
        c.ticket_types()
            .update("5", &archived)
            .await
            .unwrap()
            .archived,
        Some(true)
    );
    let archived = UpdateTicketTypeAttribute {
        archived: Some(true),
        ..Default::default()
    };
    assert_eq!(
        c.ticket_types()
            .update_attribute("5", "10", &archived)
            .await
            .unwrap()
            .archived,
        Some(true)
    );
    let types = c.ticket_types().list().await.unwrap();
    assert_eq!(types[0].category, Some(TicketCategory::BackOffice));
    assert_eq!(
        types[0]
            .ticket_type_attributes
            .as_ref()
            .unwrap()
            .ticket_type_attributes[0]
            .name
            .as_deref(),
        Some("_default_title_")
    );
    assert_eq!(c.ticket_types().get("5").await.unwrap().id, "5");
    c.ticket_types()
        .create(&CreateTicketType {
            name: "Imported".into(),
            category: Some(TicketCategory::BackOffice),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut a = CreateTicketTypeAttribute::new("queue", "Queue", TicketAttributeType::List);
    a.list_items = Some("A,B".into());
    assert!(
        c.ticket_types()
            .create_attribute("5", &a)
            .await
            .unwrap()
            .extra
            .contains_key("input_options")
    );
    let states = c.ticket_types().list_states().await.unwrap();
    assert_eq!(states[0].category, Some(TicketStateCategory::InProgress));
    assert_eq!(states[1].id, "4");
    assert_eq!(
        states[1].category,
        Some(TicketStateCategory::Unknown("parked".into()))
    );
}

fn ticket_json() -> serde_json::Value {
    json!({"type": "ticket", "id": "456", "ticket_id": "22", "category": "Customer",
        "ticket_attributes": {"_default_title_": "Printer"}, "ticket_state": {"type": "ticket_state", "id": "3", "category": "submitted"},
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": HEX, "external_id": "g-1"}]},
        "admin_assignee_id": 991, "team_assignee_id": 0, "created_at": 1600000000, "open": true,
        "ticket_parts": {"type": "ticket_part.list", "ticket_parts": [{"type": "ticket_part", "id": "p1", "part_type": "comment", "body": "<p>hi</p>", "created_at": 1600000001, "author": {"type": "user", "id": HEX}}], "total_count": 1}})
}

#[tokio::test]
async fn tickets_endpoints() {
    let (server, c) = setup().await;
    Mock::given(method("POST")).and(path("/tickets"))
        .and(body_json(json!({"ticket_type_id": "5", "contacts": [{"external_id": "g-1"}], "ticket_attributes": {"_default_title_": "Printer"}, "created_at": 1600000000, "skip_notifications": true})))
        .respond_with(ok(ticket_json())).expect(1).mount(&server).await;
    Mock::given(method("POST")).and(path("/tickets/456/reply"))
        .and(body_json(json!({"message_type": "note", "type": "admin", "admin_id": "991", "body": "n", "created_at": 1600000100})))
        .respond_with(ok(json!({"type": "ticket_part", "id": "p2", "part_type": "note", "body": "<p>n</p>", "created_at": 1600000100, "author": {"type": "admin", "id": "991"}, "attachments": []}))).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/tickets/456/reply"))
        .and(body_json(
            json!({"message_type": "comment", "type": "user", "user_id": "g-1", "body": "thanks"}),
        ))
        .respond_with(ok(
            json!({"type": "ticket_part", "id": "p3", "part_type": "comment"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/tickets/456"))
        .and(body_json(
            json!({"ticket_state_id": "3", "admin_id": 991, "assignee_id": "0"}),
        ))
        .respond_with(ok(ticket_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/tickets/456"))
        .respond_with(ok(ticket_json()))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/tickets/456"))
        .respond_with(ok(
            json!({"id": "456", "object": "ticket", "deleted": true}),
        ))
        .mount(&server)
        .await;

    let mut ct = CreateTicket::new(
        "5",
        TicketContact::ExternalId {
            external_id: "g-1".into(),
        },
    );
    ct.ticket_attributes = Some(
        json!({"_default_title_": "Printer"})
            .as_object()
            .unwrap()
            .clone(),
    );
    ct.created_at = Some(1_600_000_000);
    ct.skip_notifications = Some(true);
    let t = c.tickets().create(&ct).await.unwrap();
    assert_eq!((t.id.as_str(), t.ticket_id.as_deref()), ("456", Some("22")));
    assert_eq!(t.admin_assignee_id.as_deref(), Some("991"));
    assert_eq!(
        t.ticket_parts.unwrap().ticket_parts[0]
            .author
            .as_ref()
            .unwrap()
            .kind,
        Some(AuthorType::User)
    );
    let mut note = AdminTicketReply::new(AdminReplyType::Note, "991", "n");
    note.created_at = Some(1_600_000_100);
    assert_eq!(
        c.tickets()
            .reply("456", &TicketReply::Admin(note))
            .await
            .unwrap()
            .part_type
            .as_deref(),
        Some("note")
    );
    c.tickets()
        .reply(
            "456",
            &TicketReply::Contact(ContactTicketReply::new(
                ContactIdentifier::UserId("g-1".into()),
                "thanks",
            )),
        )
        .await
        .unwrap();
    c.tickets()
        .update(
            "456",
            &UpdateTicket {
                ticket_state_id: Some("3".into()),
                admin_id: Some("991".into()),
                assignee_id: Some("0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.tickets()
            .get("456")
            .await
            .unwrap()
            .ticket_state
            .unwrap()
            .category,
        Some(TicketStateCategory::Submitted)
    );
    assert!(c.tickets().delete("456").await.unwrap().deleted);
    // Refused before sending.
    let err = c
        .tickets()
        .update(
            "456",
            &UpdateTicket {
                admin_id: Some("not-a-number".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(ref m) if m.contains("must be numeric")),
        "{err:?}"
    );
    let mut two = CreateTicket::new("5", TicketContact::Id { id: HEX.into() });
    two.contacts.push(TicketContact::Email {
        email: "b@c.d".into(),
    });
    assert!(matches!(
        c.tickets().create(&two).await.unwrap_err(),
        Error::InvalidRequest(_)
    ));
}

fn conversation_json() -> serde_json::Value {
    json!({"type": "conversation", "id": "123", "title": "Printer", "created_at": 1600000000, "updated_at": 1600000500,
    "open": false, "state": "closed", "read": true, "priority": "not_priority", "admin_assignee_id": 991, "team_assignee_id": null,
    "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "17", "name": "imported"}]},
    "source": {"type": "conversation", "id": "403918", "delivered_as": "customer_initiated", "body": "<p>Hello</p>", "author": {"type": "user", "id": HEX, "name": "Jane"}, "attachments": []},
    "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": HEX}]},
    "custom_attributes": {"source_channel": "whatsapp"},
    "statistics": {"type": "conversation_statistics"},
    "conversation_parts": {"type": "conversation_part.list", "total_count": 3, "conversation_parts": [
        {"type": "conversation_part", "id": "1", "part_type": "comment", "body": "<p>We are on it</p>", "created_at": 1600000300, "author": {"type": "admin", "id": "991"}, "attachments": [{"type": "upload", "name": "a.png", "url": "https://x/a.png", "content_type": "image/png", "filesize": 10}], "app_package_code": "glassix-import"},
        {"type": "conversation_part", "id": "2", "part_type": "note", "body": "<p>internal</p>", "created_at": 1600000400, "author": {"type": "admin", "id": 991}},
        {"type": "conversation_part", "id": "3", "part_type": "close", "body": null, "created_at": 1700000000, "author": {"type": "admin", "id": "991"}, "attachments": null}
    ]}})
}

#[tokio::test]
async fn conversations_endpoints() {
    let (server, c) = setup().await;
    Mock::given(method("POST")).and(path("/conversations"))
        .and(body_json(json!({"from": {"type": "user", "id": HEX}, "body": "Hello", "created_at": 1600000000, "attachment_urls": ["https://x/a.png"]})))
        .respond_with(ok(json!({"type": "user_message", "id": "403918", "created_at": 1600000000, "body": "Hello", "message_type": "inapp", "conversation_id": "123"}))).expect(1).mount(&server).await;
    Mock::given(method("POST")).and(path("/conversations/123/reply"))
        .and(body_partial_json(json!({"message_type": "comment", "type": "admin", "admin_id": "991", "body": "We are on it", "created_at": 1600000300, "attachment_urls": ["https://x/a.png"], "attachment_files": [{"content_type": "text/plain", "data": "aGk=", "name": "a.txt"}]})))
        .respond_with(ok(conversation_json())).expect(1).mount(&server).await;
    Mock::given(method("POST")).and(path("/conversations/123/reply"))
        .and(body_json(json!({"message_type": "comment", "type": "user", "intercom_user_id": HEX, "body": "Thanks", "created_at": 1600000200})))
        .respond_with(ok(conversation_json())).expect(1).mount(&server).await;
    Mock::given(method("POST")).and(path("/conversations/123/parts")).and(body_json(json!({"message_type": "assignment", "type": "team", "admin_id": "991", "assignee_id": "12"})))
        .respond_with(ok(conversation_json())).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/conversations/123/parts"))
        .and(body_json(
            json!({"message_type": "close", "type": "admin", "admin_id": "991"}),
        ))
        .respond_with(ok(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/conversations/123/parts"))
        .and(body_json(
            json!({"message_type": "snoozed", "admin_id": "991", "snoozed_until": 1900000000}),
        ))
        .respond_with(ok(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/conversations/123/parts"))
        .and(body_json(
            json!({"message_type": "open", "admin_id": "991"}),
        ))
        .respond_with(ok(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/conversations/123"))
        .and(body_json(
            json!({"title": "Printer", "custom_attributes": {"source_channel": "whatsapp"}}),
        ))
        .respond_with(ok(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations/123"))
        .and(query_param("display_as", "plaintext"))
        .respond_with(ok(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/conversations/123"))
        .and(query_param_is_missing("display_as"))
        .respond_with(ok(conversation_json()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/conversations/123"))
        .and(query_param("retain_metrics", "false"))
        .respond_with(ok(
            json!({"id": "123", "object": "conversation", "deleted": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/conversations/123/convert"))
        .and(body_json(
            json!({"ticket_type_id": "5", "ticket_state_id": "3"}),
        ))
        .respond_with(ok(ticket_json()))
        .expect(1)
        .mount(&server)
        .await;

    let mut cc = CreateConversation::new(ContactType::User, HEX, "Hello");
    cc.created_at = Some(1_600_000_000);
    cc.attachment_urls = vec!["https://x/a.png".into()];
    assert_eq!(
        c.conversations().create(&cc).await.unwrap().conversation_id,
        "123"
    );
    let mut r = AdminReply::comment("991", "We are on it").created_at(1_600_000_300);
    r.attachment_urls = vec!["https://x/a.png".into()];
    r.attachment_files = vec![AttachmentFile::from_bytes("a.txt", "text/plain", b"hi")];
    let conv = c.conversations().reply("123", &r.into()).await.unwrap();
    assert_eq!(conv.parts_at(1_600_000_300, "991").count(), 1);
    assert_eq!(conv.parts_at(1_600_000_400, "991").next().unwrap().id, "2");
    assert_eq!(conv.parts_at(1_600_000_300, "992").count(), 0);
    let parts = conv.parts();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0].created_at, Some(1_600_000_300));
    assert_eq!(parts[0].attachments[0].filesize, Some(10));
    assert_eq!(parts[1].author.as_ref().unwrap().id.as_deref(), Some("991"));
    assert!(parts[2].attachments.is_empty());
    assert_eq!(conv.state, Some(ConversationState::Closed));
    assert_eq!(conv.team_assignee_id, None);
    assert_eq!(conv.tags.as_ref().unwrap().tags[0].id, "17");
    c.conversations()
        .reply(
            "123",
            &ContactReply::new(ContactIdentifier::IntercomUserId(HEX.into()), "Thanks")
                .created_at(1_600_000_200)
                .into(),
        )
        .await
        .unwrap();
    c.conversations()
        .act(
            "123",
            &ConversationAction::assign("991", AssigneeType::Team, "12"),
        )
        .await
        .unwrap();
    c.conversations()
        .act("123", &ConversationAction::close("991"))
        .await
        .unwrap();
    c.conversations()
        .act("123", &ConversationAction::snooze("991", 1_900_000_000))
        .await
        .unwrap();
    c.conversations()
        .act("123", &ConversationAction::open("991"))
        .await
        .unwrap();
    c.conversations()
        .update(
            "123",
            &UpdateConversation {
                title: Some("Printer".into()),
                custom_attributes: Some(
                    json!({"source_channel": "whatsapp"})
                        .as_object()
                        .unwrap()
                        .clone(),
                ),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.conversations()
            .get_plaintext("123")
            .await
            .unwrap()
            .parts()
            .len(),
        3
    );
    assert_eq!(
        c.conversations()
            .get("123")
            .await
            .unwrap()
            .custom_attributes["source_channel"],
        "whatsapp"
    );
    assert!(
        c.conversations()
            .delete("123", Some(false))
            .await
            .unwrap()
            .deleted
    );
    assert_eq!(
        c.conversations()
            .convert_to_ticket(
                "123",
                &ConvertToTicket {
                    ticket_type_id: "5".into(),
                    ticket_state_id: Some("3".into()),
                    attributes: None
                }
            )
            .await
            .unwrap()
            .id,
        "456"
    );

    // More than 10 attachments on one part is refused before sending.
    let mut big = AdminReply::note("991", "x");
    big.attachment_urls = (0..11).map(|i| format!("https://x/{i}")).collect();
    assert!(matches!(
        c.conversations()
            .reply("123", &big.into())
            .await
            .unwrap_err(),
        Error::InvalidRequest(_)
    ));
}

#[tokio::test]
async fn help_center_endpoints() {
    let (server, c) = setup().await;
    Mock::given(method("GET")).and(path("/help_center/help_centers")).respond_with(ok(json!({"type": "list", "data": [{"id": "2", "identifier": "acme", "display_name": "ACME Help", "default": true}]}))).mount(&server).await;
    Mock::given(method("POST")).and(path("/help_center/collections")).and(body_json(json!({"name": "Printers", "help_center_id": 2, "translated_content": {"fr": {"name": "Imprimantes"}}})))
        .respond_with(ok(json!({"id": "8", "name": "Printers", "parent_id": null, "help_center_id": 2, "translated_content": {"type": "group_translated_content"}}))).expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/help_center/collections/8"))
        .respond_with(ok(json!({"id": "8", "name": "Printers"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/help_center/collections/8"))
        .respond_with(ok(
            json!({"id": "8", "object": "collection", "deleted": true}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/articles")).and(body_json(json!({"title": "Fix", "author_id": 991, "body": "<p>b</p>", "state": "published", "parent_id": 8, "parent_type": "collection"})))
        .respond_with(ok(json!({"type": "article", "id": "31", "title": "Fix", "author_id": 991, "state": "published", "parent_id": 8, "parent_ids": [8], "statistics": {"views": 0}}))).expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/articles/31"))
        .respond_with(ok(json!({"type": "article", "id": "31", "state": "draft"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/articles/31"))
        .respond_with(ok(
            json!({"id": "31", "object": "article", "deleted": true}),
        ))
        .mount(&server)
        .await;

    assert_eq!(
        c.help_center().list_help_centers().await.unwrap()[0].default,
        Some(true)
    );
    let mut tr = std::collections::BTreeMap::new();
    tr.insert(
        "fr".to_owned(),
        GroupContent {
            name: Some("Imprimantes".into()),
            description: None,
        },
    );
    let col = c
        .help_center()
        .create_collection(&CreateCollection {
            name: "Printers".into(),
            help_center_id: Some("2".into()),
            translated_content: Some(tr),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (
            col.id.as_str(),
            col.help_center_id.as_deref(),
            col.parent_id.as_deref()
        ),
        ("8", Some("2"), None)
    );
    assert_eq!(
        c.help_center()
            .get_collection("8")
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Printers")
    );
    let art = c
        .help_center()
        .create_article(&CreateArticle {
            title: "Fix".into(),
            author_id: "991".into(),
            body: Some("<p>b</p>".into()),
            state: Some(ArticleState::Published),
            parent_id: Some("8".into()),
            parent_type: Some(ParentType::Collection),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(art.author_id.as_deref(), Some("991"));
    assert_eq!(art.parent_ids, vec!["8"]);
    assert_eq!(
        c.help_center().get_article("31").await.unwrap().state,
        Some(ArticleState::Draft)
    );
    assert!(c.help_center().delete_article("31").await.unwrap().deleted);
    assert!(
        c.help_center()
            .delete_collection("8")
            .await
            .unwrap()
            .deleted
    );
    let both = CreateArticle {
        title: "x".into(),
        author_id: "1".into(),
        body: Some("a".into()),
        body_markdown: Some("b".into()),
        ..Default::default()
    };
    assert!(matches!(
        c.help_center().create_article(&both).await.unwrap_err(),
        Error::InvalidRequest(_)
    ));
}

#[tokio::test]
async fn query_cursor_pagination_follows_starting_after() {
    let (server, c) = setup().await;
    let page = |ids: &[&str], next: Option<&str>| {
        let mut p = json!({"type": "pages", "per_page": 2});
        if let Some(n) = next {
            p["next"] = json!({"per_page": 2, "starting_after": n});
        }
        ok(
            json!({"type": "conversation.list", "conversations": ids.iter().map(|i| json!({"type": "conversation", "id": i})).collect::<Vec<_>>(), "pages": p}),
        )
    };
    Mock::given(path("/conversations"))
        .and(query_param("per_page", "2"))
        .and(query_param_is_missing("starting_after"))
        .respond_with(page(&["1", "2"], Some("c1")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/conversations"))
        .and(query_param("starting_after", "c1"))
        .respond_with(page(&["3", "4"], Some("c2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/conversations"))
        .and(query_param("starting_after", "c2"))
        .respond_with(page(&["5"], None))
        .expect(1)
        .mount(&server)
        .await;
    let ids: Vec<String> = c
        .conversations()
        .list(Some(2))
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);

    Mock::given(path(format!("/contacts/{HEX}/notes"))).respond_with(ok(json!({"type": "list", "data": [{"type": "note", "id": "n1"}], "pages": {"type": "pages"}}))).expect(1).mount(&server).await;
    let notes: Vec<Note> = c.contacts().notes(HEX, None).try_collect().await.unwrap();
    assert_eq!(notes.len(), 1);
}

#[tokio::test]
async fn body_cursor_pagination_sends_the_cursor_in_the_body() {
    let (server, c) = setup().await;
    let q = json!({"field": "external_id", "operator": "^", "value": "g-"});
    Mock::given(method("POST")).and(path("/contacts/search")).and(body_json(json!({"query": q, "pagination": {"per_page": 2}})))
        .respond_with(ok(json!({"type": "list", "data": [{"id": "a"}, {"id": "b"}], "total_count": 3, "pages": {"type": "pages", "page": 1, "per_page": 2, "total_pages": 2, "next": {"per_page": 2, "starting_after": "WzE="}}}))).expect(1).mount(&server).await;
    Mock::given(method("POST")).and(path("/contacts/search")).and(body_json(json!({"query": q, "pagination": {"per_page": 2, "starting_after": "WzE="}})))
        .respond_with(ok(json!({"type": "list", "data": [{"id": "c"}], "total_count": 3, "pages": {"type": "pages", "page": 2, "per_page": 2, "total_pages": 2, "next": null}}))).expect(1).mount(&server).await;
    let ids: Vec<String> = c
        .contacts()
        .search(
            &SearchRequest::new(SearchQuery::filter(
                "external_id",
                Operator::StartsWith,
                "g-",
            )),
            Some(2),
        )
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a", "b", "c"]);

    Mock::given(method("POST"))
        .and(path("/tickets/search"))
        .respond_with(ok(
            json!({"type": "ticket.list", "tickets": [ticket_json()], "pages": {"type": "pages"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let t: Vec<Ticket> = c
        .tickets()
        .search(&SearchRequest::new(SearchQuery::eq("open", true)), None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(t[0].id, "456");
    Mock::given(method("POST"))
        .and(path("/conversations/search"))
        .and(body_json(json!({"query": {"field": "contact_ids", "operator": "=", "value": HEX}, "pagination": {"per_page": 50}})))
        .respond_with(ok(json!({"type": "conversation.list", "conversations": [{"id": "77"}], "pages": {"type": "pages"}})))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    let mine: Vec<Conversation> = c
        .conversations()
        .search_by_contact(HEX, Some(50))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(mine[0].id, "77");
    Mock::given(method("POST")).and(path("/conversations/search")).respond_with(ok(json!({"type": "conversation.list", "conversations": [{"id": "9"}], "pages": {"type": "pages"}}))).expect(1).mount(&server).await;
    let cs: Vec<Conversation> = c
        .conversations()
        .search(
            &SearchRequest::new(SearchQuery::eq("source.author.id", HEX)),
            None,
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(cs[0].id, "9");
}

#[tokio::test]
async fn page_number_pagination_walks_to_total_pages() {
    let (server, c) = setup().await;
    for (n, ids) in [
        (1, vec!["a1", "a2"]),
        (2, vec!["a3", "a4"]),
        (3, vec!["a5"]),
    ] {
        Mock::given(path("/articles")).and(query_param("page", n.to_string())).and(query_param("per_page", "2"))
            .respond_with(ok(json!({"type": "list", "total_count": 5, "data": ids.iter().map(|i| json!({"type": "article", "id": i})).collect::<Vec<_>>(),
                "pages": {"type": "pages", "page": n, "per_page": 2, "total_pages": 3}})))
            .expect(1).mount(&server).await;
    }
    let ids: Vec<String> = c
        .help_center()
        .articles(Some(2))
        .map_ok(|a| a.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["a1", "a2", "a3", "a4", "a5"]);

    Mock::given(path("/help_center/collections")).and(query_param("page", "1"))
        .respond_with(ok(json!({"type": "list", "data": [{"id": "8"}], "pages": {"type": "pages", "page": 1, "per_page": 50, "total_pages": 1}}))).expect(1).mount(&server).await;
    let cols: Vec<Collection> = c
        .help_center()
        .collections(None)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(cols.len(), 1);
}

#[tokio::test]
async fn a_failing_page_ends_the_stream_with_the_error() {
    let (server, c) = setup().await;
    Mock::given(path("/articles"))
        .and(query_param("page", "1"))
        .respond_with(ok(
            json!({"data": [{"id": "a1"}], "pages": {"page": 1, "total_pages": 2}}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/articles"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"type": "error.list", "errors": [{"code": "api_plan_restricted"}]}),
        ))
        .mount(&server)
        .await;
    let items: Vec<Result<Article, Error>> =
        futures::StreamExt::collect(c.help_center().articles(None)).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().id, "a1");
    assert_eq!(
        items[1].as_ref().unwrap_err().api_errors()[0].code,
        ErrorCode::ApiPlanRestricted
    );
}
