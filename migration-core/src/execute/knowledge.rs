//! The knowledge-base steps: Help Center collections (parents first), then articles, from the
//! export folder ([`KB_FILE`]) and, under `canned_replies = "articles"`, the canned replies.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use futures::StreamExt;
use intercom_client::models::{CreateArticle, CreateCollection};

use crate::ObjectKind;
use crate::hashing::source_hash;
use crate::ledger::Reason;
use crate::map::{KnowledgeBaseExport, MapContext, Mapped, plan_collections};
use crate::outcome::{Outcome, Write};
use crate::plan::StepId;
use crate::spec::CannedRepliesPolicy;

use super::error::{ExecError, ExecResult, Fault};
use super::recorder::{RecordEnd, Recorder};
use super::settle::{Created, Once, keep, kept, upsert_once};
use super::state::{KnowledgeSources, RunState};

/// File name of the knowledge-base export inside the export folder.
pub const KB_FILE: &str = "knowledge-base.json";

/// The knowledge-base sources, read once per run.
async fn sources(st: &RunState, exports: Option<&Path>) -> ExecResult<Arc<KnowledgeSources>> {
    if let Some(k) = st.knowledge() {
        return Ok(k);
    }
    let export = match exports.map(|d| d.join(KB_FILE)) {
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
    if st.spec.policies.canned_replies == CannedRepliesPolicy::Articles {
        for dept in st.glassix.departments() {
            canned.extend(dept.canned_replies().await?);
        }
    }
    st.set_knowledge(KnowledgeSources { export, canned });
    st.knowledge()
        .ok_or_else(|| ExecError::Config("the knowledge-base sources were not kept".to_owned()))
}

/// The collections step.
pub(crate) async fn collections(
    st: &RunState,
    rec: &mut Recorder,
    exports: Option<&Path>,
) -> ExecResult<()> {
    let src = sources(st, exports).await?;
    let plans = {
        let directory = st.directory();
        let ctx = MapContext::new(&st.spec, &directory, Utc::now());
        plan_collections(src.export.as_ref(), &src.canned, &ctx)
    };
    let kind = ObjectKind::Collection;
    rec.start(
        StepId::Collections,
        Some(kind.clone()),
        Some(plans.len() as u64),
    );
    for c in &plans {
        let outcome = match c.request_for(&st.directory()) {
            None => Outcome::Queued(Reason::new(
                "missing_collection",
                "the parent collection was not created; resolve it, then run again",
            )),
            Some(req) => match collection(st, &c.source_id, &req).await {
                Ok(o) => o,
                Err(Fault::Record(f)) => Outcome::Failed(f),
                Err(Fault::Run(e)) => return Err(*e),
            },
        };
        if let Some(id) = outcome.target_id() {
            let id = id.to_owned();
            st.update_directory(|d| {
                d.collections.insert(c.source_id.clone(), id);
            });
        }
        rec.record(
            StepId::Collections,
            RecordEnd::new(kind.clone(), &c.source_id, outcome),
        )?;
    }
    rec.finish(StepId::Collections);
    Ok(())
}

/// The articles step.
pub(crate) async fn articles(
    st: &RunState,
    rec: &mut Recorder,
    exports: Option<&Path>,
) -> ExecResult<()> {
    let src = sources(st, exports).await?;
    let directory = st.directory();
    let ctx = MapContext::new(&st.spec, &directory, Utc::now());
    let mut mapped = Vec::new();
    if let Some(kb) = &src.export {
        for a in &kb.articles {
            mapped.push((
                format!("kb:{}", a.id),
                st.mappers.articles.map_article(a, &ctx),
            ));
        }
    }
    for r in &src.canned {
        mapped.push((
            format!("canned:{}", r.id),
            st.mappers.articles.map_canned_reply(r, &ctx),
        ));
    }
    let kind = ObjectKind::Article;
    rec.start(
        StepId::Articles,
        Some(kind.clone()),
        Some(mapped.len() as u64),
    );
    for (sid, m) in mapped {
        let hash = match &m {
            Mapped::Write { value, .. } => Some(source_hash(&value.request)?),
            _ => None,
        };
        let outcome = match m {
            Mapped::Queue { reason, .. } => Outcome::Queued(reason.into()),
            Mapped::Skip { reason } => Outcome::Skipped(reason.into()),
            Mapped::Write { value, .. } => {
                match article(st, &value.source_id, &value.request).await {
                    Ok(o) => o,
                    Err(Fault::Record(f)) => Outcome::Failed(f),
                    Err(Fault::Run(e)) => return Err(*e),
                }
            }
        };
        let mut end = RecordEnd::new(kind.clone(), sid, outcome);
        // An article updated in place now holds its export's current content.
        if let (
            Outcome::Migrated {
                write: crate::outcome::Write::Updated,
                ..
            },
            Some(h),
        ) = (&end.outcome, hash)
        {
            end = end.hash(h);
        }
        rec.record(StepId::Articles, end)?;
    }
    rec.finish(StepId::Articles);
    Ok(())
}

async fn collection(st: &RunState, sid: &str, req: &CreateCollection) -> Result<Outcome, Fault> {
    let hash = source_hash(req)?;
    let outcome = upsert_once(
        st,
        Once::new(&ObjectKind::Collection, sid, &hash, &hash),
        || async { st.writer.create_collection(req).await.map(Created::from) },
        || async {
            let mut s = st.intercom.help_center().collections(Some(50));
            while let Some(c) = s.next().await {
                let c = c?;
                if c.name.as_deref() == Some(req.name.as_str()) && c.parent_id == req.parent_id {
                    return Ok(Some(c.id));
                }
            }
            Ok(None)
        },
        keep,
    )
    .await?;
    st.writer
        .expected_if_found(&ObjectKind::Collection, &outcome, |w| {
            (*w == Write::Found).then(|| crate::verify::expect::collection(req))
        })?;
    Ok(kept(outcome))
}

async fn article(st: &RunState, sid: &str, req: &CreateArticle) -> Result<Outcome, Fault> {
    let hash = source_hash(req)?;
    let outcome = upsert_once(
        st,
        Once::new(&ObjectKind::Article, sid, &hash, &hash),
        || async { st.writer.create_article(req).await.map(Created::from) },
        || async {
            let mut s = st.intercom.help_center().articles(Some(50));
            while let Some(a) = s.next().await {
                let a = a?;
                if a.title.as_deref() == Some(req.title.as_str()) {
                    return Ok(Some(a.id));
                }
            }
            Ok(None)
        },
        // An article whose export content changed is updated in place.
        |id| async move { Ok(st.writer.update_article(&id, req).await?) },
    )
    .await?;
    st.writer
        .expected_if_found(&ObjectKind::Article, &outcome, |w| {
            (*w == Write::Found).then(|| crate::verify::expect::article(req))
        })?;
    Ok(outcome)
}
