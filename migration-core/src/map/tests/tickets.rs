use intercom_client::models::{AssigneeType, ConversationAction};
use serde_json::{Value, json};

use super::*;
use crate::map::{
    ATTR_CHANNEL, ATTR_CSAT, ATTR_CSAT_COMMENT, ATTR_DEPARTMENT, ATTR_FIRST_RESPONSE,
    ATTR_QUEUE_TIME, ATTR_RESOLUTION, ATTR_TICKET_ID, AttributeModel, CreateRequest,
    DefaultTicketMapper, Mapped, PartAuthor, PartKind, PlanFlag, ReasonCode, TargetState,
    TicketMapper, TicketPlan, attribute_definitions,
};
use crate::spec::{
    AgentPolicy, AttachmentsPolicy, DepartmentPolicy, FieldRule, FieldType, TargetModel,
};

fn map_with(t: Value, spec: &MappingSpec, dir: &Directory) -> Mapped<TicketPlan> {
    DefaultTicketMapper.map_ticket(&decode_ticket(t), &ctx(spec, dir))
}

fn map(t: Value, target: TicketTarget) -> Mapped<TicketPlan> {
    map_with(t, &spec(target), &directory())
}

fn write(out: Mapped<TicketPlan>) -> (TicketPlan, Vec<crate::map::FieldNote>) {
    match out {
        Mapped::Write { value, notes } => (value, notes),
        other => panic!("expected a write, got {other:?}"),
    }
}

fn conversation() -> Value {
    ticket(vec![
        tx(1, 1, "Message", priya(), "Hi, where is my order?"),
        tx(2, 5, "Message", dana(), "Checking now."),
        tx(3, 7, "Note", dana(), "Carrier delay."),
        tx(4, 9, "StateChange", dana(), ""),
        tx(5, 9, "Message", priya(), "Thanks"),
    ])
}

#[test]
fn ticket_to_conversation_plan_with_parts_in_order() {
    let (plan, notes) = write(map(conversation(), TicketTarget::Conversations));
    let CreateRequest::Conversation(create) = &plan.create else {
        panic!("{:?}", plan.create)
    };
    assert_eq!(create.from.id, "c0ffee000000000000000001");
    assert_eq!(create.body, "Hi, where is my order?");
    assert_eq!(create.created_at, Some(1_741_075_260)); // 08:01
    assert_eq!(
        plan.create_transaction_guid.as_deref(),
        Some("00000000-0000-4000-8000-000000000001")
    );
    // The event is not a part; the rest follow in order.
    let kinds: Vec<_> = plan
        .parts
        .iter()
        .map(|p| (p.position, p.kind, p.author.clone(), p.created_at))
        .collect();
    assert_eq!(kinds.len(), 3);
    assert_eq!(kinds[0].0, 0);
    assert_eq!(kinds[0].1, PartKind::Comment);
    assert_eq!(kinds[0].2, PartAuthor::Admin("101".into()));
    assert_eq!(kinds[0].3, 1_741_075_500);
    assert_eq!(kinds[1].1, PartKind::Note);
    assert_eq!(kinds[1].2, PartAuthor::Admin("101".into()));
    assert!(matches!(kinds[2].2, PartAuthor::Contact(_)));
    assert!(
        plan.parts
            .windows(2)
            .all(|w| w[0].created_at <= w[1].created_at)
    );
    assert_eq!(plan.parts[0].body, "<p>Checking now.</p>");
    assert!(notes.iter().any(|n| n.note.contains("StateChange ×1")));
    // Finish: attributes, assignment to admin and team, state open (no close).
    let update = plan.finish.conversation_update.as_ref().unwrap();
    assert_eq!(update.title.as_deref(), Some("Where is my order?"));
    let attrs = update.custom_attributes.as_ref().unwrap();
    assert_eq!(attrs[ATTR_TICKET_ID], json!(500));
    assert_eq!(attrs[ATTR_CHANNEL], json!("Mail"));
    assert_eq!(attrs[ATTR_DEPARTMENT], json!("Support"));
    assert_eq!(
        plan.finish.conversation_actions,
        vec![
            ConversationAction::assign("900", AssigneeType::Admin, "101"),
            ConversationAction::assign("900", AssigneeType::Team, "7"),
        ]
    );
    assert_eq!(plan.finish.state, TargetState::Open);
    assert_eq!(plan.finish.tags.len(), 2);
    assert!(plan.finish.ticket_update.is_none());
    // The replies serialise as Intercom expects.
    let reply = serde_json::to_value(plan.parts[1].to_conversation_reply(vec![])).unwrap();
    assert_eq!(reply["message_type"], "note");
    assert_eq!(reply["admin_id"], "101");
    assert_eq!(reply["created_at"], 1_741_075_620);
    let reply = serde_json::to_value(plan.parts[2].to_conversation_reply(vec![])).unwrap();
    assert_eq!(reply["type"], "user");
    assert_eq!(reply["intercom_user_id"], "c0ffee000000000000000001");
}

