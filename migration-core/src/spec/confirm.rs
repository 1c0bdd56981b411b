//! Confirmation locked to content: confirming records the content hash (and a short hash per
//! section) in `[confirmation]`; a spec whose content changed since is not confirmed any more,
//! and the error says which sections changed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::errors::{SpecError, SpecErrors};
use super::model::{Confirmation, DepartmentRule, FieldRule, MappingSpec};
use crate::error::{Error, Result};

/// Where a spec stands with respect to its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmationState {
    /// Not confirmed: `confirmed` is false, or who/when is missing.
    Unconfirmed,
    /// Confirmed by a version of the toolkit that did not record the content hash. Accepted
    /// (with a warning in the log): the content cannot be checked against what was reviewed.
    ConfirmedUnlocked,
    /// Confirmed, and the content is what was confirmed.
    Confirmed,
    /// Confirmed, but the content changed since: not confirmed any more.
    Changed {
        /// What changed, in words (`[policies]`, `the rule for field3 in Billing (added)` …).
        changes: Vec<String>,
        /// The content hash now, to write into `content_hash` when re-confirming.
        current_hash: String,
    },
}

/// Section key prefix of field rules in [`Confirmation::sections`].
const FIELDS: &str = "fields.";

impl MappingSpec {
    /// Whether the spec is confirmed and its content has not changed since (a spec confirmed
    /// without a content hash counts as confirmed; see [`ConfirmationState::ConfirmedUnlocked`]).
    pub fn is_confirmed(&self) -> bool {
        matches!(
            self.confirmation_state(),
            ConfirmationState::Confirmed | ConfirmationState::ConfirmedUnlocked
        )
    }

    /// Where the spec stands: unconfirmed, confirmed (locked to its content or not), or changed
    /// since it was confirmed.
    pub fn confirmation_state(&self) -> ConfirmationState {
        let c = &self.confirmation;
        let by = c
            .confirmed_by
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        if !(c.confirmed && by && c.confirmed_at.is_some()) {
            return ConfirmationState::Unconfirmed;
        }
        let Some(recorded) = c.content_hash.as_deref() else {
            return ConfirmationState::ConfirmedUnlocked;
        };
        let current = match self.hash() {
            Ok(h) => h,
            Err(e) => {
                return ConfirmationState::Changed {
                    changes: vec![format!("the content could not be hashed ({e})")],
                    current_hash: String::new(),
                };
            }
        };
        if current.eq_ignore_ascii_case(recorded.trim()) {
            return ConfirmationState::Confirmed;
        }
        let changes = match self.section_hashes() {
            Ok(now) if !c.sections.is_empty() => describe_changes(&c.sections, &now),
            _ => Vec::new(),
        };
        let changes = if changes.is_empty() {
            vec!["the content (no per-section record says which part)".to_owned()]
        } else {
            changes
        };
        ConfirmationState::Changed {
            changes,
            current_hash: current,
        }
    }

    /// `Ok` when confirmed and unchanged since; otherwise [`Error::SpecNotConfirmed`] saying
    /// exactly how to confirm, or, for a spec changed since it was confirmed, what changed and
    /// how to confirm it again. A spec confirmed without a content hash (written before
    /// confirmation was locked to content) is accepted with a warning in the log.
    pub fn require_confirmed(&self) -> Result<()> {
        match self.confirmation_state() {
            ConfirmationState::Confirmed => Ok(()),
            ConfirmationState::ConfirmedUnlocked => {
                tracing::warn!(
                    "the mapping spec is confirmed but its confirmation is not locked to its \
                     content (no content_hash in [confirmation]); confirm it again to lock it \
                     (`glassix-to-intercom confirm --by <you>` or MappingSpec::confirm_toml), \
                     so that a later edit cannot run unreviewed"
                );
                Ok(())
            }
            ConfirmationState::Unconfirmed => Err(Error::SpecNotConfirmed {
                message: "the mapping spec is not confirmed, so no record will be moved. Review \
                          the spec file, then confirm it with `glassix-to-intercom confirm --by \
                          <your name or e-mail>` (in code: MappingSpec::confirm_toml), which \
                          records who, when and a hash of the content, and run again. By hand \
                          (not locked to the content, so a later edit goes unnoticed): set in \
                          its [confirmation] table\n\n  confirmed = true\n  confirmed_by = \
                          \"<your name or e-mail>\"\n  confirmed_at = <now, RFC 3339, e.g. \
                          2026-01-31T09:00:00Z>\n\n(a dry run does not need confirmation)"
                    .to_owned(),
                changed: Vec::new(),
            }),
            ConfirmationState::Changed {
                changes,
                current_hash,
            } => {
                let c = &self.confirmation;
                let by = c.confirmed_by.as_deref().unwrap_or("?");
                let at = c.confirmed_at.map_or_else(String::new, |t| {
                    t.to_rfc3339_opts(SecondsFormat::Secs, true)
                });
                Err(Error::SpecNotConfirmed {
                    message: format!(
                        "the mapping spec changed after {by} confirmed it at {at}, so no record \
                         will be moved. Changed since the confirmation:\n{}\n\nReview these \
                         changes, then confirm the spec again: in its [confirmation] table set \
                         confirmed_by and confirmed_at to who and when, and\n\n  content_hash = \
                         \"{current_hash}\"\n\nand delete the [confirmation.sections] table (or \
                         let your tooling call MappingSpec::confirm_toml, which writes both). \
                         (a dry run does not need confirmation)",
                        changes
                            .iter()
                            .map(|c| format!("  - {c}"))
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ),
                    changed: changes,
                })
            }
        }
    }

