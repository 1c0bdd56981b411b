//! What a mapper returns: write, queue or skip, with typed reasons and field-level notes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::kind::ObjectKind;
use crate::ledger::{FieldItem, LossyNote, Reason, WARNING_PREFIX};

/// The outcome of mapping one source record.
///
/// Every source record ends in exactly one of these three places, which is what lets the
/// accounting add up: written (with notes about anything lossy), queued for a person to resolve,
/// or skipped by a rule. Serialises as `{"outcome": "write" | "queue" | "skip", …}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Mapped<T> {
    /// Write `value` to Intercom. `notes` list what was lost or changed on the way.
    Write {
        /// The plan or request to write.
        value: T,
        /// Field-level notes for anything lossy.
        notes: Vec<FieldNote>,
    },
    /// The record cannot move yet (a missing contact, an unmatched agent, a value that does not
    /// fit its type…); it goes to the reconciliation queue.
    Queue {
        /// Why, and what to do.
        reason: MapReason,
        /// Notes gathered before the mapper stopped.
        notes: Vec<FieldNote>,
    },
    /// A rule says this record is not migrated (scrambled, moved, policy "skip"…).
    Skip {
        /// Which rule, and why.
        reason: MapReason,
    },
}

impl<T> Mapped<T> {
    /// A write without notes.
    pub fn write(value: T) -> Self {
        Mapped::Write {
            value,
            notes: Vec::new(),
        }
    }

