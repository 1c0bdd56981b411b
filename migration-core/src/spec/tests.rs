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

// ---- Department-scoped rules -------------------------------------------------------------

const SCOPED: &str = r#"
[[fields]]
source = "field3"
target = "amount"
model = "ticket"
type = "float"

[[fields]]
source = "field3"
target = "renewal_date"
model = "ticket"
type = "date"
transforms = [{ op = "parse_date", formats = ["%d/%m/%Y"] }]
departments = ["Billing"]

[[fields]]
source = "field3"
target = "plan"
model = "ticket"
type = "list"
options = ["Basic", "Pro"]
departments = ["sales", "6b1e0c55-0000-4000-8000-000000000002"]

[[fields]]
source = "field2"
target = "order_number"
model = "ticket"
type = "string"
"#;

fn targets<'a>(rules: impl Iterator<Item = &'a FieldRule>) -> Vec<&'a str> {
    rules.map(|r| r.target.as_str()).collect()
}

#[test]
fn scoped_rules_apply_to_their_departments_and_replace_global_ones_there() {
    let spec = MappingSpec::from_toml_str(SCOPED).unwrap();
    assert_eq!(targets(spec.fields.iter()), ["amount", "order_number"]);
    assert_eq!(spec.department_fields.len(), 2);
    assert_eq!(spec.department_fields[0].departments, ["Billing"]);
    // By name, any case; the department's own rule replaces the global rule of its source.
    assert_eq!(
        targets(spec.rules_for("key-1", Some("billing"))),
        ["order_number", "renewal_date"]
    );
    // By API key (the name unknown).
    assert_eq!(
        targets(spec.rules_for("6B1E0C55-0000-4000-8000-000000000002", None)),
        ["order_number", "plan"]
    );
    // Other departments get the global rules.
    assert_eq!(
        targets(spec.rules_for("key-9", Some("Support"))),
        ["amount", "order_number"]
    );
    assert_eq!(spec.all_rules().count(), 4);
    // Round trip through plain TOML and JSON Schema validation.
    let again = MappingSpec::from_toml_str(&spec.to_toml_string().unwrap()).unwrap();
    assert_eq!(again, spec);
    let validator = jsonschema::validator_for(&MappingSpec::json_schema()).unwrap();
    let json = serde_json::to_value(&spec).unwrap();
    assert!(validator.is_valid(&json), "{json}");
    let mut bad = json.clone();
    bad["fields"][1]["departments"] = serde_json::json!("Billing");
    assert!(!validator.is_valid(&bad));
}

#[test]
fn two_rules_for_one_source_and_department_are_refused_naming_both() {
    let text = format!(
        "{SCOPED}\n[[fields]]\nsource = \"FIELD3\"\ntarget = \"billing_code\"\nmodel = \
         \"ticket\"\ntype = \"string\"\ndepartments = [\"Support\", \" billing \"]\n"
    );
    let e = errors(&text);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(e[0].path, "fields[4].departments");
    let line = text
        .lines()
        .position(|l| l.contains("\" billing \""))
        .unwrap()
        + 1;
    assert_eq!(e[0].line, Some(line), "{}", e[0]);
    let m = &e[0].message;
    for needle in [
        "fields[1]",
        "`field3` → `renewal_date` (departments Billing)",
        "fields[4]",
        "`FIELD3` → `billing_code`",
        "department `Billing`",
        "one rule per department",
    ] {
        assert!(m.contains(needle), "{needle} missing in {m}");
    }
}

#[test]
fn department_lists_are_checked() {
    let e = errors(
        "[[fields]]\nsource = \"field2\"\ntarget = \"a\"\nmodel = \"ticket\"\ntype = \
         \"string\"\ndepartments = [\"Sales\", \" \", \"SALES\"]\n",
    );
    assert_eq!(e.len(), 2, "{e:#?}");
    assert_eq!(e[0].path, "fields[0].departments[1]");
    assert!(e[0].message.contains("must be named"));
    assert_eq!(e[1].path, "fields[0].departments[2]");
    assert!(e[1].message.contains("listed twice"));
}

