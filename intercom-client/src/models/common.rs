//! Shapes shared by several resources.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Custom attribute values keyed by attribute name (strings, numbers, booleans, lists, …).
pub type CustomAttributes = Map<String, Value>;

/// `{type, id}`: a reference to another object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Reference {
    /// The object type (`contact`, `admin`, `team`, …).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The object id.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub id: Option<String>,
}

/// `{id, object, deleted}` returned by most deletes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Deleted {
    /// The id of the deleted object.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// The object type (`conversation`, `ticket`, `article`, `collection`, `contact`).
    #[serde(default, alias = "type")]
    pub object: Option<String>,
    /// `true` when deleted.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub deleted: bool,
}

/// A file attached to a conversation or ticket part (response side).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Attachment {
    /// `upload`, normally.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// File name.
    #[serde(default)]
    pub name: Option<String>,
    /// Where the file can be downloaded.
    #[serde(default)]
    pub url: Option<String>,
    /// MIME type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub filesize: Option<u64>,
}

/// A file to upload with a reply (`attachment_files[]`): base64 content, MIME type and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentFile {
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// The file content, base64-encoded.
    pub data: String,
    /// File name.
    pub name: String,
}

impl AttachmentFile {
    /// Builds an attachment from raw bytes (encodes them as base64).
    pub fn from_bytes(
        name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: &[u8],
    ) -> Self {
        use base64::Engine;
        Self {
            content_type: content_type.into(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
            name: name.into(),
        }
    }
}

/// The most attachment URLs and the most attachment files Intercom accepts on one part.
pub const MAX_ATTACHMENTS_PER_PART: usize = 10;

/// Checks the per-part attachment limits before a request is sent.
pub(crate) fn check_attachments(urls: usize, files: usize) -> crate::Result<()> {
    if urls > MAX_ATTACHMENTS_PER_PART || files > MAX_ATTACHMENTS_PER_PART {
        return Err(crate::Error::InvalidRequest(format!(
            "a part takes at most {MAX_ATTACHMENTS_PER_PART} attachment_urls and {MAX_ATTACHMENTS_PER_PART} attachment_files \
             (got {urls} and {files}); split the attachments over several parts"
        )));
    }
    Ok(())
}

/// `{type:"list", data:[…]}` for the unpaginated lists.
#[derive(Debug, Clone, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
pub struct List<T> {
    /// The items.
    #[serde(
        default = "Vec::new",
        deserialize_with = "crate::lenient::null_default"
    )]
    pub data: Vec<T>,
}

/// `{type:"list", data:[…], url, total_count, has_more}` embedded in contacts (tags, notes, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AddressableList {
    /// Up to 10 references.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub data: Vec<Reference>,
    /// Total count.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// Whether more exist than listed.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub has_more: bool,
    /// Where to list them all (often a relative URL).
    #[serde(default)]
    pub url: Option<String>,
}
