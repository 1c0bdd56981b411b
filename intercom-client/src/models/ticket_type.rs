//! Ticket types, their attributes, and ticket states (read-only).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_deserialize_with_extra;

use crate::lenient::open_enum;

open_enum! {
    /// A ticket type's category.
    pub enum TicketCategory {
        /// Customer-facing tickets.
        Customer => "Customer",
        /// Internal tickets (contacts cannot reply).
        BackOffice => "Back-office",
        /// Trackers linking many conversations.
        Tracker => "Tracker",
    }
}

open_enum! {
    /// A ticket state's category.
    pub enum TicketStateCategory {
        /// `submitted`
        Submitted => "submitted",
        /// `in_progress`
        InProgress => "in_progress",
        /// `waiting_on_customer`
        WaitingOnCustomer => "waiting_on_customer",
        /// `resolved`
        Resolved => "resolved",
    }
}

/// A ticket state (configured in the UI; read-only in the API).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct TicketState {
    /// Id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Category.
    #[serde(default)]
    pub category: Option<TicketStateCategory>,
    /// Label seen by teammates.
    #[serde(default)]
    pub internal_label: Option<String>,
    /// Label seen by customers.
    #[serde(default)]
    pub external_label: Option<String>,
    /// Other fields (`ticket_types`, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(TicketState);

/// A ticket type attribute.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct TicketTypeAttribute {
    /// Id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Name (`_default_title_`, `_default_description_`, or custom).
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Type.
    #[serde(default)]
    pub data_type: Option<String>,
    /// Whether archived.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub archived: Option<bool>,
    /// The workspace.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub workspace_id: Option<String>,
    /// Position among the type's attributes.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub order: Option<i64>,
    /// Required when a teammate creates a ticket.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub required_to_create: Option<bool>,
    /// Required when a contact creates a ticket.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub required_to_create_for_contacts: Option<bool>,
    /// Shown when a teammate creates a ticket.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub visible_on_create: Option<bool>,
    /// Shown to contacts.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub visible_to_contacts: Option<bool>,
    /// One of the type's default attributes (`_default_title_`, `_default_description_`).
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub default: Option<bool>,
    /// The ticket type it belongs to (an integer in 2.16).
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub ticket_type_id: Option<String>,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Updated (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub updated_at: Option<i64>,
    /// Other fields (`input_options` with a list's items, `type`, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(TicketTypeAttribute);

/// `{type:"list", ticket_type_attributes:[…]}` inside a ticket type.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TicketTypeAttributeList {
    /// The attributes.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub ticket_type_attributes: Vec<TicketTypeAttribute>,
}

/// A ticket type.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct TicketType {
    /// Id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Category.
    #[serde(default)]
    pub category: Option<TicketCategory>,
    /// Emoji icon.
    #[serde(default)]
    pub icon: Option<String>,
    /// Whether archived.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub archived: Option<bool>,
    /// Its attributes.
    #[serde(default)]
    pub ticket_type_attributes: Option<TicketTypeAttributeList>,
    /// The workspace.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub workspace_id: Option<String>,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Updated (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub updated_at: Option<i64>,
    /// Other fields (`ticket_states`, `type`, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(TicketType);

/// How many distinct ticket-type texts [`TicketType::decode_shared`] remembers per thread
/// (the oldest is forgotten first).
const SHARED_TYPES: usize = 8;