#[test]
fn ticket_to_ticket_plan_with_state_and_assignment() {
    let mut t = conversation();
    t["state"] = json!("Closed");
    t["close"] = json!("2025-03-04T09:00:00Z");
    t["ticketSummary"] = json!({"value": "Order delayed by carrier"});
    let (plan, _) = write(map(t, TicketTarget::Tickets));
    let CreateRequest::Ticket(create) = &plan.create else {
        panic!()
    };
    assert_eq!(create.ticket_type_id, "tt1");
    assert_eq!(create.created_at, Some(1_741_075_200)); // open time
    assert_eq!(create.skip_notifications, Some(true));
    let body = serde_json::to_value(create).unwrap();
    assert_eq!(
        body["contacts"],
        json!([{"id": "c0ffee000000000000000001"}])
    );
    assert_eq!(
        body["assignment"],
        json!({"admin_assignee_id": "101", "team_assignee_id": "7"})
    );
    let attrs = create.ticket_attributes.as_ref().unwrap();
    assert_eq!(attrs["_default_title_"], json!("Where is my order?"));
    assert_eq!(
        attrs["_default_description_"],
        json!("Order delayed by carrier")
    );
    assert_eq!(attrs[ATTR_RESOLUTION], json!(3600));
    // Every message is a part on a ticket, the first customer message included.
    assert_eq!(plan.parts.len(), 4);
    assert!(plan.create_transaction_guid.is_none());
    assert!(matches!(plan.parts[0].author, PartAuthor::Contact(_)));
    let update = plan.finish.ticket_update.as_ref().unwrap();
    assert_eq!(update.ticket_state_id.as_deref(), Some("s4"));
    assert_eq!(update.open, Some(false));
    let reply = serde_json::to_value(plan.parts[0].to_ticket_reply(vec![])).unwrap();
    assert_eq!(reply["message_type"], "comment");
    assert_eq!(reply["created_at"], 1_741_075_260);
}

