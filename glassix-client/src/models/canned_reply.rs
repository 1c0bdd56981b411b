//! Canned replies.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_serde_with_extra;

use super::lenient::null_default as nd;

/// A canned reply (`GET /cannedreplies/getall`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, remote = "Self")]
pub struct CannedReply {
    /// Id.
    #[serde(deserialize_with = "nd")]
    pub id: i64,
    /// Title.
    #[serde(deserialize_with = "nd")]
    pub title: String,
    /// Plain text.
    #[serde(deserialize_with = "nd")]
    pub text: String,
    /// HTML (often `""`).
    #[serde(deserialize_with = "nd")]
    pub html: String,
    /// Rank in the list.
    #[serde(deserialize_with = "nd")]
    pub rank: i64,
    /// Tags applied when the reply is used.
    #[serde(deserialize_with = "nd")]
    pub auto_tags: Vec<String>,
    /// Category.
    #[serde(deserialize_with = "nd")]
    pub category_name: String,
    /// Language.
    #[serde(deserialize_with = "nd")]
    pub culture: String,
    /// Fields this crate does not model, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_serde_with_extra!(CannedReply);
