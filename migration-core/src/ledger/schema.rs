//! The ledger's SQL schema and its migrations. Documented in `docs/ledger-and-spec.md`.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};

/// Ordered migrations; `MIGRATIONS[i]` brings the schema from version `i` to `i + 1`.
/// Never edit a released migration: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema.
    r#"
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        spec_hash   TEXT NOT NULL,
        mode        TEXT NOT NULL CHECK (mode IN ('dry_run','migrate','delta','rollback')),
        status      TEXT NOT NULL,
        counts      TEXT
    );
    CREATE TABLE objects (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        source_id   TEXT NOT NULL,
        target_id   TEXT,
        status      TEXT NOT NULL,
        source_hash TEXT,
        origin      TEXT,
        seq         INTEGER,
        run_id      INTEGER REFERENCES runs(id),
        updated_at  TEXT NOT NULL,
        reason_code TEXT,
        reason      TEXT,
        reason_field TEXT,
        UNIQUE (kind, source_id)
    );
    CREATE INDEX objects_kind_status ON objects (kind, status);
    CREATE INDEX objects_seq ON objects (seq);
    CREATE TABLE parts (
        ticket_source_id TEXT NOT NULL,
        transaction_guid TEXT NOT NULL,
        target_part_id   TEXT,
        position         INTEGER NOT NULL,
        status           TEXT NOT NULL,
        run_id           INTEGER REFERENCES runs(id),
        updated_at       TEXT NOT NULL,
        PRIMARY KEY (ticket_source_id, transaction_guid)
    );
    CREATE UNIQUE INDEX parts_guid ON parts (transaction_guid);
    CREATE TABLE intents (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL,
        source_id   TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        run_id      INTEGER REFERENCES runs(id),
        created_at  TEXT NOT NULL,
        outcome     TEXT NOT NULL DEFAULT 'open',
        target_id   TEXT,
        settled_at  TEXT
    );
    CREATE UNIQUE INDEX intents_one_open ON intents (kind, source_id) WHERE outcome = 'open';
    CREATE TABLE queue (
        kind        TEXT NOT NULL,
        source_id   TEXT NOT NULL,
        reason_code TEXT NOT NULL,
        detail      TEXT NOT NULL,
        field       TEXT,
        run_id      INTEGER REFERENCES runs(id),
        created_at  TEXT NOT NULL,
        PRIMARY KEY (kind, source_id)
    );
    CREATE TABLE watermarks (
        name       TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE notes (
        id         INTEGER PRIMARY KEY,
        kind       TEXT NOT NULL,
        source_id  TEXT NOT NULL,
        field      TEXT NOT NULL,
        note       TEXT NOT NULL,
        run_id     INTEGER REFERENCES runs(id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX notes_record ON notes (kind, source_id);
    "#,
    // 2: how each run ended as its command reported it (`succeeded`, `blocked_on_provisioning`,
    // `partial`, `interrupted`, `failed`). A run whose process died was given the next run's
    // start as its finish time (the same instant, to the microsecond): its end is unknown, so
    // that time is cleared.
    r#"
    ALTER TABLE runs ADD COLUMN outcome TEXT;
    UPDATE runs SET finished_at = NULL
     WHERE status = 'interrupted'
       AND finished_at IN (SELECT later.started_at FROM runs AS later WHERE later.id > runs.id);
    "#,
    // 3: field items: a value of a migrated record that did not convert under its rule (policy
    // `invalid_value = "skip_field"`), left unwritten and listed for reconciliation. One row per
    // (record, field); a later run that writes the record replaces its rows.
    r#"
    CREATE TABLE field_items (
        kind       TEXT NOT NULL,
        source_id  TEXT NOT NULL,
        field      TEXT NOT NULL,
        raw_value  TEXT NOT NULL,
        reason_code TEXT NOT NULL,
        detail     TEXT NOT NULL,
        run_id     INTEGER REFERENCES runs(id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (kind, source_id, field)
    );
    "#,
    // 4: facts about the migration itself (e.g. the Intercom workspace the ledger belongs to).
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    "#,
    // 5: what a delta compares a ticket with: its listing's `lastActivity` when it was last
    // written (a listing entry with the same value is not read again) and the hashes of its
    // mapped sections (fields, state, assignee, tags, parts), so that a delta sends only the
    // writes of what changed and removes only tags the migration attached.
    r#"
    CREATE TABLE IF NOT EXISTS record_sections (
        kind          TEXT NOT NULL,
        source_id     TEXT NOT NULL,
        last_activity TEXT,
        sections      TEXT NOT NULL,
        run_id        INTEGER REFERENCES runs(id),
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (kind, source_id)
    );
    "#,
    // 6: what Intercom should hold of every object the migration wrote (one JSON object of
    // field → value per object or part, recorded by the writer, merged by later writes) and
    // the outcome of the last verification of each object (`verify` resumes from it).
    r#"
    CREATE TABLE IF NOT EXISTS expected (
        kind       TEXT NOT NULL,
        target_id  TEXT NOT NULL,
        parent_id  TEXT,
        position   INTEGER,
        fields     TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, target_id)
    );
    CREATE INDEX IF NOT EXISTS expected_parent ON expected (parent_id);
    CREATE TABLE IF NOT EXISTS verified (
        kind        TEXT NOT NULL,
        target_id   TEXT NOT NULL,
        equal       INTEGER NOT NULL,
        result      TEXT NOT NULL,
        verified_at TEXT NOT NULL,
        PRIMARY KEY (kind, target_id)
    );
    "#,
    // 7: who or what a queued record is, as the run knew it when it queued the record (name,
    // identifiers, Glassix id, channel, subject), for a queue row a person can act on.
    r#"
    CREATE TABLE IF NOT EXISTS queue_context (
        kind       TEXT NOT NULL,
        source_id  TEXT NOT NULL,
        context    TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, source_id)
    );
    "#,
    // 8: before-images: the values an object the migration did not create (a pre-existing
    // contact matched by e-mail) had, before the migration first changed them, one row per
    // field (`custom_attributes.<name>`, `tags.<tag id>`, or a top-level field), first touch
    // only; a rollback restores them. `before_images.from_run` is the first run that records
    // them: reused objects written by earlier runs have none (the rollback says so).
    r#"
    CREATE TABLE IF NOT EXISTS before_images (
        kind        TEXT NOT NULL,
        target_id   TEXT NOT NULL,
        field       TEXT NOT NULL,
        value       TEXT NOT NULL,
        source_id   TEXT,
        run_id      INTEGER REFERENCES runs(id),
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (kind, target_id, field)
    );
    INSERT OR IGNORE INTO meta (key, value)
        SELECT 'before_images.from_run', CAST(COALESCE(MAX(id), 0) + 1 AS TEXT) FROM runs;
    "#,
    // 9: per-run before-images: what a field of an object the run did not create (a
    // pre-existing contact, or an object an earlier run created) held before that run first
    // changed it, one row per (object, field, run); `rollback --run N` restores run N's.
    r#"
    CREATE TABLE IF NOT EXISTS run_before_images (
        kind        TEXT NOT NULL,
        target_id   TEXT NOT NULL,
        field       TEXT NOT NULL,
        run_id      INTEGER NOT NULL REFERENCES runs(id),
        value       TEXT NOT NULL,
        source_id   TEXT,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (kind, target_id, field, run_id)
    );
    "#,
    // 10: `verified` looked up by Intercom id alone: every recorded expectation forgets the last
    // verification of the object and of its parent (whose kind it does not know), which
    // scanned the whole table once a verification had filled it.
    r#"
    CREATE INDEX IF NOT EXISTS verified_target ON verified (target_id);
    "#,
    // 11: intents looked up by record (`creating_run`: which run created an object, asked
    // before every write on a contact with tags, every delta change and every rollback item),
    // which scanned the whole table: a cost per contact that grew with the run.
    r#"
    CREATE INDEX IF NOT EXISTS intents_record ON intents (kind, source_id);
    "#,
    // 12: the tickets whose parts a run may be sending (`Ledger::mark_parts_in_flight`): on
    // disk before the first part of a ticket is sent in a run, cleared after its last part is
    // settled. A part's own intent is then grouped with the next commit instead of being
    // committed before each reply; a ticket still listed after a crash has its unsettled
    // parts looked up before any is sent (docs/executor.md, "Parts in flight").
    r#"
    CREATE TABLE IF NOT EXISTS parts_in_flight (
        ticket_source_id TEXT PRIMARY KEY,
        run_id           INTEGER REFERENCES runs(id),
        opened_at        TEXT NOT NULL
    );
    "#,
    // 13: a mark made unsettled (a part failed with its outcome unknown) says so in a column of
    // its own; version 12 cleared the mark's run id instead, which the upgrade reads back.
    r#"
    ALTER TABLE parts_in_flight ADD COLUMN unsettled INTEGER NOT NULL DEFAULT 0;
    UPDATE parts_in_flight SET unsettled = 1 WHERE run_id IS NULL;
    "#,
];

/// The SQL of migration `i` (from version `i` to `i + 1`), for tests that build an older ledger.
#[cfg(test)]
pub(crate) fn migration_sql(i: usize) -> Option<&'static str> {
    MIGRATIONS.get(i).copied()
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring the database to [`SCHEMA_VERSION`]: every pending migration in one IMMEDIATE
/// transaction (all or nothing; a second process opening the same file waits, then finds the
/// schema current), recorded as one `schema_version` row with the version reached.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    // A current file needs no write lock: another process may hold it for a while (a run
    // groups its commits), and opening the ledger to read must not wait for it.
    let found: Option<i64> = conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .ok()
        .flatten();
    if found == Some(SCHEMA_VERSION) {
        return Ok(());
    }
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version    INTEGER NOT NULL,
            applied_at TEXT NOT NULL
        );",
    )
    .map_err(Error::ledger("create schema_version"))?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(Error::ledger("begin schema migration"))?;
    let current: i64 = tx
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .map_err(Error::ledger("read schema version"))?
        .flatten()
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(Error::LedgerSchemaTooNew {
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    for sql in MIGRATIONS.iter().skip(current.max(0) as usize) {
        tx.execute_batch(sql)
            .map_err(Error::ledger("apply schema migration"))?;
    }
    tx.execute(
        "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
        rusqlite::params![SCHEMA_VERSION, super::now_text()],
    )
    .map_err(Error::ledger("record schema version"))?;
    tx.commit()
        .map_err(Error::ledger("commit schema migration"))?;
    Ok(())
}