    /// The written value, if this is a write.
    pub fn value(&self) -> Option<&T> {
        match self {
            Mapped::Write { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Consumes the outcome and returns the written value, if this is a write.
    pub fn into_value(self) -> Option<T> {
        match self {
            Mapped::Write { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The queue or skip reason, if any.
    pub fn reason(&self) -> Option<&MapReason> {
        match self {
            Mapped::Write { .. } => None,
            Mapped::Queue { reason, .. } | Mapped::Skip { reason } => Some(reason),
        }
    }

    /// The notes (empty for a skip).
    pub fn notes(&self) -> &[FieldNote] {
        match self {
            Mapped::Write { notes, .. } | Mapped::Queue { notes, .. } => notes,
            Mapped::Skip { .. } => &[],
        }
    }

    /// Whether this is a write.
    pub fn is_write(&self) -> bool {
        matches!(self, Mapped::Write { .. })
    }

    /// Whether this is a queue entry.
    pub fn is_queue(&self) -> bool {
        matches!(self, Mapped::Queue { .. })
    }

    /// Whether this is a skip.
    pub fn is_skip(&self) -> bool {
        matches!(self, Mapped::Skip { .. })
    }

    /// Transforms the written value, keeping reasons and notes.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Mapped<U> {
        match self {
            Mapped::Write { value, notes } => Mapped::Write {
                value: f(value),
                notes,
            },
            Mapped::Queue { reason, notes } => Mapped::Queue { reason, notes },
            Mapped::Skip { reason } => Mapped::Skip { reason },
        }
    }
}

/// Stable machine codes of queue and skip reasons (stored in the ledger as text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonCode {
    /// A contact with neither an e-mail nor a usable user id (policy `missing_email = "queue"`,
    /// or `lead_with_phone` without a phone).
    MissingEmail,
    /// A Glassix agent with no Intercom admin of the same e-mail, and no fallback admin.
    UnmatchedAgent,
    /// A Glassix department with no Intercom team of the same name, and no fallback team.
    UnmatchedDepartment,
    /// A ticket whose customer has no Intercom contact (yet).
    MissingContact,
    /// A ticket without any customer participant.
    NoCustomer,
    /// A field value that does not fit its attribute's type after its transforms.
    InvalidFieldValue,
    /// A list value whose Intercom list item id is not known.
    UnresolvedListItem,
    /// No Intercom admin can author a write (no assignee, no fallback, no acting admin).
    NoActingAdmin,
    /// The migration ticket type has not been created or resolved.
    MissingTicketType,
    /// The ticket's personal data was erased in Glassix (`isScrambled`).
    Scrambled,
    /// The ticket was moved to another department; its copy there is migrated instead.
    Moved,
    /// The contact was deleted or scrambled in Glassix.
    DeletedContact,
    /// A canned reply left out by the `canned_replies` policy (`skip` or `inventory`).
    CannedReplyPolicy,
    /// A knowledge-base article whose category has no collection yet.
    MissingCollection,
    /// A code defined by a custom mapper.
    Other(String),
}

impl ReasonCode {
    /// The code as stored in the ledger.
    pub fn as_str(&self) -> &str {
        match self {
            ReasonCode::MissingEmail => "missing_email",
            ReasonCode::UnmatchedAgent => "unmatched_agent",
            ReasonCode::UnmatchedDepartment => "unmatched_department",
            ReasonCode::MissingContact => "missing_contact",
            ReasonCode::NoCustomer => "no_customer",
            ReasonCode::InvalidFieldValue => "invalid_field_value",
            ReasonCode::UnresolvedListItem => "unresolved_list_item",
            ReasonCode::NoActingAdmin => "no_acting_admin",
            ReasonCode::MissingTicketType => "missing_ticket_type",
            ReasonCode::Scrambled => "scrambled",
            ReasonCode::Moved => "moved",
            ReasonCode::DeletedContact => "deleted_contact",
            ReasonCode::CannedReplyPolicy => "canned_reply_policy",
            ReasonCode::MissingCollection => "missing_collection",
            ReasonCode::Other(s) => s,
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a record is queued or skipped: a code, a human explanation naming what to do, and the
/// source field concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapReason {
    /// Stable code.
    pub code: ReasonCode,
    /// Human explanation, naming what to do.
    pub detail: String,
    /// The Glassix field concerned, if any (e.g. `field3`, `owner.UserName`).
    pub field: Option<String>,
}

impl MapReason {
    /// A reason without a field.
    pub fn new(code: ReasonCode, detail: impl Into<String>) -> Self {
        MapReason {
            code,
            detail: detail.into(),
            field: None,
        }
    }

    /// The same reason naming a source field.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for MapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{} ({field}): {}", self.code, self.detail),
            None => write!(f, "{}: {}", self.code, self.detail),
        }
    }
}

impl From<MapReason> for Reason {
    fn from(r: MapReason) -> Self {
        Reason {
            code: r.code.as_str().to_owned(),
            detail: r.detail,
            field: r.field,
        }
    }
}

/// How much a note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record: nothing was lost (e.g. a value moved to another place).
    Info,
    /// Something was changed or lost in a way a person may want to review.
    Warning,
}

/// A field-level note about something lossy in one record's mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldNote {
    /// The Glassix field concerned (e.g. `transactions[3].html`, `state`).
    pub field: String,
    /// What happened to it.
    pub note: String,
    /// How much it matters.
    pub severity: Severity,
    /// When the note is about a value left unwritten (policy `invalid_value = "skip_field"`):
    /// the field item the recorder lists for reconciliation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<FieldItem>,
}

impl FieldNote {
    /// An informational note.
    pub fn info(field: impl Into<String>, note: impl Into<String>) -> Self {
        FieldNote {
            field: field.into(),
            note: note.into(),
            severity: Severity::Info,
            item: None,
        }
    }

    /// A warning.
    pub fn warning(field: impl Into<String>, note: impl Into<String>) -> Self {
        FieldNote {
            field: field.into(),
            note: note.into(),
            severity: Severity::Warning,
            item: None,
        }
    }

    /// A warning about a value left unwritten because it does not convert under its rule,
    /// carrying the field item (raw value and reason) the recorder lists for reconciliation.
    pub fn unwritten_value(
        field: impl Into<String>,
        raw_value: impl Into<String>,
        why: &str,
    ) -> Self {
        let field = field.into();
        let raw_value = raw_value.into();
        FieldNote {
            note: format!("value `{raw_value}` left unwritten (listed as a field item): {why}"),
            severity: Severity::Warning,
            item: Some(FieldItem {
                field: field.clone(),
                raw_value,
                reason_code: ReasonCode::InvalidFieldValue.as_str().to_owned(),
                detail: why.to_owned(),
            }),
            field,
        }
    }

    /// The ledger's form of this note for record `source_id` of `kind`.
    pub fn to_lossy_note(&self, kind: ObjectKind, source_id: impl Into<String>) -> LossyNote {
        let note = match self.severity {
            Severity::Info => self.note.clone(),
            Severity::Warning => format!("{WARNING_PREFIX} {}", self.note),
        };
        LossyNote {
            kind,
            source_id: source_id.into(),
            field: self.field.clone(),
            note,
        }
    }
}
