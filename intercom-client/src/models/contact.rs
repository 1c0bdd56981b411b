//! Contacts (users and leads) and contact notes.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_deserialize_with_extra;

use super::common::{AddressableList, CustomAttributes, Reference};
use crate::lenient::open_enum;

open_enum! {
    /// A contact's role. The spec has no enum; the search docs name these two values.
    pub enum Role {
        /// A user (has an `external_id`, can be found by it).
        User => "user",
        /// A lead.
        Lead => "lead",
    }
}

/// A contact as Intercom returns it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct Contact {
    /// Intercom id (24-hex).
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Your id for the contact.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Workspace id.
    #[serde(default)]
    pub workspace_id: Option<String>,
    /// Role.
    #[serde(default)]
    pub role: Option<Role>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Owner admin id (a string in 2.16).
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub owner_id: Option<String>,
    /// Whether unsubscribed from emails.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub unsubscribed_from_emails: Option<bool>,
    /// Created (Unix seconds; cannot be set through the API).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Updated (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub updated_at: Option<i64>,
    /// Signed up (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub signed_up_at: Option<i64>,
    /// Last seen (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub last_seen_at: Option<i64>,
    /// Custom attribute values.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub custom_attributes: CustomAttributes,
    /// Tags (up to 10 listed).
    #[serde(default)]
    pub tags: Option<AddressableList>,
    /// Notes (up to 10 listed).
    #[serde(default)]
    pub notes: Option<AddressableList>,
    /// Companies (up to 10 listed).
    #[serde(default)]
    pub companies: Option<AddressableList>,
    /// Other fields (location, devices, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(Contact);

/// `POST /contacts`. At least one of `email`, `external_id`, `role` must be set (see
/// [`CreateContact::validate`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CreateContact {
    /// `user` or `lead`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Your id for the contact (users only are found by it later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar image URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Sign-up time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_up_at: Option<i64>,
    /// Last seen time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<i64>,
    /// Owner admin id (a string in 2.16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Unsubscribed from emails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribed_from_emails: Option<bool>,
    /// Custom attribute values (each attribute must exist first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<CustomAttributes>,
}

impl CreateContact {
    /// Refuses a body without any of `email`, `external_id`, `role` (the spec's `anyOf`).
    pub fn validate(&self) -> crate::Result<()> {
        if self.email.is_none() && self.external_id.is_none() && self.role.is_none() {
            return Err(crate::Error::InvalidRequest(
                "POST /contacts needs at least one of email, external_id or role".into(),
            ));
        }
        Ok(())
    }
}

/// `PUT /contacts/{id}`: every field optional; only set fields are sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateContact {
    /// `user` or `lead`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Your id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar image URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// Sign-up time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_up_at: Option<i64>,
    /// Last seen time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<i64>,
    /// Owner admin id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Unsubscribed from emails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsubscribed_from_emails: Option<bool>,
    /// Custom attribute values to set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<CustomAttributes>,
}

/// `DELETE /contacts/{id}` → `{type:"contact", id, external_id, deleted:true}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContactDeleted {
    /// The contact id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Its external id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `true` when deleted.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub deleted: bool,
}

/// `POST /contacts/{id}/archive` → `{type:"contact", id, external_id, archived:true}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContactArchived {
    /// The contact id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Its external id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// `true` when archived.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub archived: bool,
}

/// A contact note.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Note {
    /// Note id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Created (Unix seconds; always the import time for imported notes).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// The contact.
    #[serde(default)]
    pub contact: Option<Reference>,
    /// The authoring admin.
    #[serde(default)]
    pub author: Option<super::admin::Admin>,
    /// Body (text or simple HTML).
    #[serde(default)]
    pub body: Option<String>,
}

/// `POST /contacts/{id}/notes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreateNote {
    /// Text or simple HTML. The note's time cannot be set: put the original date in the body.
    pub body: String,
    /// Authoring admin id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_id: Option<String>,
}

crate::pagination::list_page!(
    /// A page of contacts (`GET /contacts`, `POST /contacts/search`).
    ContactPage, Contact, "data"
);
crate::pagination::list_page!(
    /// A page of notes (`GET /contacts/{id}/notes`).
    NotePage, Note, "data"
);
