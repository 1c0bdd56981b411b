//! The one list of steps a migration runs. The planner builds its [`Step`](super::Step)s from
//! it, the executor runs them by it, and the same identifier names a step in progress events, in
//! the run result and in the reports.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::kind::ObjectKind;
use crate::spec::TicketTarget;

/// A step of the standard Glassix → Intercom migration.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    /// Read admins, teams, agents and departments; resolve who is who.
    Preflight,
    /// Contact data attributes the spec writes.
    DataAttributes,
    /// Conversation attributes (when tickets become conversations).
    ConversationAttributes,
    /// The migration's ticket type (when tickets become tickets).
    TicketTypes,
    /// The ticket type's attributes, its states and list items.
    TicketTypeAttributes,
    /// Tags, found or created by name.
    Tags,
    /// Contacts, reached through ticket participants: they move with the tickets step (Glassix
    /// has no contact listing), and are reported as a step of their own.
    Contacts,
    /// Tickets (as Intercom tickets or conversations) with their parts, state and tags.
    Tickets,
    /// Help-center collections.
    Collections,
    /// Help-center articles.
    Articles,
    /// The inventories of what is rebuilt by hand (written from discovery; nothing to send).
    Inventories,
}

impl StepId {
    /// Every step, in declaration order (ties in the dependency order keep this order).
    pub const ALL: [StepId; 11] = [
        StepId::Preflight,
        StepId::DataAttributes,
        StepId::ConversationAttributes,
        StepId::TicketTypes,
        StepId::TicketTypeAttributes,
        StepId::Tags,
        StepId::Contacts,
        StepId::Tickets,
        StepId::Collections,
        StepId::Articles,
        StepId::Inventories,
    ];

    /// The identifier used in plans, progress events and reports, e.g. `ticket_types`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepId::Preflight => "preflight",
            StepId::DataAttributes => "data_attributes",
            StepId::ConversationAttributes => "conversation_attributes",
            StepId::TicketTypes => "ticket_types",
            StepId::TicketTypeAttributes => "ticket_type_attributes",
            StepId::Tags => "tags",
            StepId::Contacts => "contacts",
            StepId::Tickets => "tickets",
            StepId::Collections => "collections",
            StepId::Articles => "articles",
            StepId::Inventories => "inventories",
        }
    }

    /// The step named `id`, if it is a standard one.
    pub fn parse(id: &str) -> Option<StepId> {
        StepId::ALL.into_iter().find(|s| s.as_str() == id)
    }

    /// What the step does, for people.
    pub fn description(self) -> &'static str {
        match self {
            StepId::Preflight => "Read admins, teams, ticket states and existing schema",
            StepId::DataAttributes => "Contact data attributes",
            StepId::ConversationAttributes => "Conversation attributes",
            StepId::TicketTypes => "Ticket type",
            StepId::TicketTypeAttributes => "Ticket type attributes",
            StepId::Tags => "Tags (get or create by name)",
            StepId::Contacts => "Contacts from ticket participants",
            StepId::Tickets => "Tickets with their messages, notes and tags",
            StepId::Collections => "Help-center collections",
            StepId::Articles => "Help-center articles",
            StepId::Inventories => "Inventories of what is rebuilt by hand",
        }
    }

    /// The steps that must finish first (Intercom reference §7: schema before values, contacts
    /// before conversations, admins and teams resolved before assignment, collections before
    /// articles).
    pub fn depends_on(self) -> &'static [StepId] {
        use StepId::*;
        match self {
            Preflight => &[],
            DataAttributes
            | ConversationAttributes
            | TicketTypes
            | Tags
            | Collections
            | Inventories => &[Preflight],
            TicketTypeAttributes => &[TicketTypes],
            Contacts => &[DataAttributes, Tags],
            Tickets => &[
                Contacts,
                TicketTypeAttributes,
                ConversationAttributes,
                Tags,
                Preflight,
            ],
            Articles => &[Collections, Preflight],
        }
    }

    /// The object kind the step creates under `target` (tickets become tickets or
    /// conversations), if any.
    pub fn kind(self, target: TicketTarget) -> Option<ObjectKind> {
        match self {
            StepId::Preflight | StepId::Inventories => None,
            StepId::DataAttributes => Some(ObjectKind::DataAttribute),
            StepId::ConversationAttributes => Some(ObjectKind::ConversationAttribute),
            StepId::TicketTypes => Some(ObjectKind::TicketType),
            StepId::TicketTypeAttributes => Some(ObjectKind::TicketTypeAttribute),
            StepId::Tags => Some(ObjectKind::Tag),
            StepId::Contacts => Some(ObjectKind::Contact),
            StepId::Tickets => Some(match target {
                TicketTarget::Tickets => ObjectKind::Ticket,
                TicketTarget::Conversations => ObjectKind::Conversation,
            }),
            StepId::Collections => Some(ObjectKind::Collection),
            StepId::Articles => Some(ObjectKind::Article),
        }
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
