//! Changes applied, not appended only: a ticket written before is compared section by section
//! (fields, state, assignee, tags, parts) with what it was written with (the ledger's
//! `record_sections`), and only the writes of the sections that changed are sent — a reopen
//! after an applied close, a new assignee, tags added and removed (only tags the migration
//! attached), rewritten title and attributes. New parts are appended by `parts` as before;
//! edited message bodies (Intercom parts are immutable) are listed as notes. Also the run's
//! listing watermarks, the tickets a listing shows unchanged (not read at all in a delta), and
//! the tickets changed while the run was going.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use glassix_client::models::Ticket;
use intercom_client::models::{AssigneeType, ConversationAction, UpdateTicket};

use crate::hashing::source_hash;
use crate::ledger::{ObjectStatus, RecordSections};
use crate::map::{CreateRequest, FieldNote, TargetState, TicketPlan};
use crate::outcome::{Outcome, Write};

use super::before_image;
use super::error::{ExecResult, Fault};
use super::recorder::RecordEnd;
use super::state::RunState;
use super::tags::tag_id;
use super::target::Target;

/// The sections a delta compares, in the order the summary lists them.
pub(crate) const SECTIONS: [&str; 5] = ["fields", "state", "assignee", "tags", "parts"];

/// What a run learns for the next delta and the cutover summary.
#[derive(Debug, Default)]
pub(crate) struct DeltaState {
    inner: Mutex<Tally>,
}

/// The counts behind [`crate::migration::CutoverReport`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Tally {
    /// Department id → when its listing was requested (local clock, before the first page).
    pub(crate) listing_started: BTreeMap<String, DateTime<Utc>>,
    /// Tickets listed.
    pub(crate) listed: u64,
    /// Tickets whose listing entry showed no new activity: not read.
    pub(crate) not_read: u64,
    /// Tickets created, updated (written again), unchanged.
    pub(crate) created: u64,
    pub(crate) updated: u64,
    pub(crate) unchanged: u64,
    /// Updated tickets by section that changed.
    pub(crate) updated_by: BTreeMap<String, u64>,
    /// (ticket, transaction GUID) of message bodies edited after they were migrated.
    pub(crate) edited_parts: Vec<(String, String)>,
    /// Tickets whose `lastActivity` is after their department's listing started.
    pub(crate) changed_during: BTreeSet<String>,
}

fn lock(m: &Mutex<Tally>) -> MutexGuard<'_, Tally> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl DeltaState {
    /// Department `dept`'s listing is about to be requested.
    pub(crate) fn listing_starts(&self, dept: String, at: DateTime<Utc>) {
        lock(&self.inner).listing_started.insert(dept, at);
    }

    /// A ticket of `dept` was read with `last_activity`: after the listing started, it changed
    /// during the run and needs one more delta.
    pub(crate) fn read(&self, dept: &str, sid: &str, last_activity: Option<DateTime<Utc>>) {
        let mut t = lock(&self.inner);
        let started = t.listing_started.get(dept).copied();
        if let (Some(s), Some(a)) = (started, last_activity) {
            if a > s {
                t.changed_during.insert(sid.to_owned());
            }
        }
    }

    /// A ticket's last end, as recorded.
    pub(crate) fn ended(&self, end: Option<&RecordEnd>) {
        let mut t = lock(&self.inner);
        t.listed += 1;
        match end.map(|e| &e.outcome) {
            Some(Outcome::Migrated {
                write: Write::Updated,
                ..
            }) => t.updated += 1,
            Some(Outcome::Migrated { .. }) => t.created += 1,
            Some(Outcome::Unchanged { .. }) => t.unchanged += 1,
            _ => {}
        }
    }

    fn not_read(&self) {
        lock(&self.inner).not_read += 1;
    }

    fn changed(&self, sid: &str, c: &Changes) {
        let mut t = lock(&self.inner);
        for s in c.labels() {
            *t.updated_by.entry(s.to_owned()).or_default() += 1;
        }
        for g in &c.edited_parts {
            t.edited_parts.push((sid.to_owned(), g.clone()));
        }
    }

    /// The counts so far.
    pub(crate) fn tally(&self) -> Tally {
        lock(&self.inner).clone()
    }
}

