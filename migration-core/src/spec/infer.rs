//! Type inference from value statistics (used by the proposal).
//!
//! Every candidate type is measured with the rule it would draft: the share of values that
//! would fail is what [`FieldRule::apply`] refuses, on the values inference was given. A type is
//! proposed when at most [`MAX_FAILING_SHARE`] of the values fail it (those values become
//! field-level queue items at run time), so a field with a few impossible dates or a word in a
//! number column still gets its real type, with the failures shown to the reviewer.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{FieldRule, FieldType, TargetModel, Transform};
use super::stats::ValueStats;
use super::transform::{COMMON_DATE_FORMATS, parse_bool, parse_number};

/// At most this many distinct values make a field a `list` candidate…
pub const LIST_MAX_DISTINCT: usize = 10;
/// …and only when every distinct value appears on average at least this many times.
pub const LIST_MIN_REPEAT: usize = 2;
/// A type is proposed when at most this share of the values would fail it.
pub const MAX_FAILING_SHARE: f64 = 0.10;
/// Failing values shown as examples.
const FAILING_EXAMPLES: usize = 2;

/// What inference concluded about one field, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Inference {
    /// The inferred type.
    pub field_type: FieldType,
    /// Non-empty values considered (occurrences).
    pub samples: usize,
    /// Distinct non-empty values among them.
    pub distinct: usize,
    /// For `date`: the formats of the `parse_date` transform, most likely first.
    pub date_formats: Vec<String>,
    /// For `list`: the options, most frequent first (ties alphabetical).
    pub options: Vec<String>,
    /// A remark for the reviewer (ambiguity, no samples …), if any.
    pub remark: Option<String>,
    /// The transforms the drafted rule needs (`trim`, then `parse_date` or `parse_number`).
    #[serde(default)]
    pub transforms: Vec<Transform>,
    /// Considered values the drafted rule would refuse (occurrences).
    #[serde(default)]
    pub failing: usize,
    /// Up to two of them, most frequent first.
    #[serde(default)]
    pub failing_examples: Vec<String>,
    /// Non-empty values that were not considered (beyond the statistics' listed values).
    #[serde(default)]
    pub unexamined: u64,
}

impl Inference {
    /// `failing / samples` (0 when there are no samples).
    pub fn failing_share(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.failing as f64 / self.samples as f64
        }
    }

    /// The rule this inference drafts for `source` → `target` on `model`.
    pub fn rule(&self, source: &str, target: &str, model: TargetModel) -> FieldRule {
        FieldRule {
            source: source.to_owned(),
            target: target.to_owned(),
            model,
            field_type: self.field_type,
            options: self.options.clone(),
            transforms: self.transforms.clone(),
            default: None,
            description: None,
        }
    }
}

/// The share of the listed values of `stats` (by occurrence) that `rule` refuses.
pub fn failing_share(rule: &FieldRule, stats: &ValueStats) -> f64 {
    let (mut failing, mut all) = (0u64, 0u64);
    for v in &stats.top {
        all += v.count;
        if rule.apply(Some(&v.value)).is_err() {
            failing += v.count;
        }
    }
    if all == 0 {
        0.0
    } else {
        failing as f64 / all as f64
    }
}

/// Values with their occurrence counts, most frequent first.
struct Values<'a> {
    items: Vec<(&'a str, usize)>,
    total: usize,
}

impl Values<'_> {
    /// The occurrences that `ok` refuses, and up to two examples.
    fn failures(&self, ok: impl Fn(&str) -> bool) -> (usize, Vec<String>) {
        let mut n = 0;
        let mut examples = Vec::new();
        for (v, c) in &self.items {
            if !ok(v) {
                n += c;
                if examples.len() < FAILING_EXAMPLES {
                    examples.push((*v).to_owned());
                }
            }
        }
        (n, examples)
    }

    fn count(&self, ok: impl Fn(&str) -> bool) -> usize {
        self.items
            .iter()
            .filter(|(v, _)| ok(v))
            .map(|(_, c)| c)
            .sum()
    }

    fn tolerated(&self, failing: usize) -> bool {
        failing as f64 <= self.total as f64 * MAX_FAILING_SHARE
    }
}

