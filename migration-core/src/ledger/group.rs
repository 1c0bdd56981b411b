//! The ledger's connection and its group commit.
//!
//! Every write runs in one IMMEDIATE transaction. Outside a run that transaction is committed
//! at once, as always. During a run ([`Ledger::group_commits`]) the writes that only *follow*
//! an Intercom call (an intent completed or settled, a part registered, a record's status, its
//! notes, what Intercom should hold) are **deferred**: they join one open transaction, which is
//! committed with the next intents, or by the next write that must be durable at once (a run, a
//! watermark), or when [`MAX_PENDING`] writes or [`MAX_AGE`] have gathered, or by the group's
//! background thread when the run is idle, or when the group ends. One commit (one WAL append)
//! then carries many writes, instead of one each.
//!
//! **Intents are grouped too** ([`Ledger::record_intent_durable`]): an intent joins the open
//! transaction and its caller *awaits* the commit that carries it (a `watch` of the number of
//! commits made) before sending its create. The first intent of a commit leads it: it yields
//! [`GATHER_ROUNDS`] times, so that the tasks that run meanwhile record their intents, then
//! commits them all on its own thread (no hand-off: a commit thread woken per commit cost more
//! in thread wake-ups than it saved). The background thread commits intents waiting longer than [`MAX_AGE`] (a
//! leader dropped before its commit).
//!
//! Why this keeps the crash-safety contract (`docs/executor.md` §4): the file always holds a
//! *prefix* of the writes, in order (one connection, one transaction at a time), and an intent
//! is committed before its create is sent (its caller sends only once the commit that carries
//! it has returned; a failed commit fails every waiting caller, which then sends nothing). A
//! crash can lose only deferred writes made after the last commit, and each of them is one the
//! next run redoes safely: a completion lost leaves the intent open (the next run looks the
//! object up and finds it, never creating it again); a status, note, part registration or
//! expectation lost is written again when the record is reached again (a ticket stays
//! `incomplete:` until its end is recorded).
//!
//! **A write that fails inside an open group loses the group, as a crash would.** Writes run
//! in the open transaction as they are, with no savepoint each (a savepoint costs two
//! statements and a copy of every page the write touches: `docs/performance.md`, "Tenth
//! pass"). So a failed write cannot be undone alone: the whole open transaction is rolled back
//! and the group is broken as by a failed commit. Every intent waiting on it fails (none sends
//! its create), the failed write's caller gets its error, and the next write reports the loss.
//! That is the crash above, at a known point: what is lost is deferred writes the next run
//! redoes, and a failed ledger write stops the run anyway (the executor treats it as fatal).
//! The one exception is a write any prefix of whose statements is consistent
//! ([`Durability::DeferredAnyPrefix`], an expectation, whose failure the executor only logs):
//! what it did before failing stays, and the group goes on. Should SQLite roll the open
//! transaction back itself (a full disk, an I/O error) while such a write fails, the group is
//! lost too.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::watch;

use super::Ledger;
use crate::error::{Error, Result};

/// Deferred writes that make a commit by themselves.
pub(super) const MAX_PENDING: u32 = 512;

/// How many times the leader of a commit of intents lets the other tasks run before it
/// commits (each time, the tasks that became ready, answers read meanwhile included, run until
/// they wait; their intents join the commit). On a busy run this gathers more intents per
/// commit, and a commit's cost is mostly its pages, whatever it carries: `unthrottled-1k`
/// (1,502 intents) made 1,114 commits with one round, 448 with 12, 322 with 32, and `migrate`
/// took 2.24 s, 2.04 s and 2.04 s (medians of 4; `docs/performance.md`, sixth pass). On an
/// idle run a round costs a few microseconds.
pub(super) const GATHER_ROUNDS: usize = 16;

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
    /// Intents in the open transaction whose callers await its commit.
    waiting: u32,
    /// When the first of them was written.
    first_waiting: Option<Instant>,
    /// Commits made, and whether one failed: what callers of
    /// [`Ledger::record_intent_durable`] await.
    durable: watch::Sender<Durable>,
    /// The open group's commit thread (`None` outside a group, or when it could not start:
    /// intents then commit at once).
    wake: Option<Arc<Wake>>,
    /// Commits and awaited intents of the open group (logged when it ends).
    tally: Tally,
}

/// What callers of [`Ledger::record_intent_durable`] await.
#[derive(Debug, Clone, Default)]
pub(super) struct Durable {
    /// Commits made on the connection.
    committed: u64,
    /// A commit failed (the reason): the intents it carried may not be on disk.
    failed: Option<String>,
}

/// Commits and awaited intents of one group.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    commits: u64,
    intents: u64,
}

