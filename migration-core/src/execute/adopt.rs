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
        return Ok(false);
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
