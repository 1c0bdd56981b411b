//! When a verification was made and what it checked, so that a report or `status` never
//! shows an old "all equal" as if it described what Intercom holds now: a `migrate`, `delta`
//! or `rollback` run after the verification changed objects it did not see.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ledger::{Ledger, Run, RunMode};

/// The ledger `meta` key holding the stamp of the last finished verification (JSON).
const STAMP_KEY: &str = "verify.stamp";

/// When a verification was made, against which ledger run, by which build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// When it finished.
    pub at: DateTime<Utc>,
    /// The last run that changed what Intercom holds (`migrate`, `delta` or `rollback`) when
    /// the verification was made: the state it checked. `None` before any such run.
    pub through_run: Option<i64>,
    /// The version of the tool that made it.
    pub tool_version: String,
    /// Objects it checked.
    #[serde(default)]
    pub objects: u64,
    /// Objects that differed or were missing.
    #[serde(default)]
    pub differing: u64,
    /// Objects that could not be read.
    #[serde(default)]
    pub unreadable: u64,
    /// Objects read but not compared: nothing was recorded of what Intercom should hold of
    /// them (adopted, or written by an earlier build). Stamps made before this was counted
    /// read as 0.
    #[serde(default)]
    pub unchecked: u64,
}

/// A run that changed Intercom after a verification was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// The run the verification checked (`None`: none).
    pub verified_run: Option<i64>,
    /// The latest run that changed Intercom since.
    pub latest_run: i64,
    /// Its mode (`migrate`, `delta`, `rollback`).
    pub latest_mode: String,
}

impl Stale {
    /// "verification from run 3; run 4 (delta) changed objects since: run `verify` again".
    pub fn text(&self) -> String {
        let from = self
            .verified_run
            .map_or_else(|| "before any run".to_owned(), |r| format!("from run {r}"));
        format!(
            "verification {from}; run {} ({}) changed objects since: run `glassix-to-intercom \
             verify` again",
            self.latest_run, self.latest_mode
        )
    }
}

/// Whether `run` may have changed what Intercom holds (a dry run writes nothing).
fn changes_intercom(run: &Run) -> bool {
    matches!(
        run.mode,
        RunMode::Migrate | RunMode::Delta | RunMode::Rollback
    )
}

/// The latest run of the ledger that may have changed what Intercom holds.
pub fn latest_changing_run(ledger: &Ledger) -> Result<Option<Run>> {
    Ok(ledger
        .runs()?
        .into_iter()
        .filter(changes_intercom)
        .max_by_key(|r| r.id.0))
}

impl Stamp {
    /// A stamp for a verification finishing now against `ledger`'s runs, with `summary`'s
    /// totals.
    pub fn now(ledger: &Ledger, summary: &super::VerifySummary) -> Result<Stamp> {
        Ok(Stamp {
            at: Utc::now(),
            through_run: latest_changing_run(ledger)?.map(|r| r.id.0),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            objects: summary.objects,
            differing: summary.differs + summary.missing,
            unreadable: summary.unreadable,
            unchecked: summary.unchecked,
        })
    }

    /// "465 objects, all equal" / "465 objects, 2 differ or are missing, 1 unreadable" /
    /// "465 objects, 460 compared and equal, 5 not compared (…)".
    pub fn result_text(&self) -> String {
        let mut t = format!("{} objects, ", self.objects);
        if self.differing == 0 && self.unchecked == 0 {
            t.push_str("all equal");
        } else if self.differing == 0 {
            t.push_str(&format!(
                "{} compared and equal",
                self.objects
                    .saturating_sub(self.unchecked + self.unreadable)
            ));
        } else {
            t.push_str(&format!("{} differ or are missing", self.differing));
        }
        if self.unreadable > 0 {
            t.push_str(&format!(", {} unreadable", self.unreadable));
        }
        if self.unchecked > 0 {
            t.push_str(&format!(
                ", {} not compared (nothing recorded of what Intercom should hold: adopted, or \
                 written by an earlier build)",
                self.unchecked
            ));
        }
        t
    }

