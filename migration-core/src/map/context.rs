//! The context a mapper reads: the spec, the ids resolved by earlier steps, and a fixed "now".

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use intercom_client::models::{Role, TicketStateCategory};
use serde::{Deserialize, Serialize};

use crate::spec::MappingSpec;

/// Everything a mapper may read besides the record itself. Mappers do no I/O: whatever they need
/// from Intercom was resolved by an earlier step and put in the [`Directory`].
#[derive(Debug, Clone, Copy)]
pub struct MapContext<'a> {
    /// The confirmed mapping spec.
    pub spec: &'a MappingSpec,
    /// Ids resolved by earlier steps.
    pub directory: &'a Directory,
    /// The run's reference time, passed in (mappers never read the clock). Used only to give a
    /// snoozed conversation or ticket a `snoozed_until` in the future, because Glassix does not
    /// expose the snooze end.
    pub now: DateTime<Utc>,
    /// Whether the ticket being mapped was moved to a ticket that no longer exists in Glassix
    /// (checked by the executor): then it is the last existing copy of its move chain and is
    /// migrated instead of skipped as `moved`.
    pub dangling_move: bool,
}

impl<'a> MapContext<'a> {
    /// A context over `spec` and `directory` at time `now`.
    pub fn new(spec: &'a MappingSpec, directory: &'a Directory, now: DateTime<Utc>) -> Self {
        MapContext {
            spec,
            directory,
            now,
            dangling_move: false,
        }
    }

    /// The same context saying whether the ticket's move target is missing from Glassix.
    pub fn with_dangling_move(mut self, dangling: bool) -> Self {
        self.dangling_move = dangling;
        self
    }
}

/// The normalised text form of a Glassix GUID used as a key everywhere in this module
/// (lower-case, hyphenated), e.g. `6b1d2f7a-0c3e-4a58-9f21-7d8e9a0b1c2d`.
pub fn guid_key(id: impl std::fmt::Display) -> String {
    id.to_string().trim().to_ascii_lowercase()
}

/// An Intercom contact created (or found) for a Glassix contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedContact {
    /// Intercom contact id (24 hex characters).
    pub id: String,
    /// Whether the contact is a user or a lead (a conversation's `from.type`).
    pub role: Role,
}

/// A Glassix department as the configuration names it (the Glassix API does not list
/// departments or their names, so they come from the migration's configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    /// Department id (= its API key).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Parent department id, for nested departments.
    pub parent_id: Option<String>,
}

/// A ticket state category (Intercom's fixed four), orderable so it can key a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateCategory {
    /// `submitted`
    Submitted,
    /// `in_progress`
    InProgress,
    /// `waiting_on_customer`
    WaitingOnCustomer,
    /// `resolved`
    Resolved,
}

impl StateCategory {
    /// The category of an Intercom ticket state, if it is one of the four known ones.
    pub fn from_intercom(c: &TicketStateCategory) -> Option<Self> {
        match c {
            TicketStateCategory::Submitted => Some(StateCategory::Submitted),
            TicketStateCategory::InProgress => Some(StateCategory::InProgress),
            TicketStateCategory::WaitingOnCustomer => Some(StateCategory::WaitingOnCustomer),
            TicketStateCategory::Resolved => Some(StateCategory::Resolved),
            _ => None,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StateCategory::Submitted => "submitted",
            StateCategory::InProgress => "in_progress",
            StateCategory::WaitingOnCustomer => "waiting_on_customer",
            StateCategory::Resolved => "resolved",
        }
    }
}

/// The migration ticket type as created or found in Intercom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketTypeInfo {
    /// Ticket type id.
    pub id: String,
    /// Names of its attributes (custom and `_default_*`).
    pub attributes: BTreeSet<String>,
    /// One ticket state id per category (the first state of the type in that category).
    pub states: BTreeMap<StateCategory, String>,
}

