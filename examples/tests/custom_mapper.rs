//! Tests of the example's `PhoneIdentityContactMapper`: on hand-built Glassix records (what it
//! changes, and that everything else is exactly the default), and one migration against the
//! in-process sandbox with the mapper wired through `Mappers::with_contacts`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use glassix_client::models::{Contact, Ticket};
use glassix_to_intercom_examples::custom_mapper::{DEFAULT_PREFIX, PhoneIdentityContactMapper};
use intercom_client::models::Role;
use migration_core::ObjectKind;
use migration_core::execute::Migration;
use migration_core::ledger::{Ledger, ObjectStatus};
use migration_core::map::{
    ATTR_ORIGINAL_ID, CollectedContact, ContactCollector, ContactLookup, ContactMapper,
    ContactPlan, ContactSource, DefaultContactMapper, Directory, MapContext, Mapped, Mappers,
    ReasonCode,
};
use migration_core::progress::ProgressSender;
use migration_core::spec::{MappingSpec, MissingEmailPolicy};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Hand-built records
// ---------------------------------------------------------------------------------------------

const NOA: &str = "9c1e5b7d-3a2f-4e6b-8d0c-1f2e3d4c5b6a";
const ZERO: &str = "00000000-0000-0000-0000-000000000000";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap()
}

fn spec(policy: MissingEmailPolicy) -> MappingSpec {
    let mut s = MappingSpec::default();
    s.policies.missing_email = policy;
    s
}

/// A customer participant.
fn client(name: &str, identifier: &str, contact_id: &str, channel: &str) -> Value {
    json!({"id": 1, "name": name, "type": "Client", "identifier": identifier,
           "protocolType": channel, "contactId": contact_id, "userName": ""})
}

/// A listed ticket with the given customer participants, on `channel`.
fn ticket(id: i64, channel: &str, participants: Vec<Value>) -> Ticket {
    serde_json::from_value(json!({
        "id": id,
        "departmentId": "3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f",
        "state": "Closed",
        "open": "2025-03-04T08:00:00Z",
        "primaryProtocolType": channel,
        "participants": participants,
    }))
    .unwrap()
}

/// The customer as the collector sees it in `tickets` (the first one collected).
fn seen(tickets: &[Ticket]) -> CollectedContact {
    let mut c = ContactCollector::new();
    for t in tickets {
        c.observe(t);
    }
    c.contacts().next().unwrap().clone()
}

/// A Glassix contact with these identifiers (`(type, value)`) and `uniqueArgument`.
fn contact(identifiers: &[(&str, &str)], unique: &str) -> Contact {
    let identifiers: Vec<Value> = identifiers
        .iter()
        .enumerate()
        .map(|(i, (kind, value))| {
            json!({"id": i + 1, "contactId": NOA, "identifierType": kind, "identifier": value,
                   "lastAccessed": "2025-03-04T08:40:13Z", "isVerified": false,
                   "isDeleted": false, "isScrambled": false})
        })
        .collect();
    serde_json::from_value(json!({
        "id": NOA, "name": "Noa Levi", "identifiers": identifiers, "uniqueArgument": unique,
        "creationDateTime": "2024-11-19T14:02:51Z", "tags": ["VIP"],
        "isDeleted": false, "isScrambled": false,
    }))
    .unwrap()
}

/// A WhatsApp customer with a contact id, seen in one ticket.
fn whatsapp_customer() -> CollectedContact {
    seen(&[ticket(
        500,
        "WhatsApp",
        vec![client("Noa Levi", "972501234567", NOA, "WhatsApp")],
    )])
}

fn map_with(
    mapper: &dyn ContactMapper,
    seen: &CollectedContact,
    contact: Option<&Contact>,
    spec: &MappingSpec,
) -> Mapped<ContactPlan> {
    let directory = Directory::default();
    mapper.map_contact(
        ContactSource { seen, contact },
        &MapContext::new(spec, &directory, now()),
    )
}

fn custom(seen: &CollectedContact, c: Option<&Contact>, s: &MappingSpec) -> Mapped<ContactPlan> {
    map_with(&PhoneIdentityContactMapper::new(), seen, c, s)
}

fn default(seen: &CollectedContact, c: Option<&Contact>, s: &MappingSpec) -> Mapped<ContactPlan> {
    map_with(&DefaultContactMapper, seen, c, s)
}

const POLICIES: [MissingEmailPolicy; 3] = [
    MissingEmailPolicy::Queue,
    MissingEmailPolicy::LeadWithPhone,
    MissingEmailPolicy::ExternalIdFromGlassixId,
];