#[test]
fn shared_targets_need_disjoint_departments_and_one_type() {
    let rule = |source: &str, target: &str, t: &str, depts: &str| {
        format!(
            "[[fields]]\nsource = \"{source}\"\ntarget = \"{target}\"\nmodel = \"ticket\"\ntype \
             = \"{t}\"\n{depts}\n"
        )
    };
    // Different sources, disjoint departments, one type: one attribute, fine.
    let ok = rule("field4", "plan", "string", "departments = [\"A\"]")
        + &rule("field5", "plan", "string", "departments = [\"B\"]")
        // A department rule may write the attribute its source's global rule writes.
        + &rule("field6", "notes", "string", "")
        + &rule("field6", "notes", "string", "departments = [\"A\"]");
    MappingSpec::from_toml_str(&ok).unwrap();
    // Same departments: both would write it.
    let e = errors(
        &(rule("field4", "plan", "string", "departments = [\"A\"]")
            + &rule("field5", "Plan", "string", "departments = [\"a\", \"C\"]")),
    );
    assert!(e[0].message.contains("duplicate target `Plan`"), "{}", e[0]);
    assert!(e[0].message.contains("in department `A`"), "{}", e[0]);
    // A global rule of another source writes it in every department.
    let e = errors(
        &(rule("field4", "plan", "string", "")
            + &rule("field5", "plan", "string", "departments = [\"B\"]")),
    );
    assert!(e[0].message.contains("duplicate target"), "{}", e[0]);
    // Disjoint departments but two types: one attribute has one type.
    let e = errors(
        &(rule("field4", "plan", "string", "departments = [\"A\"]")
            + &rule("field5", "plan", "integer", "departments = [\"B\"]")),
    );
    assert_eq!(e[0].path, "fields[1].target");
    assert!(
        e[0].message.contains("one attribute has one type"),
        "{}",
        e[0]
    );
}

#[test]
fn departments_are_checked_against_the_known_ones() {
    let spec = MappingSpec::from_toml_str(SCOPED).unwrap();
    let known = [
        KnownDepartment {
            key: "6b1e0c55-0000-4000-8000-000000000001",
            name: Some("Billing"),
        },
        KnownDepartment {
            key: "6b1e0c55-0000-4000-8000-000000000002",
            name: Some("Sales"),
        },
    ];
    spec.check_departments(&known).unwrap();
    let err = spec.check_departments(&known[..1]).unwrap_err().to_string();
    assert!(err.contains("names department `sales`"), "{err}");
    assert!(
        err.contains("Billing (`6b1e0c55-0000-4000-8000-000000000001`)"),
        "{err}"
    );
    // One department reached by name in one rule and by key in the other.
    let text = SCOPED.replace(
        "departments = [\"Billing\"]",
        "departments = [\"6b1e0c55-0000-4000-8000-000000000002\"]",
    );
    let text = text.replace(
        "departments = [\"sales\", \"6b1e0c55-0000-4000-8000-000000000002\"]",
        "departments = [\"sales\"]",
    );
    let spec = MappingSpec::from_toml_str(&text).unwrap();
    let err = spec.check_departments(&known).unwrap_err().to_string();
    assert!(
        err.contains("both rules for `field3` in department `Sales`"),
        "{err}"
    );
}

// ---- Confirmation locked to content ------------------------------------------------------

fn at() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-02-01T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn not_confirmed(spec: &MappingSpec) -> (String, Vec<String>) {
    match spec.require_confirmed() {
        Err(crate::Error::SpecNotConfirmed { message, changed }) => (message, changed),
        other => panic!("expected SpecNotConfirmed, got {other:?}"),
    }
}

