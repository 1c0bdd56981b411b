//! Harness of the CLI integration tests: a sandbox on its own runtime, a work folder with a
//! config pointing at it, secrets passed to the child process only, and a runner that checks
//! every output for secrets.

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use helpdesk_sandbox::{
    GeneratorSizes, GlassixConfig, IntercomConfig, Sandbox, SandboxConfig, SandboxHandle,
    SnapshotSource, Tier, TierLimits,
};
use migration_core::ObjectKind;
use migration_core::ledger::Ledger;
use migration_core::spec::{AgentPolicy, DepartmentPolicy, MappingSpec, MissingEmailPolicy};
use serde_json::Value;

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_glassix-to-intercom");

/// How long any one CLI invocation may take before the test gives up on it.
pub(crate) const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// File names of the config, spec and ledger inside the work folder.
pub(crate) const CONFIG: &str = "glassix-to-intercom.toml";
pub(crate) const SPEC: &str = "mapping.toml";
pub(crate) const LEDGER: &str = "migration.sqlite";
pub(crate) const OUT: &str = "out";

/// The reconciliation queue's header (contract).
pub(crate) const QUEUE_HEADER: [&str; 12] = [
    "kind",
    "source_id",
    "reason",
    "field",
    "detail",
    "run_id",
    "queued_at",
    "name",
    "identifiers",
    "glassix_id",
    "channel",
    "subject",
];

static UNIQUE: AtomicUsize = AtomicUsize::new(0);

/// A per-process, per-call unique tag for environment variable names and tokens.
pub(crate) fn unique() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    )
}

/// What one CLI invocation produced.
#[derive(Debug)]
pub(crate) struct Output {
    /// Exit code (`None`: killed by a signal).
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    /// Both streams, for assertion messages.
    pub(crate) fn dump(&self) -> String {
        format!(
            "exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code, showing both streams otherwise.
    #[track_caller]
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}:\n{}",
            self.dump()
        );
        self
    }

    /// Stdout and stderr together, lower-cased.
    pub(crate) fn all_lower(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr).to_lowercase()
    }
}

/// Reads both pipes of `child` on their own threads and waits for it with a deadline (the child
/// is killed and the test fails when it does not finish in time).
pub(crate) fn wait(mut child: Child, timeout: Duration) -> Output {
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let output = Output {
        code: status.and_then(|s| s.code()),
        stdout: String::from_utf8_lossy(&out_t.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap()).into_owned(),
    };
    assert!(
        status.is_some(),
        "the CLI did not finish within {timeout:?}:\n{}",
        output.dump()
    );
    output
}

/// A command of the binary with a clean environment for the variables the CLI reads.
pub(crate) fn command(dir: &Path) -> Command {
    command_of(BIN, dir)
}

/// A command of the binary `bin` (see [`command`]).
pub(crate) fn command_of(bin: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env_remove("GLASSIX_TO_INTERCOM_CONFIG")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the binary in `dir` with `args` and nothing else (no config, no secrets).
pub(crate) fn run_bare(dir: &Path, args: &[&str]) -> Output {
    wait(command(dir).args(args).spawn().unwrap(), RUN_TIMEOUT)
}

/// Settings of a test's sandbox.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) tickets: usize,
    pub(crate) seed: u64,
    /// Serve the workspace as a Starter one (every API call refused with 403).
    pub(crate) starter: bool,
    /// Intercom requests per 1-second window.
    pub(crate) intercom_per_window: u32,
    /// Messages of one generated ticket longer than Intercom's read cap (0: none).
    pub(crate) long_conversation: usize,
    /// Put [`HOSTILE_MESSAGE`] in the first customer message of every fifth ticket.
    pub(crate) hostile_messages: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            tickets: 30,
            seed: 11,
            starter: false,
            intercom_per_window: 400,
            long_conversation: 0,
            hostile_messages: false,
        }
    }
}

/// One test's world: the sandbox (on its own runtime), the work folder and the secrets.
pub(crate) struct Ctx {
    // Field order is drop order: the servers stop before their runtime.
    pub(crate) sb: SandboxHandle,
    rt: tokio::runtime::Runtime,
    /// Work folder: config, spec, ledger, out.
    pub(crate) dir: tempfile::TempDir,
    /// The child's current folder: another folder than the config's, so that relative paths
    /// must be resolved against the config file's folder (contract). Nothing may be written here.
    pub(crate) cwd: tempfile::TempDir,
    /// The sandbox's export files (outside the work folder).
    exports: tempfile::TempDir,
    /// Environment variable name per Glassix department (same order as the credentials).
    pub(crate) secret_vars: Vec<String>,
    /// Environment variable name of the Intercom token.
    pub(crate) token_var: String,
    /// Every secret value; none may appear in any output.
    pub(crate) secrets: Vec<String>,
}

