//! Conversations, their parts, and the requests that write them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_deserialize_with_extra;

use super::common::{Attachment, AttachmentFile, CustomAttributes, Reference, check_attachments};
use super::tag::Tag;
use crate::lenient::open_enum;

open_enum! {
    /// A conversation's state.
    pub enum ConversationState {
        /// `open`
        Open => "open",
        /// `closed`
        Closed => "closed",
        /// `snoozed`
        Snoozed => "snoozed",
    }
}

open_enum! {
    /// Who authored a part.
    pub enum AuthorType {
        /// A teammate.
        Admin => "admin",
        /// A bot.
        Bot => "bot",
        /// A team.
        Team => "team",
        /// A user.
        User => "user",
        /// A lead.
        Lead => "lead",
        /// A contact.
        Contact => "contact",
    }
}

/// The author of a part or of the source message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PartAuthor {
    /// Author type.
    #[serde(default, rename = "type")]
    pub kind: Option<AuthorType>,
    /// Author id.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub id: Option<String>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
}

/// A conversation part (message, note, assignment, state change, …).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct ConversationPart {
    /// Part id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// `comment`, `note`, `assignment`, `close`, `open`, …
    #[serde(default)]
    pub part_type: Option<String>,
    /// Body (HTML).
    #[serde(default)]
    pub body: Option<String>,
    /// Created (Unix seconds; the imported `created_at` for replies).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Updated (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub updated_at: Option<i64>,
    /// Author.
    #[serde(default)]
    pub author: Option<PartAuthor>,
    /// Assignee for assignment parts.
    #[serde(default)]
    pub assigned_to: Option<Reference>,
    /// Attachments.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub attachments: Vec<Attachment>,
    /// Whether redacted.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub redacted: Option<bool>,
    /// Set when an API app created the part (recognises imported parts).
    #[serde(default)]
    pub app_package_code: Option<String>,
    /// Other fields, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(ConversationPart);

/// `{type:"conversation_part.list", conversation_parts:[…], total_count}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ConversationParts {
    /// The parts (at most the 500 most recent).
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub conversation_parts: Vec<ConversationPart>,
    /// Total count.
    #[serde(default)]
    pub total_count: Option<u64>,
}

/// The message that opened the conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ConversationSource {
    /// `conversation`, `email`, … (read-only).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Source id.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub id: Option<String>,
    /// `customer_initiated`, …
    #[serde(default)]
    pub delivered_as: Option<String>,
    /// Subject (email only).
    #[serde(default)]
    pub subject: Option<String>,
    /// Body (HTML).
    #[serde(default)]
    pub body: Option<String>,
    /// Author.
    #[serde(default)]
    pub author: Option<PartAuthor>,
    /// Attachments.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub attachments: Vec<Attachment>,
}

/// `{type:"tag.list", tags:[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct TagRefs {
    /// The tags.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub tags: Vec<Tag>,
}

/// `{type:"contact.list", contacts:[…]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ContactRefs {
    /// The contacts.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub contacts: Vec<Reference>,
}

/// A conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct Conversation {
    /// Id (numeric string).
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Updated (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub updated_at: Option<i64>,
    /// Snoozed until (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub snoozed_until: Option<i64>,
    /// Open.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub open: Option<bool>,
    /// State.
    #[serde(default)]
    pub state: Option<ConversationState>,
    /// Read.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub read: Option<bool>,
    /// Priority (`none`, `low`, … in 2.16; `priority`/`not_priority` before).
    #[serde(default)]
    pub priority: Option<String>,
    /// Assigned admin (`0` = none).
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub admin_assignee_id: Option<String>,
    /// Assigned team.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub team_assignee_id: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<TagRefs>,
    /// The opening message.
    #[serde(default)]
    pub source: Option<ConversationSource>,
    /// Contacts.
    #[serde(default)]
    pub contacts: Option<ContactRefs>,
    /// Custom attribute values.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub custom_attributes: CustomAttributes,
    /// Parts (only on a single-conversation read; at most 500).
    #[serde(default)]
    pub conversation_parts: Option<ConversationParts>,
    /// Other fields (statistics, channel, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(Conversation);

impl Conversation {
    /// The parts, oldest first as Intercom returns them (empty when absent).
    pub fn parts(&self) -> &[ConversationPart] {
        self.conversation_parts
            .as_ref()
            .map(|p| p.conversation_parts.as_slice())
            .unwrap_or(&[])
    }

    /// The parts stamped `created_at` (Unix seconds) by `author_id`: how to tell whether a reply
    /// whose outcome was unknown was in fact written before sending it again.
    pub fn parts_at<'a>(
        &'a self,
        created_at: i64,
        author_id: &'a str,
    ) -> impl Iterator<Item = &'a ConversationPart> + 'a {
        self.parts().iter().filter(move |p| {
            p.created_at == Some(created_at)
                && p.author.as_ref().and_then(|a| a.id.as_deref()) == Some(author_id)
        })
    }
}

