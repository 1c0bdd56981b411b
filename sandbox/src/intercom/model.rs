//! The fake Intercom's state: plain data, cloned out to tests through
//! [`FakeIntercomHandle::state`](super::FakeIntercomHandle::state) and dumped at
//! `GET /__sandbox/state`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A teammate (read-only through the API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Admin {
    /// Numeric string id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// E-mail (the key the migrator maps agents by).
    pub email: String,
    /// Job title.
    pub job_title: Option<String>,
    /// Teams the admin belongs to.
    pub team_ids: Vec<i64>,
}

/// A team (read-only through the API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    /// Numeric string id.
    pub id: String,
    /// Name (the key the migrator maps departments by).
    pub name: String,
    /// Members.
    pub admin_ids: Vec<i64>,
}

/// A help center (read-only through the API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HelpCenter {
    /// Numeric string id.
    pub id: String,
    /// URL identifier.
    pub identifier: String,
    /// Name shown to teammates.
    pub display_name: String,
    /// Creation time (Unix seconds).
    pub created_at: i64,
}

/// A contact (user or lead).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// 24-hex id.
    pub id: String,
    /// `user` or `lead`.
    pub role: String,
    /// External id.
    pub external_id: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Owner admin id.
    pub owner_id: Option<String>,
    /// Sign-up time.
    pub signed_up_at: Option<i64>,
    /// Last seen time.
    pub last_seen_at: Option<i64>,
    /// Unsubscribed flag.
    pub unsubscribed_from_emails: bool,
    /// Custom attribute values.
    pub custom_attributes: Map<String, Value>,
    /// Attached tag ids.
    pub tag_ids: Vec<String>,
    /// Creation time (the fake's clock; cannot be set through the API).
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Archived (hidden from search and lists; reversible).
    pub archived: bool,
    /// When the contact becomes visible to search (milliseconds).
    pub searchable_at_ms: i64,
    /// How the contact came to be: `api` or `ticket_email` (created implicitly by a ticket).
    pub created_by: String,
}

/// A note on a contact (cannot be updated or deleted through the API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// Numeric string id.
    pub id: String,
    /// The contact.
    pub contact_id: String,
    /// Author admin id.
    pub admin_id: Option<String>,
    /// Body (text or simple HTML).
    pub body: String,
    /// Creation time (always the fake's now).
    pub created_at: i64,
}

/// A tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// Numeric string id.
    pub id: String,
    /// Name (unique case-insensitively).
    pub name: String,
}

/// A contact or company data attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataAttribute {
    /// Numeric id.
    pub id: i64,
    /// `contact` or `company`.
    pub model: String,
    /// Name.
    pub name: String,
    /// `string | integer | float | boolean | date | datetime | options`.
    pub data_type: String,
    /// Allowed values for `options`.
    pub options: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Messenger-writable flag.
    pub messenger_writable: bool,
    /// True for user-defined attributes.
    pub custom: bool,
    /// Archived.
    pub archived: bool,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

/// An option of a list conversation attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ListOption {
    /// GUID.
    pub id: String,
    /// Label.
    pub label: String,
    /// Archived.
    pub archived: bool,
}

/// A conversation attribute (2.16 API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationAttribute {
    /// Numeric id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `string, integer, list, decimal, boolean, datetime, relationship, files`.
    pub data_type: String,
    /// Description.
    pub description: String,
    /// Required flag.
    pub required: bool,
    /// Multiline (strings).
    pub multiline: bool,
    /// Options (lists).
    pub options: Vec<ListOption>,
    /// Archived (DELETE archives).
    pub archived: bool,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

/// An attachment of a part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// URL (given, or `sandbox://upload/...` for uploaded files).
    pub url: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes (decoded size for uploads, 0 when unknown).
    pub filesize: u64,
}

/// A conversation or ticket part.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Numeric string id.
    pub id: String,
    /// `comment`, `note`, `quick_reply`, `assignment`, `close`, `open`, `snoozed`, ...
    pub part_type: String,
    /// Body.
    pub body: Option<String>,
    /// Creation time (as given by `created_at`, else the fake's now).
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Author type: `admin`, `user`, `lead`, `bot`, `team`.
    pub author_type: String,
    /// Author id.
    pub author_id: String,
    /// Attachments (at most 10 per part).
    pub attachments: Vec<Attachment>,
    /// Assignee (`{type,id}`) of assignment parts.
    pub assigned_to: Option<Value>,
    /// Whether the request asked to skip notifications.
    pub skip_notifications: bool,
}

