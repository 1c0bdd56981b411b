//! Ticket participants.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use wire_extra::impl_serde_with_extra;

use super::enums::{ParticipantType, ProtocolType, SubProtocolType};
use super::lenient::{null_default as nd, opt_guid};

/// A party of a ticket: a customer (`Client`), an agent or bot (`User`), or the system.
///
/// Pseudo-participants exist: a `User` named "Unassigned Tickets" whose identifier is the zero
/// GUID ([`Participant::is_placeholder`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Participant {
    /// Sequence number within the ticket (1, 2, 3…), not a global id.
    #[serde(deserialize_with = "nd")]
    pub id: i64,
    /// Name.
    #[serde(deserialize_with = "nd")]
    pub name: String,
    /// Kind of participant.
    #[serde(rename = "type")]
    pub kind: ParticipantType,
    /// The customer's address (phone without `+`, e-mail, visitor GUID…), or the user's GUID.
    #[serde(deserialize_with = "nd")]
    pub identifier: String,
    /// The department-side address (our number, mailbox, widget key).
    #[serde(deserialize_with = "nd")]
    pub department_identifier: String,
    /// Name shown to the customer.
    #[serde(deserialize_with = "nd")]
    pub display_name: String,
    /// Channel of the participant (agents are always `Web`).
    pub protocol_type: ProtocolType,
    /// E-mail recipient role.
    pub sub_protocol_type: SubProtocolType,
    /// Whether the participant is active in the ticket.
    #[serde(deserialize_with = "nd")]
    pub is_active: bool,
    /// Whether the participant was removed.
    #[serde(deserialize_with = "nd")]
    pub is_deleted: bool,
    /// The customer's contact; `None` for agents (zero GUID on the wire).
    #[serde(with = "opt_guid")]
    pub contact_id: Option<Uuid>,
    /// Agent e-mail; `""` for customers.
    #[serde(alias = "UserName", deserialize_with = "nd")]
    pub user_name: String,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Participant);

impl Participant {
    /// Whether this is a customer.
    pub fn is_client(&self) -> bool {
        self.kind == ParticipantType::Client
    }

    /// Whether this is a user (agent, bot or API user).
    pub fn is_user(&self) -> bool {
        self.kind == ParticipantType::User
    }

    /// Whether this is a placeholder user such as "Unassigned Tickets" (zero-GUID identifier).
    pub fn is_placeholder(&self) -> bool {
        self.is_user() && self.identifier.parse::<Uuid>().is_ok_and(|id| id.is_nil())
    }

    /// The user's id for `User` participants (their identifier is the user GUID).
    pub fn user_id(&self) -> Option<Uuid> {
        if !self.is_user() {
            return None;
        }
        self.identifier
            .parse::<Uuid>()
            .ok()
            .filter(|id| !id.is_nil())
    }
}
