//! A ticket's parts, strictly in order: each registered in the ledger, created once (intent
//! first), and on an unknown outcome looked up by reading the ticket back (matched by
//! `created_at`, author and body).

use std::sync::atomic::{AtomicBool, Ordering};

use glassix_client::models::Ticket;

use crate::ObjectKind;
use crate::hashing::source_hash;
use crate::ledger::{ObjectStatus, PartNeeds, PartRecord};
use crate::map::{FieldNote, PartPlan, TicketPlan};
use crate::outcome::{Failure, Outcome, Retry, Write};

use super::attachments;
use super::error::{ExecError, Fault};
use super::recorder::RecordEnd;
use super::settle::{Created, OnDiskFirst, Once, keep, part_matches, upsert_once};
use super::state::RunState;

/// What writing a ticket's parts came to.
pub(crate) struct PartsWritten {
    /// One end per part handled, in order.
    pub(crate) ends: Vec<RecordEnd>,
    /// Notes for the ticket (attachments left out).
    pub(crate) notes: Vec<FieldNote>,
    /// The failure that stopped the parts, if one did (later parts wait for the next run, so
    /// the order is kept).
    pub(crate) failed: Option<Failure>,
}

/// Writes every part of `plan` not written yet, in order, and stops at the first failure.
pub(crate) async fn write_all(
    st: &RunState,
    dept: &glassix_client::Department,
    ticket: &Ticket,
    plan: &TicketPlan,
    target: &str,
) -> Result<PartsWritten, ExecError> {
    let mut out = PartsWritten {
        ends: Vec::new(),
        notes: Vec::new(),
        failed: None,
    };
    // One read for every part of the ticket, instead of one per part.
    let needs = st.ledger.part_needs(&plan.source_id)?;
    let in_flight = InFlight::before_parts(st, plan, &needs).await?;
    let parent = Parent {
        dept,
        ticket,
        plan,
        target,
        in_flight: &in_flight,
        needs: &needs,
    };
    let mut keys_met = std::collections::HashSet::new();
    for p in &plan.parts {
        let key = p.ledger_key();
        // A key met again (a transaction Glassix lists twice) asks the ledger, which holds
        // what the first meeting wrote; the answer read before the first part does not.
        let first_meeting = keys_met.insert(key.clone());
        match one(st, &parent, p, &key, first_meeting, &mut out.notes).await {
            Ok(end) => out.ends.push(end),
            Err(Fault::Record(f)) => {
                out.failed = Some(f.clone().context(format!("part {key}")));
                out.ends
                    .push(RecordEnd::new(ObjectKind::Part, key, Outcome::Failed(f)));
                break;
            }
            Err(Fault::Run(e)) => return Err(*e),
        }
    }
    // Every part this run sent is settled in the ledger: the mark goes, in a write after theirs.
    // Not after a failed part: its create may have landed with its answer lost and the
    // look-up unable to tell (a 5xx on the read, a read cut short), and a part has no intent
    // to say so. The mark stays, marked unsettled, so that the next attempt at this ticket
    // (later in this run, or the next run) looks its unsettled parts up before sending any.
    if in_flight.marked {
        if out.failed.is_none() {
            st.ledger.clear_parts_in_flight(&plan.source_id)?;
        } else {
            st.ledger.mark_parts_unsettled(&plan.source_id)?;
        }
    }
    Ok(out)
}

/// The ticket's parts-in-flight mark while its parts are written
/// ([`crate::ledger::Ledger::mark_parts_in_flight`]).
struct InFlight {
    /// The mark is on disk: put there by this run before its first part, or left by a run
    /// that stopped while sending the ticket's parts.
    marked: bool,
    /// The mark was left by a stopped run and no part has been created by this one yet: a
    /// part not settled in the ledger may still be in Intercom, so it is looked up first.
    /// Parts are sent strictly in order, so once one is not found (and created), none after
    /// it can have been sent.
    uncertain: AtomicBool,
}

