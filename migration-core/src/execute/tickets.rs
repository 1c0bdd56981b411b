//! The tickets step, one ticket at a time through extract → map → load → record:
//! list → get (extract) → its contacts → map → create once → parts in order → finishing writes
//! → one [`RecordEnd`] per record touched. At most `concurrency` tickets are in flight; the
//! listing is pulled only as tickets finish, so memory does not grow with the number of tickets.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures::StreamExt;
use glassix_client::TicketQuery;
use glassix_client::models::Ticket;
use intercom_client::models::UpdateTicket;
use tracing::Instrument;

use crate::ObjectKind;
use crate::hashing::{source_hash, stable_hash};
use crate::ledger::{ObjectStatus, WriteNeed};
use crate::map::{
    AttributeModel, ContactKey, CreateRequest, FieldNote, MapContext, Mapped, ReasonCode,
    TicketPlan,
};
use crate::outcome::{Outcome, Write};
use crate::plan::StepId;

use super::attributes;
use super::contacts::{self, TicketContacts};
use super::error::{ExecError, ExecResult, Fault};
use super::first::{Claim, Claims, FirstTicket};
use super::parts;
use super::recorder::{RecordEnd, Recorder};
use super::settle::{Created, OnDiskFirst, Once, keep, upsert_once};
use super::state::{ContactState, RunState};
use super::tags::tag_id;

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
    /// A delta: per department id, the start of its listing (its watermark minus the margin),
    /// instead of `since`.
    pub(crate) department_since: std::collections::BTreeMap<String, DateTime<Utc>>,
    /// A delta: a ticket whose listing entry shows the `lastActivity` it was last written with
    /// is not read.
    pub(crate) delta: bool,
    /// Tickets started before the listing reaches them, longest first (see [`super::first`];
    /// not in a delta).
    pub(crate) first: Vec<FirstTicket>,
}

/// Passes over the tickets given up in a run because of a passing fault, after the listing is
/// done: a record given up is retried in the same run, not left for the next.
pub(crate) const RETRY_PASSES: u32 = 2;

/// A ticket given up for now: retried by a later pass of the same run.
struct Held {
    dept: glassix_client::Department,
    id: i64,
    /// Notes of the attempt given up (a fresh create's notes are not produced again).
    notes: Vec<FieldNote>,
}