open_enum! {
    /// Who a conversation is from.
    pub enum ContactType {
        /// A user.
        User => "user",
        /// A lead.
        Lead => "lead",
        /// A contact.
        Contact => "contact",
    }
}

/// `from` of a new conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversationFrom {
    /// `user`, `lead` or `contact`.
    #[serde(rename = "type")]
    pub kind: ContactType,
    /// The contact id (24-hex). Spec quirk: also declared `format: uuid`; real ids are not.
    pub id: String,
}

/// `POST /conversations`: a contact-initiated conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreateConversation {
    /// The contact.
    pub from: ConversationFrom,
    /// Plain-text body (HTML is not supported).
    pub body: String,
    /// Subject (email sources only; rarely useful).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Up to 10 attachment URLs (the spec has no `attachment_files` here).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_urls: Vec<String>,
    /// Original time (Unix seconds): for migrating past conversations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Brand (2.16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<String>,
}

impl CreateConversation {
    /// A conversation from contact `contact_id` (as `user`) with `body`.
    pub fn new(kind: ContactType, contact_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            from: ConversationFrom {
                kind,
                id: contact_id.into(),
            },
            body: body.into(),
            subject: None,
            attachment_urls: Vec::new(),
            created_at: None,
            brand_id: None,
        }
    }
}

/// The answer of `POST /conversations` (`message`). Keep `conversation_id`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CreatedMessage {
    /// The message id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// The new conversation's id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub conversation_id: String,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Body.
    #[serde(default)]
    pub body: Option<String>,
    /// `inapp`, …
    #[serde(default)]
    pub message_type: Option<String>,
}

/// Kind of an admin reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminReplyType {
    /// A customer-visible comment.
    Comment,
    /// An internal note.
    Note,
    /// Quick reply options.
    QuickReply,
}

/// Which contact a contact reply is from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactIdentifier {
    /// Intercom contact id.
    IntercomUserId(String),
    /// Your external id.
    UserId(String),
    /// Email.
    Email(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum AdminTag {
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum UserTag {
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum CommentTag {
    Comment,
}

/// An admin reply (comment, note or quick reply) on a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminReply {
    /// `comment`, `note` or `quick_reply`.
    pub message_type: AdminReplyType,
    #[serde(rename = "type")]
    kind: AdminTag,
    /// Authoring admin id (a string here).
    pub admin_id: String,
    /// Body (required for comments and notes; notes accept some HTML).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Original time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Up to 10 attachment URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_urls: Vec<String>,
    /// Up to 10 uploaded files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_files: Vec<AttachmentFile>,
    /// Suppress notifications (whether this silences customer email is unverified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_notifications: Option<bool>,
}

impl AdminReply {
    /// A reply of `message_type` by `admin_id` with `body`.
    pub fn new(
        message_type: AdminReplyType,
        admin_id: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            message_type,
            kind: AdminTag::Admin,
            admin_id: admin_id.into(),
            body: Some(body.into()),
            created_at: None,
            attachment_urls: Vec::new(),
            attachment_files: Vec::new(),
            skip_notifications: None,
        }
    }
    /// A customer-visible comment.
    pub fn comment(admin_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(AdminReplyType::Comment, admin_id, body)
    }
    /// An internal note.
    pub fn note(admin_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self::new(AdminReplyType::Note, admin_id, body)
    }
    /// Sets the original time.
    pub fn created_at(mut self, unix_seconds: i64) -> Self {
        self.created_at = Some(unix_seconds);
        self
    }
}

/// A contact's comment on a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactReply {
    message_type: CommentTag,
    #[serde(rename = "type")]
    kind: UserTag,
    /// Who replies.
    #[serde(flatten)]
    pub contact: ContactIdentifier,
    /// Body.
    pub body: String,
    /// Original time (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// Up to 10 attachment URLs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_urls: Vec<String>,
    /// Up to 10 uploaded files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachment_files: Vec<AttachmentFile>,
}

impl ContactReply {
    /// A comment by `contact`.
    pub fn new(contact: ContactIdentifier, body: impl Into<String>) -> Self {
        Self {
            message_type: CommentTag::Comment,
            kind: UserTag::User,
            contact,
            body: body.into(),
            created_at: None,
            attachment_urls: Vec::new(),
            attachment_files: Vec::new(),
        }
    }
    /// Sets the original time.
    pub fn created_at(mut self, unix_seconds: i64) -> Self {
        self.created_at = Some(unix_seconds);
        self
    }
}

