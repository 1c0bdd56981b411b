//! Chatbots, workflows and canned replies do not migrate as code: they are inventoried with a
//! recommended Intercom equivalent for a person to rebuild.
//!
//! Sources: the automation export file (`automations.json`, format
//! `glassix-automation-inventory` version 1) and what tickets record of bot flows
//! (`botConversationSteps`, `dynamicParameters`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use glassix_client::models::{CannedReply, Ticket};
use serde::{Deserialize, Serialize};

use super::context::guid_key;
use super::knowledge::{AUTOMATION_FORMAT, canned_by_category};
use crate::error::{Error, Result};

/// The automation export file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutomationExport {
    /// Always [`AUTOMATION_FORMAT`].
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// Bot flows.
    pub chatbots: Vec<ExportChatbot>,
    /// Rule-based workflows.
    pub workflows: Vec<ExportWorkflow>,
}

impl AutomationExport {
    /// Reads the export from JSON, refusing another file's `format`.
    pub fn from_json(text: &str) -> Result<Self> {
        let a: Self =
            serde_json::from_str(text).map_err(Error::json("reading the automation export"))?;
        if a.format != AUTOMATION_FORMAT {
            return Err(Error::Json {
                context: "reading the automation export",
                source: <serde_json::Error as serde::de::Error>::custom(format!(
                    "`format` is `{}`, expected `{AUTOMATION_FORMAT}`: is this the right file?",
                    a.format
                )),
            });
        }
        Ok(a)
    }
}

/// One chatbot flow of the export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportChatbot {
    /// Flow id (matches `botConversationSteps[].flowId`).
    pub flow_id: String,
    /// Name.
    pub name: String,
    /// Department id.
    pub department_id: String,
    /// Published version.
    pub flow_version: f64,
    /// Channels it answers on.
    pub channels: Vec<String>,
    /// Whether it is live.
    pub enabled: bool,
    /// Cards (steps).
    pub cards: Vec<ExportBotCard>,
    /// Names of the values it collects.
    pub dynamic_parameters: Vec<String>,
}

/// One card of a chatbot flow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportBotCard {
    /// Card id.
    pub unique_card_id: String,
    /// Card name.
    pub friendly_name: String,
    /// Step type (`Message`, `Question`, `Condition`, `Handoff`…).
    pub step_type: String,
    /// Text shown.
    pub text: String,
    /// Next cards.
    pub next: Vec<String>,
}

/// One workflow of the export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportWorkflow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Department id.
    pub department_id: String,
    /// Trigger (`TicketCreated`, `TicketClosed`, `NoReplyTimeout`…).
    pub trigger: String,
    /// Conditions, human-readable.
    pub conditions: Vec<String>,
    /// Actions, human-readable.
    pub actions: Vec<String>,
    /// Whether it is live.
    pub enabled: bool,
}

/// An Intercom feature to rebuild something with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntercomEquivalent {
    /// Fin AI Agent, answering from the Help Center.
    Fin,
    /// Workflows (what were custom bots and rules): branching, data collection, routing.
    Workflows,
    /// Conversation or ticket attributes that hold the collected values.
    Attributes,
    /// SLAs (response-time targets).
    Sla,
    /// Macros (saved replies).
    Macros,
}

impl IntercomEquivalent {
    /// A display name.
    pub fn label(self) -> &'static str {
        match self {
            IntercomEquivalent::Fin => "Fin AI Agent",
            IntercomEquivalent::Workflows => "Workflows",
            IntercomEquivalent::Attributes => "Conversation/ticket attributes",
            IntercomEquivalent::Sla => "SLAs",
            IntercomEquivalent::Macros => "Macros",
        }
    }
}

/// A recommendation: what to use, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    /// The Intercom feature.
    pub equivalent: IntercomEquivalent,
    /// Why.
    pub why: String,
}

/// A chatbot flow, from the export and/or from tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowEntry {
    /// Flow id (lower-case).
    pub flow_id: String,
    /// Name (from the export, else from tickets).
    pub name: String,
    /// Whether the export lists it.
    pub in_export: bool,
    /// Live (export only).
    pub enabled: Option<bool>,
    /// Channels (export only).
    pub channels: Vec<String>,
    /// Cards defined in the export, as `(name, step type)`.
    pub cards: Vec<(String, String)>,
    /// Steps seen in tickets: card name → visits.
    pub steps_seen: BTreeMap<String, u32>,
    /// Step types seen or defined.
    pub step_types: BTreeSet<String>,
    /// Parameters collected (export and tickets).
    pub parameters: BTreeSet<String>,
    /// Tickets that went through the flow.
    pub ticket_count: u32,
    /// What to rebuild it with.
    pub recommendations: Vec<Recommendation>,
}

/// A workflow from the export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowEntry {
    /// The exported workflow.
    pub workflow: ExportWorkflow,
    /// What to rebuild it with.
    pub recommendations: Vec<Recommendation>,
}

/// Canned replies of one category (policy `inventory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedEntry {
    /// Category.
    pub category: String,
    /// Titles.
    pub titles: Vec<String>,
}

