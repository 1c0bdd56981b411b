//! The kinds of Intercom objects a migration creates, shared by the ledger, planner and accounting.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A kind of object created (or reused) in Intercom, stored as text in the ledger.
///
/// `Other` keeps kinds introduced by custom mappers; they roll back after every built-in kind
/// and are reported as [`RollbackAction::Manual`] because this crate cannot know how to remove them.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(into = "String", from = "String")]
#[non_exhaustive]
pub enum ObjectKind {
    /// A contact data attribute definition (`/data_attributes`).
    DataAttribute,
    /// A conversation attribute definition (`/conversations/attributes`, API 2.16).
    ConversationAttribute,
    /// A ticket type (`/ticket_types`).
    TicketType,
    /// An attribute of a ticket type.
    TicketTypeAttribute,
    /// A tag.
    Tag,
    /// A company.
    Company,
    /// A contact (user or lead).
    Contact,
    /// A contact note.
    Note,
    /// A conversation.
    Conversation,
    /// A ticket.
    Ticket,
    /// A conversation or ticket part (one Glassix message / note).
    Part,
    /// A help-center collection.
    Collection,
    /// A help-center article.
    Article,
    /// A kind defined outside this crate.
    Other(String),
}

/// How a migrated object of some kind is undone (Intercom API reference §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RollbackAction {
    /// Hard delete through the API.
    Delete,
    /// The API offers only archiving.
    Archive,
    /// Removed together with its parent (parts with their conversation, notes with their contact).
    WithParent,
    /// Cannot be removed through the API; a person must handle it.
    Manual,
}

impl ObjectKind {
    /// Every built-in kind, in import (creation) order.
    pub const BUILT_IN: [ObjectKind; 13] = [
        ObjectKind::DataAttribute,
        ObjectKind::ConversationAttribute,
        ObjectKind::TicketType,
        ObjectKind::TicketTypeAttribute,
        ObjectKind::Tag,
        ObjectKind::Company,
        ObjectKind::Contact,
        ObjectKind::Note,
        ObjectKind::Conversation,
        ObjectKind::Ticket,
        ObjectKind::Part,
        ObjectKind::Collection,
        ObjectKind::Article,
    ];

    /// The text stored in the ledger (`snake_case`).
    pub fn as_str(&self) -> &str {
        match self {
            ObjectKind::DataAttribute => "data_attribute",
            ObjectKind::ConversationAttribute => "conversation_attribute",
            ObjectKind::TicketType => "ticket_type",
            ObjectKind::TicketTypeAttribute => "ticket_type_attribute",
            ObjectKind::Tag => "tag",
            ObjectKind::Company => "company",
            ObjectKind::Contact => "contact",
            ObjectKind::Note => "note",
            ObjectKind::Conversation => "conversation",
            ObjectKind::Ticket => "ticket",
            ObjectKind::Part => "part",
            ObjectKind::Collection => "collection",
            ObjectKind::Article => "article",
            ObjectKind::Other(name) => name,
        }
    }

    /// Position in rollback order: lower rolls back first.
    ///
    /// Follows the reference: articles, collections, tickets, conversations (their parts go with
    /// them), contacts (notes go with them), companies, tags, then the schema objects, which can
    /// only be archived: ticket type attributes, ticket types, conversation attributes, data
    /// attributes. Custom kinds come first because they may depend on anything.
    pub fn rollback_rank(&self) -> u8 {
        match self {
            ObjectKind::Other(_) => 0,
            ObjectKind::Article => 1,
            ObjectKind::Collection => 2,
            ObjectKind::Part => 3,
            ObjectKind::Ticket => 4,
            ObjectKind::Conversation => 5,
            ObjectKind::Note => 6,
            ObjectKind::Contact => 7,
            ObjectKind::Company => 8,
            ObjectKind::Tag => 9,
            ObjectKind::TicketTypeAttribute => 10,
            ObjectKind::TicketType => 11,
            ObjectKind::ConversationAttribute => 12,
            ObjectKind::DataAttribute => 13,
        }
    }

    /// How an object of this kind is removed on rollback.
    pub fn rollback_action(&self) -> RollbackAction {
        match self {
            ObjectKind::Contact
            | ObjectKind::Tag
            | ObjectKind::Ticket
            | ObjectKind::Conversation
            | ObjectKind::Collection
            | ObjectKind::Article => RollbackAction::Delete,
            ObjectKind::DataAttribute
            | ObjectKind::ConversationAttribute
            | ObjectKind::TicketType
            | ObjectKind::TicketTypeAttribute
            | ObjectKind::Company => RollbackAction::Archive,
            ObjectKind::Part | ObjectKind::Note => RollbackAction::WithParent,
            ObjectKind::Other(_) => RollbackAction::Manual,
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for ObjectKind {
    fn from(s: &str) -> Self {
        ObjectKind::BUILT_IN
            .iter()
            .find(|k| k.as_str() == s)
            .cloned()
            .unwrap_or_else(|| ObjectKind::Other(s.to_owned()))
    }
}

impl From<String> for ObjectKind {
    fn from(s: String) -> Self {
        ObjectKind::from(s.as_str())
    }
}

impl From<ObjectKind> for String {
    fn from(k: ObjectKind) -> Self {
        k.as_str().to_owned()
    }
}

impl FromStr for ObjectKind {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ObjectKind::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_unknown_kinds_are_kept() {
        for k in ObjectKind::BUILT_IN {
            assert_eq!(ObjectKind::from(k.as_str()), k);
        }
        assert_eq!(
            ObjectKind::from("custom_object"),
            ObjectKind::Other("custom_object".into())
        );
        let json = serde_json::to_string(&ObjectKind::TicketTypeAttribute).unwrap();
        assert_eq!(json, "\"ticket_type_attribute\"");
    }

    #[test]
    fn rollback_ranks_are_distinct_and_follow_the_reference() {
        let mut ranks: Vec<u8> = ObjectKind::BUILT_IN
            .iter()
            .map(|k| k.rollback_rank())
            .collect();
        ranks.sort();
        ranks.dedup();
        assert_eq!(ranks.len(), ObjectKind::BUILT_IN.len());
        assert!(ObjectKind::Article.rollback_rank() < ObjectKind::Collection.rollback_rank());
        assert!(ObjectKind::Ticket.rollback_rank() < ObjectKind::Contact.rollback_rank());
        assert!(ObjectKind::Contact.rollback_rank() < ObjectKind::Tag.rollback_rank());
        assert_eq!(
            ObjectKind::DataAttribute.rollback_action(),
            RollbackAction::Archive
        );
        assert_eq!(
            ObjectKind::Part.rollback_action(),
            RollbackAction::WithParent
        );
    }
}
