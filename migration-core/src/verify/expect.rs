//! What a write makes Intercom hold: the canonical expected fields of each request the writer
//! sends, recorded in the ledger at write time (see [`crate::ledger::Expectation`]).
//!
//! Field names are the ones `verify` reads back (see `found`): top-level fields by their
//! Intercom name, custom attributes as `custom_attributes.<name>` (tickets:
//! `ticket_attributes.<name>`), tags as the set `tags` of tag ids, a part's fields as
//! `author_type`, `author_id`, `created_at`, `part_type`, `body`, `attachments`,
//! `attachment_names`; a ticket type's attributes as `ticket_type_attributes.<name>` → data type.

use intercom_client::models::{
    AssigneeType, ConversationAction, CreateArticle, CreateCollection, CreateContact,
    CreateConversation, CreateConversationAttribute, CreateDataAttribute, CreateTag, CreateTicket,
    CreateTicketType, CreateTicketTypeAttribute, CustomAttributes, TicketContact, TicketReply,
    UpdateContact, UpdateConversation, UpdateTicket,
};
use serde_json::{Value, json};

use crate::ledger::ExpectedFields;
use crate::map::{PartAuthor, PartKind, PartPlan};

fn put(f: &mut ExpectedFields, key: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        f.insert(key.to_owned(), v.into());
    }
}

fn attributes(f: &mut ExpectedFields, prefix: &str, attrs: Option<&CustomAttributes>) {
    for (k, v) in attrs.into_iter().flatten() {
        f.insert(format!("{prefix}.{k}"), v.clone());
    }
}

/// The identity fields and attributes a contact create or update sends: one shape for both.
struct ContactFields<'a> {
    role: Option<String>,
    external_id: Option<&'a String>,
    email: Option<&'a String>,
    phone: Option<&'a String>,
    name: Option<&'a String>,
    custom_attributes: Option<&'a CustomAttributes>,
}

/// The [`ContactFields`] of a `CreateContact` or an `UpdateContact` (the two requests carry the
/// same contact fields under the same names), as expectations.
macro_rules! contact_fields {
    ($req:expr) => {
        ContactFields {
            role: $req.role.as_ref().map(|r| r.as_str().to_owned()),
            external_id: $req.external_id.as_ref(),
            email: $req.email.as_ref(),
            phone: $req.phone.as_ref(),
            name: $req.name.as_ref(),
            custom_attributes: $req.custom_attributes.as_ref(),
        }
        .expected()
    };
}

impl ContactFields<'_> {
    fn expected(self) -> ExpectedFields {
        let mut f = ExpectedFields::new();
        put(&mut f, "role", self.role);
        put(&mut f, "external_id", self.external_id.cloned());
        put(&mut f, "email", self.email.cloned());
        put(&mut f, "phone", self.phone.cloned());
        put(&mut f, "name", self.name.cloned());
        attributes(&mut f, "custom_attributes", self.custom_attributes);
        f
    }
}

/// A created contact (`reused`: Intercom answered with one that existed, whose fields the
/// migration did not write: only its existence is expected).
pub(crate) fn contact(req: &CreateContact, reused: bool) -> ExpectedFields {
    if reused {
        return ExpectedFields::new();
    }
    contact_fields!(req)
}

/// An updated contact.
pub(crate) fn contact_update(req: &UpdateContact) -> ExpectedFields {
    contact_fields!(req)
}

