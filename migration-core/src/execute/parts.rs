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

/// Reads the ticket or conversation back and finds the part `p` describes.
async fn find_part(
    ex: &Exec,
    target_kind: TicketTarget,
    target: &str,
    p: &PartPlan,
) -> Result<Option<String>, RecordFailure> {
    Ok(match target_kind {
        TicketTarget::Tickets => ex
            .intercom
            .tickets()
            .get(target)
            .await?
            .ticket_parts
            .map(|l| l.ticket_parts)
            .unwrap_or_default()
            .into_iter()
            .find(|x| {
                part_matches(
                    p,
                    x.created_at,
                    x.author.as_ref().and_then(|a| a.id.as_deref()),
                    x.body.as_deref(),
                )
            })
            .map(|x| x.id),
        TicketTarget::Conversations => ex
            .intercom
            .conversations()
            .get(target)
            .await?
            .parts()
            .iter()
            .find(|x| {
                part_matches(
                    p,
                    x.created_at,
                    x.author.as_ref().and_then(|a| a.id.as_deref()),
                    x.body.as_deref(),
                )
            })
            .map(|x| x.id.clone()),
    })
}
