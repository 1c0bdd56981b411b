//! Verification: read back every object the ledger records as migrated and compare it, field
//! by field, with what the migration wrote.
//!
//! Expected values come from the ledger, not from Glassix: every live write records what it
//! makes Intercom hold (`expect`, through the writer; see [`crate::ledger::Expectation`]).
//! [`crate::Migration::verify`] then reads each object back with the run's Intercom client
//! (so it is paced under the same budget), puts it in the same field names (`found`) and
//! compares (`compare`): contacts (identity fields, attributes, tags), tickets and
//! conversations (state, assignee, team, title, attributes, tags, contacts, and each part's
//! author type and id, `created_at`, body normalised as the sanitiser writes it, note or
//! comment, attachment names and count), tags, contact and conversation attributes, ticket
//! types, collections and articles. Intercom shows at most 500 parts of a conversation:
//! beyond that the parts in the readable window are compared, the others are counted against
//! the total, and the object says so.
//!
//! An object Intercom answers 404 for is `missing`; an object the ledger records as migrated
//! with no expectation (written by a build before verification existed, or adopted from
//! Intercom after a lost answer) is `unchecked`. The outcome of each object is kept in the
//! ledger: a verification that was interrupted resumes, skipping the objects it already found
//! equal (unless `again`); one that finished is done, and the next verification checks
//! everything anew. Any later write to an object forgets its verification.
//!
//! Ticket types are read back too: name, archived state, and the name and data type of every
//! attribute the migration created on them (recorded as fields of the type's expectation).

pub(crate) mod compare;
pub(crate) mod expect;
pub(crate) mod found;
pub mod sample;
mod stamp;

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ObjectKind;
use crate::execute::ExecResult;
use crate::ledger::{Expectation, Ledger};
use crate::progress::{ProgressEvent, ProgressSender, QuotaWatch, RATE_WINDOW, RateTracker};

pub use compare::normalise_body;
pub use sample::{DEFAULT_SAMPLE, Sample, SampleRow, SampleTicket, SideMessage};
pub use stamp::{Stale, Stamp, latest_changing_run};

/// The progress step name of a verification.
pub const STEP: &str = "verify";

/// The kinds verified, in this order.
pub const KINDS: [ObjectKind; 9] = [
    ObjectKind::DataAttribute,
    ObjectKind::ConversationAttribute,
    ObjectKind::TicketType,
    ObjectKind::Tag,
    ObjectKind::Contact,
    ObjectKind::Ticket,
    ObjectKind::Conversation,
    ObjectKind::Collection,
    ObjectKind::Article,
];

/// Options of [`crate::Migration::verify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// Check every object again, including those an interrupted verification already found
    /// equal.
    pub again: bool,
    /// Tickets to spot-check side by side against Glassix (0: none).
    pub sample: usize,
    /// Seed of the spot-check's choice.
    pub seed: u64,
}

impl VerifyOptions {
    /// Check everything again (`verify --again`).
    pub fn again(mut self, again: bool) -> Self {
        self.again = again;
        self
    }

    /// Spot-check `n` tickets side by side against Glassix, chosen with `seed`
    /// (`verify --sample N --seed S`).
    pub fn sample(mut self, n: usize, seed: u64) -> Self {
        self.sample = n;
        self.seed = seed;
        self
    }
}

/// How one object compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Every expected field is as written.
    Equal,
    /// At least one field differs (see the diffs).
    Differs,
    /// Intercom does not have the object (404).
    Missing,
    /// Nothing was recorded of what it should hold: not compared.
    Unchecked,
    /// Intercom could not be read (after the client's retries): run `verify` again.
    Unreadable,
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// The field (e.g. `custom_attributes.Channel`, `tags`, `body`, `present`).
    pub field: String,
    /// The part it belongs to, for a part's field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_id: Option<String>,
    /// What the migration wrote.
    pub expected: Value,
    /// What Intercom holds (`null`: absent).
    pub found: Value,
}

/// The verification of one object (with its parts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectCheck {
    /// Kind (as the ledger records it: tickets are `ticket` whatever their target).
    pub kind: ObjectKind,
    /// Glassix id (for tags and attributes: the name).
    pub source_id: String,
    /// Intercom id.
    pub target_id: String,
    /// How it compared.
    pub outcome: CheckOutcome,
    /// Fields compared (the object's and its parts').
    pub fields_checked: u64,
    /// Parts compared.
    pub parts_checked: u64,
    /// The fields that differ.
    pub diffs: Vec<FieldDiff>,
    /// Anything the reader should know (a window of 500 parts, an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Found equal already (not read again): by an interrupted run of this verification, or
    /// earlier in this one for another record written as the same Intercom object (merged
    /// customers).
    #[serde(default)]
    pub resumed: bool,
}

