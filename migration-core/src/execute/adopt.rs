//! Recovery without a ledger: a run whose ledger knows nothing (a new file, or one that was
//! lost) checks whether Intercom already holds objects this migration made — tickets or
//! conversations carrying a `glassix_ticket_id`, contacts carrying a `glassix_original_id` — and
//! if so adopts them instead of creating them again: every create is then preceded by the
//! record's look-up (`settle::upsert_once`), and what is found is recorded with
//! [`crate::outcome::Write::Adopted`].
//!
//! Tags, attribute definitions and the ticket type are found by name whatever the ledger knows
//! (recorded `reused`: a name does not prove who made it, so a rollback leaves them).

use futures::StreamExt;
use intercom_client::models::{Operator, SearchQuery, SearchRequest};

use crate::ledger::Ledger;
use crate::map::{ATTR_ORIGINAL_ID, ATTR_TICKET_ID};

use super::error::ExecResult;
use super::target::Target;

/// Whether this run must adopt: the ledger holds no record, and Intercom answers a search for
/// objects with this migration's marks with at least one. A search Intercom refuses (an
/// operator a workspace does not support) counts as "maybe": adopting costs look-ups, creating
/// twice costs duplicates.
pub(crate) async fn needed(
    client: &intercom_client::Client,
    ledger: &Ledger,
    target: Target,
) -> ExecResult<bool> {
    let known: u64 = ledger.counts_by_kind()?.values().map(|c| c.total()).sum();
    if known > 0 {
        return after_recover(ledger);
    }
    let by_ticket = SearchRequest::new(SearchQuery::filter(
        format!("custom_attributes.{ATTR_TICKET_ID}"),
        Operator::Gt,
        0,
    ));
    let tickets = match target {
        Target::Tickets => client
            .tickets()
            .search(&by_ticket, Some(1))
            .next()
            .await
            .map(|r| r.map(drop)),
        Target::Conversations => client
            .conversations()
            .search(&by_ticket, Some(1))
            .next()
            .await
            .map(|r| r.map(drop)),
    };
    // Most likely reading of the search API: `!=` null matches contacts that carry the
    // attribute (the references do not say; a refusal counts as "maybe").
    let by_contact = SearchRequest::new(SearchQuery::filter(
        format!("custom_attributes.{ATTR_ORIGINAL_ID}"),
        Operator::Ne,
        serde_json::Value::Null,
    ));
    let contacts = client
        .contacts()
        .search(&by_contact, Some(1))
        .next()
        .await
        .map(|r| r.map(drop));
    let found = |r: Option<Result<(), intercom_client::Error>>| match r {
        None => false,
        Some(Ok(())) => true,
        Some(Err(e)) => {
            tracing::warn!(
                "searching Intercom for objects of an earlier run failed ({e}); adopting"
            );
            true
        }
    };
    let adopt = found(tickets) | found(contacts);
    if adopt {
        tracing::warn!(
            "the ledger is empty but Intercom holds objects of an earlier run of this migration: \
             each create is preceded by a look-up, and what is found is adopted"
        );
    }
    Ok(adopt)
}

/// Whether this run adopts ([`needed`], or `recover`); when it does, first records in the
/// ledger's meta ([`MIGRATION_STARTED`]) when the migration that made what it adopts started,
/// once per ledger.
pub(crate) async fn prepare(
    client: &intercom_client::Client,
    ledger: &Ledger,
    target: Target,
    recovering: bool,
) -> ExecResult<bool> {
    let adopt = recovering || needed(client, ledger, target).await?;
    if adopt && ledger.meta(MIGRATION_STARTED)?.is_none() {
        let at = first_mark(client).await?;
        if at.is_none() {
            tracing::warn!(
                "Intercom has no `{ATTR_ORIGINAL_ID}` attribute with a creation time: every \
                 contact adopted by this run is recorded as one that existed before the \
                 migration (a rollback keeps it)"
            );
        }
        ledger.set_meta(
            MIGRATION_STARTED,
            &at.map(|t| t.to_string()).unwrap_or_default(),
        )?;
    }
    Ok(adopt)
}