impl InFlight {
    /// Reads the mark a stopped run left, or puts this run's on disk when a part of the plan
    /// is not migrated yet (and so may be sent), awaiting its commit.
    async fn before_parts(
        st: &RunState,
        plan: &TicketPlan,
        needs: &PartNeeds,
    ) -> Result<Self, ExecError> {
        match st.ledger.parts_in_flight(&plan.source_id)? {
            // Put on disk by this run (with the ticket's create intent, or below): every mark
            // is written by an awaited commit, and nothing of this run's is lost in between (a
            // part of this run whose outcome stayed unknown made the mark unsettled).
            Some(mark) if mark.settled_for(st.run) => {
                return Ok(InFlight {
                    marked: true,
                    uncertain: AtomicBool::new(false),
                });
            }
            Some(_) => {
                return Ok(InFlight {
                    marked: true,
                    uncertain: AtomicBool::new(true),
                });
            }
            None => {}
        }
        let to_send = !needs.all_migrated(plan.parts.iter().map(PartPlan::ledger_key));
        if to_send {
            st.ledger
                .mark_parts_in_flight(&plan.source_id, st.run)
                .await?;
        }
        Ok(InFlight {
            marked: to_send,
            uncertain: AtomicBool::new(false),
        })
    }
}

/// Registers the conversation's opening message (the conversation itself) as its first part,
/// under the key `<guid>#opening`: the opening transaction's attachments, which a new
/// conversation cannot take, follow as a reply under the transaction's own key.
pub(crate) fn opening_part(
    st: &RunState,
    plan: &TicketPlan,
    guid: &str,
    target: &str,
) -> Result<RecordEnd, Fault> {
    let key = format!("{guid}#opening");
    let rec = PartRecord {
        ticket_source_id: plan.source_id.clone(),
        transaction_guid: key.clone(),
        target_part_id: Some(target.to_owned()),
        position: -1,
        status: ObjectStatus::Pending,
    };
    let h = source_hash(guid)?;
    st.ledger.record_part(&rec, &h, st.run)?;
    Ok(RecordEnd::new(ObjectKind::Part, key, Outcome::created(target)).hash(h))
}

/// The ticket (or conversation) whose parts [`one`] writes.
struct Parent<'a> {
    dept: &'a glassix_client::Department,
    ticket: &'a Ticket,
    plan: &'a TicketPlan,
    /// Its Intercom id.
    target: &'a str,
    in_flight: &'a InFlight,
    /// The ledger's rows of the ticket's parts, read once before the first.
    needs: &'a PartNeeds,
}

