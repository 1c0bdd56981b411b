//! Tickets.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_deserialize_with_extra;

use super::common::{Attachment, AttachmentFile, CustomAttributes, Reference};
use super::conversation::{AdminReplyType, ContactIdentifier, PartAuthor};
use super::ticket_type::{TicketCategory, TicketState, TicketType};

/// A ticket.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct Ticket {
    /// The API id (use this in calls).
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// The inbox display number (never use it in API calls).
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub ticket_id: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<TicketCategory>,
    /// Attribute values (`_default_title_`, `_default_description_`, custom ones).
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub ticket_attributes: CustomAttributes,
    /// Current state.
    #[serde(default)]
    pub ticket_state: Option<TicketState>,
    /// Type. Every ticket answer carries the whole type with its attributes; the same text is
    /// decoded once per thread and copied after (see `docs/intercom-client.md`).
    #[serde(default, deserialize_with = "TicketType::decode_shared")]
    pub ticket_type: Option<TicketType>,
    /// Contacts (`{type:"contact.list", contacts:[…]}`).
    #[serde(default)]
    pub contacts: Option<TicketContacts>,
    /// Assigned admin (integer in 2.16; `0` = none).
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub admin_assignee_id: Option<String>,
    /// Assigned team (integer in 2.16; `0` = none).
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub team_assignee_id: Option<String>,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Updated (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub updated_at: Option<i64>,
    /// Open.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub open: Option<bool>,
    /// Snoozed until (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub snoozed_until: Option<i64>,
    /// Parts.
    #[serde(default)]
    pub ticket_parts: Option<TicketParts>,
    /// Other fields, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(Ticket);

/// `{type:"contact.list", contacts:[{type, id, external_id}]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TicketContacts {
    /// The contacts.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub contacts: Vec<Reference>,
}

/// `{type:"ticket_part.list", ticket_parts:[…], total_count}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TicketParts {
    /// The parts.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub ticket_parts: Vec<TicketPart>,
    /// Total count.
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// A ticket part (also the answer of `POST /tickets/{id}/reply`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TicketPart {
    /// Part id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// `comment`, `note`, `quick_reply`, state changes, …
    #[serde(default)]
    pub part_type: Option<String>,
    /// Body (HTML).
    #[serde(default)]
    pub body: Option<String>,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Updated (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub updated_at: Option<i64>,
    /// Author.
    #[serde(default)]
    pub author: Option<PartAuthor>,
    /// Attachments.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub attachments: Vec<Attachment>,
    /// Whether redacted.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub redacted: Option<bool>,
}

/// Who a new ticket is for: exactly one contact, by id, external id or email (with an email, a
/// missing contact is created implicitly; track it for rollback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TicketContact {
    /// `{id}`
    Id {
        /// Intercom contact id.
        id: String,
    },
    /// `{external_id}`
    ExternalId {
        /// Your id.
        external_id: String,
    },
    /// `{email}`
    Email {
        /// Email.
        email: String,
    },
}

/// `assignment` on ticket create (both ids are strings there).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TicketAssignment {
    /// Admin id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_assignee_id: Option<String>,
    /// Team id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_assignee_id: Option<String>,
}

/// `POST /tickets`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateTicket {
    /// Ticket type id.
    pub ticket_type_id: String,
    /// Exactly one contact.
    pub contacts: Vec<TicketContact>,
    /// Attribute values (title/description via `_default_title_`/`_default_description_`; a list
    /// attribute takes the list item id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_attributes: Option<CustomAttributes>,
    /// Backdates the ticket (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Company id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// Assignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment: Option<TicketAssignment>,
    /// Conversation to link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_to_link_id: Option<String>,
    /// Suppress notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_notifications: Option<bool>,
}

impl CreateTicket {
    /// A ticket of `ticket_type_id` for one contact.
    pub fn new(ticket_type_id: impl Into<String>, contact: TicketContact) -> Self {
        Self {
            ticket_type_id: ticket_type_id.into(),
            contacts: vec![contact],
            ticket_attributes: None,
            created_at: None,
            company_id: None,
            assignment: None,
            conversation_to_link_id: None,
            skip_notifications: None,
        }
    }
}

/// `PUT /tickets/{id}`: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateTicket {
    /// Attribute values to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_attributes: Option<CustomAttributes>,
    /// New state (must belong to the ticket's type).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_state_id: Option<String>,
    /// Company id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// `false` closes (and unsnoozes) the ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// Shared with the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_shared: Option<bool>,
    /// Snooze until (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snoozed_until: Option<i64>,
    /// Acting admin. Spec quirk: an **integer** here (a string elsewhere); sent as a number.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::opt_str_as_int"
    )]
    pub admin_id: Option<String>,
    /// Admin or team to assign (`"0"` unassigns); a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// Suppress notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_notifications: Option<bool>,
}

/// `POST /tickets/{id}/reply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketReply {
    /// An admin comment, note or quick reply.
    Admin(AdminTicketReply),
    /// A contact comment (not allowed on Back-office tickets).
    Contact(ContactTicketReply),
}

