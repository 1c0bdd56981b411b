//! The ticket plan: everything the executor writes for one Glassix ticket, in order.

use intercom_client::models::{
    AdminReply, AdminReplyType, AdminTicketReply, AttachmentFile, ContactIdentifier, ContactReply,
    ContactTicketReply, ConversationAction, ConversationReply, CreateConversation, CreateTicket,
    TicketReply, UpdateConversation, UpdateTicket,
};
use serde::{Deserialize, Serialize};

use crate::map::attributes::TagRef;
use crate::map::context::ResolvedContact;
use crate::spec::TicketTarget;

/// The most parts `GET /conversations/{id}` returns; longer conversations are flagged so the
/// verification pages through them instead of comparing what one read returns.
pub const READABLE_PART_LIMIT: usize = 500;

/// The most attachments Intercom accepts on one part.
pub const ATTACHMENTS_PER_PART: usize = intercom_client::models::MAX_ATTACHMENTS_PER_PART;

/// The first write of a ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateRequest {
    /// `POST /tickets` (a ticket of the migration ticket type).
    Ticket(CreateTicket),
    /// `POST /conversations` (a contact-initiated conversation).
    Conversation(CreateConversation),
}

impl CreateRequest {
    /// The backdated creation time the request carries (Unix seconds), if any.
    pub fn created_at(&self) -> Option<i64> {
        match self {
            CreateRequest::Ticket(r) => r.created_at,
            CreateRequest::Conversation(r) => r.created_at,
        }
    }
}

/// Who writes a part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartAuthor {
    /// An Intercom contact.
    Contact(ResolvedContact),
    /// An Intercom admin (id).
    Admin(String),
}

/// What a part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// A customer-visible message.
    Comment,
    /// An internal note (admins only).
    Note,
}

/// A Glassix attachment the executor downloads (`Department::download_attachment`) and uploads
/// with the part as an `attachment_files` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRef {
    /// Glassix attachment id (find it in the ticket's transactions; its URL expires, so
    /// re-fetch the ticket when a download is refused).
    pub glassix_attachment_id: i64,
    /// File name to upload under.
    pub file_name: String,
    /// MIME type guessed from the name and the Glassix kind (the download's own content type,
    /// when it has one, is better).
    pub content_type_hint: String,
    /// An inline image of the message body rather than an attachment.
    pub inline: bool,
}

/// One reply to write, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartPlan {
    /// The Glassix transaction it comes from.
    pub source_transaction_guid: String,
    /// 0 for the transaction's own part; 1, 2… for continuation parts that carry the
    /// attachments beyond Intercom's per-part limit (or a customer's files on a ticket).
    pub continuation: u32,
    /// Position in the plan (0-based, consecutive): write parts in this order.
    pub position: u32,
    /// Author.
    pub author: PartAuthor,
    /// Comment or note.
    pub kind: PartKind,
    /// HTML body (already reduced to what Intercom accepts).
    pub body: String,
    /// Original time (Unix seconds).
    pub created_at: i64,
    /// Files to upload with this part (at most [`ATTACHMENTS_PER_PART`]).
    pub attachments: Vec<AttachmentRef>,
}

impl PartPlan {
    /// The ledger's per-part key: the transaction GUID, with `#n` for continuation parts.
    pub fn ledger_key(&self) -> String {
        if self.continuation == 0 {
            self.source_transaction_guid.clone()
        } else {
            format!("{}#{}", self.source_transaction_guid, self.continuation)
        }
    }

    fn admin_type(&self) -> AdminReplyType {
        match self.kind {
            PartKind::Comment => AdminReplyType::Comment,
            PartKind::Note => AdminReplyType::Note,
        }
    }

    /// The `POST /conversations/{id}/reply` body, with the downloaded `files` (in the order of
    /// [`PartPlan::attachments`]).
    pub fn to_conversation_reply(&self, files: Vec<AttachmentFile>) -> ConversationReply {
        match &self.author {
            PartAuthor::Admin(id) => {
                let mut r = AdminReply::new(self.admin_type(), id.clone(), self.body.clone())
                    .created_at(self.created_at);
                r.attachment_files = files;
                r.skip_notifications = Some(true);
                r.into()
            }
            PartAuthor::Contact(c) => {
                let mut r = ContactReply::new(
                    ContactIdentifier::IntercomUserId(c.id.clone()),
                    self.body.clone(),
                )
                .created_at(self.created_at);
                r.attachment_files = files;
                r.into()
            }
        }
    }