/// Streams every department's tickets through [`process`], the departments side by side,
/// `concurrency` tickets at a time in all, and records each ticket's ends as it finishes.
/// Tickets that failed because of a passing fault are held and processed again after the
/// listing (up to [`RETRY_PASSES`] more times); only the last attempt's failure is recorded.
pub(crate) async fn run(
    st: &Arc<RunState>,
    rec: &mut Recorder,
    window: Window,
    concurrency: usize,
) -> ExecResult<()> {
    rec.start(StepId::Tickets, Some(st.target.kind()), window.expected);
    let mut query = TicketQuery::new(window.since, window.until);
    query.window = TimeDelta::days(28);
    // Each department has its own key and quota: list and read them side by side, each with
    // its share of the concurrency, so a multi-department workspace is not read one department
    // after another.
    let departments = st.glassix.departments();
    let delta = window.delta;
    // The longest tickets first (not in a delta, which lists what changed): each in a slot of
    // its own, the listing streams share the rest of the concurrency.
    let mut named = std::collections::HashSet::new();
    let first: Vec<(glassix_client::Department, i64)> = if delta {
        Vec::new()
    } else {
        window
            .first
            .iter()
            // A ticket named twice is started once.
            .filter(|f| named.insert(f.id))
            .filter_map(|f| {
                departments
                    .iter()
                    .find(|d| crate::map::guid_key(d.id()) == f.department)
                    .map(|d| (d.clone(), f.id))
            })
            .collect()
    };
    let first_slots = super::first::slots(first.len(), concurrency);
    let first: Vec<_> = first.into_iter().take(first_slots).collect();
    let claims = Arc::new(Claims::new(first.iter().map(|(_, id)| *id)));
    let per_department = concurrency
        .saturating_sub(first_slots)
        .max(1)
        .div_ceil(departments.len().max(1))
        .max(1);
    let listings = departments.iter().map(|d| {
        let dept = d.clone();
        let st = st.clone();
        let claims = claims.clone();
        let dept_id = d.id().to_string();
        let mut query = query.clone();
        if let Some(since) = window.department_since.get(&dept_id) {
            query.since = *since;
        }
        // The watermark: read before the first page is requested (local clock).
        st.delta.listing_starts(dept_id, Utc::now());
        d.tickets(query)
            .map(move |listed| {
                let st = st.clone();
                let dept = dept.clone();
                let claims = claims.clone();
                async move {
                    match listed {
                        Ok(t) => {
                            if claims.taken_by_first(t.id).await {
                                // Started first; its ends are recorded there.
                                return Ok((Ok(Vec::new()), dept, t.id));
                            }
                            let skipped = if delta {
                                super::delta::unchanged_by_listing(&st, &t)
                            } else {
                                Ok(None)
                            };
                            let ends = match skipped {
                                Ok(Some(end)) => Ok(vec![end]),
                                Ok(None) => process(&st, &dept, t.id).await,
                                Err(e) => Err(e),
                            };
                            Ok((ends, dept, t.id))
                        }
                        Err(e) => Err(e),
                    }
                }
            })
            .buffer_unordered(per_department)
            .boxed()
    });
    let (since, until) = (window.since, window.until);
    let firsts = futures::stream::iter(first.into_iter().map(|(dept, id)| {
        let st = st.clone();
        let claims = claims.clone();
        async move {
            let ends = match dept.ticket(id).await {
                Ok(t) if super::first::in_window(&t, since, until) => {
                    claims.decide(id, Claim::Taken);
                    tracing::info!(ticket = id, "started ahead of the listing (longest first)");
                    process_read(&st, &dept, t).await
                }
                Ok(_) => {
                    claims.decide(id, Claim::Left);
                    Ok(Vec::new())
                }
                Err(e) if e.is_not_found() => {
                    claims.decide(id, Claim::Gone);
                    Ok(Vec::new())
                }
                Err(e) => {
                    tracing::debug!(ticket = id, error = %e, "left to the listing");
                    claims.decide(id, Claim::Left);
                    Ok(Vec::new())
                }
            };
            Ok::<_, glassix_client::Error>((ends, dept, id))
        }
    }))
    .buffer_unordered(first_slots.max(1))
    .boxed();
    let mut results = futures::stream::select_all(listings.chain(std::iter::once(firsts)));
    let mut listing_error = None;
    let mut held = Vec::new();
    while let Some(r) = results.next().await {
        match r {
            Ok((ends, dept, id)) => {
                let hold = RETRY_PASSES > 0;
                let ends = ends?;
                let ticket_end = ends.last().filter(|e| !is_held(e, hold));
                if ticket_end.is_some() {
                    st.delta.ended(ticket_end);
                }
                if let Some(h) = record_or_hold(rec, ends, hold, Vec::new(), false)? {
                    held.push(Held { dept, id, notes: h });
                }
            }
            Err(e) => {
                rec.step_error(StepId::Tickets, format!("listing tickets: {e}"));
                listing_error = Some(e);
            }
        }
    }
    drop(results);
    if listing_error.is_none() {
        end_gone(st, rec, &claims)?;
    }
    for pass in 1..=RETRY_PASSES {
        if held.is_empty() {
            break;
        }
        tracing::info!(pass, tickets = held.len(), "retrying the tickets given up");
        tokio::time::sleep(std::time::Duration::from_millis(500 * u64::from(pass))).await;
        // A customer that failed is tried again with its tickets.
        st.forget_failed_contacts();
        let last = pass == RETRY_PASSES;
        let mut again = Vec::new();
        let mut retried = futures::stream::iter(held.into_iter().map(|h| {
            let st = st.clone();
            async move {
                let ends = process(&st, &h.dept, h.id).await;
                (ends, h)
            }
        }))
        .buffer_unordered(concurrency);
        while let Some((ends, h)) = retried.next().await {
            let ends = ends?;
            let ticket_end = ends.last().filter(|e| !is_held(e, !last));
            if ticket_end.is_some() {
                st.delta.ended(ticket_end);
            }
            if let Some(notes) = record_or_hold(rec, ends, !last, h.notes.clone(), true)? {
                again.push(Held { notes, ..h });
            }
        }
        held = again;
    }
    rec.finish(StepId::Tickets);
    match listing_error {
        // The tickets listed were handled; the run must be repeated to reach the others.
        Some(e) => Err(ExecError::Glassix(e)),
        None => Ok(()),
    }
}