/// Meta key: when the migration whose objects a ledger adopted started, as Unix seconds (empty:
/// unknown). The time is the `created_at` of the contact attribute `glassix_original_id`: this
/// migration's own attribute, created by its first run's schema step before any contact. A
/// contact adopted by look-up (matched by e-mail) that is older than it existed before the
/// migration and is recorded as reused, so that a rollback never deletes it (see
/// `contacts::existed_before`).
///
/// Residual risk: when the attribute is older than the migration that made the contacts (a
/// rehearsal rolled back earlier archives it, and the next migration takes it out of the
/// archive), a contact created in Intercom by someone else between the two counts as made by
/// the migration, and a full rollback deletes it.
pub(crate) const MIGRATION_STARTED: &str = "adopt.migration_started";

/// The `created_at` of the `glassix_original_id` contact attribute (archived or not), if
/// Intercom has it and says when it was made.
async fn first_mark(client: &intercom_client::Client) -> ExecResult<Option<i64>> {
    let attrs = client
        .attributes()
        .list_data_attributes(Some(intercom_client::models::AttributeModel::Contact), true)
        .await?;
    Ok(attrs
        .iter()
        .filter(|a| a.name.as_deref() == Some(ATTR_ORIGINAL_ID))
        .filter_map(|a| match a.extra.get("created_at") {
            Some(serde_json::Value::Number(n)) => n.as_i64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        })
        .min())
}

/// When the migration whose objects this ledger adopted started (see [`MIGRATION_STARTED`]):
/// `None` when unknown.
pub(crate) fn migration_started(ledger: &Ledger) -> ExecResult<Option<i64>> {
    Ok(ledger
        .meta(MIGRATION_STARTED)?
        .and_then(|v| v.parse::<i64>().ok()))
}

/// Watermark set by `recover`: until a `migrate` succeeds after it, creates are still preceded
/// by look-ups (a record `recover` could not attribute may yet exist in Intercom).
pub(crate) const RECOVERED: &str = "recover.adopting_since";

/// Whether a `recover` rebuilt this ledger and no `migrate` has succeeded since.
fn after_recover(ledger: &Ledger) -> ExecResult<bool> {
    let Some(since) = ledger.watermark(RECOVERED)? else {
        return Ok(false);
    };
    let succeeded_since = ledger.runs()?.iter().any(|r| {
        r.mode == crate::ledger::RunMode::Migrate
            && r.status == crate::ledger::RunStatus::Succeeded
            && r.started_at > since
    });
    Ok(!succeeded_since)
}

/// An Intercom ticket or conversation that carries a `glassix_ticket_id` the ledger does not
/// map to it: made by something else, or by a run over another window or spec.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unattributed {
    /// The Intercom id.
    pub intercom_id: String,
    /// The Glassix ticket id it carries.
    pub glassix_ticket_id: Option<String>,
}

/// The tickets or conversations in Intercom with a `glassix_ticket_id` that the ledger does not
/// record as migrated to them.
pub(crate) async fn unattributed(
    client: &intercom_client::Client,
    ledger: &Ledger,
    target: Target,
) -> ExecResult<Vec<Unattributed>> {
    let by_ticket = SearchRequest::new(SearchQuery::filter(
        format!("custom_attributes.{ATTR_TICKET_ID}"),
        Operator::Gt,
        0,
    ));
    let mut found: Vec<(String, Option<serde_json::Value>)> = Vec::new();
    match target {
        Target::Tickets => {
            let mut s = client.tickets().search(&by_ticket, Some(100));
            while let Some(t) = s.next().await {
                let t = t?;
                let g = t.ticket_attributes.get(ATTR_TICKET_ID).cloned();
                found.push((t.id, g));
            }
        }
        Target::Conversations => {
            let mut s = client.conversations().search(&by_ticket, Some(100));
            while let Some(c) = s.next().await {
                let c = c?;
                let g = c.custom_attributes.get(ATTR_TICKET_ID).cloned();
                found.push((c.id, g));
            }
        }
    }
    let kind = target.kind();
    let mut out = Vec::new();
    for (id, g) in found {
        let glassix = g.map(|v| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        });
        let mapped = match &glassix {
            Some(sid) => ledger
                .lookup(&kind, sid)?
                .and_then(|r| r.target_id)
                .is_some_and(|t| t == id),
            None => false,
        };
        if !mapped {
            out.push(Unattributed {
                intercom_id: id,
                glassix_ticket_id: glassix,
            });
        }
    }
    Ok(out)
}
