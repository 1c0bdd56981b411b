//! Typed Glassix records, decoded leniently (unknown enum values and fields are kept, odd
//! timestamps accepted, `null` for plain values read as the default) and encoded strictly.

mod canned_reply;
mod contact;
mod enums;
pub(crate) mod lenient;
mod participant;
mod tag;
mod ticket;
pub mod time;
mod transaction;
mod user;

pub use canned_reply::CannedReply;
pub use contact::{Contact, ContactIdentifier};
pub use enums::{
    AttachmentType, DynamicParameterType, Gender, IdentifierType, MessageStatus, ParticipantType,
    ProtocolType, SanitizationState, SortOrder, SubProtocolType, TicketState, TicketType,
    TransactionType, UserStatus, UserType,
};
pub use participant::Participant;
pub use tag::Tag;
pub use ticket::{
    ActivityLog, BotConversationStep, Details, DynamicParameter, Paging, Referral, Source, Ticket,
    TicketPage, TicketSummary,
};
pub use transaction::{Attachment, Transaction};
pub use user::{Owner, User};
