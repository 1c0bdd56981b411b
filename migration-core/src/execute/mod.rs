//! The executor: runs the steps of a [`crate::plan::Plan`] in their dependency order, each
//! record through extract → map → load → record, in the style of Drupal's Migrate API
//! (source → process → destination, one map table):
//!
//! - **extract**: Glassix records are streamed (tickets listed by time windows and read one by
//!   one; contacts reached through ticket participants);
//! - **map**: the pure mappers of [`crate::map`] turn each record into Intercom requests, or a
//!   queue or skip reason;
//! - **load**: every Intercom write goes through one writer (live: `intercom-client`; dry:
//!   recorded, not sent), each create announced in the ledger first and settled by look-up when
//!   its answer is lost (`settle`), tickets or conversations behind one target;
//! - **record**: each record's [`Outcome`](crate::outcome::Outcome) goes to one recorder, which
//!   writes the ledger rows, sends the progress events and keeps the run's accounting.
//!
//! | module | owns |
//! |---|---|
//! | `mod.rs` | walking the plan: each [`StepId`] to the code that runs it |
//! | `state` | the run's shared state (clients, writer, spec, ledger, directory, caches) |
//! | `writer` | the write seam: live or dry, counts and samples |
//! | `target` | tickets vs conversations, decided once |
//! | `recorder` | outcomes → ledger rows, progress events, accounting |
//! | `settle` | create-once: intents, look-ups after lost answers |
//! | `adopt` | a ledger that knows nothing: adopt what Intercom holds of an earlier run |
//! | `preflight` | admins, teams, agents, departments, the existing schema |
//! | `attributes` | data and conversation attributes, the ticket type and its attributes |
//! | `tags` | tags (listed, found or created) |
//! | `contacts` | contacts of a ticket's participants |
//! | `tickets` | the tickets step and one ticket's pipeline |
//! | `first` | the longest tickets, started ahead of the listing |
//! | `delta`, `writer_delta` | section hashes, changes applied section by section, listing watermarks |
//! | `parts` | a ticket's parts, in order |
//! | `attachments` | a part's files |
//! | `knowledge` | collections and articles |
//! | `error`, `result` | what stops a run; what it reports besides the ledger |
//!
//! The library entry point is [`crate::Migration`].

mod adopt;
mod attachments;
mod attributes;
pub(crate) mod before_image;
mod contacts;
mod delta;
mod error;
mod first;
mod knowledge;
mod parts;
mod preflight;
mod queue_context;
mod recorder;
mod result;
mod settle;
mod state;
mod tags;
mod target;
mod tickets;
pub(crate) mod writer;
mod writer_delta;
mod writer_rollback;

use std::path::PathBuf;
use std::sync::Arc;

use tracing::Instrument;

pub use adopt::Unattributed;
pub use error::{ExecError, ExecResult};
pub use knowledge::KB_FILE;
pub use result::{DryRunReport, StepCounts};
pub use writer_rollback::Undone;

pub use crate::migration::{
    CutoverReport, DEFAULT_CONCURRENCY, DEFAULT_DELTA_MARGIN, Migration, MigrationBuilder,
    RunResult,
};

use crate::ObjectKind;
use crate::accounting::Accounting;
use crate::ledger::{Ledger, RunId};
use crate::map::{AttributeModel, Department, Mappers};
use crate::plan::{Plan, StepId};
use crate::progress::ProgressSender;
use crate::spec::MappingSpec;

use recorder::Recorder;
use state::RunState;
use writer::Writer;

/// Everything a run needs, gathered by [`crate::Migration`].
pub(crate) struct RunInputs {
    pub(crate) glassix: glassix_client::Client,
    pub(crate) intercom: intercom_client::Client,
    pub(crate) writer: Writer,
    pub(crate) spec: Arc<MappingSpec>,
    /// The ledger the run's objects are recorded in (a dry run's is a scratch one).
    pub(crate) objects: Arc<Ledger>,
    pub(crate) mappers: Arc<Mappers>,
    pub(crate) run: RunId,
    pub(crate) departments: Vec<Department>,
    pub(crate) exports: Option<PathBuf>,
    pub(crate) window: tickets::Window,
    pub(crate) concurrency: usize,
    /// `recover`: adopt what Intercom holds, create nothing.
    pub(crate) recovering: bool,
}

pub(crate) use adopt::{RECOVERED, unattributed};
pub(crate) use delta::Tally;
pub(crate) use first::FirstTicket;
pub(crate) use target::Target;
pub(crate) use tickets::Window;

/// What the executor hands back: what this run handled, its steps, its writes.
pub(crate) struct Executed {
    pub(crate) this_run: Accounting,
    pub(crate) steps: Vec<StepCounts>,
    pub(crate) adopted: std::collections::BTreeMap<ObjectKind, u64>,
    pub(crate) writes: u64,
    pub(crate) dry: Option<DryRunReport>,
    /// What the tickets step learnt for the next delta and the cutover summary.
    pub(crate) delta: Tally,
}

