//! Shared set-up of the migration end-to-end tests: a generated workspace served by the
//! sandbox over loopback, both clients pointed at it, a confirmed spec and a ledger.

#![allow(dead_code, missing_docs, clippy::expect_used, clippy::unwrap_used)] // test helpers

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use helpdesk_sandbox::{
    GeneratorSizes, GlassixConfig, IntercomConfig, Sandbox, SandboxConfig, SandboxHandle,
    SnapshotSource, TierLimits,
};
use migration_core::execute::{Migration, RunResult};
use migration_core::ledger::Ledger;
use migration_core::map::Department;
use migration_core::progress::ProgressSender;
use migration_core::spec::MappingSpec;

/// Intercom budget of the fake: requests per 1-second window. Low enough that the client's
/// pacing is exercised, high enough that a 200-ticket run takes seconds.
pub(crate) const INTERCOM_PER_WINDOW: u32 = 400;

static EXPORTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A sandbox with `tickets` generated tickets (no 520-message conversation, so runs stay short).
pub(crate) async fn sandbox(tickets: usize, seed: u64) -> SandboxHandle {
    sandbox_with_long_conversation(tickets, seed, 0).await
}

/// A sandbox with `tickets` generated tickets, one of which has `long` transactions (0: none).
pub(crate) async fn sandbox_with_long_conversation(
    tickets: usize,
    seed: u64,
    long: usize,
) -> SandboxHandle {
    let mut sizes = GeneratorSizes::with_tickets(tickets);
    sizes.long_conversation = long;
    sandbox_with_sizes(sizes, seed).await
}

/// A generated workspace with the data problems of real ones (`GeneratorSizes::adversarial`).
pub(crate) async fn adversarial_sandbox(tickets: usize, seed: u64) -> SandboxHandle {
    let sizes = GeneratorSizes {
        long_conversation: 0,
        adversarial: true,
        ..GeneratorSizes::with_tickets(tickets)
    };
    sandbox_with_sizes(sizes, seed).await
}

/// The test sandbox (generous Glassix limits, Intercom's window scaled to 1 s) over a workspace
/// generated with `sizes`.
async fn sandbox_with_sizes(sizes: GeneratorSizes, seed: u64) -> SandboxHandle {
    let tickets = sizes.tickets;
    let config = SandboxConfig {
        source: SnapshotSource::Generate { seed, sizes },
        glassix: GlassixConfig {
            limits: Some(TierLimits {
                per_minute: 1_000_000,
                per_hour: 10_000_000,
            }),
            ..GlassixConfig::default()
        },
        intercom: IntercomConfig {
            rate_limit: INTERCOM_PER_WINDOW,
            window_secs: 1,
            ..IntercomConfig::default()
        },
        // Under the build's own scratch folder (`target/tmp`), which `cargo clean` removes,
        // instead of the system's /tmp, where every run left a folder behind.
        exports_dir: Some(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
                "migration-e2e-{}-{seed}-{tickets}-{}",
                std::process::id(),
                EXPORTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            )),
        ),
        ..SandboxConfig::default()
    };
    Sandbox::start(config).await.expect("sandbox starts")
}

pub(crate) fn glassix(sb: &SandboxHandle) -> glassix_client::Client {
    let mut b = glassix_client::Client::builder()
        .base_url(sb.glassix_url.clone())
        .tier(glassix_client::Tier::Enterprise)
        .quota(glassix_client::Quota::new(1_000_000, 10_000_000))
        .jitter_seed(1);
    for c in &sb.credentials.glassix {
        b = b.department(
            glassix_client::Credentials::new(&c.api_key, c.api_secret.clone(), &c.user_name)
                .expect("credentials"),
        );
    }
    b.build().expect("glassix client")
}

pub(crate) fn intercom(sb: &SandboxHandle) -> intercom_client::Client {
    intercom_client::Client::builder()
        .access_token(sb.credentials.intercom_token.clone())
        .base_url(sb.intercom_url.clone())
        .jitter_seed(1)
        .build()
        .expect("intercom client")
}

/// The admin that unmatched agents fall back to (an admin with no Glassix counterpart).
pub(crate) fn fallback_admin(sb: &SandboxHandle) -> String {
    sb.intercom
        .state()
        .admins
        .iter()
        .find(|a| a.email.starts_with("night.lead"))
        .expect("seeded fallback admin")
        .id
        .clone()
}

