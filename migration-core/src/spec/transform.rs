//! Applying a field rule to a raw Glassix value: transforms, then conversion to the target type.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::model::{FieldRule, FieldType, Transform};

/// A value ready to be written to Intercom.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// The source was empty and the rule has no default: write nothing.
    Missing,
    /// Text.
    String(String),
    /// A whole number.
    Integer(i64),
    /// A decimal number.
    Float(f64),
    /// A boolean.
    Boolean(bool),
    /// A timestamp (dates without a time are midnight UTC).
    Date(DateTime<Utc>),
    /// One of the rule's options.
    List(String),
    /// Tag names (for `model = "tags"`), prefix applied, empty pieces dropped.
    Tags(Vec<String>),
}

/// Why a raw value could not be converted. The mapper turns it into a queue entry or a note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{source_field}` → `{target}`: {message}")]
pub struct ValueError {
    /// The rule's source field.
    pub source_field: String,
    /// The rule's target attribute.
    pub target: String,
    /// What failed, quoting the value.
    pub message: String,
}

/// Date formats tried by [`parse_date`] when a rule gives none, and by type inference.
pub const COMMON_DATE_FORMATS: [&str; 8] = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M",
];

/// Parse `text` with the first matching format (date-time, date-only at midnight UTC, or with an
/// offset), then RFC 3339.
pub fn parse_date<S: AsRef<str>>(text: &str, formats: &[S]) -> Option<DateTime<Utc>> {
    let text = text.trim();
    for f in formats {
        let f = f.as_ref();
        if let Ok(dt) = DateTime::parse_from_str(text, f) {
            return Some(dt.with_timezone(&Utc));
        }
        if let Ok(ndt) = NaiveDateTime::parse_from_str(text, f) {
            return Some(ndt.and_utc());
        }
        if let Ok(d) = NaiveDate::parse_from_str(text, f) {
            return d.and_hms_opt(0, 0, 0).map(|ndt| ndt.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|dt| dt.with_timezone(&Utc))
}

/// The decimal separators [`parse_number`] accepts.
pub const DECIMAL_SEPARATORS: [char; 2] = ['.', ','];
/// The thousands separators [`parse_number`] accepts.
pub const THOUSANDS_SEPARATORS: [char; 4] = [',', '.', ' ', '\''];

/// Reads a number written with `decimal` as decimal separator and, optionally, `thousands`
/// between groups of three digits (`1.234,5` with `,` and `.`), and returns it in plain form
/// (`1234.5`); `None` when the text is not such a number. A sign may lead; digits must come
/// before the decimal separator; without `thousands`, no grouping is accepted.
pub fn parse_number(text: &str, decimal: char, thousands: Option<char>) -> Option<String> {
    let t = text.trim();
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", t.strip_prefix('+').unwrap_or(t)),
    };
    let (int_part, frac) = match body.split_once(decimal) {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let int_digits: String = match thousands {
        Some(sep) if int_part.contains(sep) => {
            let mut groups = int_part.split(sep);
            let first = groups.next()?;
            if !digits(first) || first.len() > 3 {
                return None;
            }
            let mut out = first.to_owned();
            for g in groups {
                if g.len() != 3 || !digits(g) {
                    return None;
                }
                out.push_str(g);
            }
            out
        }
        _ if digits(int_part) => int_part.to_owned(),
        _ => return None,
    };
    match frac {
        None => Some(format!("{sign}{int_digits}")),
        Some(f) if digits(f) => Some(format!("{sign}{int_digits}.{f}")),
        Some(_) => None,
    }
}

/// Parse a boolean: `true/false`, `yes/no`, `y/n`, `1/0` (any case).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

enum Stage {
    One(String),
    Many(Vec<String>),
    Date(DateTime<Utc>),
}

impl FieldRule {
    /// Apply the rule to a raw source value (`None` or blank = missing → `default`).
    pub fn apply(&self, raw: Option<&str>) -> Result<FieldValue, ValueError> {
        let raw = raw.filter(|s| !s.trim().is_empty());
        match raw {
            Some(text) => {
                let stage = self.run_transforms(text)?;
                self.convert(stage)
            }
            None => match &self.default {
                Some(d) => self.convert(Stage::One(d.clone())),
                None => Ok(FieldValue::Missing),
            },
        }
    }

    fn err(&self, message: String) -> ValueError {
        ValueError {
            source_field: self.source.clone(),
            target: self.target.clone(),
            message,
        }
    }

    fn run_transforms(&self, text: &str) -> Result<Stage, ValueError> {
        let mut stage = Stage::One(text.to_owned());
        for t in &self.transforms {
            stage = match (stage, t) {
                (Stage::One(s), Transform::Trim) => Stage::One(s.trim().to_owned()),
                (Stage::One(s), Transform::Lowercase) => Stage::One(s.to_lowercase()),
                (Stage::One(s), Transform::Map { values, fallback }) => {
                    Stage::One(match values.get(&s) {
                        Some(v) => v.clone(),
                        None => fallback.clone().unwrap_or(s),
                    })
                }
                (Stage::One(s), Transform::ParseDate { formats }) => {
                    match parse_date(&s, formats) {
                        Some(d) => Stage::Date(d),
                        None => {
                            return Err(self.err(format!(
                            "`{s}` matches none of the date formats {formats:?}; add its format \
                             to the parse_date transform"
                        )));
                        }
                    }
                }
                (Stage::One(s), Transform::ParseNumber { decimal, thousands }) => {
                    let dec = decimal.chars().next().unwrap_or('.');
                    let th = thousands.as_deref().and_then(|t| t.chars().next());
                    match parse_number(&s, dec, th) {
                        Some(n) => Stage::One(n),
                        None => {
                            let grouping = th.map_or_else(
                                || "no thousands separator".to_owned(),
                                |t| format!("`{t}` between thousands"),
                            );
                            return Err(self.err(format!(
                                "`{s}` is not a number written with `{dec}` as decimal separator \
                                 and {grouping}; correct the value or the parse_number transform"
                            )));
                        }
                    }
                }
                (Stage::One(s), Transform::Split { separator }) => Stage::Many(
                    s.split(separator.as_str())
                        .map(|p| p.trim().to_owned())
                        .filter(|p| !p.is_empty())
                        .collect(),
                ),
                (_, t) => {
                    return Err(self.err(format!(
                        "transform `{}` cannot follow a parse_date or split transform",
                        t.op()
                    )));
                }
            };
        }
        Ok(stage)
    }

    fn convert(&self, stage: Stage) -> Result<FieldValue, ValueError> {
        let text = match stage {
            Stage::Date(d) if self.field_type == FieldType::Date => {
                return Ok(FieldValue::Date(d));
            }
            Stage::Date(d) => d.to_rfc3339(),
            Stage::Many(parts) => return Ok(FieldValue::Tags(self.prefixed(parts))),
            Stage::One(s) => s,
        };
        if self.model == super::model::TargetModel::Tags {
            return Ok(FieldValue::Tags(self.prefixed(vec![text])));
        }
        let t = text.trim();
        match self.field_type {
            FieldType::String => Ok(FieldValue::String(text)),
            FieldType::Integer => t
                .parse::<i64>()
                .map(FieldValue::Integer)
                .map_err(|_| self.err(format!("`{text}` is not a whole number"))),
            FieldType::Float => t
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(FieldValue::Float)
                .ok_or_else(|| self.err(format!("`{text}` is not a number"))),
            FieldType::Boolean => parse_bool(t).map(FieldValue::Boolean).ok_or_else(|| {
                self.err(format!("`{text}` is not a boolean (true/false/yes/no/1/0)"))
            }),
            FieldType::Date => parse_date(t, &COMMON_DATE_FORMATS)
                .map(FieldValue::Date)
                .ok_or_else(|| {
                    self.err(format!(
                        "`{text}` is not a recognised date; add a parse_date transform with its \
                         format"
                    ))
                }),
            FieldType::List => {
                if self.options.iter().any(|o| o == &text) {
                    Ok(FieldValue::List(text))
                } else {
                    Err(self.err(format!(
                        "`{text}` is not one of the options {:?}; add it to `options` or map it \
                         with a map transform",
                        self.options
                    )))
                }
            }
        }
    }

    fn prefixed(&self, parts: Vec<String>) -> Vec<String> {
        parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("{}{}", self.target, p.trim()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::TargetModel;
    use super::*;
    use std::collections::BTreeMap;

    fn rule(t: FieldType) -> FieldRule {
        FieldRule {
            source: "field2".into(),
            target: "x".into(),
            model: TargetModel::Ticket,
            field_type: t,
            options: vec![],
            transforms: vec![Transform::Trim],
            default: None,
            description: None,
        }
    }

    #[test]
    fn converts_each_type_and_reports_bad_values() {
        assert_eq!(
            rule(FieldType::Integer).apply(Some(" 42 ")).unwrap(),
            FieldValue::Integer(42)
        );
        assert_eq!(
            rule(FieldType::Float).apply(Some("2.5")).unwrap(),
            FieldValue::Float(2.5)
        );
        assert_eq!(
            rule(FieldType::Boolean).apply(Some("Yes")).unwrap(),
            FieldValue::Boolean(true)
        );
        let err = rule(FieldType::Integer).apply(Some("4x")).unwrap_err();
        assert!(err.to_string().contains("field2"), "{err}");
        assert!(err.message.contains("4x"));
        assert_eq!(
            rule(FieldType::String).apply(Some("  ")).unwrap(),
            FieldValue::Missing
        );
    }

    #[test]
    fn parse_number_reads_locale_separators_and_reports_what_it_expected() {
        assert_eq!(
            parse_number("12,480", '.', Some(',')).as_deref(),
            Some("12480")
        );
        assert_eq!(
            parse_number("1.234,5", ',', Some('.')).as_deref(),
            Some("1234.5")
        );
        assert_eq!(
            parse_number("-1 234 567.25", '.', Some(' ')).as_deref(),
            Some("-1234567.25")
        );
        assert_eq!(parse_number(" 980,5 ", ',', None).as_deref(), Some("980.5"));
        assert_eq!(parse_number("+7", '.', None).as_deref(), Some("7"));
        for bad in [
            "12,48", "1,2345", "1.234,5", "abc", "", ",5", "5,", "1,,234", "1234,567",
        ] {
            assert_eq!(parse_number(bad, '.', Some(',')), None, "{bad}");
        }
        assert_eq!(parse_number("12,480", '.', None), None);

        let mut eu = rule(FieldType::Float);
        eu.transforms.push(Transform::ParseNumber {
            decimal: ",".into(),
            thousands: Some(".".into()),
        });
        assert_eq!(
            eu.apply(Some("12.480,75")).unwrap(),
            FieldValue::Float(12480.75)
        );
        let err = eu.apply(Some("approx. 40")).unwrap_err();
        assert!(err.message.contains("approx. 40"), "{err}");
        assert!(err.message.contains("`,` as decimal separator"), "{err}");
        let mut us = rule(FieldType::Integer);
        us.transforms.push(Transform::ParseNumber {
            decimal: ".".into(),
            thousands: Some(",".into()),
        });
        assert_eq!(
            us.apply(Some("12,480")).unwrap(),
            FieldValue::Integer(12480)
        );
        assert!(
            us.apply(Some("12,480.5"))
                .unwrap_err()
                .message
                .contains("whole number")
        );
    }

    #[test]
    fn default_map_parse_date_and_split() {
        let mut r = rule(FieldType::List);
        r.options = vec!["gold".into(), "silver".into()];
        let mut values = BTreeMap::new();
        values.insert("GOLD".to_owned(), "gold".to_owned());
        r.transforms.push(Transform::Map {
            values,
            fallback: Some("silver".into()),
        });
        r.default = Some("silver".into());
        assert_eq!(
            r.apply(Some(" GOLD ")).unwrap(),
            FieldValue::List("gold".into())
        );
        assert_eq!(
            r.apply(Some("bronze")).unwrap(),
            FieldValue::List("silver".into())
        );
        assert_eq!(r.apply(None).unwrap(), FieldValue::List("silver".into()));

        let mut d = rule(FieldType::Date);
        d.transforms.push(Transform::ParseDate {
            formats: vec!["%d/%m/%Y".into()],
        });
        let FieldValue::Date(dt) = d.apply(Some("31/01/2024")).unwrap() else {
            panic!()
        };
        assert_eq!(dt.to_rfc3339(), "2024-01-31T00:00:00+00:00");
        assert!(
            d.apply(Some("January"))
                .unwrap_err()
                .message
                .contains("parse_date")
        );

        let mut t = rule(FieldType::String);
        t.model = TargetModel::Tags;
        t.target = "glassix:".into();
        t.transforms = vec![
            Transform::Lowercase,
            Transform::Split {
                separator: ",".into(),
            },
        ];
        assert_eq!(
            t.apply(Some("VIP, Refund,,")).unwrap(),
            FieldValue::Tags(vec!["glassix:vip".into(), "glassix:refund".into()])
        );
    }
}