impl Ctx {
    pub(crate) fn new(opts: Options) -> Ctx {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let exports = tempfile::tempdir().unwrap();
        let tag = unique();
        let token = format!("itok-{tag}-{}", uuid::Uuid::new_v4().simple());
        let mut sizes = GeneratorSizes::with_tickets(opts.tickets);
        sizes.long_conversation = opts.long_conversation;
        let source = if opts.hostile_messages {
            let mut snapshot = helpdesk_sandbox::generate(opts.seed, &sizes);
            poison(&mut snapshot);
            SnapshotSource::Snapshot(Box::new(snapshot))
        } else {
            SnapshotSource::Generate {
                seed: opts.seed,
                sizes,
            }
        };
        let config = SandboxConfig {
            source,
            glassix: GlassixConfig {
                tier: opts.starter.then_some(Tier::Starter),
                limits: Some(TierLimits {
                    per_minute: 1_000_000,
                    per_hour: 10_000_000,
                }),
                token_requests_per_minute: 10_000,
                ..GlassixConfig::default()
            },
            intercom: IntercomConfig {
                token: token.clone(),
                rate_limit: opts.intercom_per_window,
                window_secs: 1,
                ..IntercomConfig::default()
            },
            exports_dir: Some(exports.path().to_path_buf()),
            ..SandboxConfig::default()
        };
        let sb = rt.block_on(Sandbox::start(config)).unwrap();
        let secret_vars: Vec<String> = (0..sb.credentials.glassix.len())
            .map(|i| format!("G2I_TEST_{tag}_GLASSIX_SECRET_{i}"))
            .collect();
        let mut secrets: Vec<String> = sb
            .credentials
            .glassix
            .iter()
            .map(|c| c.api_secret.clone())
            .collect();
        secrets.push(sb.credentials.intercom_token.clone());
        assert_eq!(sb.credentials.intercom_token, token);
        let ctx = Ctx {
            sb,
            rt,
            dir: tempfile::tempdir().unwrap(),
            cwd: tempfile::tempdir().unwrap(),
            exports,
            secret_vars,
            token_var: format!("G2I_TEST_{tag}_INTERCOM_TOKEN"),
            secrets,
        };
        ctx.write_config(&ctx.config());
        ctx
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub(crate) fn out(&self, file: &str) -> PathBuf {
        self.dir.path().join(OUT).join(file)
    }

    pub(crate) fn config_path(&self) -> PathBuf {
        self.path(CONFIG)
    }

    /// The config (as a TOML table) pointing at the sandbox; tests edit it to break it.
    pub(crate) fn config(&self) -> toml::Table {
        let departments: Vec<toml::Value> = self
            .sb
            .credentials
            .glassix
            .iter()
            .zip(&self.secret_vars)
            .map(|(c, var)| {
                let mut d = toml::Table::new();
                d.insert("name".into(), c.department_name.clone().into());
                d.insert("api_key".into(), c.api_key.clone().into());
                d.insert("api_secret_env".into(), var.clone().into());
                d.insert("user_name".into(), c.user_name.clone().into());
                toml::Value::Table(d)
            })
            .collect();
        let mut glassix = toml::Table::new();
        glassix.insert("base_url".into(), self.sb.glassix_url.clone().into());
        glassix.insert("tier".into(), "growth".into());
        glassix.insert("per_minute".into(), 1_000_000.into());
        glassix.insert("per_hour".into(), 10_000_000.into());
        glassix.insert("departments".into(), toml::Value::Array(departments));
        let mut intercom = toml::Table::new();
        intercom.insert("token_env".into(), self.token_var.clone().into());
        intercom.insert("base_url".into(), self.sb.intercom_url.clone().into());
        let mut migration = toml::Table::new();
        migration.insert("since".into(), datetime("2024-12-01T00:00:00Z"));
        migration.insert("until".into(), datetime("2026-12-31T00:00:00Z"));
        migration.insert("concurrency".into(), 8.into());
        let mut paths = toml::Table::new();
        paths.insert("spec".into(), SPEC.into());
        paths.insert("ledger".into(), LEDGER.into());
        paths.insert("out".into(), OUT.into());
        paths.insert(
            "exports".into(),
            self.exports.path().to_string_lossy().into_owned().into(),
        );
        let mut root = toml::Table::new();
        root.insert("glassix".into(), toml::Value::Table(glassix));
        root.insert("intercom".into(), toml::Value::Table(intercom));
        root.insert("migration".into(), toml::Value::Table(migration));
        root.insert("paths".into(), toml::Value::Table(paths));
        root
    }

    pub(crate) fn write_config(&self, table: &toml::Table) {
        std::fs::write(self.config_path(), toml::to_string(table).unwrap()).unwrap();
    }

    /// The command with `--config`, `--no-progress` and every secret variable set.
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.command_without_config(&[]);
        cmd.arg("--config")
            .arg(self.config_path())
            .arg("--no-progress")
            .args(args);
        cmd
    }

