//! The spot-check: a seeded sample of migrated tickets, stratified by department, channel and
//! kind, read again from Glassix and put beside what Intercom holds, message by message.
//!
//! Messages are aligned through the ledger's part map (Glassix transaction → Intercom part).
//! Both sides are shown as plain text (the Glassix side as the sanitiser turns it into a part
//! body, the Intercom side as read back), so that a row differs only where the text, the time
//! or the files differ, or where one side has no counterpart.

use std::collections::{BTreeMap, BTreeSet};

use glassix_client::models::TransactionType;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::found::{self, Found, Schema};
use crate::ObjectKind;
use crate::execute::ExecResult;
use crate::ledger::{Ledger, PartRecord};
use crate::map::{ATTR_CHANNEL, ATTR_DEPARTMENT, html_to_text};

/// The default sample size of `verify --sample`.
pub const DEFAULT_SAMPLE: usize = 50;

/// One message on one side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideMessage {
    /// Glassix transaction GUID, or Intercom part id.
    pub id: String,
    /// Who wrote it (Glassix: participant name and type; Intercom: author type and id).
    pub author: String,
    /// When (Unix seconds).
    pub time: Option<i64>,
    /// Message, note, comment…
    pub kind: String,
    /// The text, as plain text.
    pub text: String,
    /// File names.
    pub attachments: Vec<String>,
}

/// One row of the side-by-side: a Glassix message and the Intercom part it became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRow {
    /// The Glassix message (none: an Intercom part with no Glassix counterpart).
    pub glassix: Option<SideMessage>,
    /// The Intercom part (none: the message was not written as a part).
    pub intercom: Option<SideMessage>,
    /// What differs: `text`, `time`, `attachments`, or `counterpart`.
    pub differs: Vec<String>,
    /// Why a row has one side only, when that is expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One sampled ticket, side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleTicket {
    /// Glassix ticket id.
    pub source_id: String,
    /// Intercom ticket or conversation id.
    pub target_id: String,
    /// `ticket` or `conversation` in Intercom.
    pub kind: ObjectKind,
    /// Department, as the migration recorded it.
    pub department: String,
    /// Channel, as the migration recorded it.
    pub channel: String,
    /// Message by message.
    pub rows: Vec<SampleRow>,
    /// Rows that differ.
    pub rows_differing: u64,
    /// A problem reading either side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The spot-check of a verification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Tickets asked for.
    pub requested: usize,
    /// Seed of the choice.
    pub seed: u64,
    /// Strata (department · channel · kind) the migrated tickets fall in.
    pub strata: u64,
    /// The sampled tickets.
    pub tickets: Vec<SampleTicket>,
}

/// A migrated ticket that can be sampled.
pub(crate) struct Candidate {
    pub(crate) source_id: String,
    pub(crate) target_id: String,
    pub(crate) kind: ObjectKind,
    pub(crate) department: String,
    pub(crate) channel: String,
}

impl Candidate {
    /// The ticket's stratum, from what the migration wrote.
    pub(crate) fn of(
        ledger: &Ledger,
        source_id: &str,
        target_id: &str,
    ) -> crate::Result<Option<Self>> {
        for kind in [ObjectKind::Ticket, ObjectKind::Conversation] {
            if let Some(e) = ledger.expectation(&kind, target_id)? {
                let attr = |name: &str| {
                    ["ticket_attributes", "custom_attributes"]
                        .iter()
                        .find_map(|p| e.fields.get(&format!("{p}.{name}")))
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .unwrap_or_default()
                };
                return Ok(Some(Candidate {
                    source_id: source_id.to_owned(),
                    target_id: target_id.to_owned(),
                    department: attr(ATTR_DEPARTMENT),
                    channel: attr(ATTR_CHANNEL),
                    kind,
                }));
            }
        }
        Ok(None)
    }
}

