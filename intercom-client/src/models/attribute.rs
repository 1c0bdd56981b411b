//! Data attributes (contact/company custom fields) and conversation attributes (2.16).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_deserialize_with_extra;

use crate::lenient::open_enum;

open_enum! {
    /// Which object a data attribute belongs to.
    pub enum AttributeModel {
        /// Contacts.
        Contact => "contact",
        /// Companies.
        Company => "company",
        /// Conversations (only listed by 2.15 and older).
        Conversation => "conversation",
    }
}

open_enum! {
    /// A data attribute's type.
    pub enum DataType {
        /// `string`
        String => "string",
        /// `integer`
        Integer => "integer",
        /// `float`
        Float => "float",
        /// `boolean`
        Boolean => "boolean",
        /// `datetime`
        Datetime => "datetime",
        /// `date`
        Date => "date",
        /// `options` (a list; needs at least 2 options on create)
        Options => "options",
    }
}

/// A data attribute.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct DataAttribute {
    /// Id (integer in the spec, kept as a string).
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Model.
    #[serde(default)]
    pub model: Option<AttributeModel>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// `custom_attributes.<name>` for custom ones.
    #[serde(default)]
    pub full_name: Option<String>,
    /// Label.
    #[serde(default)]
    pub label: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Type.
    #[serde(default)]
    pub data_type: Option<DataType>,
    /// Whether custom (as opposed to built-in).
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub custom: Option<bool>,
    /// Whether archived.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub archived: Option<bool>,
    /// Other fields, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(DataAttribute);

/// One option of a list attribute: `{value}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeOption {
    /// The option value.
    pub value: String,
}

/// Model accepted by `POST /data_attributes` (2.16 accepts only these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CreateAttributeModel {
    /// Contacts.
    Contact,
    /// Companies.
    Company,
}

/// `POST /data_attributes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateDataAttribute {
    /// Name (sanitise: ASCII, no `.` or `$`).
    pub name: String,
    /// `contact` or `company`.
    pub model: CreateAttributeModel,
    /// Type. `options` needs [`CreateDataAttribute::options`].
    pub data_type: DataType,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// List options (at least 2; `options` type only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<AttributeOption>>,
    /// Whether the Messenger may write it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messenger_writable: Option<bool>,
}

/// `PUT /data_attributes/{id}` (archive with `archived: Some(true)`; there is no DELETE).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateDataAttribute {
    /// Archive or unarchive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the Messenger may write it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messenger_writable: Option<bool>,
    /// Replacement options for a list attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<AttributeOption>>,
}

open_enum! {
    /// A conversation attribute's type (2.16).
    pub enum ConversationAttributeType {
        /// `string`
        String => "string",
        /// `integer`
        Integer => "integer",
        /// `list`
        List => "list",
        /// `decimal`
        Decimal => "decimal",
        /// `boolean`
        Boolean => "boolean",
        /// `datetime`
        Datetime => "datetime",
        /// `relationship`
        Relationship => "relationship",
        /// `files`
        Files => "files",
    }
}

/// A conversation attribute definition (2.16; a oneOf by `data_type` in the spec, flattened here).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct ConversationAttribute {
    /// Id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Type.
    #[serde(default)]
    pub data_type: Option<ConversationAttributeType>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether archived.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub archived: Option<bool>,
    /// Other fields (options, reference, multiline, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(ConversationAttribute);

/// One option of a list conversation attribute: `{label}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationAttributeOption {
    /// The label.
    pub label: String,
}

/// `reference` of a relationship attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttributeReference {
    /// `one` or `many`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The custom object type id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_type_id: Option<String>,
}

/// `POST /conversations/attributes` (2.16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateConversationAttribute {
    /// Name.
    pub name: String,
    /// Type.
    pub data_type: ConversationAttributeType,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Teams that can see it (empty: all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_to_team_ids: Option<Vec<String>>,
    /// Multi-line (strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiline: Option<bool>,
    /// Options (lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<ConversationAttributeOption>>,
    /// Reference (relationships).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<AttributeReference>,
}

impl CreateConversationAttribute {
    /// A definition with just a name and a type.
    pub fn new(name: impl Into<String>, data_type: ConversationAttributeType) -> Self {
        Self {
            name: name.into(),
            data_type,
            description: None,
            required: None,
            visible_to_team_ids: None,
            multiline: None,
            options: None,
            reference: None,
        }
    }
}

/// `PUT /conversations/attributes/{id}` (2.16).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateConversationAttribute {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Multi-line (strings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub multiline: Option<bool>,
    /// Whether required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Teams that can see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible_to_team_ids: Option<Vec<String>>,
}
