//! The verification section of `report.html`: the last `verify`'s totals, mismatches by kind
//! and field, and every object that differs with its fields (expected and found). Every value
//! is escaped by maud: a body read back from Intercom shows as text.

use maud::{Markup, html};
use migration_core::verify::{
    CheckOutcome, Sample, SampleRow, SampleTicket, SideMessage, Stale, Verification,
};

use super::data::FileState;

/// Objects that differ listed in the report (all of them are in `verification.json`).
pub const ROWS: usize = 200;

/// Rows shown per sampled ticket (`verification.json` has them all).
pub const SAMPLE_ROWS: usize = 200;

/// Longest value shown in a cell (characters); longer ones are cut with `…`.
const CELL: usize = 300;

fn cell(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(absent)".to_owned(),
        other => other.to_string(),
    };
    if s.chars().count() > CELL {
        let cut: String = s.chars().take(CELL).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// The section (`id="verification"`); `stale` when a run changed Intercom since it was made.
pub fn section(state: &FileState<Verification>, stale: Option<&Stale>) -> Markup {
    html! {
        section id="verification" {
            @match state {
                FileState::Missing => {
                    h2 { "Verification: not run yet" }
                    p class="placeholder" {
                        "Reading back what was written to Intercom and comparing it field by \
                         field with what the mapping intended has not been run for this \
                         migration. " code { "glassix-to-intercom verify" } " fills this section."
                    }
                },
                FileState::Unreadable(why) => {
                    h2 { "Verification" }
                    p class="bad" { "Could not read " (why) ". Run "
                        code { "glassix-to-intercom verify" } " again." }
                },
                FileState::Loaded(v) => (loaded(v, stale)),
            }
        }
    }
}

/// When the verification was made, by which version, against which run; and whether a run
/// changed Intercom since.
fn made(v: &Verification, stale: Option<&Stale>) -> Markup {
    html! {
        @match &v.made {
            Some(m) => p id="verification-made" {
                "Made " (super::super::status::time(m.at)) " by version " (m.tool_version) ", checking what the ledger recorded through "
                @match m.through_run { Some(r) => { "run " (r) }, None => { "no run" } } "."
            },
            None => p id="verification-made" class="muted" {
                "When this verification was made is not recorded (written by an earlier build): run " code { "glassix-to-intercom verify" } " to date it."
            },
        }
        @if let Some(s) = stale {
            p id="verification-stale" class="bad" { "Out of date: " (s.text()) "." }
        }
    }
}

fn loaded(v: &Verification, stale: Option<&Stale>) -> Markup {
    let s = &v.summary;
    let bad: Vec<_> = v
        .objects
        .iter()
        .filter(|o| matches!(o.outcome, CheckOutcome::Differs | CheckOutcome::Missing))
        .collect();
    html! {
        h2 {
            "Verification: "
            @if stale.is_some() {
                span class="bad" { "out of date" }
            } @else if v.all_equal() && s.unreadable == 0 {
                span class="ok" { "everything Intercom holds is what was written" }
            } @else if v.all_equal() {
                span class="bad" { (s.unreadable) " objects could not be read" }
            } @else {
                span class="bad" { (s.differs + s.missing) " objects differ" }
            }
        }
        (made(v, stale))
        p {
            "Every object the ledger records as migrated was read back from Intercom and \
             compared field by field with what the migration wrote (recorded at write time). \
             Took " (format!("{:.1}", s.elapsed_ms as f64 / 1000.0)) " s."
        }
        table id="verification-summary" {
            thead { tr { th { "Objects" } th class="n" { "Parts" } th class="n" { "Fields" }
                         th class="n" { "Equal" } th class="n" { "Differ" }
                         th class="n" { "Missing" } th class="n" { "Unchecked" }
                         th class="n" { "Unreadable" } th class="n" { "Over 500 parts" } } }
            tbody { tr {
                td class="n" { (s.objects) } td class="n" { (s.parts) } td class="n" { (s.fields) }
                td class="n" { (s.equal) } td class="n" { (s.differs) } td class="n" { (s.missing) }
                td class="n" { (s.unchecked) } td class="n" { (s.unreadable) }
                td class="n" { (s.windowed) }
            } }
        }
        h3 { "Objects by kind" }
        table id="verification-kinds" {
            thead { tr { th { "Kind" } th class="n" { "Objects verified" } } }
            tbody { @for (k, n) in &s.by_kind { tr { td { (k) } td class="n" { (n) } } } }
        }
        @if !s.mismatches.is_empty() {
            h3 { "Mismatches by kind and field" }
            table id="verification-mismatches" {
                thead { tr { th { "Kind" } th { "Field" } th class="n" { "Objects" } } }
                tbody { @for (k, fields) in &s.mismatches { @for (f, n) in fields {
                    tr { td { (k) } td class="mono" { (f) } td class="n" { (n) } }
                } } }
            }
            h3 { "What differs" }
            table id="verification-diffs" {
                thead { tr { th { "Object" } th { "Glassix id" } th { "Intercom id" }
                             th { "Field" } th { "Written" } th { "In Intercom" } } }
                tbody { @for o in bad.iter().take(ROWS) { @for d in &o.diffs {
                    tr {
                        td { (o.kind) } td class="mono" { (o.source_id) }
                        td class="mono" { (o.target_id) }
                        td class="mono" {
                            @if let Some(p) = &d.part_id { "part " (p) " · " } (d.field)
                        }
                        td class="detail" { (cell(&d.expected)) }
                        td class="detail" { (cell(&d.found)) }
                    }
                } } }
            }
            @if bad.len() > ROWS {
                p class="muted" { (bad.len() - ROWS) " more objects differ: see "
                    code { "verification.json" } "." }
            }
        }
        @if s.windowed > 0 {
            p class="muted" {
                (s.windowed) " objects have more parts than Intercom shows (500): the readable \
                 window was compared field by field, the rest counted against Intercom's total."
            }
        }
        @if s.unchecked > 0 {
            p class="muted" {
                (s.unchecked) " objects were migrated with nothing recorded of what Intercom \
                 should hold (written by an earlier build, or adopted): not compared."
            }
        }
        @match &v.sample {
            Some(sample) => (spot_check(sample)),
            None => p class="muted" id="spot-check" {
                "No side-by-side spot-check in this verification: "
                code { "glassix-to-intercom verify --sample" } " adds one (50 tickets)."
            },
        }
    }
}

fn spot_check(sample: &Sample) -> Markup {
    html! {
        h3 id="spot-check" {
            "Spot-check: " (sample.tickets.len()) " tickets side by side"
        }
        p {
            "Chosen with seed " (sample.seed) " across " (sample.strata)
            " strata (department · channel · kind), read again from Glassix (left) and from \
             Intercom (right), message by message. Both sides show the text as plain text \
             (the Glassix side as the migration turns it into a part body); highlighted rows \
             differ in text, time, files, or have no counterpart."
        }
        @for t in &sample.tickets { (ticket(t)) }
    }
}

fn ticket(t: &SampleTicket) -> Markup {
    html! {
        div class="sample" {
            h4 {
                "Glassix ticket " span class="mono" { (t.source_id) } " → Intercom " (t.kind) " "
                span class="mono" { (t.target_id) }
                span class="muted" { " · " (t.department) " · " (t.channel) }
                @if t.rows_differing > 0 {
                    " " span class="bad" { (t.rows_differing) " rows differ" }
                } @else {
                    " " span class="ok" { "same" }
                }
            }
            @if let Some(n) = &t.note { p class="bad" { (n) } }
            table class="side-by-side" {
                thead { tr { th { "Glassix" } th { "Intercom" } th { "Differs" } } }
                tbody { @for r in t.rows.iter().take(SAMPLE_ROWS) { (row(r)) } }
            }
            @if t.rows.len() > SAMPLE_ROWS {
                p class="muted" { (t.rows.len() - SAMPLE_ROWS) " more rows in "
                    code { "verification.json" } "." }
            }
        }
    }
}

fn row(r: &SampleRow) -> Markup {
    let class = if r.differs.is_empty() { "" } else { "differs" };
    html! {
        tr class=(class) {
            td class="msg" { @if let Some(m) = &r.glassix { (message(m)) } @else { span class="muted" { "—" } } }
            td class="msg" { @if let Some(m) = &r.intercom { (message(m)) } @else { span class="muted" { "—" } } }
            td {
                (r.differs.join(", "))
                @if let Some(n) = &r.note { div class="muted" { (n) } }
            }
        }
    }
}

fn message(m: &SideMessage) -> Markup {
    let when = m
        .time
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "(no time)".to_owned());
    html! {
        div class="muted" { (m.author) " · " (when) " · " (m.kind) }
        div class="text" { (m.text) }
        @if !m.attachments.is_empty() {
            div class="muted" { "Files: " (m.attachments.join(", ")) }
        }
    }
}
