//! Departments (agents, API and bot users, tags, canned replies) and contacts.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use super::text::*;
use super::{GeneratorSizes, guid, pick};
use crate::snapshot::SnapshotDepartment;

pub(crate) const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";
const DEPARTMENT_NAMES: &[&str] = &[
    "Customer Support",
    "Billing",
    "Sales",
    "Technical Support",
    "Returns",
    "VIP Desk",
];
/// The channels tickets are spread over (ProtocolType wire values).
pub(crate) const CHANNELS: &[&str] = &[
    "Mail",
    "WhatsApp",
    "Web",
    "SMS",
    "FBmessenger",
    "InstagramDM",
];

/// A generated contact and what tickets need to know about it.
#[derive(Clone, Debug)]
pub(crate) struct GenContact {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) channel: &'static str,
    pub(crate) identifier: String,
    pub(crate) json: Value,
}

fn slug(s: &str) -> String {
    s.to_ascii_lowercase().replace(' ', "-")
}

fn user(
    rng: &mut SmallRng,
    kind: &str,
    first: &str,
    last: &str,
    email: String,
    dept: &str,
) -> Value {
    let culture = if rng.random_bool(0.2) {
        "he-IL"
    } else {
        "en-US"
    };
    json!({
        "id": guid(rng), "type": kind, "gender": pick(rng, &["Female", "Male", "Undefined"]), "UserName": email,
        "culture": culture, "isAnonymous": false, "uniqueArgument": format!("crm-agent-{:04}", rng.random_range(1..9999)),
        "fullName": format!("{first} {last}").trim().to_string(), "shortName": first, "jobTitle": format!("{dept} agent"),
        "status": pick(rng, &["Online", "Offline", "Break"]),
        "roles": ["SystemUser", "WhatsApp", "EmailSession", "webChat"],
    })
}

pub(crate) fn departments(rng: &mut SmallRng, sizes: &GeneratorSizes) -> Vec<SnapshotDepartment> {
    let mut out = Vec::new();
    for d in 0..sizes.departments.max(1) {
        let name = DEPARTMENT_NAMES[d % DEPARTMENT_NAMES.len()].to_string();
        let dept_slug = slug(&name);
        let mut users = Vec::new();
        for a in 0..sizes.agents_per_department.max(1) {
            // Agents are unique across departments except one shared agent per extra department.
            let (first, last) = if d > 0 && a == 0 {
                (FIRST_NAMES[0], LAST_NAMES[0])
            } else {
                let i = d * 7 + a;
                (
                    FIRST_NAMES[i % FIRST_NAMES.len()],
                    LAST_NAMES[(i * 3 + 1) % LAST_NAMES.len()],
                )
            };
            let email =
                format!("{}.{}@acme-sandbox.example", slug(first), slug(last)).replace('\'', "");
            users.push(user(rng, "AGENT", first, last, email, &name));
        }
        let api_user = format!("api.{dept_slug}@acme-sandbox.example");
        users.push(user(
            rng,
            "API",
            "Migration",
            "API",
            api_user.clone(),
            &name,
        ));
        users.push(user(
            rng,
            "BOT",
            "Glassix",
            "Bot",
            format!("bot.{dept_slug}@acme-sandbox.example"),
            &name,
        ));
        let tags: Vec<Value> = TAG_NAMES
            .iter()
            .zip(TAG_COLORS)
            .enumerate()
            .map(|(i, (t, c))| {
                let parents: Vec<&str> = if *t == "Refund" { vec!["Billing"] } else { vec![] };
                json!({ "name": t, "color": c, "parentTags": parents, "isDeleted": i == 6 && d == 0 })
            })
            .collect();
        let canned = vec![
            json!({ "id": 73_000 + d * 10 + 1, "title": "Refund confirmation", "text": "Your refund has been processed.",
                    "html": "<p>Your refund has been processed.</p>", "rank": 1, "autoTags": ["Refund"], "categoryName": "Billing", "culture": "en-US" }),
            json!({ "id": 73_000 + d * 10 + 2, "title": "ברכה", "text": "שלום! איך אפשר לעזור?",
                    "html": "<p dir=\"rtl\">שלום! איך אפשר לעזור?</p>", "rank": 2, "autoTags": [], "categoryName": "General", "culture": "he-IL" }),
        ];
        out.push(SnapshotDepartment {
            id: guid(rng),
            name,
            api_secret: format!("sandbox-secret-{d}-{:08x}", rng.random::<u32>()),
            api_user_name: api_user,
            users,
            tags,
            canned_replies: canned,
        });
    }
    out
}

pub(crate) fn contacts(rng: &mut SmallRng, sizes: &GeneratorSizes) -> Vec<GenContact> {
    let mut out = Vec::new();
    for i in 0..sizes.contacts.max(1) {
        let id = guid(rng);
        let name = if i % 5 == 4 {
            pick(rng, NON_LATIN_NAMES).to_string()
        } else {
            format!("{} {}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES))
        };
        let channel = CHANNELS[i % CHANNELS.len()];
        let phone = format!("1555555{:04}", 1000 + i);
        let email = format!("customer{i:04}@example.com");
        // Mail contacts always have an e-mail; others only sometimes.
        let has_email = channel == "Mail" || rng.random_bool(0.3);
        let (id_type, identifier) = match channel {
            "Mail" => ("MailAddress", email.clone()),
            "WhatsApp" | "SMS" => ("PhoneNumber", phone.clone()),
            "FBmessenger" => (
                "FacebookId",
                format!("{}", 3_000_000_000_000_000u64 + i as u64),
            ),
            "InstagramDM" => (
                "InstagramIGSID",
                format!("{}", 17_800_000_000_000_000u64 + i as u64),
            ),
            _ => ("Web", guid(rng)),
        };
        let mut identifiers = vec![json!({
            "id": 5_500_000 + i * 3, "contactId": id, "identifierType": id_type, "identifier": identifier,
            "lastAccessed": "2025-03-04T08:40:13Z", "isVerified": false, "isDeleted": false, "isScrambled": false,
        })];
        if has_email && channel != "Mail" {
            identifiers.push(json!({
                "id": 5_500_000 + i * 3 + 1, "contactId": id, "identifierType": "MailAddress", "identifier": email,
                "lastAccessed": "2025-02-01T10:00:00Z", "isVerified": true, "isDeleted": false, "isScrambled": false,
            }));
        }
        let tags: Vec<&str> = if i % 7 == 0 { vec!["VIP"] } else { vec![] };
        let json = json!({
            "id": id, "name": name.chars().take(25).collect::<String>(), "identifiers": identifiers,
            "uniqueArgument": if i % 3 == 0 { format!("CRM-CUST-{:05}", 30_000 + i) } else { String::new() },
            "imageFileIdentifier": "", "imageUri": null,
            "creationDateTime": "2024-11-19T14:02:51Z", "updateDateTime": "2025-03-04T08:40:13Z",
            "isDeleted": false, "isScrambled": false, "tags": tags,
        });
        out.push(GenContact {
            id,
            name,
            channel,
            identifier,
            json,
        });
    }
    out
}
