//! Everything `report.html` shows, gathered from the ledger and the files `discover` and
//! `propose` left in the output folder and beside the configuration. No network.

use std::path::Path;

use chrono::{DateTime, Utc};
use migration_core::ObjectKind;
use migration_core::discover::Discovery;
use migration_core::ledger::{ActivitySample, Ledger, NoteGroup, NoteMatches, QueueEntry, RunMode};
use migration_core::map::{ProvisioningList, ReasonCode};
use migration_core::spec::MappingSpec;
use migration_core::verify::Verification;
use serde::de::DeserializeOwned;

use super::super::exit::{CliError, from_core};
use super::super::outputs::{Summary, names};
use super::super::status::RunLine;
use super::rebuild::{self, RebuildRow};

/// Queue rows shown per reason (the CSV has them all).
pub const QUEUE_ROWS_PER_REASON: usize = 200;
/// Distinct examples shown per group of lossy notes.
pub const NOTE_EXAMPLES: usize = 3;
/// Ticket ids listed for the WhatsApp add-on.
pub const WHATSAPP_IDS: usize = 500;
/// Runs whose throughput is charted (the latest ones that wrote anything).
pub const ACTIVITY_RUNS: usize = 3;

/// The field and text of the note the ticket mapper writes on a WhatsApp ticket.
const WHATSAPP_FIELD: &str = "primaryProtocolType";
const WHATSAPP_TEXT: &str = "WhatsApp add-on";

/// A file the report reads, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub enum FileState<T> {
    /// Read and parsed.
    Loaded(T),
    /// Not there (the command that writes it has not run).
    Missing,
    /// There, but it could not be read or parsed: why.
    Unreadable(String),
}

impl<T> FileState<T> {
    /// The value, when loaded.
    pub fn loaded(&self) -> Option<&T> {
        match self {
            FileState::Loaded(v) => Some(v),
            _ => None,
        }
    }
}

/// One row of the reconciliation queue, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    /// The ledger's entry.
    pub entry: QueueEntry,
    /// What to do about it.
    pub todo: &'static str,
    /// Who or what it is, as far as the ledger knows (name, identifiers, Glassix id, channel,
    /// subject; for contacts also the notes).
    pub identity: Vec<String>,
}

/// The queue rows of one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueGroup {
    /// Reason code.
    pub code: String,
    /// Rows with that code.
    pub total: u64,
    /// The first [`QUEUE_ROWS_PER_REASON`] of them.
    pub rows: Vec<QueueRow>,
}

/// What one run wrote over time.
#[derive(Debug, Clone, PartialEq)]
pub struct RunActivity {
    /// Run id.
    pub run_id: i64,
    /// Per-second samples, oldest first.
    pub samples: Vec<ActivitySample>,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// When the report was written.
    pub generated_at: DateTime<Utc>,
    /// The ledger file.
    pub ledger_path: String,
    /// The latest migration's summary.
    pub summary: Summary,
    /// Every run, oldest first.
    pub runs: Vec<RunLine>,
    /// The queue, by reason, most rows first.
    pub queue: Vec<QueueGroup>,
    /// Lossy notes by field, most notes first.
    pub notes: Vec<NoteGroup>,
    /// Tickets that need Intercom's WhatsApp add-on to be answered on WhatsApp.
    pub whatsapp: NoteMatches,
    /// Throughput of the latest runs that wrote anything, oldest first.
    pub activity: Vec<RunActivity>,
    /// `provisioning.json`.
    pub provisioning: FileState<ProvisioningList>,
    /// `discovery.json` (its inventory, agents, departments and counts).
    pub discovery: FileState<Discovery>,
    /// `inventory.md`, shown as text when `discovery.json` is not there.
    pub inventory_md: Option<String>,
    /// The reports rebuild guide.
    pub rebuild: Vec<RebuildRow>,
    /// Whether the spec could be read for the guide.
    pub spec_read: bool,
    /// The last `verify`'s result (`verification.json`).
    pub verification: FileState<Verification>,
    /// A run that changed Intercom after that verification was made (it is stale).
    pub verification_stale: Option<migration_core::verify::Stale>,
    /// The last `rollback`'s summary (`rollback-summary.json`), if one ran.
    pub rollback: FileState<migration_core::rollback::RollbackSummary>,
}

