//! Tickets, streamed: list → get → contacts → map → create → parts in order → finishing ops.
//! At most `concurrency` tickets are in flight; the listing is pulled only as tasks finish,
//! so memory does not grow with the number of tickets.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use glassix_client::TicketQuery;
use glassix_client::models::Ticket;

use crate::ObjectKind;
use crate::accounting::{Accounting, Outcome};
use crate::hashing::source_hash;
use crate::ledger::{ObjectStatus, Origin, PartRecord, Reason};
use crate::map::{CreateRequest, FieldNote, MapContext, Mapped, TicketPlan};
use crate::progress::{ProgressEvent, ProgressSender, RecordOutcome, StepProgress};
use crate::spec::TicketTarget;

use super::result::tally;
use super::settle::{Done, RecordFailure, create_once, find_conversation, find_ticket};
use super::{Event, EventResult, Exec, ExecError, ExecResult, contacts, parts, stable_hash};

/// The ledger kind of tickets under this spec.
pub(crate) fn ticket_kind(ex: &Exec) -> ObjectKind {
    match ex.spec.objects.tickets {
        TicketTarget::Tickets => ObjectKind::Ticket,
        TicketTarget::Conversations => ObjectKind::Conversation,
    }
}

/// Ledger kind of a conversation's finishing actions (assign, close, snooze), so that a resumed
/// run does not repeat one.
pub(crate) fn action_kind() -> ObjectKind {
    ObjectKind::Other("conversation_action".to_owned())
}

/// Which tickets a run reads, and how many it expects (for the ETA).
pub(crate) struct Window {
    pub(crate) since: DateTime<Utc>,
    pub(crate) until: DateTime<Utc>,
    pub(crate) expected: Option<u64>,
}

/// Streams every department's tickets through [`process`], the departments side by side,
/// `concurrency` tickets at a time in all.
pub(crate) async fn run(
    ex: &Arc<Exec>,
    window: Window,
    concurrency: usize,
    progress: &ProgressSender,
    acc: &mut Accounting,
) -> ExecResult<()> {
    let mut step = StepProgress::start(progress.clone(), "tickets", window.expected);
    let mut query = TicketQuery::new(window.since, window.until);
    query.window = TimeDelta::days(28);
    // Each department has its own key and quota: list and read them side by side, each with
    // its share of the concurrency, so a multi-department workspace is not read one department
    // after another.
    let departments = ex.glassix.departments();
    let per_department = concurrency.div_ceil(departments.len().max(1)).max(1);
    let mut results = futures::stream::select_all(departments.iter().map(|d| {
        let dept = d.clone();
        let ex = ex.clone();
        d.tickets(query.clone())
            .map(move |listed| {
                let ex = ex.clone();
                let dept = dept.clone();
                async move {
                    match listed {
                        Ok(t) => Ok(process(&ex, &dept, t.id).await),
                        Err(e) => Err(e),
                    }
                }
            })
            .buffer_unordered(per_department)
            .boxed()
    }));
    let mut listing_error = None;
    while let Some(r) = results.next().await {
        match r {
            Ok(events) => {
                for e in events {
                    if e.kind == ticket_kind(ex) {
                        apply(&mut step, acc, e);
                    } else {
                        side_event(progress, acc, e);
                    }
                }
            }
            Err(e) => {
                progress.send(ProgressEvent::Error {
                    step: "tickets".to_owned(),
                    kind: None,
                    source_id: None,
                    message: format!("listing tickets: {e}"),
                });
                listing_error = Some(e);
            }
        }
    }
    step.finish();
    match listing_error {
        // The tickets listed were handled; the run must be repeated to reach the others.
        Some(e) => Err(ExecError::Glassix(e)),
        None => Ok(()),
    }
}

