//! Deterministic generator of realistic Glassix workspaces: several departments and channels,
//! contacts with and without e-mail, agents (some without an Intercom seat, see
//! [`IntercomSeed::from_snapshot`](crate::IntercomSeed::from_snapshot)), messages and notes,
//! attachments and inline images, HTML e-mails, Hebrew/Arabic/CJK/emoji text, typed custom
//! fields, scrambled and moved tickets, a long conversation (> 500 transactions) and bot flows,
//! plus the knowledge-base and automation exports.
//!
//! With [`GeneratorSizes::adversarial`] it adds the data problems real workspaces have (see
//! the `adversarial` module: department-specific custom fields, impossible dates, free text in
//! number fields, invalid and deleted e-mail identifiers, customers missing from Glassix,
//! dangling moves, customers duplicated by e-mail case or white space).
//!
//! Same seed and sizes → byte-identical snapshot JSON.

mod adversarial;
mod exports;
mod people;
mod text;
mod tickets;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::snapshot::{GlassixSnapshot, Tier};

/// How big the generated workspace is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratorSizes {
    /// Tickets (moved-ticket clones included).
    pub tickets: usize,
    /// Departments (at least 1).
    pub departments: usize,
    /// Agents per department.
    pub agents_per_department: usize,
    /// Contacts (at least 1).
    pub contacts: usize,
    /// Transactions of the one long conversation (made when there are at least 10 tickets;
    /// 0 disables it).
    pub long_conversation: usize,
    /// Knowledge-base articles.
    pub kb_articles: usize,
    /// The tier written into the snapshot.
    pub tier: Tier,
    /// Days from 2025-01-01 over which ticket open times are spread (default 181).
    pub span_days: u32,
    /// Adds the data problems of real workspaces (department-specific meanings of
    /// `field2`…`field10`, impossible dates, free text in number fields, invalid and deleted
    /// e-mail identifiers, customers missing from Glassix, dangling moves, customers duplicated
    /// by e-mail case or white space). Default `false`, so that the demo and the tests keep
    /// their workspace and counts; a later change may turn it on for them. Needs three
    /// departments to show every custom-field meaning.
    pub adversarial: bool,
}

impl Default for GeneratorSizes {
    fn default() -> Self {
        Self::with_tickets(200)
    }
}

impl GeneratorSizes {
    /// Defaults scaled to `tickets`: 3 departments, 4 agents each, about 2 contacts per 3
    /// tickets, a 520-transaction conversation, 12 articles, Growth tier, not adversarial.
    pub fn with_tickets(tickets: usize) -> Self {
        Self {
            tickets,
            departments: 3,
            agents_per_department: 4,
            contacts: (tickets * 2 / 3).max(6),
            long_conversation: 520,
            kb_articles: 12,
            tier: Tier::Growth,
            span_days: 181,
            adversarial: false,
        }
    }
}

/// A GUID drawn from the generator (version 4 layout).
pub(crate) fn guid(rng: &mut SmallRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

/// An element of a non-empty slice.
pub(crate) fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Generates a workspace snapshot from `seed` and `sizes`.
pub fn generate(seed: u64, sizes: &GeneratorSizes) -> GlassixSnapshot {
    let mut rng = SmallRng::seed_from_u64(seed);
    let departments = people::departments(&mut rng, sizes);
    let contacts = people::contacts(&mut rng, sizes);
    let automations = exports::automations(&mut rng, &departments);
    let tickets = tickets::tickets(&mut rng, sizes, &departments, &contacts, &automations);
    let knowledge_base = exports::knowledge_base(&mut rng, sizes, &departments);
    let mut snapshot = GlassixSnapshot {
        format_version: 1,
        workspace: format!("sandbox-{seed}"),
        tier: sizes.tier,
        departments,
        contacts: contacts.into_iter().map(|c| c.json).collect(),
        tickets,
        files: Default::default(),
        knowledge_base: Some(knowledge_base),
        automations: Some(automations),
    };
    if sizes.adversarial {
        adversarial::apply(&mut snapshot, seed);
    }
    snapshot
}
