//! The longest tickets, started ahead of the listing (longest processing time first).
//!
//! A ticket's parts go one after another on one Intercom token, so a ticket of hundreds of
//! parts is a chain that no concurrency shortens. Started at its place in the Glassix listing,
//! it may be the only ticket left at the end, sending at one token's rate while the other
//! tokens (and the workspace's share) idle. Discovery records the longest tickets
//! ([`crate::discover::Discovery::first_tickets`]); `migrate` reads each of them at the start of
//! the tickets step and, when it is still in its department and in the run's window, processes
//! it right away (counted in the concurrency). When the listing reaches a ticket taken this way
//! it skips it: every ticket ends exactly once.
//!
//! What the first read decides ([`Claim`]):
//! - **taken**: the ticket was read from its department and is in the run's window; its ends
//!   are recorded by the first pass, the listing skips it;
//! - **left**: anything else that is not a 404 (outside the window, a passing fault on the
//!   read): the listing handles the ticket as if nothing had been started (it reads it again);
//! - **gone**: Glassix answers 404 (deleted, or moved out of the department since discovery).
//!   The listing handles it if it lists it (in any department); a ticket no listing reached ends
//!   `skipped` with the reason `not_in_source`, unless the ledger already holds a row for it
//!   (an earlier run's outcome is kept).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use glassix_client::models::Ticket;
use tokio::sync::watch;

/// A ticket to start before the listing reaches it: its department (key, as
/// [`crate::map::guid_key`] writes it) and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FirstTicket {
    pub(crate) department: String,
    pub(crate) id: i64,
}

/// What the first read of a [`FirstTicket`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Processed by the first pass; the listing skips it.
    Taken,
    /// Left to the listing.
    Left,
    /// Glassix answered 404: left to the listing, and ended `not_in_source` if no listing
    /// reaches it.
    Gone,
}

/// The decisions of the first pass, shared with the listing.
pub(crate) struct Claims {
    decided: HashMap<i64, watch::Sender<Option<Claim>>>,
    listed: Mutex<HashSet<i64>>,
}

impl Claims {
    /// Claims for `ids`, none decided yet.
    pub(crate) fn new(ids: impl IntoIterator<Item = i64>) -> Self {
        Self {
            decided: ids
                .into_iter()
                .map(|id| (id, watch::Sender::new(None)))
                .collect(),
            listed: Mutex::new(HashSet::new()),
        }
    }

    /// Records the first pass's decision on `id`.
    pub(crate) fn decide(&self, id: i64, claim: Claim) {
        if let Some(tx) = self.decided.get(&id) {
            tx.send_replace(Some(claim));
        }
    }

    /// The listing reached `id`: whether the first pass took it (then the listing skips it).
    /// Waits for the first pass's decision on a ticket it started; `false` at once for any
    /// other ticket.
    pub(crate) async fn taken_by_first(&self, id: i64) -> bool {
        let Some(tx) = self.decided.get(&id) else {
            return false;
        };
        let mut rx = tx.subscribe();
        // The sender lives as long as `self`: the wait ends with the decision.
        let claim = match rx.wait_for(Option::is_some).await {
            Ok(c) => *c,
            Err(_) => None,
        };
        self.listed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id);
        claim == Some(Claim::Taken)
    }

    /// The tickets found gone (404) that no listing reached, in id order.
    pub(crate) fn gone_unlisted(&self) -> Vec<i64> {
        let listed = self.listed.lock().unwrap_or_else(|p| p.into_inner());
        let mut gone: Vec<i64> = self
            .decided
            .iter()
            .filter(|(id, tx)| *tx.borrow() == Some(Claim::Gone) && !listed.contains(id))
            .map(|(id, _)| *id)
            .collect();
        gone.sort_unstable();
        gone
    }
}

/// Whether the listing of `[since, until)` lists `ticket`: Glassix lists a ticket in a window
/// when its `open`, `close` or `lastActivity` falls inside it (the Glassix API notes, §2.1.1).
pub(crate) fn in_window(ticket: &Ticket, since: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    [ticket.open, ticket.close, ticket.last_activity]
        .into_iter()
        .flatten()
        .any(|t| t >= since && t < until)
}

/// How many of the first tickets are started (all at once, each in a slot of its own): at
/// most half the concurrency (at least one), so that the listing keeps the rest.
pub(crate) fn slots(first: usize, concurrency: usize) -> usize {
    first.min((concurrency / 2).max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_listing_skips_only_what_the_first_pass_took() {
        let c = std::sync::Arc::new(Claims::new([1, 2, 3]));
        assert!(
            !c.taken_by_first(9).await,
            "not started first: the listing's"
        );
        // The listing reaches 1 before the first pass decided: it waits for the decision.
        let waiting = tokio::spawn({
            let c = c.clone();
            async move { c.taken_by_first(1).await }
        });
        tokio::task::yield_now().await;
        c.decide(1, Claim::Taken);
        assert!(waiting.await.is_ok_and(|taken| taken));
        c.decide(2, Claim::Left);
        assert!(!c.taken_by_first(2).await);
        c.decide(3, Claim::Gone);
        assert_eq!(c.gone_unlisted(), vec![3]);
        assert!(
            !c.taken_by_first(3).await,
            "gone, then listed: the listing's"
        );
        assert!(c.gone_unlisted().is_empty());
    }

    #[test]
    fn first_tickets_take_at_most_half_the_concurrency() {
        assert_eq!(slots(4, 8), 4);
        assert_eq!(slots(6, 8), 4);
        assert_eq!(slots(3, 1), 1);
        assert_eq!(slots(0, 8), 0);
    }
}
