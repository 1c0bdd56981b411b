//! Spec parsing, validation, schema and hashing tests.

use super::*;

const GOOD: &str = r#"
version = 1

[confirmation]
confirmed = true
confirmed_by = "ops@example.com"
confirmed_at = 2026-01-31T09:00:00Z

[objects]
tickets = "tickets"

[policies]
missing_email = "lead_with_phone"
unmatched_agent = { fallback_admin = "991" }
unmatched_department = "queue"
canned_replies = "articles"
attachments = "link"

[[fields]]
source = "field2"
target = "order_number"
model = "ticket"
type = "integer"
transforms = [{ op = "trim" }]

[[fields]]
source = "field3"
target = "plan"
model = "ticket"
type = "list"
options = ["gold", "silver"]
transforms = [{ op = "lowercase" }, { op = "map", values = { "platinum" = "gold" } }]
default = "silver"

[[fields]]
source = "field4"
target = "renewal"
model = "contact"
type = "date"
transforms = [{ op = "parse_date", formats = ["%d/%m/%Y"] }]

[[fields]]
source = "tags_csv"
target = "glassix:"
model = "tags"
type = "string"
transforms = [{ op = "split", separator = "," }]
"#;

fn errors(text: &str) -> Vec<SpecError> {
    match MappingSpec::from_toml_str(text) {
        Err(crate::Error::Spec(e)) => e.0,
        other => panic!("expected spec errors, got {other:?}"),
    }
}

#[test]
fn parses_a_full_spec() {
    let spec = MappingSpec::from_toml_str(GOOD).unwrap();
    assert!(spec.is_confirmed());
    spec.require_confirmed().unwrap();
    assert_eq!(
        spec.policies.unmatched_agent,
        AgentPolicy::FallbackAdmin("991".into())
    );
    assert_eq!(
        spec.policies.missing_email,
        MissingEmailPolicy::LeadWithPhone
    );
    assert_eq!(spec.policies.html, HtmlPolicy::Sanitize);
    assert_eq!(spec.fields.len(), 4);
    assert_eq!(spec.fields[2].model, TargetModel::Contact);
    assert_eq!(
        spec.confirmation.confirmed_at.unwrap().to_rfc3339(),
        "2026-01-31T09:00:00+00:00"
    );
    // Plain TOML serialisation round-trips.
    let again = MappingSpec::from_toml_str(&spec.to_toml_string().unwrap()).unwrap();
    assert_eq!(again, spec);
}

#[test]
fn defaults_apply_to_an_empty_file() {
    let spec = MappingSpec::from_toml_str("").unwrap();
    assert_eq!(spec.objects.tickets, TicketTarget::Tickets);
    assert_eq!(spec.policies.canned_replies, CannedRepliesPolicy::Inventory);
    assert_eq!(spec.policies.attachments, AttachmentsPolicy::Upload);
    assert!(!spec.is_confirmed());
}

#[test]
fn syntax_error_names_line_and_column() {
    let e = errors("version = 1\n\n[objects\ntickets = \"tickets\"\n");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].line, Some(3), "{}", e[0]);
    assert!(e[0].message.contains("syntax"), "{}", e[0]);
}

#[test]
fn unknown_type_names_field_path_and_line() {
    let text = GOOD.replace("type = \"integer\"", "type = \"number\"");
    let e = errors(&text);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].path, "fields[0].type");
    let expected_line = text.lines().position(|l| l.contains("\"number\"")).unwrap() + 1;
    assert_eq!(e[0].line, Some(expected_line), "{}", e[0]);
    assert!(e[0].message.contains("number"), "{}", e[0]);
    assert!(
        e[0].to_string()
            .starts_with(&format!("line {expected_line}, column 8: fields[0].type"))
    );
}

#[test]
fn unknown_key_and_unknown_policy_are_rejected_with_paths() {
    let e = errors("[policies]\nmissing_emial = \"queue\"\n");
    assert_eq!(e[0].line, Some(2), "{}", e[0]);
    assert!(e[0].message.contains("missing_emial"), "{}", e[0]);
    let e = errors("[policies]\nattachments = \"fax\"\n");
    assert_eq!(e[0].path, "policies.attachments");
    assert_eq!(e[0].line, Some(2));
}