/// FNV-1a: a stable, seeded order (no dependency, same on every platform).
fn fnv(seed: u64, s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Chooses `n` candidates: within each stratum in a seeded order, then one stratum after the
/// other in turn, so that every stratum is represented before any has two.
pub(crate) fn choose(candidates: Vec<Candidate>, n: usize, seed: u64) -> (Vec<Candidate>, u64) {
    let mut strata: BTreeMap<(String, String, String), Vec<Candidate>> = BTreeMap::new();
    for c in candidates {
        let key = (c.department.clone(), c.channel.clone(), c.kind.to_string());
        strata.entry(key).or_default().push(c);
    }
    let count = strata.len() as u64;
    let mut lists: Vec<std::vec::IntoIter<Candidate>> = strata
        .into_values()
        .map(|mut v| {
            v.sort_by_key(|c| fnv(seed, &c.source_id));
            v.into_iter()
        })
        .collect();
    let mut out = Vec::new();
    while out.len() < n {
        let before = out.len();
        for l in &mut lists {
            if out.len() == n {
                break;
            }
            if let Some(c) = l.next() {
                out.push(c);
            }
        }
        if out.len() == before {
            break;
        }
    }
    (out, count)
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn glassix_side(tx: &glassix_client::models::Transaction) -> SideMessage {
    let who = tx
        .from_participant
        .as_ref()
        .map(|p| {
            let name = if p.display_name.is_empty() {
                &p.name
            } else {
                &p.display_name
            };
            format!("{name} ({:?})", p.kind)
        })
        .unwrap_or_else(|| "(no participant)".to_owned());
    // The part body the mapper writes: the HTML reduced when there is any, else the text.
    let body = if tx.html.trim().is_empty() {
        crate::html::to_part_body(&tx.text, false)
    } else {
        crate::html::to_part_body(&tx.html, true)
    };
    SideMessage {
        id: tx.guid_transaction_id.to_string(),
        author: who,
        time: tx.date_time.map(|t| t.timestamp()),
        kind: format!("{:?}", tx.kind).to_lowercase(),
        text: squash(&html_to_text(&body)),
        attachments: tx
            .attachments
            .iter()
            .map(|a| a.original_file_name.clone())
            .collect(),
    }
}

fn intercom_side(id: &str, f: &BTreeMap<String, Value>) -> SideMessage {
    let s = |k: &str| {
        f.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    SideMessage {
        id: id.to_owned(),
        author: format!("{} {}", s("author_type"), s("author_id"))
            .trim()
            .to_owned(),
        time: f.get("created_at").and_then(Value::as_i64),
        kind: s("part_type"),
        text: squash(&html_to_text(&s("body"))),
        attachments: f
            .get("attachment_names")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn compare(g: &SideMessage, i: &SideMessage, files: &[String]) -> Vec<String> {
    let mut d = Vec::new();
    if g.text != i.text {
        d.push("text".to_owned());
    }
    if g.time != i.time {
        d.push("time".to_owned());
    }
    let a: BTreeSet<&String> = g.attachments.iter().collect();
    let b: BTreeSet<&String> = files.iter().collect();
    if a != b {
        d.push("attachments".to_owned());
    }
    d
}

/// Reads one sampled ticket from both sides and lines them up.
pub(crate) async fn side_by_side(
    ledger: &Ledger,
    glassix: &glassix_client::Client,
    intercom: &intercom_client::Client,
    c: Candidate,
) -> ExecResult<SampleTicket> {
    let mut t = SampleTicket {
        source_id: c.source_id.clone(),
        target_id: c.target_id.clone(),
        kind: c.kind.clone(),
        department: c.department,
        channel: c.channel,
        rows: Vec::new(),
        rows_differing: 0,
        note: None,
    };
    let Ok(id) = c.source_id.parse::<i64>() else {
        t.note = Some(format!("`{}` is not a Glassix ticket id", c.source_id));
        return Ok(t);
    };
    let mut source = None;
    let mut last_error = None;
    for d in glassix.departments() {
        match d.ticket(id).await {
            Ok(x) => {
                source = Some(x);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let Some(source) = source else {
        t.note = Some(format!(
            "Glassix ticket {id} could not be read from any department: {}",
            last_error.map_or_else(|| "no department configured".to_owned(), |e| e.to_string())
        ));
        return Ok(t);
    };
    let schema = tokio::sync::Mutex::new(Schema::default());
    let read = match found::read(intercom, &schema, &c.kind, &c.target_id).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            t.note = Some(format!(
                "{} {} is not in Intercom (404)",
                c.kind, c.target_id
            ));
            Found::default()
        }
        Err(e) => {
            t.note = Some(format!("{} {} could not be read: {e}", c.kind, c.target_id));
            Found::default()
        }
    };
    let mut by_tx: BTreeMap<String, Vec<PartRecord>> = BTreeMap::new();
    for p in ledger.parts_for(&c.source_id)? {
        let base = p
            .transaction_guid
            .split('#')
            .next()
            .unwrap_or_default()
            .to_owned();
        by_tx.entry(base).or_default().push(p);
    }
    let mut used = BTreeSet::new();
    let mut txs = source.transactions.clone().unwrap_or_default();
    txs.sort_by_key(|x| x.date_time);
    for tx in &txs {
        let g = glassix_side(tx);
        let parts: Vec<String> = by_tx
            .get(&g.id)
            .map(|v| v.iter().filter_map(|p| p.target_part_id.clone()).collect())
            .unwrap_or_default();
        let shown: Vec<(String, SideMessage)> = parts
            .iter()
            .filter_map(|p| read.parts.get(p).map(|f| (p.clone(), intercom_side(p, f))))
            .collect();
        if shown.is_empty() {
            let message = matches!(tx.kind, TransactionType::Message | TransactionType::Note);
            let (differs, note) = if message {
                let why = if parts.is_empty() {
                    "not written as a part (see the record's notes and the queue)"
                } else {
                    "its part is not in Intercom, or not in the 500 parts Intercom shows"
                };
                (vec!["counterpart".to_owned()], Some(why.to_owned()))
            } else {
                let why =
                    "an event, not a message: carried as the ticket's state, assignee or tags";
                (Vec::new(), Some(why.to_owned()))
            };
            t.rows.push(SampleRow {
                glassix: Some(g),
                intercom: None,
                differs,
                note,
            });
            continue;
        }
        // The files of a message may be spread over continuation parts: compare them all.
        let files: Vec<String> = shown
            .iter()
            .flat_map(|(_, i)| i.attachments.iter().cloned())
            .collect();
        for (n, (pid, i)) in shown.into_iter().enumerate() {
            used.insert(pid);
            let (glassix, differs) = if n == 0 {
                let d = compare(&g, &i, &files);
                (Some(g.clone()), d)
            } else {
                (None, Vec::new())
            };
            t.rows.push(SampleRow {
                glassix,
                intercom: Some(i),
                differs,
                note: (n > 0).then(|| "continuation part of the message above (more files than one part takes, or a customer's files on a ticket)".to_owned()),
            });
        }
    }
    let mut rest: Vec<SideMessage> = read
        .parts
        .iter()
        .filter(|(id, f)| {
            !used.contains(*id)
                && matches!(
                    f.get("part_type").and_then(Value::as_str),
                    Some("comment" | "note")
                )
        })
        .map(|(id, f)| intercom_side(id, f))
        .collect();
    rest.sort_by_key(|m| m.time);
    for i in rest {
        t.rows.push(SampleRow {
            glassix: None,
            intercom: Some(i),
            differs: vec!["counterpart".to_owned()],
            note: Some("in Intercom, not from a Glassix message of this ticket".to_owned()),
        });
    }
    t.rows_differing = t.rows.iter().filter(|r| !r.differs.is_empty()).count() as u64;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: usize, dept: &str, channel: &str) -> Candidate {
        Candidate {
            source_id: id.to_string(),
            target_id: format!("t{id}"),
            kind: ObjectKind::Ticket,
            department: dept.to_owned(),
            channel: channel.to_owned(),
        }
    }

    #[test]
    fn every_stratum_is_represented_and_the_choice_is_seeded() {
        let mut all: Vec<Candidate> = (0..40).map(|i| cand(i, "Sales", "WhatsApp")).collect();
        all.push(cand(100, "Support", "Mail"));
        all.push(cand(101, "Support", "Web"));
        let ids = |v: &[Candidate]| v.iter().map(|c| c.source_id.clone()).collect::<Vec<_>>();
        let sales = || {
            (0..40)
                .map(|i| cand(i, "Sales", "WhatsApp"))
                .collect::<Vec<_>>()
        };
        let (a, strata) = choose(all, 5, 7);
        assert_eq!(strata, 3);
        assert_eq!(a.len(), 5);
        assert!(ids(&a).contains(&"100".to_owned()) && ids(&a).contains(&"101".to_owned()));
        let (b, _) = choose(sales(), 5, 7);
        let (b2, _) = choose(sales(), 5, 7);
        let (c, _) = choose(sales(), 5, 8);
        assert_eq!(ids(&b), ids(&b2), "same seed, same sample");
        assert_ne!(ids(&b), ids(&c), "another seed, another sample");
        let (small, _) = choose(sales(), 100, 7);
        assert_eq!(small.len(), 40, "never more than there are");
    }
}
