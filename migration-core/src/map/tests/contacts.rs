use intercom_client::models::{Admin, Role, Team};
use serde_json::{Value, json};

use super::*;
use crate::map::{
    ATTR_CHANNEL_PREFERENCE, ATTR_ORIGINAL_ID, CollectedContact, ContactCollector, ContactKey,
    ContactLookup, ContactMapper, ContactPlan, ContactSource, DefaultContactMapper,
    EmailAgentMatcher, Mapped, NameDepartmentMatcher, ReasonCode, normalize_phone, resolve_agents,
    resolve_departments,
};
use crate::spec::{FieldRule, FieldType, MissingEmailPolicy, TargetModel};

fn priya_contact() -> Value {
    json!({
        "id": PRIYA, "name": "Priya Nandakumar",
        "identifiers": [
            {"id": 1, "contactId": PRIYA, "identifierType": "PhoneNumber", "identifier": "15555550142"},
            {"id": 2, "contactId": PRIYA, "identifierType": "MailAddress", "identifier": "Priya.N@example.net"},
            {"id": 3, "contactId": PRIYA, "identifierType": "FacebookId", "identifier": "fb-1"}
        ],
        "uniqueArgument": "CRM-CUST-30418",
        "creationDateTime": "2024-11-19T14:02:51Z",
        "tags": ["VIP", "vip", "Newsletter"]
    })
}

/// A customer seen in one WhatsApp ticket and one Mail ticket (so WhatsApp is not preferred
/// by count alone: two WhatsApp tickets are used).
fn seen_priya() -> CollectedContact {
    let mut c = ContactCollector::new();
    for (id, ch) in [(1, "WhatsApp"), (2, "WhatsApp"), (3, "Mail")] {
        let mut t = ticket(vec![]);
        t["id"] = json!(id);
        t["primaryProtocolType"] = json!(ch);
        c.observe(&decode_ticket(t));
    }
    c.contacts().next().unwrap().clone()
}

fn map(
    seen: &CollectedContact,
    contact: Option<&Contact>,
    spec: &MappingSpec,
) -> Mapped<ContactPlan> {
    let dir = directory();
    DefaultContactMapper.map_contact(ContactSource { seen, contact }, &ctx(spec, &dir))
}

#[test]
fn contact_with_email_becomes_a_user_with_everything_carried() {
    let seen = seen_priya();
    let contact = decode_contact(priya_contact());
    let out = map(&seen, Some(&contact), &spec(TicketTarget::Tickets));
    let Mapped::Write { value, notes } = out else {
        panic!("{out:?}")
    };
    let r = &value.request;
    assert_eq!(r.role, Some(Role::User));
    assert_eq!(r.email.as_deref(), Some("Priya.N@example.net"));
    assert_eq!(r.phone.as_deref(), Some("+15555550142"));
    assert_eq!(r.name.as_deref(), Some("Priya Nandakumar"));
    assert_eq!(r.external_id.as_deref(), Some("CRM-CUST-30418"));
    assert_eq!(r.signed_up_at, Some(1_732_024_971));
    let attrs = r.custom_attributes.as_ref().unwrap();
    assert_eq!(attrs[ATTR_ORIGINAL_ID], json!(PRIYA));
    assert_eq!(attrs[ATTR_CHANNEL_PREFERENCE], json!("WhatsApp"));
    // Tags deduplicated case-insensitively; known ids resolved.
    assert_eq!(value.tags.len(), 2);
    assert_eq!(value.tags[0].id.as_deref(), Some("55"));
    assert_eq!(value.tags[1].id, None);
    assert_eq!(
        value.lookups,
        vec![
            ContactLookup::ExternalId("CRM-CUST-30418".into()),
            ContactLookup::Email("Priya.N@example.net".into()),
            ContactLookup::CustomAttribute {
                name: ATTR_ORIGINAL_ID.into(),
                value: PRIYA.into()
            },
        ]
    );
    assert!(notes.iter().any(|n| n.field == "unsubscribed_from_emails"));
    assert!(notes.iter().any(|n| n.note.contains("FacebookId")));
    assert_eq!(value.source_id, PRIYA);
}

fn no_email_contact() -> Contact {
    decode_contact(json!({
        "id": PRIYA, "name": "Priya",
        "identifiers": [{"id": 1, "contactId": PRIYA, "identifierType": "PhoneNumber", "identifier": "15555550142"}]
    }))
}