#[test]
fn semantic_errors_are_all_reported_with_paths_and_lines() {
    let text = r#"
[[fields]]
source = "field2"
target = "plan"
model = "ticket"
type = "list"

[[fields]]
source = "field3"
target = "Plan"
model = "ticket"
type = "string"
options = ["a", "b"]

[[fields]]
source = "field4"
target = "bad.name"
model = "conversation"
type = "integer"
transforms = [{ op = "parse_date", formats = ["%Q"] }, { op = "trim" }]
default = "ten"
"#;
    let e = errors(text);
    let find = |path: &str| {
        e.iter()
            .find(|x| x.path == path)
            .unwrap_or_else(|| panic!("no error at {path}: {e:#?}"))
    };
    // List without options: the key is missing, so the line is the rule's table.
    assert!(find("fields[0].options").message.contains("at least 2"));
    assert!(find("fields[0].options").line.is_some());
    let dup = find("fields[1].target");
    assert!(dup.message.contains("duplicate target"), "{}", dup.message);
    assert_eq!(dup.line, Some(10));
    assert_eq!(find("fields[1].options").line, Some(13));
    assert_eq!(find("fields[2].target").line, Some(17));
    assert!(find("fields[2].model").message.contains("conversations"));
    assert!(
        find("fields[2].transforms[0].formats[0]")
            .message
            .contains("%Q")
    );
    assert!(find("fields[2].default").message.contains("ten"));
    assert!(e.iter().any(|x| x.message.contains("last transform")));
    // Display lists every problem.
    let shown = crate::Error::Spec(SpecErrors(e.clone())).to_string();
    assert_eq!(shown.matches("\n  - ").count(), e.len());
}

#[test]
fn confirmation_requires_who_and_when_and_says_how() {
    let e = errors("[confirmation]\nconfirmed = true\n");
    let by = e
        .iter()
        .find(|x| x.path == "confirmation.confirmed_by")
        .unwrap();
    // The key is missing: the error points at its table.
    assert_eq!(by.line, Some(1), "{by}");
    assert!(e.iter().any(|x| x.path == "confirmation.confirmed_at"));
    let bad_time = errors("[confirmation]\nconfirmed_at = \"yesterday\"\n");
    assert_eq!(bad_time[0].path, "confirmation.confirmed_at");
    assert_eq!(bad_time[0].line, Some(2));

    let unconfirmed = MappingSpec::default();
    let msg = unconfirmed.require_confirmed().unwrap_err().to_string();
    for needle in [
        "confirmed = true",
        "confirmed_by",
        "confirmed_at",
        "[confirmation]",
    ] {
        assert!(msg.contains(needle), "{msg}");
    }
}

#[test]
fn schema_is_generated_and_validates_specs() {
    let schema = MappingSpec::json_schema();
    let props = schema["properties"].as_object().unwrap();
    for key in ["version", "confirmation", "objects", "policies", "fields"] {
        assert!(props.contains_key(key), "{key} missing from schema");
    }
    let text = schema.to_string();
    for needle in [
        "lead_with_phone",
        "fallback_admin",
        "parse_date",
        "conversations",
    ] {
        assert!(text.contains(needle), "{needle} missing from schema");
    }
    let validator = jsonschema::validator_for(&schema).unwrap();
    let good = serde_json::to_value(MappingSpec::from_toml_str(GOOD).unwrap()).unwrap();
    assert!(validator.is_valid(&good));
    let mut bad = good.clone();
    bad["fields"][0]["type"] = serde_json::json!("number");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn hash_is_stable_ignores_layout_and_confirmation_but_not_content() {
    let a = MappingSpec::from_toml_str(GOOD).unwrap();
    // Same content, different layout and comments.
    let relaid = format!("# a comment\n{}", GOOD.replace("version = 1\n", "")).replace(
        "[objects]\ntickets = \"tickets\"",
        "[objects]\nticket_type = \"Glassix ticket\"\ntickets = \"tickets\"",
    );
    let b = MappingSpec::from_toml_str(&relaid).unwrap();
    assert_eq!(a.hash().unwrap(), b.hash().unwrap());
    let mut unconfirmed = a.clone();
    unconfirmed.confirmation = Confirmation::default();
    assert_eq!(a.hash().unwrap(), unconfirmed.hash().unwrap());
    let mut changed = a.clone();
    changed.policies.attachments = AttachmentsPolicy::Skip;
    assert_ne!(a.hash().unwrap(), changed.hash().unwrap());
    assert_eq!(a.hash().unwrap().len(), 64);
    // Pinned (cross-checked with Python: sha256 of json.dumps(sort_keys=True,
    // separators=(",", ":"))). A change here means every existing ledger sees a "new" spec.
    assert_eq!(
        MappingSpec::default().hash().unwrap(),
        "591d2634449543d90c9ea9d50ef94e0d0b1b0d68cecf77f47f7f1b04d0b2d226"
    );
}

/// The committed schema (`schema/mapping-spec.schema.json`, for editors such as Taplo or
/// VS Code) must match the code. Regenerate with
/// `UPDATE_SPEC_SCHEMA=1 cargo test -p migration-core committed_schema_is_current`.
#[test]
fn committed_schema_is_current() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/mapping-spec.schema.json");
    let generated = format!(
        "{}\n",
        serde_json::to_string_pretty(&MappingSpec::json_schema()).unwrap()
    );
    if std::env::var_os("UPDATE_SPEC_SCHEMA").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed =
        std::fs::read_to_string(&path).expect("schema file missing: run with UPDATE_SPEC_SCHEMA=1");
    assert_eq!(
        committed, generated,
        "schema is stale: run with UPDATE_SPEC_SCHEMA=1"
    );
}
