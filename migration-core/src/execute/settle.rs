//! Creating exactly once: an intent before every create, its completion after, and settling
//! intents whose outcome is unknown by looking the object up (never by creating it again).

use std::future::Future;

use futures::StreamExt;
use intercom_client::models::{SearchQuery, SearchRequest};

use crate::ObjectKind;
use crate::ledger::{Settlement, WriteNeed};
use crate::map::{ContactLookup, PartAuthor, PartPlan};

use super::Exec;

/// Why one record could not be written (recorded in the ledger as its failure reason).
#[derive(Debug, Clone)]
pub(crate) struct RecordFailure(pub(crate) String);

impl From<crate::Error> for RecordFailure {
    fn from(e: crate::Error) -> Self {
        RecordFailure(format!("ledger: {e}"))
    }
}

impl From<intercom_client::Error> for RecordFailure {
    fn from(e: intercom_client::Error) -> Self {
        RecordFailure(format!("Intercom: {e}"))
    }
}

impl From<glassix_client::Error> for RecordFailure {
    fn from(e: glassix_client::Error) -> Self {
        RecordFailure(format!("Glassix: {e}"))
    }
}

/// How [`create_once`] ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Done {
    /// Created now.
    Created(String),
    /// Found by a lookup after an unknown outcome (created by an earlier attempt).
    Found(String),
    /// Already in Intercom with the same source hash.
    Unchanged(String),
    /// Already in Intercom, and the source changed: the caller updates it.
    Update(String),
}

impl Done {
    pub(crate) fn id(&self) -> &str {
        match self {
            Done::Created(t) | Done::Found(t) | Done::Unchanged(t) | Done::Update(t) => t,
        }
    }
}

/// Creates `kind`/`source_id` at most once. `hash` is the source hash compared by
/// [`crate::ledger::Ledger::needs_write`]; `stored` is the hash recorded on completion (the
/// same, or a marker that makes the next run finish an incomplete object).
pub(crate) async fn create_once<C, CF, L, LF>(
    ex: &Exec,
    kind: &ObjectKind,
    source_id: &str,
    hash: &str,
    stored: &str,
    create: C,
    lookup: L,
) -> Result<Done, RecordFailure>
where
    C: FnOnce() -> CF,
    CF: Future<Output = Result<String, intercom_client::Error>>,
    L: Fn() -> LF,
    LF: Future<Output = Result<Option<String>, RecordFailure>>,
{
    match ex.ledger.needs_write(kind, source_id, hash)? {
        WriteNeed::Unchanged { target_id } => return Ok(Done::Unchanged(target_id)),
        WriteNeed::Update { target_id } => return Ok(Done::Update(target_id)),
        WriteNeed::SettleIntent(intent) => match lookup().await? {
            Some(target_id) => {
                ex.ledger.settle_intent(
                    intent.id,
                    Settlement::Found {
                        target_id: target_id.clone(),
                        source_hash: stored.to_owned(),
                    },
                )?;
                return Ok(Done::Found(target_id));
            }
            None => ex.ledger.settle_intent(intent.id, Settlement::NotCreated)?,
        },
        WriteNeed::Create => {}
    }
    let intent = ex.ledger.record_intent(kind, source_id, hash, ex.run)?;
    ex.wrote();
    match create().await {
        Ok(target_id) => {
            ex.ledger.complete_intent(intent.id, &target_id, stored)?;
            Ok(Done::Created(target_id))
        }
        Err(intercom_client::Error::OutcomeUnknown { reason, .. }) => match lookup().await? {
            Some(target_id) => {
                ex.ledger.settle_intent(
                    intent.id,
                    Settlement::Found {
                        target_id: target_id.clone(),
                        source_hash: stored.to_owned(),
                    },
                )?;
                Ok(Done::Found(target_id))
            }
            None => {
                ex.ledger.settle_intent(intent.id, Settlement::NotCreated)?;
                Err(RecordFailure(format!(
                    "the create's outcome was unknown ({reason}) and the object was not found; \
                     it will be created on the next run"
                )))
            }
        },
        Err(e) => {
            // An answered error: the create did not happen.
            ex.ledger.settle_intent(intent.id, Settlement::NotCreated)?;
            Err(e.into())
        }
    }
}

