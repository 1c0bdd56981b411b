//! The ledger's connection and its group commit.
//!
//! Every write runs in one IMMEDIATE transaction. Outside a run that transaction is committed
//! at once, as always. During a run ([`Ledger::group_commits`]) the writes that only *follow*
//! an Intercom call (an intent completed or settled, a part registered, a record's status, its
//! notes, what Intercom should hold) are **deferred**: they join one open transaction, which is
//! committed by the next write that must be durable (an intent, before its create is sent), or
//! when [`MAX_PENDING`] writes or [`MAX_AGE`] have gathered, or by a background thread when the
//! run is idle, or when the group ends. One commit (one WAL append) then carries many writes,
//! instead of one each.
//!
//! Why this keeps the crash-safety contract (`docs/executor.md` §4): the file always holds a
//! *prefix* of the writes, in order (one connection, one transaction at a time), and an intent
//! is committed before its create is sent. A crash can lose only deferred writes made after the
//! last commit, and each of them is one the next run redoes safely: a completion lost leaves
//! the intent open (the next run looks the object up and finds it, never creating it again); a
//! status, note, part registration or expectation lost is written again when the record is
//! reached again (a ticket stays `incomplete:` until its end is recorded).
//!
//! Each write inside an open group runs in a savepoint: a write that fails is undone alone,
//! never the writes before it.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::Ledger;
use crate::error::{Error, Result};

/// Deferred writes that make a commit by themselves.
pub(super) const MAX_PENDING: u32 = 512;

/// The age of the oldest deferred write that makes the next write (or the background thread)
/// commit.
pub(super) const MAX_AGE: Duration = Duration::from_millis(50);

/// The connection, and what is waiting in its open transaction.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) db: Connection,
    /// Deferred writes are grouped (during a run).
    group: bool,
    /// Deferred writes in the open transaction.
    pending: u32,
    /// When the first of them was made.
    oldest: Option<Instant>,
    /// A commit made by the background thread failed: the next write reports it.
    broken: Option<String>,
    /// Which group the background thread serves (a thread of an ended group stops).
    generation: u64,
}

/// Whether a write may wait for a later commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Durability {
    /// Committed before the call returns (with every deferred write before it).
    Now,
    /// Committed with a later write when writes are grouped; at once otherwise.
    Deferred,
}

impl Conn {
    pub(super) fn new(db: Connection) -> Self {
        Conn {
            db,
            group: false,
            pending: 0,
            oldest: None,
            broken: None,
            generation: 0,
        }
    }

    /// Runs `f` as one write: in a transaction of its own, or (grouped) in a savepoint of the
    /// open transaction. Commits unless the write is deferred and the group is young.
    pub(super) fn write<T>(
        &mut self,
        operation: &'static str,
        durability: Durability,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        if let Some(why) = self.broken.take() {
            return Err(Error::LedgerState(format!(
                "an earlier commit of the ledger failed ({why}); the writes it carried are \
                 lost. Stop, check the disk and the ledger file, and run again (what was sent \
                 is looked up, never sent twice)"
            )));
        }
        let joined = !self.db.is_autocommit();
        if joined {
            self.exec("SAVEPOINT ledger_write", operation)?;
        } else {
            self.exec("BEGIN IMMEDIATE", operation)?;
        }
        let out = match f(&self.db) {
            Ok(v) => v,
            Err(e) => {
                let undo = if joined {
                    self.exec("ROLLBACK TO ledger_write", operation)
                        .and_then(|()| self.exec("RELEASE ledger_write", operation))
                } else {
                    self.exec("ROLLBACK", operation)
                };
                if let Err(u) = undo {
                    tracing::warn!(operation, error = %u, "could not undo a failed ledger write");
                }
                return Err(e);
            }
        };
        if joined {
            self.exec("RELEASE ledger_write", operation)?;
        }
        let defer = durability == Durability::Deferred && self.group;
        if defer {
            self.pending += 1;
            let oldest = *self.oldest.get_or_insert_with(Instant::now);
            if self.pending < MAX_PENDING && oldest.elapsed() < MAX_AGE {
                return Ok(out);
            }
        }
        self.commit(operation)?;
        Ok(out)
    }

