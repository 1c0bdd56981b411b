//! Integration tests of the `glassix-to-intercom` binary against the in-process sandbox, written
//! against the CLI contract (`notes/cli-contract.md`, issue #6): every subcommand's exit code,
//! outputs and files, bad configs, missing secrets, a Starter workspace, an interrupted and
//! resumed `migrate`, and no secret in any output.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use migration_core::ObjectKind;
use migration_core::ledger::{Ledger, RunStatus};
use migration_core::spec::MappingSpec;
use serde_json::Value;
use support::{Ctx, Options, SPEC};

fn ctx() -> Ctx {
    Ctx::new(Options::default())
}

// ---------------------------------------------------------------------------------------------
// schema

#[test]
fn schema_prints_the_config_json_schema_without_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::run_bare(dir.path(), &["schema"]);
    out.expect_code(0);
    let schema: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", out.dump()));
    assert!(schema.is_object());
    let props = &schema["properties"];
    for section in ["glassix", "intercom", "paths"] {
        assert!(
            props.get(section).is_some(),
            "the config schema names the section `{section}`: {schema:#}"
        );
    }
    // The spec's sections are not the config's.
    assert!(props.get("policies").is_none());
}

#[test]
fn schema_spec_prints_the_mapping_spec_json_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::run_bare(dir.path(), &["schema", "--spec"]);
    out.expect_code(0);
    let schema: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", out.dump()));
    let props = &schema["properties"];
    for section in ["confirmation", "objects", "policies", "fields"] {
        assert!(
            props.get(section).is_some(),
            "the spec schema names `{section}`: {schema:#}"
        );
    }
    assert!(props.get("glassix").is_none());
    assert_eq!(
        props,
        &MappingSpec::json_schema()["properties"],
        "the spec schema is the mapping spec's"
    );
}

#[test]
fn usage_error_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    support::run_bare(dir.path(), &["no-such-subcommand"]).expect_code(2);
    support::run_bare(dir.path(), &["demo", "--tickets", "many"]).expect_code(2);
}

// ---------------------------------------------------------------------------------------------
// bad configs (no sandbox needed: the config is checked before any request; the URLs point at
// a closed port so that a lazy check would show as exit 1, not 2)

/// A work folder with a config built from `ctx`'s, edited by `edit`, and runs `discover`.
fn discover_with(ctx: &Ctx, edit: impl FnOnce(&mut toml::Table)) -> support::Output {
    let mut config = ctx.config();
    edit(&mut config);
    ctx.write_config(&config);
    let out = ctx.run(&["discover"]);
    assert_eq!(
        ctx.sb.glassix.stats().total,
        0,
        "a bad config is refused before any request"
    );
    assert_eq!(ctx.sb.intercom.stats().total, 0);
    out
}

fn table<'a>(t: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    t.get_mut(key).unwrap().as_table_mut().unwrap()
}

fn department(t: &mut toml::Table, i: usize) -> &mut toml::Table {
    table(t, "glassix")
        .get_mut("departments")
        .unwrap()
        .as_array_mut()
        .unwrap()[i]
        .as_table_mut()
        .unwrap()
}

#[test]
fn bad_config_unknown_key_is_named() {
    let ctx = ctx();
    let out = discover_with(&ctx, |c| {
        table(c, "glassix").insert("colour".into(), "blue".into());
    });
    out.expect_code(2);
    assert!(out.stderr.contains("colour"), "{}", out.dump());

    let out = discover_with(&ctx, |c| {
        department(c, 1).insert("api_secret".into(), "inline".into());
    });
    out.expect_code(2);
    assert!(out.stderr.contains("api_secret"), "{}", out.dump());
}

#[test]
fn bad_config_missing_required_field_is_named() {
    let ctx = ctx();
    let out = discover_with(&ctx, |c| {
        department(c, 0).remove("user_name");
    });
    out.expect_code(2);
    assert!(out.stderr.contains("user_name"), "{}", out.dump());

    let out = discover_with(&ctx, |c| {
        table(c, "intercom").remove("token_env");
    });
    out.expect_code(2);
    assert!(out.stderr.contains("token_env"), "{}", out.dump());
}

#[test]
fn bad_config_invalid_guid_names_the_field_path() {
    let ctx = ctx();
    let out = discover_with(&ctx, |c| {
        department(c, 0).insert("api_key".into(), "not-a-guid".into());
    });
    out.expect_code(2);
    assert!(
        out.stderr.contains("glassix.departments[0].api_key"),
        "the error names glassix.departments[0].api_key:\n{}",
        out.dump()
    );
}

#[test]
fn bad_config_workspace_and_base_url_together_are_refused() {
    let ctx = ctx();
    let out = discover_with(&ctx, |c| {
        table(c, "glassix").insert("workspace".into(), "acme".into());
    });
    out.expect_code(2);
    assert!(
        out.stderr.contains("workspace") && out.stderr.contains("base_url"),
        "{}",
        out.dump()
    );

    let out = discover_with(&ctx, |c| {
        table(c, "intercom").insert("region".into(), "eu".into());
    });
    out.expect_code(2);
    assert!(
        out.stderr.contains("region") && out.stderr.contains("base_url"),
        "{}",
        out.dump()
    );
}

#[test]
fn bad_config_invalid_tier_is_named() {
    let ctx = ctx();
    let out = discover_with(&ctx, |c| {
        table(c, "glassix").insert("tier".into(), "platinum".into());
    });
    out.expect_code(2);
    assert!(
        out.stderr.contains("tier") && out.stderr.contains("platinum"),
        "{}",
        out.dump()
    );
}