/// A confirmed spec: tickets stay tickets, custom fields of every type, fallbacks for
/// unmatched agents and departments, contacts without e-mail identified by their Glassix id.
pub(crate) fn spec(sb: &SandboxHandle, confirmed: bool) -> MappingSpec {
    let confirmation = if confirmed {
        "[confirmation]\nconfirmed = true\nconfirmed_by = \"e2e@example.com\"\nconfirmed_at = 2026-01-31T09:00:00Z\n"
    } else {
        ""
    };
    let text = format!(
        r#"version = 1
{confirmation}
[objects]
tickets = "tickets"
ticket_type = "Glassix ticket"

[policies]
missing_email = "external_id_from_glassix_id"
unmatched_agent = {{ fallback_admin = "{admin}" }}
unmatched_department = {{ fallback_team = "5017999" }}
attachments = "upload"

[[fields]]
source = "field2"
target = "order_number"
model = "ticket"
type = "string"

[[fields]]
source = "field3"
target = "amount"
model = "ticket"
type = "float"

[[fields]]
source = "field4"
target = "order_date"
model = "ticket"
type = "date"
transforms = [{{ op = "parse_date", formats = ["%Y-%m-%d"] }}]

[[fields]]
source = "field5"
target = "paid"
model = "ticket"
type = "boolean"

[[fields]]
source = "field6"
target = "customer_tier"
model = "ticket"
type = "list"
options = ["Bronze", "Silver", "Gold", "Platinum"]

[[fields]]
source = "field7"
target = "quantity"
model = "ticket"
type = "integer"

[[fields]]
source = "field9"
target = "glassix_region:"
model = "tags"
type = "string"
"#,
        admin = fallback_admin(sb)
    );
    MappingSpec::from_toml_str(&text).expect("spec parses")
}

/// Department names from the snapshot (the Glassix API does not return them).
pub(crate) fn departments(sb: &SandboxHandle) -> Vec<Department> {
    sb.snapshot
        .departments
        .iter()
        .map(|d| Department {
            id: d.id.clone(),
            name: d.name.clone(),
            parent_id: None,
        })
        .collect()
}

pub(crate) fn migration(sb: &SandboxHandle, ledger: Arc<Ledger>, dry_run: bool) -> Migration {
    migration_with(sb, ledger, dry_run, spec(sb, !dry_run))
}

/// The same spec with tickets becoming conversations (field rules on conversation attributes).
pub(crate) fn conversations_spec(sb: &SandboxHandle) -> MappingSpec {
    let text = spec(sb, true).to_toml_string().expect("spec renders");
    let text = text
        .replace("tickets = \"tickets\"", "tickets = \"conversations\"")
        .replace("model = \"ticket\"", "model = \"conversation\"");
    MappingSpec::from_toml_str(&text).expect("conversation spec parses")
}

pub(crate) fn migration_with(
    sb: &SandboxHandle,
    ledger: Arc<Ledger>,
    dry_run: bool,
    spec: MappingSpec,
) -> Migration {
    migration_with_clients(sb, ledger, dry_run, spec, glassix(sb), intercom(sb))
}

/// [`migration_with`] over clients the caller built (e.g. with shorter retry pauses).
pub(crate) fn migration_with_clients(
    sb: &SandboxHandle,
    ledger: Arc<Ledger>,
    dry_run: bool,
    spec: MappingSpec,
    glassix: glassix_client::Client,
    intercom: intercom_client::Client,
) -> Migration {
    builder(sb, ledger, spec, glassix, intercom)
        .dry_run(dry_run)
        .build()
        .expect("migration builds")
}

/// The builder every test migration starts from: the sandbox's exports and departments, the
/// generator's whole window, concurrency 8, `spec` and the clients given.
pub(crate) fn builder(
    sb: &SandboxHandle,
    ledger: Arc<Ledger>,
    spec: MappingSpec,
    glassix: glassix_client::Client,
    intercom: intercom_client::Client,
) -> migration_core::MigrationBuilder {
    let exports = sb
        .exports
        .first()
        .and_then(|f| f.parent())
        .expect("exports written");
    Migration::builder()
        .exports(exports)
        .glassix(glassix)
        .intercom(intercom)
        .spec(spec)
        .ledger(ledger)
        .departments(departments(sb))
        .since(Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).unwrap())
        .until(Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap())
        .concurrency(8)
        .expected_tickets(sb.snapshot.tickets.len() as u64)
}