/// The tickets started first that Glassix no longer has (404) and no listing reached: each
/// ends `skipped` with the reason, unless the ledger already holds a row for it (an earlier
/// run's outcome is kept).
fn end_gone(st: &RunState, rec: &mut Recorder, claims: &Claims) -> ExecResult<()> {
    let kind = st.target.kind();
    for id in claims.gone_unlisted() {
        let sid = id.to_string();
        if st.ledger.lookup(&kind, &sid)?.is_some() {
            continue;
        }
        let reason = crate::ledger::Reason::new(
            "not_in_source",
            format!(
                "ticket {id} was found by discovery, but Glassix answers 404 for it now and no \
                 department's listing has it (deleted, or moved to a department this migration \
                 does not read); nothing was written. Run `discover` again to refresh the list."
            ),
        );
        rec.record(
            StepId::Tickets,
            RecordEnd::new(kind.clone(), sid, Outcome::Skipped(reason)),
        )?;
    }
    Ok(())
}

/// Whether `ticket`'s end is held for a later pass (a passing failure while holding is allowed).
fn is_held(ticket: &RecordEnd, hold: bool) -> bool {
    hold && matches!(
        &ticket.outcome,
        Outcome::Failed(f) if f.retry != crate::outcome::Retry::Refused
    )
}

/// Records one ticket's ends, or — when `hold` is allowed and the ticket failed because of a
/// passing fault — holds it for a later pass: then only what ended for good is recorded (its
/// migrated contacts and parts), and the ticket's notes are answered to be kept with it. On a
/// retry pass (`retry`), `carried` notes join the ticket's, and records found unchanged are not
/// counted again (they were counted by the earlier pass, or unchanged from an earlier run).
fn record_or_hold(
    rec: &mut Recorder,
    mut ends: Vec<RecordEnd>,
    hold: bool,
    carried: Vec<FieldNote>,
    retry: bool,
) -> ExecResult<Option<Vec<FieldNote>>> {
    let Some(mut ticket) = ends.pop() else {
        return Ok(None);
    };
    let transient = matches!(
        &ticket.outcome,
        Outcome::Failed(f) if f.retry != crate::outcome::Retry::Refused
    );
    let keep = |e: &RecordEnd| {
        let counted_before = retry && matches!(e.outcome, Outcome::Unchanged { .. });
        let retried_later = hold && transient && matches!(e.outcome, Outcome::Failed(_));
        !(counted_before || retried_later)
    };
    for end in ends.into_iter().filter(keep) {
        rec.record(StepId::Tickets, end)?;
    }
    let mut notes = carried;
    notes.append(&mut ticket.notes);
    if hold && transient {
        return Ok(Some(notes));
    }
    ticket.notes = notes;
    rec.record(StepId::Tickets, ticket)?;
    Ok(None)
}

/// One ticket, to the end: the ends of every record it touched (its new contacts, its parts,
/// its finishing actions, and last the ticket itself). Only a fault that stops the run is an
/// error.
pub(crate) async fn process(
    st: &RunState,
    dept: &glassix_client::Department,
    id: i64,
) -> ExecResult<Vec<RecordEnd>> {
    process_source(st, dept, Source::Id(id)).await
}