/// What must be rebuilt by hand in Intercom.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Chatbot flows.
    pub flows: Vec<FlowEntry>,
    /// Workflows.
    pub workflows: Vec<WorkflowEntry>,
    /// Canned replies (when inventoried rather than migrated).
    pub canned_replies: Vec<CannedEntry>,
    /// Chatbot parameters seen in tickets: name → number of tickets.
    pub parameters: BTreeMap<String, u32>,
}

/// Builds an [`Inventory`]; feed it the export, tickets and canned replies in any order.
#[derive(Debug, Clone, Default)]
pub struct InventoryBuilder {
    flows: BTreeMap<String, FlowEntry>,
    workflows: Vec<ExportWorkflow>,
    canned: Vec<CannedEntry>,
    parameters: BTreeMap<String, u32>,
}

impl InventoryBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the automation export.
    pub fn observe_export(&mut self, export: &AutomationExport) {
        for bot in &export.chatbots {
            let e = self.flow(&bot.flow_id);
            e.in_export = true;
            e.name = bot.name.clone();
            e.enabled = Some(bot.enabled);
            e.channels = bot.channels.clone();
            for c in &bot.cards {
                e.cards.push((c.friendly_name.clone(), c.step_type.clone()));
                if !c.step_type.is_empty() {
                    e.step_types.insert(c.step_type.clone());
                }
            }
            e.parameters.extend(bot.dynamic_parameters.iter().cloned());
        }
        self.workflows.extend(export.workflows.iter().cloned());
    }

    /// Adds what one ticket records of bot flows.
    pub fn observe_ticket(&mut self, ticket: &Ticket) {
        let mut flows_in_ticket = BTreeSet::new();
        for s in &ticket.bot_conversation_steps {
            let Some(flow) = s.flow_id.map(guid_key) else {
                continue;
            };
            let e = self.flow(&flow);
            if e.name.is_empty() && !s.flow_name.is_empty() {
                e.name = s.flow_name.clone();
            }
            let card = if s.card_friendly_name.is_empty() {
                s.step_type.clone()
            } else {
                s.card_friendly_name.clone()
            };
            *e.steps_seen.entry(card).or_default() += 1;
            if !s.step_type.is_empty() {
                e.step_types.insert(s.step_type.clone());
            }
            flows_in_ticket.insert(flow);
        }
        let mut params_in_ticket = BTreeSet::new();
        for p in &ticket.dynamic_parameters {
            if let Some(flow) = p.flow_id.map(guid_key) {
                self.flow(&flow).parameters.insert(p.name.clone());
                flows_in_ticket.insert(flow);
            }
            params_in_ticket.insert(p.name.clone());
        }
        for p in params_in_ticket {
            *self.parameters.entry(p).or_default() += 1;
        }
        for f in flows_in_ticket {
            self.flow(&f).ticket_count += 1;
        }
    }

    /// Adds canned replies that are inventoried rather than migrated.
    pub fn observe_canned_replies(&mut self, canned: &[CannedReply]) {
        for (category, replies) in canned_by_category(canned) {
            self.canned.push(CannedEntry {
                category,
                titles: replies.iter().map(|r| r.title.clone()).collect(),
            });
        }
    }

    fn flow(&mut self, id: &str) -> &mut FlowEntry {
        let key = id.trim().to_ascii_lowercase();
        self.flows.entry(key.clone()).or_insert_with(|| FlowEntry {
            flow_id: key,
            ..Default::default()
        })
    }

    /// The inventory, with recommendations.
    pub fn build(self) -> Inventory {
        let flows = self
            .flows
            .into_values()
            .map(|mut f| {
                f.recommendations = recommend_flow(&f);
                f
            })
            .collect();
        let workflows = self
            .workflows
            .into_iter()
            .map(|w| WorkflowEntry {
                recommendations: recommend_workflow(&w),
                workflow: w,
            })
            .collect();
        Inventory {
            flows,
            workflows,
            canned_replies: self.canned,
            parameters: self.parameters,
        }
    }
}

fn has_type(f: &FlowEntry, words: &[&str]) -> bool {
    f.step_types
        .iter()
        .any(|t| words.iter().any(|w| t.to_ascii_lowercase().contains(w)))
}

