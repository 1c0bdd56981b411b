//! The plan of a migration from what discovery found: every step's records and calls, and each
//! department key's Glassix load (see [`crate::plan::Workload`]).

use crate::execute::KB_FILE;
use crate::map::{AttributeModel, KnowledgeBaseExport, attribute_definitions};
use crate::migration::Migration;
use crate::plan::{Plan, StepId, Workload, standard_steps_for};
use crate::spec::{CannedRepliesPolicy, TicketTarget};

use super::Discovery;

/// Intercom requests per ticket besides one per part: the create, the finishing update
/// (state, assignment) and the tag call (measured per endpoint in `docs/performance.md`).
const INTERCOM_PER_TICKET: f64 = 2.0;
/// Intercom requests per contact: the create (or its look-up) and, for about half of them, a
/// tag or update call.
const INTERCOM_PER_CONTACT: f64 = 1.5;

/// Collections and articles the knowledge steps create: the knowledge-base export's
/// categories and articles, and under `canned_replies = "articles"` one collection for the
/// canned replies and one article each.
fn knowledge_counts(m: &Migration, d: &Discovery) -> crate::Result<(u64, u64)> {
    let mut collections = 0;
    let mut articles = 0;
    if let Some(path) = m.exports.as_deref().map(|dir| dir.join(KB_FILE)) {
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(|source| crate::Error::Io {
                path: path.display().to_string(),
                source,
            })?;
            let kb = KnowledgeBaseExport::from_json(&text)?;
            collections += kb.categories.len() as u64;
            articles += kb.articles.len() as u64;
        }
    }
    let canned = d.inventory.canned_replies.len() as u64;
    if m.spec.policies.canned_replies == CannedRepliesPolicy::Articles && canned > 0 {
        collections += 1;
        articles += canned;
    }
    Ok((collections, articles))
}

impl Migration {
    /// The plan (steps in dependency order with record and call counts) for what discovery
    /// found, with each department key's Glassix load and discovery's measured cost when the
    /// discovery recorded them (one made before they were recorded gives a plan without them:
    /// run `discover` again).
    pub fn plan(&self, discovery: &Discovery) -> crate::Result<Plan> {
        let defs = attribute_definitions(&self.spec);
        let count = |m: AttributeModel| defs.iter().filter(|d| d.model == m).count() as u64;
        let target = self.spec.objects.tickets;
        let tickets = discovery.tickets.total;
        let parts = discovery.transactions;
        let per_ticket = INTERCOM_PER_TICKET + parts as f64 / tickets.max(1) as f64;
        let (collections, articles) = knowledge_counts(self, discovery)?;
        let depts = &discovery.glassix_departments;
        let canned = self.spec.policies.canned_replies == CannedRepliesPolicy::Articles;
        let migrate: Vec<_> = depts.iter().map(|d| d.migrate_calls(canned)).collect();
        let sum = |f: fn(&crate::plan::GlassixCalls) -> u64| migrate.iter().map(f).sum::<u64>();
        let steps = standard_steps_for(target)
            .into_iter()
            .map(|mut s| {
                let Some(id) = StepId::parse(&s.id) else {
                    return s;
                };
                // (records, Intercom per record, Intercom fixed, Glassix fixed)
                let (records, per, fixed, glassix) = match id {
                    StepId::Preflight => (0, 0.0, s.intercom_fixed, sum(|c| c.users + c.tokens)),
                    StepId::DataAttributes => (count(AttributeModel::Contact), 1.0, 0, 0),
                    StepId::ConversationAttributes if target == TicketTarget::Conversations => {
                        (count(AttributeModel::Conversation), 1.0, 0, 0)
                    }
                    StepId::TicketTypes if target == TicketTarget::Tickets => (1, 1.0, 0, 0),
                    StepId::TicketTypeAttributes if target == TicketTarget::Tickets => {
                        (count(AttributeModel::TicketType), 1.0, 0, 0)
                    }
                    StepId::Tags => (discovery.glassix_tags, 1.0, 1, sum(|c| c.tags)),
                    StepId::Contacts => (
                        discovery.contacts_reachable,
                        INTERCOM_PER_CONTACT,
                        0,
                        sum(|c| c.contact_reads),
                    ),
                    StepId::Tickets => (
                        tickets,
                        per_ticket,
                        0,
                        sum(|c| c.list_pages + c.ticket_reads + c.attachment_downloads),
                    ),
                    StepId::Collections => (collections, 1.0, 0, sum(|c| c.canned_replies)),
                    StepId::Articles => (articles, 1.0, 0, 0),
                    _ => (0, 0.0, 0, 0),
                };
                s.records = records;
                s.intercom_per_record = per;
                s.intercom_fixed = fixed;
                s.glassix_per_record = 0.0;
                s.glassix_fixed = glassix;
                s
            })
            .collect();
        let plan = Plan::new(steps)?;
        if depts.is_empty() {
            return Ok(plan);
        }
        Ok(plan.with_workload(Workload {
            departments: depts.iter().map(|d| d.load(canned)).collect(),
            discover_intercom_calls: discovery.cost.intercom_requests,
            discover_measured_seconds: (discovery.cost.seconds > 0.0)
                .then_some(discovery.cost.seconds),
            seconds_per_request: discovery.cost.seconds_per_request(depts),
            measured_concurrency: discovery.cost.scan_concurrency,
            migrate_concurrency: self.concurrency as u64,
            longest_chain_requests: discovery.longest_ticket_transactions
                + INTERCOM_PER_TICKET as u64,
            start: None,
            discover_retries: discovery.cost.retries,
            discover_retry_wait_seconds: discovery.cost.retry_wait_seconds,
        }))
    }
}