/// Counts one event in the step's progress and the run's accounting.
pub(crate) fn apply(step: &mut StepProgress, acc: &mut Accounting, e: Event) {
    match e.result {
        EventResult::Done(o) => {
            step.record(&e.kind, &e.source_id, o);
            tally(acc, &e.kind, &Outcome::Migrated);
        }
        EventResult::Queued(r) => {
            step.queued(&e.kind, &e.source_id, r.clone());
            tally(acc, &e.kind, &Outcome::Queued(r));
        }
        EventResult::Skipped(r) => {
            step.record(&e.kind, &e.source_id, RecordOutcome::Skipped);
            tally(acc, &e.kind, &Outcome::Skipped(r));
        }
        EventResult::Failed(m) => {
            step.failed(&e.kind, &e.source_id, m.clone());
            tally(acc, &e.kind, &Outcome::Failed(m));
        }
    }
}

/// A contact or part handled with a ticket: reported (`RecordDone`, `Queued`, `Error`) and
/// counted, outside the tickets step's rate and ETA (which count tickets).
fn side_event(progress: &ProgressSender, acc: &mut Accounting, e: Event) {
    let step = "tickets".to_owned();
    let (outcome, counted) = match e.result {
        EventResult::Done(o) => (o, Outcome::Migrated),
        EventResult::Queued(r) => {
            progress.send(ProgressEvent::Queued {
                step: step.clone(),
                kind: e.kind.clone(),
                source_id: e.source_id.clone(),
                reason: r.clone(),
            });
            (RecordOutcome::Queued, Outcome::Queued(r))
        }
        EventResult::Skipped(r) => (RecordOutcome::Skipped, Outcome::Skipped(r)),
        EventResult::Failed(m) => {
            progress.send(ProgressEvent::Error {
                step: step.clone(),
                kind: Some(e.kind.clone()),
                source_id: Some(e.source_id.clone()),
                message: m.clone(),
            });
            (RecordOutcome::Failed, Outcome::Failed(m))
        }
    };
    progress.send(ProgressEvent::RecordDone {
        step,
        kind: e.kind.clone(),
        source_id: e.source_id,
        outcome,
    });
    tally(acc, &e.kind, &counted);
}

/// One ticket, to the end. Never fails: every record it touches ends in an [`Event`].
pub(crate) async fn process(ex: &Exec, dept: &glassix_client::Department, id: i64) -> Vec<Event> {
    let kind = ticket_kind(ex);
    let sid = id.to_string();
    let mut events = Vec::new();
    let result = match one(ex, dept, id, &mut events).await {
        Ok(r) => r,
        Err(e) => {
            // A ticket already created in Intercom keeps its target (it is finished on the next
            // run, never created again); otherwise it is marked failed.
            if !ex.dry_run {
                let created = ex
                    .ledger
                    .lookup(&kind, &sid)
                    .ok()
                    .flatten()
                    .is_some_and(|r| r.status == ObjectStatus::Migrated);
                if created {
                    let _ = ex.ledger.add_note(
                        &FieldNote::warning("", format!("incomplete: {}", e.0))
                            .to_lossy_note(kind.clone(), &sid),
                        ex.run,
                    );
                } else {
                    super::settle::mark_failed(ex, &kind, &sid, &e.0);
                }
            }
            EventResult::Failed(e.0)
        }
    };
    events.push(Event {
        kind,
        source_id: sid,
        result,
    });
    events
}