/// Wakes a group's commit thread.
#[derive(Debug, Default)]
pub(super) struct Wake {
    /// Woken (or told to stop) and not yet seen by the thread.
    signalled: Mutex<bool>,
    cv: Condvar,
}

impl Wake {
    fn notify(&self) {
        *self.signalled.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cv.notify_one();
    }

    /// Waits until notified or `timeout` has passed.
    fn wait(&self, timeout: Duration) {
        let guard = self.signalled.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = self
            .cv
            .wait_timeout_while(guard, timeout, |s| !*s)
            .unwrap_or_else(|p| p.into_inner());
        *guard = false;
    }
}

/// Whether a write may wait for a later commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Durability {
    /// Committed before the call returns (with every deferred write before it).
    Now,
    /// Committed with a later write when writes are grouped; at once otherwise.
    Deferred,
    /// As [`Durability::Deferred`], for a write whose statements leave the ledger consistent
    /// after any prefix of them (it forgets before it records): inside an open group, its
    /// failure keeps what it did and the group goes on, where any other write's failure loses
    /// the group (see the module's documentation).
    DeferredAnyPrefix,
    /// Joins the open transaction; the caller awaits the commit that carries it
    /// ([`Conn::awaited_commit`]), made by the first intent waiting on it
    /// ([`Ledger::write_durable`]) or, should that one be dropped, by the group's background
    /// thread. At once when no background thread serves a group.
    Awaited,
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
            waiting: 0,
            first_waiting: None,
            durable: watch::Sender::new(Durable::default()),
            wake: None,
            tally: Tally::default(),
        }
    }

    /// The number of the commit that will carry the open transaction, and a receiver to await
    /// it, for an intent just written with [`Durability::Awaited`] (`None`: it is committed
    /// already).
    fn awaited_commit(&self) -> Option<(u64, watch::Receiver<Durable>)> {
        (!self.db.is_autocommit()).then(|| {
            (
                self.durable.borrow().committed + 1,
                self.durable.subscribe(),
            )
        })
    }

    /// Runs `f` as one write: in a transaction of its own, or (grouped) in the open
    /// transaction, whose failure loses the group unless the write is
    /// [`Durability::DeferredAnyPrefix`]. Commits unless the write is deferred and the group is
    /// young.
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
        if !joined {
            self.exec("BEGIN IMMEDIATE", operation)?;
        }
        let out = match f(&self.db) {
            Ok(v) => v,
            Err(e) => {
                // Alone, or in a group unless any prefix of the write is consistent (then what
                // it did stays): the transaction is rolled back whole.
                let keep = joined && durability == Durability::DeferredAnyPrefix;
                if !keep && !self.db.is_autocommit() {
                    if let Err(u) = self.exec("ROLLBACK", operation) {
                        tracing::warn!(operation, error = %u, "could not roll back a failed ledger write");
                    }
                }
                if joined && (!keep || self.db.is_autocommit()) {
                    // The open transaction is gone (rolled back above, or by SQLite itself):
                    // the deferred writes and the intents it held are lost.
                    self.lose_group(&e);
                }
                return Err(e);
            }
        };
        if durability == Durability::Awaited && self.wake.is_some() {
            self.waiting += 1;
            self.first_waiting.get_or_insert_with(Instant::now);
            self.tally.intents += 1;
            return Ok(out);
        }
        let defer = matches!(
            durability,
            Durability::Deferred | Durability::DeferredAnyPrefix
        ) && self.group;
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

    /// The open transaction was rolled back while a write failed (by [`Conn::write`], or by
    /// SQLite itself: a full disk, an I/O error): what it held is lost, as by a failed commit.
    /// Every intent awaiting it fails (none sends its create), and the next write reports it.
    fn lose_group(&mut self, cause: &Error) {
        let why = format!("the open transaction was rolled back after: {cause}");
        self.forget_open();
        self.durable.send_modify(|d| d.failed = Some(why.clone()));
        self.broken = Some(why);
    }

    /// Forgets the deferred writes and waiting intents counted in the open transaction (it is
    /// being committed, or it is gone).
    fn forget_open(&mut self) {
        self.pending = 0;
        self.oldest = None;
        self.waiting = 0;
        self.first_waiting = None;
    }

    /// Commits the open transaction, if any.
    pub(super) fn commit(&mut self, operation: &'static str) -> Result<()> {
        self.forget_open();
        if self.db.is_autocommit() {
            return Ok(());
        }
        let done = self.exec("COMMIT", operation);
        match &done {
            Ok(()) => {
                self.tally.commits += 1;
                self.durable.send_modify(|d| d.committed += 1);
            }
            Err(e) => {
                let why = e.to_string();
                self.durable.send_modify(|d| d.failed = Some(why));
            }
        }
        done
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
/// behind (a failed write is undone before the lock is released, or is one that any prefix of
/// leaves consistent, and SQLite rolls back an unfinished transaction when the connection is
/// dropped), so a poisoned mutex is safe to reuse.
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
    if let Some(wake) = c.wake.take() {
        wake.notify();
    }
    let done = c.commit("commit grouped writes");
    let tally = std::mem::take(&mut c.tally);
    tracing::debug!(
        commits = tally.commits,
        intents = tally.intents,
        "ledger group ended"
    );
    done
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
        let mut c = lock(&self.conn);
        if !c.group {
            c.group = true;
            c.generation += 1;
            let generation = c.generation;
            let weak = Arc::downgrade(&self.conn);
            let wake = Arc::new(Wake::default());
            let theirs = Arc::clone(&wake);
            let spawned = std::thread::Builder::new()
                .name("ledger-commit".into())
                .spawn(move || commit_thread(&weak, &theirs, generation));
            match spawned {
                Ok(_) => c.wake = Some(wake),
                // Without the thread, intents commit at once and a group left idle is
                // committed by the next write.
                Err(e) => tracing::debug!(error = %e, "no commit thread for the ledger"),
            }
        }
        drop(c);
        GroupCommit {
            ledger: self,
            done: false,
        }
    }

    /// Commits made on the connection so far.
    #[cfg(test)]
    pub(super) fn commits_made(&self) -> u64 {
        lock(&self.conn).durable.borrow().committed
    }

    /// Commits the deferred writes now.
    pub fn flush(&self) -> Result<()> {
        lock(&self.conn).commit("commit grouped writes")
    }

    /// Runs `f` as a write that must be on disk before the caller goes on (an intent, before
    /// its create is sent): within a group it joins the open transaction and this awaits the
    /// commit that carries it (made by the first intent waiting on it, after
    /// [`GATHER_ROUNDS`] scheduler rounds, together with the other intents recorded meanwhile;
    /// by the background thread if that one is dropped first); outside a group it is committed
    /// at once.
    pub(super) async fn write_durable<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let (out, awaited, leader) = {
            let mut c = lock(&self.conn);
            let out = c.write(operation, Durability::Awaited, f)?;
            let awaited = c.awaited_commit();
            (out, awaited, c.waiting == 1)
        };
        let Some((commit, mut rx)) = awaited else {
            return Ok(out);
        };
        if leader {
            // The first intent of a commit leads it: it lets the other tasks run first, for
            // GATHER_ROUNDS rounds (their intents join the open transaction), then commits
            // them all on this thread, with no hand-off to another thread. Should this task be
            // dropped before (a run stopped), the commit thread commits the waiting intents
            // within MAX_AGE.
            for _ in 0..GATHER_ROUNDS {
                tokio::task::yield_now().await;
            }
            let mut c = lock(&self.conn);
            if c.durable.borrow().committed < commit {
                if let Err(e) = c.commit(operation) {
                    c.broken = Some(e.to_string());
                }
            }
        }
        let seen = rx
            .wait_for(|d| d.committed >= commit || d.failed.is_some())
            .await
            .map(|d| d.clone());
        match seen {
            Ok(d) if d.committed >= commit => Ok(out),
            Ok(d) => Err(Error::LedgerState(format!(
                "the ledger could not commit ({}): a create is not sent before its intent is on disk. Stop, check the disk and the ledger file, and run again (what was sent is looked up, never sent twice)",
                d.failed.unwrap_or_default()
            ))),
            Err(_) => Err(Error::LedgerState(
                "the ledger closed while an intent awaited its commit".into(),
            )),
        }
    }
}

/// The background thread of a group: every [`MAX_AGE`], commits intents that have waited that
/// long (their leader was dropped before committing) and deferred writes that old; stops when
/// the group ends (which wakes it) or the ledger is dropped.
fn commit_thread(conn: &Weak<Mutex<Conn>>, wake: &Wake, generation: u64) {
    loop {
        wake.wait(MAX_AGE);
        let Some(conn) = conn.upgrade() else {
            return;
        };
        let mut c = lock(&conn);
        if !c.group || c.generation != generation {
            return;
        }
        let stale = |t: Option<Instant>| t.is_some_and(|t| t.elapsed() >= MAX_AGE);
        if stale(c.first_waiting) || stale(c.oldest) {
            if let Err(e) = c.commit("commit grouped writes") {
                c.broken = Some(e.to_string());
            }
        }
    }
}
