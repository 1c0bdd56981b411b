//! Discovery: what the source holds and how it meets the destination, before anything moves.
//!
//! Reads (never writes) both sides: every ticket of every department (listed, then read whole
//! for its transactions), the agents and tags, the Intercom admins, teams and attributes. The
//! result is a typed, serialisable [`Discovery`]; [`Discovery::facts`] feeds
//! [`crate::spec::MappingSpec::proposal`].

mod calls;
mod plan;
mod report;

pub use calls::{
    COST_MEASURABLE_RETRY_SHARE, DepartmentScan, DiscoveryCost, MIGRATE_FIXED_PER_DEPARTMENT,
};

use std::collections::{BTreeMap, BTreeSet};

use chrono::TimeDelta;
use futures::StreamExt;
use glassix_client::TicketQuery;
use glassix_client::models::UserType;
use serde::{Deserialize, Serialize};

use crate::execute::{ExecError, ExecResult};
use crate::intercom_schema;
use crate::map::{
    AgentResolution, AutomationExport, ContactKey, DepartmentToProvision, Directory, IdentifierUse,
    Inventory, InventoryBuilder, ProvisioningList, guid_key, identifier_use, resolve_agents,
    resolve_departments,
};
use crate::migration::Migration;
use crate::progress::{ProgressEvent, ProgressSender, RateTracker};
use crate::spec::{
    ChannelFacts, CustomerFacts, DepartmentValues, DiscoveryFacts, ExistingAttribute, FieldFacts,
    TOP_VALUES, TargetModel, ValueCounter,
};

/// The automation export's file name in the export folder (see `docs/export-formats.md`).
pub const AUTOMATION_FILE: &str = "automations.json";

/// Tickets read at the same time per department during discovery.
const DISCOVERY_READS_PER_DEPARTMENT: usize = 4;

/// Intercom reads every discovery sends: admins, teams, contact attributes, conversation
/// attributes, the ticket-type listing (one more, the type's attributes, when it exists).
const DISCOVERY_INTERCOM_READS: u64 = 5;

/// What discovery accumulates while the departments are read side by side.
struct Scan {
    d: Discovery,
    samples: BTreeMap<String, BTreeSet<String>>,
    /// Value counts per custom field and department key (bounded, see `ValueCounter`).
    values: BTreeMap<String, BTreeMap<String, ValueCounter>>,
    /// Each customer seen, with the best way its identifiers can identify it in Intercom.
    contacts: BTreeMap<ContactKey, IdentifierUse>,
    /// Each customer with a Glassix contact record, and the department it was first seen in
    /// (where `migrate` reads it).
    contact_records: BTreeMap<ContactKey, String>,
    /// Attachments per department.
    attachments: BTreeMap<String, u64>,
    /// Distinct Glassix tag names (lower case), over every department.
    tags: BTreeSet<String>,
    users: Vec<glassix_client::models::User>,
    inventory: InventoryBuilder,
    rate: RateTracker,
    last_rate: tokio::time::Instant,
}