/// A contact put back by a rollback (`PUT /contacts/{id}` with `body`: top-level fields and
/// `custom_attributes`, `null` where the field was absent): what it holds from now on.
pub(crate) fn contact_restored(body: &serde_json::Map<String, Value>) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    for (k, v) in body {
        match (k.as_str(), v) {
            ("custom_attributes", Value::Object(attrs)) => {
                for (a, v) in attrs {
                    f.insert(format!("custom_attributes.{a}"), v.clone());
                }
            }
            // The contact fields `verify` compares (those of [`ContactFields`]); the others a
            // restore puts back (e.g. `signed_up_at`) are not read back for any contact.
            ("role" | "external_id" | "email" | "phone" | "name", _) => {
                f.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    f
}

/// A tag applied to a contact, ticket or conversation.
pub(crate) fn tagged(tag: &str) -> ExpectedFields {
    ExpectedFields::from([("tags".to_owned(), json!([tag]))])
}

/// A tag detached from a contact, ticket or conversation (a delta removing a tag the
/// migration attached, or a rollback detaching it): it leaves the expected tag set.
pub(crate) fn untagged(tag: &str) -> ExpectedFields {
    ExpectedFields::from([(crate::ledger::SET_REMOVED.to_owned(), json!([tag]))])
}

/// A created tag.
pub(crate) fn tag(req: &CreateTag) -> ExpectedFields {
    ExpectedFields::from([("name".to_owned(), json!(req.name))])
}

/// A created contact data attribute (keyed by its name).
pub(crate) fn data_attribute(req: &CreateDataAttribute) -> ExpectedFields {
    ExpectedFields::from([
        ("model".to_owned(), json!(req.model)),
        ("data_type".to_owned(), json!(req.data_type)),
    ])
}

/// A created conversation attribute (keyed by its name).
pub(crate) fn conversation_attribute(req: &CreateConversationAttribute) -> ExpectedFields {
    ExpectedFields::from([("data_type".to_owned(), json!(req.data_type))])
}

/// A created ticket.
pub(crate) fn ticket(req: &CreateTicket) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    put(&mut f, "ticket_type_id", Some(req.ticket_type_id.clone()));
    let mut ids: Vec<String> = req
        .contacts
        .iter()
        .filter_map(|c| match c {
            TicketContact::Id { id } => Some(id.clone()),
            _ => None,
        })
        .collect();
    if ids.len() == req.contacts.len() {
        ids.sort();
        f.insert("contacts".to_owned(), json!(ids));
    }
    put(&mut f, "created_at", req.created_at);
    // A ticket is created open; a later update may close it.
    put(&mut f, "open", Some(true));
    if let Some(a) = &req.assignment {
        put(&mut f, "admin_assignee_id", a.admin_assignee_id.clone());
        put(&mut f, "team_assignee_id", a.team_assignee_id.clone());
    }
    attributes(&mut f, "ticket_attributes", req.ticket_attributes.as_ref());
    f
}

/// An updated ticket. Its single `assignee_id` is `assignee`'s id (an admin's or a team's, as
/// the caller knows; Intercom sets that field and leaves the other); "0" unassigns both. An
/// `assignee_id` whose kind the caller does not say is not expected (nothing to compare).
pub(crate) fn ticket_update(req: &UpdateTicket, assignee: Option<AssigneeType>) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    put(&mut f, "ticket_state_id", req.ticket_state_id.clone());
    put(&mut f, "open", req.open);
    put(&mut f, "snoozed_until", req.snoozed_until);
    match (req.assignee_id.as_deref(), assignee) {
        (Some("0"), _) => {
            f.insert("admin_assignee_id".to_owned(), Value::Null);
            f.insert("team_assignee_id".to_owned(), Value::Null);
        }
        (Some(id), Some(AssigneeType::Admin)) => put(&mut f, "admin_assignee_id", Some(id)),
        (Some(id), Some(AssigneeType::Team)) => put(&mut f, "team_assignee_id", Some(id)),
        (Some(_), None) | (None, _) => {}
    }
    attributes(&mut f, "ticket_attributes", req.ticket_attributes.as_ref());
    f
}

/// A created ticket type: its name, not archived.
pub(crate) fn ticket_type(req: &CreateTicketType) -> ExpectedFields {
    ExpectedFields::from([
        ("name".to_owned(), json!(req.name)),
        ("archived".to_owned(), json!(false)),
    ])
}

/// A ticket type taken out of the archive.
pub(crate) fn ticket_type_restored() -> ExpectedFields {
    ExpectedFields::from([("archived".to_owned(), json!(false))])
}