/// Totals of a verification.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerifySummary {
    /// Objects verified (every outcome).
    pub objects: u64,
    /// Fields compared.
    pub fields: u64,
    /// Parts compared.
    pub parts: u64,
    /// Objects equal.
    pub equal: u64,
    /// Objects with a differing field.
    pub differs: u64,
    /// Objects Intercom does not have.
    pub missing: u64,
    /// Objects with nothing recorded to compare with.
    pub unchecked: u64,
    /// Objects Intercom could not be read for.
    pub unreadable: u64,
    /// Objects found equal already and not read again (see [`ObjectCheck::resumed`]).
    pub resumed: u64,
    /// Objects with more parts than Intercom shows (the window and the count were verified).
    pub windowed: u64,
    /// Mismatches by kind, then by field (`part` for parts' fields; `present` for a missing
    /// object or part).
    pub mismatches: BTreeMap<String, BTreeMap<String, u64>>,
    /// Objects by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Wall time of the verification, in milliseconds.
    pub elapsed_ms: u64,
}

/// The outcome of [`crate::Migration::verify`]: what `verification.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// Totals.
    pub summary: VerifySummary,
    /// Every object, in the order verified.
    pub objects: Vec<ObjectCheck>,
    /// The spot-check against Glassix, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<Sample>,
    /// When it was made, the ledger run it checked and the tool's version (absent in files
    /// written before this existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made: Option<Stamp>,
}

impl Verification {
    /// No object differs or is missing.
    pub fn all_equal(&self) -> bool {
        self.summary.differs == 0 && self.summary.missing == 0
    }

    fn add(&mut self, c: ObjectCheck) {
        let s = &mut self.summary;
        s.objects += 1;
        s.fields += c.fields_checked;
        s.parts += c.parts_checked;
        *s.by_kind.entry(c.kind.to_string()).or_default() += 1;
        match c.outcome {
            CheckOutcome::Equal => s.equal += 1,
            CheckOutcome::Differs => s.differs += 1,
            CheckOutcome::Missing => s.missing += 1,
            CheckOutcome::Unchecked => s.unchecked += 1,
            CheckOutcome::Unreadable => s.unreadable += 1,
        }
        if c.resumed {
            s.resumed += 1;
        }
        if c.note
            .as_deref()
            .is_some_and(|n| n.starts_with(WINDOW_NOTE))
        {
            s.windowed += 1;
        }
        for d in &c.diffs {
            let kind = if d.part_id.is_some() {
                ObjectKind::Part.to_string()
            } else {
                c.kind.to_string()
            };
            *s.mismatches
                .entry(kind)
                .or_default()
                .entry(d.field.clone())
                .or_default() += 1;
        }
        self.objects.push(c);
    }
}

/// The ledger `meta` key that says whether the last verification finished.
const STATE_KEY: &str = "verify.state";
const RUNNING: &str = "running";
const FINISHED: &str = "finished";

/// The expected field under which earlier builds recorded a ticket update's assignee.
const LEGACY_ANY_ASSIGNEE: &str = "assignee_id";

const WINDOW_NOTE: &str = "more parts than Intercom shows";

/// One object to verify, as the ledger lists it.
struct Item {
    kind: ObjectKind,
    source_id: String,
    target_id: String,
    reused: bool,
}