/// [`process`] of a ticket already read whole.
async fn process_read(
    st: &RunState,
    dept: &glassix_client::Department,
    ticket: Ticket,
) -> ExecResult<Vec<RecordEnd>> {
    process_source(st, dept, Source::Read(Box::new(ticket))).await
}

/// A ticket to process: its id (read it) or the ticket read whole.
enum Source {
    Id(i64),
    Read(Box<Ticket>),
}

impl Source {
    fn id(&self) -> i64 {
        match self {
            Source::Id(id) => *id,
            Source::Read(t) => t.id,
        }
    }
}

async fn process_source(
    st: &RunState,
    dept: &glassix_client::Department,
    source: Source,
) -> ExecResult<Vec<RecordEnd>> {
    let kind = st.target.kind();
    let id = source.id();
    let span = tracing::info_span!("record", kind = %kind, source_id = id);
    async {
        let mut ends = Vec::new();
        let end = match one(st, dept, source, &mut ends).await {
            Ok(end) => end,
            Err(Fault::Record(f)) => RecordEnd::new(kind, id.to_string(), Outcome::Failed(f)),
            Err(Fault::Run(e)) => return Err(*e),
        };
        tracing::debug!(outcome = end.outcome.label(), "ticket done");
        ends.push(end);
        Ok(ends)
    }
    .instrument(span)
    .await
}

/// Extract → map → load for one ticket.
async fn one(
    st: &RunState,
    dept: &glassix_client::Department,
    source: Source,
    ends: &mut Vec<RecordEnd>,
) -> Result<RecordEnd, Fault> {
    let kind = st.target.kind();
    let sid = source.id().to_string();
    let ticket = match source {
        Source::Id(id) => dept.ticket(id).await?,
        Source::Read(t) => *t,
    };
    st.delta
        .read(&dept.id().to_string(), &sid, ticket.last_activity);
    let hash = stable_hash(&ticket)?;
    if let WriteNeed::Unchanged { target_id } = st.ledger.needs_write(&kind, &sid, &hash)? {
        return Ok(RecordEnd::new(kind, sid, Outcome::Unchanged { target_id }));
    }
    let TicketContacts { states, ends: c } = contacts::resolve(st, dept, &ticket).await?;
    // Why each held customer is held (its queue or skip row), for a truthful `missing_contact`.
    let held = held_reasons(st, &states, &c)?;
    ends.extend(c);
    if let Some(failure) = customer_failure(&ticket, &states) {
        return Err(Fault::Record(failure));
    }
    let mut directory = st.directory();
    directory
        .contacts
        .extend(states.into_iter().filter_map(|(sid, s)| match s {
            ContactState::Resolved(c) => Some((sid, c)),
            ContactState::Held | ContactState::Failed(_) => None,
        }));
    let dangling = match ticket.moved_to() {
        Some(to) => !move_target_exists(st, to).await?,
        None => false,
    };
    let ctx = MapContext::new(&st.spec, &directory, Utc::now()).with_dangling_move(dangling);
    match st.mappers.tickets.map_ticket(&ticket, &ctx) {
        Mapped::Queue { reason, .. } if reason.code == ReasonCode::MissingContact => {
            missing_contact(kind, sid, reason, &held)
                .map(|e| e.context(super::queue_context::ticket(&ticket)))
        }
        Mapped::Queue { reason, .. } => {
            Ok(RecordEnd::new(kind, sid, Outcome::Queued(reason.into()))
                .context(super::queue_context::ticket(&ticket)))
        }
        Mapped::Skip { reason } => Ok(RecordEnd::new(kind, sid, Outcome::Skipped(reason.into()))),
        Mapped::Write { value: plan, notes } => {
            load(st, dept, &ticket, &plan, &hash, notes, ends).await
        }
    }
}