/// Infer a field type from sampled values (blank samples are ignored; repeats count).
///
/// See [`infer_stats`] for the rules.
pub fn infer_type<S: AsRef<str>>(samples: &[S]) -> Inference {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in samples {
        let v = s.as_ref().trim();
        if !v.is_empty() {
            *counts.entry(v).or_default() += 1;
        }
    }
    let mut items: Vec<(&str, usize)> = counts.into_iter().collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    infer(items, true, 0)
}

/// Infer a field type from value statistics.
///
/// Candidates in this order, the first that at most [`MAX_FAILING_SHARE`] of the values fail:
/// 1. **boolean** — true/false, yes/no, y/n, 1/0 in any case, with a word or both 0 and 1;
/// 2. **integer** / **float** — plain numbers (no leading zero, so phone numbers and codes stay
///    text), or numbers with locale separators (`12,480`, `1.234,5`, `1 234.5`), then read by a
///    `parse_number` transform; the convention is the one most values read with, and an
///    ambiguous reading (`12,480` is 12480 or 12.48) is flagged;
/// 3. **date** — the [`COMMON_DATE_FORMATS`] and RFC 3339, chosen greedily by how many values
///    each reads; day/month order by evidence (a first number above 12 is a day), flagged when
///    no value decides it;
/// 4. **list** — 2..=[`LIST_MAX_DISTINCT`] distinct values seen [`LIST_MIN_REPEAT`] times each
///    on average (only when the statistics list every value);
/// 5. otherwise **string**.
pub fn infer_stats(stats: &ValueStats) -> Inference {
    let items: Vec<(&str, usize)> = stats
        .top
        .iter()
        .map(|v| (v.value.as_str(), v.count as usize))
        .collect();
    infer(items, stats.complete(), stats.other)
}

fn infer(items: Vec<(&str, usize)>, complete: bool, unexamined: u64) -> Inference {
    let total: usize = items.iter().map(|(_, c)| c).sum();
    let values = Values { items, total };
    let mut inf = Inference {
        field_type: FieldType::String,
        samples: total,
        distinct: values.items.len(),
        date_formats: Vec::new(),
        options: Vec::new(),
        remark: None,
        transforms: vec![Transform::Trim],
        failing: 0,
        failing_examples: Vec::new(),
        unexamined,
    };
    if total == 0 {
        inf.remark = Some("no non-empty samples; typed as string".into());
        return inf;
    }
    let chosen = boolean(&values)
        .or_else(|| number(&values))
        .or_else(|| date(&values))
        .or_else(|| list(&values, complete));
    if let Some(c) = chosen {
        inf.field_type = c.field_type;
        inf.transforms.extend(c.transform);
        inf.options = c.options;
        inf.remark = c.remark;
        if let Some(Transform::ParseDate { formats }) = inf.transforms.last() {
            inf.date_formats = formats.clone();
        }
    }
    // The stated failures are what the drafted rule refuses, measured with the rule itself.
    let rule = inf.rule("source", "target", TargetModel::Ticket);
    let (failing, examples) = values.failures(|v| rule.apply(Some(v)).is_ok());
    inf.failing = failing;
    inf.failing_examples = examples;
    inf
}

/// A candidate type with what its rule needs.
struct Candidate {
    field_type: FieldType,
    transform: Option<Transform>,
    options: Vec<String>,
    remark: Option<String>,
}

impl Candidate {
    fn new(field_type: FieldType) -> Self {
        Candidate {
            field_type,
            transform: None,
            options: Vec::new(),
            remark: None,
        }
    }
}

fn boolean(values: &Values<'_>) -> Option<Candidate> {
    let (failing, _) = values.failures(|v| parse_bool(v).is_some());
    let has_word = values
        .items
        .iter()
        .any(|(v, _)| parse_bool(v).is_some() && v.parse::<i64>().is_err());
    let has = |x: &str| values.items.iter().any(|(v, _)| *v == x);
    (values.tolerated(failing) && (has_word || (has("0") && has("1"))))
        .then(|| Candidate::new(FieldType::Boolean))
}

/// A way of writing numbers: decimal separator and optional thousands separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NumberStyle {
    decimal: char,
    thousands: Option<char>,
}

/// Styles tried, plain first (ties go to the earlier one).
const NUMBER_STYLES: [NumberStyle; 7] = [
    NumberStyle {
        decimal: '.',
        thousands: None,
    },
    NumberStyle {
        decimal: '.',
        thousands: Some(','),
    },
    NumberStyle {
        decimal: ',',
        thousands: Some('.'),
    },
    NumberStyle {
        decimal: ',',
        thousands: None,
    },
    NumberStyle {
        decimal: '.',
        thousands: Some(' '),
    },
    NumberStyle {
        decimal: ',',
        thousands: Some(' '),
    },
    NumberStyle {
        decimal: '.',
        thousands: Some('\''),
    },
];

