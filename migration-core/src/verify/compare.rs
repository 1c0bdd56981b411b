//! Field-by-field comparison of what was expected with what Intercom holds.

use serde_json::Value;

use super::FieldDiff;
use crate::ledger::ExpectedFields;

/// A body as the sanitiser writes it: reduced HTML, whitespace collapsed (Intercom may
/// reformat whitespace and wrap plain text, never change the text).
pub fn normalise_body(html: &str) -> String {
    let reduced = crate::html::reduce_html(html);
    let mut out = String::with_capacity(reduced.len());
    for w in reduced.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.replace("> <", "><")
}

/// The value in the form compared: ids and numbers as text, e-mails in lower case, bodies
/// normalised, empty text and absent alike.
fn canonical(field: &str, v: &Value) -> Value {
    match v {
        Value::Number(n) if field.ends_with("assignee_id") && n.as_i64() == Some(0) => Value::Null,
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) if s.is_empty() => Value::Null,
        // Intercom says "nobody" with 0.
        Value::String(s) if field.ends_with("assignee_id") && s == "0" => Value::Null,
        Value::String(s) if field == "body" || field.ends_with(".body") => {
            Value::String(normalise_body(s))
        }
        Value::String(s) if field == "email" => Value::String(s.trim().to_lowercase()),
        Value::String(s) => Value::String(s.trim().to_owned()),
        Value::Array(a) => Value::Array(a.iter().map(|x| canonical(field, x)).collect()),
        other => other.clone(),
    }
}

/// Compares every expected field with what was found; answers the number of fields compared
/// and the differences (`part`: the part the fields belong to).
pub(crate) fn fields(
    expected: &ExpectedFields,
    found: &ExpectedFields,
    part: Option<&str>,
) -> (u64, Vec<FieldDiff>) {
    let mut diffs = Vec::new();
    let mut compared = 0;
    for (field, want) in expected {
        compared += 1;
        let have = found.get(field).unwrap_or(&Value::Null);
        if canonical(field, want) != canonical(field, have) {
            diffs.push(FieldDiff {
                field: field.clone(),
                part_id: part.map(str::to_owned),
                expected: want.clone(),
                found: have.clone(),
            });
        }
    }
    (compared, diffs)
}

/// Narrows the `tags` found to those expected, so that the comparison asks only whether every
/// expected tag is there (for an object that had tags of its own before the migration).
pub(crate) fn keep_expected_tags(expected: &ExpectedFields, found: &mut ExpectedFields) {
    let want: Vec<Value> = match expected.get("tags") {
        Some(Value::Array(w)) => w.iter().map(|t| canonical("tags", t)).collect(),
        _ => Vec::new(),
    };
    if let Some(Value::Array(have)) = found.get_mut("tags") {
        have.retain(|t| want.contains(&canonical("tags", t)));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn f(v: Value) -> ExpectedFields {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn a_pre_existing_objects_own_tags_are_not_differences_but_a_missing_one_is() {
        let want = f(json!({"tags": ["37"]}));
        let mut have = f(json!({"tags": ["3", 37]}));
        keep_expected_tags(&want, &mut have);
        assert!(fields(&want, &have, None).1.is_empty());
        let mut have = f(json!({"tags": ["3"]}));
        keep_expected_tags(&want, &mut have);
        assert_eq!(
            fields(&want, &have, None).1.len(),
            1,
            "the attached tag is missing"
        );
    }

    #[test]
    fn ids_emails_and_bodies_compare_in_canonical_form() {
        let want = f(json!({"admin_assignee_id": 12, "email": "A@x.io",
                            "body": "<p>Hi  <b>there</b></p>\n"}));
        let have = f(json!({"admin_assignee_id": "12", "email": "a@x.io",
                            "body": "<p>Hi <b>there</b></p>"}));
        assert_eq!(fields(&want, &have, None), (3, vec![]));
    }

    #[test]
    fn a_changed_or_missing_field_is_named_with_both_values() {
        let want = f(json!({"open": true, "tags": ["1", "2"], "name": "Ann"}));
        let have = f(json!({"open": false, "tags": ["1"]}));
        let (n, d) = fields(&want, &have, Some("p9"));
        assert_eq!(n, 3);
        let names: Vec<&str> = d.iter().map(|x| x.field.as_str()).collect();
        assert_eq!(names, ["name", "open", "tags"]);
        assert_eq!(d[0].found, Value::Null);
        assert_eq!(d[1].part_id.as_deref(), Some("p9"));
    }

    #[test]
    fn hostile_markup_is_compared_as_the_sanitiser_wrote_it() {
        let sent = crate::html::reduce_html("<p onclick='x()'>a<script>b</script></p>");
        assert_eq!(normalise_body(&sent), normalise_body("<p>a</p>"));
    }
}