    /// Commits the open transaction, if any.
    pub(super) fn commit(&mut self, operation: &'static str) -> Result<()> {
        self.pending = 0;
        self.oldest = None;
        if self.db.is_autocommit() {
            return Ok(());
        }
        self.exec("COMMIT", operation)
    }

    fn exec(&self, sql: &str, operation: &'static str) -> Result<()> {
        self.db
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(drop)
            .map_err(Error::ledger(operation))
    }
}

/// Locks the connection. A panic while holding the lock cannot leave a half-written write
/// behind (a failed write is undone before the lock is released, and SQLite rolls back an
/// unfinished transaction when the connection is dropped), so a poisoned mutex is safe to
/// reuse.
pub(super) fn lock(conn: &Mutex<Conn>) -> MutexGuard<'_, Conn> {
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

/// Deferred writes grouped for as long as it lives (see [`Ledger::group_commits`]).
#[derive(Debug)]
#[must_use = "writes are grouped only while the guard lives"]
pub struct GroupCommit<'a> {
    ledger: &'a Ledger,
    done: bool,
}

impl GroupCommit<'_> {
    /// Ends the group: commits what it holds and commits every later write at once again.
    pub fn finish(mut self) -> Result<()> {
        self.done = true;
        end_group(self.ledger)
    }
}

impl Drop for GroupCommit<'_> {
    fn drop(&mut self) {
        if !self.done {
            if let Err(e) = end_group(self.ledger) {
                tracing::warn!(error = %e, "the ledger's last grouped writes could not be committed");
            }
        }
    }
}

fn end_group(ledger: &Ledger) -> Result<()> {
    let mut c = lock(&ledger.conn);
    c.group = false;
    c.commit("commit grouped writes")
}

impl Ledger {
    /// Groups the deferred writes (an intent's completion, a part's registration, a record's
    /// status, notes, expectations) into fewer commits until the guard is dropped or
    /// [`GroupCommit::finish`]ed. Writes that must be durable (an intent, before its create is
    /// sent; runs, watermarks) still commit before they return, carrying the deferred writes
    /// with them. A crash loses at most the deferred writes of the last 50 ms, which the next
    /// run redoes (`docs/executor.md`, "Group commit", explains why nothing is ever sent
    /// twice).
    pub fn group_commits(&self) -> GroupCommit<'_> {
        let start = {
            let mut c = lock(&self.conn);
            let start = !c.group;
            c.group = true;
            if start {
                c.generation += 1;
            }
            start.then_some(c.generation)
        };
        if let Some(generation) = start {
            let weak = Arc::downgrade(&self.conn);
            let spawned = std::thread::Builder::new()
                .name("ledger-commit".into())
                .spawn(move || commit_when_idle(&weak, generation));
            if let Err(e) = spawned {
                // Without the thread, a group left idle is committed by the next write.
                tracing::debug!(error = %e, "no background commit thread for the ledger");
            }
        }
        GroupCommit {
            ledger: self,
            done: false,
        }
    }

    /// Commits the deferred writes now.
    pub fn flush(&self) -> Result<()> {
        lock(&self.conn).commit("commit grouped writes")
    }
}

/// Commits a group whose oldest write is older than [`MAX_AGE`], until the group ends or the
/// ledger is dropped.
fn commit_when_idle(conn: &Weak<Mutex<Conn>>, generation: u64) {
    loop {
        std::thread::sleep(MAX_AGE);
        let Some(conn) = conn.upgrade() else {
            return;
        };
        let mut c = lock(&conn);
        if !c.group || c.generation != generation {
            return;
        }
        if c.oldest.is_some_and(|t| t.elapsed() >= MAX_AGE) {
            if let Err(e) = c.commit("commit grouped writes") {
                c.broken = Some(e.to_string());
            }
        }
    }
}