pub(crate) async fn run(m: &Migration) -> RunResult {
    let (progress, _rx) = ProgressSender::channel(4096);
    m.run(progress).await.expect("run completes")
}

/// Migrates `sb` once, uninterrupted, into a ledger of its own: the reference that a run with
/// faults or kills on a twin sandbox (same tickets, same seed) must end equal to.
pub(crate) async fn run_uninterrupted(sb: &SandboxHandle) -> RunResult {
    let ledger = Arc::new(Ledger::open_in_memory().expect("an in-memory ledger"));
    run(&migration(sb, ledger, false)).await
}

/// Intercom write requests answered so far (searches and reads excluded).
pub(crate) fn writes(sb: &SandboxHandle) -> u64 {
    sb.intercom
        .stats()
        .by_endpoint
        .iter()
        .filter(|(endpoint, _)| !endpoint.starts_with("GET ") && !endpoint.ends_with("/search"))
        .map(|(_, statuses)| statuses.values().sum::<u64>())
        .sum()
}

/// A canonical view of the Intercom state for comparing two runs: contacts by identity,
/// tickets by Glassix id with their parts (type, author, time, body) and attributes.
pub(crate) fn canonical(sb: &SandboxHandle) -> serde_json::Value {
    let st = sb.intercom.state();
    // List item ids are per workspace: compare their labels.
    let labels: std::collections::BTreeMap<String, String> = st
        .ticket_types
        .values()
        .flat_map(|t| t.attributes.iter())
        .flat_map(|a| a.list_items.iter().cloned())
        .collect();
    let contact_key = |id: &str| -> String {
        st.contacts
            .get(id)
            .map(|c| {
                c.external_id
                    .clone()
                    .or_else(|| c.email.clone())
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    };
    let mut contacts: Vec<String> = st.contacts.values().map(|c| contact_key(&c.id)).collect();
    contacts.sort();
    let tag_names = |ids: &[String]| -> Vec<String> {
        let mut names: Vec<String> = ids
            .iter()
            .map(|id| st.tags.get(id).map(|g| g.name.clone()).unwrap_or_default())
            .collect();
        names.sort();
        names
    };
    let mut tickets: Vec<serde_json::Value> = st
        .tickets
        .values()
        .map(|t| {
            let parts: Vec<_> = t
                .parts
                .iter()
                .filter(|p| p.part_type == "comment" || p.part_type == "note")
                .map(|p| {
                    let author = if p.author_type == "admin" {
                        p.author_id.clone()
                    } else {
                        contact_key(&p.author_id)
                    };
                    serde_json::json!([p.part_type, author, p.created_at, p.body, p.attachments.len()])
                })
                .collect();
            serde_json::json!({
                "glassix_ticket_id": t.ticket_attributes.get("glassix_ticket_id"),
                "attributes": t.ticket_attributes.iter().map(|(k, v)| {
                    let v = v.as_str().and_then(|s| labels.get(s)).map_or(v.clone(), |l| serde_json::Value::from(l.clone()));
                    (k.clone(), v)
                }).collect::<serde_json::Map<_, _>>(),
                "contacts": t.contact_ids.iter().map(|c| contact_key(c)).collect::<Vec<_>>(),
                "state": t.ticket_state_id,
                "open": t.open,
                "admin": t.admin_assignee_id,
                "team": t.team_assignee_id,
                "tags": tag_names(&t.tag_ids),
                "parts": parts,
            })
        })
        .collect();
    tickets.sort_by_key(|t| t["glassix_ticket_id"].to_string());
    serde_json::json!({ "contacts": contacts, "tickets": tickets, "tags": st.tags.len() })
}

/// `DELETE path` on a sandbox server (`base`: its URL, e.g. `http://127.0.0.1:PORT`), for the
/// sandbox-only endpoints under `/__sandbox/`. Answers the HTTP status.
pub(crate) async fn http_delete(base: &str, path: &str) -> u16 {
    reqwest::Client::new()
        .delete(format!("{base}{path}"))
        .send()
        .await
        .expect("the sandbox answers a DELETE")
        .status()
        .as_u16()
}

/// `POST /__sandbox/glassix/{path}` with `body` (a change made in Glassix between runs, see
/// `docs/sandbox.md`); the changed record.
pub(crate) async fn glassix_change(
    sb: &SandboxHandle,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let url = format!("{}/__sandbox/glassix/{path}", sb.glassix.server_url);
    let r = reqwest::Client::new()
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("sandbox answers");
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.expect("json")
}

/// Creates, in the fake Intercom before a migration, contacts with the e-mails of up to three
/// Glassix customers that have exactly one usable e-mail (as the mapper would pick it), so that
/// the migration finds and reuses them. Answers `(e-mail, Intercom id)` pairs.
pub(crate) async fn pre_existing_contacts(sb: &SandboxHandle) -> Vec<(String, String)> {
    let emails: Vec<String> = single_email_customers(sb)
        .into_iter()
        .map(|(e, _)| e)
        .take(3)
        .collect();
    create_contacts(sb, emails).await
}

/// The Glassix customers with exactly one usable e-mail (as the mapper would pick it, trimmed
/// and lower-cased) and no unique argument, with their Glassix contact.
fn single_email_customers(sb: &SandboxHandle) -> Vec<(String, &serde_json::Value)> {
    sb.snapshot
        .contacts
        .iter()
        .filter(|c| c["isDeleted"] != true && c["isScrambled"] != true)
        .filter(|c| c["uniqueArgument"].as_str().unwrap_or("").trim().is_empty())
        .filter_map(|c| {
            let mails: Vec<&str> = c["identifiers"]
                .as_array()?
                .iter()
                .filter(|i| i["identifierType"] == "MailAddress" && i["isDeleted"] != true)
                .filter_map(|i| i["identifier"].as_str())
                .collect();
            (mails.len() == 1).then(|| (mails[0].trim().to_lowercase(), c))
        })
        .collect()
}

/// Creates a contact "Existed before the migration" for each e-mail: `(e-mail, Intercom id)`.
async fn create_contacts(sb: &SandboxHandle, emails: Vec<String>) -> Vec<(String, String)> {
    let client = intercom(sb);
    let mut out = Vec::new();
    for e in emails {
        let c = client
            .contacts()
            .create(&intercom_client::models::CreateContact {
                role: Some(intercom_client::models::Role::User),
                email: Some(e.clone()),
                name: Some("Existed before the migration".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        out.push((e, c.id));
    }
    out
}

/// A contact that existed in Intercom before the migration, with a history of its own.
#[derive(Debug, Clone)]
pub(crate) struct PreExisting {
    /// Its (lower-case) e-mail, which the migration matches.
    pub(crate) email: String,
    /// Its Intercom id.
    pub(crate) intercom_id: String,
    /// The Glassix contact with that e-mail.
    pub(crate) glassix_id: String,
    /// A Glassix ticket of that customer.
    pub(crate) glassix_ticket: String,
}

/// Like [`pre_existing_contacts`] (customers with Glassix tags first, so that the migration
/// attaches tags to them), each contact also holding a value of its own contact attribute
/// (`crm_tier`, defined here) and its own tag (`Existed before`), so that a test can tell
/// whether the migration (and a rollback) left them as they were. Only customers with a ticket.
pub(crate) async fn pre_existing_contacts_with_history(sb: &SandboxHandle) -> Vec<PreExisting> {
    use intercom_client::models::{
        CreateAttributeModel, CreateDataAttribute, CreateTag, DataType, UpdateContact,
    };
    let mut chosen: Vec<(String, String, String)> = Vec::new();
    let mut customers = single_email_customers(sb);
    customers.sort_by_key(|(_, c)| c["tags"].as_array().is_none_or(|t| t.is_empty()));
    for (email, c) in customers {
        let Some(glassix) = c["id"].as_str() else {
            continue;
        };
        let ticket = sb.snapshot.tickets.iter().find(|t| {
            t["participants"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["contactId"].as_str() == Some(glassix)))
        });
        if let Some(t) = ticket {
            chosen.push((email, glassix.to_owned(), t["id"].to_string()));
        }
        if chosen.len() == 3 {
            break;
        }
    }
    let emails = chosen.iter().map(|(e, _, _)| e.clone()).collect();
    let created = create_contacts(sb, emails).await;
    let client = intercom(sb);
    client
        .attributes()
        .create_data_attribute(&CreateDataAttribute {
            name: "crm_tier".into(),
            model: CreateAttributeModel::Contact,
            data_type: DataType::String,
            description: None,
            options: None,
            messenger_writable: None,
        })
        .await
        .unwrap();
    let tag = client
        .tags()
        .create_or_find(&CreateTag {
            name: "Existed before".into(),
            id: None,
        })
        .await
        .unwrap();
    let mut out = Vec::new();
    for ((email, id), (_, glassix_id, glassix_ticket)) in created.into_iter().zip(chosen) {
        let attrs = serde_json::Map::from_iter([("crm_tier".to_owned(), "gold".into())]);
        client
            .contacts()
            .update(
                &id,
                &UpdateContact {
                    custom_attributes: Some(attrs),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        client.tags().tag_contact(&id, &tag.id).await.unwrap();
        out.push(PreExisting {
            email,
            intercom_id: id,
            glassix_id,
            glassix_ticket,
        });
    }
    out
}

/// The clients' backoff pauses shortened (their lengths are tested on paused time in the
/// clients' own tests): this test is about what the executor does with what the clients give
/// up on, not about how long they wait.
pub(crate) fn fast_retrying_migration(sb: &SandboxHandle, ledger: Arc<Ledger>) -> Migration {
    let glassix = {
        let mut b = glassix_client::Client::builder()
            .base_url(sb.glassix_url.clone())
            .tier(glassix_client::Tier::Enterprise)
            .quota(glassix_client::Quota::new(1_000_000, 10_000_000))
            .jitter_seed(1)
            .retry_policy(glassix_client::RetryPolicy {
                base_delay: Duration::from_millis(20),
                max_delay: Duration::from_millis(400),
                ..glassix_client::RetryPolicy::default()
            });
        for c in &sb.credentials.glassix {
            b = b.department(
                glassix_client::Credentials::new(&c.api_key, c.api_secret.clone(), &c.user_name)
                    .unwrap(),
            );
        }
        b.build().unwrap()
    };
    let intercom = intercom_client::Client::builder()
        .access_token(sb.credentials.intercom_token.clone())
        .base_url(sb.intercom_url.clone())
        .jitter_seed(1)
        .retry_policy(intercom_client::RetryPolicy {
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(400),
            ..intercom_client::RetryPolicy::default()
        })
        .build()
        .unwrap();
    migration_with_clients(sb, ledger, false, spec(sb, true), glassix, intercom)
}

/// The paths at which `a` and `b` differ, with both values.
pub(crate) fn differences(
    a: &serde_json::Value,
    b: &serde_json::Value,
    at: &str,
    out: &mut Vec<String>,
) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (l, r) = (&x.get(k).cloned(), &y.get(k).cloned());
                let (l, r) = (
                    l.clone().unwrap_or(Value::Null),
                    r.clone().unwrap_or(Value::Null),
                );
                differences(&l, &r, &format!("{at}.{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                differences(l, r, &format!("{at}[{i}]"), out);
            }
        }
        _ if a != b => out.push(format!("{at}: {a} → {b}")),
        _ => {}
    }
}

/// Runs a delta (default margin) to its end.
pub(crate) async fn delta(m: &Migration) -> RunResult {
    let (progress, _rx) = ProgressSender::channel(4096);
    m.delta(migration_core::execute::DEFAULT_DELTA_MARGIN, progress)
        .await
        .expect("delta completes")
}

/// Reads every migrated object back (`verify --again`): all equal to the ledger's
/// expectations, and something was read. Answers the verification.
pub(crate) async fn assert_verified_equal(m: &Migration) -> migration_core::verify::Verification {
    use migration_core::verify::{CheckOutcome, VerifyOptions};
    let (progress, _rx) = ProgressSender::channel(4096);
    let mut options = VerifyOptions::default();
    options.again = true;
    let v = m
        .verify(&options, progress)
        .await
        .expect("verify completes");
    let differing: Vec<_> = v
        .objects
        .iter()
        .filter(|o| !matches!(o.outcome, CheckOutcome::Equal | CheckOutcome::Unchecked))
        .collect();
    assert!(v.all_equal(), "{:?} {differing:?}", v.summary);
    assert!(v.summary.objects > 0);
    v
}
