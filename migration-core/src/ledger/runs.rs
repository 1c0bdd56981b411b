//! `runs`: one row per dry run, migration, delta or rollback; how each ended; what each wrote
//! over time.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{
    ActivitySample, Ledger, Run, RunId, RunMode, RunOutcome, RunStatus, now_text, parse_time,
};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// The columns [`row_to_run`] reads, in its order.
const RUN_COLUMNS: &str = "id, started_at, finished_at, spec_hash, mode, status, counts, outcome";

impl Ledger {
    /// Start a run with the hash of the spec it uses. Runs still marked `running` (their
    /// process died) are marked [`RunStatus::Interrupted`] first; their finish time stays
    /// unknown (`None`), never the start of this run ([`Ledger::last_activity`] tells when
    /// they last wrote anything).
    pub fn begin_run(&self, mode: RunMode, spec_hash: &str) -> Result<RunId> {
        self.write("begin run", |tx| {
            tx.execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
                [],
            )
            .map_err(Error::ledger("mark interrupted runs"))?;
            tx.execute(
                "INSERT INTO runs (started_at, spec_hash, mode, status) VALUES (?1, ?2, ?3, 'running')",
                params![now_text(), spec_hash, mode.as_str()],
            )
            .map_err(Error::ledger("begin run"))?;
            Ok(RunId(tx.last_insert_rowid()))
        })
    }

    /// Finish a run with its final status and counts (any serialisable value, stored as JSON;
    /// typically the accounting per object kind). The finish time is now.
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

    /// Record how a run ended as its command reported it (and exited with): e.g. a run that
    /// finished normally but left records waiting for teammates is
    /// [`RunOutcome::BlockedOnProvisioning`], not a success.
    pub fn set_run_outcome(&self, run: RunId, outcome: RunOutcome) -> Result<()> {
        self.write("record run outcome", |tx| {
            let n = tx
                .execute(
                    "UPDATE runs SET outcome = ?1 WHERE id = ?2",
                    params![outcome.as_str(), run.0],
                )
                .map_err(Error::ledger("record run outcome"))?;
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
            &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
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
            .prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id"))
            .map_err(Error::ledger("list runs"))?;
        let rows = stmt
            .query_map([], |r| Ok(row_to_run(r)))
            .map_err(Error::ledger("list runs"))?;
        rows.map(|r| r.map_err(Error::ledger("list runs")).and_then(|x| x))
            .collect()
    }

    /// The last time `run` wrote anything to the ledger (a record, a part, a note, a queue
    /// entry or an intent), or `None` when it wrote nothing. For a run whose process died this
    /// is the best known bound of when it stopped. Rows keep the run that made them while later
    /// runs touch them (an intent settled, a part registered again), so only times before the
    /// next run began count.
    pub fn last_activity(&self, run: RunId) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock();
        let last: Option<String> = conn
            .query_row(
                "WITH next (at) AS (
                    SELECT COALESCE(MIN(started_at), '9999') FROM runs WHERE id > ?1
                 )
                 SELECT MAX(t) FROM (
                    SELECT updated_at AS t FROM objects WHERE run_id = ?1
                    UNION ALL SELECT updated_at FROM parts WHERE run_id = ?1
                    UNION ALL SELECT created_at FROM notes WHERE run_id = ?1
                    UNION ALL SELECT created_at FROM queue WHERE run_id = ?1
                    UNION ALL SELECT created_at FROM intents WHERE run_id = ?1
                    UNION ALL SELECT settled_at FROM intents WHERE run_id = ?1
                 ) WHERE t < (SELECT at FROM next)",
                params![run.0],
                |r| r.get(0),
            )
            .map_err(Error::ledger("read last activity"))?;
        last.as_deref().map(parse_time).transpose()
    }

    /// What `run` wrote, second by second, oldest first: records whose row it last changed
    /// (migrated, queued, skipped or failed), parts counted apart. Derived from the rows'
    /// `updated_at`, so a record a later run changed again counts in that later run. Seconds
    /// without a write are absent.
    pub fn activity(&self, run: RunId) -> Result<Vec<ActivitySample>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT substr(updated_at, 1, 19) AS second,
                        SUM(kind <> ?2), SUM(kind = ?2)
                   FROM objects
                  WHERE run_id = ?1 AND status IN ('migrated', 'queued', 'skipped', 'failed')
                  GROUP BY second ORDER BY second",
            )
            .map_err(Error::ledger("read activity"))?;
        let rows = stmt
            .query_map(params![run.0, ObjectKind::Part.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(Error::ledger("read activity"))?;
        let mut out = Vec::new();
        for row in rows {
            let (second, records, parts) = row.map_err(Error::ledger("read activity"))?;
            out.push(ActivitySample {
                at: parse_time(&format!("{second}Z"))?,
                records: records.max(0) as u64,
                parts: parts.max(0) as u64,
            });
        }
        Ok(out)
    }
}

