//! The adversarial pass ([`GeneratorSizes::adversarial`](super::GeneratorSizes::adversarial)):
//! the data problems a real Glassix workspace has and the regular generator avoids.
//!
//! It runs after the regular generator, with its own random stream (derived from the seed), so
//! the regular workspace is the same with or without it up to the records it changes. What it
//! does, deterministically for a seed:
//!
//! * **department-specific custom fields** (Glassix `field2`…`field10` mean what each
//!   department decided; see `glassix-api.md` §6 item 10): in the first department `field3`
//!   holds dates written `dd/mm/yyyy`, a few impossible (`30/02/2024`) and `field7` whole
//!   numbers with `,` between thousands (`12,480`); in the second `field3` holds plan names
//!   from a short list; in the third `field3` holds amounts written the European way
//!   (`1.234,5`); the number fields carry some free text (`n/a`, `approx. 40`);
//! * **invalid e-mail identifiers** on some customers (`customer0007(at)example.com`, a space
//!   inside, no domain) and **deleted** ones (`isDeleted: true`);
//! * **customers missing from Glassix**: referenced by tickets, absent from `contacts/get`
//!   (404);
//! * **dangling moves**: tickets moved to a ticket id that does not exist;
//! * **customers duplicated by e-mail case or white space**: a second contact whose address is
//!   another's in other case and with surrounding spaces (every other one created earlier than
//!   the original), with tickets of its own whose customer messages keep the original as their
//!   author (a message author that is not among the ticket's participants).

use std::collections::BTreeSet;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::pick;
use crate::snapshot::GlassixSnapshot;

/// Mixed into the seed so the pass has a stream of its own.
const STREAM: u64 = 0xAD7E_0000_5EED_0001;

/// Plan names the second department writes in `field3`.
pub(crate) const PLAN_NAMES: &[&str] = &["Basic", "Pro", "Pro Plus", "Enterprise"];
/// Free text found in number fields.
pub(crate) const NUMBER_FIELD_TEXT: &[&str] = &["n/a", "approx. 40", "see notes", "TBD"];

/// Applies the pass to a generated snapshot.
pub(crate) fn apply(snapshot: &mut GlassixSnapshot, seed: u64) {
    let mut rng = SmallRng::seed_from_u64(seed ^ STREAM);
    custom_fields(snapshot, &mut rng);
    let emails = email_identifiers(snapshot, &mut rng);
    duplicates(snapshot, &mut rng, &emails);
    missing_contacts(snapshot);
    dangling_moves(snapshot);
}

fn department_index(snapshot: &GlassixSnapshot, ticket: &Value) -> Option<usize> {
    let id = ticket.get("departmentId").and_then(Value::as_str)?;
    snapshot.departments.iter().position(|d| d.id == id)
}

fn dd_mm_yyyy(rng: &mut SmallRng) -> String {
    if rng.random_bool(0.04) {
        // Impossible dates.
        return pick(
            rng,
            &["30/02/2024", "31/04/2024", "29/02/2023", "31/06/2025"],
        )
        .to_string();
    }
    format!(
        "{:02}/{:02}/{}",
        rng.random_range(1..=28),
        rng.random_range(1..=12),
        rng.random_range(2023..=2025)
    )
}