/// The queue or skip reason of each customer of the ticket that is held (queued or skipped),
/// from the ends of this ticket (contacts handled for the first time) or else the ledger.
fn held_reasons(
    st: &RunState,
    states: &[(String, ContactState)],
    fresh: &[RecordEnd],
) -> Result<Vec<(String, &'static str, crate::ledger::Reason)>, Fault> {
    let mut out = Vec::new();
    for (sid, state) in states {
        if !matches!(state, ContactState::Held) {
            continue;
        }
        let from_end = fresh
            .iter()
            .filter(|e| e.kind == ObjectKind::Contact && e.source_id == *sid)
            .find_map(|e| match &e.outcome {
                Outcome::Queued(r) => Some(("queued", r.clone())),
                Outcome::Skipped(r) => Some(("skipped", r.clone())),
                _ => None,
            });
        let found = match from_end {
            Some(f) => Some(f),
            None => st.ledger.lookup(&ObjectKind::Contact, sid)?.and_then(|r| {
                match (r.status, r.reason) {
                    (ObjectStatus::Queued, Some(reason)) => Some(("queued", reason)),
                    (ObjectStatus::Skipped, Some(reason)) => Some(("skipped", reason)),
                    _ => None,
                }
            }),
        };
        if let Some((how, reason)) = found {
            out.push((sid.clone(), how, reason));
        }
    }
    Ok(out)
}