/// `POST /conversations/{id}/reply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationReply {
    /// By a teammate.
    Admin(AdminReply),
    /// By the contact.
    Contact(ContactReply),
}

impl Serialize for ConversationReply {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ConversationReply::Admin(a) => a.serialize(s),
            ConversationReply::Contact(c) => c.serialize(s),
        }
    }
}

impl From<AdminReply> for ConversationReply {
    fn from(r: AdminReply) -> Self {
        Self::Admin(r)
    }
}

impl From<ContactReply> for ConversationReply {
    fn from(r: ContactReply) -> Self {
        Self::Contact(r)
    }
}

impl ConversationReply {
    pub(crate) fn check(&self) -> crate::Result<()> {
        match self {
            Self::Admin(a) => check_attachments(a.attachment_urls.len(), a.attachment_files.len()),
            Self::Contact(c) => {
                check_attachments(c.attachment_urls.len(), c.attachment_files.len())
            }
        }
    }
}

/// Assignee type of an assignment part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AssigneeType {
    /// Assign to an admin.
    Admin,
    /// Assign to a team.
    Team,
}

/// `POST /conversations/{id}/parts`. These parts cannot be backdated: do them after the replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationAction {
    /// Close (`{"message_type":"close","type":"admin",…}`).
    Close {
        /// Acting admin.
        admin_id: String,
        /// Optional closing message.
        body: Option<String>,
    },
    /// Snooze.
    Snooze {
        /// Acting admin.
        admin_id: String,
        /// Until (Unix seconds).
        snoozed_until: i64,
    },
    /// Reopen.
    Open {
        /// Acting admin.
        admin_id: String,
    },
    /// Assign (`assignee_id` `"0"` unassigns).
    Assign {
        /// Admin or team.
        kind: AssigneeType,
        /// Acting admin.
        admin_id: String,
        /// Assignee id.
        assignee_id: String,
        /// Optional message.
        body: Option<String>,
    },
}

impl Serialize for ConversationAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        match self {
            Self::Close { admin_id, body } => {
                m.serialize_entry("message_type", "close")?;
                m.serialize_entry("type", "admin")?;
                m.serialize_entry("admin_id", admin_id)?;
                if let Some(b) = body {
                    m.serialize_entry("body", b)?;
                }
            }
            Self::Snooze {
                admin_id,
                snoozed_until,
            } => {
                m.serialize_entry("message_type", "snoozed")?;
                m.serialize_entry("admin_id", admin_id)?;
                m.serialize_entry("snoozed_until", snoozed_until)?;
            }
            Self::Open { admin_id } => {
                m.serialize_entry("message_type", "open")?;
                m.serialize_entry("admin_id", admin_id)?;
            }
            Self::Assign {
                kind,
                admin_id,
                assignee_id,
                body,
            } => {
                m.serialize_entry("message_type", "assignment")?;
                m.serialize_entry("type", kind)?;
                m.serialize_entry("admin_id", admin_id)?;
                m.serialize_entry("assignee_id", assignee_id)?;
                if let Some(b) = body {
                    m.serialize_entry("body", b)?;
                }
            }
        }
        m.end()
    }
}

impl ConversationAction {
    /// Close as `admin_id`.
    pub fn close(admin_id: impl Into<String>) -> Self {
        Self::Close {
            admin_id: admin_id.into(),
            body: None,
        }
    }
    /// Snooze until `until` (Unix seconds) as `admin_id`.
    pub fn snooze(admin_id: impl Into<String>, until: i64) -> Self {
        Self::Snooze {
            admin_id: admin_id.into(),
            snoozed_until: until,
        }
    }
    /// Reopen as `admin_id`.
    pub fn open(admin_id: impl Into<String>) -> Self {
        Self::Open {
            admin_id: admin_id.into(),
        }
    }
    /// Assign to an admin or team as `admin_id`.
    pub fn assign(
        admin_id: impl Into<String>,
        kind: AssigneeType,
        assignee_id: impl Into<String>,
    ) -> Self {
        Self::Assign {
            kind,
            admin_id: admin_id.into(),
            assignee_id: assignee_id.into(),
            body: None,
        }
    }
}

/// `PUT /conversations/{id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UpdateConversation {
    /// Mark read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Custom attribute values (definitions must exist, see `/conversations/attributes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<CustomAttributes>,
    /// Company id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
}

/// `POST /conversations/{id}/convert`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConvertToTicket {
    /// Ticket type id.
    pub ticket_type_id: String,
    /// Initial state (2.16).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket_state_id: Option<String>,
    /// Attribute values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<CustomAttributes>,
}

crate::pagination::list_page!(
    /// A page of conversations (`GET /conversations`, `POST /conversations/search`).
    ConversationPage, Conversation, "conversations"
);