#[test]
fn phone_only_customer_becomes_a_user_keyed_by_phone_instead_of_queued() {
    let seen = whatsapp_customer();
    let c = contact(&[("PhoneNumber", "972501234567")], "");
    let s = spec(MissingEmailPolicy::Queue);

    // The default queues the customer (and, through it, its tickets).
    let d = default(&seen, Some(&c), &s);
    assert_eq!(d.reason().unwrap().code, ReasonCode::MissingEmail, "{d:?}");

    let Mapped::Write { value, notes } = custom(&seen, Some(&c), &s) else {
        panic!("expected a write")
    };
    let r = &value.request;
    assert_eq!(r.role, Some(Role::User));
    assert_eq!(r.external_id.as_deref(), Some("phone:+972501234567"));
    assert_eq!(r.phone.as_deref(), Some("+972501234567"));
    assert_eq!(r.email, None);
    assert_eq!(
        value.lookups,
        vec![
            ContactLookup::ExternalId("phone:+972501234567".into()),
            ContactLookup::CustomAttribute {
                name: ATTR_ORIGINAL_ID.into(),
                value: NOA.into(),
            },
        ]
    );
    // The note says what happened; the default's "created as a lead" note is gone.
    assert!(
        notes
            .iter()
            .any(|n| n.field == "identifiers" && n.note.contains("identified by phone")),
        "{notes:?}"
    );
    assert!(!notes.iter().any(|n| n.note.contains("lead")), "{notes:?}");
    // Its other notes are the default's (e.g. the e-mail opt-out note).
    assert!(notes.iter().any(|n| n.field == "unsubscribed_from_emails"));
}

#[test]
fn everything_but_role_external_id_and_lookups_is_the_default_plan() {
    let seen = whatsapp_customer();
    let c = contact(&[("PhoneNumber", "972501234567")], "");
    let as_lead = default(&seen, Some(&c), &spec(MissingEmailPolicy::LeadWithPhone))
        .into_value()
        .unwrap();
    let mut mine = custom(&seen, Some(&c), &spec(MissingEmailPolicy::Queue))
        .into_value()
        .unwrap();
    assert_eq!(as_lead.request.role, Some(Role::Lead));
    // Undo the three changes: what remains equals the default's plan field for field.
    mine.request.role = Some(Role::Lead);
    mine.request.external_id = None;
    mine.lookups.remove(0);
    assert_eq!(mine, as_lead);
    assert_eq!(
        mine.request.custom_attributes.as_ref().unwrap()[ATTR_ORIGINAL_ID],
        json!(NOA)
    );
    assert_eq!(mine.request.name.as_deref(), Some("Noa Levi"));
    assert_eq!(mine.tags.len(), 1);
}

#[test]
fn it_applies_whatever_the_missing_email_policy() {
    let seen = whatsapp_customer();
    let c = contact(&[("PhoneNumber", "972501234567")], "");
    for policy in POLICIES {
        let out = custom(&seen, Some(&c), &spec(policy));
        let r = &out.value().unwrap().request;
        assert_eq!(r.role, Some(Role::User), "{policy:?}");
        assert_eq!(
            r.external_id.as_deref(),
            Some("phone:+972501234567"),
            "{policy:?}"
        );
    }
}

#[test]
fn customers_with_an_email_or_unique_argument_are_mapped_exactly_as_the_default() {
    let seen = whatsapp_customer();
    let with_email = contact(
        &[
            ("PhoneNumber", "972501234567"),
            ("MailAddress", "noa@example.com"),
        ],
        "",
    );
    let with_unique = contact(&[("PhoneNumber", "972501234567")], "CRM-CUST-30418");
    for c in [&with_email, &with_unique] {
        for policy in POLICIES {
            let s = spec(policy);
            let mine = custom(&seen, Some(c), &s);
            assert!(mine.is_write());
            assert_eq!(mine, default(&seen, Some(c), &s), "{policy:?}");
        }
    }
    let r = custom(&seen, Some(&with_unique), &spec(MissingEmailPolicy::Queue))
        .into_value()
        .unwrap()
        .request;
    assert_eq!(r.external_id.as_deref(), Some("CRM-CUST-30418"));
}

