//! Contacts, reached through ticket participants: fetched from Glassix, mapped, created once
//! (per-contact lock + ledger intent), their tags applied.

use std::sync::Arc;

use chrono::Utc;
use glassix_client::models::Ticket;
use intercom_client::models::{Role, UpdateContact};

use crate::ObjectKind;
use crate::ledger::{Origin, Reason};
use crate::map::{
    ContactCollector, ContactKey, ContactSource, MapContext, Mapped, ResolvedContact,
};
use crate::progress::RecordOutcome;

use super::settle::{Done, RecordFailure, create_once, find_contact};
use super::{Event, EventResult, Exec, stable_hash};

fn cached(ex: &Exec, sid: &str) -> Option<Option<ResolvedContact>> {
    match ex.contacts.lock() {
        Ok(c) => c.get(sid).cloned(),
        Err(p) => p.into_inner().get(sid).cloned(),
    }
}

fn remember(ex: &Exec, sid: &str, contact: Option<ResolvedContact>) {
    match ex.contacts.lock() {
        Ok(mut c) => c.insert(sid.to_owned(), contact),
        Err(p) => p.into_inner().insert(sid.to_owned(), contact),
    };
}

/// The lock of one contact (or, with a `tag:` prefix, one tag) being created.
pub(crate) fn lock_for(ex: &Exec, sid: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut locks = match ex.contact_locks.lock() {
        Ok(l) => l,
        Err(p) => p.into_inner(),
    };
    locks.entry(sid.to_owned()).or_default().clone()
}

/// Resolves every customer of `ticket` to an Intercom contact (creating it once), returning
/// the resolved contacts by source id and the events of contacts handled for the first time.
pub(crate) async fn resolve(
    ex: &Exec,
    dept: &glassix_client::Department,
    ticket: &Ticket,
    events: &mut Vec<Event>,
) -> Vec<(String, ResolvedContact)> {
    let mut collector = ContactCollector::new();
    collector.observe(ticket);
    let mut out = Vec::new();
    for seen in collector.contacts() {
        let sid = seen.source_id();
        if let Some(c) = cached(ex, &sid) {
            out.extend(c.map(|c| (sid.clone(), c)));
            continue;
        }
        let lock = lock_for(ex, &sid);
        let _guard = lock.lock().await;
        if let Some(c) = cached(ex, &sid) {
            out.extend(c.map(|c| (sid.clone(), c)));
            continue;
        }
        let uuid = ticket
            .participants
            .iter()
            .find(|p| ContactKey::for_participant(p).as_ref() == Some(&seen.key));
        let (resolved, result) = match one(ex, dept, seen, uuid).await {
            Ok(r) => r,
            Err(e) => (None, EventResult::Failed(e.0)),
        };
        if let EventResult::Failed(msg) = &result {
            if !ex.dry_run {
                super::settle::mark_failed(ex, &ObjectKind::Contact, &sid, msg);
            }
        }
        remember(ex, &sid, resolved.clone());
        events.push(Event {
            kind: ObjectKind::Contact,
            source_id: sid.clone(),
            result,
        });
        out.extend(resolved.map(|c| (sid, c)));
    }
    out
}

async fn one(
    ex: &Exec,
    dept: &glassix_client::Department,
    seen: &crate::map::CollectedContact,
    participant: Option<&glassix_client::models::Participant>,
) -> Result<(Option<ResolvedContact>, EventResult), RecordFailure> {
    let kind = ObjectKind::Contact;
    let sid = seen.source_id();
    let contact = match participant.and_then(|p| p.contact_id) {
        Some(id) => Some(dept.contact(id).await?),
        None => None,
    };
    let hash = match &contact {
        Some(c) => stable_hash(c)?,
        None => stable_hash(&(&seen.key, &seen.identifiers))?,
    };
    let directory = ex.directory();
    let ctx = MapContext::new(&ex.spec, &directory, Utc::now());
    let source = ContactSource {
        seen,
        contact: contact.as_ref(),
    };
    let (plan, notes) = match ex.mappers.contacts.map_contact(source, &ctx) {
        Mapped::Write { value, notes } => (value, notes),
        Mapped::Queue { reason, .. } => {
            let reason: Reason = reason.into();
            if !ex.dry_run {
                ex.ledger.mark_queued(&kind, &sid, &reason, ex.run)?;
            }
            return Ok((None, EventResult::Queued(reason)));
        }
        Mapped::Skip { reason } => {
            let reason: Reason = reason.into();
            if !ex.dry_run {
                ex.ledger.mark_skipped(&kind, &sid, &reason, ex.run)?;
            }
            return Ok((None, EventResult::Skipped(reason)));
        }
    };
    let role = plan.request.role.clone().unwrap_or(Role::User);
    if ex.dry_run {
        ex.would_write(&kind, serde_json::to_value(&plan.request).ok());
        let id = format!("dry-run-contact:{sid}");
        return Ok((
            Some(ResolvedContact { id, role }),
            EventResult::Done(RecordOutcome::Created),
        ));
    }
    let api = ex.intercom.contacts();
    let reused = std::sync::atomic::AtomicBool::new(false);
    let done = create_once(
        ex,
        &kind,
        &sid,
        &hash,
        &hash,
        || async {
            match api.create(&plan.request).await {
                Ok(c) => Ok(c.id),
                Err(intercom_client::Error::DuplicateContact {
                    existing_id: Some(id),
                    ..
                }) => {
                    reused.store(true, std::sync::atomic::Ordering::Relaxed);
                    Ok(id)
                }
                Err(e) => Err(e),
            }
        },
        || find_contact(ex, &plan.lookups),
    )
    .await?;
    let id = done.id().to_owned();
    let outcome = match &done {
        Done::Created(_) => {
            if reused.load(std::sync::atomic::Ordering::Relaxed) {
                ex.ledger
                    .mark_migrated(&kind, &sid, &id, &hash, Origin::Reused, ex.run)?;
            }
            for n in &notes {
                ex.ledger
                    .add_note(&n.to_lossy_note(kind.clone(), &sid), ex.run)?;
            }
            RecordOutcome::Created
        }
        Done::Found(_) => RecordOutcome::Created,
        Done::Unchanged(_) => RecordOutcome::Unchanged,
        Done::Update(_) => {
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
            ex.wrote();
            api.update(&id, &update).await?;
            let origin = ex
                .ledger
                .lookup(&kind, &sid)?
                .and_then(|r| r.origin)
                .unwrap_or(Origin::Created);
            ex.ledger
                .mark_migrated(&kind, &sid, &id, &hash, origin, ex.run)?;
            RecordOutcome::Updated
        }
    };
    if matches!(done, Done::Created(_) | Done::Found(_) | Done::Update(_)) {
        for t in &plan.tags {
            let tag_id = match &t.id {
                Some(i) => i.clone(),
                None => match super::tickets::tag_id(ex, &t.name).await? {
                    Some(i) => i,
                    None => continue,
                },
            };
            ex.wrote();
            api_tag_contact(ex, &id, &tag_id).await?;
        }
    }
    Ok((
        Some(ResolvedContact { id, role }),
        EventResult::Done(outcome),
    ))
}

async fn api_tag_contact(ex: &Exec, contact: &str, tag: &str) -> Result<(), RecordFailure> {
    ex.intercom.tags().tag_contact(contact, tag).await?;
    Ok(())
}
