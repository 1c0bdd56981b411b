//! Contacts, reached through ticket participants: fetched from Glassix, mapped, created once
//! (per-contact lock + ledger intent), their tags applied.

use chrono::Utc;
use glassix_client::models::{Participant, Ticket};
use intercom_client::models::{Role, UpdateContact};

use crate::ObjectKind;
use crate::hashing::stable_hash;
use crate::map::{
    AttributeModel, CollectedContact, ContactCollector, ContactKey, ContactPlan, ContactSource,
    MapContext, Mapped, ResolvedContact,
};
use crate::outcome::{Outcome, Write};

use super::attributes;
use super::before_image::{ContactChange, remember_before};
use super::error::Fault;
use super::recorder::RecordEnd;
use super::settle::{Created, Once, find_contact, upsert_once};
use super::state::{ContactState, RunState, Survivor};
use super::tags::tag_id;

/// The customers of one ticket: how each stands, by contact source id, and the ends of the
/// contacts handled for the first time in this run.
pub(crate) struct TicketContacts {
    pub(crate) states: Vec<(String, ContactState)>,
    pub(crate) ends: Vec<RecordEnd>,
}

/// Resolves every customer of `ticket` to an Intercom contact (creating it once). A fault that
/// must stop the run is returned as an error; a contact's own failure is in its end.
pub(crate) async fn resolve(
    st: &RunState,
    dept: &glassix_client::Department,
    ticket: &Ticket,
) -> Result<TicketContacts, super::error::ExecError> {
    let mut collector = ContactCollector::new();
    collector.observe(ticket);
    let mut out = TicketContacts {
        states: Vec::new(),
        ends: Vec::new(),
    };
    for seen in collector.contacts() {
        let sid = seen.source_id();
        if let Some(c) = st.cached_contact(&sid) {
            out.states.push((sid, c));
            continue;
        }
        let lock = st.lock_for(&format!("contact:{sid}"));
        let _guard = lock.lock().await;
        if let Some(c) = st.cached_contact(&sid) {
            out.states.push((sid, c));
            continue;
        }
        let participant = ContactKey::customers_of(ticket)
            .find(|(k, _)| *k == seen.key)
            .map(|(_, p)| p);
        let (state, end) = match one(st, dept, seen, participant).await {
            Ok(r) => r,
            Err(Fault::Record(f)) => (
                ContactState::Failed(f.clone()),
                RecordEnd::new(ObjectKind::Contact, &sid, Outcome::Failed(f)),
            ),
            Err(Fault::Run(e)) => return Err(*e),
        };
        st.remember_contact(&sid, state.clone());
        out.ends.push(end);
        out.states.push((sid, state));
    }
    Ok(out)
}

