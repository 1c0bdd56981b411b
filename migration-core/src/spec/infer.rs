//! Type inference from sampled source values (used by the proposal).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::FieldType;
use super::transform::{COMMON_DATE_FORMATS, parse_bool, parse_date};

/// At most this many distinct values make a field a `list` candidate…
pub const LIST_MAX_DISTINCT: usize = 10;
/// …and only when every distinct value appears on average at least this many times.
pub const LIST_MIN_REPEAT: usize = 2;

/// What inference concluded about one field, with the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Inference {
    /// The inferred type.
    pub field_type: FieldType,
    /// Non-empty samples considered.
    pub samples: usize,
    /// Distinct non-empty values among them.
    pub distinct: usize,
    /// For `date`: the formats that parse every sample, most likely first.
    pub date_formats: Vec<String>,
    /// For `list`: the options, most frequent first (ties alphabetical).
    pub options: Vec<String>,
    /// A remark for the reviewer (ambiguity, no samples …), if any.
    pub remark: Option<String>,
}

/// Infer a field type from sampled values (blank samples are ignored).
///
/// Order of tests: boolean (every value true/false/yes/no/y/n/1/0, with a word or both 0 and 1),
/// integer (no leading zeros, so phone numbers and codes stay text), float, date (all samples
/// parse with one of [`COMMON_DATE_FORMATS`] or RFC 3339), list (2..=[`LIST_MAX_DISTINCT`]
/// distinct values, each seen [`LIST_MIN_REPEAT`] times on average), else string.
pub fn infer_type<S: AsRef<str>>(samples: &[S]) -> Inference {
    let values: Vec<&str> = samples
        .iter()
        .map(|s| s.as_ref().trim())
        .filter(|s| !s.is_empty())
        .collect();
    let mut freq: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &values {
        *freq.entry(v).or_default() += 1;
    }
    let mut inf = Inference {
        field_type: FieldType::String,
        samples: values.len(),
        distinct: freq.len(),
        date_formats: Vec::new(),
        options: Vec::new(),
        remark: None,
    };
    if values.is_empty() {
        inf.remark = Some("no non-empty samples; typed as string".into());
        return inf;
    }
    if is_boolean(&values) {
        inf.field_type = FieldType::Boolean;
    } else if values.iter().all(|v| is_integer(v)) {
        inf.field_type = FieldType::Integer;
    } else if values.iter().all(|v| is_float(v)) {
        inf.field_type = FieldType::Float;
    } else if let Some(formats) = date_formats(&values) {
        inf.field_type = FieldType::Date;
        if formats.iter().any(|f| f == "%d/%m/%Y") && formats.iter().any(|f| f == "%m/%d/%Y") {
            inf.remark = Some(
                "day/month order is ambiguous in every sample; day-first is proposed, check it"
                    .into(),
            );
        }
        inf.date_formats = formats;
    } else if (2..=LIST_MAX_DISTINCT).contains(&freq.len())
        && values.len() >= freq.len() * LIST_MIN_REPEAT
    {
        inf.field_type = FieldType::List;
        let mut by_count: Vec<(&str, usize)> = freq.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        inf.options = by_count.into_iter().map(|(v, _)| v.to_owned()).collect();
    }
    inf
}

fn is_boolean(values: &[&str]) -> bool {
    if !values.iter().all(|v| parse_bool(v).is_some()) {
        return false;
    }
    let has_word = values.iter().any(|v| v.parse::<i64>().is_err());
    let has_zero = values.contains(&"0");
    let has_one = values.contains(&"1");
    has_word || (has_zero && has_one)
}

fn is_integer(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let leading_zero = digits.len() > 1 && digits.starts_with('0');
    !leading_zero && digits.len() <= 18 && v.parse::<i64>().is_ok()
}

fn is_float(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    !leading_zero
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'))
        && v.parse::<f64>().is_ok_and(f64::is_finite)
}

fn date_formats(values: &[&str]) -> Option<Vec<String>> {
    let formats: Vec<String> = COMMON_DATE_FORMATS
        .iter()
        .filter(|f| {
            values
                .iter()
                .all(|v| parse_date(v, &[**f]).is_some_and(|_| strict(v, f)))
        })
        .map(|f| (*f).to_owned())
        .collect();
    if !formats.is_empty() {
        return Some(formats);
    }
    let none: [&str; 0] = [];
    if values.iter().all(|v| parse_date(v, &none).is_some()) {
        return Some(vec!["%+".to_owned()]);
    }
    None
}

/// `parse_date` falls back to RFC 3339; make sure the format itself matched.
fn strict(v: &str, f: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(v, f).is_ok()
        || chrono::NaiveDate::parse_from_str(v, f).is_ok()
        || chrono::DateTime::parse_from_str(v, f).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(samples: &[&str]) -> FieldType {
        infer_type(samples).field_type
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
}