async fn one(
    st: &RunState,
    parent: &Parent<'_>,
    p: &PartPlan,
    key: &str,
    first_meeting: bool,
    notes: &mut Vec<FieldNote>,
) -> Result<RecordEnd, Fault> {
    let Parent {
        dept,
        ticket,
        plan,
        target,
        in_flight,
        needs,
    } = *parent;
    let kind = ObjectKind::Part;
    let hash = source_hash(p)?;
    let rec = PartRecord {
        ticket_source_id: plan.source_id.clone(),
        transaction_guid: key.to_owned(),
        target_part_id: None,
        position: i64::from(p.position),
        status: ObjectStatus::Pending,
    };
    // A part the ledger has no row for (every part of a first run) is registered with its
    // outcome, in one write after its create: nothing of it needs to be on disk before the
    // create is sent, its ticket's parts-in-flight mark is. Any other part is registered first
    // (its position kept up to date), as the outcome's write expects a row.
    let register_with_outcome = first_meeting && !needs.has_row(key);
    if !register_with_outcome {
        st.ledger.record_part(&rec, &hash, st.run)?;
    }
    let left_out_notes = std::sync::Mutex::new(Vec::new());
    let outcome = upsert_once(
        st,
        Once {
            on_disk_first: OnDiskFirst::ParentMark {
                look_first: in_flight.uncertain.load(Ordering::Relaxed),
            },
            known: if first_meeting {
                needs.need(key, &hash)
            } else {
                None
            },
            register: register_with_outcome.then_some(&rec),
            ..Once::new(&kind, key, &hash, &hash)
        },
        || async {
            let (files, left_out) = attachments::files(dept, ticket, p).await;
            *left_out_notes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = left_out;
            st.target
                .reply(&st.writer, target, p, files)
                .await
                .map(Created::from)
        },
        || find_part(st, plan, target, p),
        keep,
    )
    .await;
    notes.extend(
        left_out_notes
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    // Created or found: registered with its outcome. Any other end (a failure, a skip) is
    // recorded by the recorder on the part's row, which is written now.
    if register_with_outcome
        && !matches!(outcome, Ok(Outcome::Migrated { .. }) | Err(Fault::Run(_)))
    {
        st.ledger.record_part(&rec, &hash, st.run)?;
    }
    let outcome = outcome?;
    if matches!(
        outcome,
        Outcome::Migrated {
            write: Write::Created,
            ..
        }
    ) {
        in_flight.uncertain.store(false, Ordering::Relaxed);
    }
    if let Outcome::Migrated {
        target_id,
        write: Write::Found | Write::Adopted,
    } = &outcome
    {
        // Found by a look-up (its answer was lost, or a stopped run sent it): the writer saw no
        // answer, so what `verify` compares is recorded here, from the plan. Which files the
        // lost send carried is not known: the attachments are left out of the comparison.
        let mut fields = crate::verify::expect::part(p, &[]);
        fields.remove("attachments");
        fields.remove("attachment_names");
        st.writer.expected(
            ObjectKind::Part,
            target_id,
            Some((target, i64::from(p.position))),
            fields,
        );
    }
    Ok(match outcome {
        // A written message cannot be edited: the new hash is recorded, the part kept.
        Outcome::Migrated {
            target_id,
            write: Write::Updated,
        } => RecordEnd::new(kind, key, Outcome::Unchanged { target_id }).hash(hash),
        o => RecordEnd::new(kind, key, o),
    })
}

/// Reads the ticket or conversation back and finds the part `p` describes.
///
/// Intercom returns only the 500 most recent parts of a conversation or ticket. When the read is
/// cut short (`total_count` above what came back) and the part is not among those returned, the
/// evidence decides: parts are written strictly in order, one at a time, so a part whose create
/// is being settled would be newer than every part the ledger records for this ticket. If the
/// newest part Intercom returns is the last part the ledger records, nothing was written after
/// it: the part was not written (`None`, and it is sent again). When a *later* part of the plan
/// is among those read back, this one was written before it (e.g. an adopted ticket's early
/// parts). Otherwise (parts the migration did not write came after it, e.g. a workflow's
/// replies) the look-up cannot tell: it answers an error, so the intent stays open and the part
/// is never sent twice.
async fn find_part(
    st: &RunState,
    plan: &TicketPlan,
    target: &str,
    p: &PartPlan,
) -> Result<Option<String>, Fault> {
    let read = st.target.read_parts(&st.intercom, target).await?;
    let found = read
        .parts
        .iter()
        .find(|x| part_matches(p, x.created_at, x.author_id.as_deref(), x.body.as_deref()))
        .map(|x| x.id.clone());
    if let Some(id) = found {
        return Ok(Some(id));
    }
    let cut_short = read
        .total
        .is_some_and(|total| total > read.parts.len() as u64);
    if !cut_short {
        return Ok(None);
    }
    let last_recorded = st
        .ledger
        .parts_for(&plan.source_id)?
        .into_iter()
        .filter(|r| r.status == ObjectStatus::Migrated && r.position >= 0)
        .max_by_key(|r| r.position)
        .and_then(|r| r.target_part_id);
    let newest = read.parts.last().map(|x| x.id.as_str());
    if newest.is_some() && newest == last_recorded.as_deref() {
        return Ok(None);
    }
    // A later part of the plan among those read back proves this one was written (in order)
    // before it: it is older than the read window. Its id cannot be read; it is recorded under
    // `<object id>#part<position>` (parts are never deleted one by one, so nothing needs it).
    let later_seen = plan
        .parts
        .iter()
        .filter(|q| q.position > p.position)
        .any(|q| {
            read.parts
                .iter()
                .any(|x| part_matches(q, x.created_at, x.author_id.as_deref(), x.body.as_deref()))
        });
    if later_seen {
        return Ok(Some(format!("{target}#part{}", p.position)));
    }
    Err(Fault::Record(Failure {
        message: format!(
            "cannot tell whether part {} (position {}) of {target} was written: Intercom returns \
             only {} of its {} parts, and its newest part is not the last one the migration \
             wrote. Check the end of {target} in Intercom; the part stays unsettled in the ledger \
             and is never sent twice",
            p.source_transaction_guid,
            p.position,
            read.parts.len(),
            read.total.unwrap_or_default()
        ),
        retry: Retry::Unsettled,
    }))
}