impl NumberStyle {
    fn plain(self) -> bool {
        self.decimal == '.' && self.thousands.is_none()
    }

    /// The plain form of `v`, refusing leading zeros (codes and phone numbers stay text) and,
    /// for the plain style, anything `f64` parsing would read loosely.
    fn read(self, v: &str) -> Option<String> {
        let n = parse_number(v, self.decimal, self.thousands)?;
        let digits = n.trim_start_matches('-');
        let int = digits.split('.').next().unwrap_or(digits);
        if int.len() > 1 && int.starts_with('0') {
            return None;
        }
        if int.len() > 18 {
            return None;
        }
        Some(n)
    }

    fn describe(self) -> String {
        match self.thousands {
            Some(t) => format!(
                "`{}` as decimal and `{t}` as thousands separator",
                self.decimal
            ),
            None => format!("`{}` as decimal separator", self.decimal),
        }
    }
}

fn number(values: &Values<'_>) -> Option<Candidate> {
    let mut best: Option<(NumberStyle, usize)> = None;
    for style in NUMBER_STYLES {
        let n = values.count(|v| style.read(v).is_some());
        if best.is_none_or(|(_, b)| n > b) {
            best = Some((style, n));
        }
    }
    let (style, read) = best?;
    if !values.tolerated(values.total - read) {
        return None;
    }
    let whole = values
        .items
        .iter()
        .filter_map(|(v, _)| style.read(v))
        .all(|n| !n.contains('.'));
    let mut c = Candidate::new(if whole {
        FieldType::Integer
    } else {
        FieldType::Float
    });
    if !style.plain() {
        c.transform = Some(Transform::ParseNumber {
            decimal: style.decimal.to_string(),
            thousands: style.thousands.map(String::from),
        });
    }
    // Another style that reads as many values, but some of them differently, is a doubt.
    for other in NUMBER_STYLES {
        if other == style || values.count(|v| other.read(v).is_some()) < read {
            continue;
        }
        let differs = values.items.iter().find(|(v, _)| {
            matches!((style.read(v), other.read(v)), (Some(a), Some(b)) if a.parse::<f64>().ok() != b.parse::<f64>().ok())
        });
        if let Some((v, _)) = differs {
            c.remark = Some(format!(
                "`{v}` reads as {} with {}, but as {} with {}; no value decides between them, \
                 the first is proposed: check it",
                style.read(v).unwrap_or_default(),
                style.describe(),
                other.read(v).unwrap_or_default(),
                other.describe()
            ));
            break;
        }
    }
    Some(c)
}

/// Dates, as the strictly matching formats: `parse_date` falls back to RFC 3339, so a format
/// counts only when it matched itself.
fn reads_date(v: &str, f: &str) -> bool {
    if f == "%+" {
        return chrono::DateTime::parse_from_rfc3339(v).is_ok();
    }
    chrono::NaiveDateTime::parse_from_str(v, f).is_ok()
        || chrono::NaiveDate::parse_from_str(v, f).is_ok()
        || chrono::DateTime::parse_from_str(v, f).is_ok()
}

/// The format with the other day/month order, if any.
fn swapped(f: &str) -> Option<&'static str> {
    match f {
        "%d/%m/%Y" => Some("%m/%d/%Y"),
        "%m/%d/%Y" => Some("%d/%m/%Y"),
        _ => None,
    }
}