#[test]
fn bad_config_quota_departments_and_region_rules_are_named() {
    let ctx = ctx();
    // per_minute and per_hour: both or neither.
    let out = discover_with(&ctx, |c| {
        table(c, "glassix").remove("per_hour");
    });
    out.expect_code(2);
    assert!(out.stderr.contains("per_hour"), "{}", out.dump());
    // At least one department.
    let out = discover_with(&ctx, |c| {
        table(c, "glassix").insert("departments".into(), toml::Value::Array(vec![]));
    });
    out.expect_code(2);
    assert!(out.stderr.contains("departments"), "{}", out.dump());
    // Region: us | eu | au.
    let out = discover_with(&ctx, |c| {
        table(c, "intercom").remove("base_url");
        table(c, "intercom").insert("region".into(), "mars".into());
    });
    out.expect_code(2);
    assert!(
        out.stderr.contains("region") && out.stderr.contains("mars"),
        "{}",
        out.dump()
    );
    // Neither workspace nor base_url.
    let out = discover_with(&ctx, |c| {
        table(c, "glassix").remove("base_url");
    });
    out.expect_code(2);
    assert!(
        out.stderr.contains("workspace") && out.stderr.contains("base_url"),
        "{}",
        out.dump()
    );
}

#[test]
fn missing_config_file_exits_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere").join("g2i.toml");
    let out = support::run_bare(
        dir.path(),
        &["--config", missing.to_str().unwrap(), "discover"],
    );
    out.expect_code(2);
    assert!(
        out.stderr.contains(missing.to_str().unwrap()),
        "{}",
        out.dump()
    );

    // The default is glassix-to-intercom.toml in the current folder.
    let out = support::run_bare(dir.path(), &["discover"]);
    out.expect_code(2);
    assert!(
        out.stderr.contains("glassix-to-intercom.toml"),
        "{}",
        out.dump()
    );

    // GLASSIX_TO_INTERCOM_CONFIG names the file too.
    let mut cmd = support::command(dir.path());
    cmd.env("GLASSIX_TO_INTERCOM_CONFIG", &missing)
        .arg("discover");
    let out = support::wait(cmd.spawn().unwrap(), support::RUN_TIMEOUT);
    out.expect_code(2);
    assert!(
        out.stderr.contains(missing.to_str().unwrap()),
        "{}",
        out.dump()
    );
}

// ---------------------------------------------------------------------------------------------
// secrets from the environment

#[test]
fn missing_glassix_secret_variable_exits_2_naming_it() {
    let ctx = ctx();
    let mut cmd = ctx.command(&["discover"]);
    cmd.env_remove(&ctx.secret_vars[1]);
    let out = ctx.run_cmd(cmd);
    out.expect_code(2);
    assert!(out.stderr.contains(&ctx.secret_vars[1]), "{}", out.dump());
    assert!(out.stderr.contains("api_secret_env"), "{}", out.dump());
    assert_eq!(ctx.sb.glassix.stats().total, 0);
}

#[test]
fn missing_intercom_token_variable_exits_2_naming_it() {
    let ctx = ctx();
    let mut cmd = ctx.command(&["discover"]);
    cmd.env_remove(&ctx.token_var);
    let out = ctx.run_cmd(cmd);
    out.expect_code(2);
    assert!(out.stderr.contains(&ctx.token_var), "{}", out.dump());
    assert!(out.stderr.contains("token_env"), "{}", out.dump());
    assert_eq!(ctx.sb.intercom.stats().total, 0);
}

#[test]
fn refused_intercom_token_exits_2() {
    let ctx = ctx();
    let mut cmd = ctx.command(&["discover"]);
    cmd.env(&ctx.token_var, "not-the-token");
    let out = ctx.run_cmd(cmd);
    out.expect_code(2);
    assert!(
        out.stderr.to_lowercase().contains("intercom"),
        "{}",
        out.dump()
    );

    let mut cmd = ctx.command(&["discover"]);
    cmd.env(&ctx.secret_vars[0], "not-the-secret");
    let out = ctx.run_cmd(cmd);
    out.expect_code(2);
    assert!(
        out.stderr.to_lowercase().contains("glassix"),
        "{}",
        out.dump()
    );
}

#[test]
fn verbose_logs_never_show_a_secret() {
    let ctx = ctx();
    let mut cmd = ctx.command(&["-vv", "discover"]);
    cmd.env("RUST_LOG", "trace");
    let out = ctx.run_cmd(cmd); // checks stdout and stderr for every secret
    out.expect_code(0);
    assert!(!out.stderr.is_empty(), "-vv logs something");
    ctx.prepare_spec(true, true);
    let mut cmd = ctx.command(&["-vv", "migrate"]);
    cmd.env("RUST_LOG", "trace");
    let out = ctx.run_cmd(cmd);
    out.expect_code(0);
    assert!(!out.stderr.is_empty(), "-vv logs something");
    assert!(
        !out.stdout.contains("DEBUG") && !out.stdout.contains("TRACE"),
        "logs go to stderr, not stdout:\n{}",
        out.stdout
    );
    assert!(
        !out.stderr.contains('\u{1b}'),
        "no ANSI colours in logs when stderr is not a terminal"
    );
    ctx.assert_no_secret_in_files();
}