/// A conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Numeric string id.
    pub id: String,
    /// Creation time (as given by `created_at`, else now).
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Id of the source message.
    pub source_id: String,
    /// Source body as given.
    pub source_body: String,
    /// Source subject.
    pub source_subject: Option<String>,
    /// Source author type (`user`/`lead`/`contact`).
    pub source_author_type: String,
    /// Source author contact id.
    pub source_author_id: String,
    /// Source attachments.
    pub source_attachments: Vec<Attachment>,
    /// Participating contacts.
    pub contact_ids: Vec<String>,
    /// Parts, oldest first (all of them; reads return the last 500).
    pub parts: Vec<Part>,
    /// `open`, `closed` or `snoozed`.
    pub state: String,
    /// Read flag.
    pub read: bool,
    /// Snoozed until.
    pub snoozed_until: Option<i64>,
    /// Assigned admin (0 = none).
    pub admin_assignee_id: i64,
    /// Assigned team (0 = none).
    pub team_assignee_id: i64,
    /// Title.
    pub title: Option<String>,
    /// Conversation attribute values.
    pub custom_attributes: Map<String, Value>,
    /// Tag ids.
    pub tag_ids: Vec<String>,
    /// Ticket id when converted.
    pub ticket_id: Option<String>,
}

/// A ticket type attribute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketTypeAttribute {
    /// Numeric string id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// `string, list, integer, decimal, boolean, datetime, files`.
    pub data_type: String,
    /// List items: (guid id, label).
    pub list_items: Vec<(String, String)>,
    /// Required on create.
    pub required_to_create: bool,
    /// Required when a contact creates.
    pub required_to_create_for_contacts: bool,
    /// Visible on create.
    pub visible_on_create: bool,
    /// Visible to contacts.
    pub visible_to_contacts: bool,
    /// Multiline.
    pub multiline: bool,
    /// Built-in (`_default_title_`, `_default_description_`).
    pub default: bool,
    /// Order.
    pub order: i64,
    /// Archived.
    pub archived: bool,
    /// Creation time.
    pub created_at: i64,
}

/// A ticket type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketType {
    /// Numeric string id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Icon (emoji).
    pub icon: String,
    /// `Customer`, `Back-office` or `Tracker`.
    pub category: String,
    /// Internal flag.
    pub is_internal: bool,
    /// Archived (the only undo).
    pub archived: bool,
    /// Attributes.
    pub attributes: Vec<TicketTypeAttribute>,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

/// A ticket state (read-only).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketState {
    /// Numeric string id.
    pub id: String,
    /// `submitted`, `in_progress`, `waiting_on_customer`, `resolved`.
    pub category: String,
    /// Label for teammates.
    pub internal_label: String,
    /// Label for customers.
    pub external_label: String,
}

/// A ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// API id (numeric string).
    pub id: String,
    /// Inbox number.
    pub ticket_id: String,
    /// Type id.
    pub ticket_type_id: String,
    /// The one contact.
    pub contact_ids: Vec<String>,
    /// Attribute values.
    pub ticket_attributes: Map<String, Value>,
    /// State id.
    pub ticket_state_id: String,
    /// Previous state id.
    pub previous_ticket_state_id: Option<String>,
    /// Creation time (as given by `created_at`, else now).
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
    /// Open flag.
    pub open: bool,
    /// Snoozed until.
    pub snoozed_until: Option<i64>,
    /// Shared flag.
    pub is_shared: bool,
    /// Assigned admin (0 = none).
    pub admin_assignee_id: i64,
    /// Assigned team (0 = none).
    pub team_assignee_id: i64,
    /// Parts, oldest first.
    pub parts: Vec<Part>,
    /// Tag ids.
    pub tag_ids: Vec<String>,
    /// `skip_notifications` of the create call.
    pub skip_notifications: bool,
    /// The conversation it was converted from, if any.
    pub converted_from_conversation: Option<String>,
}

/// A help center collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// Numeric string id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Parent collection id.
    pub parent_id: Option<String>,
    /// Help center id.
    pub help_center_id: i64,
    /// Order.
    pub order: i64,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

