//! Creating exactly once: an intent before every create, its completion after, and settling
//! intents whose outcome is unknown by looking the object up (never by creating it again).

use std::future::Future;

use futures::StreamExt;
use intercom_client::models::{SearchQuery, SearchRequest};

use crate::ObjectKind;
use crate::ledger::{IntentId, Origin, Reason, Settlement, WriteNeed};
use crate::map::{ContactLookup, PartAuthor, PartPlan};
use crate::outcome::{Failure, Outcome, Retry, Write};

use super::error::Fault;
use super::state::RunState;

/// What a create answered: the new object's id, and whether it is an object that existed
/// before (Intercom answered with it instead of creating one).
pub(crate) struct Created {
    pub(crate) id: String,
    pub(crate) reused: bool,
}

impl From<String> for Created {
    fn from(id: String) -> Self {
        Created { id, reused: false }
    }
}

/// One record to bring into Intercom once: its kind, source id, the hash compared by
/// [`crate::ledger::Ledger::needs_write`], and the hash recorded when the create completes (the
/// same, or a marker that makes the next run finish an incomplete object).
pub(crate) struct Once<'a> {
    pub(crate) kind: &'a ObjectKind,
    pub(crate) source_id: &'a str,
    pub(crate) hash: &'a str,
    pub(crate) stored: &'a str,
}

/// Creates the record at most once, or reports it unchanged, or — when its source changed since
/// it was migrated — answers `Migrated { write: Updated }` after `update` brought it up to date
/// (the caller records the new hash through the recorder).
///
/// - unchanged in the ledger → `Unchanged`;
/// - an open intent (a create whose answer was lost) → `lookup` first: found → `Found`;
/// - otherwise an intent is recorded, `create` sent, and the intent completed (`Created`, or
///   `Reused` when the create answered with an object that existed before); a lost answer is
///   settled by `lookup`; an answered error abandons the intent (the create did not happen);
/// - a create that did not happen because of a passing fault (a 5xx, a lost answer whose object
///   is not found) is sent again within the run, up to [`CREATE_ATTEMPTS`] times with a pause
///   that doubles from 100 ms; a refusal (4xx) is not.
pub(crate) async fn upsert_once<C, CF, L, LF, U, UF>(
    st: &RunState,
    once: Once<'_>,
    create: C,
    lookup: L,
    update: U,
) -> Result<Outcome, Fault>
where
    C: Fn() -> CF,
    CF: Future<Output = Result<Created, intercom_client::Error>>,
    L: Fn() -> LF,
    LF: Future<Output = Result<Option<String>, Fault>>,
    U: FnOnce(String) -> UF,
    UF: Future<Output = Result<(), Fault>>,
{
    let Once {
        kind,
        source_id,
        hash,
        stored,
    } = &once;
    match st.ledger.needs_write(kind, source_id, hash)? {
        WriteNeed::Unchanged { target_id } => return Ok(Outcome::Unchanged { target_id }),
        WriteNeed::Update { target_id } => {
            update(target_id.clone()).await?;
            return Ok(Outcome::Migrated {
                target_id,
                write: Write::Updated,
            });
        }
        WriteNeed::SettleIntent(intent) => match lookup().await? {
            Some(target_id) => return found(st, intent.id, target_id, stored, Write::Found),
            None => st.ledger.settle_intent(intent.id, Settlement::NotCreated)?,
        },
        WriteNeed::Create if st.adopt => {
            // A lost or new ledger: this migration may have created the object already.
            if let Some(target_id) = lookup().await? {
                let intent = st.ledger.record_intent(kind, source_id, hash, st.run)?;
                return found(st, intent.id, target_id, stored, Write::Adopted);
            }
            if st.recovering {
                return Ok(Outcome::Skipped(Reason::new(
                    NOT_IN_INTERCOM,
                    "`recover` found no object for this record in Intercom; `migrate` creates it",
                )));
            }
        }
        WriteNeed::Create => {}
    }
    let mut attempt = 1;
    loop {
        let failure = match create_attempt(st, &once, &create, &lookup).await? {
            Ok(outcome) => return Ok(outcome),
            Err(f) => f,
        };
        // A create that did not happen and met a passing fault is sent again within the run,
        // after a pause, a bounded number of times; then the record is given up for this run.
        if failure.retry != Retry::Transient || attempt >= CREATE_ATTEMPTS {
            return Err(Fault::Record(failure));
        }
        tracing::debug!(kind = %kind, source_id, attempt, "create not made ({failure}); sending it again");
        tokio::time::sleep(retry_pause(attempt)).await;
        attempt += 1;
    }
}