/// The sections of `plan` as it will be written.
pub(crate) fn sections_of(
    plan: &TicketPlan,
    last_activity: Option<DateTime<Utc>>,
) -> Result<RecordSections, Fault> {
    let f = &plan.finish;
    let attributes = match &plan.create {
        CreateRequest::Ticket(c) => source_hash(&c.ticket_attributes)?,
        CreateRequest::Conversation(_) => source_hash(&f.conversation_update)?,
    };
    let mut parts: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for p in &plan.parts {
        parts
            .entry(p.source_transaction_guid.clone())
            .or_default()
            .push(&p.body);
    }
    let parts = parts
        .into_iter()
        .map(|(g, bodies)| Ok((g, source_hash(&bodies)?)))
        .collect::<Result<_, Fault>>()?;
    Ok(RecordSections {
        last_activity,
        fields: attributes,
        state: source_hash(&(
            state_label(f.state),
            f.ticket_update
                .as_ref()
                .and_then(|u| u.ticket_state_id.clone()),
        ))?,
        assignee: source_hash(&(&f.admin_assignee, &f.team_assignee))?,
        tags: f.tags.iter().map(|t| t.name.clone()).collect(),
        parts,
    })
}

/// The state without a snooze's end: Glassix does not expose it, so the mapper derives it from
/// the run's clock, and it would look changed on every run.
fn state_label(s: TargetState) -> &'static str {
    match s {
        TargetState::Open => "open",
        TargetState::Closed => "closed",
        TargetState::Snoozed { .. } => "snoozed",
    }
}

/// What changed between two writes of a ticket.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Changes {
    pub(crate) fields: bool,
    pub(crate) state: bool,
    pub(crate) assignee: bool,
    pub(crate) tags_added: Vec<String>,
    pub(crate) tags_removed: Vec<String>,
    pub(crate) new_parts: usize,
    pub(crate) edited_parts: Vec<String>,
}

impl Changes {
    /// Compares what was written (`before`) with what the mapping says now.
    pub(crate) fn between(before: &RecordSections, now: &RecordSections) -> Self {
        let lower = |v: &[String]| -> BTreeSet<String> {
            v.iter().map(|t| t.trim().to_lowercase()).collect()
        };
        let (was, is) = (lower(&before.tags), lower(&now.tags));
        Changes {
            fields: before.fields != now.fields,
            state: before.state != now.state,
            assignee: before.assignee != now.assignee,
            tags_added: now
                .tags
                .iter()
                .filter(|t| !was.contains(&t.trim().to_lowercase()))
                .cloned()
                .collect(),
            tags_removed: before
                .tags
                .iter()
                .filter(|t| !is.contains(&t.trim().to_lowercase()))
                .cloned()
                .collect(),
            new_parts: now
                .parts
                .keys()
                .filter(|g| !before.parts.contains_key(*g))
                .count(),
            edited_parts: now
                .parts
                .iter()
                .filter(|(g, h)| before.parts.get(*g).is_some_and(|b| b != *h))
                .map(|(g, _)| g.clone())
                .collect(),
        }
    }

    /// The sections that changed (of [`SECTIONS`]).
    pub(crate) fn labels(&self) -> Vec<&'static str> {
        let tags = !self.tags_added.is_empty() || !self.tags_removed.is_empty();
        let parts = self.new_parts > 0 || !self.edited_parts.is_empty();
        SECTIONS
            .into_iter()
            .zip([self.fields, self.state, self.assignee, tags, parts])
            .filter_map(|(s, on)| on.then_some(s))
            .collect()
    }
}