fn thousands_us(rng: &mut SmallRng) -> String {
    if rng.random_bool(0.05) {
        return pick(rng, NUMBER_FIELD_TEXT).to_string();
    }
    let n: u32 = rng.random_range(100..2_000_000);
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn amount_eu(rng: &mut SmallRng) -> String {
    if rng.random_bool(0.05) {
        return pick(rng, NUMBER_FIELD_TEXT).to_string();
    }
    let whole: u32 = rng.random_range(1..50_000);
    let cents = rng.random_range(0..100);
    let int = if whole >= 1000 {
        format!("{}.{:03}", whole / 1000, whole % 1000)
    } else {
        whole.to_string()
    };
    format!("{int},{cents:02}")
}

fn custom_fields(snapshot: &mut GlassixSnapshot, rng: &mut SmallRng) {
    for i in 0..snapshot.tickets.len() {
        let Some(d) = department_index(snapshot, &snapshot.tickets[i]) else {
            continue;
        };
        let t = &mut snapshot.tickets[i];
        match d {
            0 => {
                t["field3"] = json!(dd_mm_yyyy(rng));
                t["field7"] = json!(thousands_us(rng));
            }
            1 => t["field3"] = json!(pick(rng, PLAN_NAMES).to_string()),
            2 => t["field3"] = json!(amount_eu(rng)),
            _ => {}
        }
    }
}

/// The contact's MailAddress identifier.
fn mail_identifier(contact: &mut Value) -> Option<&mut Value> {
    contact
        .get_mut("identifiers")?
        .as_array_mut()?
        .iter_mut()
        .find(|i| i["identifierType"] == "MailAddress")
}

/// Changes the identifier of the contact's Mail participants on every ticket.
fn rename_participants(snapshot: &mut GlassixSnapshot, contact_id: &str, identifier: &str) {
    for t in &mut snapshot.tickets {
        let Some(ps) = t.get_mut("participants").and_then(Value::as_array_mut) else {
            continue;
        };
        for p in ps {
            if p["contactId"] == contact_id && p["protocolType"] == "Mail" {
                p["identifier"] = json!(identifier);
            }
        }
    }
}

/// Makes some e-mail identifiers invalid or deleted; returns the (contact id, address) pairs
/// left valid, for the duplicates.
fn email_identifiers(snapshot: &mut GlassixSnapshot, rng: &mut SmallRng) -> Vec<(String, String)> {
    let mut valid = Vec::new();
    let mut renames = Vec::new();
    for (i, c) in snapshot.contacts.iter_mut().enumerate() {
        let id = c["id"].as_str().unwrap_or_default().to_string();
        let Some(mail) = mail_identifier(c) else {
            continue;
        };
        let address = mail["identifier"].as_str().unwrap_or_default().to_string();
        match i % 11 {
            3 => {
                let local = address.split('@').next().unwrap_or("customer");
                let bad = match rng.random_range(0..4) {
                    0 => format!("{local}(at)example.com"),
                    1 => format!("{local}@example"),
                    2 => format!("{local} @example.com"),
                    _ => format!("{local}@@example.com"),
                };
                mail["identifier"] = json!(bad);
                renames.push((id, bad));
            }
            7 => mail["isDeleted"] = json!(true),
            _ => valid.push((id, address)),
        }
    }
    for (id, bad) in renames {
        rename_participants(snapshot, &id, &bad);
    }
    valid
}

/// Adds contacts whose address is another's in other case and with surrounding spaces, and
/// moves some tickets of the original to them.
fn duplicates(snapshot: &mut GlassixSnapshot, rng: &mut SmallRng, valid: &[(String, String)]) {
    let wanted = (valid.len() / 15).max(1).min(valid.len());
    for (k, (original, address)) in valid.iter().step_by(15).take(wanted).enumerate() {
        let Some(source) = snapshot
            .contacts
            .iter()
            .find(|c| c["id"] == original.as_str())
            .cloned()
        else {
            continue;
        };
        let twin_id = super::guid(rng);
        let twin_address = if k % 2 == 0 {
            format!(" {} ", address.to_uppercase())
        } else {
            let mut chars = address.chars();
            let first: String = chars
                .next()
                .map(|c| c.to_uppercase().collect())
                .unwrap_or_default();
            format!("{first}{}\t", chars.as_str())
        };
        let mut twin = source.clone();
        twin["id"] = json!(twin_id);
        // Every other twin is the older record: the merged contact must carry its sign-up.
        if k % 2 == 1 {
            twin["creationDateTime"] = json!("2023-06-01T09:00:00Z");
        }
        if let Some(ids) = twin["identifiers"].as_array_mut() {
            for (j, ident) in ids.iter_mut().enumerate() {
                ident["contactId"] = json!(twin_id);
                ident["id"] = json!(7_700_000 + k * 10 + j);
                if ident["identifierType"] == "MailAddress" {
                    ident["identifier"] = json!(twin_address);
                    ident["isDeleted"] = json!(false);
                }
            }
        }
        snapshot.contacts.push(twin);
        // Every other ticket of the original is the twin's.
        let mut seen = 0;
        for t in &mut snapshot.tickets {
            let Some(ps) = t.get_mut("participants").and_then(Value::as_array_mut) else {
                continue;
            };
            let Some(p) = ps.iter_mut().find(|p| p["contactId"] == original.as_str()) else {
                continue;
            };
            seen += 1;
            if seen % 2 == 0 {
                p["contactId"] = json!(twin_id);
                if p["protocolType"] == "Mail" {
                    p["identifier"] = json!(twin_address);
                }
            }
        }
    }
}

/// Removes every 13th contact that tickets reference: `contacts/get` answers 404 for it.
fn missing_contacts(snapshot: &mut GlassixSnapshot) {
    let referenced: BTreeSet<String> = snapshot
        .tickets
        .iter()
        .flat_map(|t| t["participants"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["type"] == "Client")
        .filter_map(|p| p["contactId"].as_str().map(str::to_owned))
        .collect();
    let missing: BTreeSet<String> = referenced.into_iter().step_by(13).collect();
    snapshot
        .contacts
        .retain(|c| c["id"].as_str().is_none_or(|id| !missing.contains(id)));
}

/// Every 17th closed, unmoved ticket is marked moved to a ticket id that does not exist.
fn dangling_moves(snapshot: &mut GlassixSnapshot) {
    let ids: BTreeSet<i64> = snapshot
        .tickets
        .iter()
        .filter_map(|t| t["id"].as_i64())
        .collect();
    let departments: Vec<String> = snapshot.departments.iter().map(|d| d.id.clone()).collect();
    let mut n = 0i64;
    for (i, t) in snapshot.tickets.iter_mut().enumerate() {
        let unmoved = t["movedToTicketId"] == 0 && t["movedFromTicketId"] == 0;
        if i % 17 != 11 || !unmoved {
            continue;
        }
        let mut target = 59_900_000 + n * 7;
        while ids.contains(&target) {
            target += 1;
        }
        n += 1;
        let dept = t["departmentId"].as_str().unwrap_or_default().to_string();
        let other = departments
            .iter()
            .find(|d| **d != dept)
            .cloned()
            .unwrap_or(dept);
        t["movedToTicketId"] = json!(target);
        t["movedToDepartmentId"] = json!(other);
        t["state"] = json!("Closed");
    }
}