fn lock(scan: &std::sync::Mutex<Scan>) -> std::sync::MutexGuard<'_, Scan> {
    match scan.lock() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Scan {
    /// Counts one ticket read whole.
    fn observe(&mut self, full: &glassix_client::models::Ticket, progress: &ProgressSender) {
        self.rate.add(1);
        if self.last_rate.elapsed() >= std::time::Duration::from_secs(1) {
            progress.send(self.rate.event(STEP));
            self.last_rate = tokio::time::Instant::now();
        }
        self.inventory.observe_ticket(full);
        let d = &mut self.d;
        let department = guid_key(full.department_id);
        d.tickets.total += 1;
        *d.tickets
            .by_department
            .entry(department.clone())
            .or_default() += 1;
        *d.tickets
            .by_state
            .entry(format!("{:?}", full.state))
            .or_default() += 1;
        *d.tickets
            .by_channel
            .entry(full.primary_protocol_type.as_str().to_owned())
            .or_default() += 1;
        d.longest_ticket_transactions = d
            .longest_ticket_transactions
            .max(full.transactions().len() as u64);
        keep_longest(
            &mut d.longest_tickets,
            LongTicket {
                department_id: department.clone(),
                id: full.id,
                transactions: full.transactions().len() as u64,
            },
        );
        for tr in full.transactions() {
            d.transactions += 1;
            if tr.is_note() {
                d.notes += 1;
            }
            d.attachments += tr.attachments.len() as u64;
            *self.attachments.entry(department.clone()).or_default() += tr.attachments.len() as u64;
        }
        for (k, p) in ContactKey::customers_of(full) {
            if p.contact_id.is_some() && !self.contact_records.contains_key(&k) {
                self.contact_records.insert(k.clone(), department.clone());
            }
            let found = identifier_use(p.protocol_type.as_str(), &p.identifier);
            let best = self.contacts.entry(k).or_insert(found);
            *best = (*best).min(found);
        }
        for (name, value) in [
            ("field2", &full.field2),
            ("field3", &full.field3),
            ("field4", &full.field4),
            ("field5", &full.field5),
            ("field6", &full.field6),
            ("field7", &full.field7),
            ("field8", &full.field8),
            ("field9", &full.field9),
            ("field10", &full.field10),
        ] {
            self.values
                .entry(name.to_owned())
                .or_default()
                .entry(department.clone())
                .or_default()
                .observe(value);
            let v = value.trim();
            if !v.is_empty() {
                // The smallest distinct values: the same sample whatever order the
                // departments' tickets arrive in.
                let s = self.samples.entry(name.to_owned()).or_default();
                if s.len() < MAX_SAMPLES || s.last().is_some_and(|last| v < last.as_str()) {
                    s.insert(v.to_owned());
                    if s.len() > MAX_SAMPLES {
                        s.pop_last();
                    }
                }
            }
        }
    }
}

/// The progress step name of discovery.
const STEP: &str = "discover";

/// Distinct values kept per custom field (the smallest ones, so the sample is deterministic).
const MAX_SAMPLES: usize = 25;

/// The custom fields that had a value: the smallest distinct values as `samples` (as before),
/// and bounded value statistics over all departments and per department (named from the
/// directory when configured).
fn field_facts(
    samples: BTreeMap<String, BTreeSet<String>>,
    values: &BTreeMap<String, BTreeMap<String, ValueCounter>>,
    directory: &Directory,
) -> Vec<FieldFacts> {
    samples
        .into_iter()
        .map(|(source, s)| {
            let per_department = values.get(&source);
            let mut all = ValueCounter::default();
            let mut departments = Vec::new();
            for (key, counter) in per_department.into_iter().flatten() {
                all.merge(counter);
                if !counter.all_blank() {
                    departments.push(DepartmentValues {
                        key: key.clone(),
                        name: directory.department_path(key),
                        stats: counter.stats(TOP_VALUES),
                    });
                }
            }
            FieldFacts {
                source,
                label: None,
                samples: s.into_iter().collect(),
                stats: (!all.is_empty()).then(|| all.stats(TOP_VALUES)),
                departments,
            }
        })
        .collect()
}

/// The customers seen, counted by the best way each can be identified.
fn customer_facts(contacts: &BTreeMap<ContactKey, IdentifierUse>) -> CustomerFacts {
    let count = |u: IdentifierUse| contacts.values().filter(|v| **v == u).count() as u64;
    CustomerFacts {
        total: contacts.len() as u64,
        with_email: count(IdentifierUse::Email),
        phone_only: count(IdentifierUse::Phone),
        neither: count(IdentifierUse::Neither),
    }
}