impl ReportData {
    /// Gathers the report from `ledger`, the output folder `out` and the spec at `spec`.
    pub fn gather(
        ledger: &Ledger,
        ledger_path: &Path,
        out: &Path,
        spec: &Path,
        summary: &Summary,
    ) -> Result<Self, CliError> {
        let runs = ledger.runs().map_err(from_core)?;
        let lines = runs
            .iter()
            .map(|r| RunLine::of(ledger, r))
            .collect::<Result<Vec<_>, _>>()?;
        let mut activity = Vec::new();
        for r in runs.iter().rev().filter(|r| r.mode != RunMode::DryRun) {
            if activity.len() == ACTIVITY_RUNS {
                break;
            }
            let samples = ledger.activity(r.id).map_err(from_core)?;
            if !samples.is_empty() {
                activity.push(RunActivity {
                    run_id: r.id.0,
                    samples,
                });
            }
        }
        activity.reverse();
        let spec = MappingSpec::from_path(spec).ok();
        let verification: FileState<Verification> =
            read_json(&out.join(super::super::verify::VERIFICATION_JSON));
        Ok(ReportData {
            generated_at: Utc::now(),
            ledger_path: ledger_path.display().to_string(),
            summary: summary.clone(),
            runs: lines,
            queue: queue_groups(ledger)?,
            notes: ledger.note_groups(NOTE_EXAMPLES).map_err(from_core)?,
            whatsapp: ledger
                .notes_matching(
                    &ObjectKind::Ticket,
                    WHATSAPP_FIELD,
                    WHATSAPP_TEXT,
                    WHATSAPP_IDS,
                )
                .map_err(from_core)?,
            activity,
            provisioning: read_json(&out.join(names::PROVISIONING_JSON)),
            discovery: read_json(&out.join(names::DISCOVERY_JSON)),
            inventory_md: std::fs::read_to_string(out.join(names::INVENTORY_MD)).ok(),
            rebuild: rebuild::rows(spec.as_ref()),
            spec_read: spec.is_some(),
            verification_stale: match &verification {
                FileState::Loaded(Verification {
                    made: Some(stamp), ..
                }) => stamp.stale(ledger).map_err(from_core)?,
                _ => None,
            },
            verification,
            rollback: read_json(&out.join(super::super::rollback::ROLLBACK_SUMMARY_JSON)),
        })
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> FileState<T> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
        Err(e) => FileState::Unreadable(format!("{}: {e}", path.display())),
        Ok(text) => match serde_json::from_str(&text) {
            Ok(v) => FileState::Loaded(v),
            Err(e) => FileState::Unreadable(format!("{}: {e}", path.display())),
        },
    }
}

fn queue_groups(ledger: &Ledger) -> Result<Vec<QueueGroup>, CliError> {
    let mut groups: Vec<QueueGroup> = Vec::new();
    for entry in ledger.queue_entries().map_err(from_core)? {
        let i = match groups.iter().position(|g| g.code == entry.reason.code) {
            Some(i) => i,
            None => {
                groups.push(QueueGroup {
                    code: entry.reason.code.clone(),
                    total: 0,
                    rows: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.total += 1;
        if g.rows.len() < QUEUE_ROWS_PER_REASON {
            let identity = identity(ledger, &entry)?;
            g.rows.push(QueueRow {
                todo: what_to_do(&entry.reason.code),
                identity,
                entry,
            });
        }
    }
    groups.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.code.cmp(&b.code)));
    Ok(groups)
}

/// Who or what a queued record is, as far as the ledger knows: what the run recorded when it
/// queued the record (name, identifiers, Glassix id, channel, subject); for a contact also the
/// address of a contact Glassix gave no id and the notes recorded about it.
fn identity(ledger: &Ledger, entry: &QueueEntry) -> Result<Vec<String>, CliError> {
    let mut out = Vec::new();
    if let Some(c) = &entry.context {
        let lines = [
            ("subject", c.subject.clone()),
            ("name", c.name.clone()),
            (
                "identifiers",
                Some(c.identifiers_text()).filter(|t| !t.is_empty()),
            ),
            ("Glassix id", c.glassix_id.clone()),
            ("channel", c.channel.clone()),
        ];
        for (label, value) in lines {
            if let Some(v) = value {
                out.push(format!("{label}: {v}"));
            }
        }
    }
    if entry.kind != ObjectKind::Contact {
        return Ok(out);
    }
    if let Some(address) = entry.source_id.strip_prefix("identifier:") {
        if !out.iter().any(|l| l.contains(address)) {
            out.push(format!("identifier: {address}"));
        }
    }
    for n in ledger
        .notes_for(&entry.kind, &entry.source_id)
        .map_err(from_core)?
    {
        out.push(format!("{}: {}", n.field, n.note));
    }
    Ok(out)
}

/// What a person does about a queued record, by reason code.
pub fn what_to_do(code: &str) -> &'static str {
    let is = |r: ReasonCode| r.as_str() == code;
    if is(ReasonCode::MissingEmail) {
        "Add an e-mail address (or external id) to the customer in Glassix, or choose another \
         policies.missing_email in the spec; then run `migrate` again."
    } else if is(ReasonCode::UnmatchedAgent) || is(ReasonCode::NoActingAdmin) {
        "Invite the teammate in Intercom (see the provisioning list), or set \
         policies.unmatched_agent = { fallback_admin = \"<id>\" } (`glassix-to-intercom lookup \
         admins` lists the ids); then run `migrate` again."
    } else if is(ReasonCode::UnmatchedDepartment) {
        "Create the team in Intercom (see the provisioning list), or set \
         policies.unmatched_department = { fallback_team = \"<id>\" } (`glassix-to-intercom \
         lookup teams` lists the ids); then run `migrate` again."
    } else if is(ReasonCode::MissingContact) {
        "Resolve the customer's own queue row first (a contact row); then run `migrate` again."
    } else if is(ReasonCode::NoCustomer) {
        "The ticket has no customer participant: add one in Glassix, or leave it queued."
    } else if is(ReasonCode::InvalidFieldValue) {
        "Fix the value in Glassix, or the field rule in the spec (type, transforms, options, \
         default); then run `migrate` again."
    } else if is(ReasonCode::UnresolvedListItem)
        || is(ReasonCode::MissingTicketType)
        || is(ReasonCode::MissingCollection)
    {
        "Run `migrate` again: an earlier step creates what it waits for."
    } else if is(ReasonCode::Scrambled)
        || is(ReasonCode::Moved)
        || is(ReasonCode::DeletedContact)
        || is(ReasonCode::CannedReplyPolicy)
    {
        "Nothing: left out by rule (see the detail)."
    } else {
        "See the detail (a reason of a custom mapper)."
    }
}
