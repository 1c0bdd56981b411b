//! Tags.

use serde::{Deserialize, Serialize};

/// A tag (also the answer of attach/detach calls, with `applied_at`/`applied_by`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Tag {
    /// Tag id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Name (case-insensitive unique).
    #[serde(default)]
    pub name: Option<String>,
    /// When it was applied (entity tagging responses).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub applied_at: Option<i64>,
    /// Who applied it.
    #[serde(default)]
    pub applied_by: Option<super::common::Reference>,
}

/// `POST /tags` with `name` (and optional `id` to rename): get-or-create by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreateTag {
    /// Tag name.
    pub name: String,
    /// Id of a tag to rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Body of an attach call: `{id}` (contacts) or `{id, admin_id}` (conversations, tickets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TagRef<'a> {
    pub(crate) id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) admin_id: Option<&'a str>,
}

/// Body of a detach call on conversations and tickets: `{admin_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AdminRef<'a> {
    pub(crate) admin_id: &'a str,
}