/// An article.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Numeric string id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// HTML body.
    pub body: String,
    /// Author admin id.
    pub author_id: i64,
    /// `published` or `draft`.
    pub state: String,
    /// Parent collection id.
    pub parent_id: Option<i64>,
    /// `collection` or `section`.
    pub parent_type: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Update time.
    pub updated_at: i64,
}

/// A record removed by a DELETE (kept for inspection).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    /// `contact`, `conversation`, `ticket`, `tag`, `article`, `collection`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// When (fake's clock, Unix seconds).
    pub deleted_at: i64,
    /// The record as it was.
    pub record: Value,
}

/// The whole Intercom workspace held by the fake.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IntercomState {
    /// Teammates.
    pub admins: Vec<Admin>,
    /// Teams.
    pub teams: Vec<Team>,
    /// Help centers.
    pub help_centers: Vec<HelpCenter>,
    /// Contacts by id (archived included).
    pub contacts: BTreeMap<String, Contact>,
    /// Contact notes.
    pub notes: Vec<Note>,
    /// Tags by id.
    pub tags: BTreeMap<String, Tag>,
    /// Data attributes (built-in and custom).
    pub data_attributes: Vec<DataAttribute>,
    /// Conversation attributes.
    pub conversation_attributes: Vec<ConversationAttribute>,
    /// Ticket types by id.
    pub ticket_types: BTreeMap<String, TicketType>,
    /// Ticket states.
    pub ticket_states: Vec<TicketState>,
    /// Conversations by id.
    pub conversations: BTreeMap<String, Conversation>,
    /// Tickets by id.
    pub tickets: BTreeMap<String, Ticket>,
    /// Collections by id.
    pub collections: BTreeMap<String, Collection>,
    /// Articles by id.
    pub articles: BTreeMap<String, Article>,
    /// Deleted records.
    pub deleted: Vec<Deleted>,
    /// Id sequence.
    pub sequence: u64,
    /// Ticket inbox number sequence.
    pub ticket_number: u64,
    /// Index: lower-cased e-mail → contact id.
    #[serde(skip)]
    pub(crate) by_email: HashMap<String, String>,
    /// Index: external id → contact id.
    #[serde(skip)]
    pub(crate) by_external_id: HashMap<String, String>,
    /// Ticket types as rendered in answers (a cache, not state).
    #[serde(skip)]
    pub(crate) rendered_types: super::render_cache::RenderedTypes,
}

impl IntercomState {
    /// A fresh numeric id.
    pub(crate) fn next_id(&mut self) -> String {
        self.sequence += 1;
        // Fixed width (9 digits) so that the string-keyed maps list objects in creation order.
        (self.sequence + 100_000_000).to_string()
    }

    /// The contacts that are not archived.
    pub fn live_contacts(&self) -> impl Iterator<Item = &Contact> {
        self.contacts.values().filter(|c| !c.archived)
    }

    /// Inserts or replaces a contact, keeping the e-mail and external-id indexes in step.
    pub(crate) fn put_contact(&mut self, c: Contact) {
        self.unindex(&c.id);
        if let Some(e) = &c.email {
            self.by_email.insert(e.to_lowercase(), c.id.clone());
        }
        if let Some(x) = &c.external_id {
            self.by_external_id.insert(x.clone(), c.id.clone());
        }
        self.contacts.insert(c.id.clone(), c);
    }

    /// Removes a contact and its index entries.
    pub(crate) fn remove_contact(&mut self, id: &str) -> Option<Contact> {
        self.unindex(id);
        self.contacts.remove(id)
    }

    fn unindex(&mut self, id: &str) {
        if let Some(old) = self.contacts.get(id) {
            if let Some(e) = &old.email {
                self.by_email.remove(&e.to_lowercase());
            }
            if let Some(x) = &old.external_id {
                self.by_external_id.remove(x);
            }
        }
    }

    /// The contact with this e-mail (case-insensitive).
    pub(crate) fn contact_by_email(&self, email: &str) -> Option<&Contact> {
        self.by_email
            .get(&email.to_lowercase())
            .and_then(|id| self.contacts.get(id))
    }

    /// The contact with this external id.
    pub(crate) fn contact_by_external_id(&self, ext: &str) -> Option<&Contact> {
        self.by_external_id
            .get(ext)
            .and_then(|id| self.contacts.get(id))
    }

    pub(crate) fn admin(&self, id: &str) -> Option<&Admin> {
        self.admins.iter().find(|a| a.id == id)
    }
}

/// Reads an id that may arrive as a string or an integer.
pub(crate) fn id_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