    /// The command in the other folder with every secret variable set, `args` and no
    /// `--config` (nor `--no-progress`).
    pub(crate) fn command_without_config(&self, args: &[&str]) -> Command {
        self.command_of(BIN, args)
    }

    /// [`Ctx::command_without_config`] for another binary of the package.
    pub(crate) fn command_of(&self, bin: &str, args: &[&str]) -> Command {
        let mut cmd = command_of(bin, self.cwd.path());
        cmd.args(args);
        for (var, c) in self.secret_vars.iter().zip(&self.sb.credentials.glassix) {
            cmd.env(var, &c.api_secret);
        }
        cmd.env(&self.token_var, &self.sb.credentials.intercom_token);
        cmd
    }

    /// Nothing was written to the child's current folder (relative paths are the config's).
    #[track_caller]
    pub(crate) fn assert_cwd_untouched(&self) {
        let written = files_under(self.cwd.path());
        assert!(
            written.is_empty(),
            "files written relative to the current folder instead of the config's: {written:?}"
        );
    }

    /// Runs the CLI and checks that no secret shows in its output.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.run_cmd(self.command(args))
    }

    pub(crate) fn run_cmd(&self, mut cmd: Command) -> Output {
        let out = wait(cmd.spawn().unwrap(), RUN_TIMEOUT);
        self.assert_no_secret_in(&out);
        out
    }

    #[track_caller]
    pub(crate) fn assert_no_secret_in(&self, out: &Output) {
        for s in &self.secrets {
            assert!(
                !out.stdout.contains(s.as_str()) && !out.stderr.contains(s.as_str()),
                "a secret value appears in the CLI output:\n{}",
                out.dump()
            );
        }
    }

    /// No secret in any file under the work folder (config, spec, ledger and its WAL, outputs).
    #[track_caller]
    pub(crate) fn assert_no_secret_in_files(&self) {
        self.assert_cwd_untouched();
        let files = files_under(self.dir.path());
        assert!(!files.is_empty());
        for f in files {
            let bytes = std::fs::read(&f).unwrap();
            for s in &self.secrets {
                assert!(
                    !contains(&bytes, s.as_bytes()),
                    "a secret value appears in {}",
                    f.display()
                );
            }
        }
    }

    /// Runs `propose`, then rewrites the spec at `paths.spec`: confirmed or not, and with
    /// fallbacks for unmatched agents and departments (and contacts without e-mail identified
    /// by their Glassix id) when `fallbacks`.
    pub(crate) fn prepare_spec(&self, confirmed: bool, fallbacks: bool) -> MappingSpec {
        self.prepare_spec_with(confirmed, fallbacks, |_| {})
    }

    /// [`Ctx::prepare_spec`], then `edit` before the spec is written.
    pub(crate) fn prepare_spec_with(
        &self,
        confirmed: bool,
        fallbacks: bool,
        edit: impl FnOnce(&mut MappingSpec),
    ) -> MappingSpec {
        self.run(&["propose"]).expect_code(0);
        let mut spec = MappingSpec::from_path(self.path(SPEC)).unwrap();
        assert!(!spec.is_confirmed(), "propose never confirms");
        if confirmed {
            spec.confirmation.confirmed = true;
            spec.confirmation.confirmed_by = Some("cli-tests@example.com".into());
            spec.confirmation.confirmed_at = Some("2026-01-31T09:00:00Z".parse().unwrap());
        }
        if fallbacks {
            spec.policies.unmatched_agent = AgentPolicy::FallbackAdmin(self.fallback_admin());
            spec.policies.unmatched_department = DepartmentPolicy::FallbackTeam("5017999".into());
            spec.policies.missing_email = MissingEmailPolicy::ExternalIdFromGlassixId;
        } else {
            spec.policies.unmatched_agent = AgentPolicy::Queue;
            spec.policies.unmatched_department = DepartmentPolicy::Queue;
        }
        edit(&mut spec);
        std::fs::write(self.path(SPEC), spec.to_toml_string().unwrap()).unwrap();
        assert_eq!(MappingSpec::from_path(self.path(SPEC)).unwrap(), spec);
        spec
    }

    /// The seeded Intercom admin with no Glassix counterpart.
    pub(crate) fn fallback_admin(&self) -> String {
        crate::common::fallback_admin(&self.sb)
    }

    /// Intercom write requests answered so far (reads and searches excluded).
    pub(crate) fn intercom_writes(&self) -> u64 {
        crate::common::writes(&self.sb)
    }

    /// Intercom tickets per Glassix ticket id.
    pub(crate) fn intercom_tickets_by_glassix_id(
        &self,
    ) -> std::collections::BTreeMap<String, usize> {
        let mut out = std::collections::BTreeMap::new();
        for t in self.sb.intercom.state().tickets.values() {
            let id = t
                .ticket_attributes
                .get("glassix_ticket_id")
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .expect("every migrated ticket carries glassix_ticket_id");
            *out.entry(id).or_default() += 1;
        }
        out
    }

    /// No Intercom contact twice (by external id or e-mail) and no message twice in a ticket
    /// (same type, author, time and body).
    #[track_caller]
    pub(crate) fn assert_no_duplicate_parts_or_contacts(&self) {
        let st = self.sb.intercom.state();
        let mut keys = std::collections::BTreeSet::new();
        for c in st.contacts.values() {
            let key = c.external_id.clone().or(c.email.clone());
            assert!(
                key.is_none() || keys.insert(key.clone()),
                "contact {key:?} exists twice"
            );
        }
        for t in st.tickets.values() {
            let mut seen = std::collections::BTreeSet::new();
            for p in t
                .parts
                .iter()
                .filter(|p| p.part_type == "comment" || p.part_type == "note")
            {
                assert!(
                    seen.insert((
                        p.part_type.clone(),
                        p.author_id.clone(),
                        p.created_at,
                        p.body.clone()
                    )),
                    "ticket {} has the same {} twice (at {})",
                    t.id,
                    p.part_type,
                    p.created_at
                );
            }
        }
    }

    /// The ledger (only once the CLI has finished with it).
    pub(crate) fn ledger(&self) -> Ledger {
        assert!(self.path(LEDGER).exists(), "no ledger file");
        Ledger::open(self.path(LEDGER)).unwrap()
    }

    pub(crate) fn ticket_counts(&self) -> migration_core::ledger::StatusCounts {
        self.ledger().counts(&ObjectKind::Ticket).unwrap()
    }

    pub(crate) fn read_json(&self, file: &str) -> Value {
        read_json(&self.out(file))
    }

    pub(crate) fn set_intercom_latency(&self, ms: u64) {
        self.sb.intercom.set_faults(helpdesk_sandbox::FaultConfig {
            latency_ms: ms,
            ..Default::default()
        });
    }

    /// A migration of 40 tickets, two at a time, against a slowed-down Intercom (150 ms per
    /// request), so that a signal or a look at its files catches it half-way.
    pub(crate) fn slow_migration() -> Ctx {
        let ctx = Ctx::new(Options {
            tickets: 40,
            ..Options::default()
        });
        ctx.prepare_spec(true, true);
        let mut config = ctx.config();
        let migration = config
            .entry("migration")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = migration {
            t.insert("concurrency".into(), 2.into());
        }
        ctx.write_config(&config);
        ctx.set_intercom_latency(150);
        ctx
    }
}

