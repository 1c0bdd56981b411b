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
