//! `report.html`: one self-contained page (inline CSS and SVG, no script, nothing fetched)
//! rendered with maud, which escapes every interpolated value: a ticket body or note holding
//! `<script>` shows as text.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use migration_core::discover::Discovery;
use migration_core::map::{Inventory, ProvisioningList};

use super::super::outputs::{ObjectRow, RunOutcome};
use super::super::status::time;
use super::charts;
use super::data::{FileState, QUEUE_ROWS_PER_REASON, ReportData, WHATSAPP_IDS};

/// The page's style sheet (a constant: nothing from the data goes in it).
const CSS: &str = r#"
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
       margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; padding-top: 8px; border-top: 1px solid #ddd; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: #555; margin: 0 0 12px; }
nav a { margin-right: 12px; }
table { border-collapse: collapse; margin: 8px 0 12px; width: 100%; }
th, td { border: 1px solid #d0d0d0; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 600; background: #fafafa; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600;
         color: #fff; }
.o-succeeded { background: #1b7837; } .o-blocked_on_provisioning { background: #e08214; }
.o-partial { background: #c51b1b; } .o-interrupted { background: #6a3d9a; }
.o-failed { background: #c51b1b; }
.ok { color: #1b7837; font-weight: 600; } .bad { color: #c51b1b; font-weight: 600; }
.chart { max-width: 100%; height: auto; display: block; margin: 6px 0 14px; }
.muted { color: #666; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
              font-size: 12.5px; }
td.detail { max-width: 420px; overflow-wrap: anywhere; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; white-space: pre-wrap; }
details > summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
.placeholder { border: 2px dashed #bbb; padding: 12px; color: #444; }
.warn { background: #fff1cc; padding: 8px 12px; }
table.side-by-side td.msg { width: 46%; overflow-wrap: anywhere; }
table.side-by-side tr.differs td { background: #fff1cc; }
table.side-by-side .text { white-space: pre-wrap; margin-top: 2px; }
.sample h4 { margin: 16px 0 4px; font-size: 14px; }
@media print { nav { display: none; } h2 { break-after: avoid; } }
"#;

/// The whole page.
pub fn render(d: &ReportData) -> String {
    let s = &d.summary;
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Glassix → Intercom migration report" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { "Glassix → Intercom migration report" }
                    p class="meta" {
                        "Written " (time(d.generated_at)) " from the ledger "
                        code { (d.ledger_path) } " and the files in the output folder."
                    }
                    nav {
                        a href="#summary" { "Summary" }
                        a href="#reconciliation" { "Reconciliation" }
                        a href="#charts" { "Charts" }
                        a href="#queue" { "Queue" }
                        a href="#notes" { "Lossy notes" }
                        a href="#whatsapp" { "WhatsApp" }
                        a href="#provisioning" { "Provisioning" }
                        a href="#inventory" { "Inventories" }
                        a href="#rebuild" { "Rebuilding reports" }
                        a href="#verification" { "Verification" }
                        @if s.cutover.is_some() { a href="#cutover" { "Cutover" } }
                        @if !matches!(d.rollback, super::data::FileState::Missing) { a href="#rollback" { "Rollback" } }
                    }
                }
                (summary(d))
                (super::cutover::section(s.cutover.as_ref()))
                (reconciliation(&s.objects, s.balanced))
                (charts_section(d))
                (queue(d))
                (notes(d))
                (whatsapp(d))
                (provisioning(&d.provisioning))
                (inventories(d))
                (rebuild(d))
                (super::verification::section(&d.verification, d.verification_stale.as_ref()))
                (super::rollback::section(&d.rollback))
            }
        }
    };
    page.into_string()
}

fn outcome_class(o: RunOutcome) -> String {
    format!("badge o-{}", o.as_str())
}

fn summary(d: &ReportData) -> Markup {
    let s = &d.summary;
    let total = |f: fn(&ObjectRow) -> u64| s.objects.iter().map(f).sum::<u64>();
    html! {
        section id="summary" {
            h2 { "Summary" }
            p {
                "Latest migration: run " (s.run_id) " (" (s.mode) ") — "
                span class=(outcome_class(s.outcome)) { (s.outcome.label()) }
            }
            @if let Some(secs) = s.elapsed_seconds {
                p { "Took " (format!("{secs:.1}")) " s"
                    @if let Some(w) = s.intercom_writes { ", " (w) " Intercom write calls" } "." }
            }
            p {
                (total(|o| o.source)) " source records: "
                (total(|o| o.migrated)) " migrated, " (total(|o| o.queued)) " queued, "
                (total(|o| o.skipped)) " skipped, " (total(|o| o.failed)) " failed"
                @if total(|o| o.unfinished) > 0 { ", " (total(|o| o.unfinished)) " unfinished" }
                "."
            }
            @if !s.next.is_empty() {
                h3 { "Next" }
                ul { @for n in &s.next { li { (n) } } }
            }
            h3 id="runs" { "Runs" }
            table {
                thead { tr { th class="n" { "Run" } th { "Mode" } th { "Outcome" }
                             th { "Started" } th { "Finished" } } }
                tbody {
                    @for r in &d.runs {
                        tr { td class="n" { (r.id) } td { (r.mode) } td { (r.outcome) }
                             td { (r.started) } td { (r.finished) } }
                    }
                }
            }
        }
    }
}

fn reconciliation(rows: &[ObjectRow], balanced: bool) -> Markup {
    let sum = |f: fn(&ObjectRow) -> u64| rows.iter().map(f).sum::<u64>();
    html! {
        section id="reconciliation" {
            h2 { "Reconciliation per kind" }
            p {
                "Every source record is accounted for (source = migrated + queued + skipped + \
                 failed): "
                @if balanced { span class="ok" { "yes" } } @else { span class="bad" { "no" } }
            }
            table id="reconciliation-table" {
                thead { tr {
                    th { "Kind" } th class="n" { "Source" } th class="n" { "Migrated" }
                    th class="n" { "Queued" } th class="n" { "Skipped" } th class="n" { "Failed" }
                    th class="n" { "Unfinished" }
                } }
                tbody {
                    @for o in rows {
                        tr {
                            td { (o.kind) } td class="n" { (o.source) }
                            td class="n" { (o.migrated) } td class="n" { (o.queued) }
                            td class="n" { (o.skipped) } td class="n" { (o.failed) }
                            td class="n" { (o.unfinished) }
                        }
                    }
                    tr class="total" {
                        td { "all" } td class="n" { (sum(|o| o.source)) }
                        td class="n" { (sum(|o| o.migrated)) } td class="n" { (sum(|o| o.queued)) }
                        td class="n" { (sum(|o| o.skipped)) } td class="n" { (sum(|o| o.failed)) }
                        td class="n" { (sum(|o| o.unfinished)) }
                    }
                }
            }
        }
    }
}

fn charts_section(d: &ReportData) -> Markup {
    let reasons: Vec<(String, u64)> = d.queue.iter().map(|g| (g.code.clone(), g.total)).collect();
    html! {
        section id="charts" {
            h2 { "Charts" }
            h3 { "Records per kind and outcome" }
            (charts::outcomes_by_kind(&d.summary.objects))
            h3 { "Queue reasons" }
            (charts::queue_reasons(&reasons))
            h3 { "Throughput over time" }
            p class="muted" {
                "Rows each run wrote (migrated, queued, skipped or failed), from the ledger's \
                 row timestamps; a record a later run changed again counts in that later run."
            }
            @if d.activity.is_empty() {
                p { "No run has written records yet." }
            }
            @for run in &d.activity { (charts::throughput(run)) }
        }
    }
}

fn queue(d: &ReportData) -> Markup {
    let total: u64 = d.queue.iter().map(|g| g.total).sum();
    html! {
        section id="queue" {
            h2 { "Reconciliation queue (" (total) ")" }
            @if d.queue.is_empty() {
                p { "Empty: no record waits for a person." }
            } @else {
                p {
                    "Records that cannot move yet, by reason, with what to do. The full list is "
                    code { "reconciliation-queue.csv" } "."
                }
            }
            @for g in &d.queue {
                details open {
                    summary { code { (g.code) } " — " (g.total) " record(s)" }
                    @if let Some(first) = g.rows.first() { p { "What to do: " (first.todo) } }
                    table class="queue" {
                        thead { tr { th { "Kind" } th { "Source id" } th { "Field" }
                                     th { "Detail" } th { "Who / what" } th { "Run" } } }
                        tbody {
                            @for r in &g.rows {
                                tr {
                                    td { (r.entry.kind.as_str()) }
                                    td class="mono" { (r.entry.source_id) }
                                    td class="mono" { (r.entry.reason.field.as_deref().unwrap_or("")) }
                                    td class="detail" { (r.entry.reason.detail) }
                                    td class="detail" {
                                        @for line in &r.identity { div { (line) } }
                                        @if r.identity.is_empty() {
                                            span class="muted" { "not recorded in the ledger" }
                                        }
                                    }
                                    td class="n" { (r.entry.run_id.map(|r| r.0.to_string()).unwrap_or_default()) }
                                }
                            }
                        }
                    }
                    @if g.total > g.rows.len() as u64 {
                        p class="muted" {
                            "The first " (QUEUE_ROWS_PER_REASON) " of " (g.total)
                            " are shown; the CSV lists them all."
                        }
                    }
                }
            }
        }
    }
}

fn notes(d: &ReportData) -> Markup {
    html! {
        section id="notes" {
            h2 { "Lossy notes by field" }
            p {
                "What the mapping changed or could not carry, per source field (list indexes \
                 folded: " code { "transactions[].html" } " is every message's body), with \
                 examples."
            }
            @if d.notes.is_empty() { p { "No note recorded." } } @else {
                table id="notes-table" {
                    thead { tr { th { "Kind" } th { "Field" } th class="n" { "Notes" }
                                 th class="n" { "Records" } th class="n" { "Warnings" }
                                 th { "Examples" } } }
                    tbody {
                        @for g in &d.notes {
                            tr {
                                td { (g.kind.as_str()) } td class="mono" { (g.field) }
                                td class="n" { (g.notes) } td class="n" { (g.records) }
                                td class="n" { (g.warnings) }
                                td class="detail" {
                                    @for e in &g.examples {
                                        div { span class="mono" { (e.source_id) } ": " (e.note) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn whatsapp(d: &ReportData) -> Markup {
    let w = &d.whatsapp;
    html! {
        section id="whatsapp" {
            h2 { "Tickets that need Intercom's WhatsApp add-on (" (w.records) ")" }
            @if w.records == 0 {
                p { "None: no migrated ticket came from WhatsApp." }
            } @else {
                p {
                    "Their history is imported as a Messenger-style thread; replying to them on \
                     WhatsApp from Intercom needs Intercom's WhatsApp add-on. Glassix ticket ids:"
                }
                p class="mono" id="whatsapp-ids" {
                    @for (i, id) in w.source_ids.iter().enumerate() {
                        @if i > 0 { ", " } (id)
                    }
                    @if w.records > w.source_ids.len() as u64 {
                        " … (the first " (WHATSAPP_IDS) " of " (w.records) ")"
                    }
                }
            }
        }
    }
}

fn file_problem<T>(state: &FileState<T>, name: &str, command: &str) -> Markup {
    html! {
        @match state {
            FileState::Missing => p class="muted" {
                code { (name) } " is not in the output folder: run " code { (command) } "."
            },
            FileState::Unreadable(why) => p class="bad" { "Could not read " (why) },
            FileState::Loaded(_) => {},
        }
    }
}

fn provisioning(state: &FileState<ProvisioningList>) -> Markup {
    html! {
        section id="provisioning" {
            h2 { "Provisioning: teammates and teams to create by hand in Intercom" }
            (file_problem(state, "provisioning.json", "glassix-to-intercom discover"))
            @if let Some(p) = state.loaded() {
                @if p.is_empty() {
                    p { "Nothing: every agent and department has a match." }
                }
                @if !p.agents.is_empty() {
                    h3 { "Teammates (Settings → Teammates → Invite)" }
                    table id="provisioning-agents" {
                        thead { tr { th { "Name" } th { "E-mail" } th { "Job title" }
                                     th { "Glassix user" } } }
                        tbody { @for a in &p.agents { tr {
                            td { (a.name) } td { (a.email) } td { (a.job_title) }
                            td class="mono" { (a.glassix_user_id) }
                        } } }
                    }
                }
                @if !p.departments.is_empty() {
                    h3 { "Teams (Settings → Teams)" }
                    table id="provisioning-teams" {
                        thead { tr { th { "Team to create" } th { "Glassix department" } } }
                        tbody { @for t in &p.departments { tr {
                            td { (t.team_name) } td class="mono" { (t.department_id) }
                        } } }
                    }
                }
                p class="muted" {
                    "Or map them to an existing teammate or team with the spec's fallbacks: "
                    code { "glassix-to-intercom lookup admins" } " and "
                    code { "lookup teams" } " print the ids."
                }
            }
        }
    }
}

fn inventories(d: &ReportData) -> Markup {
    html! {
        section id="inventory" {
            h2 { "Inventories: what discovery found and what is rebuilt by hand" }
            @match (&d.discovery, &d.inventory_md) {
                (FileState::Loaded(disc), _) => { (discovery(disc)) (inventory(&disc.inventory)) },
                (other, Some(md)) => {
                    (file_problem(other, "discovery.json", "glassix-to-intercom discover"))
                    h3 { "inventory.md" }
                    pre { (md) }
                },
                (other, None) => {
                    (file_problem(other, "discovery.json", "glassix-to-intercom discover"))
                },
            }
        }
    }
}

fn counts_table(title: &str, m: &std::collections::BTreeMap<String, u64>) -> Markup {
    html! {
        @if !m.is_empty() {
            table class="counts" {
                thead { tr { th { (title) } th class="n" { "Tickets" } } }
                tbody { @for (k, n) in m { tr { td { (k) } td class="n" { (n) } } } }
            }
        }
    }
}

fn discovery(d: &Discovery) -> Markup {
    let matched_agents = d.agents.iter().filter(|a| a.admin_id.is_some()).count();
    let matched_depts = d.departments.iter().filter(|x| x.team_id.is_some()).count();
    html! {
        h3 { "What discovery found" }
        p {
            (d.tickets.total) " tickets (" (d.transactions) " messages and notes, "
            (d.attachments) " attachments), " (d.contacts_reachable) " customers; "
            (matched_agents) " of " (d.agents.len()) " agents and " (matched_depts) " of "
            (d.departments.len()) " departments have an Intercom match."
        }
        (counts_table("Channel", &d.tickets.by_channel))
        (counts_table("State", &d.tickets.by_state))
        @if !d.conflicts.is_empty() {
            h3 { "Conflicts" }
            ul { @for c in &d.conflicts { li { (c) } } }
        }
    }
}

fn inventory(inv: &Inventory) -> Markup {
    html! {
        h3 { "Chatbot flows (" (inv.flows.len()) ")" }
        @if inv.flows.is_empty() { p { "None seen." } } @else {
            table id="inventory-flows" {
                thead { tr { th { "Flow" } th class="n" { "Tickets" } th { "Steps seen" }
                             th { "Parameters" } th { "Rebuild with" } } }
                tbody { @for f in &inv.flows { tr {
                    td { (f.name) div class="mono muted" { (f.flow_id) } }
                    td class="n" { (f.ticket_count) }
                    td { (f.steps_seen.len()) }
                    td class="detail" { @for (i, p) in f.parameters.iter().enumerate() {
                        @if i > 0 { ", " } (p) } }
                    td class="detail" { @for r in &f.recommendations {
                        div { b { (r.equivalent.label()) } ": " (r.why) } } }
                } } }
            }
        }
        h3 { "Workflows (" (inv.workflows.len()) ")" }
        @if inv.workflows.is_empty() { p { "None in the automation export." } } @else {
            table id="inventory-workflows" {
                thead { tr { th { "Workflow" } th { "Trigger" } th { "Actions" }
                             th { "Rebuild with" } } }
                tbody { @for w in &inv.workflows { tr {
                    td { (w.workflow.name) } td { (w.workflow.trigger) }
                    td class="detail" { @for a in &w.workflow.actions { div { (a) } } }
                    td class="detail" { @for r in &w.recommendations {
                        div { b { (r.equivalent.label()) } ": " (r.why) } } }
                } } }
            }
        }
        @if !inv.canned_replies.is_empty() {
            h3 { "Canned replies to rebuild as macros" }
            table id="inventory-canned" {
                thead { tr { th { "Category" } th { "Titles" } } }
                tbody { @for c in &inv.canned_replies { tr {
                    td { (c.category) }
                    td class="detail" { @for (i, t) in c.titles.iter().enumerate() {
                        @if i > 0 { ", " } (t) } }
                } } }
            }
        }
        @if !inv.parameters.is_empty() {
            h3 { "Chatbot parameters seen in tickets" }
            table id="inventory-parameters" {
                thead { tr { th { "Parameter" } th class="n" { "Tickets" } } }
                tbody { @for (p, n) in &inv.parameters { tr {
                    td class="mono" { (p) } td class="n" { (n) } } } }
            }
        }
    }
}

fn rebuild(d: &ReportData) -> Markup {
    html! {
        section id="rebuild" {
            h2 { "Rebuilding Glassix's reports in Intercom" }
            p {
                "Intercom computes its own metrics only from what happens in Intercom, so the \
                 migration carries each Glassix metric as an attribute. Build the equivalent \
                 report from it (also in " code { "reports-rebuild.md" } ")."
            }
            @if !d.spec_read {
                p class="muted" {
                    "The mapping spec could not be read: its own field rules are not listed."
                }
            }
            table id="rebuild-table" {
                thead { tr { th { "Glassix metric" } th { "In Glassix" } th { "In Intercom" }
                             th { "Holder" } th { "Intercom's native metric" }
                             th { "How to build the report" } } }
                tbody { @for r in &d.rebuild { tr {
                    td { (r.metric) } td { (r.glassix) } td class="mono" { (r.intercom) }
                    td { (r.holder) } td class="detail" { (r.native) }
                    td class="detail" { (r.how) }
                } } }
            }
        }
    }
}