fn date(values: &Values<'_>) -> Option<Candidate> {
    let formats: Vec<&str> = COMMON_DATE_FORMATS
        .iter()
        .copied()
        .chain(std::iter::once("%+"))
        .collect();
    let mut chosen: Vec<&str> = Vec::new();
    let unread = |chosen: &[&str], v: &str| !chosen.iter().any(|f| reads_date(v, f));
    loop {
        let mut best: Option<(&str, usize)> = None;
        for f in &formats {
            if chosen.contains(f) || chosen.iter().any(|c| swapped(c) == Some(f)) {
                continue;
            }
            let n = values.count(|v| unread(&chosen, v) && reads_date(v, f));
            if n > 0 && best.is_none_or(|(_, b)| n > b) {
                best = Some((f, n));
            }
        }
        match best {
            Some((f, _)) => chosen.push(f),
            None => break,
        }
    }
    let read = values.count(|v| !unread(&chosen, v));
    if chosen.is_empty() || !values.tolerated(values.total - read) {
        return None;
    }
    let mut c = Candidate::new(FieldType::Date);
    if chosen.iter().any(|f| swapped(f).is_some()) {
        let only = |f: &str, g: &str| values.count(|v| reads_date(v, f) && !reads_date(v, g));
        let day_first = only("%d/%m/%Y", "%m/%d/%Y");
        let month_first = only("%m/%d/%Y", "%d/%m/%Y");
        c.remark = match (day_first, month_first) {
            (0, 0) => Some(
                "day/month order is ambiguous in every sample; day-first is proposed, check it"
                    .into(),
            ),
            (d, m) if d > 0 && m > 0 => Some(format!(
                "day/month order is mixed: {d} values read only day-first, {m} only \
                 month-first; the majority is proposed and the others will fail: check them"
            )),
            _ => None,
        };
    }
    c.transform = Some(Transform::ParseDate {
        formats: chosen.into_iter().map(str::to_owned).collect(),
    });
    Some(c)
}