/// Verifies every migrated object of `ledger` against `client`.
pub(crate) async fn run(
    ledger: &Ledger,
    client: &intercom_client::Client,
    options: &VerifyOptions,
    concurrency: usize,
    progress: &ProgressSender,
) -> ExecResult<Verification> {
    let started = tokio::time::Instant::now();
    // A verification that finished is done: the next one checks everything anew. One that
    // was interrupted resumes, skipping what it already found equal.
    let finished = ledger.meta(STATE_KEY)?.as_deref() == Some(FINISHED);
    if options.again || finished {
        ledger.clear_verifications()?;
    }
    ledger.set_meta(STATE_KEY, RUNNING)?;
    let items: Vec<Item> = ledger
        .migrated_objects(&KINDS)?
        .into_iter()
        .map(|(kind, source_id, target_id, reused)| Item {
            kind,
            source_id,
            target_id,
            reused,
        })
        .collect();
    let total = items.len() as u64;
    progress.send(ProgressEvent::StepStarted {
        step: STEP.to_owned(),
        total: Some(total),
    });
    let schema = tokio::sync::Mutex::new(found::Schema::default());
    let mut rate = RateTracker::new(Some(total), RATE_WINDOW);
    let _quota_watch = QuotaWatch::spawn(progress.clone(), Some(client.clone()), None);
    let mut out = Verification::default();
    let mut checks = futures::stream::iter(items)
        .map(|item| check(ledger, client, &schema, item))
        .buffered(concurrency.max(1));
    let mut last = tokio::time::Instant::now();
    while let Some(c) = checks.next().await {
        let c = c?;
        if c.outcome == CheckOutcome::Unreadable {
            progress.send(ProgressEvent::Error {
                step: STEP.to_owned(),
                kind: Some(c.kind.clone()),
                source_id: Some(c.source_id.clone()),
                message: c.note.clone().unwrap_or_default(),
            });
        }
        out.add(c);
        rate.add(1);
        if progress.quota_period() > rate.period() {
            rate.set_period(progress.quota_period());
        }
        if last.elapsed() >= Duration::from_secs(1) {
            last = tokio::time::Instant::now();
            progress.send(rate.event(STEP));
        }
    }
    progress.send(rate.event(STEP));
    out.summary.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let stamp = Stamp::now(ledger, &out.summary)?;
    stamp.save(ledger)?;
    out.made = Some(stamp);
    ledger.set_meta(STATE_KEY, FINISHED)?;
    Ok(out)
}

/// The expectation of one ledger object: under its own kind, or (a Glassix ticket) under the
/// kind it was written as.
fn expectation_of(ledger: &Ledger, item: &Item) -> crate::Result<Option<Expectation>> {
    let mut e = ledger.expectation(&item.kind, &item.target_id)?;
    if e.is_none() && item.kind == ObjectKind::Ticket {
        e = ledger.expectation(&ObjectKind::Conversation, &item.target_id)?;
    }
    if let Some(e) = &mut e {
        // Written by an earlier build: a ticket update's assignee whose kind (admin or team)
        // was not recorded. Nothing Intercom shows can be compared with it.
        e.fields.remove(LEGACY_ANY_ASSIGNEE);
    }
    Ok(e)
}

async fn check(
    ledger: &Ledger,
    client: &intercom_client::Client,
    schema: &tokio::sync::Mutex<found::Schema>,
    item: Item,
) -> ExecResult<ObjectCheck> {
    let mut c = ObjectCheck {
        kind: item.kind.clone(),
        source_id: item.source_id.clone(),
        target_id: item.target_id.clone(),
        outcome: CheckOutcome::Equal,
        fields_checked: 0,
        parts_checked: 0,
        diffs: Vec::new(),
        note: None,
        resumed: false,
    };
    let Some(exp) = expectation_of(ledger, &item)? else {
        if !item.reused {
            c.outcome = CheckOutcome::Unchecked;
            c.note = Some(
                "nothing recorded of what Intercom should hold (written before `verify` \
                 existed, or adopted): not compared"
                    .to_owned(),
            );
            return Ok(c);
        }
        // Reused, never written: only its existence is expected.
        return existence(client, schema, item, c).await;
    };
    if let Some((true, stored)) = ledger.verification(&exp.kind, &exp.target_id)? {
        if let Ok(mut old) = serde_json::from_value::<ObjectCheck>(stored) {
            old.resumed = true;
            return Ok(old);
        }
    }
    match found::read(client, schema, &exp.kind, &exp.target_id).await {
        Err(e) => {
            c.outcome = CheckOutcome::Unreadable;
            c.note = Some(format!(
                "could not read {} `{}` from Intercom: {e}; run `verify` again",
                exp.kind, exp.target_id
            ));
            return Ok(c);
        }
        Ok(None) => {
            c.outcome = CheckOutcome::Missing;
            c.fields_checked = 1;
            c.diffs.push(FieldDiff {
                field: "present".to_owned(),
                part_id: None,
                expected: Value::Bool(true),
                found: Value::Bool(false),
            });
        }
        Ok(Some(mut f)) => {
            if item.reused {
                // A contact that existed before the migration keeps tags of its own: the
                // migration answers for the tags it attached, not for those.
                compare::keep_expected_tags(&exp.fields, &mut f.fields);
            }
            let (n, d) = compare::fields(&exp.fields, &f.fields, None);
            c.fields_checked += n;
            c.diffs.extend(d);
            parts(ledger, &exp, &f, &mut c)?;
            if !c.diffs.is_empty() {
                c.outcome = CheckOutcome::Differs;
            }
        }
    }
    let doc = serde_json::to_value(&c).unwrap_or(Value::Null);
    ledger.record_verification(
        &exp.kind,
        &exp.target_id,
        c.outcome == CheckOutcome::Equal,
        &doc,
    )?;
    Ok(c)
}

