//! An interrupted rollback must be finished before anything else writes.
//!
//! A rollback killed half-way leaves objects deleted in Intercom whose ledger rows may still
//! say `migrated` (the call was sent, the answer or the mark was lost: its `undo:*` intent is
//! open). A `migrate` or `delta` in between would skip them as migrated, or update objects that
//! no longer exist, and mix a half-undone workspace with new writes. So a live rollback records
//! its scope in the ledger's meta ([`UNFINISHED`]) when it starts and clears it when it
//! finishes; while it is set (or, for a ledger written before this guard, while a rollback's
//! intent is open), [`require_finished`] refuses `migrate` and `delta`, naming the rollback run
//! and the command that finishes it: `rollback` with the same scope, which resends what was
//! left open (a 404 counts as done) and converges.

use serde::{Deserialize, Serialize};

use crate::execute::{ExecError, ExecResult};
use crate::ledger::{Ledger, RunId};

use super::RollbackScope;

/// Meta key of the rollback that started and has not finished: JSON of [`Unfinished`]; empty
/// once it finished.
pub const UNFINISHED: &str = "rollback.unfinished";

/// The rollback recorded under [`UNFINISHED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfinished {
    /// Its run.
    pub run: i64,
    /// The scope as command-line options (empty: everything).
    pub args: String,
    /// The scope, comparable (see [`RollbackScope::key`]).
    pub key: String,
}

impl RollbackScope {
    /// The command-line options that name this scope (`--run 4`, `--kind ticket,contact`;
    /// empty for everything; an id list names how many ids its file held).
    pub fn to_args(&self) -> String {
        match self {
            RollbackScope::All => String::new(),
            RollbackScope::Run(r) => format!("--run {}", r.0),
            RollbackScope::Kinds(k) => format!(
                "--kind {}",
                k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",")
            ),
            RollbackScope::Ids(ids) => format!("--ids FILE (the same {} ids)", ids.len()),
        }
    }

    /// A string equal for equal scopes (an id list by its hash).
    pub fn key(&self) -> String {
        match self {
            RollbackScope::Ids(ids) => format!(
                "ids:{}",
                crate::hashing::stable_hash(ids).unwrap_or_else(|_| format!("{}", ids.len()))
            ),
            RollbackScope::Kinds(k) => {
                let mut k: Vec<&str> = k.iter().map(|k| k.as_str()).collect();
                k.sort_unstable();
                k.dedup();
                format!("kinds:{}", k.join(","))
            }
            other => other.to_args(),
        }
    }
}

/// Records that rollback `run` of `scope` started (it is unfinished until [`finished`]).
pub(super) fn started(ledger: &Ledger, run: RunId, scope: &RollbackScope) -> ExecResult<()> {
    // A rollback of another scope over an unfinished one leaves the older one recorded: only
    // its own scope (or everything) finishes it.
    if unfinished(ledger)?.is_some_and(|u| u.key != scope.key()) && !scope.is_everything() {
        return Ok(());
    }
    let u = Unfinished {
        run: run.0,
        args: scope.to_args(),
        key: scope.key(),
    };
    let json = serde_json::to_string(&u).map_err(|e| {
        ExecError::Config(format!("recording the rollback's scope in the ledger: {e}"))
    })?;
    Ok(ledger.set_meta(UNFINISHED, &json)?)
}

/// Records that a rollback of `scope` ran to its end: the unfinished rollback of the same
/// scope (or any, when `scope` is everything) is finished.
pub(super) fn finished(ledger: &Ledger, scope: &RollbackScope) -> ExecResult<()> {
    match unfinished(ledger)? {
        Some(u) if u.key == scope.key() || scope.is_everything() => {
            Ok(ledger.set_meta(UNFINISHED, "")?)
        }
        _ => Ok(()),
    }
}

/// The rollback that started and has not finished, if any.
pub fn unfinished(ledger: &Ledger) -> ExecResult<Option<Unfinished>> {
    match ledger.meta(UNFINISHED)? {
        Some(v) if !v.is_empty() => serde_json::from_str(&v).map(Some).map_err(|e| {
            ExecError::Config(format!(
                "the ledger's `{UNFINISHED}` entry is not readable ({e}): run `rollback` with \
                 the scope of the interrupted rollback to finish it"
            ))
        }),
        _ => Ok(None),
    }
}

/// Refuses (a configuration error) while a rollback is unfinished: `migrate` and `delta` call
/// this before they record their run. The message names the rollback run and the command that
/// finishes it.
pub fn require_finished(ledger: &Ledger) -> ExecResult<()> {
    let (run, args) = match unfinished(ledger)? {
        Some(u) => (u.run, u.args),
        None => match ledger.open_undo_run()? {
            // A ledger from before this guard: its scope is not known.
            Some(run) => (run.0, "<the same --run/--kind/--ids as then>".to_owned()),
            None => return Ok(()),
        },
    };
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("{args} ")
    };
    Err(ExecError::Config(format!(
        "rollback run {run} was interrupted before it finished: some objects it removed or \
         restored may still be recorded as migrated, and writing now would mix them with new \
         objects. Finish it first with `glassix-to-intercom rollback {args}--yes` (the same \
         scope; calls left open are sent again, and what is already gone counts as done), then \
         run this command again"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectKind;
    use crate::ledger::RunMode;

    fn refusal(l: &Ledger) -> String {
        match require_finished(l) {
            Err(e) => e.to_string(),
            Ok(()) => String::new(),
        }
    }

    #[test]
    fn only_the_same_scope_or_everything_finishes_an_interrupted_rollback() {
        let l = Ledger::open_in_memory().unwrap();
        assert!(require_finished(&l).is_ok(), "no rollback yet");
        let run = l.begin_run(RunMode::Rollback, "rollback").unwrap();
        let scope = RollbackScope::Run(RunId(4));
        started(&l, run, &scope).unwrap();
        let msg = refusal(&l);
        assert!(
            msg.contains(&format!("rollback run {} was interrupted", run.0))
                && msg.contains("`glassix-to-intercom rollback --run 4 --yes`"),
            "{msg}"
        );
        // Another scope runs, but does not finish it.
        let kinds = RollbackScope::Kinds(vec![ObjectKind::Tag, ObjectKind::Ticket]);
        let other = l.begin_run(RunMode::Rollback, "rollback").unwrap();
        started(&l, other, &kinds).unwrap();
        finished(&l, &kinds).unwrap();
        assert!(refusal(&l).contains("--run 4"), "still the first one");
        finished(&l, &scope).unwrap();
        assert!(require_finished(&l).is_ok());
        // Everything finishes any.
        started(&l, other, &kinds).unwrap();
        assert!(refusal(&l).contains("--kind tag,ticket"));
        finished(&l, &RollbackScope::All).unwrap();
        assert!(require_finished(&l).is_ok());
    }

    #[test]
    fn an_open_rollback_intent_of_an_older_ledger_also_refuses() {
        let l = Ledger::open_in_memory().unwrap();
        let run = l.begin_run(RunMode::Rollback, "rollback").unwrap();
        let i = l
            .record_undo_intent(&ObjectKind::Ticket, "t1", "ic1", "delete", run)
            .unwrap();
        assert!(refusal(&l).contains(&format!("rollback run {}", run.0)));
        l.settle_undo_intent(i, true).unwrap();
        assert!(require_finished(&l).is_ok());
    }
}
