//! The ledger: one SQLite file per migration, the single source of truth for resume, delta,
//! reconciliation and rollback (in the style of Drupal Migrate's map table).
//!
//! * Every source record has one row in `objects` keyed by (kind, source id): its status
//!   (pending, intent, migrated, queued, skipped, failed, rolled back), its Intercom id and the
//!   hash of the source it was written from.
//! * Before every create the executor calls [`Ledger::record_intent`]; after the create it calls
//!   [`Ledger::complete_intent`], which records the object as migrated in the same transaction.
//!   After a crash, [`Ledger::open_intents`] lists creates whose outcome is unknown; the executor
//!   looks each object up in Intercom and calls [`Ledger::settle_intent`] — it never creates again
//!   blindly.
//! * Every write is one short SQLite transaction, so a crash at any instant leaves the file
//!   consistent. During a run, the writes that follow an Intercom call are grouped into fewer
//!   commits ([`Ledger::group_commits`]); an intent is always committed before its create is
//!   sent. The file is in WAL mode with `synchronous = NORMAL` by default: a process crash
//!   loses nothing committed; a power loss may lose the last few commits but never corrupts the
//!   file (use [`LedgerOptions::durable`] for `synchronous = FULL`).
//! * `Ledger` is `Send + Sync`: one connection behind a mutex, held only for the duration of
//!   one short transaction. Calls block the calling thread for microseconds; from async code
//!   call them directly (or through `spawn_blocking` for large batches).
//!
//! No secret is ever passed to or stored by the ledger: it holds ids, hashes, statuses and
//! reasons only.

mod before_images;
mod digest;
mod expected;
mod fields;
mod group;
#[cfg(test)]
mod group_tests;
mod intents;
mod meta;
mod objects;
mod parts;
mod queue_context;
mod records;
mod runs;
mod schema;
#[cfg(test)]
mod tests;
mod types;
pub(crate) use types::WARNING_PREFIX;
mod undo;
mod watermarks;
mod writes;

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, config::DbConfig};

use group::{Conn, Durability};

pub use before_images::{BeforeField, BeforeImage};
pub use digest::{NoteGroup, NoteMatches};
pub use expected::{Expectation, ExpectedFields, SET_REMOVED};
pub use fields::FieldItem;
pub use group::GroupCommit;
pub use meta::INTERCOM_WORKSPACE;
pub use parts::{PartNeeds, PartsMark};
pub use queue_context::QueueContext;
pub use schema::SCHEMA_VERSION;
#[cfg(test)]
pub(crate) use schema::migration_sql as migration_sql_for_tests;
pub use types::{
    ActivitySample, Intent, IntentId, IntentOutcome, LossyNote, ObjectRecord, ObjectStatus, Origin,
    PartRecord, QueueEntry, Reason, RollbackItem, Run, RunId, RunMode, RunOutcome, RunStatus,
    Settlement, StatusCounts, WriteNeed,
};
pub use watermarks::{LISTING_WATERMARK, RecordSections};
pub use writes::LedgerBatch;

use crate::error::{Error, Result};

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

/// SQLite's page cache per connection, in KiB.
const PAGE_CACHE_KIB: i64 = 4_096;

/// Options for [`Ledger::open_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerOptions {
    /// `synchronous = FULL` instead of `NORMAL`: every commit survives a power loss, at the cost
    /// of one fsync per write.
    pub durable: bool,
}

/// The migration ledger. See the [module documentation](self).
#[derive(Debug)]
pub struct Ledger {
    conn: Arc<Mutex<Conn>>,
    path: Option<PathBuf>,
}

impl Ledger {
    /// Open (or create) the ledger at `path`, upgrading its schema if needed.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, LedgerOptions::default())
    }

    /// Open with explicit options.
    pub fn open_with(path: impl AsRef<Path>, options: LedgerOptions) -> Result<Self> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(Error::ledger("open"))?;
        Self::init(conn, Some(path.to_path_buf()), options)
    }

    /// An in-memory ledger (tests and dry runs).
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(Error::ledger("open in memory"))?;
        Self::init(conn, None, LedgerOptions::default())
    }

    fn init(mut conn: Connection, path: Option<PathBuf>, options: LedgerOptions) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(Error::ledger("set busy timeout"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(Error::ledger("enable WAL"))?;
        let sync = if options.durable { "FULL" } else { "NORMAL" };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(Error::ledger("set synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(Error::ledger("enable foreign keys"))?;
        // Fewer, larger checkpoints (each one syncs the database file) and a 4 MiB page cache:
        // 16 MiB cost 14 MiB of resident memory at 2,000 tickets, and more as the file grew,
        // for no measurable CPU per write; a page missed is read back from the OS's file
        // cache (docs/performance.md, "Hot path", third pass).
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)
            .map_err(Error::ledger("set WAL checkpoint interval"))?;
        conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB)
            .map_err(Error::ledger("set cache size"))?;
        // Every statement of the hot path stays prepared (the default keeps 16, fewer than a
        // part's writes use: each miss parsed its SQL again).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Plans that do not depend on the values bound. Without this, SQLite (3.54) marks a
        // statement with a `column = ?` term its index does not use (a ticket's parts, the
        // run that created an object) as worth planning again for other values, and the
        // statement cache's `clear_bindings` on every return then expires it: each use parsed
        // and planned its SQL anew, about 93,000 instructions, once per ticket and per contact
        // (`docs/performance.md`, "Eleventh pass"). The ledger binds no value a plan could
        // use (no `LIKE ?`, no statistics tables).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(Error::ledger("fix query plans"))?;
        schema::migrate(&mut conn)?;
        Ok(Ledger {
            conn: Arc::new(Mutex::new(Conn::new(conn))),
            path,
        })
    }

    /// The file backing the ledger (`None` when in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version stored in the file.
    pub fn schema_version(&self) -> Result<i64> {
        self.lock()
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .map_err(Error::ledger("read schema version"))
    }

    /// The connection, for reads (which see the writes of an open group).
    fn lock(&self) -> ConnGuard<'_> {
        ConnGuard(group::lock(&self.conn))
    }

    /// Run `f` as one write, committed before this returns: in one IMMEDIATE transaction
    /// (rolled back on `Err`), or with the deferred writes of an open group.
    fn write<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        group::lock(&self.conn).write(operation, Durability::Now, f)
    }

    /// Run `f` as one write that may wait for a later commit while writes are grouped
    /// ([`Ledger::group_commits`]); committed at once otherwise. Only for writes that a crash
    /// may lose because the next run redoes them (the module `group` lists why).
    fn write_deferred<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        group::lock(&self.conn).write(operation, Durability::Deferred, f)
    }

    /// [`Ledger::write_deferred`] for a write whose statements leave the ledger consistent
    /// after any prefix of them: inside an open group, a failure part-way keeps what it did
    /// and the group goes on, where any other write's failure loses the group
    /// ([`group::Durability::DeferredAnyPrefix`]).
    fn write_deferred_any_prefix<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        group::lock(&self.conn).write(operation, Durability::DeferredAnyPrefix, f)
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::warn!(error = %e, "the ledger's last grouped writes could not be committed");
        }
    }
}

/// The locked connection (see [`Ledger::lock`]).
struct ConnGuard<'a>(MutexGuard<'a, Conn>);

impl Deref for ConnGuard<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.0.db
    }
}

pub(crate) fn now_text() -> String {
    time_text(Utc::now())
}

pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| Error::LedgerState(format!("bad timestamp `{s}` in the ledger: {e}")))
}