/// Brings a ticket written before to what `plan` says, sending only the writes of the sections
/// that changed since `before` (the parts are appended by the caller). Returns the notes of what
/// could not be changed.
pub(crate) async fn apply(
    st: &RunState,
    plan: &TicketPlan,
    target: &str,
    before: &RecordSections,
    now: &RecordSections,
) -> Result<Vec<FieldNote>, Fault> {
    let c = Changes::between(before, now);
    let f = &plan.finish;
    let actor = f.acting_admin.as_str();
    let mut notes = Vec::new();
    for g in &c.edited_parts {
        notes.push(FieldNote::warning(
            "transactions",
            format!(
                "message {g} was edited in Glassix after it was migrated; Intercom parts cannot \
                 be changed, so the Intercom copy keeps the earlier text"
            ),
        ));
    }
    let needs_actor =
        c.state || c.assignee || !c.tags_added.is_empty() || !c.tags_removed.is_empty();
    if needs_actor && actor.is_empty() {
        return Err(Fault::record(format!(
            "ticket {}: its state, assignee or tags changed, and no Intercom admin can make the \
             change (the ticket has no owner mapped to an admin and no acting admin is \
             configured); map its owner or set an acting admin, then run the delta again",
            plan.source_id
        )));
    }
    // Tag ids first: every field the delta changes gets its before-image before any write.
    let mut added = Vec::new();
    for name in &c.tags_added {
        let known = f
            .tags
            .iter()
            .find(|t| &t.name == name)
            .and_then(|t| t.id.clone());
        let id = match known {
            Some(i) => Some(i),
            None => tag_id(st, name).await?,
        };
        added.extend(id);
    }
    // Only a tag the migration attached is removed; one that no longer exists in Intercom is
    // already gone.
    let removed: Vec<String> = c
        .tags_removed
        .iter()
        .filter_map(|name| {
            st.directory()
                .tag_id(&name.trim().to_lowercase())
                .map(str::to_owned)
        })
        .collect();
    let mut imaged = before_image::tag_fields(added.iter().chain(&removed));
    let ticket_update = match (st.target, c.fields || c.state || c.assignee) {
        (Target::Tickets, true) => Some(ticket_update(&c, plan, actor)),
        _ => None,
    };
    match (&ticket_update, st.target) {
        (Some((u, _)), _) => imaged.extend(before_image::ticket_fields(u)),
        (None, Target::Conversations) => {
            if let (true, Some(u)) = (c.fields, &f.conversation_update) {
                imaged.extend(before_image::conversation_update_fields(u));
            }
            if c.assignee {
                imaged.extend(before_image::ASSIGNEES.map(str::to_owned));
            }
            if c.state {
                imaged.extend(before_image::CONVERSATION_STATE.map(str::to_owned));
            }
        }
        (None, Target::Tickets) => {}
    }
    let kind = st.target.kind();
    before_image::remember_object_before(
        st,
        kind,
        &plan.source_id,
        target,
        imaged,
        Some(actor),
        Some(before),
    )
    .await?;
    match st.target {
        Target::Tickets => {
            if let Some((u, assignee)) = &ticket_update {
                st.writer
                    .update_ticket_assigning(target, u, *assignee)
                    .await?;
            }
        }
        Target::Conversations => {
            if c.fields {
                if let Some(u) = &f.conversation_update {
                    st.writer.update_conversation(target, u).await?;
                }
            }
            if c.assignee {
                let admin = f.admin_assignee.clone().unwrap_or_else(|| "0".to_owned());
                st.writer
                    .act_conversation(
                        target,
                        &ConversationAction::assign(actor, AssigneeType::Admin, admin),
                    )
                    .await?;
                if let Some(team) = &f.team_assignee {
                    st.writer
                        .act_conversation(
                            target,
                            &ConversationAction::assign(actor, AssigneeType::Team, team.clone()),
                        )
                        .await?;
                }
            }
            if c.state {
                let action = match f.state {
                    TargetState::Open => ConversationAction::open(actor),
                    TargetState::Closed => ConversationAction::close(actor),
                    TargetState::Snoozed { until } => ConversationAction::snooze(actor, until),
                };
                st.writer.act_conversation(target, &action).await?;
            }
        }
    }
    for id in &added {
        st.target.tag(&st.writer, target, id, actor).await?;
    }
    for id in &removed {
        st.target.untag(&st.writer, target, id, actor).await?;
    }
    st.delta.changed(&plan.source_id, &c);
    Ok(notes)
}