#[test]
fn confirming_locks_the_spec_to_its_content() {
    let mut spec = MappingSpec::from_toml_str(SCOPED).unwrap();
    spec.confirm("ops@example.com", at()).unwrap();
    assert_eq!(spec.confirmation_state(), ConfirmationState::Confirmed);
    spec.require_confirmed().unwrap();
    assert_eq!(
        spec.confirmation.content_hash.as_deref(),
        Some(spec.hash().unwrap().as_str())
    );
    assert!(
        spec.confirmation
            .sections
            .contains_key("fields.field3@billing")
    );

    let mut changed = spec.clone();
    changed.policies.attachments = AttachmentsPolicy::Skip;
    changed.department_fields[0].rule.target = "renews_on".into();
    changed.fields.push(FieldRule {
        source: "field9".into(),
        ..changed.fields[1].clone()
    });
    assert!(!changed.is_confirmed());
    let (message, what) = not_confirmed(&changed);
    assert_eq!(
        what,
        [
            "the rule for `field3` in departments billing (changed)",
            "the every-department rules for `field9` (added)",
            "[policies] (changed)",
        ]
    );
    for needle in [
        "changed after ops@example.com confirmed it at 2026-02-01T10:00:00Z",
        "[policies] (changed)",
        &format!("content_hash = \"{}\"", changed.hash().unwrap()),
        "confirm the spec again",
    ] {
        assert!(message.contains(needle), "{needle} missing in {message}");
    }
    // Removing a rule is named too; a hash without sections still refuses, in general words.
    let mut removed = spec.clone();
    removed.department_fields.pop();
    assert_eq!(
        not_confirmed(&removed).1,
        [
            "the rule for `field3` in departments 6b1e0c55-0000-4000-8000-000000000002, sales (removed)"
        ]
    );
    removed.confirmation.sections.clear();
    assert!(not_confirmed(&removed).1[0].contains("no per-section record"));
    // The confirmation block itself is not content: re-confirming keeps the same hash.
    let mut again = spec.clone();
    again.confirm("someone else", at()).unwrap();
    assert_eq!(again.hash().unwrap(), spec.hash().unwrap());
}

#[test]
fn a_confirmation_without_content_hash_is_accepted_unlocked() {
    let spec = MappingSpec::from_toml_str(GOOD).unwrap();
    assert_eq!(
        spec.confirmation_state(),
        ConfirmationState::ConfirmedUnlocked
    );
    assert!(spec.is_confirmed());
    spec.require_confirmed().unwrap();
    let e = errors(&GOOD.replace(
        "confirmed_at = 2026-01-31T09:00:00Z",
        "confirmed_at = 2026-01-31T09:00:00Z\ncontent_hash = \"abc\"",
    ));
    assert_eq!(e[0].path, "confirmation.content_hash");
}

#[test]
fn confirm_toml_rewrites_only_the_confirmation_table() {
    let text = format!(
        "# My spec\nversion = 1\n\n[confirmation]\n# set after review\nconfirmed = false\n\n# \
         Objects come next.\n[objects]\ntickets = \"tickets\" # keep\n{SCOPED}"
    );
    let out = MappingSpec::confirm_toml(&text, " ops@example.com ", at()).unwrap();
    let spec = MappingSpec::from_toml_str(&out).unwrap();
    assert_eq!(spec.confirmation_state(), ConfirmationState::Confirmed);
    assert_eq!(
        spec.confirmation.confirmed_by.as_deref(),
        Some("ops@example.com")
    );
    assert!(out.starts_with("# My spec\nversion = 1\n\n[confirmation]\nconfirmed = true\n"));
    assert!(out.contains("\n# Objects come next.\n[objects]\ntickets = \"tickets\" # keep\n"));
    assert!(out.ends_with(SCOPED), "{out}");
    assert!(!out.contains("set after review"));
    // Confirming again replaces the block (sections included) instead of adding one.
    let twice = MappingSpec::confirm_toml(&out, "ops@example.com", at()).unwrap();
    assert_eq!(twice, out);
    // A clock with sub-second precision (`Utc::now()`) confirms at the whole second the file
    // keeps, instead of failing to read back.
    let now = at() + chrono::Duration::milliseconds(250);
    assert_eq!(
        MappingSpec::confirm_toml(&out, "ops@example.com", now).unwrap(),
        out
    );
    // Without a confirmation table, one is appended.
    let appended = MappingSpec::confirm_toml(SCOPED, "ops@example.com", at()).unwrap();
    assert!(appended.starts_with(SCOPED));
    assert!(
        MappingSpec::from_toml_str(&appended)
            .unwrap()
            .is_confirmed()
    );
    // Confirmation written as an inline table cannot be rewritten safely.
    let inline = format!("confirmation = {{ confirmed = false }}\n{SCOPED}");
    let err = MappingSpec::confirm_toml(&inline, "ops", at()).unwrap_err();
    assert!(err.to_string().contains("[confirmation] table"), "{err}");
    // An invalid spec is not confirmed.
    assert!(MappingSpec::confirm_toml("version = 2\n", "ops", at()).is_err());
    assert!(MappingSpec::confirm_toml(SCOPED, "  ", at()).is_err());
}