// ---------------------------------------------------------------------------------------------
// Starter tier

#[test]
fn starter_workspace_refused_by_glassix_exits_4_saying_what_to_do() {
    let ctx = Ctx::new(Options {
        starter: true,
        ..Options::default()
    });
    let out = ctx.run(&["discover"]);
    out.expect_code(4);
    let text = out.all_lower();
    assert!(
        text.contains("upgrade") || text.contains("growth") || text.contains("enterprise"),
        "the message says what to do:\n{}",
        out.dump()
    );
    assert!(ctx.sb.glassix.stats().status(403) > 0, "Glassix refused it");
}

#[test]
fn starter_tier_in_config_exits_4_without_contacting_glassix() {
    let ctx = ctx();
    let mut config = ctx.config();
    table(&mut config, "glassix").insert("tier".into(), "starter".into());
    table(&mut config, "glassix").remove("per_minute");
    table(&mut config, "glassix").remove("per_hour");
    ctx.write_config(&config);
    let out = ctx.run(&["discover"]);
    out.expect_code(4);
    let text = out.all_lower();
    assert!(
        text.contains("upgrade") || text.contains("growth") || text.contains("enterprise"),
        "{}",
        out.dump()
    );
    assert_eq!(ctx.sb.glassix.stats().total, 0, "Glassix was not contacted");
}

// ---------------------------------------------------------------------------------------------
// discover, propose, plan

#[test]
fn discover_writes_discovery_and_provisioning_files() {
    let ctx = ctx();
    let out = ctx.run(&["discover"]);
    out.expect_code(0);
    let d = ctx.read_json("discovery.json");
    assert_eq!(
        d["tickets"]["total"].as_u64(),
        Some(ctx.sb.snapshot.tickets.len() as u64),
        "discovery.json counts every ticket: {:#}",
        d["tickets"]
    );
    // paths.exports is set: the inventory of what is rebuilt by hand is written too.
    for f in ["discovery.md", "provisioning.md", "inventory.md"] {
        let text = std::fs::read_to_string(ctx.out(f)).unwrap();
        assert!(!text.trim().is_empty(), "{f} is empty");
    }
    let provisioning = ctx.read_json("provisioning.json");
    // The sandbox has agents without an admin and a department without a team.
    assert!(
        provisioning.to_string().len() > 10,
        "provisioning.json lists something: {provisioning}"
    );
    assert_eq!(
        ctx.intercom_writes(),
        0,
        "discover writes nothing to Intercom"
    );
    ctx.assert_no_secret_in_files();
}