/// An attribute created on a ticket type: a field of the type's expectation,
/// `ticket_type_attributes.<name>` → its data type (one read of the type checks them all).
pub(crate) fn ticket_type_attribute(req: &CreateTicketTypeAttribute) -> ExpectedFields {
    ExpectedFields::from([(
        format!("ticket_type_attributes.{}", req.name),
        json!(req.data_type.as_str()),
    )])
}

/// A created conversation (its opening message is its source, not a part).
pub(crate) fn conversation(req: &CreateConversation) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    f.insert("contacts".to_owned(), json!([req.from.id]));
    put(&mut f, "created_at", req.created_at);
    // A conversation is created open; a later action may close or snooze it.
    put(&mut f, "state", Some("open"));
    f
}

/// An updated conversation.
pub(crate) fn conversation_update(req: &UpdateConversation) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    put(&mut f, "title", req.title.clone());
    attributes(&mut f, "custom_attributes", req.custom_attributes.as_ref());
    f
}

/// A conversation action: its state or assignee afterwards.
pub(crate) fn action(a: &ConversationAction) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    match a {
        // Closing or opening ends a snooze.
        ConversationAction::Close { .. } => {
            put(&mut f, "state", Some("closed"));
            f.insert("snoozed_until".to_owned(), Value::Null);
        }
        ConversationAction::Snooze { snoozed_until, .. } => {
            put(&mut f, "state", Some("snoozed"));
            put(&mut f, "snoozed_until", Some(*snoozed_until));
        }
        ConversationAction::Open { .. } => {
            put(&mut f, "state", Some("open"));
            f.insert("snoozed_until".to_owned(), Value::Null);
        }
        ConversationAction::Assign {
            kind, assignee_id, ..
        } => {
            let field = match kind {
                AssigneeType::Team => "team_assignee_id",
                AssigneeType::Admin => "admin_assignee_id",
            };
            let id = (assignee_id != "0").then(|| assignee_id.clone());
            f.insert(field.to_owned(), id.map_or(Value::Null, Value::String));
        }
    }
    f
}

/// A part written as a reply, with the names of the files uploaded with it.
pub(crate) fn part(p: &PartPlan, files: &[String]) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    let (author_type, author_id) = match &p.author {
        PartAuthor::Admin(id) => ("admin".to_owned(), id.clone()),
        PartAuthor::Contact(c) => (c.role.as_str().to_owned(), c.id.clone()),
    };
    put(&mut f, "author_type", Some(author_type));
    put(&mut f, "author_id", Some(author_id));
    put(&mut f, "created_at", Some(p.created_at));
    let kind = match p.kind {
        PartKind::Comment => "comment",
        PartKind::Note => "note",
    };
    put(&mut f, "part_type", Some(kind));
    put(&mut f, "body", Some(p.body.clone()));
    put(&mut f, "attachments", Some(files.len()));
    let mut names: Vec<&str> = files.iter().map(String::as_str).collect();
    names.sort_unstable();
    f.insert("attachment_names".to_owned(), json!(names));
    f
}

/// The names of the files a ticket reply carries (a contact's reply carries none).
pub(crate) fn ticket_reply_files(req: &TicketReply) -> Vec<String> {
    match req {
        TicketReply::Admin(a) => a.attachment_files.iter().map(|f| f.name.clone()).collect(),
        TicketReply::Contact(_) => Vec::new(),
    }
}

/// A created help-center collection.
pub(crate) fn collection(req: &CreateCollection) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    put(&mut f, "name", Some(req.name.clone()));
    put(&mut f, "description", req.description.clone());
    put(&mut f, "parent_id", req.parent_id.clone());
    f
}

/// A created article.
pub(crate) fn article(req: &CreateArticle) -> ExpectedFields {
    let mut f = ExpectedFields::new();
    put(&mut f, "title", Some(req.title.clone()));
    put(
        &mut f,
        "state",
        req.state.as_ref().map(|s| s.as_str().to_owned()),
    );
    f.insert("parent_id".to_owned(), json!(req.parent_id));
    put(&mut f, "body", req.body.clone());
    f
}
