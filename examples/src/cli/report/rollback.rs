//! The rollback section of `report.html`: what the last `rollback` undid, per kind (deleted,
//! archived, restored, already gone, left for the admin, failed), its calls and time, what it
//! left (objects Intercom cannot delete, parts a later run appended, calls that failed) and
//! what it restored only in part. Shown only when
//! `rollback-summary.json` is in the output folder.

use maud::{Markup, html};
use migration_core::rollback::RollbackSummary;

use super::data::FileState;

/// Rows of the left-behind list shown (the summary file has them all).
const LEFT_SHOWN: usize = 100;

/// The section, or nothing when no rollback ran.
pub fn section(state: &FileState<RollbackSummary>) -> Markup {
    let s = match state {
        FileState::Loaded(s) => s,
        FileState::Missing => return html! {},
        FileState::Unreadable(e) => {
            return html! {
                section id="rollback" {
                    h2 { "Rollback" }
                    p class="placeholder" { "rollback-summary.json could not be read: " (e) }
                }
            };
        }
    };
    let t = s.totals();
    html! {
        section id="rollback" {
            h2 { "Rollback" }
            p {
                @if s.dry_run { "Last rollback was a dry run (nothing was sent): " }
                @else if let Some(run) = s.run { "Last rollback: run " (run.0) ": " }
                (t.deleted) " deleted, " (t.archived) " archived, " (t.restored) " restored, " (t.already_gone)
                " already gone, " (t.left) " left for the admin, " (t.failed) " failed; "
                (s.calls) " Intercom write calls in " (format!("{:.1}", s.elapsed_ms as f64 / 1000.0)) " s."
            }
            table {
                thead { tr { th { "Object" } th class="n" { "Deleted" } th class="n" { "Archived" } th class="n" { "Restored" }
                             th class="n" { "Already gone" } th class="n" { "Left" } th class="n" { "Failed" } } }
                tbody {
                    @for (kind, k) in &s.per_kind {
                        tr { td { (kind) } td class="n" { (k.deleted) } td class="n" { (k.archived) } td class="n" { (k.restored) }
                             td class="n" { (k.already_gone) } td class="n" { (k.left) } td class="n" { (k.failed) } }
                    }
                }
            }
            @if !s.left.is_empty() {
                h3 { "Left as they are" }
                table {
                    thead { tr { th { "Object" } th { "Glassix id" } th { "Intercom id" } th { "Why" } } }
                    tbody {
                        @for l in s.left.iter().take(LEFT_SHOWN) {
                            tr class=[l.failed.then_some("differs")] {
                                td { (l.kind) } td { (l.source_id) } td { code { (l.target_id) } } td { (l.why) }
                            }
                        }
                    }
                }
                @if s.left.len() > LEFT_SHOWN {
                    p { (s.left.len() - LEFT_SHOWN) " more in rollback-summary.json." }
                }
            }
            @if !s.partial.is_empty() {
                h3 { "Restored in part" }
                table {
                    thead { tr { th { "Object" } th { "Glassix id" } th { "Intercom id" } th { "Not put back" } } }
                    tbody {
                        @for l in s.partial.iter().take(LEFT_SHOWN) {
                            tr { td { (l.kind) } td { (l.source_id) } td { code { (l.target_id) } } td { (l.why) } }
                        }
                    }
                }
            }
        }
    }
}