thread_local! {
    /// The last ticket-type texts decoded on this thread, with what they decoded to.
    static DECODED_TYPES: std::cell::RefCell<Vec<(Box<serde_json::value::RawValue>, TicketType)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

impl TicketType {
    /// Decodes a ticket's `ticket_type` (`null` or absent: `None`). Every ticket answer carries
    /// the whole type with its attributes, and decoding it was 90 % of decoding a ticket answer
    /// (callgrind, `docs/performance.md`, eighth pass). The type is first kept as JSON text
    /// (from a body, a scan of its bytes; from a `Value`, written out again) and compared with
    /// the last [`SHARED_TYPES`] texts decoded on this thread: an identical text gets a copy of
    /// what it decoded to, which is what decoding it again gives, since decoding depends on the
    /// text alone; any other text (a changed type, another type) is decoded and remembered. A
    /// type that does not decode is never remembered, and its error names the field inside the
    /// type (`ticket_type.ticket_type_attributes: …`).
    pub(crate) fn decode_shared<'de, D>(d: D) -> Result<Option<TicketType>, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        let Some(raw) = Option::<Box<serde_json::value::RawValue>>::deserialize(d)? else {
            return Ok(None);
        };
        // `try_with`: during the thread's teardown there is nothing to remember, not a panic.
        let known = DECODED_TYPES
            .try_with(|cell| {
                cell.borrow()
                    .iter()
                    .find(|(text, _)| text.get() == raw.get())
                    .map(|(_, t)| t.clone())
            })
            .ok()
            .flatten();
        if let Some(t) = known {
            return Ok(Some(t));
        }
        // Decoded as the client decodes a whole body: the error names the field.
        let t: TicketType =
            crate::client::decode_at(raw.get().as_bytes()).map_err(|(at, message)| {
                <D::Error as serde::de::Error>::custom(format!("ticket_type.{at}: {message}"))
            })?;
        let remembered = DECODED_TYPES.try_with(|cell| {
            let mut seen = cell.borrow_mut();
            if seen.len() >= SHARED_TYPES {
                seen.remove(0);
            }
            seen.push((raw, t.clone()));
        });
        if remembered.is_err() {
            tracing::trace!("thread ending: ticket type decoded, not remembered");
        }
        Ok(Some(t))
    }
}

/// `POST /ticket_types`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreateTicketType {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<TicketCategory>,
    /// Emoji icon (default 🎟️).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Internal type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_internal: Option<bool>,
}

open_enum! {
    /// A ticket type attribute's type.
    pub enum TicketAttributeType {
        /// `string`
        String => "string",
        /// `list` (items as a comma-separated string)
        List => "list",
        /// `integer`
        Integer => "integer",
        /// `decimal`
        Decimal => "decimal",
        /// `boolean`
        Boolean => "boolean",
        /// `datetime`
        Datetime => "datetime",
        /// `files`
        Files => "files",
    }
}

/// `POST /ticket_types/{id}/attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateTicketTypeAttribute {
    /// Name.
    pub name: String,
    /// Description (required by the API).
    pub description: String,
    /// Type.
    pub data_type: TicketAttributeType,
    /// Required when a teammate creates a ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_to_create: Option<bool>,
    /// Required when a contact creates a ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_to_create_for_contacts: Option<bool>,
    /// Shown on create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_on_create: Option<bool>,
    /// Visible to contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_to_contacts: Option<bool>,
    /// Multi-line (strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiline: Option<bool>,
    /// List items as one comma-separated string (lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_items: Option<String>,
    /// Several files (files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_multiple_values: Option<bool>,
}

impl CreateTicketTypeAttribute {
    /// An attribute with just the required fields.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        data_type: TicketAttributeType,
    ) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            data_type,
            required_to_create: None,
            required_to_create_for_contacts: None,
            visible_on_create: None,
            visible_to_contacts: None,
            multiline: None,
            list_items: None,
            allow_multiple_values: None,
        }
    }
}

/// `PUT /ticket_types/{id}`: every field optional. Archiving (`archived: Some(true)`) is the only
/// undo: there is no DELETE for ticket types.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateTicketType {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<TicketCategory>,
    /// Emoji icon.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Archive or unarchive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Internal type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_internal: Option<bool>,
}

/// `PUT /ticket_types/{id}/attributes/{attribute_id}`: every field optional. Archiving is the
/// only undo: there is no DELETE for ticket type attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateTicketTypeAttribute {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Required when a teammate creates a ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_to_create: Option<bool>,
    /// Required when a contact creates a ticket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_to_create_for_contacts: Option<bool>,
    /// Shown on create.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_on_create: Option<bool>,
    /// Visible to contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_to_contacts: Option<bool>,
    /// Multi-line (strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiline: Option<bool>,
    /// List items, comma-separated (lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_items: Option<String>,
    /// Several files (files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_multiple_values: Option<bool>,
    /// Archive or unarchive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}
