//! Charts as inline SVG, built with maud (so every label is escaped like the rest of the page):
//! records per kind and outcome, queue reasons, and throughput over time. No script, no font
//! or file fetched; each mark carries a `<title>` for a tooltip.

use chrono::{DateTime, TimeDelta, Utc};
use maud::{Markup, html};

use super::super::outputs::ObjectRow;
use migration_core::ledger::ActivitySample;

use super::data::RunActivity;

/// Chart width in pixels (the page scales it down on narrow screens).
const WIDTH: f64 = 760.0;
/// Width of the label column of bar charts.
const LABEL_W: f64 = 170.0;
/// Width of the value column at the right of bar charts.
const VALUE_W: f64 = 90.0;
/// Height of one bar row.
const ROW_H: f64 = 24.0;

/// The outcome columns, their names and colours (colour-blind-safe palette).
pub const OUTCOMES: [(&str, &str); 5] = [
    ("migrated", "#1b7837"),
    ("queued", "#e08214"),
    ("skipped", "#8c8c8c"),
    ("failed", "#c51b1b"),
    ("unfinished", "#6a3d9a"),
];

fn outcome_values(o: &ObjectRow) -> [u64; 5] {
    [o.migrated, o.queued, o.skipped, o.failed, o.unfinished]
}

fn px(v: f64) -> String {
    format!("{v:.1}")
}

fn legend(y: f64) -> Markup {
    html! {
        g class="legend" {
            @for (i, (name, colour)) in OUTCOMES.iter().enumerate() {
                @let x = LABEL_W + i as f64 * 100.0;
                rect x=(px(x)) y=(px(y)) width="12" height="12" fill=(colour) {}
                text x=(px(x + 16.0)) y=(px(y + 10.5)) font-size="12" { (name) }
            }
        }
    }
}

/// The non-empty segments of a stacked bar: (outcome index, x, width, value).
fn segments(values: &[u64; 5], total: f64, bar_w: f64) -> Vec<(usize, f64, f64, u64)> {
    let mut x = LABEL_W;
    let mut out = Vec::new();
    for (j, v) in values.iter().enumerate() {
        if *v > 0 {
            let w = bar_w * (*v as f64) / total;
            out.push((j, x, w, *v));
            x += w;
        }
    }
    out
}

/// Records per kind and outcome: one 100 % stacked bar per kind (every kind readable whatever
/// its size), the source count at the right.
pub fn outcomes_by_kind(rows: &[ObjectRow]) -> Markup {
    let top = 28.0;
    let height = top + rows.len() as f64 * ROW_H + 8.0;
    let bar_w = WIDTH - LABEL_W - VALUE_W;
    html! {
        svg class="chart" id="chart-outcomes" xmlns="http://www.w3.org/2000/svg"
            width=(px(WIDTH)) height=(px(height)) viewBox=(format!("0 0 {WIDTH} {height}"))
            role="img" aria-label="Records per kind and outcome" {
            title { "Records per kind and outcome (share of each kind's source records)" }
            (legend(4.0))
            @for (i, o) in rows.iter().enumerate() {
                @let y = top + i as f64 * ROW_H;
                @let values = outcome_values(o);
                @let total = values.iter().sum::<u64>().max(o.source).max(1) as f64;
                text x=(px(LABEL_W - 8.0)) y=(px(y + 15.0)) text-anchor="end" font-size="12" {
                    (o.kind)
                }
                rect x=(px(LABEL_W)) y=(px(y + 3.0)) width=(px(bar_w)) height=(px(ROW_H - 6.0))
                    fill="#f0f0f0" {}
                @for (j, x, w, v) in segments(&values, total, bar_w) {
                    rect class="bar" x=(px(x)) y=(px(y + 3.0)) width=(px(w.max(1.0)))
                        height=(px(ROW_H - 6.0)) fill=(OUTCOMES[j].1) {
                        title { (o.kind) ": " (v) " " (OUTCOMES[j].0) " of " (o.source) }
                    }
                }
                text x=(px(WIDTH - VALUE_W + 8.0)) y=(px(y + 15.0)) font-size="12" {
                    (o.source) " source"
                }
            }
        }
    }
}

/// Queued records per reason code, bars scaled to the largest.
pub fn queue_reasons(reasons: &[(String, u64)]) -> Markup {
    let top = 6.0;
    let height = top + reasons.len().max(1) as f64 * ROW_H + 6.0;
    let bar_w = WIDTH - LABEL_W - VALUE_W;
    let max = reasons.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    html! {
        svg class="chart" id="chart-queue" xmlns="http://www.w3.org/2000/svg"
            width=(px(WIDTH)) height=(px(height)) viewBox=(format!("0 0 {WIDTH} {height}"))
            role="img" aria-label="Queued records per reason" {
            title { "Queued records per reason" }
            @if reasons.is_empty() {
                text x=(px(LABEL_W)) y=(px(top + 15.0)) font-size="12" {
                    "The reconciliation queue is empty."
                }
            }
            @for (i, (code, n)) in reasons.iter().enumerate() {
                @let y = top + i as f64 * ROW_H;
                text x=(px(LABEL_W - 8.0)) y=(px(y + 15.0)) text-anchor="end" font-size="12" {
                    (code)
                }
                rect class="bar" x=(px(LABEL_W)) y=(px(y + 3.0))
                    width=(px((bar_w * *n as f64 / max).max(1.0))) height=(px(ROW_H - 6.0))
                    fill=(OUTCOMES[1].1) {
                    title { (code) ": " (n) " record(s)" }
                }
                text x=(px(WIDTH - VALUE_W + 8.0)) y=(px(y + 15.0)) font-size="12" { (n) }
            }
        }
    }
}

