//! The source hashes the ledgers hold are the SHA-256 of a canonical JSON text that
//! `migration_core::hashing` now writes straight from each record's `Serialize` impl. Every
//! generated Glassix ticket and contact (the adversarial generator's included) must give the
//! same text as the `serde_json::Value` tree that defined it, or every stored hash would change
//! and `delta` would see every record as changed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use glassix_client::models::{Contact, Ticket};
use helpdesk_sandbox::generator::{GeneratorSizes, generate};
use migration_core::hashing::{canonical_text_bytes, stable_hash, tree_canonical_bytes};

#[test]
fn every_generated_ticket_and_contact_hashes_to_the_trees_text() {
    for adversarial in [false, true] {
        let sizes = GeneratorSizes {
            adversarial,
            ..GeneratorSizes::with_tickets(60)
        };
        let snapshot = generate(11, &sizes);
        let tickets: Vec<Ticket> = snapshot
            .tickets
            .iter()
            .map(|t| serde_json::from_value(t.clone()).expect("a generated ticket decodes"))
            .collect();
        let contacts: Vec<Contact> = snapshot
            .contacts
            .iter()
            .map(|c| serde_json::from_value(c.clone()).expect("a generated contact decodes"))
            .collect();
        assert!(tickets.len() >= 60 && !contacts.is_empty());
        assert!(
            tickets.iter().any(|t| t.transactions().len() > 500),
            "the long conversation is among them"
        );
        for strip in [false, true] {
            for t in &tickets {
                assert_eq!(
                    canonical_text_bytes(t, strip).unwrap(),
                    tree_canonical_bytes(t, strip).unwrap(),
                    "ticket {} (links stripped: {strip})",
                    t.id
                );
            }
            for c in &contacts {
                assert_eq!(
                    canonical_text_bytes(c, strip).unwrap(),
                    tree_canonical_bytes(c, strip).unwrap(),
                    "contact (links stripped: {strip})"
                );
            }
        }
        // And the hash of a ticket changes with its content, not with its links.
        let mut changed = tickets[0].clone();
        changed.field1 = "changed".into();
        assert_ne!(
            stable_hash(&changed).unwrap(),
            stable_hash(&tickets[0]).unwrap()
        );
    }
}