#[test]
fn customers_without_a_usable_phone_follow_the_spec_policy_like_the_default() {
    // A Messenger customer: no e-mail, no phone.
    let seen = seen(&[ticket(
        501,
        "FBmessenger",
        vec![client("Omar", "3000000000000042", NOA, "FBmessenger")],
    )]);
    let no_phone = contact(&[("FacebookId", "3000000000000042")], "");
    // A number too short to be international is not usable either.
    let bad_phone = contact(&[("PhoneNumber", "12345")], "");
    for c in [&no_phone, &bad_phone] {
        for policy in POLICIES {
            let s = spec(policy);
            assert_eq!(
                custom(&seen, Some(c), &s),
                default(&seen, Some(c), &s),
                "{policy:?}"
            );
        }
    }
    let queued = custom(&seen, Some(&no_phone), &spec(MissingEmailPolicy::Queue));
    assert_eq!(queued.reason().unwrap().code, ReasonCode::MissingEmail);
    let by_id = custom(
        &seen,
        Some(&no_phone),
        &spec(MissingEmailPolicy::ExternalIdFromGlassixId),
    );
    assert_eq!(
        by_id.value().unwrap().request.external_id,
        Some(format!("glassix-{NOA}"))
    );
}

#[test]
fn a_contact_field_that_does_not_fit_is_the_queue_reason_not_the_missing_email() {
    let seen = whatsapp_customer();
    let c = contact(&[("PhoneNumber", "972501234567")], "");
    let s = MappingSpec::from_toml_str(
        r#"version = 1
[policies]
invalid_value = "queue_record"

[[fields]]
source = "contact.name"
target = "name_as_number"
model = "contact"
type = "integer"
"#,
    )
    .unwrap();
    // The default queues the customer for its missing e-mail before it reads any rule.
    let d = default(&seen, Some(&c), &s);
    assert_eq!(d.reason().unwrap().code, ReasonCode::MissingEmail);
    // The custom mapper would create it, so the value that does not fit is what to fix.
    let out = custom(&seen, Some(&c), &s);
    let reason = out.reason().unwrap();
    assert_eq!(reason.code, ReasonCode::InvalidFieldValue, "{out:?}");
    assert_eq!(reason.field.as_deref(), Some("contact.name"));
    // With an e-mail, both agree.
    let with_email = contact(
        &[
            ("PhoneNumber", "972501234567"),
            ("MailAddress", "noa@example.com"),
        ],
        "",
    );
    assert_eq!(
        custom(&seen, Some(&with_email), &s),
        default(&seen, Some(&with_email), &s)
    );
}

#[test]
fn deleted_contacts_are_skipped_like_the_default() {
    let seen = whatsapp_customer();
    let mut c = contact(&[("PhoneNumber", "972501234567")], "");
    c.is_deleted = true;
    let s = spec(MissingEmailPolicy::Queue);
    let out = custom(&seen, Some(&c), &s);
    assert!(out.is_skip());
    assert_eq!(out, default(&seen, Some(&c), &s));
}

#[test]
fn the_same_number_on_two_channels_gets_one_external_id() {
    // Two customers without a contact id (zero GUID), keyed by their address: the same person
    // on WhatsApp and on SMS, the number written differently. The default sees two people.
    let whatsapp = seen(&[ticket(
        600,
        "WhatsApp",
        vec![client("Noa", "972501234567", ZERO, "WhatsApp")],
    )]);
    let sms = seen(&[ticket(
        601,
        "SMS",
        vec![client("Noa L.", "+972 50-123-4567", ZERO, "SMS")],
    )]);
    assert_ne!(whatsapp.source_id(), sms.source_id());
    let s = spec(MissingEmailPolicy::Queue);
    let a = custom(&whatsapp, None, &s).into_value().unwrap();
    let b = custom(&sms, None, &s).into_value().unwrap();
    assert_eq!(
        a.request.external_id.as_deref(),
        Some("phone:+972501234567")
    );
    assert_eq!(a.request.external_id, b.request.external_id);
    // Each keeps its own Glassix identity in glassix_original_id.
    assert_ne!(
        a.request.custom_attributes.as_ref().unwrap()[ATTR_ORIGINAL_ID],
        b.request.custom_attributes.as_ref().unwrap()[ATTR_ORIGINAL_ID]
    );
}

#[test]
fn the_prefix_can_be_changed() {
    let seen = whatsapp_customer();
    let c = contact(&[("PhoneNumber", "972501234567")], "");
    let s = spec(MissingEmailPolicy::Queue);
    let mapper = PhoneIdentityContactMapper::with_prefix("tel-");
    let out = map_with(&mapper, &seen, Some(&c), &s);
    assert_eq!(
        out.value().unwrap().request.external_id.as_deref(),
        Some("tel-+972501234567")
    );
    assert_eq!(
        PhoneIdentityContactMapper::default().external_id_for("+15555550142"),
        format!("{DEFAULT_PREFIX}+15555550142")
    );
}