#[test]
fn twenty_three_attachments_become_three_parts() {
    let mut m = tx(2, 5, "Message", dana(), "Here are the files");
    m["attachments"] = Value::Array(
        (1..=23)
            .map(|i| attachment(i, &format!("doc{i}.pdf")))
            .collect(),
    );
    let t = ticket(vec![tx(1, 1, "Message", priya(), "Hi"), m]);
    let (plan, notes) = write(map(t, TicketTarget::Conversations));
    assert_eq!(plan.parts.len(), 3);
    let counts: Vec<usize> = plan.parts.iter().map(|p| p.attachments.len()).collect();
    assert_eq!(counts, vec![10, 10, 3]);
    let keys: Vec<String> = plan.parts.iter().map(|p| p.ledger_key()).collect();
    assert_eq!(
        keys,
        vec![
            "00000000-0000-4000-8000-000000000002",
            "00000000-0000-4000-8000-000000000002#1",
            "00000000-0000-4000-8000-000000000002#2"
        ]
    );
    assert_eq!(
        plan.parts[1].body,
        "<p>(continued: attachments 11–20 of 23)</p>"
    );
    assert!(
        plan.parts
            .iter()
            .all(|p| p.author == PartAuthor::Admin("101".into()))
    );
    assert_eq!(plan.parts[2].attachments[2].file_name, "doc23.pdf");
    assert_eq!(
        plan.parts[0].attachments[0].content_type_hint,
        "application/pdf"
    );
    assert_eq!(
        plan.parts.iter().map(|p| p.position).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    assert!(
        notes
            .iter()
            .any(|n| n.note.contains("split over 3 consecutive parts"))
    );
}

#[test]
fn customer_files_on_a_ticket_go_to_a_following_admin_note() {
    let mut m = tx(1, 1, "Message", priya(), "Photo attached");
    m["attachments"] = json!([attachment(7, "photo.png")]);
    let (plan, notes) = write(map(ticket(vec![m]), TicketTarget::Tickets));
    assert_eq!(plan.parts.len(), 2);
    assert!(plan.parts[0].attachments.is_empty());
    assert_eq!(plan.parts[1].author, PartAuthor::Admin("900".into()));
    assert_eq!(plan.parts[1].kind, PartKind::Note);
    assert_eq!(plan.parts[1].attachments[0].content_type_hint, "image/png");
    assert!(notes.iter().any(|n| n.note.contains("takes no files")));
}

#[test]
fn attachment_policies_link_and_skip() {
    let mut m = tx(2, 5, "Message", dana(), "See file");
    m["attachments"] = json!([attachment(7, "a.pdf")]);
    let t = ticket(vec![tx(1, 1, "Message", priya(), "Hi"), m]);
    let mut s = spec(TicketTarget::Conversations);
    s.policies.attachments = AttachmentsPolicy::Link;
    let (plan, _) = write(map_with(t.clone(), &s, &directory()));
    assert!(plan.parts[0].attachments.is_empty());
    assert!(
        plan.parts[0]
            .body
            .contains(r#"<a href="https://files.example/7">a.pdf</a>"#)
    );
    s.policies.attachments = AttachmentsPolicy::Skip;
    let (plan, notes) = write(map_with(t, &s, &directory()));
    assert!(plan.parts[0].attachments.is_empty() && !plan.parts[0].body.contains("a.pdf"));
    assert!(
        notes
            .iter()
            .any(|n| n.note.contains("left out by policy: a.pdf"))
    );
}

#[test]
fn html_is_reduced_and_noted() {
    let mut m = tx(2, 5, "Message", dana(), "fallback text");
    m["html"] = json!(
        r#"<div style="font-family:Arial"><p class="x" onclick="evil()">Hello <b>Priya</b></p><script>track()</script></div>"#
    );
    let t = ticket(vec![tx(1, 1, "Message", priya(), "Hi"), m]);
    let (plan, notes) = write(map(t, TicketTarget::Conversations));
    let body = &plan.parts[0].body;
    assert!(body.contains("<p>Hello <b>Priya</b></p>"), "{body}");
    assert!(!body.contains("script") && !body.contains("onclick") && !body.contains("style"));
    assert!(notes.iter().any(|n| n.field == "transactions[1].html"));
}

#[test]
fn scrambled_is_skipped_and_moved_tickets_are_imported_once() {
    let mut t = conversation();
    t["isScrambled"] = json!(true);
    let out = map(t, TicketTarget::Tickets);
    assert!(out.is_skip());
    assert_eq!(out.reason().unwrap().code, ReasonCode::Scrambled);

    let mut original = conversation();
    original["movedToTicketId"] = json!(777);
    let out = map(original, TicketTarget::Tickets);
    assert!(out.is_skip());
    assert_eq!(out.reason().unwrap().code, ReasonCode::Moved);
    assert_eq!(
        out.reason().unwrap().field.as_deref(),
        Some("movedToTicketId")
    );

    let mut copy = conversation();
    copy["id"] = json!(777);
    copy["movedFromTicketId"] = json!(500);
    let (plan, notes) = write(map(copy, TicketTarget::Tickets));
    assert_eq!(plan.source_id, "777");
    assert!(notes.iter().any(|n| n.field == "movedFromTicketId"));
}

#[test]
fn whatsapp_tickets_are_flagged() {
    let mut t = conversation();
    t["primaryProtocolType"] = json!("WhatsApp");
    let (plan, notes) = write(map(t, TicketTarget::Tickets));
    assert!(plan.has_flag(&PlanFlag::WhatsAppAddOnRequired));
    assert!(notes.iter().any(|n| n.note.contains("WhatsApp add-on")));
}

fn rule(source: &str, target: &str, t: FieldType) -> FieldRule {
    FieldRule {
        source: source.into(),
        target: target.into(),
        model: TargetModel::Ticket,
        field_type: t,
        options: vec![],
        transforms: vec![],
        default: None,
        description: None,
    }
}

#[test]
fn custom_fields_are_typed_and_a_mismatch_queues_naming_the_field() {
    let mut s = spec(TicketTarget::Tickets);
    s.fields
        .push(rule("field2", "order_number", FieldType::String));
    s.fields
        .push(rule("field3", "order_total", FieldType::Float));
    let mut t = conversation();
    t["field2"] = json!("INV-1");
    t["field3"] = json!("12.50");
    let (plan, _) = write(map_with(t.clone(), &s, &directory()));
    let CreateRequest::Ticket(c) = &plan.create else {
        panic!()
    };
    let attrs = c.ticket_attributes.as_ref().unwrap();
    assert_eq!(attrs["order_number"], json!("INV-1"));
    assert_eq!(attrs["order_total"], json!(12.5));

    t["field3"] = json!("twelve");
    // Default policy (skip_field): the ticket migrates without `order_total`; the value is a
    // field item in its notes.
    let (plan, notes) = write(map_with(t.clone(), &s, &directory()));
    let CreateRequest::Ticket(c) = &plan.create else {
        panic!()
    };
    let attrs = c.ticket_attributes.as_ref().unwrap();
    assert_eq!(attrs["order_number"], json!("INV-1"));
    assert!(attrs.get("order_total").is_none());
    let item = notes.iter().find_map(|n| n.item.as_ref()).unwrap();
    assert_eq!(
        (item.field.as_str(), item.raw_value.as_str()),
        ("field3", "twelve")
    );
    assert!(item.detail.contains("field3"), "{}", item.detail);

    // as_text: the raw value goes, unchanged, to `order_total_text`, defined as a string.
    s.policies.invalid_value = crate::spec::InvalidValuePolicy::AsText;
    let (plan, notes) = write(map_with(t.clone(), &s, &directory()));
    let CreateRequest::Ticket(c) = &plan.create else {
        panic!()
    };
    let attrs = c.ticket_attributes.as_ref().unwrap();
    assert_eq!(attrs["order_total_text"], json!("twelve"));
    assert!(notes.iter().all(|n| n.item.is_none()));
    let defs = attribute_definitions(&s);
    let d = defs.iter().find(|d| d.name == "order_total_text").unwrap();
    assert_eq!(d.data_type, FieldType::String);

    // queue_record: the whole ticket is queued, naming the field.
    s.policies.invalid_value = crate::spec::InvalidValuePolicy::QueueRecord;
    let out = map_with(t, &s, &directory());
    assert!(out.is_queue());
    let r = out.reason().unwrap();
    assert_eq!(r.code, ReasonCode::InvalidFieldValue);
    assert_eq!(r.field.as_deref(), Some("field3"));
    assert!(r.detail.contains("twelve"));
}

#[test]
fn unmapped_custom_field_is_noted_and_tag_rules_add_tags() {
    let mut s = spec(TicketTarget::Tickets);
    let mut tags = rule("field4", "topic:", FieldType::String);
    tags.model = TargetModel::Tags;
    tags.transforms = vec![crate::spec::Transform::Split {
        separator: ",".into(),
    }];
    s.fields.push(tags);
    let mut t = conversation();
    t["field2"] = json!("unmapped");
    t["field4"] = json!("refund, late");
    let (plan, notes) = write(map_with(t, &s, &directory()));
    assert!(notes.iter().any(|n| n.field == "field2"));
    let names: Vec<&str> = plan.finish.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["VIP", "Shipping", "topic:refund", "topic:late"]);
}

#[test]
fn agents_unmatched_queue_or_fall_back_and_pseudo_participants_use_the_acting_admin() {
    let omar = agent("Omar", OMAR, "omar@example.com");
    let t = ticket(vec![
        tx(1, 1, "Message", priya(), "Hi"),
        tx(2, 2, "Message", omar, "Hello"),
    ]);
    let out = map(t.clone(), TicketTarget::Conversations);
    let r = out.reason().unwrap();
    assert_eq!(r.code, ReasonCode::UnmatchedAgent);
    assert_eq!(r.field.as_deref(), Some("transactions[1].fromParticipant"));

    let mut s = spec(TicketTarget::Conversations);
    s.policies.unmatched_agent = AgentPolicy::FallbackAdmin("555".into());
    let (plan, notes) = write(map_with(t, &s, &directory()));
    assert_eq!(plan.parts[0].author, PartAuthor::Admin("555".into()));
    assert!(notes.iter().any(|n| n.note.contains("fallback admin")));

    let t = ticket(vec![
        tx(1, 1, "Message", priya(), "Hi"),
        tx(
            2,
            2,
            "Message",
            agent("Unassigned Tickets", ZERO, ""),
            "Auto-reply",
        ),
        tx(
            3,
            3,
            "Message",
            agent("Helper", BOT, "helperbot@example.com"),
            "Bot says hi",
        ),
    ]);
    let (plan, notes) = write(map(t, TicketTarget::Conversations));
    assert_eq!(plan.parts[0].author, PartAuthor::Admin("900".into()));
    assert_eq!(plan.parts[1].author, PartAuthor::Admin("900".into()));
    assert!(notes.iter().any(|n| n.note.contains("pseudo-participant")));
    assert!(notes.iter().any(|n| n.note.contains("bot `Helper`")));
}

#[test]
fn unmatched_owner_and_department_follow_their_policies() {
    let mut t = conversation();
    t["owner"] = json!({"id": OMAR, "UserName": "omar@example.com", "type": "AGENT"});
    let out = map(t.clone(), TicketTarget::Tickets);
    assert_eq!(out.reason().unwrap().code, ReasonCode::UnmatchedAgent);
    assert_eq!(
        out.reason().unwrap().field.as_deref(),
        Some("owner.UserName")
    );

    let mut dir = directory();
    dir.teams_by_department.clear();
    let out = map_with(conversation(), &spec(TicketTarget::Tickets), &dir);
    assert_eq!(out.reason().unwrap().code, ReasonCode::UnmatchedDepartment);
    assert!(out.reason().unwrap().detail.contains("Support"));

    let mut s = spec(TicketTarget::Tickets);
    s.policies.unmatched_department = DepartmentPolicy::FallbackTeam("99".into());
    let (plan, _) = write(map_with(conversation(), &s, &dir));
    assert_eq!(plan.finish.team_assignee.as_deref(), Some("99"));
}

#[test]
fn a_customer_without_intercom_contact_queues_the_ticket() {
    let mut dir = directory();
    dir.contacts.clear();
    let out = map_with(conversation(), &spec(TicketTarget::Conversations), &dir);
    assert_eq!(out.reason().unwrap().code, ReasonCode::MissingContact);

    // A second customer (CC) without a contact: the message queues the ticket.
    let other = client("Cc", "cc@example.org", ZERO, "Mail");
    let t = ticket(vec![
        tx(1, 1, "Message", priya(), "Hi"),
        tx(2, 2, "Message", other, "Me too"),
    ]);
    let out = map(t, TicketTarget::Conversations);
    let r = out.reason().unwrap();
    assert_eq!(r.code, ReasonCode::MissingContact);
    assert!(r.detail.contains("identifier:cc@example.org"));
}

#[test]
fn agent_first_ticket_opens_with_a_placeholder_and_states_map() {
    let mut t = ticket(vec![tx(1, 1, "Message", dana(), "Outbound offer")]);
    t["state"] = json!("Snoozed");
    let (plan, notes) = write(map(t.clone(), TicketTarget::Conversations));
    let CreateRequest::Conversation(c) = &plan.create else {
        panic!()
    };
    assert_eq!(c.body, "Conversation imported from Glassix ticket #500");
    assert_eq!(c.created_at, Some(1_741_075_200));
    assert_eq!(plan.parts.len(), 1);
    let until = (now() + chrono::TimeDelta::hours(24)).timestamp();
    assert_eq!(plan.finish.state, TargetState::Snoozed { until });
    assert_eq!(
        plan.finish.conversation_actions.last(),
        Some(&ConversationAction::snooze("900", until))
    );
    assert!(notes.iter().any(|n| n.field == "state"));

    t["state"] = json!("Pending");
    let (plan, _) = write(map(t.clone(), TicketTarget::Tickets));
    assert_eq!(
        plan.finish
            .ticket_update
            .unwrap()
            .ticket_state_id
            .as_deref(),
        Some("s3")
    );
    t["state"] = json!("Closed");
    let (plan, _) = write(map(t, TicketTarget::Conversations));
    assert_eq!(
        plan.finish.conversation_actions.last(),
        Some(&ConversationAction::close("900"))
    );
}

#[test]
fn more_than_500_parts_are_flagged_not_cut() {
    let mut txs = vec![tx(0, 0, "Message", priya(), "start")];
    for i in 1..=520u32 {
        let mut m = tx(i, 0, "Message", dana(), &format!("reply {i}"));
        m["dateTime"] = json!(format!("2025-03-04T09:{:02}:{:02}Z", i / 60, i % 60));
        txs.push(m);
    }
    let (plan, notes) = write(map(ticket(txs), TicketTarget::Conversations));
    assert_eq!(plan.parts.len(), 520);
    assert!(
        plan.flags
            .iter()
            .any(|f| matches!(f, PlanFlag::ExceedsReadablePartLimit { parts } if *parts == 522))
    );
    assert!(notes.iter().any(|n| n.note.contains("522 parts")));
    assert_eq!(plan.parts[519].body, "<p>reply 520</p>");
}

#[test]
fn metrics_and_csat_become_attributes() {
    let mut t = conversation();
    t["queueTimeGross"] = json!("00:02:11.4000000");
    t["firstAgentResponseTimeGross"] = json!("00:06:38.1180000");
    t["surveys"] = json!([
        {"questionType": "Rating", "value": "4"},
        {"questionType": "Text", "value": "Quick and kind"}
    ]);
    let (plan, _) = write(map(t, TicketTarget::Conversations));
    let attrs = plan
        .finish
        .conversation_update
        .unwrap()
        .custom_attributes
        .unwrap();
    assert_eq!(attrs[ATTR_QUEUE_TIME], json!(131));
    assert_eq!(attrs[ATTR_FIRST_RESPONSE], json!(398));
    assert_eq!(attrs[ATTR_CSAT], json!(4));
    assert_eq!(attrs[ATTR_CSAT_COMMENT], json!("Quick and kind"));
    assert!(attrs.get(ATTR_RESOLUTION).is_none()); // still open
}

#[test]
fn attribute_definitions_follow_the_target_and_the_rules() {
    let mut s = spec(TicketTarget::Tickets);
    let mut list = rule("field5", "priority", FieldType::List);
    list.options = vec!["low".into(), "high".into()];
    s.fields.push(list);
    let defs = attribute_definitions(&s);
    let names: Vec<(&str, AttributeModel)> =
        defs.iter().map(|d| (d.name.as_str(), d.model)).collect();
    assert!(names.contains(&("glassix_original_id", AttributeModel::Contact)));
    assert!(names.contains(&("glassix_ticket_id", AttributeModel::TicketType)));
    assert!(names.contains(&("glassix_first_response_seconds", AttributeModel::TicketType)));
    let prio = defs.iter().find(|d| d.name == "priority").unwrap();
    let req = prio.to_ticket_type_attribute().unwrap();
    assert_eq!(req.list_items.as_deref(), Some("low,high"));
    assert!(prio.to_data_attribute().is_none());
    let contact = defs
        .iter()
        .find(|d| d.name == "glassix_original_id")
        .unwrap();
    assert!(contact.to_data_attribute().is_some());

    let defs = attribute_definitions(&spec(TicketTarget::Conversations));
    let d = defs.iter().find(|d| d.name == ATTR_CHANNEL).unwrap();
    assert_eq!(d.model, AttributeModel::Conversation);
    assert!(d.to_conversation_attribute().is_some());
}

#[test]
fn ticket_list_value_needs_its_item_id() {
    let mut s = spec(TicketTarget::Tickets);
    let mut list = rule("field5", "priority", FieldType::List);
    list.options = vec!["low".into(), "high".into()];
    s.fields.push(list);
    let mut t = conversation();
    t["field5"] = json!("high");
    let out = map_with(t.clone(), &s, &directory());
    assert_eq!(out.reason().unwrap().code, ReasonCode::UnresolvedListItem);
    let mut dir = directory();
    dir.list_items
        .entry("priority".into())
        .or_default()
        .insert("high".into(), "item-2".into());
    // The directory serialises (JSON keys must be strings).
    assert!(serde_json::to_string(&dir).is_ok());
    let (plan, _) = write(map_with(t, &s, &dir));
    let CreateRequest::Ticket(c) = &plan.create else {
        panic!()
    };
    assert_eq!(
        c.ticket_attributes.as_ref().unwrap()["priority"],
        json!("item-2")
    );
}

#[test]
fn fixture_ticket_maps_to_both_targets() {
    let Some(f) = fixtures() else { return };
    let raw = f["ticket_get_48213377"].clone();
    let (plan, _) = write(map(raw.clone(), TicketTarget::Tickets));
    // 5 transactions: the customer's screenshot goes to a following admin note on a ticket.
    assert_eq!(plan.parts.len(), 6);
    assert!(plan.has_flag(&PlanFlag::WhatsAppAddOnRequired));
    assert_eq!(plan.parts[1].attachments[0].file_name, "bank-statement.jpg");
    assert_eq!(plan.parts[1].attachments[0].glassix_attachment_id, 900_001);
    assert_eq!(plan.parts[4].kind, PartKind::Note);
    let CreateRequest::Ticket(c) = &plan.create else {
        panic!()
    };
    let attrs = c.ticket_attributes.as_ref().unwrap();
    assert_eq!(attrs[ATTR_QUEUE_TIME], json!(131));
    assert_eq!(attrs[ATTR_RESOLUTION], json!(2865));
    assert_eq!(attrs[ATTR_TICKET_ID], json!(48_213_377));

    let (plan, _) = write(map(raw, TicketTarget::Conversations));
    let CreateRequest::Conversation(c) = &plan.create else {
        panic!()
    };
    assert!(c.body.starts_with("Hi, I think I was charged twice"));
    // The opening message keeps its screenshot in a reply right after it.
    assert_eq!(plan.parts.len(), 5);
    assert_eq!(plan.parts[0].attachments.len(), 1);
    assert!(matches!(plan.parts[0].author, PartAuthor::Contact(_)));
    assert_eq!(
        plan.finish.conversation_actions.last(),
        Some(&ConversationAction::close("900"))
    );
}

#[test]
fn plans_and_outcomes_serialise_for_dry_runs() {
    let out = map(conversation(), TicketTarget::Conversations);
    let v = serde_json::to_value(&out).unwrap();
    assert_eq!(v["outcome"], "write");
    assert_eq!(
        v["value"]["create"]["conversation"]["from"]["id"],
        "c0ffee000000000000000001"
    );
    assert_eq!(v["value"]["parts"][0]["author"]["Admin"], "101");
    assert_eq!(
        v["value"]["finish"]["conversation_actions"][0]["message_type"],
        "assignment"
    );
    assert!(v["notes"].as_array().is_some_and(|n| !n.is_empty()));

    let mut dir = directory();
    dir.contacts.clear();
    let v =
        serde_json::to_value(map_with(conversation(), &spec(TicketTarget::Tickets), &dir)).unwrap();
    assert_eq!(v["outcome"], "queue");
    assert_eq!(v["reason"]["code"], "missing_contact");
    assert_eq!(v["reason"]["field"], "participants");
}

#[test]
fn a_listed_ticket_without_transactions_is_flagged() {
    let mut t = conversation();
    t.as_object_mut().unwrap().remove("transactions");
    t["transactionsCount"] = json!(5);
    let (plan, notes) = write(map(t, TicketTarget::Tickets));
    assert!(plan.parts.is_empty());
    assert!(
        notes
            .iter()
            .any(|n| n.field == "transactions" && n.note.contains("not fetched"))
    );
}

#[test]
fn rule_sources_read_nested_paths_and_chatbot_parameters() {
    let mut s = spec(TicketTarget::Conversations);
    let conv = |source: &str, target: &str, t: FieldType| {
        let mut r = rule(source, target, t);
        r.model = TargetModel::Conversation;
        r
    };
    s.fields
        .push(conv("details.ipAddress", "ip", FieldType::String));
    s.fields
        .push(conv("details.source.uri", "page", FieldType::String));
    s.fields.push(conv(
        "dynamicParameters.accountNumber",
        "account",
        FieldType::String,
    ));
    s.fields.push(conv(
        "dynamicParameters.orders",
        "orders",
        FieldType::Integer,
    ));
    s.fields
        .push(conv("ticketSummary", "summary", FieldType::String));
    let mut t = conversation();
    t["details"] = json!({"iPAddress": "203.0.113.9", "source": {"title": "Help", "uri": "https://shop.example/help"}});
    t["dynamicParameters"] = json!([
        {"name": "accountNumber", "strValue": "AC-1", "type": "String"},
        {"name": "accountNumber", "strValue": "AC-2", "type": "String"},
        {"name": "orders", "intValue": 3, "type": "Number"}
    ]);
    t["ticketSummary"] = json!({"value": "Late parcel"});
    let (plan, notes) = write(map_with(t, &s, &directory()));
    let attrs = plan
        .finish
        .conversation_update
        .unwrap()
        .custom_attributes
        .unwrap();
    assert_eq!(attrs["ip"], json!("203.0.113.9"));
    assert_eq!(attrs["page"], json!("https://shop.example/help"));
    assert_eq!(attrs["account"], json!("AC-2")); // the latest value wins
    assert_eq!(attrs["orders"], json!(3));
    assert_eq!(attrs["summary"], json!("Late parcel"));
    // Mapped sources are not reported as lost.
    assert!(!notes.iter().any(|n| n.field == "dynamicParameters"));
}

#[test]
fn a_department_scoped_rule_is_written_only_on_that_departments_tickets() {
    let mut s = spec(TicketTarget::Tickets);
    // Everywhere field2 is the order number; in Support (by name) it is a plan name, and in
    // another department (by key) it is a date.
    s.fields
        .push(rule("field2", "order_number", FieldType::String));
    s.department_fields.push(crate::spec::DepartmentRule {
        departments: vec!["support".into()],
        rule: rule("field2", "support_plan", FieldType::String),
    });
    s.department_fields.push(crate::spec::DepartmentRule {
        departments: vec!["6b1d2f7a-0c3e-4a58-9f21-000000000000".into()],
        rule: rule("field2", "sales_date", FieldType::Date),
    });
    let mut t = conversation();
    t["field2"] = json!("Gold");
    let (plan, _) = write(map_with(t.clone(), &s, &directory()));
    let CreateRequest::Ticket(c) = &plan.create else {
        panic!()
    };
    let attrs = c.ticket_attributes.as_ref().unwrap();
    assert_eq!(attrs["support_plan"], json!("Gold"));
    assert!(attrs.get("order_number").is_none());
    assert!(attrs.get("sales_date").is_none()); // "Gold" is no date: the rule is not applied

    // A ticket of a department no rule names gets the every-department rule.
    let other = "0d0d0d0d-0000-4000-8000-000000000000";
    let mut dir = directory().with_department(other, "Billing", None);
    dir.teams_by_department.insert(other.into(), "8".into());
    t["departmentId"] = json!(other);
    let (plan, _) = write(map_with(t, &s, &dir));
    let CreateRequest::Ticket(c) = &plan.create else {
        panic!()
    };
    let attrs = c.ticket_attributes.as_ref().unwrap();
    assert_eq!(attrs["order_number"], json!("Gold"));
    assert!(attrs.get("support_plan").is_none());
    // All three targets are defined, whatever the department.
    let defs = attribute_definitions(&s);
    for name in ["order_number", "support_plan", "sales_date"] {
        assert!(defs.iter().any(|d| d.name == name), "{name}");
    }
}

#[test]
fn a_dangling_move_is_migrated_as_the_last_copy_of_its_chain() {
    let s = spec(TicketTarget::Tickets);
    let dir = directory();
    let mut t = conversation();
    t["movedToTicketId"] = json!(999_999);
    // The target exists: this copy is skipped, the target is migrated.
    let out = DefaultTicketMapper.map_ticket(&decode_ticket(t.clone()), &ctx(&s, &dir));
    assert_eq!(out.reason().unwrap().code, ReasonCode::Moved);
    // The target is gone (the executor checked): this copy is migrated, noted.
    let out =
        DefaultTicketMapper.map_ticket(&decode_ticket(t), &ctx(&s, &dir).with_dangling_move(true));
    let (_, notes) = write(out);
    assert!(
        notes
            .iter()
            .any(|n| n.field == "movedToTicketId" && n.note.contains("no longer exists"))
    );
}
