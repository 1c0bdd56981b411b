//! Creating exactly once: an intent before every create, its completion after, and settling
//! intents whose outcome is unknown by looking the object up (never by creating it again).

use std::future::Future;

use futures::StreamExt;
use intercom_client::models::{SearchQuery, SearchRequest};

use crate::ObjectKind;
use crate::ledger::{IntentId, Origin, PartRecord, Reason, Settlement, WriteNeed};
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
    /// What is on disk before the create is sent.
    pub(crate) on_disk_first: OnDiskFirst,
    /// What the ledger holds of the record, when the caller read it already (a ticket's parts,
    /// read together): [`crate::ledger::Ledger::needs_write`] is not asked again.
    pub(crate) known: Option<WriteNeed>,
    /// A part the ledger holds no row for ([`OnDiskFirst::ParentMark`] only): its row is
    /// written with its outcome when it is created or found
    /// ([`crate::ledger::Ledger::record_part_migrated`]), one write instead of two. On any
    /// other outcome the caller registers it.
    pub(crate) register: Option<&'a PartRecord>,
}

impl<'a> Once<'a> {
    /// A record whose intent is on disk before its create ([`OnDiskFirst::Intent`]).
    pub(crate) fn new(
        kind: &'a ObjectKind,
        source_id: &'a str,
        hash: &'a str,
        stored: &'a str,
    ) -> Self {
        Once {
            kind,
            source_id,
            hash,
            stored,
            on_disk_first: OnDiskFirst::Intent,
            known: None,
            register: None,
        }
    }
}

/// What is on disk before a create is sent, so that a run that dies after sending it never
/// sends it again (`docs/executor.md` §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnDiskFirst {
    /// The record's own intent, committed (grouped with the intents other tasks record
    /// meanwhile) and the commit awaited; completed or settled after the answer.
    Intent,
    /// A ticket or conversation: its intent, with its parts-in-flight mark in the same commit
    /// ([`crate::ledger::Ledger::record_intent_durable_with_parts`]), so that its parts need no
    /// commit of their own before the first is sent.
    IntentAndPartsMark,
    /// A part: its ticket's parts-in-flight mark
    /// ([`crate::ledger::Ledger::mark_parts_in_flight`]), put on disk before the ticket's first
    /// part is sent. The part has no intent of its own: its outcome is recorded as a grouped
    /// write after the answer. `look_first`: the mark was left by a run that stopped while
    /// sending the ticket's parts, so this part may be in Intercom without a trace in the
    /// ledger: it is looked up before it is created.
    ParentMark {
        /// Look the part up before creating it.
        look_first: bool,
    },
}

