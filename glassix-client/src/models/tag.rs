//! Tags of a department.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_serde_with_extra;

use super::lenient::null_default as nd;

/// A tag of the department's catalogue (`GET /tenants/gettags`). Tickets and contacts refer to
/// tags by name. Keys are camelCase (assumed); the C# SDK's PascalCase is accepted too.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct Tag {
    /// Name (the key tickets use).
    #[serde(alias = "Name", deserialize_with = "nd")]
    pub name: String,
    /// Colour as a hex string (`#E5484D`).
    #[serde(alias = "Color", deserialize_with = "nd")]
    pub color: String,
    /// Names of the parent tags (hierarchy by name).
    #[serde(alias = "ParentTags", deserialize_with = "nd")]
    pub parent_tags: Vec<String>,
    /// Whether the tag was deleted.
    #[serde(alias = "IsDeleted", deserialize_with = "nd")]
    pub is_deleted: bool,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(Tag);