/// Recommendations for a chatbot flow, from what it does.
pub fn recommend_flow(f: &FlowEntry) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let collects = !f.parameters.is_empty() || has_type(f, &["question", "input", "form"]);
    let routes = has_type(f, &["handoff", "transfer", "assign", "route"]);
    let branches = has_type(f, &["condition", "branch", "menu", "button"]);
    if collects || routes || branches {
        let mut what = Vec::new();
        if collects {
            what.push("asks the customer for data");
        }
        if branches {
            what.push("branches on answers");
        }
        if routes {
            what.push("hands over to agents");
        }
        out.push(Recommendation {
            equivalent: IntercomEquivalent::Workflows,
            why: format!(
                "the flow {}: rebuild it as a Workflow (customer-facing bot)",
                what.join(", ")
            ),
        });
    }
    if collects {
        out.push(Recommendation {
            equivalent: IntercomEquivalent::Attributes,
            why: format!(
                "store the collected values ({}) in conversation or ticket attributes",
                if f.parameters.is_empty() {
                    "see the question cards".to_owned()
                } else {
                    f.parameters.iter().cloned().collect::<Vec<_>>().join(", ")
                }
            ),
        });
    }
    if out.is_empty() {
        out.push(Recommendation {
            equivalent: IntercomEquivalent::Fin,
            why: "the flow only answers with messages: let Fin answer from the Help Center \
                  (migrate its texts as articles)"
                .into(),
        });
    }
    out
}

/// Recommendations for a workflow, from its trigger.
pub fn recommend_workflow(w: &ExportWorkflow) -> Vec<Recommendation> {
    let t = w.trigger.to_ascii_lowercase();
    let mut out = vec![Recommendation {
        equivalent: IntercomEquivalent::Workflows,
        why: format!(
            "rebuild the `{}` rule as a Workflow with the same conditions and actions",
            w.trigger
        ),
    }];
    if t.contains("timeout") || t.contains("noreply") || t.contains("sla") {
        out.push(Recommendation {
            equivalent: IntercomEquivalent::Sla,
            why: "a response-time rule: an SLA tracks it natively".into(),
        });
    }
    out
}

impl Inventory {
    /// Whether there is nothing to rebuild.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty() && self.workflows.is_empty() && self.canned_replies.is_empty()
    }

    /// A Markdown report.
    pub fn to_markdown(&self) -> String {
        let mut o = String::from("# Automations to rebuild in Intercom\n\n");
        if self.is_empty() {
            o.push_str("Nothing: no chatbot flow, workflow or inventoried canned reply.\n");
            return o;
        }
        if !self.flows.is_empty() {
            o.push_str("## Chatbot flows\n\n");
            for f in &self.flows {
                let name = if f.name.is_empty() {
                    "(unnamed)"
                } else {
                    &f.name
                };
                let _ = writeln!(o, "### {name}\n");
                let _ = writeln!(o, "- Flow id: `{}`", f.flow_id);
                if let Some(en) = f.enabled {
                    let _ = writeln!(o, "- Live: {}", if en { "yes" } else { "no" });
                }
                if !f.channels.is_empty() {
                    let _ = writeln!(o, "- Channels: {}", f.channels.join(", "));
                }
                let _ = writeln!(o, "- Tickets through it: {}", f.ticket_count);
                if !f.in_export {
                    o.push_str("- Seen in tickets only (not in the export)\n");
                }
                if !f.cards.is_empty() {
                    let cards: Vec<String> =
                        f.cards.iter().map(|(n, t)| format!("{n} ({t})")).collect();
                    let _ = writeln!(o, "- Cards: {}", cards.join(", "));
                }
                if !f.steps_seen.is_empty() {
                    let steps: Vec<String> = f
                        .steps_seen
                        .iter()
                        .map(|(n, c)| format!("{n} ×{c}"))
                        .collect();
                    let _ = writeln!(o, "- Steps seen: {}", steps.join(", "));
                }
                if !f.parameters.is_empty() {
                    let p: Vec<&str> = f.parameters.iter().map(String::as_str).collect();
                    let _ = writeln!(o, "- Collects: {}", p.join(", "));
                }
                for r in &f.recommendations {
                    let _ = writeln!(o, "- **{}**: {}", r.equivalent.label(), r.why);
                }
                o.push('\n');
            }
        }
        if !self.workflows.is_empty() {
            o.push_str("## Workflows\n\n");
            for w in &self.workflows {
                let wf = &w.workflow;
                let _ = writeln!(o, "### {}\n", wf.name);
                let _ = writeln!(o, "- Trigger: {}", wf.trigger);
                let _ = writeln!(o, "- Live: {}", if wf.enabled { "yes" } else { "no" });
                if !wf.conditions.is_empty() {
                    let _ = writeln!(o, "- Conditions: {}", wf.conditions.join("; "));
                }
                if !wf.actions.is_empty() {
                    let _ = writeln!(o, "- Actions: {}", wf.actions.join("; "));
                }
                for r in &w.recommendations {
                    let _ = writeln!(o, "- **{}**: {}", r.equivalent.label(), r.why);
                }
                o.push('\n');
            }
        }
        if !self.canned_replies.is_empty() {
            o.push_str("## Canned replies → Macros\n\n");
            for c in &self.canned_replies {
                let _ = writeln!(o, "- **{}**: {}", c.category, c.titles.join("; "));
            }
            o.push('\n');
        }
        if !self.parameters.is_empty() {
            o.push_str("## Chatbot values seen in tickets\n\n");
            o.push_str("| Parameter | Tickets |\n|---|---|\n");
            for (p, n) in &self.parameters {
                let _ = writeln!(o, "| {p} | {n} |");
            }
        }
        o
    }
}