fn list(values: &Values<'_>, complete: bool) -> Option<Candidate> {
    let distinct = values.items.len();
    if !complete
        || !(2..=LIST_MAX_DISTINCT).contains(&distinct)
        || values.total < distinct * LIST_MIN_REPEAT
    {
        return None;
    }
    // Intercom takes a ticket type's list items as one comma-separated string: a value with a
    // comma cannot be an item (it would be split), so such a field stays text.
    if values.items.iter().any(|(v, _)| v.contains(',')) {
        return None;
    }
    let mut by_count = values.items.clone();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut c = Candidate::new(FieldType::List);
    c.options = by_count.into_iter().map(|(v, _)| v.to_owned()).collect();
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(samples: &[&str]) -> FieldType {
        infer_type(samples).field_type
    }

    #[test]
    fn a_value_with_a_comma_is_never_a_list_option() {
        let values = [
            "Known bug, linked",
            "Billing",
            "Billing",
            "Known bug, linked",
            "Billing",
        ];
        assert_eq!(t(&values), FieldType::String);
        let plain = ["Known bug", "Billing", "Billing", "Known bug", "Billing"];
        assert_eq!(t(&plain), FieldType::List);
    }

    #[test]
    fn infers_scalar_types() {
        assert_eq!(t(&["1", "42", "-7", ""]), FieldType::Integer);
        assert_eq!(t(&["1.5", "2", "-0.25"]), FieldType::Float);
        assert_eq!(t(&["yes", "No", "yes"]), FieldType::Boolean);
        assert_eq!(t(&["1", "0", "1"]), FieldType::Boolean);
        // Leading zeros: phone numbers and codes stay text.
        assert_eq!(t(&["0501234567", "0527654321"]), FieldType::String);
        assert_eq!(t(&[]), FieldType::String);
        assert!(infer_type(&["", " "]).remark.is_some());
    }

    #[test]
    fn infers_dates_in_several_formats() {
        let iso = infer_type(&["2024-01-31", "2023-12-01"]);
        assert_eq!(iso.field_type, FieldType::Date);
        assert_eq!(iso.date_formats, vec!["%Y-%m-%d"]);
        let eu = infer_type(&["31/01/2024", "15/12/2023"]);
        assert_eq!(eu.date_formats, vec!["%d/%m/%Y"]);
        assert!(eu.remark.is_none());
        let ambiguous = infer_type(&["01/02/2024", "03/04/2023"]);
        assert_eq!(ambiguous.date_formats[0], "%d/%m/%Y");
        assert!(ambiguous.remark.unwrap().contains("ambiguous"));
        assert_eq!(t(&["31.01.2024"]), FieldType::Date);
        assert_eq!(t(&["2024-01-31T10:00:00+02:00"]), FieldType::Date);
        assert_eq!(t(&["2024-01-31 10:15"]), FieldType::Date);
    }

    #[test]
    fn infers_lists_only_when_values_repeat() {
        let l = infer_type(&["gold", "silver", "gold", "bronze", "gold", "silver"]);
        assert_eq!(l.field_type, FieldType::List);
        assert_eq!(l.options, vec!["gold", "silver", "bronze"]);
        assert_eq!(t(&["a", "b", "c"]), FieldType::String);
        assert_eq!(t(&["same", "same", "same"]), FieldType::String);
        let many: Vec<String> = (0..30).map(|i| format!("v{}", i % 15)).collect();
        assert_eq!(infer_type(&many).field_type, FieldType::String);
    }

    /// `n` copies of each value.
    fn repeat(pairs: &[(&str, usize)]) -> Vec<String> {
        pairs
            .iter()
            .flat_map(|(v, n)| std::iter::repeat_n((*v).to_owned(), *n))
            .collect()
    }

    fn parse_number_of(inf: &Inference) -> Option<(String, Option<String>)> {
        inf.transforms.iter().find_map(|t| match t {
            Transform::ParseNumber { decimal, thousands } => {
                Some((decimal.clone(), thousands.clone()))
            }
            _ => None,
        })
    }

    #[test]
    fn a_list_is_proposed_from_repeats_with_its_options_and_no_failures() {
        let l = infer_type(&repeat(&[("Pro", 9), ("Basic", 6), ("Enterprise", 3)]));
        assert_eq!(l.field_type, FieldType::List);
        assert_eq!(l.options, ["Pro", "Basic", "Enterprise"]);
        assert_eq!((l.failing, l.samples), (0, 18));
        // Statistics that do not list every value never give a list.
        let mut stats = ValueStats::from_values(&repeat(&[("Pro", 9), ("Basic", 6)]));
        stats.other = 1;
        assert_eq!(infer_stats(&stats).field_type, FieldType::String);
    }

    #[test]
    fn booleans_in_any_case_tolerate_a_few_failures() {
        let b = infer_type(&repeat(&[
            ("YES", 10),
            ("no", 9),
            ("True", 1),
            ("maybe", 1),
        ]));
        assert_eq!(b.field_type, FieldType::Boolean);
        assert_eq!((b.failing, b.samples), (1, 21));
        assert_eq!(b.failing_examples, ["maybe"]);
        // Too many failures: not a boolean.
        let s = infer_type(&repeat(&[("yes", 5), ("maybe", 2), ("later", 1)]));
        assert_ne!(s.field_type, FieldType::Boolean);
    }

    #[test]
    fn integers_with_thousands_separators_get_a_parse_number_transform() {
        let us = infer_type(&repeat(&[
            ("12,480", 3),
            ("1,020,300", 2),
            ("980", 4),
            ("n/a", 1),
        ]));
        assert_eq!(us.field_type, FieldType::Integer);
        assert_eq!(parse_number_of(&us), Some((".".into(), Some(",".into()))));
        assert_eq!((us.failing, us.samples), (1, 10));
        assert_eq!(us.failing_examples, ["n/a"]);
        // Only 12,480-like values: the decimal-comma reading is as good, and flagged.
        let doubt = infer_type(&["12,480", "3,125"]);
        assert_eq!(doubt.field_type, FieldType::Integer);
        assert!(doubt.remark.unwrap().contains("12.48"), "no remark");
        // Free text above the tolerated share: text.
        assert_eq!(
            t(&["12", "13", "about 40", "see notes", "n/a"]),
            FieldType::String
        );
    }

    #[test]
    fn european_decimals_are_floats_read_with_comma() {
        let eu = infer_type(&repeat(&[
            ("1.234,5", 2),
            ("12.480,75", 2),
            ("980,5", 3),
            ("7", 1),
        ]));
        assert_eq!(eu.field_type, FieldType::Float);
        assert_eq!(parse_number_of(&eu), Some((",".into(), Some(".".into()))));
        assert_eq!(eu.failing, 0);
        assert!(eu.remark.is_none(), "{:?}", eu.remark);
        let rule = eu.rule("field3", "amount", TargetModel::Ticket);
        assert_eq!(
            rule.apply(Some("1.234,5")).unwrap(),
            super::super::FieldValue::Float(1234.5)
        );
    }

    #[test]
    fn dates_tolerate_impossible_ones_and_take_the_order_the_evidence_shows() {
        let d = infer_type(&repeat(&[
            ("31/01/2024", 2),
            ("15/03/2024", 2),
            ("01/02/2024", 5),
            ("30/02/2024", 1),
        ]));
        assert_eq!(d.field_type, FieldType::Date);
        assert_eq!(d.date_formats, ["%d/%m/%Y"]);
        assert!(d.remark.is_none());
        assert_eq!((d.failing, d.samples), (1, 10));
        assert_eq!(d.failing_examples, ["30/02/2024"]);
        let us = infer_type(&["12/31/2024", "01/02/2024", "02/28/2024"]);
        assert_eq!(us.date_formats, ["%m/%d/%Y"]);
        // Mixed evidence is flagged; two formats are both kept.
        let mixed = infer_type(&repeat(&[
            ("31/01/2024", 5),
            ("12/31/2024", 1),
            ("2024-05-06", 4),
        ]));
        assert_eq!(mixed.date_formats, ["%d/%m/%Y", "%Y-%m-%d"]);
        assert!(mixed.remark.unwrap().contains("mixed"));
        assert_eq!(mixed.failing_examples, ["12/31/2024"]);
    }

    #[test]
    fn text_is_the_fallback_and_never_fails() {
        let s = infer_type(&["ORD-1", "ORD-2", "ORD-3"]);
        assert_eq!(s.field_type, FieldType::String);
        assert_eq!(s.failing, 0);
        assert_eq!(s.transforms, [Transform::Trim]);
    }

    /// A small deterministic generator (xorshift), so the property test needs no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const KINDS: usize = 14;

    /// A value of one kind (plain or grouped numbers, dates in several orders, booleans, plan
    /// names, free text, codes with leading zeros, impossible dates …).
    fn value_of(kind: usize, rng: &mut Rng) -> String {
        let n = rng.below(100_000);
        match kind {
            0 => format!("{n}"),
            1 => format!("{},{:03}", n / 1000 + 1, n % 1000),
            2 => format!("{}.{:03},{}", n / 1000 + 1, n % 1000, n % 10),
            3 => format!("{}.{}", n, n % 100),
            4 => format!("{:02}/{:02}/20{:02}", n % 31 + 1, n % 12 + 1, n % 30),
            5 => format!("{:02}/{:02}/2024", n % 12 + 1, n % 31 + 1),
            6 => format!("2024-{:02}-{:02}", n % 12 + 1, n % 28 + 1),
            7 => ["yes", "No", "TRUE", "false", "1", "0"][n % 6].to_owned(),
            8 => ["Basic", "Pro", "Enterprise"][n % 3].to_owned(),
            9 => ["n/a", "see notes", "approx. 40", ""][n % 4].to_owned(),
            10 => format!("0{n}"),
            11 => "30/02/2024".to_owned(),
            12 => format!("{} {:03}.5", n % 99 + 1, n % 1000),
            _ => format!("free text {n}"),
        }
    }

    /// Fields drawn around one kind of value with a few others mixed in, so that every type
    /// is proposed somewhere: the drafted rule never fails more values than it says, on the
    /// values it was drawn from (all of them when the statistics list every value, else the
    /// listed ones with their counts).
    #[test]
    fn a_drafted_rule_never_fails_more_than_the_share_it_states() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut types = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let main = rng.below(KINDS);
            let long = rng.below(10) == 0;
            let len = 1 + rng.below(if long { 400 } else { 60 });
            let values: Vec<String> = (0..len)
                .map(|_| {
                    let kind = if rng.below(100) < 93 {
                        main
                    } else {
                        rng.below(KINDS)
                    };
                    value_of(kind, &mut rng)
                })
                .collect();
            let stats = ValueStats::from_values(&values);
            let inf = infer_stats(&stats);
            types.insert(inf.field_type.as_str());
            let rule = inf.rule("field2", "x", TargetModel::Ticket);
            let fails = |v: &str| !v.trim().is_empty() && rule.apply(Some(v)).is_err();
            let on_listed: usize = stats
                .top
                .iter()
                .filter(|v| fails(&v.value))
                .map(|v| v.count as usize)
                .sum();
            assert!(on_listed <= inf.failing, "{values:?}: states {inf:?}");
            if stats.complete() {
                let on_all = values.iter().filter(|v| fails(v)).count();
                assert!(on_all <= inf.failing, "{values:?}: states {inf:?}");
            }
            if inf.field_type == FieldType::String {
                assert_eq!(inf.failing, 0);
            } else {
                assert!(inf.failing_share() <= MAX_FAILING_SHARE, "{inf:?}");
            }
        }
        assert_eq!(types.len(), 6, "only {types:?} proposed");
    }
}