    /// Confirms the spec: sets who and when, and locks the confirmation to the current content
    /// (`content_hash` and the per-section `sections`).
    pub fn confirm(&mut self, by: &str, at: DateTime<Utc>) -> Result<()> {
        if by.trim().is_empty() {
            return Err(confirm_error(
                "confirmed_by",
                "name who confirms the spec (a name or an e-mail)",
            ));
        }
        self.confirmation = Confirmation {
            confirmed: true,
            confirmed_by: Some(by.trim().to_owned()),
            confirmed_at: Some(at),
            content_hash: Some(self.hash()?),
            sections: self.section_hashes()?,
        };
        Ok(())
    }

    /// Confirms a spec file's text: parses and validates it, then returns the same text with its
    /// `[confirmation]` table (and `[confirmation.sections]`) replaced by a confirmed one locked
    /// to the content. Everything else, comments included, is kept byte for byte.
    ///
    /// Fails when the spec is invalid, or when its confirmation is not written as a
    /// `[confirmation]` table (an inline table or dotted keys): rewrite it as a table first.
    pub fn confirm_toml(text: &str, by: &str, at: DateTime<Utc>) -> Result<String> {
        // The file keeps whole seconds: confirm with the instant it will read back as.
        let at = DateTime::<Utc>::from_timestamp(at.timestamp(), 0).unwrap_or(at);
        let mut spec = MappingSpec::from_toml_str(text)?;
        spec.confirm(by, at)?;
        let mut block = String::from("[confirmation]\n");
        let c = &spec.confirmation;
        block.push_str("confirmed = true\n");
        block.push_str(&format!("confirmed_by = {}\n", toml_string(by.trim())));
        block.push_str(&format!(
            "confirmed_at = {}\n",
            at.to_rfc3339_opts(SecondsFormat::Secs, true)
        ));
        block
            .push_str("# Written at confirmation: the spec's content then. A change to the spec\n");
        block.push_str("# withdraws the confirmation until it is confirmed again.\n");
        block.push_str(&format!(
            "content_hash = {}\n",
            toml_string(c.content_hash.as_deref().unwrap_or_default())
        ));
        block.push_str("\n[confirmation.sections]\n");
        for (k, v) in &c.sections {
            block.push_str(&format!("{} = {}\n", toml_key(k), toml_string(v)));
        }
        let out = replace_confirmation(text, &block)?;
        // The result must read back as the confirmed spec (nothing else changed).
        let back = MappingSpec::from_toml_str(&out)?;
        if back != spec || back.confirmation_state() != ConfirmationState::Confirmed {
            return Err(confirm_error(
                "",
                "the confirmed text does not read back as the confirmed spec; edit the \
                 [confirmation] table by hand",
            ));
        }
        Ok(out)
    }

    /// A short hash (16 hex digits) of each part of the content: `version`, `objects`,
    /// `policies`, and per field source the every-department rules (`fields.<source>`) and each
    /// scoped rule (`fields.<source>@<departments>`). Recorded at confirmation, compared later
    /// to say what changed.
    pub fn section_hashes(&self) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        out.insert("version".to_owned(), short(&self.version)?);
        out.insert("objects".to_owned(), short(&self.objects)?);
        out.insert("policies".to_owned(), short(&self.policies)?);
        let mut global: BTreeMap<String, Vec<&FieldRule>> = BTreeMap::new();
        for r in &self.fields {
            global.entry(source_key(&r.source)).or_default().push(r);
        }
        for (source, rules) in global {
            out.insert(format!("{FIELDS}{source}"), short(&rules)?);
        }
        for r in &self.department_fields {
            out.insert(scoped_key(r), short(&r.rule)?);
        }
        Ok(out)
    }
}

