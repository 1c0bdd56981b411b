//! Users (agents, bots, API users) and ticket owners.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;
use wire_extra::impl_serde_with_extra;

use super::enums::{Gender, UserStatus, UserType};
use super::lenient::{guid, null_default as nd, opt_guid};

/// A Glassix user of a department (`GET /users/allusers`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct User {
    /// User id.
    #[serde(with = "guid")]
    pub id: Uuid,
    /// Login e-mail; `UserName` with a capital U on the wire.
    #[serde(rename = "UserName", alias = "userName", deserialize_with = "nd")]
    pub user_name: String,
    /// Agent, bot or API user.
    #[serde(rename = "type")]
    pub kind: UserType,
    /// Gender.
    pub gender: Gender,
    /// UI language (`en-US`, `he-IL`…).
    #[serde(deserialize_with = "nd")]
    pub culture: String,
    /// Excluded from statistics.
    #[serde(deserialize_with = "nd")]
    pub is_anonymous: bool,
    /// External id.
    #[serde(deserialize_with = "nd")]
    pub unique_argument: String,
    /// Internal full name.
    #[serde(deserialize_with = "nd")]
    pub full_name: String,
    /// First name shown to customers.
    #[serde(deserialize_with = "nd")]
    pub short_name: String,
    /// Job title.
    #[serde(deserialize_with = "nd")]
    pub job_title: String,
    /// Availability.
    pub status: UserStatus,
    /// Permission roles and channel entitlements (`SystemUser`, `webChat`…), verbatim.
    #[serde(deserialize_with = "nd")]
    pub roles: Vec<String>,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(User);

/// The owner of a ticket: a subset of [`User`]. An unassigned ticket has `id: None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Owner {
    /// User id; `None` when unassigned (zero GUID on the wire).
    #[serde(with = "opt_guid")]
    pub id: Option<Uuid>,
    /// Gender.
    pub gender: Gender,
    /// Login e-mail (`UserName` on the wire); `""` when unassigned.
    #[serde(rename = "UserName", alias = "userName", deserialize_with = "nd")]
    pub user_name: String,
    /// UI language.
    #[serde(deserialize_with = "nd")]
    pub culture: String,
    /// Excluded from statistics.
    #[serde(deserialize_with = "nd")]
    pub is_anonymous: bool,
    /// External id.
    #[serde(deserialize_with = "nd")]
    pub unique_argument: String,
    /// Agent, bot or API user.
    #[serde(rename = "type")]
    pub kind: UserType,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Owner);