#[test]
fn contact_without_email_under_each_policy() {
    let seen = seen_priya();
    let contact = no_email_contact();
    let mut s = spec(TicketTarget::Tickets);

    // queue (default)
    let out = map(&seen, Some(&contact), &s);
    assert!(out.is_queue(), "{out:?}");
    assert_eq!(out.reason().unwrap().code, ReasonCode::MissingEmail);

    // lead_with_phone
    s.policies.missing_email = MissingEmailPolicy::LeadWithPhone;
    let out = map(&seen, Some(&contact), &s);
    let plan = out.value().unwrap();
    assert_eq!(plan.request.role, Some(Role::Lead));
    assert_eq!(plan.request.phone.as_deref(), Some("+15555550142"));
    assert_eq!(plan.request.email, None);
    assert_eq!(plan.request.external_id, None);

    // lead_with_phone without a phone queues
    let bare = decode_contact(json!({"id": PRIYA, "name": "Priya"}));
    let mut seen_web = seen.clone();
    seen_web.identifiers.clear();
    let out = map(&seen_web, Some(&bare), &s);
    assert_eq!(out.reason().unwrap().code, ReasonCode::MissingEmail);

    // external_id_from_glassix_id
    s.policies.missing_email = MissingEmailPolicy::ExternalIdFromGlassixId;
    let out = map(&seen, Some(&contact), &s);
    let plan = out.value().unwrap();
    assert_eq!(plan.request.role, Some(Role::User));
    assert_eq!(
        plan.request.external_id.as_deref(),
        Some(format!("glassix-{PRIYA}").as_str())
    );
    assert!(plan.request.validate().is_ok());
}

#[test]
fn phone_normalisation() {
    assert_eq!(
        normalize_phone("15555550142").as_deref(),
        Some("+15555550142")
    );
    assert_eq!(
        normalize_phone("+44 20 7946-0958").as_deref(),
        Some("+442079460958")
    );
    assert_eq!(
        normalize_phone("0044 (20) 7946.0958").as_deref(),
        Some("+442079460958")
    );
    assert_eq!(
        normalize_phone("972-54-123-4567").as_deref(),
        Some("+972541234567")
    );
    assert_eq!(normalize_phone("12345"), None); // too short
    assert_eq!(normalize_phone("1234567890123456"), None); // too long
    assert_eq!(normalize_phone("054-1234567"), None); // national, not international
    assert_eq!(normalize_phone("a@b.com"), None);
    assert_eq!(normalize_phone(""), None);
}

#[test]
fn collector_dedups_people_and_keys_zero_guid_participants_by_identifier() {
    let mut c = ContactCollector::new();
    let mut t1 = ticket(vec![]);
    t1["participants"] = json!([
        priya(),
        dana(),
        client("Visitor", "Tom@Example.org", ZERO, "Mail"),
        agent("Unassigned Tickets", ZERO, "")
    ]);
    let mut t2 = ticket(vec![]);
    t2["id"] = json!(501);
    t2["open"] = json!("2025-03-01T00:00:00Z");
    t2["participants"] = json!([
        client("Priya N", "15555550142", PRIYA, "WhatsApp"),
        client("Tom", "tom@example.org", ZERO, "Mail")
    ]);
    c.observe(&decode_ticket(t1));
    c.observe(&decode_ticket(t2));
    assert_eq!(c.len(), 2);
    assert_eq!(c.contact_ids_to_fetch(), vec![PRIYA.to_owned()]);
    let all: Vec<_> = c.contacts().collect();
    assert_eq!(all[0].key, ContactKey::Id(PRIYA.into()));
    assert_eq!(all[0].ticket_ids, vec![500, 501]);
    assert_eq!(all[0].names, vec!["Priya Nandakumar", "Priya N"]);
    assert_eq!(
        all[0].first_seen.unwrap().to_rfc3339(),
        "2025-03-01T00:00:00+00:00"
    );
    assert_eq!(all[1].key, ContactKey::Identifier("tom@example.org".into()));
    assert_eq!(all[1].source_id(), "identifier:tom@example.org");
    assert_eq!(all[1].contact_id(), None);
}

#[test]
fn participant_only_customer_maps_from_what_tickets_show() {
    let mut c = ContactCollector::new();
    let mut t = ticket(vec![]);
    t["participants"] = json!([client("Tom", "tom@example.org", ZERO, "Mail")]);
    c.observe(&decode_ticket(t));
    let seen = c.contacts().next().unwrap().clone();
    let out = map(&seen, None, &spec(TicketTarget::Tickets));
    let Mapped::Write { value, notes } = out else {
        panic!("{out:?}")
    };
    assert_eq!(value.request.email.as_deref(), Some("tom@example.org"));
    assert_eq!(value.request.role, Some(Role::User));
    assert_eq!(value.request.signed_up_at, Some(1_741_075_200));
    assert!(notes.iter().any(|n| n.field == "creationDateTime"));
    assert_eq!(
        value.request.custom_attributes.unwrap()[ATTR_ORIGINAL_ID],
        json!("identifier:tom@example.org")
    );
}