/// The contact that one of `lookups` finds (external id, then e-mail, then the original-id
/// attribute).
pub(crate) async fn find_contact(
    ex: &Exec,
    lookups: &[ContactLookup],
) -> Result<Option<String>, RecordFailure> {
    let contacts = ex.intercom.contacts();
    for l in lookups {
        let found = match l {
            ContactLookup::ExternalId(x) => contacts.find_by_external_id(x).await?.map(|c| c.id),
            ContactLookup::Email(e) => contacts
                .search_by_email(e)
                .await?
                .into_iter()
                .next()
                .map(|c| c.id),
            ContactLookup::CustomAttribute { name, value } => {
                let q = SearchRequest::new(SearchQuery::eq(
                    format!("custom_attributes.{name}"),
                    value.clone(),
                ));
                let mut s = contacts.search(&q, Some(5));
                match s.next().await {
                    Some(c) => Some(c?.id),
                    None => None,
                }
            }
        };
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The ticket carrying `glassix_ticket_id = ticket_id`.
pub(crate) async fn find_ticket(
    ex: &Exec,
    ticket_id: i64,
) -> Result<Option<String>, RecordFailure> {
    let q = SearchRequest::new(SearchQuery::eq(
        format!("custom_attributes.{}", crate::map::ATTR_TICKET_ID),
        ticket_id,
    ));
    let mut s = ex.intercom.tickets().search(&q, Some(5));
    match s.next().await {
        Some(t) => Ok(Some(t?.id)),
        None => Ok(None),
    }
}

/// The conversation of `contact_id` created at `created_at` (its attributes are written only
/// at the end, so the contact and the backdated creation time identify it).
pub(crate) async fn find_conversation(
    ex: &Exec,
    ticket_id: i64,
    created_at: Option<i64>,
) -> Result<Option<String>, RecordFailure> {
    let q = SearchRequest::new(SearchQuery::eq(
        format!("custom_attributes.{}", crate::map::ATTR_TICKET_ID),
        ticket_id,
    ));
    let mut s = ex.intercom.conversations().search(&q, Some(5));
    if let Some(c) = s.next().await {
        return Ok(Some(c?.id));
    }
    let Some(at) = created_at else {
        return Ok(None);
    };
    let q = SearchRequest::new(SearchQuery::eq("created_at", at));
    let found: Vec<_> = ex
        .intercom
        .conversations()
        .search(&q, Some(20))
        .take(20)
        .collect()
        .await;
    let mut ids = Vec::new();
    for c in found {
        ids.push(c?.id);
    }
    // Only a unique match is trusted; otherwise the create is repeated on the next run.
    Ok(if ids.len() == 1 { ids.pop() } else { None })
}

/// Whether an Intercom part is the one `plan` describes: same creation time, same author and
/// the same text (bodies are compared without markup and white space).
pub(crate) fn part_matches(
    plan: &PartPlan,
    created_at: Option<i64>,
    author_id: Option<&str>,
    body: Option<&str>,
) -> bool {
    if created_at != Some(plan.created_at) {
        return false;
    }
    let want_author = match &plan.author {
        PartAuthor::Admin(id) => id.as_str(),
        PartAuthor::Contact(c) => c.id.as_str(),
    };
    if author_id.is_some_and(|a| a != want_author) {
        return false;
    }
    let norm = |s: &str| -> String {
        crate::map::html_to_text(s)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    match body {
        Some(b) => norm(b) == norm(&plan.body),
        None => true,
    }
}

/// Marks a record failed, unless a create of it is still unsettled (an open intent, e.g. when
/// the look-up itself failed): that record stays `intent`, so that the next run looks it up
/// instead of creating it again (until then the counts show it unaccounted).
pub(crate) fn mark_failed(ex: &Exec, kind: &ObjectKind, source_id: &str, message: &str) {
    let open = ex
        .ledger
        .lookup(kind, source_id)
        .ok()
        .flatten()
        .is_some_and(|r| r.status == crate::ledger::ObjectStatus::Intent);
    if !open {
        let _ = ex.ledger.mark_failed(kind, source_id, message, ex.run);
    }
}
