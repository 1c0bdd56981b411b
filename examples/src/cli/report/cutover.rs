//! The cutover section of `report.html`: what the latest `delta` found and did (new, updated by
//! what changed, unchanged, per kind, the watermarks it used and recorded, tickets that changed
//! while it ran, messages edited after they were migrated). The same figures as the run
//! summary's "Cutover (delta)" section; shown only when the latest run is a delta.

use maud::{Markup, html};
use migration_core::execute::CutoverReport;

/// The section, or nothing when the latest run was not a delta.
pub fn section(cutover: Option<&CutoverReport>) -> Markup {
    let Some(c) = cutover else {
        return html! {};
    };
    html! {
        section id="cutover" {
            h2 { "Cutover (latest delta)" }
            p {
                "Listed from each department's watermark minus " (c.margin_secs) " s: "
                (c.listed) " ticket(s) listed, " (c.not_read)
                " not read (their listing entry showed no new activity)."
            }
            @if !c.changed_during.is_empty() {
                p class="warn" {
                    strong { (c.changed_during.len()) " ticket(s) changed in Glassix while this delta ran" }
                    " (activity after its listing started): run one more delta. "
                    (c.changed_during.join(", "))
                }
            }
            table {
                thead { tr { th { "Tickets" } th class="n" { "Count" } } }
                tbody {
                    tr { td { "new" } td class="n" { (c.created) } }
                    tr { td { "updated" } td class="n" { (c.updated) } }
                    @for (what, n) in &c.updated_by {
                        tr { td { "updated: " (what) " changed" } td class="n" { (n) } }
                    }
                    tr { td { "unchanged" } td class="n" { (c.unchanged) } }
                }
            }
            table {
                thead { tr { th { "Object" } th class="n" { "Handled" } th class="n" { "Migrated or updated" }
                             th class="n" { "Queued" } th class="n" { "Skipped" } th class="n" { "Failed" } } }
                tbody {
                    @for (kind, r) in &c.per_kind {
                        tr { td { (kind) } td class="n" { (r.source) } td class="n" { (r.migrated) }
                             td class="n" { (r.queued) } td class="n" { (r.skipped) } td class="n" { (r.failed) } }
                    }
                }
            }
            table {
                thead { tr { th { "Department" } th { "Watermark used" } th { "Watermark recorded" } } }
                tbody {
                    @for (dept, at) in &c.watermarks_used {
                        tr {
                            td { code { (dept) } }
                            td { (at.to_rfc3339()) }
                            td { (c.watermarks_recorded.get(dept).map_or_else(|| "not advanced".to_owned(), |t| t.to_rfc3339())) }
                        }
                    }
                }
            }
            @if !c.edited_messages.is_empty() {
                h3 { "Messages edited in Glassix after they were migrated" }
                p { "Intercom parts cannot be changed; the Intercom copy keeps the earlier text." }
                table {
                    thead { tr { th { "Ticket" } th { "Transaction" } } }
                    tbody {
                        @for (t, g) in &c.edited_messages {
                            tr { td { (t) } td { code { (g) } } }
                        }
                    }
                }
            }
        }
    }
}
