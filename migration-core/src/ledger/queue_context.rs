//! Who or what a queued record is, as the run knew it when it queued the record: a contact's
//! name, identifiers, Glassix id and channel, a ticket's subject and customer. The queue row
//! itself keeps only the source id (a GUID for most contacts), which nobody can act on; this is
//! what `reconciliation-queue.csv` and the report show beside it, without reading Glassix again.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Ledger, now_text};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// What a person needs to find a queued record in Glassix. Every field is optional: a
/// record the run knew little about has few.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueContext {
    /// The contact's name (a ticket's: its customer's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Addresses, as `channel: address` (e-mail, phone, visitor id…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<String>,
    /// The Glassix id (contact GUID, ticket number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glassix_id: Option<String>,
    /// The channel (a contact's most used, a ticket's main one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// A ticket's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

impl QueueContext {
    /// The identifiers joined for one cell: `email: a@b.c; phone: 97250…`.
    pub fn identifiers_text(&self) -> String {
        self.identifiers.join("; ")
    }
}

impl Ledger {
    /// Records (replaces) what `kind`/`source_id` is, for its queue row.
    pub fn set_queue_context(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        context: &QueueContext,
    ) -> Result<()> {
        let text = serde_json::to_string(context).map_err(|e| {
            Error::LedgerState(format!(
                "the queue context of {kind} `{source_id}` cannot be written as JSON: {e}"
            ))
        })?;
        let conn = self.lock();
        conn.execute(
            "INSERT INTO queue_context (kind, source_id, context, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (kind, source_id) DO UPDATE
             SET context = excluded.context, updated_at = excluded.updated_at",
            params![kind.as_str(), source_id, text, now_text()],
        )
        .map_err(Error::ledger("record queue context"))?;
        Ok(())
    }
}

/// A recorded context; `None` (with a warning) when it is not readable JSON (a hand-edited
/// ledger): the queue row still shows its id.
pub(super) fn parse(kind: &str, source_id: &str, text: &str) -> Option<QueueContext> {
    match serde_json::from_str(text) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(
                %kind, %source_id,
                "the queue context in the ledger is not readable ({e}); the queue row shows only \
                 the id (run `migrate` again to record it anew)"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Reason, RunMode};

    #[test]
    fn contexts_are_replaced_and_listed_by_kind_and_id() {
        let l = Ledger::open_in_memory().unwrap();
        let who = QueueContext {
            name: Some("Dana Levi".into()),
            identifiers: vec!["WhatsApp: 972501234567".into()],
            glassix_id: Some("0f1e2d3c".into()),
            channel: Some("WhatsApp".into()),
            subject: None,
        };
        l.set_queue_context(&ObjectKind::Contact, "0f1e2d3c", &who)
            .unwrap();
        let mut renamed = who.clone();
        renamed.name = Some("Dana Cohen".into());
        l.set_queue_context(&ObjectKind::Contact, "0f1e2d3c", &renamed)
            .unwrap();
        let ticket = QueueContext {
            subject: Some("Refund <b>now</b>".into()),
            ..QueueContext::default()
        };
        l.set_queue_context(&ObjectKind::Ticket, "48300001", &ticket)
            .unwrap();
        let run = l.begin_run(RunMode::Migrate, "h").unwrap();
        for (kind, id) in [
            (ObjectKind::Contact, "0f1e2d3c"),
            (ObjectKind::Ticket, "48300001"),
            (ObjectKind::Ticket, "48300002"),
        ] {
            l.mark_queued(&kind, id, &Reason::new("missing_email", "no e-mail"), run)
                .unwrap();
        }
        let queue = l.queue_entries().unwrap();
        let of = |id: &str| {
            queue
                .iter()
                .find(|q| q.source_id == id)
                .and_then(|q| q.context.clone())
        };
        assert_eq!(of("0f1e2d3c"), Some(renamed.clone()));
        assert_eq!(of("48300001"), Some(ticket));
        assert_eq!(of("48300002"), None, "nothing recorded, nothing shown");
        assert_eq!(renamed.identifiers_text(), "WhatsApp: 972501234567");
        // A hand-edited row does not break the listing.
        l.lock()
            .execute("UPDATE queue_context SET context = 'not json'", [])
            .unwrap();
        assert!(
            l.queue_entries()
                .unwrap()
                .iter()
                .all(|q| q.context.is_none())
        );
    }
}