fn row_to_run(r: &Row<'_>) -> Result<Run> {
    let get = |e| Error::ledger("read run")(e);
    let started: String = r.get(1).map_err(get)?;
    let finished: Option<String> = r.get(2).map_err(get)?;
    let counts: Option<String> = r.get(6).map_err(get)?;
    let outcome: Option<String> = r.get(7).map_err(get)?;
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
        outcome: outcome.as_deref().map(RunOutcome::parse).transpose()?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use rusqlite::Connection;

    use super::*;
    use crate::ledger::Origin;

    fn ledger() -> (tempfile::TempDir, Ledger) {
        let dir = tempfile::tempdir().unwrap();
        let l = Ledger::open(dir.path().join("ledger.sqlite")).unwrap();
        (dir, l)
    }

    #[test]
    fn a_dead_run_found_by_the_next_one_has_no_finish_time() {
        let (_d, l) = ledger();
        let r1 = l.begin_run(RunMode::Migrate, "h").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let r2 = l.begin_run(RunMode::Migrate, "h").unwrap();
        let dead = l.run(r1).unwrap().unwrap();
        assert_eq!(dead.status, RunStatus::Interrupted);
        assert_eq!(dead.finished_at, None, "its end is unknown");
        let next = l.run(r2).unwrap().unwrap();
        assert_eq!(next.status, RunStatus::Running);
        assert_eq!(next.finished_at, None);
    }

    /// A dead run's last write is bounded by the next run's start, although that run settled
    /// the dead run's intent and registered its part again (rows that keep the dead run's id):
    /// before, `status` showed the later run's time as the dead run's last write.
    #[test]
    fn a_dead_runs_last_write_is_not_a_later_runs() {
        let (_d, l) = ledger();
        let r1 = l.begin_run(RunMode::Migrate, "h").unwrap();
        let part = crate::ledger::PartRecord {
            ticket_source_id: "t1".into(),
            transaction_guid: "g1".into(),
            target_part_id: None,
            position: 0,
            status: crate::ledger::ObjectStatus::Pending,
        };
        l.record_part(&part, "h", r1).unwrap();
        let intent = l
            .record_intent(&crate::ObjectKind::Ticket, "t1", "fp", r1)
            .unwrap();
        let last = l.last_activity(r1).unwrap().expect("run 1 wrote");
        std::thread::sleep(std::time::Duration::from_millis(5));
        let r2 = l.begin_run(RunMode::Migrate, "h").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        l.settle_intent(
            intent.id,
            crate::ledger::Settlement::Found {
                target_id: "ic-1".into(),
                source_hash: "h".into(),
            },
        )
        .unwrap();
        l.record_part(
            &crate::ledger::PartRecord {
                position: 1,
                ..part
            },
            "h",
            r2,
        )
        .unwrap();
        // The rows the next run rewrote no longer tell their first time: what is left is still
        // a write of run 1, never one of run 2.
        let after = l
            .last_activity(r1)
            .unwrap()
            .expect("run 1's intent is still its own");
        assert!(after <= last, "{after} after {last}");
        assert!(after >= l.run(r1).unwrap().unwrap().started_at);
        assert!(after < l.run(r2).unwrap().unwrap().started_at);
    }

    #[test]
    fn a_stopped_run_keeps_the_time_it_stopped() {
        let (_d, l) = ledger();
        let r1 = l.begin_run(RunMode::Migrate, "h").unwrap();
        l.finish_run(r1, RunStatus::Interrupted, &()).unwrap();
        let stopped = l.run(r1).unwrap().unwrap().finished_at.unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let r2 = l.begin_run(RunMode::Migrate, "h").unwrap();
        assert_eq!(l.run(r1).unwrap().unwrap().finished_at, Some(stopped));
        assert!(l.run(r2).unwrap().unwrap().started_at > stopped);
    }

    #[test]
    fn outcome_round_trips_and_a_missing_run_is_an_error() {
        let (_d, l) = ledger();
        let r = l.begin_run(RunMode::Migrate, "h").unwrap();
        assert_eq!(l.run(r).unwrap().unwrap().outcome, None);
        l.finish_run(r, RunStatus::Succeeded, &()).unwrap();
        l.set_run_outcome(r, RunOutcome::BlockedOnProvisioning)
            .unwrap();
        let run = l.run(r).unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Succeeded);
        assert_eq!(run.outcome, Some(RunOutcome::BlockedOnProvisioning));
        assert_eq!(run.outcome.unwrap().label(), "blocked");
        assert_eq!(l.runs().unwrap()[0].outcome, run.outcome);
        assert!(l.set_run_outcome(RunId(99), RunOutcome::Failed).is_err());
    }

    #[test]
    fn activity_counts_records_and_parts_per_second_and_last_activity_is_the_latest_write() {
        let (_d, l) = ledger();
        let r = l.begin_run(RunMode::Migrate, "h").unwrap();
        assert_eq!(l.last_activity(r).unwrap(), None);
        assert!(l.activity(r).unwrap().is_empty());
        l.mark_migrated(&ObjectKind::Contact, "c1", "ic1", "x", Origin::Created, r)
            .unwrap();
        l.mark_migrated(&ObjectKind::Part, "p1", "ip1", "x", Origin::Created, r)
            .unwrap();
        l.mark_migrated(&ObjectKind::Part, "p2", "ip2", "x", Origin::Created, r)
            .unwrap();
        l.mark_pending(&ObjectKind::Ticket, "t1", r).unwrap();
        let samples = l.activity(r).unwrap();
        let records: u64 = samples.iter().map(|s| s.records).sum();
        let parts: u64 = samples.iter().map(|s| s.parts).sum();
        assert_eq!((records, parts), (1, 2), "pending rows are not counted");
        let last = l.last_activity(r).unwrap().unwrap();
        assert!(last >= l.run(r).unwrap().unwrap().started_at);
        assert!(samples.iter().all(|s| s.at <= last));
    }

    #[test]
    fn schema_2_clears_the_finish_time_a_dead_run_borrowed_from_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            // A ledger at schema version 1, as the previous build wrote it: run 1 died and
            // run 2 marked it interrupted with its own start time; run 3 was stopped by Ctrl-C.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);",
            )
            .unwrap();
            conn.execute_batch(super::super::schema::migration_sql(0).unwrap())
                .unwrap();
            conn.execute_batch(
                "INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00Z');
                 INSERT INTO runs (id, started_at, finished_at, spec_hash, mode, status) VALUES
                  (1, '2026-01-01T10:00:00.000000Z', '2026-01-01T11:00:00.000000Z', 'h', 'migrate', 'interrupted'),
                  (2, '2026-01-01T11:00:00.000000Z', '2026-01-01T11:30:00.000000Z', 'h', 'migrate', 'interrupted'),
                  (3, '2026-01-01T12:00:00.000000Z', '2026-01-01T12:10:00.000000Z', 'h', 'migrate', 'succeeded');",
            )
            .unwrap();
        }
        let l = Ledger::open(&path).unwrap();
        assert_eq!(l.schema_version().unwrap(), super::super::SCHEMA_VERSION);
        let runs = l.runs().unwrap();
        assert_eq!(runs[0].finished_at, None, "borrowed from run 2's start");
        assert_eq!(
            runs[1].finished_at.unwrap().to_rfc3339(),
            "2026-01-01T11:30:00+00:00",
            "a stopped run keeps its own time"
        );
        assert!(runs[2].finished_at.is_some());
        assert!(runs.iter().all(|r| r.outcome.is_none()));
    }
}