    /// Whether a run changed Intercom after this verification, per `ledger`.
    pub fn stale(&self, ledger: &Ledger) -> Result<Option<Stale>> {
        Ok(latest_changing_run(ledger)?
            .filter(|r| self.through_run.is_none_or(|v| r.id.0 > v))
            .map(|r| Stale {
                verified_run: self.through_run,
                latest_run: r.id.0,
                latest_mode: r.mode.as_str().to_owned(),
            }))
    }

    /// Keeps this stamp in the ledger as the last finished verification's.
    pub(crate) fn save(&self, ledger: &Ledger) -> Result<()> {
        let text = serde_json::to_string(self).map_err(|e| {
            Error::LedgerState(format!("the verification stamp cannot be written: {e}"))
        })?;
        ledger.set_meta(STAMP_KEY, &text)
    }

    /// The stamp of the last finished verification, if any. An unreadable one (a hand-edited
    /// ledger) is an error naming the key and what to do.
    pub fn last(ledger: &Ledger) -> Result<Option<Stamp>> {
        let Some(text) = ledger.meta(STAMP_KEY)? else {
            return Ok(None);
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::LedgerState(format!(
                "the ledger's `{STAMP_KEY}` (when the last verification was made) is not \
                 readable ({e}); run `glassix-to-intercom verify` to write it anew"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::RunStatus;

    #[test]
    fn a_run_that_changes_intercom_after_the_verification_makes_it_stale() {
        let l = Ledger::open_in_memory().unwrap();
        let summary = super::super::VerifySummary {
            objects: 5,
            differs: 1,
            missing: 1,
            ..Default::default()
        };
        let before = Stamp::now(&l, &summary).unwrap();
        assert_eq!(before.result_text(), "5 objects, 2 differ or are missing");
        let some_unchecked = super::super::VerifySummary {
            objects: 5,
            unchecked: 2,
            ..Default::default()
        };
        assert_eq!(
            Stamp::now(&l, &some_unchecked).unwrap().result_text(),
            "5 objects, 3 compared and equal, 2 not compared (nothing recorded of what Intercom \
             should hold: adopted, or written by an earlier build)"
        );
        // A stamp saved before `unchecked` was counted still reads.
        let old: Stamp = serde_json::from_str(
            r#"{"at":"2026-12-07T00:00:00Z","through_run":1,"tool_version":"0.1.0","objects":3}"#,
        )
        .unwrap();
        assert_eq!(old.result_text(), "3 objects, all equal");
        assert_eq!(before.through_run, None);
        let migrate = l.begin_run(RunMode::Migrate, "h").unwrap();
        l.finish_run(migrate, RunStatus::Succeeded, &serde_json::json!({}))
            .unwrap();
        let stale = before.stale(&l).unwrap().expect("a migrate since");
        assert!(stale.text().contains("before any run"), "{}", stale.text());

        let stamp = Stamp::now(&l, &Default::default()).unwrap();
        assert_eq!(stamp.result_text(), "0 objects, all equal");
        assert_eq!(stamp.through_run, Some(migrate.0));
        assert_eq!(stamp.tool_version, env!("CARGO_PKG_VERSION"));
        stamp.save(&l).unwrap();
        assert_eq!(Stamp::last(&l).unwrap(), Some(stamp.clone()));
        // A dry run writes nothing to Intercom: still current.
        l.begin_run(RunMode::DryRun, "h").unwrap();
        assert_eq!(stamp.stale(&l).unwrap(), None);
        let delta = l.begin_run(RunMode::Delta, "h").unwrap();
        let stale = stamp.stale(&l).unwrap().expect("a delta since");
        assert_eq!(
            stale,
            Stale {
                verified_run: Some(migrate.0),
                latest_run: delta.0,
                latest_mode: "delta".into(),
            }
        );
        assert_eq!(
            stale.text(),
            format!(
                "verification from run {}; run {} (delta) changed objects since: run \
                 `glassix-to-intercom verify` again",
                migrate.0, delta.0
            )
        );
        l.set_meta(STAMP_KEY, "not json").unwrap();
        let err = Stamp::last(&l).unwrap_err().to_string();
        assert!(
            err.contains("verify.stamp") && err.contains("verify"),
            "{err}"
        );
    }
}