fn datetime(s: &str) -> toml::Value {
    toml::Value::Datetime(s.parse().unwrap())
}

pub(crate) fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every regular file under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Finds a file named `name` anywhere under `dir`.
pub(crate) fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    files_under(dir)
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n == name))
}

/// Every JSON object (recursively) that holds numeric `source`, `migrated`, `queued`,
/// `skipped` and `failed`, with its `kind` field or else the key it sits under.
pub(crate) fn count_objects(v: &Value) -> Vec<(String, Value)> {
    fn walk(key: &str, v: &Value, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) => {
                if ["source", "migrated", "queued", "skipped", "failed"]
                    .iter()
                    .all(|k| m.get(*k).is_some_and(Value::is_u64))
                {
                    let kind = m.get("kind").and_then(Value::as_str).unwrap_or(key);
                    out.push((kind.to_owned(), v.clone()));
                }
                for (k, c) in m {
                    walk(k, c, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(key, c, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", v, &mut out);
    out
}

/// Whether any key (recursively) satisfies `pred`.
pub(crate) fn has_key(v: &Value, pred: &dyn Fn(&str, &Value) -> bool) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, c)| pred(k, c) || has_key(c, pred)),
        Value::Array(a) => a.iter().any(|c| has_key(c, pred)),
        _ => false,
    }
}