/// A ticket the mapper queues `missing_contact`: queued naming the customer's own queue or skip
/// row when the customer really is queued or skipped; otherwise its contact is merely not
/// there in this run, which a rerun fixes (a transient failure, not a queue entry).
fn missing_contact(
    kind: ObjectKind,
    sid: String,
    reason: crate::map::MapReason,
    held: &[(String, &'static str, crate::ledger::Reason)],
) -> Result<RecordEnd, Fault> {
    let Some((contact, how, why)) = held.first() else {
        return Err(Fault::record(format!(
            "ticket {sid}: {} (the customer is neither queued nor skipped; run again)",
            reason.detail
        )));
    };
    let mut reason = reason;
    reason.detail = format!(
        "its customer, contact {contact}, is {how}: {} ({}); resolve the contact's {} row \
         (kind contact, source id {contact}), then run again",
        why.code,
        why.detail,
        if *how == "queued" { "queue" } else { "skip" }
    );
    Ok(RecordEnd::new(kind, sid, Outcome::Queued(reason.into())))
}

/// Whether the ticket a ticket was moved to exists in Glassix, in any department of the
/// migration (a move crosses departments). Only a 404 from every department says it does not.
async fn move_target_exists(st: &RunState, to: i64) -> Result<bool, Fault> {
    for dept in st.glassix.departments() {
        match dept.ticket(to).await {
            Ok(_) => return Ok(true),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(false)
}

/// When the ticket's customer failed in this run (a passing fault), the ticket fails with it,
/// saying so: the next run retries both. (A queued customer queues its tickets through the
/// mapper, which names the customer.)
fn customer_failure(
    ticket: &Ticket,
    states: &[(String, ContactState)],
) -> Option<crate::outcome::Failure> {
    let customer = ticket
        .participants
        .iter()
        .find_map(ContactKey::for_participant)?
        .source_id();
    states.iter().find_map(|(sid, s)| match s {
        ContactState::Failed(f) if *sid == customer => Some(
            f.clone()
                .context(format!("held by its customer {customer}, which failed")),
        ),
        _ => None,
    })
}

/// Creates (once) the ticket or conversation, writes its parts in order, then the finishing
/// writes; the ticket's end carries its source hash, recorded once everything is written.
async fn load(
    st: &RunState,
    dept: &glassix_client::Department,
    ticket: &Ticket,
    plan: &TicketPlan,
    hash: &str,
    notes: Vec<FieldNote>,
    ends: &mut Vec<RecordEnd>,
) -> Result<RecordEnd, Fault> {
    let kind = st.target.kind();
    let sid = plan.source_id.clone();
    let mut notes = notes;
    let gated = gate_ticket(st, plan, &mut notes);
    let plan = gated.as_ref().unwrap_or(plan);
    // Until the parts and finishing writes are done, the ledger holds a marker hash, so that
    // the next run resumes this ticket (Update) instead of taking it as done.
    let stored = format!("incomplete:{hash}");
    let created_at = plan.create.created_at();
    let outcome = upsert_once(
        st,
        Once {
            on_disk_first: OnDiskFirst::IntentAndPartsMark,
            ..Once::new(&kind, &sid, hash, &stored)
        },
        || async {
            st.target
                .create(&st.writer, &plan.create)
                .await
                .map(Created::from)
        },
        || async { Ok(st.target.find(&st.intercom, ticket.id, created_at).await?) },
        keep,
    )
    .await?;
    let (target_id, write) = match outcome {
        Outcome::Migrated { target_id, write } => (target_id, write),
        other => return Ok(RecordEnd::new(kind, sid, other)),
    };
    let fresh = matches!(write, Write::Created | Write::Found | Write::Adopted);
    // An update keeps only the field items (the values still left unwritten): the other notes
    // were recorded when the record was created.
    let mut notes: Vec<FieldNote> = if fresh {
        notes
    } else {
        notes.into_iter().filter(|n| n.item.is_some()).collect()
    };
    if fresh {
        if let Some(guid) = &plan.create_transaction_guid {
            ends.push(parts::opening_part(st, plan, guid, &target_id)?);
        }
    }
    let written = parts::write_all(st, dept, ticket, plan, &target_id).await?;
    ends.extend(written.ends);
    notes.extend(written.notes);
    if let Some(f) = written.failed {
        return Ok(RecordEnd::new(kind, sid, Outcome::Failed(f)).notes(notes));
    }
    let adopted = write == Write::Adopted;
    let sections = super::delta::sections_of(plan, ticket.last_activity)?;
    // Written before with its sections recorded: only the sections that changed are written.
    let before = if fresh {
        None
    } else {
        st.ledger.record_sections(&kind, &sid)?
    };
    let finished = match &before {
        Some(b) => super::delta::apply(st, plan, &target_id, b, &sections)
            .await
            .map(|n| {
                notes.extend(n);
                Vec::new()
            }),
        None => {
            finish(
                st,
                plan,
                &target_id,
                fresh,
                write == Write::Created,
                adopted,
            )
            .await
        }
    };
    match finished {
        Ok(actions) => {
            ends.extend(actions);
            st.ledger
                .set_record_sections(&kind, &sid, &sections, st.run)?;
        }
        Err(Fault::Record(f)) => {
            return Ok(RecordEnd::new(kind, sid, Outcome::Failed(f)).notes(notes));
        }
        Err(run) => return Err(run),
    }
    let write = if fresh { write } else { Write::Updated };
    // Written without an attribute the schema gate held: the next run writes it (Update).
    // Written with values left unwritten (field items): the next run maps it again (Update), so
    // that a fixed rule writes them.
    let recorded = match gated {
        Some(_) => format!("partial:{hash}"),
        None if notes.iter().any(|n| n.item.is_some()) => format!("fields:{hash}"),
        None => hash.to_owned(),
    };
    Ok(
        RecordEnd::new(kind, sid, Outcome::Migrated { target_id, write })
            .notes(notes)
            .hash(recorded),
    )
}

/// Whether `PUT /tickets/{id}` with `u` would change nothing on a ticket just created by
/// `POST /tickets`: a new ticket starts open in its type's *submitted* state (the 2.16
/// create takes no state), so an update that only sets that state (or none), with no
/// attributes, assignee, snooze or close, is not sent. The acting admin and
/// `skip_notifications` only qualify an update that is sent.
fn as_created(st: &RunState, u: &UpdateTicket) -> bool {
    let UpdateTicket {
        ticket_attributes: None,
        ticket_state_id: state,
        company_id: None,
        open: None | Some(true),
        is_shared: None,
        snoozed_until: None,
        admin_id: _,
        assignee_id: None,
        skip_notifications: _,
    } = u
    else {
        return false;
    };
    match state {
        None => true,
        Some(s) => st.submitted_state().as_deref() == Some(s.as_str()),
    }
}

/// The plan without the attribute values the schema gate holds back, when it holds any.
fn gate_ticket(st: &RunState, plan: &TicketPlan, notes: &mut Vec<FieldNote>) -> Option<TicketPlan> {
    if !st.has_unsettled() {
        return None;
    }
    let mut gated = plan.clone();
    let mut held = false;
    if let CreateRequest::Ticket(c) = &mut gated.create {
        if let Some(a) = c.ticket_attributes.as_mut() {
            held |= attributes::gate(st, AttributeModel::TicketType, a, notes);
        }
    }
    if let Some(a) = gated
        .finish
        .conversation_update
        .as_mut()
        .and_then(|u| u.custom_attributes.as_mut())
    {
        held |= attributes::gate(st, AttributeModel::Conversation, a, notes);
    }
    held.then_some(gated)
}

/// State, assignment, attributes and tags. Updates and tags are idempotent; a conversation's
/// actions (assign, close, snooze) are created once each (an intent each), so that none is
/// repeated by a resumed run.
async fn finish(
    st: &RunState,
    plan: &TicketPlan,
    target: &str,
    fresh: bool,
    created: bool,
    adopted: bool,
) -> Result<Vec<RecordEnd>, Fault> {
    let f = &plan.finish;
    match f
        .ticket_update
        .as_ref()
        .filter(|u| created && as_created(st, u))
    {
        // Only unavoidable calls: the ticket this run just created is already what the update
        // would make it. What Intercom holds is recorded as if it had been sent (`verify`
        // checks it).
        Some(u) => st.writer.expected(
            ObjectKind::Ticket,
            target,
            None,
            crate::verify::expect::ticket_update(u, None),
        ),
        None => st.target.update(&st.writer, target, plan, fresh).await?,
    }
    let kind = action_kind();
    // An adopted conversation's actions are unknown to the ledger: those already in effect are
    // recorded, not sent again.
    let in_effect = if adopted {
        st.target
            .actions_in_effect(&st.intercom, target, &f.conversation_actions)
            .await?
    } else {
        vec![false; f.conversation_actions.len()]
    };
    let mut ends = Vec::new();
    for (i, action) in f.conversation_actions.iter().enumerate() {
        let key = format!("{}#action{i}", plan.source_id);
        let h = source_hash(action)?;
        if in_effect.get(i).copied().unwrap_or(false) {
            let adopted = Outcome::Migrated {
                target_id: target.to_owned(),
                write: Write::Adopted,
            };
            ends.push(RecordEnd::new(kind.clone(), key, adopted).hash(h));
            continue;
        }
        let outcome = upsert_once(
            st,
            Once::new(&kind, &key, &h, &h),
            || async {
                st.writer.act_conversation(target, action).await?;
                Ok(Created::from(target.to_owned()))
            },
            // An action leaves nothing to look up: a lost answer sends it again next run.
            || async { Ok(None) },
            keep,
        )
        .await?;
        ends.push(match outcome {
            Outcome::Migrated {
                target_id,
                write: Write::Updated,
            } => RecordEnd::new(kind.clone(), key, Outcome::Unchanged { target_id }).hash(h),
            o => RecordEnd::new(kind.clone(), key, o),
        });
    }
    for t in &f.tags {
        let id = match &t.id {
            Some(i) => i.clone(),
            None => match tag_id(st, &t.name).await? {
                Some(i) => i,
                None => continue,
            },
        };
        st.target
            .tag(&st.writer, target, &id, &f.acting_admin)
            .await?;
    }
    Ok(ends)
}