#[test]
fn scrambled_contact_is_skipped_and_bad_contact_value_is_queued_naming_the_field() {
    let seen = seen_priya();
    let mut raw = priya_contact();
    raw["isScrambled"] = json!(true);
    let out = map(
        &seen,
        Some(&decode_contact(raw)),
        &spec(TicketTarget::Tickets),
    );
    assert!(out.is_skip());
    assert_eq!(out.reason().unwrap().code, ReasonCode::DeletedContact);

    let mut s = spec(TicketTarget::Tickets);
    s.fields.push(FieldRule {
        source: "contact.uniqueArgument".into(),
        target: "crm_number".into(),
        model: TargetModel::Contact,
        field_type: FieldType::Integer,
        options: vec![],
        transforms: vec![],
        default: None,
        description: None,
    });
    // Default policy (skip_field): the contact migrates without the value, listed as a field
    // item in its notes.
    let out = map(&seen, Some(&decode_contact(priya_contact())), &s);
    assert!(out.is_write(), "{out:?}");
    let item = out
        .notes()
        .iter()
        .find_map(|n| n.item.as_ref())
        .expect("a field item");
    assert_eq!(item.field, "contact.uniqueArgument");
    assert_eq!(item.raw_value, "CRM-CUST-30418");
    assert_eq!(item.reason_code, "invalid_field_value");
    // Policy queue_record: today's behaviour, the contact is queued naming the field.
    s.policies.invalid_value = crate::spec::InvalidValuePolicy::QueueRecord;
    let out = map(&seen, Some(&decode_contact(priya_contact())), &s);
    let reason = out.reason().unwrap();
    assert_eq!(reason.code, ReasonCode::InvalidFieldValue);
    assert_eq!(reason.field.as_deref(), Some("contact.uniqueArgument"));
    assert!(
        reason.detail.contains("CRM-CUST-30418"),
        "{}",
        reason.detail
    );
}

#[test]
fn contact_from_the_fixtures_file() {
    let Some(f) = fixtures() else { return };
    let contact: Contact = serde_json::from_value(f["contact_get_priya"].clone()).unwrap();
    let t: glassix_client::Ticket =
        serde_json::from_value(f["ticket_get_48213377"].clone()).unwrap();
    let mut c = ContactCollector::new();
    c.observe(&t);
    let seen = c.contacts().next().unwrap().clone();
    let plan = map(&seen, Some(&contact), &spec(TicketTarget::Tickets))
        .into_value()
        .unwrap();
    assert_eq!(plan.request.email.as_deref(), Some("priya.n@example.net"));
    assert_eq!(plan.request.phone.as_deref(), Some("+15555550142"));
}

fn admin(id: &str, email: &str) -> Admin {
    serde_json::from_value(json!({"id": id, "email": email})).unwrap()
}

#[test]
fn agents_match_by_email_case_insensitively_and_the_rest_is_provisioned() {
    let users: Vec<glassix_client::User> = serde_json::from_value(json!([
        {"id": DANA, "type": "AGENT", "UserName": "dana.whitfield@example.com", "fullName": "Dana Whitfield"},
        {"id": OMAR, "type": "AGENT", "UserName": "omar.castellanos@example.com", "fullName": "Omar Castellanos", "jobTitle": "Support Team Lead"},
        {"id": "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f", "type": "API", "UserName": "migration-api@example.com"},
        {"id": BOT, "type": "BOT", "UserName": "helperbot@example.com"}
    ]))
    .unwrap();
    let admins = vec![
        admin("101", " DANA.Whitfield@example.COM "),
        admin("102", "someone@example.com"),
    ];
    let r = resolve_agents(&EmailAgentMatcher, &users, &admins);
    assert_eq!(r.admins_by_user.get(DANA).map(String::as_str), Some("101"));
    assert_eq!(r.admins_by_user.len(), 1);
    assert_eq!(r.bot_users.len(), 2);
    assert_eq!(r.to_provision.len(), 1);
    assert_eq!(r.to_provision[0].email, "omar.castellanos@example.com");
    assert_eq!(
        r.admins_by_email
            .get("someone@example.com")
            .map(String::as_str),
        Some("102")
    );
    let mut dir = Directory::default();
    dir.apply_agents(&r);
    assert_eq!(dir.admin_for(Some(DANA), ""), Some("101"));
    assert_eq!(
        dir.admin_for(None, "Dana.Whitfield@example.com"),
        Some("101")
    );
    assert!(dir.is_bot(BOT));

    let list = crate::map::ProvisioningList::from_resolutions(&r, &[]);
    let md = list.to_markdown();
    assert!(md.contains("Omar Castellanos <omar.castellanos@example.com> (Support Team Lead)"));
}