/// Creates the record at most once, or reports it unchanged, or — when its source changed since
/// it was migrated — answers `Migrated { write: Updated }` after `update` brought it up to date
/// (the caller records the new hash through the recorder).
///
/// - unchanged in the ledger → `Unchanged`;
/// - an open intent (a create whose answer was lost) → `lookup` first: found → `Found`;
/// - otherwise an intent is recorded, `create` sent, and the intent completed (`Created`, or
///   `Reused` when the create answered with an object that existed before); a lost answer is
///   settled by `lookup`; an answered error abandons the intent (the create did not happen).
///   A part has no intent of its own ([`OnDiskFirst::ParentMark`]): its ticket's
///   parts-in-flight mark is on disk instead, and its outcome is recorded after the answer;
///   with `look_first` it is looked up before it is created;
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
        stored: _,
        on_disk_first,
        known,
        register: _,
    } = &once;
    let look_first = matches!(on_disk_first, OnDiskFirst::ParentMark { look_first: true });
    let need = match known {
        Some(need) => need.clone(),
        None => st.ledger.needs_write(kind, source_id, hash)?,
    };
    match need {
        WriteNeed::Unchanged { target_id } => return Ok(Outcome::Unchanged { target_id }),
        WriteNeed::Update { target_id } => {
            update(target_id.clone()).await?;
            return Ok(Outcome::Migrated {
                target_id,
                write: Write::Updated,
            });
        }
        WriteNeed::SettleIntent(intent) => match lookup().await? {
            Some(target_id) => {
                return found(st, &once, Some(intent.id), target_id, Write::Found);
            }
            None => st.ledger.settle_intent(intent.id, Settlement::NotCreated)?,
        },
        WriteNeed::Create if st.adopt || look_first => {
            // A lost or new ledger: this migration may have created the object already; or a
            // part a stopped run may have sent without a trace in the ledger.
            if let Some(target_id) = lookup().await? {
                let intent = match on_disk_first {
                    OnDiskFirst::Intent | OnDiskFirst::IntentAndPartsMark => {
                        Some(st.ledger.record_intent(kind, source_id, hash, st.run)?.id)
                    }
                    OnDiskFirst::ParentMark { .. } => None,
                };
                let write = if st.adopt {
                    Write::Adopted
                } else {
                    Write::Found
                };
                return found(st, &once, intent, target_id, write);
            }
            if st.adopt && st.recovering {
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

/// One create attempt: intent (unless a parent mark covers it), create, completion; a lost
/// answer settled by look-up. `Ok(Err)` is a create that did not happen (the intent, if any,
/// is abandoned), with its failure.
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
    // On disk before the create is sent: the record's intent, awaited (committed with the
    // other tasks' intents); or, for a part, its ticket's parts-in-flight mark, which
    // `parts::write_all` put on disk before the ticket's first part.
    let intent = match k.on_disk_first {
        OnDiskFirst::Intent => Some(
            st.ledger
                .record_intent_durable(k.kind, k.source_id, k.hash, st.run)
                .await?
                .id,
        ),
        OnDiskFirst::IntentAndPartsMark => Some(
            st.ledger
                .record_intent_durable_with_parts(k.kind, k.source_id, k.hash, st.run)
                .await?
                .id,
        ),
        OnDiskFirst::ParentMark { .. } => None,
    };
    match create().await {
        Ok(Created { id, reused }) => {
            let (origin, write) = if reused {
                (Origin::Reused, Write::Reused)
            } else {
                (Origin::Created, Write::Created)
            };
            match intent {
                Some(intent) => st
                    .ledger
                    .complete_intent_as(intent, &id, k.stored, origin)?,
                None => mark_without_intent(st, k, &id, origin)?,
            }
            Ok(Ok(Outcome::Migrated {
                target_id: id,
                write,
            }))
        }
        Err(intercom_client::Error::OutcomeUnknown { reason, .. }) => match lookup().await? {
            Some(target_id) => Ok(Ok(found(st, k, intent, target_id, Write::Found)?)),
            None => {
                if let Some(intent) = intent {
                    st.ledger.settle_intent(intent, Settlement::NotCreated)?;
                }
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
            if let Some(intent) = intent {
                st.ledger.settle_intent(intent, Settlement::NotCreated)?;
            }
            Ok(Err(Failure::from_intercom(&e)))
        }
    }
}

/// Records the object a look-up found for `k` (hash `k.stored`): settles its intent, or, for a
/// part without one, records it as migrated.
fn found(
    st: &RunState,
    k: &Once<'_>,
    intent: Option<IntentId>,
    target_id: String,
    write: Write,
) -> Result<Outcome, Fault> {
    match intent {
        Some(intent) => st.ledger.settle_intent(
            intent,
            Settlement::Found {
                target_id: target_id.clone(),
                source_hash: k.stored.to_owned(),
            },
        )?,
        None => mark_without_intent(st, k, &target_id, Origin::Created)?,
    }
    Ok(Outcome::Migrated { target_id, write })
}

/// Records `k` (a part, covered by its ticket's mark) as migrated to `target_id`, with its
/// registration when the ledger has no row for it yet.
fn mark_without_intent(
    st: &RunState,
    k: &Once<'_>,
    target_id: &str,
    origin: Origin,
) -> Result<(), Fault> {
    match k.register {
        Some(part) => st
            .ledger
            .record_part_migrated(part, target_id, k.stored, origin, st.run)?,
        None => {
            st.ledger
                .mark_migrated(k.kind, k.source_id, target_id, k.stored, origin, st.run)?
        }
    }
    Ok(())
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