/// Ids resolved by earlier steps, keyed by Glassix ids. Build it with the `resolve_*` functions
/// of this module and the ledger; every key is normalised (GUIDs with [`guid_key`], e-mails and
/// tag names lower-case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// Intercom contacts by contact source id ([`ContactKey::source_id`](super::ContactKey::source_id)).
    pub contacts: BTreeMap<String, ResolvedContact>,
    /// Intercom admin ids by Glassix user id.
    pub admins_by_user: BTreeMap<String, String>,
    /// Intercom admin ids by lower-case e-mail.
    pub admins_by_email: BTreeMap<String, String>,
    /// Glassix user ids of bots and API users (authors that are not people).
    pub bot_users: BTreeSet<String>,
    /// The admin that performs writes no Glassix agent can be credited with (state changes,
    /// tags, bot messages): normally the token's admin from `GET /me`.
    pub acting_admin: Option<String>,
    /// Glassix departments by id (names come from configuration).
    pub departments: BTreeMap<String, Department>,
    /// Intercom team ids by Glassix department id.
    pub teams_by_department: BTreeMap<String, String>,
    /// Intercom tag ids by lower-case tag name (tags missing here are created by name).
    pub tags: BTreeMap<String, String>,
    /// The migration ticket type (needed when tickets become Intercom tickets).
    pub ticket_type: Option<TicketTypeInfo>,
    /// List item ids of list attributes: attribute name → label → item id.
    pub list_items: BTreeMap<String, BTreeMap<String, String>>,
    /// Help-center collection ids by knowledge-base category id (and
    /// [`CANNED_REPLIES_COLLECTION`](super::CANNED_REPLIES_COLLECTION) for canned replies).
    pub collections: BTreeMap<String, String>,
}

impl Directory {
    /// The Intercom admin for a Glassix user: by user id first, then by e-mail
    /// (case-insensitive).
    pub fn admin_for(&self, user_id: Option<&str>, email: &str) -> Option<&str> {
        user_id
            .and_then(|id| self.admins_by_user.get(&guid_key(id)))
            .or_else(|| {
                let e = email.trim().to_lowercase();
                (!e.is_empty())
                    .then(|| self.admins_by_email.get(&e))
                    .flatten()
            })
            .map(String::as_str)
    }

    /// Whether a Glassix user id is a bot or API user.
    pub fn is_bot(&self, user_id: &str) -> bool {
        self.bot_users.contains(&guid_key(user_id))
    }

    /// The department's name path, parents first, joined with `" / "` (nested departments are
    /// flattened); `None` when the department is not configured.
    pub fn department_path(&self, id: &str) -> Option<String> {
        let mut names = Vec::new();
        let mut current = self.departments.get(&guid_key(id));
        let mut seen = BTreeSet::new();
        while let Some(d) = current {
            if !seen.insert(d.id.clone()) {
                break; // a cycle in the configuration: stop rather than loop
            }
            names.push(d.name.trim().to_owned());
            current = d
                .parent_id
                .as_deref()
                .and_then(|p| self.departments.get(&guid_key(p)));
        }
        if names.is_empty() {
            return None;
        }
        names.reverse();
        Some(names.join(" / "))
    }

    /// The Intercom team of a Glassix department.
    pub fn team_for(&self, department_id: &str) -> Option<&str> {
        self.teams_by_department
            .get(&guid_key(department_id))
            .map(String::as_str)
    }

    /// The Intercom tag id of a tag name, if it exists already.
    pub fn tag_id(&self, name: &str) -> Option<&str> {
        self.tags
            .get(&name.trim().to_lowercase())
            .map(String::as_str)
    }

    /// Adds a department (builder style).
    pub fn with_department(
        mut self,
        id: &str,
        name: impl Into<String>,
        parent_id: Option<&str>,
    ) -> Self {
        let key = guid_key(id);
        self.departments.insert(
            key.clone(),
            Department {
                id: key,
                name: name.into(),
                parent_id: parent_id.map(guid_key),
            },
        );
        self
    }
}