async fn one(
    ex: &Exec,
    dept: &glassix_client::Department,
    id: i64,
    events: &mut Vec<Event>,
) -> Result<EventResult, RecordFailure> {
    let kind = ticket_kind(ex);
    let sid = id.to_string();
    let ticket = dept.ticket(id).await?;
    let hash = stable_hash(&ticket)?;
    if !ex.dry_run {
        if let crate::ledger::WriteNeed::Unchanged { .. } =
            ex.ledger.needs_write(&kind, &sid, &hash)?
        {
            return Ok(EventResult::Done(RecordOutcome::Unchanged));
        }
    }
    let resolved = contacts::resolve(ex, dept, &ticket, events).await;
    let mut directory = ex.directory();
    directory.contacts.extend(resolved);
    let ctx = MapContext::new(&ex.spec, &directory, Utc::now());
    match ex.mappers.tickets.map_ticket(&ticket, &ctx) {
        Mapped::Queue { reason, .. } => {
            let reason: Reason = reason.into();
            if !ex.dry_run {
                ex.ledger.mark_queued(&kind, &sid, &reason, ex.run)?;
            }
            Ok(EventResult::Queued(reason))
        }
        Mapped::Skip { reason } => {
            let reason: Reason = reason.into();
            if !ex.dry_run {
                ex.ledger.mark_skipped(&kind, &sid, &reason, ex.run)?;
            }
            Ok(EventResult::Skipped(reason))
        }
        Mapped::Write { value: plan, notes } => {
            if ex.dry_run {
                dry(ex, &plan, events);
                return Ok(EventResult::Done(RecordOutcome::Created));
            }
            let outcome = write(ex, dept, &ticket, &plan, &hash, &notes, events).await?;
            Ok(EventResult::Done(outcome))
        }
    }
}

/// Dry run: count the writes the plan would make and keep a sample of its create request.
fn dry(ex: &Exec, plan: &TicketPlan, events: &mut Vec<Event>) {
    let kind = ticket_kind(ex);
    let create = match &plan.create {
        CreateRequest::Ticket(r) => serde_json::to_value(r).ok(),
        CreateRequest::Conversation(r) => serde_json::to_value(r).ok(),
    };
    ex.would_write(&kind, create);
    for p in &plan.parts {
        ex.would_write(&ObjectKind::Part, None);
        events.push(Event {
            kind: ObjectKind::Part,
            source_id: p.ledger_key(),
            result: EventResult::Done(RecordOutcome::Created),
        });
    }
    let finish = usize::from(plan.finish.ticket_update.is_some())
        + usize::from(plan.finish.conversation_update.is_some())
        + plan.finish.conversation_actions.len()
        + plan.finish.tags.len();
    for _ in 0..finish {
        ex.would_write(&ObjectKind::Other("finish".to_owned()), None);
    }
}

/// Creates (once) the ticket or conversation, writes its parts in order, then the finishing
/// ops, and records it migrated with its source hash.
async fn write(
    ex: &Exec,
    dept: &glassix_client::Department,
    ticket: &Ticket,
    plan: &TicketPlan,
    hash: &str,
    notes: &[FieldNote],
    events: &mut Vec<Event>,
) -> Result<RecordOutcome, RecordFailure> {
    let kind = ticket_kind(ex);
    let sid = plan.source_id.clone();
    // Until the parts and finishing ops are written, the ledger holds a marker hash, so that
    // the next run resumes this ticket (Update) instead of taking it as done.
    let stored = format!("incomplete:{hash}");
    let created_at = match &plan.create {
        CreateRequest::Ticket(r) => r.created_at,
        CreateRequest::Conversation(r) => r.created_at,
    };
    let done = create_once(
        ex,
        &kind,
        &sid,
        hash,
        &stored,
        || async {
            match &plan.create {
                CreateRequest::Ticket(r) => ex.intercom.tickets().create(r).await.map(|t| t.id),
                CreateRequest::Conversation(r) => ex
                    .intercom
                    .conversations()
                    .create(r)
                    .await
                    .map(|m| m.conversation_id),
            }
        },
        || async {
            match plan.target {
                TicketTarget::Tickets => find_ticket(ex, ticket.id).await,
                TicketTarget::Conversations => find_conversation(ex, ticket.id, created_at).await,
            }
        },
    )
    .await?;
    let target = done.id().to_owned();
    if let Done::Unchanged(_) = done {
        return Ok(RecordOutcome::Unchanged);
    }
    let fresh = matches!(done, Done::Created(_) | Done::Found(_));
    if fresh {
        if let Some(guid) = &plan.create_transaction_guid {
            // The opening message is the conversation itself.
            let rec = PartRecord {
                ticket_source_id: sid.clone(),
                transaction_guid: guid.clone(),
                target_part_id: Some(target.clone()),
                position: -1,
                status: ObjectStatus::Pending,
            };
            let h = source_hash(guid)?;
            ex.ledger.record_part(&rec, &h, ex.run)?;
            ex.ledger.mark_migrated(
                &ObjectKind::Part,
                guid,
                &target,
                &h,
                Origin::Created,
                ex.run,
            )?;
            events.push(Event {
                kind: ObjectKind::Part,
                source_id: guid.clone(),
                result: EventResult::Done(RecordOutcome::Created),
            });
        }
        for n in notes {
            ex.ledger
                .add_note(&n.to_lossy_note(kind.clone(), &sid), ex.run)?;
        }
    }
    parts::write_all(ex, dept, ticket, plan, &target, events).await?;
    finish(ex, plan, &target, fresh).await?;
    ex.ledger
        .mark_migrated(&kind, &sid, &target, hash, Origin::Created, ex.run)?;
    Ok(if fresh {
        RecordOutcome::Created
    } else {
        RecordOutcome::Updated
    })
}

