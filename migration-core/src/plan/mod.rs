//! The planner: steps with declared dependencies, ordered topologically, with a report of
//! records, API calls and an estimated duration from the rate limits.
//!
//! ```
//! use migration_core::plan::{Plan, RateLimits, standard_steps};
//! let mut steps = standard_steps();
//! for s in &mut steps {
//!     if s.id == "tickets" { s.records = 10_000; s.intercom_per_record = 6.0; s.glassix_per_record = 1.0; }
//! }
//! let plan = Plan::new(steps).unwrap();
//! let report = plan.report(&RateLimits::default()).unwrap();
//! assert!(report.to_markdown().contains("| tickets |"));
//! ```

mod estimate;
mod graph;
mod model;
mod report;
mod start;
mod step_id;
mod workload;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use estimate::RateLimits;
pub use model::{
    ASSUMED_RETRY_SHARE, ASSUMED_RETRY_WAIT_SECONDS, CHAIN_LATENCY_FACTOR, DepartmentEstimate,
    Phases, Range, TOOL_SPREAD_HIGH, TOOL_SPREAD_LOW, WRITE_COST_FACTOR,
};
pub use report::{FORMULA, PlanReport, PlanTotals, StepReport, binding_label, human_duration};
pub use start::{MigrateNow, StartState};
pub use step_id::StepId;
pub(crate) use workload::share_of;
pub use workload::{DepartmentLoad, GlassixCalls, Workload};

use crate::error::Result;
use crate::kind::ObjectKind;
use crate::spec::TicketTarget;

/// One step of a migration: an object kind moved (or a preparation done) as a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// Unique id, e.g. `contacts`.
    pub id: String,
    /// What the step does, for people.
    pub description: String,
    /// The object kind it creates, if any.
    pub kind: Option<ObjectKind>,
    /// Ids of the steps that must finish first.
    pub depends_on: Vec<String>,
    /// Source records the step handles.
    pub records: u64,
    /// Glassix requests per record (e.g. 1 `tickets/get` per ticket).
    pub glassix_per_record: f64,
    /// Intercom requests per record, reads and writes (e.g. create + replies + update).
    pub intercom_per_record: f64,
    /// Glassix requests independent of the record count (listing pages …).
    pub glassix_fixed: u64,
    /// Intercom requests independent of the record count (preflight lists …).
    pub intercom_fixed: u64,
    /// Glassix department whose API key (and quota) the reads use; `None` = the default one.
    pub department: Option<String>,
}

impl Step {
    /// A step with no dependencies, records or calls yet.
    pub fn new(id: impl Into<String>, description: impl Into<String>) -> Self {
        Step {
            id: id.into(),
            description: description.into(),
            kind: None,
            depends_on: Vec::new(),
            records: 0,
            glassix_per_record: 0.0,
            intercom_per_record: 0.0,
            glassix_fixed: 0,
            intercom_fixed: 0,
            department: None,
        }
    }

    /// Set the object kind.
    pub fn kind(mut self, kind: ObjectKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Add dependencies.
    pub fn after<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.depends_on.extend(ids.into_iter().map(Into::into));
        self
    }

    /// Set the record count and the per-record call estimates.
    pub fn records(
        mut self,
        records: u64,
        glassix_per_record: f64,
        intercom_per_record: f64,
    ) -> Self {
        self.records = records;
        self.glassix_per_record = glassix_per_record;
        self.intercom_per_record = intercom_per_record;
        self
    }

    /// Set the fixed call counts.
    pub fn fixed(mut self, glassix: u64, intercom: u64) -> Self {
        self.glassix_fixed = glassix;
        self.intercom_fixed = intercom;
        self
    }

    /// Glassix requests of this step.
    pub fn glassix_calls(&self) -> f64 {
        self.glassix_fixed as f64 + self.records as f64 * self.glassix_per_record.max(0.0)
    }

    /// Intercom requests of this step.
    pub fn intercom_calls(&self) -> f64 {
        self.intercom_fixed as f64 + self.records as f64 * self.intercom_per_record.max(0.0)
    }
}

/// The standard steps of a Glassix → Intercom migration with their dependencies (Intercom
/// reference §7), built from the one step list [`StepId`], with zero records: set `records` and
/// the per-record estimates from discovery. Tickets are counted as [`ObjectKind::Ticket`]; see
/// [`standard_steps_for`] for a spec that makes them conversations.
///
/// preflight (admins, teams, ticket states, existing schema and tags) → data attributes,
/// conversation attributes, ticket types → ticket type attributes; tags; contacts after data
/// attributes and tags; tickets (as tickets or conversations) after contacts, the attribute
/// schema, tags and preflight (admins and teams resolved for assignment); collections → articles;
/// inventories (canned replies and what is rebuilt by hand) after preflight.
pub fn standard_steps() -> Vec<Step> {
    standard_steps_for(TicketTarget::Tickets)
}

/// [`standard_steps`] for a spec whose tickets become `target` (the tickets step's kind).
pub fn standard_steps_for(target: TicketTarget) -> Vec<Step> {
    StepId::ALL
        .into_iter()
        .map(|id| {
            let mut s = Step::new(id.as_str(), id.description())
                .after(id.depends_on().iter().map(|d| d.as_str()));
            s.kind = id.kind(target);
            if id == StepId::Preflight {
                s = s.fixed(0, 8);
            }
            s
        })
        .collect()
}

/// Steps in an order that respects every dependency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    steps: Vec<Step>,
    /// Per-department Glassix load and measured costs (a plan built from a discovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    workload: Option<Workload>,
}

impl Plan {
    /// Order `steps` topologically. Among steps that are ready at the same time, declaration
    /// order is kept, so the result is deterministic.
    ///
    /// Errors: a duplicate id, a dependency on an undeclared step, or a cycle (named step by
    /// step, e.g. `a → b → a`).
    pub fn new(steps: Vec<Step>) -> Result<Self> {
        let steps = graph::order(steps)?;
        Ok(Plan {
            steps,
            workload: None,
        })
    }

    /// The plan with `workload`: the report then paces each department key under its own
    /// quota over the whole job and models the phases (see [`Phases`]).
    pub fn with_workload(mut self, workload: Workload) -> Self {
        self.workload = Some(workload);
        self
    }

    /// The plan with the Glassix keys' recent usage and the moment `migrate` would start: the
    /// report then also says how long `migrate` takes if started then (see
    /// [`Phases::migrate_now`]). No effect on a plan without a workload.
    pub fn starting(mut self, state: StartState) -> Self {
        if let Some(w) = &mut self.workload {
            w.start = Some(state);
        }
        self
    }

    /// The per-department load and measured costs, if the plan has them.
    pub fn workload(&self) -> Option<&Workload> {
        self.workload.as_ref()
    }

    /// The steps in execution order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The step with `id`.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The step with `id`, mutable (to set its counts).
    pub fn step_mut(&mut self, id: &str) -> Option<&mut Step> {
        self.steps.iter_mut().find(|s| s.id == id)
    }

    /// Records, calls and estimated duration per step and in total.
    pub fn report(&self, limits: &RateLimits) -> Result<PlanReport> {
        report::build(self, limits)
    }
}

#[cfg(test)]
mod tests;
