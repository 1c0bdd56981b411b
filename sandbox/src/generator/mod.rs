//! Deterministic generator of realistic Glassix workspaces.

use serde::{Deserialize, Serialize};

use crate::snapshot::GlassixSnapshot;

/// How big the generated workspace is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorSizes {
    /// Tickets.
    pub tickets: usize,
}

impl Default for GeneratorSizes {
    fn default() -> Self {
        Self::with_tickets(200)
    }
}

impl GeneratorSizes {
    /// Defaults scaled to `tickets`.
    pub fn with_tickets(tickets: usize) -> Self {
        Self { tickets }
    }
}

/// Generates a snapshot.
pub fn generate(_seed: u64, _sizes: &GeneratorSizes) -> GlassixSnapshot {
    GlassixSnapshot {
        format_version: 1,
        workspace: "x".into(),
        tier: Default::default(),
        departments: vec![],
        contacts: vec![],
        tickets: vec![],
        files: Default::default(),
        knowledge_base: None,
        automations: None,
    }
}