#[test]
fn propose_writes_an_unconfirmed_spec_that_migrate_refuses() {
    let ctx = ctx();
    let out = ctx.run(&["propose"]);
    out.expect_code(0);
    assert!(
        out.stdout.to_lowercase().contains("confirm"),
        "propose says how to confirm:\n{}",
        out.dump()
    );
    let proposed = MappingSpec::from_toml_str(
        &std::fs::read_to_string(ctx.out("mapping.proposed.toml")).unwrap(),
    )
    .unwrap();
    assert!(!proposed.is_confirmed());
    let spec_text = std::fs::read_to_string(ctx.path(SPEC)).unwrap();
    let spec = MappingSpec::from_toml_str(&spec_text).unwrap();
    assert!(!spec.is_confirmed());
    assert_eq!(spec, proposed);

    // A second propose reuses discovery.json and leaves an existing spec alone...
    let glassix_before = ctx.sb.glassix.stats().total;
    let edited = format!("{spec_text}\n# edited by hand\n");
    std::fs::write(ctx.path(SPEC), &edited).unwrap();
    ctx.run(&["propose"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(ctx.path(SPEC)).unwrap(), edited);
    assert_eq!(
        ctx.sb.glassix.stats().total,
        glassix_before,
        "propose reuses out/discovery.json"
    );
    // ... unless --force.
    ctx.run(&["propose", "--force"]).expect_code(0);
    assert_ne!(std::fs::read_to_string(ctx.path(SPEC)).unwrap(), edited);

    // migrate refuses an unconfirmed spec, before writing anything.
    let out = ctx.run(&["migrate"]);
    out.expect_code(2);
    assert!(
        out.stderr.to_lowercase().contains("confirm"),
        "says the spec must be confirmed:\n{}",
        out.dump()
    );
    assert_eq!(ctx.intercom_writes(), 0);
    assert!(ctx.sb.intercom.state().tickets.is_empty());
    ctx.assert_no_secret_in_files();
}

#[test]
fn confirm_locks_the_spec_to_its_content_and_an_edit_withdraws_it() {
    let ctx = ctx();
    ctx.run(&["propose"]).expect_code(0);
    let drafted = std::fs::read_to_string(ctx.path(SPEC)).unwrap();
    let out = ctx.run(&["confirm", "--by", "ops@example.com"]);
    out.expect_code(0);
    let confirmed = std::fs::read_to_string(ctx.path(SPEC)).unwrap();
    let spec = MappingSpec::from_toml_str(&confirmed).unwrap();
    assert!(spec.is_confirmed(), "{}", out.dump());
    assert_eq!(
        spec.confirmation.confirmed_by.as_deref(),
        Some("ops@example.com")
    );
    assert!(spec.confirmation.content_hash.is_some());
    // Everything but the [confirmation] table is kept: the rules' comments are still there.
    let comments = |t: &str| t.lines().filter(|l| l.starts_with("# ")).count();
    assert!(comments(&confirmed) + 3 >= comments(&drafted));

    // An edit after confirmation: migrate refuses it (exit 2), naming what changed, writes
    // nothing; confirming again lets it through.
    let edited = confirmed.replacen("[policies]", "[policies]\nunmatched_agent = \"queue\"", 1);
    let edited = if edited.matches("unmatched_agent").count() > 1 {
        // The draft already sets it: change the attachments policy instead.
        confirmed.replacen("attachments = \"upload\"", "attachments = \"skip\"", 1)
    } else {
        edited
    };
    assert_ne!(edited, confirmed, "the test edits the spec");
    std::fs::write(ctx.path(SPEC), &edited).unwrap();
    let out = ctx.run(&["migrate"]);
    out.expect_code(2);
    assert!(
        out.stderr.contains("policies"),
        "names the changed section:\n{}",
        out.dump()
    );
    assert_eq!(ctx.intercom_writes(), 0);
    ctx.run(&["confirm", "--by", "ops@example.com"])
        .expect_code(0);
    assert!(
        MappingSpec::from_toml_str(&std::fs::read_to_string(ctx.path(SPEC)).unwrap())
            .unwrap()
            .is_confirmed()
    );
}

#[test]
fn plan_writes_steps_in_dependency_order_with_an_estimate() {
    let ctx = ctx();
    // No spec yet: plan needs one.
    ctx.run(&["plan"]).expect_code(2);
    ctx.run(&["propose"]).expect_code(0);
    let glassix_before = ctx.sb.glassix.stats().total;
    let out = ctx.run(&["plan"]);
    out.expect_code(0);
    assert_eq!(
        ctx.sb.glassix.stats().total,
        glassix_before,
        "plan reuses out/discovery.json"
    );
    let plan = ctx.read_json("plan.json");
    let steps = plan["steps"].as_array().expect("plan.json has steps");
    assert!(!steps.is_empty());
    let mut seen = BTreeSet::new();
    for s in steps {
        let id = s["id"].as_str().expect("every step has an id");
        for dep in s["depends_on"].as_array().into_iter().flatten() {
            assert!(
                seen.contains(dep.as_str().unwrap()),
                "step {id} comes after {dep}"
            );
        }
        seen.insert(id.to_owned());
    }
    assert!(
        support::has_key(&plan, &|k, v| k.contains("estimate") && v.is_number()),
        "plan.json has a duration estimate: {plan:#}"
    );
    assert!(
        !std::fs::read_to_string(ctx.out("plan.md"))
            .unwrap()
            .trim()
            .is_empty()
    );
    assert_eq!(ctx.intercom_writes(), 0, "plan writes nothing to Intercom");
}

#[test]
fn plan_with_an_invalid_spec_exits_2_naming_the_key() {
    let ctx = ctx();
    std::fs::write(
        ctx.path(SPEC),
        "version = 1\n[objects]\ntickets = \"tickets\"\nshape = \"round\"\n",
    )
    .unwrap();
    let out = ctx.run(&["plan"]);
    out.expect_code(2);
    assert!(out.stderr.contains("shape"), "{}", out.dump());
}

// ---------------------------------------------------------------------------------------------
// migrate

#[test]
fn dry_run_writes_its_report_and_nothing_to_intercom() {
    let ctx = ctx();
    ctx.prepare_spec(false, true); // a dry run needs no confirmation
    let out = ctx.run(&["migrate", "--dry-run"]);
    out.expect_code(0);
    for f in [
        "dry-run.json",
        "dry-run.md",
        "reconciliation-queue.dry-run.csv",
    ] {
        assert!(ctx.out(f).exists(), "{f} written:\n{}", out.dump());
    }
    let report = ctx.read_json("dry-run.json");
    // The queue a live run would write, beside (never over) the live one.
    let queue = std::fs::read_to_string(ctx.out("reconciliation-queue.dry-run.csv")).unwrap();
    let rows = queue.lines().count() - 1;
    assert_eq!(rows, report["queue"].as_array().unwrap().len());
    let would_queue: u64 = report["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| c["queued"].as_u64().unwrap_or(0))
        .sum();
    assert!(
        rows as u64 >= would_queue,
        "every queued record has its row"
    );
    assert!(!ctx.out("reconciliation-queue.csv").exists());
    // Sample requests of every kind written, tickets and parts included.
    let kinds: BTreeSet<String> = report["would_write"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(
        kinds.contains("ticket") && kinds.contains("part"),
        "{kinds:?}"
    );
    assert!(report["sample"].as_array().unwrap().len() >= kinds.len());
    assert!(
        !ctx.out("run-summary.json").exists(),
        "a dry run writes no run summary"
    );
    assert_eq!(
        ctx.intercom_writes(),
        0,
        "a dry run writes nothing to Intercom"
    );
    assert!(ctx.sb.intercom.state().tickets.is_empty());
    if ctx.path(support::LEDGER).exists() {
        assert!(
            ctx.ledger().counts_by_kind().unwrap().is_empty(),
            "the real ledger is untouched by a dry run"
        );
    }
    ctx.assert_no_secret_in_files();
}

/// Checks the outputs of a finished (non-dry) migrate against the ledger and Intercom.
fn check_migrate_outputs(ctx: &Ctx) {
    for f in [
        "reconciliation-queue.csv",
        "provisioning.md",
        "provisioning.json",
        "run-summary.json",
        "run-summary.md",
    ] {
        assert!(ctx.out(f).exists(), "{f} written");
    }
    let ledger = ctx.ledger();
    let rows = support::read_queue(&ctx.out("reconciliation-queue.csv"));
    let queued = ledger.queue_entries().unwrap();
    assert_eq!(rows.len(), queued.len(), "one CSV row per queued record");
    for row in &rows {
        assert!(!row[0].is_empty() && !row[1].is_empty() && !row[2].is_empty());
    }
    let summary = ctx.read_json("run-summary.json");
    let counts = support::count_objects(&summary);
    assert!(
        !counts.is_empty(),
        "run-summary.json has counts: {summary:#}"
    );
    for (kind, c) in &counts {
        let n = |k: &str| c[k].as_u64().unwrap();
        assert_eq!(
            n("source"),
            n("migrated") + n("queued") + n("skipped") + n("failed"),
            "counts of {kind} add up: {c}"
        );
    }
    let tickets = ledger.counts(&ObjectKind::Ticket).unwrap();
    let (_, t) = counts
        .iter()
        .find(|(k, _)| k == "ticket")
        .expect("run-summary.json has ticket counts");
    assert_eq!(
        t["source"].as_u64(),
        Some(ctx.sb.snapshot.tickets.len() as u64)
    );
    assert_eq!(t["migrated"].as_u64(), Some(tickets.migrated));
    assert!(
        !std::fs::read_to_string(ctx.out("run-summary.md"))
            .unwrap()
            .trim()
            .is_empty()
    );

    let in_intercom = ctx.intercom_tickets_by_glassix_id();
    assert!(in_intercom.values().all(|n| *n == 1), "no duplicate ticket");
    ctx.assert_no_duplicate_parts_or_contacts();
    assert_eq!(in_intercom.len() as u64, tickets.migrated);
}

#[test]
fn migrate_with_a_confirmed_spec_exits_0_and_its_outputs_add_up() {
    let ctx = ctx();
    ctx.prepare_spec(true, true);
    let out = ctx.run(&["migrate"]);
    out.expect_code(0);
    check_migrate_outputs(&ctx);
    let tickets = ctx.ticket_counts();
    assert!(tickets.migrated > 0, "tickets moved: {tickets:?}");
    assert_eq!(tickets.failed, 0);
    assert_eq!(tickets.pending + tickets.intent, 0);
    let runs = ctx.ledger().runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    ctx.assert_no_secret_in_files();
}

/// Requests booked on the Glassix keys, as the last command left them for the next.
fn booked_glassix_requests(ctx: &Ctx) -> usize {
    let path = ctx.out("glassix-quota-usage.json");
    if !path.exists() {
        return 0;
    }
    let usage = ctx.read_json("glassix-quota-usage.json");
    usage["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["sent_at_ms"].as_array().expect("sent_at_ms").len())
        .sum()
}

#[test]
fn migrate_leaves_its_glassix_quota_usage_for_the_next_command() {
    // Glassix counts each key's requests per calendar minute whichever process sent them: a
    // `delta` right after `migrate` must continue migrate's minute, not start afresh.
    let ctx = ctx();
    ctx.prepare_spec(true, true);
    let before = booked_glassix_requests(&ctx);
    ctx.run(&["migrate"]).expect_code(0);
    let after = booked_glassix_requests(&ctx);
    let tickets = ctx.ticket_counts();
    assert!(
        after >= before + tickets.migrated as usize,
        "migrate read every ticket on its key: {after} booked after, {before} before, {} \
         tickets migrated",
        tickets.migrated
    );
}

#[test]
fn a_migrate_killed_outright_has_saved_its_glassix_quota_usage_while_it_ran() {
    // A `kill -9` runs no destructor: the usage must already be on disk, saved while the
    // command runs (every 5 s), or the next command's pacers would not know of it.
    let ctx = Ctx::slow_migration();
    let before = booked_glassix_requests(&ctx);
    let mut child = ctx.command(&["migrate"]).spawn().unwrap();
    let saved = support::poll(Duration::from_secs(60), || {
        booked_glassix_requests(&ctx) > before || child.try_wait().unwrap().is_some()
    });
    let running = child.try_wait().unwrap().is_none();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().expect("the killed migrate is reaped");
    assert!(
        saved && running,
        "the usage was saved while migrate ran (saved {saved}, running {running})"
    );
    assert!(killed.success());
    assert!(
        booked_glassix_requests(&ctx) > before,
        "what the killed run sent is booked for the next command"
    );
}

#[test]
fn migrate_without_fallbacks_is_blocked_on_provisioning_exit_3() {
    let ctx = ctx();
    ctx.prepare_spec(true, false);
    let out = ctx.run(&["migrate"]);
    out.expect_code(3);
    assert!(
        out.all_lower().contains("provisioning"),
        "points at provisioning.md:\n{}",
        out.dump()
    );
    let provisioning = std::fs::read_to_string(ctx.out("provisioning.md")).unwrap();
    assert!(!provisioning.trim().is_empty());
    let rows = support::read_queue(&ctx.out("reconciliation-queue.csv"));
    assert!(
        rows.iter()
            .any(|r| r[2].contains("unmatched_agent") || r[2].contains("unmatched_department")),
        "records queued for want of an admin or team: {rows:?}"
    );
    check_migrate_outputs(&ctx);
    ctx.assert_no_secret_in_files();
}

#[test]
fn status_and_report_after_migrate_show_the_counts() {
    let ctx = ctx();
    ctx.prepare_spec(true, true);
    ctx.run(&["migrate"]).expect_code(0);
    let tickets = ctx.ticket_counts();
    let glassix = ctx.sb.glassix.stats().total;
    let intercom = ctx.sb.intercom.stats().total;

    let out = ctx.run(&["status"]);
    out.expect_code(0);
    assert!(out.stdout.contains("ticket"), "{}", out.dump());
    assert!(
        out.stdout.contains(&tickets.migrated.to_string()),
        "status shows the {} migrated tickets:\n{}",
        tickets.migrated,
        out.dump()
    );
    assert!(
        out.stdout.to_lowercase().contains("queue"),
        "status shows the queue size:\n{}",
        out.dump()
    );

    for f in [
        "reconciliation-queue.csv",
        "run-summary.json",
        "run-summary.md",
    ] {
        std::fs::remove_file(ctx.out(f)).unwrap();
    }
    let out = ctx.run(&["report"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains(&tickets.migrated.to_string()),
        "report prints the summary table:\n{}",
        out.dump()
    );
    check_migrate_outputs(&ctx);
    assert_eq!(
        ctx.sb.glassix.stats().total,
        glassix,
        "status/report read only the ledger"
    );
    assert_eq!(
        ctx.sb.intercom.stats().total,
        intercom,
        "status/report read only the ledger"
    );
    ctx.assert_no_secret_in_files();
}

#[test]
fn status_without_a_ledger_exits_2() {
    let ctx = ctx();
    let out = ctx.run(&["status"]);
    out.expect_code(2);
    assert!(
        out.stderr.contains("migrate"),
        "says to run migrate first:\n{}",
        out.dump()
    );
    assert!(
        !ctx.path(support::LEDGER).exists(),
        "status creates no ledger"
    );
}

#[test]
fn rerun_of_migrate_writes_nothing_to_intercom() {
    let ctx = ctx();
    ctx.prepare_spec(true, true);
    ctx.run(&["migrate"]).expect_code(0);
    let before = ctx.intercom_writes();
    let tickets_before = ctx.intercom_tickets_by_glassix_id();
    // Without --no-progress and with stdout not a terminal: plain lines, no bars.
    let mut cmd = ctx.command_without_config(&["--config", ctx.config_path().to_str().unwrap()]);
    cmd.arg("migrate");
    let out = ctx.run_cmd(cmd);
    out.expect_code(0);
    assert!(
        !out.stdout.contains('\r') && !out.stdout.contains('\u{1b}'),
        "progress is plain lines when stdout is not a terminal:\n{:?}",
        out.stdout
    );
    assert_eq!(ctx.intercom_writes(), before, "a rerun writes nothing");
    assert_eq!(ctx.intercom_tickets_by_glassix_id(), tickets_before);
    check_migrate_outputs(&ctx);
    assert_eq!(ctx.ledger().runs().unwrap().len(), 2);
}

/// Intercom answering 500 to every 9th request no longer leaves failed records for the next
/// run (it did until issue #13: a create that met a 5xx was given up for the run, and
/// `migrate` exited 5): a create that did not happen is sent again within the run, so one
/// `migrate` completes, and the next writes nothing.
#[test]
fn migrate_under_5xx_answers_completes_in_one_run() {
    let ctx = ctx();
    ctx.prepare_spec(true, true);
    // Every 9th Intercom request answers 500 unprocessed.
    ctx.sb.intercom.set_faults(helpdesk_sandbox::FaultConfig {
        error_5xx_every: 9,
        ..Default::default()
    });
    let out = ctx.run(&["migrate"]);
    out.expect_code(0);
    let summary = ctx.read_json("run-summary.json");
    for (kind, c) in support::count_objects(&summary) {
        let n = |k: &str| c[k].as_u64().unwrap();
        assert_eq!(
            n("source"),
            n("migrated") + n("queued") + n("skipped"),
            "{kind}: everything accounted for, nothing failed: {summary:#}"
        );
        assert_eq!(n("failed"), 0, "{kind}");
    }
    ctx.assert_no_duplicate_parts_or_contacts();
    check_migrate_outputs(&ctx);
    let tickets = ctx.ticket_counts();
    assert_eq!(
        tickets.failed + tickets.pending + tickets.intent,
        0,
        "{tickets:?}"
    );
    assert!(tickets.migrated > 0);
    // What the faults cost is reported, and the next `plan` says so beside its estimate.
    let retried = summary["retries"]["intercom_retries"].as_u64().unwrap_or(0);
    assert!(retried > 0, "{summary:#}");
    assert!(
        out.stdout
            .contains("Calls sent again after a 429, a server or a transport error"),
        "{}",
        out.dump()
    );
    let plan = ctx.run(&["plan"]);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains(&format!(
            "sent {retried} Intercom and 0 Glassix calls again"
        )),
        "{}",
        plan.dump()
    );

    ctx.sb
        .intercom
        .set_faults(helpdesk_sandbox::FaultConfig::default());
    let before = ctx.intercom_writes();
    let out = ctx.run(&["migrate"]);
    out.expect_code(0);
    assert_eq!(
        ctx.intercom_writes(),
        before,
        "the second run writes nothing"
    );
    ctx.assert_no_secret_in_files();
}

/// Faults met during `discover` are carried into the estimate: `plan` names the share of
/// discovery's requests sent again, keeps discovery's scan from standing for the tool's cost,
/// and charges the retries' waits to the steps that go in series.
#[test]
fn faults_met_in_discovery_are_carried_into_the_plan() {
    let ctx = ctx();
    // Every 3rd Intercom request answers 500 unprocessed, from discovery on.
    ctx.sb.intercom.set_faults(helpdesk_sandbox::FaultConfig {
        error_5xx_every: 3,
        ..Default::default()
    });
    ctx.run(&["discover"]).expect_code(0);
    let discovery = ctx.read_json("discovery.json");
    let retries = discovery["cost"]["retries"].as_u64().unwrap();
    assert!(retries > 0, "{:#}", discovery["cost"]);
    ctx.sb
        .intercom
        .set_faults(helpdesk_sandbox::FaultConfig::default());
    ctx.prepare_spec(true, true);
    let plan = ctx.run(&["plan"]);
    plan.expect_code(0);
    assert!(
        plan.stdout
            .contains(&format!("discovery sent {retries} of its requests again")),
        "{}",
        plan.dump()
    );
    let p = ctx.read_json("plan.json");
    let phases = &p["phases"];
    assert!(phases["retry_share"].as_f64().unwrap() > 0.01, "{phases:#}");
    // More than 1 % sent again: the scan measured the waits, not the tool.
    assert!(phases["seconds_per_request"].is_null(), "{phases:#}");
    let measured = phases["discover_measured_seconds"].as_f64().unwrap();
    assert!(
        phases["discover_seconds"].as_f64().unwrap() >= measured,
        "{phases:#}"
    );
}

#[test]
fn interrupted_migrate_exits_5_and_migrate_again_resumes() {
    // Slow Intercom down so the run is caught half-way.
    let ctx = Ctx::slow_migration();
    let mut child = ctx.command(&["migrate"]).spawn().unwrap();
    let started = support::poll(Duration::from_secs(90), || {
        ctx.sb.intercom.state().tickets.len() >= 2 || child.try_wait().unwrap().is_some()
    });
    assert!(started, "the run created tickets in time");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run is still going when interrupted"
    );
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    let interrupted_at = std::time::Instant::now();
    let out = support::wait(child, Duration::from_secs(30));
    ctx.assert_no_secret_in(&out);
    out.expect_code(5);
    assert!(
        out.all_lower().contains("again"),
        "says to run migrate again to resume:\n{}",
        out.dump()
    );
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(10),
        "stopped within seconds of Ctrl-C ({:?})",
        interrupted_at.elapsed()
    );
    let partial = ctx.intercom_tickets_by_glassix_id();
    assert!(partial.values().all(|n| *n == 1));
    for (kind, c) in support::count_objects(&ctx.read_json("run-summary.json")) {
        let n = |k: &str| c[k].as_u64().unwrap();
        assert_eq!(
            n("source"),
            n("migrated") + n("queued") + n("skipped") + n("failed") + n("unfinished"),
            "counts of {kind} add up in the interrupted run's summary (records the stop \
             left half-done count as unfinished): {c}"
        );
    }
    for f in [
        "reconciliation-queue.csv",
        "run-summary.json",
        "run-summary.md",
    ] {
        assert!(ctx.out(f).exists(), "{f} written for what was done");
    }
    {
        let ledger = Ledger::open(ctx.path(support::LEDGER)).unwrap();
        let runs = ledger.runs().unwrap();
        assert_eq!(
            runs.last().unwrap().status,
            RunStatus::Interrupted,
            "the run is marked interrupted: {runs:?}"
        );
    }

    // Resume at full speed.
    ctx.set_intercom_latency(0);
    let out = ctx.run(&["migrate"]);
    out.expect_code(0);
    let tickets = ctx.ticket_counts();
    let all = ctx.intercom_tickets_by_glassix_id();
    assert!(
        all.values().all(|n| *n == 1),
        "every ticket exactly once: {all:?}"
    );
    assert_eq!(all.len() as u64, tickets.migrated);
    ctx.assert_no_duplicate_parts_or_contacts();
    assert!(
        all.len() > partial.len(),
        "the resumed run moved the rest ({} then {})",
        partial.len(),
        all.len()
    );
    assert_eq!(
        tickets.failed + tickets.pending + tickets.intent,
        0,
        "{tickets:?}"
    );
    assert_eq!(
        tickets.total(),
        ctx.sb.snapshot.tickets.len() as u64,
        "every source ticket is accounted for"
    );
    check_migrate_outputs(&ctx);
    ctx.assert_no_secret_in_files();
}

#[test]
fn migrate_with_records_queued_for_data_reasons_exits_0() {
    let ctx = ctx();
    ctx.prepare_spec_with(true, true, |spec| {
        spec.policies.missing_email = migration_core::spec::MissingEmailPolicy::Queue;
    });
    let out = ctx.run(&["migrate"]);
    out.expect_code(0);
    let rows = support::read_queue(&ctx.out("reconciliation-queue.csv"));
    assert!(
        rows.iter().any(|r| &r[2] == "missing_email"),
        "contacts without e-mail are queued (a data reason): {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| &r[2] != "unmatched_agent" && &r[2] != "unmatched_department"),
        "nothing waits for provisioning: {rows:?}"
    );
    check_migrate_outputs(&ctx);
    ctx.assert_no_secret_in_files();
}

#[test]
fn unreachable_intercom_exits_1_saying_what_to_do() {
    // Only Intercom is unreachable: its client gives up after a few seconds of backoff
    // (Glassix's backoff alone takes about a minute).
    let ctx = ctx();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = ctx.config();
    table(&mut config, "intercom").insert(
        "base_url".into(),
        format!("http://127.0.0.1:{closed}").into(),
    );
    ctx.write_config(&config);
    let out = ctx.run(&["discover"]);
    out.expect_code(1);
    let err = out.stderr.to_lowercase();
    assert!(
        err.contains("intercom") && (err.contains("check") || err.contains("run again")),
        "the error names the service and says what to do:\n{}",
        out.dump()
    );
}

#[test]
fn config_is_found_through_the_environment_and_in_the_current_folder() {
    let ctx = ctx();
    // GLASSIX_TO_INTERCOM_CONFIG names the file.
    let mut cmd = ctx.command_without_config(&["--no-progress", "discover"]);
    cmd.env("GLASSIX_TO_INTERCOM_CONFIG", ctx.config_path());
    ctx.run_cmd(cmd).expect_code(0);
    assert!(ctx.out("discovery.json").exists());
    ctx.assert_cwd_untouched();
    // Without either, glassix-to-intercom.toml in the current folder.
    std::fs::remove_file(ctx.out("discovery.json")).unwrap();
    let mut cmd = ctx.command_without_config(&["--no-progress", "discover"]);
    cmd.current_dir(ctx.dir.path());
    ctx.run_cmd(cmd).expect_code(0);
    assert!(ctx.out("discovery.json").exists());
}

#[test]
fn custom_mapper_binary_is_the_same_cli_with_its_mapper() {
    // `custom-mapper` is `cli::main_with(Mappers::default().with_contacts(PhoneIdentity…))`:
    // phone-only customers become users keyed `phone:+…` instead of being queued.
    let ctx = ctx();
    ctx.prepare_spec_with(true, true, |spec| {
        spec.policies.missing_email = migration_core::spec::MissingEmailPolicy::Queue;
    });
    let config = ctx.config_path();
    let mut cmd = ctx.command_of(
        env!("CARGO_BIN_EXE_custom-mapper"),
        &[
            "--config",
            config.to_str().unwrap(),
            "--no-progress",
            "migrate",
        ],
    );
    cmd.arg("--dry-run");
    ctx.run_cmd(cmd).expect_code(0);
    assert_eq!(ctx.intercom_writes(), 0);
    let cmd = ctx.command_of(
        env!("CARGO_BIN_EXE_custom-mapper"),
        &[
            "--config",
            config.to_str().unwrap(),
            "--no-progress",
            "migrate",
        ],
    );
    ctx.run_cmd(cmd).expect_code(0);
    let phone_keyed = ctx
        .sb
        .intercom
        .state()
        .contacts
        .values()
        .filter(|c| {
            c.external_id
                .as_deref()
                .is_some_and(|e| e.starts_with("phone:+"))
        })
        .count();
    assert!(
        phone_keyed > 0,
        "the custom contact mapper was used by migrate"
    );
    check_migrate_outputs(&ctx);
    ctx.assert_no_secret_in_files();
}

// ---------------------------------------------------------------------------------------------
// demo

#[test]
fn demo_runs_end_to_end_and_writes_every_output() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = support::run_bare(
        dir.path(),
        &[
            "--no-progress",
            "demo",
            "--tickets",
            "30",
            "--out",
            demo.to_str().unwrap(),
        ],
    );
    out.expect_code(0);
    assert!(
        out.stdout.contains(demo.to_str().unwrap()),
        "prints the output paths:\n{}",
        out.dump()
    );
    assert!(
        out.stdout.lines().any(|l| {
            ["source", "migrated", "queued", "skipped", "failed"]
                .iter()
                .all(|c| l.contains(c))
        }) && out
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("ticket")),
        "prints a summary table (a header with the counts and a ticket row):\n{}",
        out.dump()
    );
    assert!(
        out.all_lower().contains("confirm"),
        "says the proposal was auto-confirmed:\n{}",
        out.dump()
    );
    for f in [
        "discovery.json",
        "discovery.md",
        "mapping.proposed.toml",
        "plan.json",
        "plan.md",
        "reconciliation-queue.csv",
        "provisioning.md",
        "provisioning.json",
        "run-summary.json",
        "run-summary.md",
    ] {
        assert!(
            support::find_file(&demo, f).is_some(),
            "{f} under {}: {:?}",
            demo.display(),
            support::files_under(&demo)
        );
    }
    support::read_queue(&support::find_file(&demo, "reconciliation-queue.csv").unwrap());
    let summary = support::read_json(&support::find_file(&demo, "run-summary.json").unwrap());
    for (kind, c) in support::count_objects(&summary) {
        let n = |k: &str| c[k].as_u64().unwrap();
        assert_eq!(
            n("source"),
            n("migrated") + n("queued") + n("skipped") + n("failed"),
            "counts of {kind} add up"
        );
    }
    // The sandbox's secrets follow known patterns; none may leak.
    for needle in ["sandbox-secret-", "sandbox-intercom-token"] {
        assert!(
            !out.stdout.contains(needle) && !out.stderr.contains(needle),
            "{needle} leaked"
        );
        for f in support::files_under(&demo) {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                !support::contains(&bytes, needle.as_bytes()),
                "{needle} in {}",
                f.display()
            );
        }
    }
}