/// One contact: extract (its Glassix record, when it has one) → map → load → its end.
async fn one(
    st: &RunState,
    dept: &glassix_client::Department,
    seen: &CollectedContact,
    participant: Option<&Participant>,
) -> Result<(ContactState, RecordEnd), Fault> {
    let kind = ObjectKind::Contact;
    let sid = seen.source_id();
    // A customer referenced by the ticket but missing from Glassix (404) is rebuilt from the
    // ticket's participant identifiers under the contact policies, noted; never failed (a rerun
    // could not fix it).
    let mut missing = None;
    let contact = match participant.and_then(|p| p.contact_id) {
        Some(id) => match dept.contact(id).await {
            Ok(c) => Some(c),
            Err(e) if e.is_not_found() => {
                missing = Some(crate::map::FieldNote::warning(
                    "contactId",
                    format!(
                        "contact {id} is referenced by the ticket but Glassix has no such contact \
                         (contacts/get answered 404); built from the ticket's participant \
                         identifiers only (no Glassix tags, custom fields or other identifiers)"
                    ),
                ));
                None
            }
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let hash = match &contact {
        Some(c) => stable_hash(c)?,
        None => stable_hash(&(&seen.key, &seen.identifiers))?,
    };
    let directory = st.directory();
    let ctx = MapContext::new(&st.spec, &directory, Utc::now());
    let source = ContactSource {
        seen,
        contact: contact.as_ref(),
    };
    let (plan, notes) = match st.mappers.contacts.map_contact(source, &ctx) {
        Mapped::Write { value, mut notes } => {
            notes.extend(missing);
            (value, notes)
        }
        Mapped::Queue { mut reason, .. } => {
            if let Some(m) = &missing {
                reason.detail = format!(
                    "{} ({}; add an e-mail or phone to the ticket's customer in Glassix, or \
                     change the missing_email policy, then run again)",
                    reason.detail, m.note
                );
            }
            let end = RecordEnd::new(kind, &sid, Outcome::Queued(reason.into()))
                .context(super::queue_context::contact(seen, contact.as_ref()));
            return Ok((ContactState::Held, end));
        }
        Mapped::Skip { reason } => {
            let end = RecordEnd::new(kind, &sid, Outcome::Skipped(reason.into()));
            return Ok((ContactState::Held, end));
        }
    };
    let mut notes = notes;
    let mut plan = plan;
    let gated = match plan.request.custom_attributes.as_mut() {
        Some(a) => attributes::gate(st, AttributeModel::Contact, a, &mut notes),
        None => false,
    };
    // Customers with the same e-mail (case / white space) are one person: the first created
    // in the run survives, the others are merged into it (the group's lock is held until the
    // survivor is known).
    let group = plan
        .merge_key
        .as_ref()
        .map(|k| st.lock_for(&format!("contact-group:{k}")));
    let _group_guard = match &group {
        Some(l) => Some(l.lock().await),
        None => None,
    };
    if let Some(key) = &plan.merge_key {
        if let Some(end) = merge_into_survivor(st, &sid, &hash, key, &plan).await? {
            return Ok(end);
        }
    }
    let role = plan.request.role.clone().unwrap_or(Role::User);
    // Until its tags are attached, the ledger holds a marker hash, so that a run stopped
    // between the create and the tags finishes the contact (as an update) next time.
    let stored = format!("incomplete:{hash}");
    let outcome = upsert_once(
        st,
        Once::new(&kind, &sid, &hash, &stored),
        || async {
            let (id, reused) = st.writer.create_contact(&plan.request).await?;
            Ok(Created { id, reused })
        },
        || find_contact(&st.intercom, &plan.lookups),
        |id| update(st, &sid, id, &plan),
    )
    .await?;
    let outcome = existed_before(st, &kind, &sid, outcome).await?;
    let Some(id) = outcome.target_id().map(str::to_owned) else {
        return Err(Fault::record(format!("contact {sid}: no Intercom id")));
    };
    // Found by a look-up after its create's answer was lost (one that existed before the
    // migration is `Reused` by now: only its existence is expected, as when Intercom answers a
    // create with it).
    st.writer.expected_if_found(&kind, &outcome, |w| match w {
        Write::Found => Some(crate::verify::expect::contact(&plan.request, false)),
        Write::Reused => Some(crate::verify::expect::contact(&plan.request, true)),
        _ => None,
    })?;
    let resolved = ContactState::Resolved(ResolvedContact {
        id: id.clone(),
        role,
    });
    if let (Some(key), ContactState::Resolved(contact)) = (&plan.merge_key, &resolved) {
        if st.survivor(key).is_none() {
            st.set_survivor(
                key,
                Survivor {
                    source_id: sid.clone(),
                    contact: contact.clone(),
                    signed_up_at: plan.request.signed_up_at,
                    has_email: plan.request.email.is_some(),
                },
            );
        }
    }
    let Outcome::Migrated { write, .. } = &outcome else {
        return Ok((resolved, RecordEnd::new(kind, &sid, outcome)));
    };
    let fresh = matches!(write, Write::Created | Write::Reused | Write::Found);
    // An update keeps only the field items (values still left unwritten).
    let notes: Vec<crate::map::FieldNote> = if fresh {
        notes
    } else {
        notes.into_iter().filter(|n| n.item.is_some()).collect()
    };
    // Written without an attribute the schema gate held, or with values left unwritten (field
    // items): the next run writes it again (Update).
    let recorded = if gated {
        format!("partial:{hash}")
    } else if notes.iter().any(|n| n.item.is_some()) {
        format!("fields:{hash}")
    } else {
        hash
    };
    let end = match attach_tags(st, &sid, &id, &plan).await {
        Ok(()) => RecordEnd::new(kind, &sid, outcome)
            .notes(notes)
            .hash(recorded),
        // The contact exists: its tickets go on, and the next run attaches the tags (the
        // ledger still holds the marker hash).
        Err(Fault::Record(f)) => RecordEnd::new(kind, &sid, Outcome::Failed(f)).notes(notes),
        Err(run) => return Err(run),
    };
    Ok((resolved, end))
}

/// How much earlier than its create's intent a contact found by look-up must have been created
/// in Intercom to count as one that existed before the migration (room for the clock
/// difference between this machine and Intercom).
const EXISTED_BEFORE_MARGIN_SECS: i64 = 60;

/// A create whose answer was lost is settled by a look-up (`Write::Found`). For a contact, the
/// look-up can find one that existed before the migration: Intercom answered the lost create
/// with a 409 for its e-mail. Such a contact is recorded as reused, so that a rollback restores
/// it instead of deleting it; it is told apart by its `created_at`, earlier than the intent.
/// Likewise a contact adopted after a lost ledger (`Write::Adopted`, `recover` or a new
/// ledger) is compared with the time the original migration started
/// (`adopt::MIGRATION_STARTED`; unknown: reused). A contact without `created_at` counts as
/// pre-existing: a rollback must never delete what the migration cannot show it created. Costs
/// one read, on these rare paths only.
async fn existed_before(
    st: &RunState,
    kind: &ObjectKind,
    sid: &str,
    outcome: Outcome,
) -> Result<Outcome, Fault> {
    let (target_id, since) = match &outcome {
        Outcome::Migrated {
            target_id,
            write: Write::Found,
        } => match st.ledger.settling_intent_time(kind, sid, target_id)? {
            Some(at) => (target_id, Some(at.timestamp())),
            None => return Ok(outcome),
        },
        Outcome::Migrated {
            target_id,
            write: Write::Adopted,
        } => (target_id, super::adopt::migration_started(&st.ledger)?),
        _ => return Ok(outcome),
    };
    let contact = st.intercom.contacts().get(target_id).await?;
    let older = match (contact.created_at, since) {
        (Some(c), Some(since)) => c < since - EXISTED_BEFORE_MARGIN_SECS,
        _ => true,
    };
    if !older {
        return Ok(outcome);
    }
    st.ledger.mark_existed_before(kind, sid)?;
    tracing::info!(
        source_id = sid,
        contact = %target_id,
        "a contact that existed before the migration was found by look-up: recorded as reused (a rollback restores it, never deletes it)"
    );
    Ok(match outcome {
        // Still counted as adopted; its origin is now `reused`.
        Outcome::Migrated {
            target_id,
            write: Write::Found,
        } => Outcome::Migrated {
            target_id,
            write: Write::Reused,
        },
        other => other,
    })
}

/// A customer new to the ledger whose e-mail matches (after trimming white space and
/// lower-casing) a survivor created in this run is merged into it: no contact is created; the
/// survivor's contact takes the member's `signed_up_at` when it is earlier (so it carries the
/// group's earliest) and the member's e-mail when it has none; the member is recorded as
/// migrated to the survivor's contact (origin `reused`: a rollback deletes the contact once,
/// through the survivor) with a note naming the survivor. `None`: not merged (no survivor yet,
/// the member is the survivor, or the ledger knows the member already).
async fn merge_into_survivor(
    st: &RunState,
    sid: &str,
    hash: &str,
    key: &str,
    plan: &ContactPlan,
) -> Result<Option<(ContactState, RecordEnd)>, Fault> {
    let Some(mut survivor) = st.survivor(key) else {
        return Ok(None);
    };
    if survivor.source_id == sid
        || !matches!(
            st.ledger.needs_write(&ObjectKind::Contact, sid, hash)?,
            crate::ledger::WriteNeed::Create
        )
    {
        return Ok(None);
    }
    let r = &plan.request;
    let earlier = match (r.signed_up_at, survivor.signed_up_at) {
        (Some(m), Some(s)) => m < s,
        (Some(_), None) => true,
        _ => false,
    };
    let email = (!survivor.has_email).then(|| r.email.clone()).flatten();
    if earlier || email.is_some() {
        let update = UpdateContact {
            signed_up_at: if earlier { r.signed_up_at } else { None },
            email: email.clone(),
            ..Default::default()
        };
        let owner = &survivor.source_id;
        remember_before(
            st,
            owner,
            &survivor.contact.id,
            ContactChange::Update(&update),
        )
        .await?;
        st.writer
            .update_contact(&survivor.contact.id, &update)
            .await?;
        if earlier {
            survivor.signed_up_at = r.signed_up_at;
        }
        survivor.has_email |= email.is_some();
        st.set_survivor(key, survivor.clone());
    }
    let note = crate::map::FieldNote::info(
        "identifiers",
        format!(
            "merged into contact {} (the same e-mail `{key}` up to case and white space): no \
             contact of its own; its tickets link to the survivor's Intercom contact {}{}",
            survivor.source_id,
            survivor.contact.id,
            if earlier {
                ", which takes this customer's earlier signed_up_at"
            } else {
                ""
            }
        ),
    );
    // The member's own tags go on the shared contact.
    attach_tags(st, &survivor.source_id, &survivor.contact.id, plan).await?;
    let outcome = Outcome::Migrated {
        target_id: survivor.contact.id.clone(),
        write: Write::Reused,
    };
    let end = RecordEnd::new(ObjectKind::Contact, sid, outcome)
        .notes(vec![note])
        .hash(hash);
    Ok(Some((ContactState::Resolved(survivor.contact), end)))
}

/// Attaches the contact's tags (creating a tag rule's tag on first use). `owner`: the contact
/// record whose contact `id` is (a pre-existing contact gets a before-image of its tags first).
async fn attach_tags(
    st: &RunState,
    owner: &str,
    id: &str,
    plan: &ContactPlan,
) -> Result<(), Fault> {
    let mut tags = Vec::with_capacity(plan.tags.len());
    for t in &plan.tags {
        let tag = match &t.id {
            Some(i) => Some(i.clone()),
            None => tag_id(st, &t.name).await?,
        };
        tags.extend(tag);
    }
    remember_before(st, owner, id, ContactChange::Tags(&tags)).await?;
    for tag in &tags {
        st.writer.tag_contact(id, tag).await?;
    }
    Ok(())
}

/// The contact's source changed (or a run stopped before its tags): write it again (`sid`: the
/// contact record; a pre-existing contact gets a before-image of the fields first).
async fn update(st: &RunState, sid: &str, id: String, plan: &ContactPlan) -> Result<(), Fault> {
    let r = &plan.request;
    let update = UpdateContact {
        role: r.role.clone(),
        external_id: r.external_id.clone(),
        email: r.email.clone(),
        phone: r.phone.clone(),
        name: r.name.clone(),
        avatar: r.avatar.clone(),
        signed_up_at: r.signed_up_at,
        custom_attributes: r.custom_attributes.clone(),
        ..Default::default()
    };
    remember_before(st, sid, &id, ContactChange::Update(&update)).await?;
    st.writer.update_contact(&id, &update).await?;
    Ok(())
}