/// Runs `plan`'s steps in order. A record's own failure never stops the run; a step that
/// cannot go on (a listing the whole step needs, a ledger that cannot record) does.
pub(crate) async fn run(
    inputs: RunInputs,
    plan: &Plan,
    progress: ProgressSender,
) -> ExecResult<Executed> {
    let RunInputs {
        glassix,
        intercom,
        writer,
        spec,
        objects,
        mappers,
        run,
        departments,
        exports,
        window,
        concurrency,
        recovering,
    } = inputs;
    let _quota_watch = crate::progress::QuotaWatch::spawn(
        progress.clone(),
        Some(intercom.clone()),
        Some(glassix.clone()),
    );
    let target = target::Target::of(&spec);
    // The run's ledger writes that follow an Intercom call are committed in groups; an intent
    // is on disk before its create is sent, committed with the intents of the other tickets
    // ready at the same moment (`Ledger::record_intent_durable`).
    let group = objects.group_commits();
    let adopt = adopt::prepare(&intercom, &objects, target, recovering).await?;
    let st = Arc::new(RunState::new(
        glassix,
        intercom,
        writer,
        spec,
        objects.clone(),
        mappers,
        run,
        adopt,
        recovering,
    ));
    let mut rec = Recorder::new(objects.clone(), run, progress);
    let mut window = Some(window);
    for step in plan.steps() {
        let id = StepId::parse(&step.id).ok_or_else(|| {
            ExecError::Config(format!(
                "plan step `{}` is not a step this executor runs (known steps: {})",
                step.id,
                StepId::ALL.map(StepId::as_str).join(", ")
            ))
        })?;
        let total = (step.records > 0).then_some(step.records);
        let span = tracing::info_span!("step", step = %id);
        let ctx = StepContext {
            st: &st,
            departments: &departments,
            exports: exports.as_deref(),
            concurrency,
            total,
        };
        run_step(id, &ctx, &mut rec, &mut window)
            .instrument(span)
            .await
            .map_err(|e| e.with_ledger_path(&objects))?;
    }
    rec.finish_all();
    group
        .finish()
        .map_err(|e| ExecError::from(e).with_ledger_path(&objects))?;
    let (this_run, steps, adopted) = rec.into_parts();
    Ok(Executed {
        this_run,
        steps,
        adopted,
        writes: st.writer.writes_sent(),
        dry: st.writer.dry_report(),
        delta: st.delta.tally(),
    })
}

/// What a step reads besides the run's state.
struct StepContext<'a> {
    st: &'a Arc<RunState>,
    departments: &'a [Department],
    exports: Option<&'a std::path::Path>,
    concurrency: usize,
    /// Records the plan expects of the step, when it knows.
    total: Option<u64>,
}

/// One step of the plan.
async fn run_step(
    id: StepId,
    cx: &StepContext<'_>,
    rec: &mut Recorder,
    window: &mut Option<Window>,
) -> ExecResult<()> {
    let st = cx.st.as_ref();
    if !st.target.needs(id) {
        tracing::debug!(step = %id, "not needed under this spec");
        return Ok(());
    }
    match id {
        StepId::Preflight => preflight::run(st, rec, cx.departments).await,
        StepId::DataAttributes => {
            attributes::definitions(st, rec, id, AttributeModel::Contact).await
        }
        StepId::ConversationAttributes => {
            attributes::definitions(st, rec, id, AttributeModel::Conversation).await
        }
        StepId::TicketTypes => attributes::ticket_type(st, rec).await,
        StepId::TicketTypeAttributes => {
            attributes::definitions(st, rec, id, AttributeModel::TicketType).await
        }
        StepId::Tags => tags::run(st, rec).await,
        // Glassix has no contact listing: contacts are reached through ticket participants and
        // move with the tickets step, counted in a step of their own.
        StepId::Contacts => {
            rec.start(id, Some(ObjectKind::Contact), cx.total);
            Ok(())
        }
        StepId::Tickets => {
            let Some(mut w) = window.take() else {
                return Ok(());
            };
            w.expected = w.expected.or(cx.total);
            let r = tickets::run(cx.st, rec, w, cx.concurrency).await;
            if rec.is_open(StepId::Contacts) {
                rec.finish(StepId::Contacts);
            }
            r
        }
        StepId::Collections => knowledge::collections(st, rec, cx.exports).await,
        StepId::Articles => knowledge::articles(st, rec, cx.exports).await,
        // The inventories are written from discovery: nothing to send.
        StepId::Inventories => {
            rec.start(id, None, None);
            rec.finish(id);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
