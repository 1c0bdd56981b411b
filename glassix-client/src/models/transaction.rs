//! Transactions (messages, notes, events) and their attachments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use wire_extra::impl_serde_with_extra;

use super::enums::{
    AttachmentType, MessageStatus, ProtocolType, SanitizationState, TransactionType,
};
use super::lenient::{guid, null_default as nd};
use super::participant::Participant;
use super::time::timestamp;

/// One item of a ticket's history: a message, an internal note or an event. Only
/// `GET /tickets/get/{id}` returns them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Transaction {
    /// Stable unique id (the idempotency key for a migration).
    #[serde(with = "guid")]
    pub guid_transaction_id: Uuid,
    /// Numeric id; exceeds 32 bits.
    #[serde(deserialize_with = "nd")]
    pub id: i64,
    /// When it happened.
    #[serde(with = "timestamp")]
    pub date_time: Option<DateTime<Utc>>,
    /// Channel it came from (agent replies show `Web`).
    pub from_protocol_type: ProtocolType,
    /// Message, note or event kind.
    #[serde(rename = "type")]
    pub kind: TransactionType,
    /// Plain text.
    #[serde(deserialize_with = "nd")]
    pub text: String,
    /// HTML (often `""`; e-mail threads fill it).
    #[serde(deserialize_with = "nd")]
    pub html: String,
    /// Delivery status (`""` for notes, kept as the default value).
    pub status: MessageStatus,
    /// The author.
    pub from_participant: Option<Participant>,
    /// Files attached.
    #[serde(deserialize_with = "nd")]
    pub attachments: Vec<Attachment>,
    /// Rich-message data (templates, quick replies), verbatim.
    pub payload: Option<Value>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Transaction);

impl Transaction {
    /// Whether this is an internal note (type `Note`, an assumption).
    pub fn is_note(&self) -> bool {
        self.kind == TransactionType::Note
    }
}

/// A file attached to a transaction. `uri` is a presigned link that expires (6 h per the newer
/// Glassix guide); [`crate::Department::download_attachment`] refreshes it when needed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Attachment {
    /// Attachment id.
    #[serde(deserialize_with = "nd")]
    pub id: i64,
    /// Kind of file.
    #[serde(rename = "type")]
    pub kind: AttachmentType,
    /// Stored (random) file name.
    #[serde(deserialize_with = "nd")]
    pub file_identifier: String,
    /// Name as sent by the customer or agent.
    #[serde(deserialize_with = "nd")]
    pub original_file_name: String,
    /// Presigned thumbnail links.
    #[serde(deserialize_with = "nd")]
    pub thumbnails: Vec<String>,
    /// Stored thumbnail file names.
    #[serde(deserialize_with = "nd")]
    pub thumbnails_file_identifiers: Vec<String>,
    /// Presigned download link (expires).
    #[serde(deserialize_with = "nd")]
    pub uri: String,
    /// Inline image rather than a real attachment.
    #[serde(deserialize_with = "nd")]
    pub is_embedded: bool,
    /// Malware-scan result.
    pub sanitization_state: SanitizationState,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Attachment);