/// The Intercom id of tag `name`, creating the tag when it is new.
pub(crate) async fn tag_id(ex: &Exec, name: &str) -> Result<Option<String>, RecordFailure> {
    let key = name.trim().to_lowercase();
    if key.is_empty() {
        return Ok(None);
    }
    if let Some(id) = ex.directory().tag_id(&key) {
        return Ok(Some(id.to_owned()));
    }
    // One creator per tag: concurrent tickets wait, then find it in the directory.
    let lock = super::contacts::lock_for(ex, &format!("tag:{key}"));
    let _guard = lock.lock().await;
    if let Some(id) = ex.directory().tag_id(&key) {
        return Ok(Some(id.to_owned()));
    }
    super::attributes::ensure_tag(ex, &key, name.trim(), None).await?;
    Ok(ex.directory().tag_id(&key).map(str::to_owned))
}

/// State, assignment, attributes and tags. Updates and tags are idempotent; a conversation's
/// actions (assign, close, snooze) are recorded one by one so that none is repeated. When the
/// ticket existed already (`fresh` false: its source changed, or a run stopped half-way), its
/// attributes are written again with the update.
async fn finish(
    ex: &Exec,
    plan: &TicketPlan,
    target: &str,
    fresh: bool,
) -> Result<(), RecordFailure> {
    let f = &plan.finish;
    if let Some(u) = &f.ticket_update {
        let mut u = u.clone();
        if let (false, CreateRequest::Ticket(c)) = (fresh, &plan.create) {
            u.ticket_attributes = c.ticket_attributes.clone();
        }
        ex.wrote();
        ex.intercom.tickets().update(target, &u).await?;
    }
    if let Some(u) = &f.conversation_update {
        ex.wrote();
        ex.intercom.conversations().update(target, u).await?;
    }
    for (i, action) in f.conversation_actions.iter().enumerate() {
        let key = format!("{}#action{i}", plan.source_id);
        let h = source_hash(&serde_json::to_value(action).unwrap_or_default())?;
        if ex
            .ledger
            .lookup(&action_kind(), &key)?
            .is_some_and(|r| r.status == ObjectStatus::Migrated)
        {
            continue;
        }
        ex.wrote();
        ex.intercom.conversations().act(target, action).await?;
        ex.ledger
            .mark_migrated(&action_kind(), &key, target, &h, Origin::Created, ex.run)?;
    }
    for t in &f.tags {
        let id = match &t.id {
            Some(i) => i.clone(),
            None => match tag_id(ex, &t.name).await? {
                Some(i) => i,
                None => continue,
            },
        };
        ex.wrote();
        match plan.target {
            TicketTarget::Tickets => {
                ex.intercom
                    .tags()
                    .tag_ticket(target, &id, &f.acting_admin)
                    .await?;
            }
            TicketTarget::Conversations => {
                ex.intercom
                    .tags()
                    .tag_conversation(target, &id, &f.acting_admin)
                    .await?;
            }
        }
    }
    Ok(())
}
