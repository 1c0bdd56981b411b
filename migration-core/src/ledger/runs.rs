//! `runs`: one row per dry run, migration, delta or rollback.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{Ledger, Run, RunId, RunMode, RunStatus, now_text, parse_time};
use crate::error::{Error, Result};

impl Ledger {
    /// Start a run with the hash of the spec it uses. Runs still marked `running` (their
    /// process died) are marked [`RunStatus::Interrupted`] first.
    pub fn begin_run(&self, mode: RunMode, spec_hash: &str) -> Result<RunId> {
        self.write("begin run", |tx| {
            let now = now_text();
            tx.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?1 WHERE status = 'running'",
                params![now],
            )
            .map_err(Error::ledger("mark interrupted runs"))?;
            tx.execute(
                "INSERT INTO runs (started_at, spec_hash, mode, status) VALUES (?1, ?2, ?3, 'running')",
                params![now, spec_hash, mode.as_str()],
            )
            .map_err(Error::ledger("begin run"))?;
            Ok(RunId(tx.last_insert_rowid()))
        })
    }

    /// Finish a run with its final status and counts (any serialisable value, stored as JSON;
    /// typically the accounting per object kind).
    pub fn finish_run<C: Serialize + ?Sized>(
        &self,
        run: RunId,
        status: RunStatus,
        counts: &C,
    ) -> Result<()> {
        let counts = crate::hashing::canonical_json(counts)?;
        self.write("finish run", |tx| {
            let n = tx
                .execute(
                    "UPDATE runs SET finished_at = ?1, status = ?2, counts = ?3 WHERE id = ?4",
                    params![now_text(), status.as_str(), counts, run.0],
                )
                .map_err(Error::ledger("finish run"))?;
            if n == 0 {
                return Err(Error::LedgerState(format!("run {} does not exist", run.0)));
            }
            Ok(())
        })
    }

    /// One run by id.
    pub fn run(&self, run: RunId) -> Result<Option<Run>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT id, started_at, finished_at, spec_hash, mode, status, counts FROM runs WHERE id = ?1",
            params![run.0],
            |r| Ok(row_to_run(r)),
        )
        .optional()
        .map_err(Error::ledger("read run"))?
        .transpose()
    }

    /// All runs, oldest first.
    pub fn runs(&self) -> Result<Vec<Run>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, started_at, finished_at, spec_hash, mode, status, counts FROM runs ORDER BY id",
            )
            .map_err(Error::ledger("list runs"))?;
        let rows = stmt
            .query_map([], |r| Ok(row_to_run(r)))
            .map_err(Error::ledger("list runs"))?;
        rows.map(|r| r.map_err(Error::ledger("list runs")).and_then(|x| x))
            .collect()
    }
}

fn row_to_run(r: &Row<'_>) -> Result<Run> {
    let get = |e| Error::ledger("read run")(e);
    let started: String = r.get(1).map_err(get)?;
    let finished: Option<String> = r.get(2).map_err(get)?;
    let counts: Option<String> = r.get(6).map_err(get)?;
    Ok(Run {
        id: RunId(r.get(0).map_err(get)?),
        started_at: parse_time(&started)?,
        finished_at: finished.as_deref().map(parse_time).transpose()?,
        spec_hash: r.get(3).map_err(get)?,
        mode: RunMode::parse(&r.get::<_, String>(4).map_err(get)?)?,
        status: RunStatus::parse(&r.get::<_, String>(5).map_err(get)?)?,
        counts: counts
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(Error::json("reading run counts"))?,
    })
}
