//! Contacts (customers) and their identifiers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use wire_extra::impl_serde_with_extra;

use super::enums::IdentifierType;
use super::lenient::{guid, null_default as nd};
use super::time::timestamp;

/// A customer (`GET /contacts/get/{id}`). Contacts are reached through
/// `participants[].contactId`; Glassix has no contact listing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Contact {
    /// Contact id.
    #[serde(with = "guid")]
    pub id: Uuid,
    /// Name (at most 25 characters in Glassix).
    #[serde(deserialize_with = "nd")]
    pub name: String,
    /// Phones, e-mail addresses and channel ids of the contact.
    #[serde(deserialize_with = "nd")]
    pub identifiers: Vec<ContactIdentifier>,
    /// External id.
    #[serde(deserialize_with = "nd")]
    pub unique_argument: String,
    /// Stored image file name.
    #[serde(deserialize_with = "nd")]
    pub image_file_identifier: String,
    /// Image URL (`null` or `""` when none).
    pub image_uri: Option<String>,
    /// Created.
    #[serde(with = "timestamp")]
    pub creation_date_time: Option<DateTime<Utc>>,
    /// Last updated.
    #[serde(with = "timestamp")]
    pub update_date_time: Option<DateTime<Utc>>,
    /// Deleted.
    #[serde(deserialize_with = "nd")]
    pub is_deleted: bool,
    /// Personal data erased.
    #[serde(deserialize_with = "nd")]
    pub is_scrambled: bool,
    /// Tag names.
    #[serde(deserialize_with = "nd")]
    pub tags: Vec<String>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Contact);

/// One address of a contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct ContactIdentifier {
    /// Identifier id.
    #[serde(deserialize_with = "nd")]
    pub id: i64,
    /// The contact it belongs to.
    #[serde(with = "guid")]
    pub contact_id: Uuid,
    /// Kind of address.
    pub identifier_type: IdentifierType,
    /// The address itself.
    #[serde(deserialize_with = "nd")]
    pub identifier: String,
    /// Last used.
    #[serde(with = "timestamp")]
    pub last_accessed: Option<DateTime<Utc>>,
    /// Verified.
    #[serde(deserialize_with = "nd")]
    pub is_verified: bool,
    /// Deleted.
    #[serde(deserialize_with = "nd")]
    pub is_deleted: bool,
    /// Erased.
    #[serde(deserialize_with = "nd")]
    pub is_scrambled: bool,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(ContactIdentifier);