/// The first 16 hex digits of a value's content hash.
fn short<T: Serialize + ?Sized>(v: &T) -> Result<String> {
    Ok(crate::hashing::source_hash(v)?.chars().take(16).collect())
}

fn source_key(source: &str) -> String {
    source.trim().to_lowercase()
}

/// `fields.field3@billing,sales`: the departments normalised and sorted.
fn scoped_key(r: &DepartmentRule) -> String {
    let depts: BTreeSet<String> = r
        .departments
        .iter()
        .map(|d| d.trim().to_lowercase())
        .collect();
    format!(
        "{FIELDS}{}@{}",
        source_key(&r.rule.source),
        depts.into_iter().collect::<Vec<_>>().join(",")
    )
}

/// Words for a section key.
fn describe_key(key: &str) -> String {
    match key.strip_prefix(FIELDS) {
        None => format!("[{key}]"),
        Some(rest) => match rest.split_once('@') {
            Some((source, depts)) => {
                format!(
                    "the rule for `{source}` in departments {}",
                    depts.replace(',', ", ")
                )
            }
            None => format!("the every-department rules for `{rest}`"),
        },
    }
}

/// What differs between the sections recorded at confirmation and now.
fn describe_changes(
    then: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Vec<String> {
    let keys: BTreeSet<&String> = then.keys().chain(now.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let what = match (then.get(k), now.get(k)) {
            (Some(a), Some(b)) if a != b => "changed",
            (Some(_), None) => "removed",
            (None, Some(_)) => "added",
            _ => continue,
        };
        out.push(format!("{} ({what})", describe_key(k)));
    }
    out
}

fn confirm_error(path: &str, message: &str) -> Error {
    Error::Spec(SpecErrors(vec![SpecError {
        path: path.to_owned(),
        line: None,
        column: None,
        message: message.to_owned(),
    }]))
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A bare key when it can be one, else quoted.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_owned()
    } else {
        toml_string(k)
    }
}

/// The header of a table line (`[name]`, ignoring white space and a trailing comment), if the
/// line is one; `[[name]]` gives `[name]`.
fn table_header(line: &str) -> Option<String> {
    let t = line.trim();
    if !t.starts_with('[') {
        return None;
    }
    let end = t.find(']')?;
    let inner = t.get(1..end)?.trim_start_matches('[').trim();
    Some(inner.replace([' ', '\t', '"', '\''], ""))
}

/// Replaces the `[confirmation]` and `[confirmation.*]` tables of `text` with `block` (comments
/// after a table's last key are kept: they usually introduce what follows), or appends `block`
/// when there is none. Refuses confirmation keys written in another form.
fn replace_confirmation(text: &str, block: &str) -> Result<String> {
    let mut out = String::new();
    let mut placed = false;
    let mut seen_table = false;
    // Lines of the confirmation table being dropped, kept until we know which are trailing
    // comments.
    let mut dropped: Option<Vec<&str>> = None;
    let flush = |dropped: &mut Option<Vec<&str>>, out: &mut String, more: bool| {
        if let Some(lines) = dropped.take() {
            let last_key = lines.iter().rposition(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#')
            });
            let tail = last_key.map_or(&lines[..], |i| &lines[i + 1..]);
            let tail_text: String = tail.concat();
            if more || !tail_text.trim().is_empty() {
                out.push('\n');
                out.push_str(tail_text.trim_start_matches('\n'));
            }
        }
    };
    for line in text.split_inclusive('\n') {
        if let Some(header) = table_header(line) {
            if header == "confirmation" || header.starts_with("confirmation.") {
                if dropped.is_none() {
                    if !placed {
                        out.push_str(block);
                        placed = true;
                    }
                    dropped = Some(Vec::new());
                } else if let Some(lines) = dropped.as_mut() {
                    // A sub-table of the confirmation: its keys go too.
                    lines.clear();
                }
                seen_table = true;
                continue;
            }
            flush(&mut dropped, &mut out, true);
            seen_table = true;
            out.push_str(line);
            continue;
        }
        if let Some(lines) = dropped.as_mut() {
            lines.push(line);
            continue;
        }
        let key = line.trim_start();
        if !seen_table && (key.starts_with("confirmation") || key.starts_with("\"confirmation")) {
            return Err(confirm_error(
                "confirmation",
                "write the confirmation as a [confirmation] table (not an inline table or dotted \
                 keys) so that it can be confirmed",
            ));
        }
        out.push_str(line);
    }
    flush(&mut dropped, &mut out, false);
    if !placed {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(block);
    }
    Ok(out)
}