/// Compares the parts of a ticket or conversation: each expected part in the readable window
/// field by field; a part that is not there is `present: false`, unless the object has more
/// parts than Intercom shows (then the count must cover it).
fn parts(
    ledger: &Ledger,
    exp: &Expectation,
    f: &found::Found,
    c: &mut ObjectCheck,
) -> crate::Result<()> {
    if !matches!(exp.kind, ObjectKind::Ticket | ObjectKind::Conversation) {
        return Ok(());
    }
    let expected = ledger.expected_parts(&exp.target_id)?;
    let total = f.parts_total.unwrap_or(f.parts_shown);
    let windowed = total > f.parts_shown;
    let mut outside = 0u64;
    for p in &expected {
        match f.parts.get(&p.target_id) {
            Some(have) => {
                let (n, d) = compare::fields(&p.fields, have, Some(&p.target_id));
                c.fields_checked += n;
                c.parts_checked += 1;
                c.diffs.extend(d);
            }
            None if windowed => outside += 1,
            None => {
                c.fields_checked += 1;
                c.parts_checked += 1;
                c.diffs.push(FieldDiff {
                    field: "present".to_owned(),
                    part_id: Some(p.target_id.clone()),
                    expected: Value::Bool(true),
                    found: Value::Bool(false),
                });
            }
        }
    }
    if windowed {
        let hidden = total - f.parts_shown;
        c.fields_checked += 1;
        c.note = Some(format!(
            "{WINDOW_NOTE}: {total} parts, {} readable; {} of the {} parts written compared \
             field by field, {outside} outside the window counted against the total",
            f.parts_shown,
            expected.len() as u64 - outside,
            expected.len()
        ));
        if outside > hidden {
            c.diffs.push(FieldDiff {
                field: "parts_count".to_owned(),
                part_id: None,
                expected: Value::from(outside),
                found: Value::from(hidden),
            });
        }
    }
    Ok(())
}

async fn existence(
    client: &intercom_client::Client,
    schema: &tokio::sync::Mutex<found::Schema>,
    item: Item,
    mut c: ObjectCheck,
) -> ExecResult<ObjectCheck> {
    c.fields_checked = 1;
    match found::read(client, schema, &item.kind, &item.target_id).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            c.outcome = CheckOutcome::Missing;
            c.diffs.push(FieldDiff {
                field: "present".to_owned(),
                part_id: None,
                expected: Value::Bool(true),
                found: Value::Bool(false),
            });
        }
        Err(e) => {
            c.fields_checked = 0;
            c.outcome = CheckOutcome::Unreadable;
            c.note = Some(format!(
                "could not read {} `{}` from Intercom: {e}; run `verify` again",
                item.kind, item.target_id
            ));
        }
    }
    Ok(c)
}

impl crate::Migration {
    /// Reads back every object the ledger records as migrated and compares it field by field
    /// with what the migration wrote (see the [module documentation](crate::verify)). Paced by
    /// the migration's Intercom client; resumable (objects already found equal are not read
    /// again unless `options.again`); progress as step [`STEP`].
    pub async fn verify(
        &self,
        options: &VerifyOptions,
        progress: ProgressSender,
    ) -> ExecResult<Verification> {
        let mut v = run(
            &self.ledger,
            &self.intercom,
            options,
            self.concurrency,
            &progress,
        )
        .await?;
        if options.sample > 0 {
            v.sample = Some(self.spot_check(&v, options).await?);
        }
        Ok(v)
    }

    /// The side-by-side spot-check of `options.sample` tickets of `v` (seeded, stratified by
    /// department, channel and kind), read again from Glassix.
    async fn spot_check(&self, v: &Verification, options: &VerifyOptions) -> ExecResult<Sample> {
        let mut candidates = Vec::new();
        let tickets =
            |o: &&ObjectCheck| matches!(o.kind, ObjectKind::Ticket | ObjectKind::Conversation);
        for o in v.objects.iter().filter(tickets) {
            if let Some(c) = sample::Candidate::of(&self.ledger, &o.source_id, &o.target_id)? {
                candidates.push(c);
            }
        }
        let (chosen, strata) = sample::choose(candidates, options.sample, options.seed);
        let tickets = futures::stream::iter(chosen)
            .map(|c| sample::side_by_side(&self.ledger, &self.glassix, &self.intercom, c))
            .buffered(self.concurrency.max(1))
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<ExecResult<Vec<_>>>()?;
        Ok(Sample {
            requested: options.sample,
            seed: options.seed,
            strata,
            tickets,
        })
    }
}