/// An admin reply on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminTicketReply {
    /// `comment`, `note` or `quick_reply`.
    pub message_type: AdminReplyType,
    #[serde(rename = "type")]
    kind: AdminTag,
    /// Authoring admin id.
    pub admin_id: String,
    /// Body (required for comments and notes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Original time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Up to 10 attachment URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_urls: Vec<String>,
    /// Up to 10 uploaded files (2.16).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_files: Vec<AttachmentFile>,
    /// Also post a note to linked conversations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_post: Option<bool>,
    /// Suppress notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_notifications: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum AdminTag {
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum UserTag {
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum CommentTag {
    Comment,
}

impl AdminTicketReply {
    /// A reply of `message_type` by `admin_id`.
    pub fn new(
        message_type: AdminReplyType,
        admin_id: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            message_type,
            kind: AdminTag::Admin,
            admin_id: admin_id.into(),
            body: Some(body.into()),
            created_at: None,
            attachment_urls: Vec::new(),
            attachment_files: Vec::new(),
            cross_post: None,
            skip_notifications: None,
        }
    }
}

/// A contact reply on a ticket (the spec allows `attachment_urls` only here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactTicketReply {
    #[serde(rename = "message_type")]
    message_type: CommentTag,
    #[serde(rename = "type")]
    kind: UserTag,
    /// Who replies.
    #[serde(flatten)]
    pub contact: ContactIdentifier,
    /// Body.
    pub body: String,
    /// Original time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Up to 10 attachment URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_urls: Vec<String>,
}

impl ContactTicketReply {
    /// A comment by `contact`.
    pub fn new(contact: ContactIdentifier, body: impl Into<String>) -> Self {
        Self {
            message_type: CommentTag::Comment,
            kind: UserTag::User,
            contact,
            body: body.into(),
            created_at: None,
            attachment_urls: Vec::new(),
        }
    }
}

impl Serialize for TicketReply {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TicketReply::Admin(a) => a.serialize(s),
            TicketReply::Contact(c) => c.serialize(s),
        }
    }
}

impl TicketReply {
    pub(crate) fn check(&self) -> crate::Result<()> {
        match self {
            TicketReply::Admin(a) => {
                super::common::check_attachments(a.attachment_urls.len(), a.attachment_files.len())
            }
            TicketReply::Contact(c) => super::common::check_attachments(c.attachment_urls.len(), 0),
        }
    }
}

crate::pagination::list_page!(
    /// A page of tickets (`POST /tickets/search`).
    TicketPage, Ticket, "tickets"
);

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::Ticket;
    use crate::models::ticket_type::TicketType;

    fn type_json(id: &str, attribute: &str) -> serde_json::Value {
        json!({"type": "ticket_type", "id": id, "name": "Imported", "category": "Back-office",
               "archived": false, "unknown_field": {"kept": true},
               "ticket_type_attributes": {"type": "list", "ticket_type_attributes": [
                   {"type": "ticket_type_attribute", "id": "9", "name": attribute,
                    "data_type": "string", "required_to_create": true}]}})
    }

    fn ticket_text(ticket_type: serde_json::Value) -> String {
        json!({"type": "ticket", "id": "77", "ticket_type": ticket_type}).to_string()
    }

    /// A ticket's type decodes as the type decoded on its own, the same from text, bytes and a
    /// JSON tree, the first time and every time after; another type or a changed one decodes
    /// as itself, whatever was decoded before.
    #[test]
    fn a_tickets_type_decodes_the_same_shared_or_not() {
        for (id, attribute) in [
            ("5", "queue"),
            ("5", "queue"),
            ("6", "queue"),
            ("5", "renamed"),
        ] {
            let t = type_json(id, attribute);
            let alone: TicketType = serde_json::from_value(t.clone()).unwrap();
            assert_eq!(alone.id, id);
            assert!(alone.extra.contains_key("unknown_field"));
            let text = ticket_text(t.clone());
            for _ in 0..2 {
                let from_str: Ticket = serde_json::from_str(&text).unwrap();
                let from_slice: Ticket = serde_json::from_slice(text.as_bytes()).unwrap();
                let from_value: Ticket =
                    serde_json::from_value(serde_json::from_str(&text).unwrap()).unwrap();
                for decoded in [from_str, from_slice, from_value] {
                    assert_eq!(decoded.id, "77");
                    assert_eq!(
                        decoded.ticket_type.as_ref(),
                        Some(&alone),
                        "{id} {attribute}"
                    );
                }
            }
        }
    }

    /// `null` or no type is `None`; a type that does not decode fails the ticket, naming the
    /// field, every time (a failure is not remembered as a success).
    #[test]
    fn a_missing_or_bad_type_is_none_or_an_error() {
        let null: Ticket = serde_json::from_str(&ticket_text(json!(null))).unwrap();
        assert_eq!(null.ticket_type, None);
        let absent: Ticket = serde_json::from_str(r#"{"type": "ticket", "id": "1"}"#).unwrap();
        assert_eq!(absent.ticket_type, None);
        let bad = ticket_text(json!({"id": "5", "ticket_type_attributes": 42}));
        for _ in 0..2 {
            let e = serde_json::from_str::<Ticket>(&bad).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("ticket_type.ticket_type_attributes: invalid type"),
                "{e}"
            );
        }
    }

    /// More distinct types than are remembered, then the first again: each still decodes as
    /// itself (the oldest was forgotten and is decoded again).
    #[test]
    fn more_types_than_remembered_still_decode_as_themselves() {
        let ids: Vec<String> = (0..12).map(|i| format!("{}", 100 + i)).collect();
        for id in ids.iter().chain(ids.iter().take(3)) {
            let t = type_json(id, "queue");
            let alone: TicketType = serde_json::from_value(t.clone()).unwrap();
            let decoded: Ticket = serde_json::from_str(&ticket_text(t)).unwrap();
            assert_eq!(decoded.ticket_type.as_ref(), Some(&alone));
            assert_eq!(
                decoded.ticket_type.map(|t| t.id).as_deref(),
                Some(id.as_str())
            );
        }
    }
}