/// What discovery found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// Ticket counts.
    pub tickets: TicketCounts,
    /// Transactions (messages and notes) over all tickets.
    pub transactions: u64,
    /// Transactions of the longest ticket: its parts go one after another on one Intercom
    /// token, so they set a floor under the tickets phase (see [`crate::plan::Workload`]).
    #[serde(default)]
    pub longest_ticket_transactions: u64,
    /// The longest tickets, most transactions first (at most [`LONGEST_KEPT`]);
    /// [`Discovery::first_tickets`] are the ones `migrate` starts first.
    #[serde(default)]
    pub longest_tickets: Vec<LongTicket>,
    /// Notes (internal transactions).
    pub notes: u64,
    /// Attachments over all transactions.
    pub attachments: u64,
    /// Distinct customers reachable through ticket participants.
    pub contacts_reachable: u64,
    /// The distinct customers reachable through tickets, by how Intercom can identify them.
    #[serde(default)]
    pub customers: CustomerFacts,
    /// Custom fields `field2`…`field10` with sampled values and value statistics (overall and
    /// per department).
    pub custom_fields: Vec<FieldFacts>,
    /// Channels in use (wire name, tickets).
    pub channels: Vec<ChannelFacts>,
    /// Agents and whether an Intercom admin matches.
    pub agents: Vec<AgentMatch>,
    /// Departments and whether an Intercom team matches.
    pub departments: Vec<DepartmentMatch>,
    /// Attributes that already exist in Intercom.
    pub intercom_attributes: Vec<ExistingAttribute>,
    /// Planned attributes whose name exists in Intercom with another type.
    pub conflicts: Vec<String>,
    /// The Glassix tier and what it implies.
    pub tier: TierCheck,
    /// Agents and departments to create by hand in Intercom before migrating (admins and
    /// teams cannot be created through the API).
    #[serde(default)]
    pub provisioning: ProvisioningList,
    /// What cannot move as data: chatbot flows (seen on tickets and in the automation export),
    /// workflows (export) and canned replies, with the Intercom feature to rebuild each with.
    #[serde(default)]
    pub inventory: Inventory,
    /// Distinct Glassix tag names over every department (the tags step finds or creates each).
    #[serde(default)]
    pub glassix_tags: u64,
    /// Per department key: what discovery sent and what `migrate` will send (the plan paces
    /// each key under its own quota from these).
    #[serde(default)]
    pub glassix_departments: Vec<DepartmentScan>,
    /// How long discovery took and what it sent (the plan's measured per-request cost).
    #[serde(default)]
    pub cost: DiscoveryCost,
}

/// How many of the longest tickets discovery keeps.
pub const LONGEST_KEPT: usize = 4;

/// The share of all transactions above which a ticket is started first: its parts go one after
/// another on one token, so such a ticket's chain is at least this share of a one-token run
/// (and a larger share of a run on several tokens).
pub const FIRST_TICKET_SHARE: f64 = 0.10;

/// One of the longest tickets discovery read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LongTicket {
    /// Its department (key, lower case).
    pub department_id: String,
    /// Glassix ticket id.
    pub id: i64,
    /// Its transactions (messages and notes).
    pub transactions: u64,
}

/// Keeps `t` among the [`LONGEST_KEPT`] longest (most transactions first, then lowest id, so
/// the list does not depend on the order the departments' tickets arrive in).
fn keep_longest(longest: &mut Vec<LongTicket>, t: LongTicket) {
    longest.push(t);
    longest.sort_by(|a, b| b.transactions.cmp(&a.transactions).then(a.id.cmp(&b.id)));
    longest.truncate(LONGEST_KEPT);
}

/// Agents and departments matched against the Intercom workspace.
struct People {
    resolution: AgentResolution,
    directory: Directory,
    matched: BTreeMap<String, String>,
    missing: Vec<DepartmentToProvision>,
}

/// Ticket counts by department, state and channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketCounts {
    /// All tickets.
    pub total: u64,
    /// By department id.
    pub by_department: BTreeMap<String, u64>,
    /// By Glassix state.
    pub by_state: BTreeMap<String, u64>,
    /// By primary channel.
    pub by_channel: BTreeMap<String, u64>,
}

/// One Glassix agent and its Intercom admin, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentMatch {
    /// Glassix user id.
    pub user_id: String,
    /// Glassix user name (e-mail).
    pub user_name: String,
    /// Matching Intercom admin id; `None` when the agent must be provisioned (or is a bot).
    pub admin_id: Option<String>,
    /// Bot or API user (never matched).
    pub bot: bool,
}

/// One Glassix department and its Intercom team, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepartmentMatch {
    /// Department id.
    pub department_id: String,
    /// Name path, when configured.
    pub name: Option<String>,
    /// Matching team id.
    pub team_id: Option<String>,
}

/// The Glassix tier the client runs with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierCheck {
    /// Tier name.
    pub tier: String,
    /// Whether the API could be read (discovery got this far).
    pub api_access: bool,
}

impl Discovery {
    /// The facts [`crate::spec::MappingSpec::proposal`] drafts a spec from.
    pub fn facts(&self) -> DiscoveryFacts {
        DiscoveryFacts {
            custom_fields: self.custom_fields.clone(),
            intercom_attributes: self.intercom_attributes.clone(),
            channels: self.channels.clone(),
            customers: self.customers,
        }
    }