/// One bucket of the throughput chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bucket {
    start: DateTime<Utc>,
    records: u64,
    parts: u64,
}

/// At most `max` buckets of equal whole seconds over the samples' span.
fn buckets(samples: &[ActivitySample], max: usize) -> (i64, Vec<Bucket>) {
    let (Some(first), Some(last)) = (samples.first(), samples.last()) else {
        return (1, Vec::new());
    };
    let span = (last.at - first.at).num_seconds() + 1;
    let size = ((span + max as i64 - 1) / max as i64).max(1);
    let n = ((span + size - 1) / size).max(1) as usize;
    let mut out: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start: first.at + TimeDelta::seconds(i as i64 * size),
            records: 0,
            parts: 0,
        })
        .collect();
    for s in samples {
        let i = (((s.at - first.at).num_seconds() / size).max(0) as usize).min(n - 1);
        out[i].records += s.records;
        out[i].parts += s.parts;
    }
    (size, out)
}

/// Records and parts written per interval by one run (stacked columns), from the ledger's
/// row timestamps.
pub fn throughput(run: &RunActivity) -> Markup {
    let (size, buckets) = buckets(&run.samples, 60);
    let height = 190.0;
    let (left, right, top, bottom) = (60.0, 20.0, 26.0, 36.0);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let max = buckets
        .iter()
        .map(|b| b.records + b.parts)
        .max()
        .unwrap_or(0)
        .max(1);
    let col_w = plot_w / buckets.len().max(1) as f64;
    let total: u64 = buckets.iter().map(|b| b.records + b.parts).sum();
    let seconds = buckets.len() as i64 * size;
    let rate = total as f64 / seconds.max(1) as f64;
    let first = buckets.first().map(|b| b.start);
    let last = buckets.last().map(|b| b.start + TimeDelta::seconds(size));
    html! {
        svg class="chart throughput" id=(format!("chart-throughput-{}", run.run_id))
            xmlns="http://www.w3.org/2000/svg" width=(px(WIDTH)) height=(px(height))
            viewBox=(format!("0 0 {WIDTH} {height}")) role="img"
            aria-label=(format!("Records written per {size} s by run {}", run.run_id)) {
            title { "Run " (run.run_id) ": records and parts written per " (size) " s" }
            text x=(px(left)) y="14" font-size="12" {
                "Run " (run.run_id) ": " (total) " rows in " (seconds) " s ("
                (format!("{rate:.1}")) "/s on average), per " (size) " s"
            }
            rect x=(px(left + plot_w - 200.0)) y="4" width="12" height="12" fill="#2166ac" {}
            text x=(px(left + plot_w - 184.0)) y="14" font-size="12" { "records" }
            rect x=(px(left + plot_w - 110.0)) y="4" width="12" height="12" fill="#92c5de" {}
            text x=(px(left + plot_w - 94.0)) y="14" font-size="12" { "parts" }
            line x1=(px(left)) y1=(px(top + plot_h)) x2=(px(left + plot_w)) y2=(px(top + plot_h))
                stroke="#555" {}
            line x1=(px(left)) y1=(px(top)) x2=(px(left)) y2=(px(top + plot_h)) stroke="#555" {}
            text x=(px(left - 6.0)) y=(px(top + 10.0)) text-anchor="end" font-size="11" { (max) }
            text x=(px(left - 6.0)) y=(px(top + plot_h)) text-anchor="end" font-size="11" { "0" }
            @for (i, b) in buckets.iter().enumerate() {
                @let x = left + i as f64 * col_w;
                @let hr = plot_h * b.records as f64 / max as f64;
                @let hp = plot_h * b.parts as f64 / max as f64;
                @let w = (col_w - 1.0).max(1.0);
                @if b.records > 0 {
                    rect class="bar" x=(px(x)) y=(px(top + plot_h - hr)) width=(px(w))
                        height=(px(hr)) fill="#2166ac" {
                        title { (b.start.format("%H:%M:%S").to_string()) ": " (b.records) " records" }
                    }
                }
                @if b.parts > 0 {
                    rect class="bar" x=(px(x)) y=(px(top + plot_h - hr - hp)) width=(px(w))
                        height=(px(hp)) fill="#92c5de" {
                        title { (b.start.format("%H:%M:%S").to_string()) ": " (b.parts) " parts" }
                    }
                }
            }
            @if let (Some(f), Some(l)) = (first, last) {
                text x=(px(left)) y=(px(height - 14.0)) font-size="11" {
                    (f.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                }
                text x=(px(left + plot_w)) y=(px(height - 14.0)) text-anchor="end" font-size="11" {
                    (l.format("%H:%M:%S UTC").to_string())
                }
            }
        }
    }
}