/// The ticket update a delta sends for changed fields, state or assignee (acting as `actor`),
/// with the kind of its single assignee.
fn ticket_update(
    c: &Changes,
    plan: &TicketPlan,
    actor: &str,
) -> (UpdateTicket, Option<AssigneeType>) {
    let f = &plan.finish;
    let mut u = UpdateTicket {
        admin_id: (!actor.is_empty()).then(|| actor.to_owned()),
        ..UpdateTicket::default()
    };
    if let (true, CreateRequest::Ticket(create)) = (c.fields, &plan.create) {
        u.ticket_attributes = create.ticket_attributes.clone();
    }
    if c.state {
        if let Some(mapped) = &f.ticket_update {
            u.ticket_state_id = mapped.ticket_state_id.clone();
            u.snoozed_until = mapped.snoozed_until;
        }
        // Explicit, so that a reopen after an applied close opens it again.
        u.open = Some(f.state != TargetState::Closed);
    }
    let mut assignee = None;
    if c.assignee {
        let (id, kind) = match (&f.admin_assignee, &f.team_assignee) {
            (Some(a), _) => (a.clone(), Some(AssigneeType::Admin)),
            (None, Some(t)) => (t.clone(), Some(AssigneeType::Team)),
            (None, None) => ("0".to_owned(), None),
        };
        u.assignee_id = Some(id);
        assignee = kind;
    }
    (u, assignee)
}

/// In a delta: the ticket's listing entry shows the same `lastActivity` it had when it was last
/// written completely, so it is unchanged without reading it.
pub(crate) fn unchanged_by_listing(
    st: &RunState,
    listed: &Ticket,
) -> ExecResult<Option<RecordEnd>> {
    let Some(activity) = listed.last_activity else {
        return Ok(None);
    };
    let kind = st.target.kind();
    let sid = listed.id.to_string();
    let Some(sections) = st.ledger.record_sections(&kind, &sid)? else {
        return Ok(None);
    };
    if sections.last_activity != Some(activity) {
        return Ok(None);
    }
    let Some(rec) = st.ledger.lookup(&kind, &sid)? else {
        return Ok(None);
    };
    let complete = rec.status == ObjectStatus::Migrated
        && rec.source_hash.as_deref().is_some_and(|h| !h.contains(':'));
    match (complete, rec.target_id) {
        (true, Some(target_id)) => {
            st.delta.not_read();
            Ok(Some(RecordEnd::new(
                kind,
                sid,
                Outcome::Unchanged { target_id },
            )))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(tags: &[&str], parts: &[(&str, &str)]) -> RecordSections {
        RecordSections {
            last_activity: None,
            fields: "f".into(),
            state: "open".into(),
            assignee: "a".into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            parts: parts
                .iter()
                .map(|(g, h)| ((*g).to_owned(), (*h).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn only_what_changed_is_reported() {
        let before = sections(&["VIP", "billing"], &[("g1", "h1"), ("g2", "h2")]);
        assert!(Changes::between(&before, &before).labels().is_empty());
        let mut now = sections(
            &["vip", "refund"],
            &[("g1", "h1"), ("g2", "edited"), ("g3", "h3")],
        );
        now.state = "closed".into();
        let c = Changes::between(&before, &now);
        assert!(c.state && !c.fields && !c.assignee);
        assert_eq!(c.tags_added, vec!["refund".to_owned()]);
        assert_eq!(c.tags_removed, vec!["billing".to_owned()]);
        assert_eq!(c.new_parts, 1);
        assert_eq!(c.edited_parts, vec!["g2".to_owned()]);
        assert_eq!(c.labels(), vec!["state", "tags", "parts"]);
    }
}