    /// The tickets `migrate` starts before the listing reaches them: those of
    /// [`Discovery::longest_tickets`] holding at least [`FIRST_TICKET_SHARE`] of all
    /// transactions, longest first. A ticket that long would otherwise set the run's tail
    /// when the listing reaches it late: its parts go in order on one Intercom token.
    pub fn first_tickets(&self) -> Vec<LongTicket> {
        let floor = self.transactions as f64 * FIRST_TICKET_SHARE;
        self.longest_tickets
            .iter()
            .filter(|t| t.transactions > 0 && t.transactions as f64 >= floor)
            .cloned()
            .collect()
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> crate::Result<String> {
        serde_json::to_string_pretty(self).map_err(crate::Error::json("discovery"))
    }
}

impl Migration {
    /// Reads both sides and reports what would move (see [`Discovery`]). Writes nothing.
    pub async fn discover(&self) -> ExecResult<Discovery> {
        let (progress, _rx) = ProgressSender::channel(16);
        self.discover_with_progress(&progress).await
    }

    /// [`Migration::discover`], publishing progress as step `discover`: `StepStarted`, a `Rate`
    /// event about once a second with the tickets read so far (the total is not known before
    /// the listing ends), and `StepFinished`.
    pub async fn discover_with_progress(&self, progress: &ProgressSender) -> ExecResult<Discovery> {
        let started = tokio::time::Instant::now();
        progress.send(ProgressEvent::StepStarted {
            step: STEP.to_owned(),
            total: None,
        });
        let until = self.until.unwrap_or_else(chrono::Utc::now);
        let scan = std::sync::Mutex::new(Scan {
            d: Discovery {
                tier: TierCheck {
                    tier: format!("{:?}", self.glassix.tier()),
                    api_access: false,
                },
                ..Discovery::default()
            },
            samples: BTreeMap::new(),
            values: BTreeMap::new(),
            contacts: BTreeMap::new(),
            contact_records: BTreeMap::new(),
            attachments: BTreeMap::new(),
            tags: BTreeSet::new(),
            users: Vec::new(),
            inventory: InventoryBuilder::new(),
            rate: RateTracker::new(None, crate::progress::RATE_WINDOW),
            last_rate: started,
        });
        // Each department has its own key and quota: read them side by side, a few tickets
        // at a time each.
        let departments = self.glassix.departments();
        let retries_before = (self.glassix.stats().retries, self.intercom.retry_stats());
        // Each key's limiter counts from the client's start (the CLI's preflight included):
        // the scan's own retries are the difference.
        let key_before: Vec<(u64, u64)> = departments
            .iter()
            .map(|dept| {
                let pace = dept.stats().pace;
                (pace.retries, pace.rate_limited)
            })
            .collect();
        let per_department = departments.iter().map(|dept| {
            let scan = &scan;
            async move {
                let dept_started = tokio::time::Instant::now();
                let users = dept.users().await?;
                let canned = dept.canned_replies().await?;
                let tags = dept.tags().await?;
                {
                    let mut s = lock(scan);
                    s.users.extend(users);
                    s.d.tier.api_access = true;
                    s.inventory.observe_canned_replies(&canned);
                    s.tags.extend(
                        tags.iter()
                            .map(|t| t.name.trim().to_lowercase())
                            .filter(|n| !n.is_empty()),
                    );
                }
                let mut q = TicketQuery::new(self.since, until);
                q.window = TimeDelta::days(28);
                let mut full = dept
                    .tickets(q)
                    .map(|listed| async move { dept.ticket(listed?.id).await })
                    .buffer_unordered(DISCOVERY_READS_PER_DEPARTMENT);
                while let Some(t) = full.next().await {
                    lock(scan).observe(&t?, progress);
                }
                ExecResult::Ok(dept_started.elapsed().as_secs_f64())
            }
        });
        let dept_seconds = futures::future::try_join_all(per_department).await?;
        let scan_seconds = started.elapsed().as_secs_f64();
        let Scan {
            mut d,
            samples,
            values,
            contacts,
            contact_records,
            attachments,
            tags,
            mut users,
            mut inventory,
            rate,
            ..
        } = match scan.into_inner() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        users.sort_by_key(|u| guid_key(u.id));
        d.glassix_tags = tags.len() as u64;
        d.glassix_departments = departments
            .iter()
            .zip(dept_seconds)
            .zip(key_before)
            .map(|((dept, seconds), (retries_before, rate_limited_before))| {
                let id = guid_key(dept.id());
                let stats = dept.stats();
                DepartmentScan {
                    list_pages: stats.listing.pages,
                    tickets: d.tickets.by_department.get(&id).copied().unwrap_or(0),
                    contacts_with_record: contact_records.values().filter(|h| **h == id).count()
                        as u64,
                    attachments: attachments.get(&id).copied().unwrap_or(0),
                    discovery_requests: stats.pace.requests,
                    discovery_tokens: stats.tokens_issued,
                    discovery_waited_seconds: stats.pace.waited.as_secs_f64(),
                    discovery_seconds: seconds,
                    discovery_retries: stats.pace.retries.saturating_sub(retries_before),
                    discovery_rate_limited: stats
                        .pace
                        .rate_limited
                        .saturating_sub(rate_limited_before),
                    department_id: id,
                }
            })
            .collect();
        d.cost = DiscoveryCost {
            seconds: 0.0,
            scan_seconds,
            scan_requests: d
                .glassix_departments
                .iter()
                .map(|g| g.discovery_requests + g.discovery_tokens)
                .sum(),
            intercom_requests: DISCOVERY_INTERCOM_READS,
            scan_concurrency: (departments.len() * DISCOVERY_READS_PER_DEPARTMENT) as u64,
            retries: 0,
            retry_wait_seconds: 0.0,
        };
        d.contacts_reachable = contacts.len() as u64;
        d.customers = customer_facts(&contacts);
        d.channels = d
            .tickets
            .by_channel
            .iter()
            .map(|(c, n)| ChannelFacts {
                channel: c.clone(),
                tickets: *n,
            })
            .collect();
        // Agents and departments against admins and teams.
        let People {
            resolution,
            directory,
            matched,
            missing,
        } = self.match_people(&users).await?;
        let mut seen = BTreeSet::new();
        for u in &users {
            let id = guid_key(u.id);
            if !seen.insert(id.clone()) {
                continue;
            }
            d.agents.push(AgentMatch {
                admin_id: resolution.admins_by_user.get(&id).cloned(),
                bot: matches!(u.kind, UserType::Bot | UserType::Api),
                user_name: u.user_name.clone(),
                user_id: id,
            });
        }
        d.custom_fields = field_facts(samples, &values, &directory);
        d.provisioning = ProvisioningList::from_resolutions(&resolution, &missing);
        if let Some(dir) = self.exports.as_deref() {
            let path = dir.join(AUTOMATION_FILE);
            if path.exists() {
                let text = std::fs::read_to_string(&path).map_err(|e| ExecError::Export {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                inventory.observe_export(&AutomationExport::from_json(&text)?);
            }
        }
        d.inventory = inventory.build();
        for dept in self.glassix.departments() {
            let id = guid_key(dept.id());
            d.departments.push(DepartmentMatch {
                name: directory.department_path(&id),
                team_id: matched.get(&id).cloned(),
                department_id: id,
            });
        }
        // Existing attributes (read as the run reads them) and conflicts with the planned ones.
        let mut existing = vec![
            (
                TargetModel::Contact,
                intercom_schema::contact_attributes(&self.intercom).await?,
            ),
            (
                TargetModel::Conversation,
                intercom_schema::conversation_attributes(&self.intercom).await?,
            ),
        ];
        let tt = &self.spec.objects.ticket_type;
        if let Some(t) = intercom_schema::find_ticket_type(&self.intercom, tt).await? {
            d.cost.intercom_requests += 1;
            existing.push((
                TargetModel::Ticket,
                intercom_schema::ticket_type_attributes(&self.intercom, &t.id).await?,
            ));
        }
        for (model, attributes) in existing {
            d.intercom_attributes
                .extend(attributes.into_values().map(|a| ExistingAttribute {
                    model,
                    name: a.name,
                    data_type: a.data_type,
                }));
        }
        for def in crate::map::attribute_definitions(&self.spec) {
            let model = match def.model {
                crate::map::AttributeModel::Contact => TargetModel::Contact,
                crate::map::AttributeModel::Conversation => TargetModel::Conversation,
                crate::map::AttributeModel::TicketType => TargetModel::Ticket,
            };
            if let Some(e) = d
                .intercom_attributes
                .iter()
                .find(|e| e.model == model && e.name.eq_ignore_ascii_case(&def.name))
            {
                if !def.data_type.compatible_with(&e.data_type) {
                    d.conflicts.push(format!(
                        "{:?} attribute `{}` exists in Intercom as `{}`, the spec wants {:?}; \
                         Intercom cannot change an attribute's type: rename the target",
                        model, def.name, e.data_type, def.data_type
                    ));
                }
            }
        }
        d.cost.seconds = started.elapsed().as_secs_f64();
        let (glassix, intercom) = (
            self.glassix.stats().retries.since(retries_before.0),
            self.intercom.retry_stats().since(retries_before.1),
        );
        d.cost.retries = glassix.retries + intercom.retries;
        d.cost.retry_wait_seconds = (glassix.waited + intercom.waited).as_secs_f64();
        progress.send(rate.event(STEP));
        progress.send(ProgressEvent::StepFinished {
            step: STEP.to_owned(),
            counts: crate::accounting::RunCounts::default(),
            elapsed: started.elapsed(),
        });
        Ok(d)
    }

    /// What to create by hand in Intercom now: agents without an admin and departments without
    /// a team. Cheap (users, admins and teams only), so it can be asked again after people were
    /// invited, without a whole discovery.
    pub async fn provisioning(&self) -> ExecResult<ProvisioningList> {
        let mut users = Vec::new();
        for dept in self.glassix.departments() {
            users.extend(dept.users().await?);
        }
        let p = self.match_people(&users).await?;
        Ok(ProvisioningList::from_resolutions(
            &p.resolution,
            &p.missing,
        ))
    }

    /// Agents against admins, configured departments against teams.
    async fn match_people(&self, users: &[glassix_client::models::User]) -> ExecResult<People> {
        let admins = self.intercom.admins().list().await?;
        let teams = self.intercom.admins().list_teams().await?;
        let resolution = resolve_agents(self.mappers.agents.as_ref(), users, &admins);
        let mut directory = Directory::default();
        for dep in &self.departments {
            directory =
                directory.with_department(&dep.id, dep.name.clone(), dep.parent_id.as_deref());
        }
        let (matched, missing) =
            resolve_departments(self.mappers.departments.as_ref(), &directory, &teams);
        Ok(People {
            resolution,
            directory,
            matched,
            missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_facts_keep_value_statistics_per_department_and_overall() {
        let billing = "6b1e0c55-0000-4000-8000-000000000001";
        let sales = "6b1e0c55-0000-4000-8000-000000000002";
        let mut values: BTreeMap<String, BTreeMap<String, ValueCounter>> = BTreeMap::new();
        let mut samples: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (dept, v) in [
            (billing, "31/01/2024"),
            (billing, ""),
            (billing, "31/01/2024"),
            (sales, "Pro"),
            (sales, "Pro"),
            (sales, "Basic"),
        ] {
            values
                .entry("field3".into())
                .or_default()
                .entry(dept.into())
                .or_default()
                .observe(v);
            if !v.is_empty() {
                samples.entry("field3".into()).or_default().insert(v.into());
            }
        }
        // A department where the field is always blank is left out.
        values
            .entry("field3".into())
            .or_default()
            .entry("6b1e0c55-0000-4000-8000-000000000003".into())
            .or_default()
            .observe(" ");
        let directory = Directory::default().with_department(billing, "Billing", None);
        let facts = field_facts(samples, &values, &directory);
        assert_eq!(facts.len(), 1);
        let f = &facts[0];
        assert_eq!(f.samples, ["31/01/2024", "Basic", "Pro"]);
        let all = f.stats.as_ref().unwrap();
        assert_eq!((all.total, all.blank, all.distinct), (7, 2, 3));
        assert_eq!(f.departments.len(), 2);
        assert_eq!(f.departments[0].name.as_deref(), Some("Billing"));
        assert_eq!(f.departments[0].reference(), "Billing");
        assert_eq!(f.departments[0].stats.top[0].count, 2);
        assert_eq!(f.departments[1].name, None);
        assert_eq!(f.departments[1].reference(), sales);
        assert_eq!(f.departments[1].stats.top[0].value, "Pro");
    }
}
