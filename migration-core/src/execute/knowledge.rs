//! Knowledge base: Help Center collections (parents first) and articles, from the export folder
//! (`knowledge-base.json`) and, under `canned_replies = "articles"`, the canned replies.

use std::sync::Arc;

use chrono::Utc;
use futures::StreamExt;

use crate::ObjectKind;
use crate::accounting::Accounting;
use crate::hashing::source_hash;
use crate::ledger::Reason;
use crate::map::{KnowledgeBaseExport, MapContext, Mapped, plan_collections};
use crate::progress::{ProgressSender, RecordOutcome, StepProgress};
use crate::spec::CannedRepliesPolicy;

use super::settle::{Done, RecordFailure, create_once};
use super::tickets::apply;
use super::{Event, EventResult, Exec, ExecError, ExecResult};

/// File name of the knowledge-base export inside the export folder.
pub const KB_FILE: &str = "knowledge-base.json";

/// Runs the knowledge-base step when an export folder holds [`KB_FILE`] or canned replies are
/// to become articles.
pub(crate) async fn run(
    ex: &Arc<Exec>,
    exports: Option<&std::path::Path>,
    progress: &ProgressSender,
    acc: &mut Accounting,
) -> ExecResult<()> {
    let kb = match exports.map(|d| d.join(KB_FILE)) {
        Some(path) if path.exists() => {
            let text = std::fs::read_to_string(&path).map_err(|e| ExecError::Export {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            Some(KnowledgeBaseExport::from_json(&text)?)
        }
        _ => None,
    };
    let mut canned = Vec::new();
    if ex.spec.policies.canned_replies == CannedRepliesPolicy::Articles {
        for dept in ex.glassix.departments() {
            canned.extend(dept.canned_replies().await?);
        }
    }
    if kb.is_none() && canned.is_empty() {
        return Ok(());
    }
    let mut step = StepProgress::start(progress.clone(), "knowledge_base", None);
    let collections = {
        let directory = ex.directory();
        let ctx = MapContext::new(&ex.spec, &directory, Utc::now());
        plan_collections(kb.as_ref(), &canned, &ctx)
    };
    for c in &collections {
        let kind = ObjectKind::Collection;
        let result = match c.request_for(&ex.directory()) {
            None => EventResult::Queued(Reason::new(
                "missing_collection",
                "the parent collection was not created; resolve it, then run again",
            )),
            Some(req) if ex.dry_run => {
                ex.would_write(&kind, serde_json::to_value(&req).ok());
                let id = format!("dry-run:{}", c.source_id);
                ex.update_directory(|d| {
                    d.collections.insert(c.source_id.clone(), id);
                });
                EventResult::Done(RecordOutcome::Created)
            }
            Some(req) => {
                let name = req.name.clone();
                let parent = req.parent_id.clone();
                match collection(ex, &c.source_id, &req, &name, parent.as_deref()).await {
                    Ok((id, o)) => {
                        ex.update_directory(|d| {
                            d.collections.insert(c.source_id.clone(), id);
                        });
                        EventResult::Done(o)
                    }
                    Err(e) => EventResult::Failed(e.0),
                }
            }
        };
        finish_record(ex, &mut step, acc, kind, &c.source_id, result);
    }
    let directory = ex.directory();
    let ctx = MapContext::new(&ex.spec, &directory, Utc::now());
    let mut mapped = Vec::new();
    if let Some(kb) = &kb {
        for a in &kb.articles {
            mapped.push((
                format!("kb:{}", a.id),
                ex.mappers.articles.map_article(a, &ctx),
            ));
        }
    }
    for r in &canned {
        mapped.push((
            format!("canned:{}", r.id),
            ex.mappers.articles.map_canned_reply(r, &ctx),
        ));
    }
    for (sid, m) in mapped {
        let kind = ObjectKind::Article;
        let result = match m {
            Mapped::Queue { reason, .. } => EventResult::Queued(reason.into()),
            Mapped::Skip { reason } => EventResult::Skipped(reason.into()),
            Mapped::Write { value, .. } if ex.dry_run => {
                ex.would_write(&kind, serde_json::to_value(&value.request).ok());
                let _ = value;
                EventResult::Done(RecordOutcome::Created)
            }
            Mapped::Write { value, .. } => {
                match article(ex, &value.source_id, &value.request).await {
                    Ok(o) => EventResult::Done(o),
                    Err(e) => EventResult::Failed(e.0),
                }
            }
        };
        finish_record(ex, &mut step, acc, kind, &sid, result);
    }
    step.finish();
    Ok(())
}

/// Records a queued, skipped or failed record in the ledger (not in a dry run) and counts it.
fn finish_record(
    ex: &Exec,
    step: &mut StepProgress,
    acc: &mut Accounting,
    kind: ObjectKind,
    source_id: &str,
    result: EventResult,
) {
    if !ex.dry_run {
        let _ = match &result {
            EventResult::Queued(r) => ex.ledger.mark_queued(&kind, source_id, r, ex.run),
            EventResult::Skipped(r) => ex.ledger.mark_skipped(&kind, source_id, r, ex.run),
            EventResult::Failed(m) => {
                super::settle::mark_failed(ex, &kind, source_id, m);
                Ok(())
            }
            EventResult::Done(_) => Ok(()),
        };
    }
    apply(
        step,
        acc,
        Event {
            kind,
            source_id: source_id.to_owned(),
            result,
        },
    );
}

async fn collection(
    ex: &Exec,
    sid: &str,
    req: &intercom_client::models::CreateCollection,
    name: &str,
    parent: Option<&str>,
) -> Result<(String, RecordOutcome), RecordFailure> {
    let hash = source_hash(&serde_json::to_value(req).unwrap_or_default())?;
    let api = ex.intercom.help_center();
    let done = create_once(
        ex,
        &ObjectKind::Collection,
        sid,
        &hash,
        &hash,
        || async { api.create_collection(req).await.map(|c| c.id) },
        || async {
            let mut s = ex.intercom.help_center().collections(Some(50));
            while let Some(c) = s.next().await {
                let c = c?;
                if c.name.as_deref() == Some(name) && c.parent_id.as_deref() == parent {
                    return Ok(Some(c.id));
                }
            }
            Ok(None)
        },
    )
    .await?;
    Ok((done.id().to_owned(), outcome(&done)))
}

async fn article(
    ex: &Exec,
    sid: &str,
    req: &intercom_client::models::CreateArticle,
) -> Result<RecordOutcome, RecordFailure> {
    let hash = source_hash(&serde_json::to_value(req).unwrap_or_default())?;
    let api = ex.intercom.help_center();
    let done = create_once(
        ex,
        &ObjectKind::Article,
        sid,
        &hash,
        &hash,
        || async { api.create_article(req).await.map(|a| a.id) },
        || async {
            let mut s = ex.intercom.help_center().articles(Some(50));
            while let Some(a) = s.next().await {
                let a = a?;
                if a.title.as_deref() == Some(req.title.as_str()) {
                    return Ok(Some(a.id));
                }
            }
            Ok(None)
        },
    )
    .await?;
    Ok(outcome(&done))
}

fn outcome(done: &Done) -> RecordOutcome {
    match done {
        Done::Created(_) | Done::Found(_) => RecordOutcome::Created,
        Done::Unchanged(_) => RecordOutcome::Unchanged,
        // A changed article or collection is kept as it is (not updated yet).
        Done::Update(_) => RecordOutcome::Unchanged,
    }
}