    /// The `POST /tickets/{id}/reply` body, with the downloaded `files`. Contact replies on
    /// tickets take no files; the plan never gives a contact part attachments on a ticket.
    pub fn to_ticket_reply(&self, files: Vec<AttachmentFile>) -> TicketReply {
        match &self.author {
            PartAuthor::Admin(id) => {
                let mut r = AdminTicketReply::new(self.admin_type(), id.clone(), self.body.clone());
                r.created_at = Some(self.created_at);
                r.attachment_files = files;
                r.skip_notifications = Some(true);
                TicketReply::Admin(r)
            }
            PartAuthor::Contact(c) => {
                let mut r = ContactTicketReply::new(
                    ContactIdentifier::IntercomUserId(c.id.clone()),
                    self.body.clone(),
                );
                r.created_at = Some(self.created_at);
                TicketReply::Contact(r)
            }
        }
    }
}

/// The final state of the Intercom object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetState {
    /// Open.
    Open,
    /// Snoozed until (Unix seconds).
    Snoozed {
        /// When the snooze ends.
        until: i64,
    },
    /// Closed / resolved.
    Closed,
}

/// The writes after the parts: attributes, tags, assignment, state. These cannot be backdated,
/// so they come last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finish {
    /// The admin that performs the writes below (and that tags need).
    pub acting_admin: String,
    /// Assigned admin.
    pub admin_assignee: Option<String>,
    /// Assigned team.
    pub team_assignee: Option<String>,
    /// Final state.
    pub state: TargetState,
    /// Tags to attach (`admin_id` = [`Finish::acting_admin`]).
    pub tags: Vec<TagRef>,
    /// Conversations: `PUT /conversations/{id}` with title and custom attributes.
    pub conversation_update: Option<UpdateConversation>,
    /// Conversations: `POST /conversations/{id}/parts`, in order (assignments, then the state).
    pub conversation_actions: Vec<ConversationAction>,
    /// Tickets: `PUT /tickets/{id}` with the state (assignment and attributes go with the
    /// create).
    pub ticket_update: Option<UpdateTicket>,
}

/// Something the executor or the verification must know about a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "flag")]
pub enum PlanFlag {
    /// More parts than one read returns ([`READABLE_PART_LIMIT`]): verify by paging/counts.
    ExceedsReadablePartLimit {
        /// Parts the plan writes (replies plus state and assignment parts).
        parts: usize,
    },
    /// A WhatsApp ticket: replying to it from Intercom needs the WhatsApp add-on.
    WhatsAppAddOnRequired,
    /// The ticket went through a chatbot flow (see the automation inventory).
    BotFlow,
}

/// Everything to write for one Glassix ticket, in order: `create`, then `parts` by position,
/// then `finish`. Serialises to JSON for dry runs and reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketPlan {
    /// Ledger source id (the Glassix ticket id).
    pub source_id: String,
    /// Ticket or conversation.
    pub target: TicketTarget,
    /// The customer.
    pub contact: ResolvedContact,
    /// The first write.
    pub create: CreateRequest,
    /// The transaction whose message became the conversation's opening message, if any.
    pub create_transaction_guid: Option<String>,
    /// The replies, in order.
    pub parts: Vec<PartPlan>,
    /// The last writes.
    pub finish: Finish,
    /// Flags.
    pub flags: Vec<PlanFlag>,
}

impl TicketPlan {
    /// Number of parts Intercom will hold: replies plus assignment/state parts (a conversation's
    /// opening message is its source, not a part).
    pub fn part_count(&self) -> usize {
        self.parts.len() + self.finish.conversation_actions.len()
    }

    /// Whether the plan carries `flag`.
    pub fn has_flag(&self, flag: &PlanFlag) -> bool {
        self.flags.contains(flag)
    }
}