/// Parses the reconciliation queue: checks the header, returns the rows.
#[track_caller]
pub(crate) fn read_queue(path: &Path) -> Vec<csv::StringRecord> {
    let mut r = csv::Reader::from_path(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, QUEUE_HEADER, "reconciliation-queue.csv header");
    r.records().map(Result::unwrap).collect()
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes; returns whether it held.
pub(crate) fn poll(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// The HTML report's tests (report.rs, report_browser.rs)

/// A note text no page may render as markup.
pub(crate) const HOSTILE_NOTE: &str =
    "<script>document.title='pwned-note'</script><img src=x onerror=alert(1)>";
/// A Glassix message body likewise (text and HTML), read back by `verify --sample`.
pub(crate) const HOSTILE_MESSAGE: &str = "<script>document.title='pwned-message'</script>";

/// Puts [`HOSTILE_MESSAGE`] in the first customer message of every fifth ticket.
fn poison(snapshot: &mut helpdesk_sandbox::GlassixSnapshot) {
    for t in snapshot.tickets.iter_mut().step_by(5) {
        let Some(txs) = t["transactions"].as_array_mut() else {
            continue;
        };
        if let Some(tx) = txs
            .iter_mut()
            .find(|x| x["fromParticipant"]["type"] == "Client" && x["type"] == "Message")
        {
            tx["text"] = Value::from(format!("Hello {HOSTILE_MESSAGE}"));
            tx["html"] = Value::from("");
        }
    }
}

/// A queue detail likewise.
pub(crate) const HOSTILE_DETAIL: &str = "<script>alert('pwned-queue')</script>";
/// A queued contact's source id likewise.
pub(crate) const HOSTILE_ID: &str = "identifier:<img src=x onerror=alert(2)>@example.test";

impl Ctx {
    /// Writes into the ledger, as the latest migration run, a lossy note and a queued contact
    /// whose texts are HTML (the generator produces none): the report must show them as text.
    pub(crate) fn add_hostile_records(&self) {
        use migration_core::ledger::{LossyNote, Reason, RunMode};
        let ledger = self.ledger();
        let run = ledger
            .runs()
            .unwrap()
            .into_iter()
            .rev()
            .find(|r| r.mode == RunMode::Migrate)
            .expect("a migrate run")
            .id;
        ledger
            .add_note(
                &LossyNote {
                    kind: ObjectKind::Ticket,
                    source_id: "<script>alert('pwned-id')</script>".into(),
                    field: "transactions[0].html".into(),
                    note: HOSTILE_NOTE.into(),
                },
                run,
            )
            .unwrap();
        ledger
            .mark_queued(
                &ObjectKind::Contact,
                HOSTILE_ID,
                &Reason::new("missing_email", HOSTILE_DETAIL).with_field("identifiers"),
                run,
            )
            .unwrap();
    }

    /// Points both services of the config at `url` (e.g. a [`Trap`]'s).
    pub(crate) fn point_config_at(&self, url: &str) {
        let mut config = self.config();
        for section in ["glassix", "intercom"] {
            config
                .get_mut(section)
                .and_then(toml::Value::as_table_mut)
                .unwrap()
                .insert("base_url".into(), url.into());
        }
        self.write_config(&config);
    }
}

/// A loopback listener that counts the connections made to it and never answers: a command
/// that contacted a service would hang on it, and the count tells.
pub(crate) struct Trap {
    pub(crate) url: String,
    connections: std::sync::Arc<AtomicUsize>,
}

impl Trap {
    pub(crate) fn start() -> Trap {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                seen.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        Trap { url, connections }
    }

    pub(crate) fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A small seeded generator (xorshift64*): kill points and other random choices of a test are
/// the same on every run.
#[allow(dead_code)]
pub(crate) struct Seeded(pub(crate) u64);

impl Seeded {
    /// A number in `lo..hi`.
    #[allow(dead_code)]
    pub(crate) fn below(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        lo + self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % (hi - lo)
    }
}