/// How many times a create that did not happen is sent within one run.
pub(crate) const CREATE_ATTEMPTS: u32 = 4;

/// The pause before create attempt `attempt + 1`: 100 ms, doubled each time.
fn retry_pause(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(100 * 2u64.pow(attempt.saturating_sub(1).min(6)))
}

/// One create attempt: intent, create, completion; a lost answer settled by look-up. `Ok(Err)`
/// is a create that did not happen (the intent is abandoned), with its failure.
async fn create_attempt<C, CF, L, LF>(
    st: &RunState,
    k: &Once<'_>,
    create: &C,
    lookup: &L,
) -> Result<Result<Outcome, Failure>, Fault>
where
    C: Fn() -> CF,
    CF: Future<Output = Result<Created, intercom_client::Error>>,
    L: Fn() -> LF,
    LF: Future<Output = Result<Option<String>, Fault>>,
{
    // On disk before the create is sent: awaited, committed with the other tickets' intents.
    let intent = st
        .ledger
        .record_intent_durable(k.kind, k.source_id, k.hash, st.run)
        .await?;
    match create().await {
        Ok(Created { id, reused }) => {
            let (origin, write) = if reused {
                (Origin::Reused, Write::Reused)
            } else {
                (Origin::Created, Write::Created)
            };
            st.ledger
                .complete_intent_as(intent.id, &id, k.stored, origin)?;
            Ok(Ok(Outcome::Migrated {
                target_id: id,
                write,
            }))
        }
        Err(intercom_client::Error::OutcomeUnknown { reason, .. }) => match lookup().await? {
            Some(target_id) => Ok(Ok(found(st, intent.id, target_id, k.stored, Write::Found)?)),
            None => {
                st.ledger.settle_intent(intent.id, Settlement::NotCreated)?;
                Ok(Err(Failure {
                    message: format!(
                        "the create's outcome was unknown ({reason}) and the object was not \
                         found; it will be created again"
                    ),
                    retry: Retry::Transient,
                }))
            }
        },
        Err(e) => {
            // An answered error: the create did not happen.
            st.ledger.settle_intent(intent.id, Settlement::NotCreated)?;
            Ok(Err(Failure::from_intercom(&e)))
        }
    }
}

/// Settles `intent` with the object a look-up found, recorded with `stored` as its hash.
fn found(
    st: &RunState,
    intent: IntentId,
    target_id: String,
    stored: &str,
    write: Write,
) -> Result<Outcome, Fault> {
    st.ledger.settle_intent(
        intent,
        Settlement::Found {
            target_id: target_id.clone(),
            source_hash: stored.to_owned(),
        },
    )?;
    Ok(Outcome::Migrated { target_id, write })
}

/// An object created once and kept: a changed source is not an update (attribute definitions,
/// tags, collections, articles: updating them is the delta's work).
pub(crate) fn kept(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Migrated {
            target_id,
            write: Write::Updated,
        } => Outcome::Unchanged { target_id },
        o => o,
    }
}

/// The reason code of a record `recover` did not find in Intercom.
pub(crate) const NOT_IN_INTERCOM: &str = "not_in_intercom";

/// An `update` for [`upsert_once`] that writes nothing: the object is kept as it is (a part
/// cannot be edited; a changed attribute definition, tag, collection or article is kept).
pub(crate) async fn keep(_target: String) -> Result<(), Fault> {
    Ok(())
}

/// The contact that one of `lookups` finds (external id, then e-mail, then the original-id
/// attribute).
pub(crate) async fn find_contact(
    client: &intercom_client::Client,
    lookups: &[ContactLookup],
) -> Result<Option<String>, Fault> {
    let contacts = client.contacts();
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