// ---------------------------------------------------------------------------------------------
// A migration against the in-process sandbox (the set-up of tests/tests/common/mod.rs)
// ---------------------------------------------------------------------------------------------

/// The E.164 phone of a generated Glassix contact with neither an e-mail nor a
/// uniqueArgument, if it has a phone number.
fn phone_only(contact: &Value) -> Option<String> {
    let ids = contact["identifiers"].as_array()?;
    let has = |t: &str| ids.iter().any(|i| i["identifierType"] == t);
    let unique = contact["uniqueArgument"].as_str().unwrap_or("");
    if has("MailAddress") || !unique.is_empty() {
        return None;
    }
    ids.iter()
        .find(|i| i["identifierType"] == "PhoneNumber")
        .and_then(|i| i["identifier"].as_str())
        .and_then(migration_core::map::normalize_phone)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_with_the_custom_mapper_creates_phone_identified_users() {
    let sb = common::sandbox(60, 11).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    // The shared confirmed spec, with the default policy for customers without an e-mail, so
    // that only contacts decide what is queued.
    let mut spec = common::spec(&sb, true);
    spec.policies.missing_email = MissingEmailPolicy::Queue;
    let exports = sb.exports.first().and_then(|f| f.parent()).unwrap();
    let migration = Migration::builder()
        .exports(exports)
        .glassix(common::glassix(&sb))
        .intercom(common::intercom(&sb))
        .spec(spec)
        .ledger(ledger.clone())
        .mappers(Mappers::default().with_contacts(PhoneIdentityContactMapper::new()))
        .departments(common::departments(&sb))
        .since(Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).unwrap())
        .until(Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap())
        .concurrency(8)
        .build()
        .expect("migration builds");
    let (progress, _rx) = ProgressSender::channel(4096);
    let result = migration.run(progress).await.expect("run completes");
    assert!(result.is_balanced(), "{:?}", result.imbalance);

    // Phone-only Glassix contacts, by their Glassix id.
    let phone_only: std::collections::BTreeMap<String, String> = sb
        .snapshot
        .contacts
        .iter()
        .filter_map(|c| Some((c["id"].as_str()?.to_lowercase(), phone_only(c)?)))
        .collect();
    assert!(
        !phone_only.is_empty(),
        "the generator makes phone-only contacts"
    );

    let state = sb.intercom.state();
    let phone_users: Vec<_> = state
        .contacts
        .values()
        .filter(|c| {
            c.external_id
                .as_deref()
                .is_some_and(|x| x.starts_with(DEFAULT_PREFIX))
        })
        .collect();
    assert!(
        !phone_users.is_empty(),
        "phone-identified users were created"
    );
    for c in &phone_users {
        let phone = c.external_id.as_deref().unwrap()[DEFAULT_PREFIX.len()..].to_owned();
        assert_eq!(c.role, "user");
        assert_eq!(c.email, None);
        assert_eq!(c.phone.as_deref(), Some(phone.as_str()));
        let original = c.custom_attributes[ATTR_ORIGINAL_ID].as_str().unwrap();
        assert_eq!(phone_only.get(original), Some(&phone), "{original}");
        // Its tickets reached Intercom with it as their contact.
        assert!(
            state
                .tickets
                .values()
                .any(|t| t.contact_ids.contains(&c.id)),
            "contact {} has a ticket",
            c.id
        );
    }
    // Every phone-only customer the run met is such a user, and none of them is queued.
    let mut met = 0;
    for (sid, phone) in &phone_only {
        let Some(rec) = ledger.lookup(&ObjectKind::Contact, sid).unwrap() else {
            continue; // not a participant of a ticket in the window
        };
        met += 1;
        assert_eq!(rec.status, ObjectStatus::Migrated, "{sid}: {rec:?}");
        let target = &state.contacts[rec.target_id.as_deref().unwrap()];
        assert_eq!(
            target.external_id.as_deref(),
            Some(format!("{DEFAULT_PREFIX}{phone}").as_str())
        );
    }
    assert!(met > 0);
    // What is still queued for missing_email has no phone.
    for e in ledger.queue_entries().unwrap() {
        if e.kind == ObjectKind::Contact {
            assert_eq!(e.reason.code, "missing_email", "{e:?}");
            assert!(!phone_only.contains_key(&e.source_id), "{e:?}");
        }
    }

    // A second run finds every contact by its ledger entry and creates nothing new.
    let contacts_before = state.contacts.len();
    let (progress, _rx) = ProgressSender::channel(4096);
    let again = migration.run(progress).await.expect("second run completes");
    assert!(again.is_balanced());
    assert_eq!(sb.intercom.state().contacts.len(), contacts_before);
}