#[test]
fn departments_match_teams_by_flattened_name_path() {
    let billing = "11111111-1111-4111-8111-111111111111";
    let sales = "22222222-2222-4222-8222-222222222222";
    let dir = Directory::default()
        .with_department(DEPT, "Support", None)
        .with_department(billing, "Billing", Some(DEPT))
        .with_department(sales, "Sales", None);
    assert_eq!(
        dir.department_path(billing).as_deref(),
        Some("Support / Billing")
    );
    let teams: Vec<Team> = serde_json::from_value(json!([
        {"id": "7", "name": "support"},
        {"id": "8", "name": "Support / Billing"}
    ]))
    .unwrap();
    let (matched, missing) = resolve_departments(&NameDepartmentMatcher, &dir, &teams);
    assert_eq!(matched.get(DEPT).map(String::as_str), Some("7"));
    assert_eq!(matched.get(billing).map(String::as_str), Some("8"));
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].team_name, "Sales");
    let mut dir = dir;
    dir.apply_teams(&matched);
    assert_eq!(dir.team_for(billing), Some("8"));
    let md = crate::map::ProvisioningList {
        agents: vec![],
        departments: missing,
    }
    .to_markdown();
    assert!(md.contains("- [ ] Sales — Glassix department `22222222-2222-4222-8222-222222222222`"));
}

#[test]
fn mappers_can_be_replaced_by_wrappers_and_outcomes_convert_for_the_ledger() {
    use crate::kind::ObjectKind;
    use crate::ledger::Reason;
    use crate::map::{FieldNote, MapReason, Mappers};

    /// Wraps the default contact mapper and lower-cases names.
    struct LowerNames(DefaultContactMapper);
    impl ContactMapper for LowerNames {
        fn map_contact(&self, s: ContactSource<'_>, c: &MapContext<'_>) -> Mapped<ContactPlan> {
            self.0.map_contact(s, c).map(|mut p| {
                p.request.name = p.request.name.map(|n| n.to_lowercase());
                p
            })
        }
    }
    let mappers = Mappers::default().with_contacts(LowerNames(DefaultContactMapper));
    let seen = seen_priya();
    let contact = decode_contact(priya_contact());
    let s = spec(TicketTarget::Tickets);
    let dir = directory();
    let out = mappers.contacts.map_contact(
        ContactSource {
            seen: &seen,
            contact: Some(&contact),
        },
        &ctx(&s, &dir),
    );
    assert_eq!(
        out.value().unwrap().request.name.as_deref(),
        Some("priya nandakumar")
    );

    let reason: Reason = MapReason::new(ReasonCode::MissingEmail, "add one")
        .with_field("identifiers")
        .into();
    assert_eq!(reason.code, "missing_email");
    assert_eq!(reason.field.as_deref(), Some("identifiers"));
    let note = FieldNote::warning("field3", "dropped").to_lossy_note(ObjectKind::Ticket, "500");
    assert_eq!(note.note, "warning: dropped");
    assert_eq!(note.source_id, "500");
}

#[test]
fn only_valid_not_deleted_e_mail_identifiers_become_the_contacts_e_mail() {
    use crate::map::contact::looks_like_email;
    for ok in ["a@example.com", "Priya.N+x@mail.example.co"] {
        assert!(looks_like_email(ok), "{ok}");
    }
    for bad in [
        "customer0047@@example.com",
        " a@example.com",
        "a@example",
        "a@.example.com",
        "a..b@example.com",
        "a b@example.com",
        "a@example.c0m",
    ] {
        assert!(!looks_like_email(bad), "{bad}");
    }
}

#[test]
fn an_address_glassix_marks_deleted_does_not_come_back_through_the_participants() {
    let mut seen = seen_priya();
    seen.identifiers.clear();
    seen.identifiers
        .insert(("Mail".into(), "Old.Priya@Example.net".into()));
    let contact = decode_contact(json!({
        "id": PRIYA, "name": "Priya",
        "identifiers": [
            {"id": 1, "contactId": PRIYA, "identifierType": "MailAddress",
             "identifier": "old.priya@example.net", "isDeleted": true}
        ]
    }));
    let s = spec(TicketTarget::Tickets);
    let out = map(&seen, Some(&contact), &s);
    // Not the contact's e-mail, so the missing_email policy decides (queue by default)…
    assert_eq!(
        out.reason().map(|r| r.code.clone()),
        Some(ReasonCode::MissingEmail)
    );
    // …and not a merge key either.
    assert_eq!(
        crate::map::email_key(&ContactSource {
            seen: &seen,
            contact: Some(&contact)
        }),
        None
    );
    // Without the deleted mark the participant's address is used, as Glassix has it.
    let live = decode_contact(json!({"id": PRIYA, "name": "Priya"}));
    let out = map(&seen, Some(&live), &s);
    assert_eq!(
        out.value().and_then(|p| p.request.email.clone()).as_deref(),
        Some("Old.Priya@Example.net")
    );
}
