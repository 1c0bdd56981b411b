//! A ticket's parts, strictly in order: each registered in the ledger, created once (intent
//! first), and on an unknown outcome looked up by reading the ticket back (matched by
//! `created_at`, author and body).

use glassix_client::models::Ticket;

use crate::ObjectKind;
use crate::hashing::source_hash;
use crate::ledger::{ObjectStatus, Origin, PartRecord, WriteNeed};
use crate::map::{PartPlan, TicketPlan};
use crate::progress::RecordOutcome;
use crate::spec::TicketTarget;

use super::settle::{Done, RecordFailure, create_once, part_matches};
use super::{Event, EventResult, Exec, attachments};

/// Writes every part of `plan` not written yet, in order. Stops at the first failure (the
/// part is marked failed; later parts wait for the next run, so the order is kept).
pub(crate) async fn write_all(
    ex: &Exec,
    dept: &glassix_client::Department,
    ticket: &Ticket,
    plan: &TicketPlan,
    target: &str,
    events: &mut Vec<Event>,
) -> Result<(), RecordFailure> {
    for p in &plan.parts {
        let key = p.ledger_key();
        match one(ex, dept, ticket, plan, p, target).await {
            Ok(o) => events.push(Event {
                kind: ObjectKind::Part,
                source_id: key,
                result: EventResult::Done(o),
            }),
            Err(e) => {
                super::settle::mark_failed(ex, &ObjectKind::Part, &key, &e.0);
                events.push(Event {
                    kind: ObjectKind::Part,
                    source_id: key.clone(),
                    result: EventResult::Failed(e.0.clone()),
                });
                return Err(RecordFailure(format!("part {key}: {}", e.0)));
            }
        }
    }
    Ok(())
}

async fn one(
    ex: &Exec,
    dept: &glassix_client::Department,
    ticket: &Ticket,
    plan: &TicketPlan,
    p: &PartPlan,
    target: &str,
) -> Result<RecordOutcome, RecordFailure> {
    let key = p.ledger_key();
    let hash = source_hash(p)?;
    let rec = PartRecord {
        ticket_source_id: plan.source_id.clone(),
        transaction_guid: key.clone(),
        target_part_id: None,
        position: i64::from(p.position),
        status: ObjectStatus::Pending,
    };
    ex.ledger.record_part(&rec, &hash, ex.run)?;
    match ex.ledger.needs_write(&ObjectKind::Part, &key, &hash)? {
        WriteNeed::Unchanged { .. } => return Ok(RecordOutcome::Unchanged),
        WriteNeed::Update { target_id } => {
            // A written message cannot be edited: the new hash is recorded, the part kept.
            ex.ledger.mark_migrated(
                &ObjectKind::Part,
                &key,
                &target_id,
                &hash,
                Origin::Created,
                ex.run,
            )?;
            return Ok(RecordOutcome::Unchanged);
        }
        WriteNeed::Create | WriteNeed::SettleIntent(_) => {}
    }
    let files = attachments::files(ex, dept, ticket, plan, p).await;
    let done = create_once(
        ex,
        &ObjectKind::Part,
        &key,
        &hash,
        &hash,
        || async {
            match plan.target {
                TicketTarget::Tickets => ex
                    .intercom
                    .tickets()
                    .reply(target, &p.to_ticket_reply(files))
                    .await
                    .map(|part| part.id),
                TicketTarget::Conversations => {
                    let c = ex
                        .intercom
                        .conversations()
                        .reply(target, &p.to_conversation_reply(files))
                        .await?;
                    let parts = c.parts();
                    Ok(parts
                        .iter()
                        .rev()
                        .find(|x| x.created_at == Some(p.created_at))
                        .or(parts.last())
                        .map(|x| x.id.clone())
                        .unwrap_or_default())
                }
            }
        },
        || find_part(ex, plan.target, target, p),
    )
    .await?;
    Ok(match done {
        Done::Created(_) | Done::Found(_) => RecordOutcome::Created,
        Done::Unchanged(_) | Done::Update(_) => RecordOutcome::Unchanged,
    })
}

/// A part as read back: id, `created_at`, author id, body.
type ReadPart = (String, Option<i64>, Option<String>, Option<String>);

/// Reads the ticket or conversation back and finds the part `p` describes.
///
/// Intercom returns only the 500 most recent parts of a conversation or ticket. Parts are written
/// in order, so the part being settled is normally the newest and always among them; but if
/// more than 500 parts were added after it (replies, workflows firing on the imported object),
/// it is out of sight. When the read is cut short (`total_count` above what came back) and the
/// part is not among those returned, the look-up cannot tell whether the part was written: it
/// answers an error, so the intent stays open and the part is never sent twice, instead of
/// `None` ("not written"), which would re-send it.
async fn find_part(
    ex: &Exec,
    target_kind: TicketTarget,
    target: &str,
    p: &PartPlan,
) -> Result<Option<String>, RecordFailure> {
    let (parts, total): (Vec<ReadPart>, Option<u64>) = match target_kind {
        TicketTarget::Tickets => {
            let list = ex.intercom.tickets().get(target).await?.ticket_parts;
            let total = list.as_ref().and_then(|l| l.total_count);
            let parts = list
                .map(|l| l.ticket_parts)
                .unwrap_or_default()
                .into_iter()
                .map(|x| (x.id, x.created_at, x.author.and_then(|a| a.id), x.body))
                .collect();
            (parts, total)
        }
        TicketTarget::Conversations => {
            let c = ex.intercom.conversations().get(target).await?;
            let total = c.conversation_parts.as_ref().and_then(|l| l.total_count);
            let parts = c
                .parts()
                .iter()
                .map(|x| {
                    let author = x.author.as_ref().and_then(|a| a.id.clone());
                    (x.id.clone(), x.created_at, author, x.body.clone())
                })
                .collect();
            (parts, total)
        }
    };
    let found = parts
        .iter()
        .find(|(_, created_at, author, body)| {
            part_matches(p, *created_at, author.as_deref(), body.as_deref())
        })
        .map(|(id, ..)| id.clone());
    match (found, total) {
        (Some(id), _) => Ok(Some(id)),
        (None, Some(total)) if total > parts.len() as u64 => Err(RecordFailure(format!(
            "cannot tell whether part {} (position {}) of {target} was written: Intercom returns \
             only {} of its {total} parts. Check the end of {target} in Intercom; the part stays \
             unsettled in the ledger and is never sent twice",
            p.source_transaction_guid,
            p.position,
            parts.len()
        ))),
        (None, _) => Ok(None),
    }
}
