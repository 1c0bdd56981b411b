use glassix_client::models::CannedReply;
use intercom_client::models::{ArticleState, ParentType};
use serde_json::json;

use super::*;
use crate::map::{
    ArticleMapper, AutomationExport, CANNED_REPLIES_COLLECTION, DefaultArticleMapper,
    IntercomEquivalent, InventoryBuilder, KnowledgeBaseExport, Mapped, ReasonCode,
    plan_collections,
};
use crate::spec::{AgentPolicy, CannedRepliesPolicy};

fn kb() -> KnowledgeBaseExport {
    KnowledgeBaseExport::from_json(
        &json!({
            "format": "glassix-knowledge-base", "version": 1,
            "categories": [
                {"id": "c-child", "name": "Refunds", "parentId": "c-root", "order": 1},
                {"id": "c-root", "name": "Billing", "description": "Money", "parentId": null},
                {"id": "c-orphan", "name": "Orphan", "parentId": "gone"}
            ],
            "articles": [
                {"id": "a1", "title": "How refunds work", "categoryId": "c-child",
                 "bodyHtml": "<p style='x'>Refunds take <b>5 days</b>.</p><script>x()</script>",
                 "state": "published", "authorUserName": "DANA.whitfield@example.com",
                 "culture": "he-IL", "tags": ["Billing"], "createdAt": "2024-01-01T00:00:00Z",
                 "updatedAt": "2024-02-01T00:00:00Z"},
                {"id": "a2", "title": "Draft", "categoryId": "c-root", "bodyHtml": "<p>x</p>",
                 "state": "archived", "authorUserName": "ghost@example.com",
                 "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}
            ]
        })
        .to_string(),
    )
    .unwrap()
}

#[test]
fn kb_export_reader_refuses_another_format() {
    let err =
        KnowledgeBaseExport::from_json(r#"{"format":"something-else","version":1}"#).unwrap_err();
    assert!(err.to_string().contains("glassix-knowledge-base"), "{err}");
    let err = AutomationExport::from_json("{not json").unwrap_err();
    assert!(err.to_string().contains("automation export"), "{err}");
}

#[test]
fn categories_become_collections_parents_first() {
    let s = spec(TicketTarget::Tickets);
    let dir = directory();
    let plans = plan_collections(Some(&kb()), &[], &ctx(&s, &dir));
    let ids: Vec<&str> = plans.iter().map(|p| p.source_id.as_str()).collect();
    let root = ids.iter().position(|i| *i == "c-root").unwrap();
    let child = ids.iter().position(|i| *i == "c-child").unwrap();
    assert!(root < child, "{ids:?}");
    assert_eq!(plans[child].parent_source_id.as_deref(), Some("c-root"));
    let orphan = plans.iter().find(|p| p.source_id == "c-orphan").unwrap();
    assert_eq!(orphan.parent_source_id, None);
    // The child's request waits for the parent's id.
    assert!(plans[child].request_for(&dir).is_none());
    let mut dir2 = dir.clone();
    dir2.collections.insert("c-root".into(), "col-1".into());
    assert_eq!(
        plans[child]
            .request_for(&dir2)
            .unwrap()
            .parent_id
            .as_deref(),
        Some("col-1")
    );
    assert_eq!(plans[root].request.description.as_deref(), Some("Money"));
}

#[test]
fn articles_keep_collection_body_state_and_author() {
    let s = spec(TicketTarget::Tickets);
    let mut dir = directory();
    let kb = kb();
    let out = DefaultArticleMapper.map_article(&kb.articles[0], &ctx(&s, &dir));
    assert_eq!(out.reason().unwrap().code, ReasonCode::MissingCollection);

    dir.collections.insert("c-child".into(), "col-2".into());
    dir.collections.insert("c-root".into(), "col-1".into());
    let Mapped::Write { value, notes } =
        DefaultArticleMapper.map_article(&kb.articles[0], &ctx(&s, &dir))
    else {
        panic!()
    };
    let r = &value.request;
    assert_eq!(r.author_id, "101");
    assert_eq!(r.parent_id.as_deref(), Some("col-2"));
    assert_eq!(r.parent_type, Some(ParentType::Collection));
    assert_eq!(r.state, Some(ArticleState::Published));
    let body = r.body.as_deref().unwrap();
    assert!(
        body.contains("<b>5 days</b>") && !body.contains("script"),
        "{body}"
    );
    assert_eq!(value.tags[0].name, "Billing");
    assert_eq!(value.source_id, "kb:a1");
    assert!(notes.iter().any(|n| n.field == "culture"));

    // Unknown author: credited to the acting admin with a warning; unknown state → draft.
    let Mapped::Write { value, notes } =
        DefaultArticleMapper.map_article(&kb.articles[1], &ctx(&s, &dir))
    else {
        panic!()
    };
    assert_eq!(value.request.author_id, "900");
    assert_eq!(value.request.state, Some(ArticleState::Draft));
    assert!(notes.iter().any(|n| n.field == "authorUserName"));

    // No acting admin and no fallback: queued.
    dir.acting_admin = None;
    let out = DefaultArticleMapper.map_article(&kb.articles[1], &ctx(&s, &dir));
    assert_eq!(out.reason().unwrap().code, ReasonCode::UnmatchedAgent);
    let mut s2 = s.clone();
    s2.policies.unmatched_agent = AgentPolicy::FallbackAdmin("555".into());
    let out = DefaultArticleMapper.map_article(&kb.articles[1], &ctx(&s2, &dir));
    assert_eq!(out.value().unwrap().request.author_id, "555");
}

fn canned() -> Vec<CannedReply> {
    if let Some(f) = fixtures() {
        return serde_json::from_value(f["cannedreplies_getall"].clone()).unwrap();
    }
    serde_json::from_value(json!([
        {"id": 73001, "title": "Refund confirmation", "text": "Done.", "html": "<p>Done.</p>",
         "autoTags": ["Billing"], "categoryName": "Billing"},
        {"id": 73002, "title": "Password reset link", "text": "Use the link.", "html": "",
         "autoTags": [], "categoryName": "Account"}
    ]))
    .unwrap()
}

#[test]
fn canned_replies_follow_their_policy() {
    let replies = canned();
    let mut s = spec(TicketTarget::Tickets);
    let mut dir = directory();

    for policy in [CannedRepliesPolicy::Skip, CannedRepliesPolicy::Inventory] {
        s.policies.canned_replies = policy;
        let out = DefaultArticleMapper.map_canned_reply(&replies[0], &ctx(&s, &dir));
        assert!(out.is_skip());
        assert_eq!(out.reason().unwrap().code, ReasonCode::CannedReplyPolicy);
        assert!(plan_collections(None, &replies, &ctx(&s, &dir)).is_empty());
    }

    s.policies.canned_replies = CannedRepliesPolicy::Articles;
    let plans = plan_collections(None, &replies, &ctx(&s, &dir));
    let ids: Vec<&str> = plans.iter().map(|p| p.source_id.as_str()).collect();
    assert_eq!(ids[0], CANNED_REPLIES_COLLECTION);
    assert!(ids.contains(&"glassix-canned-replies/Billing"));
    assert!(ids.contains(&"glassix-canned-replies/Account"));
    dir.collections
        .insert("glassix-canned-replies/Account".into(), "col-9".into());
    let out = DefaultArticleMapper.map_canned_reply(&replies[1], &ctx(&s, &dir));
    let plan = out.value().unwrap();
    assert_eq!(plan.request.state, Some(ArticleState::Draft));
    assert_eq!(plan.request.parent_id.as_deref(), Some("col-9"));
    assert!(
        plan.request
            .body
            .as_deref()
            .unwrap()
            .starts_with("<p>You can reset")
            || plan
                .request
                .body
                .as_deref()
                .unwrap()
                .starts_with("<p>Use the link")
    );
    let out = DefaultArticleMapper.map_canned_reply(&replies[0], &ctx(&s, &dir));
    assert_eq!(out.reason().unwrap().code, ReasonCode::MissingCollection);
}

#[test]
fn inventory_from_export_and_tickets_with_recommendations() {
    let flow = "c0ffee00-1234-4abc-9def-001122334455";
    let export = AutomationExport::from_json(
        &json!({
            "format": "glassix-automation-inventory", "version": 1,
            "chatbots": [
                {"flowId": flow, "name": "Billing bot", "departmentId": DEPT, "flowVersion": 3.0,
                 "channels": ["WhatsApp"], "enabled": true,
                 "cards": [{"uniqueCardId": "k1", "friendlyName": "Ask account", "stepType": "Question"},
                           {"uniqueCardId": "k2", "friendlyName": "To agent", "stepType": "Handoff"}],
                 "dynamicParameters": ["accountNumber"]},
                {"flowId": "d0d0d0d0-0000-4000-8000-000000000000", "name": "FAQ", "departmentId": DEPT,
                 "flowVersion": 1.0, "channels": ["Web"], "enabled": false,
                 "cards": [{"uniqueCardId": "k3", "friendlyName": "Opening hours", "stepType": "Message"}],
                 "dynamicParameters": []}
            ],
            "workflows": [
                {"id": "w1", "name": "Chase silence", "departmentId": DEPT, "trigger": "NoReplyTimeout",
                 "conditions": ["no reply for 24h"], "actions": ["send reminder"], "enabled": true}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let mut b = InventoryBuilder::new();
    b.observe_export(&export);
    let mut t = ticket(vec![]);
    t["botConversationSteps"] = json!([
        {"flowId": flow, "flowName": "Billing bot", "stepType": "Question", "cardFriendlyName": "Ask account"},
        {"flowId": flow, "flowName": "Billing bot", "stepType": "Handoff", "cardFriendlyName": "To agent"}
    ]);
    t["dynamicParameters"] = json!([
        {"flowId": flow, "name": "accountNumber", "strValue": "AC-1", "type": "String"}
    ]);
    b.observe_ticket(&decode_ticket(t.clone()));
    t["id"] = json!(501);
    b.observe_ticket(&decode_ticket(t));
    b.observe_canned_replies(&canned());
    let inv = b.build();

    let billing = inv.flows.iter().find(|f| f.name == "Billing bot").unwrap();
    assert_eq!(billing.ticket_count, 2);
    assert_eq!(billing.steps_seen.get("Ask account"), Some(&2));
    assert!(billing.parameters.contains("accountNumber"));
    let eq: Vec<IntercomEquivalent> = billing
        .recommendations
        .iter()
        .map(|r| r.equivalent)
        .collect();
    assert_eq!(
        eq,
        vec![
            IntercomEquivalent::Workflows,
            IntercomEquivalent::Attributes
        ]
    );
    let faq = inv.flows.iter().find(|f| f.name == "FAQ").unwrap();
    assert_eq!(faq.recommendations[0].equivalent, IntercomEquivalent::Fin);
    assert_eq!(faq.ticket_count, 0);
    let wf = &inv.workflows[0];
    assert!(
        wf.recommendations
            .iter()
            .any(|r| r.equivalent == IntercomEquivalent::Sla)
    );
    assert_eq!(inv.parameters.get("accountNumber"), Some(&2));
    assert_eq!(inv.canned_replies.len(), 2);

    let md = inv.to_markdown();
    for needle in [
        "### Billing bot",
        "Tickets through it: 2",
        "Ask account ×2",
        "**Fin AI Agent**",
        "### Chase silence",
        "**SLAs**",
        "Canned replies → Macros",
        "| accountNumber | 2 |",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in\n{md}");
    }
}
