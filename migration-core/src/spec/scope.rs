//! Department scoping of field rules: which rules apply to a department's records, and the
//! checks that keep scoped rules unambiguous.
//!
//! Glassix's `field2`…`field10` mean different things in different departments (the API does
//! not describe them), so a rule may name the departments it applies to. Rules without
//! `departments` apply everywhere; for its departments a scoped rule replaces the
//! every-department rules of the same source.

use std::collections::BTreeSet;

use super::errors::{SpecError, SpecErrors};
use super::model::{DepartmentRule, FieldRule, MappingSpec, TargetModel, same_department};
use super::parse::FieldPath;
use crate::error::{Error, Result};

/// Sources are compared like the mapper reads them: without regard to case or white space.
pub(crate) fn same_source(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// `field3 → plan (departments Billing, Sales)`: how errors name a rule.
pub(crate) fn describe(rule: &DepartmentRule) -> String {
    let r = &rule.rule;
    if rule.is_scoped() {
        format!(
            "`{}` → `{}` (departments {})",
            r.source,
            r.target,
            rule.departments.join(", ")
        )
    } else {
        format!("`{}` → `{}` (every department)", r.source, r.target)
    }
}

/// The first department both rules name, if any (a rule without departments names all).
fn shared_department<'a>(a: &'a DepartmentRule, b: &'a DepartmentRule) -> Option<&'a str> {
    match (a.is_scoped(), b.is_scoped()) {
        (false, false) => Some("every department"),
        (true, false) => a.departments.first().map(String::as_str),
        (false, true) => b.departments.first().map(String::as_str),
        (true, true) => a
            .departments
            .iter()
            .find(|d| b.departments.iter().any(|e| same_department(d, e)))
            .map(String::as_str),
    }
}

/// Whether both rules write to the same record in some department: they share a department
/// and neither replaces the other there (a scoped rule replaces the every-department rules of
/// its own source).
fn apply_together<'a>(a: &'a DepartmentRule, b: &'a DepartmentRule) -> Option<&'a str> {
    if a.is_scoped() != b.is_scoped() && same_source(&a.rule.source, &b.rule.source) {
        return None;
    }
    shared_department(a, b)
}

/// Scope problems of the rules in file order, as (path, message) under `fields`.
pub(crate) fn problems(rules: &[DepartmentRule], fields: &FieldPath) -> Vec<(FieldPath, String)> {
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let path = fields.index(i).key("departments");
        let mut seen: Vec<&str> = Vec::new();
        for (j, d) in rule.departments.iter().enumerate() {
            if d.trim().is_empty() {
                out.push((
                    path.index(j),
                    "a department must be named (its name or API key); remove the empty entry"
                        .into(),
                ));
            } else if seen.iter().any(|s| same_department(s, d)) {
                out.push((path.index(j), format!("department `{d}` is listed twice")));
            } else {
                seen.push(d);
            }
        }
    }
    for (j, b) in rules.iter().enumerate() {
        for (i, a) in rules.iter().enumerate().take(j) {
            let path = fields.index(j);
            // One rule per source and department.
            if a.is_scoped() && b.is_scoped() && same_source(&a.rule.source, &b.rule.source) {
                if let Some(d) = shared_department(a, b) {
                    out.push((
                        path.key("departments"),
                        format!(
                            "fields[{i}] {} and fields[{j}] {} are both rules for `{}` in \
                             department `{d}`; a field has one rule per department: remove one \
                             rule or take `{d}` out of one `departments` list",
                            describe(a),
                            describe(b),
                            b.rule.source
                        ),
                    ));
                    continue;
                }
            }
            // One writer per attribute and record; one type per attribute.
            let (ra, rb) = (&a.rule, &b.rule);
            if ra.model == TargetModel::Tags
                || ra.model != rb.model
                || ra.target.to_lowercase() != rb.target.to_lowercase()
            {
                continue;
            }
            if let Some(d) = apply_together(a, b) {
                let where_ = if a.is_scoped() || b.is_scoped() {
                    format!(" in department `{d}`")
                } else {
                    String::new()
                };
                out.push((
                    path.key("target"),
                    format!(
                        "duplicate target `{}` on model \"{}\"{where_}: fields[{i}] {} already \
                         writes it; remove one rule or change its target",
                        rb.target,
                        rb.model.as_str(),
                        describe(a)
                    ),
                ));
            } else if ra.field_type != rb.field_type || !same_options(ra, rb) {
                out.push((
                    path.key("target"),
                    format!(
                        "fields[{i}] {} and fields[{j}] {} write the same Intercom attribute \
                         `{}` with different types or options ({} and {}); one attribute has one \
                         type: give one of them another target",
                        describe(a),
                        describe(b),
                        rb.target,
                        ra.field_type.as_str(),
                        rb.field_type.as_str()
                    ),
                ));
            }
        }
    }
    out
}

fn same_options(a: &FieldRule, b: &FieldRule) -> bool {
    let set = |r: &FieldRule| r.options.iter().cloned().collect::<BTreeSet<String>>();
    set(a) == set(b)
}

/// A Glassix department as the run knows it: its API key and, when configured, its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownDepartment<'a> {
    /// The department's API key (its id).
    pub key: &'a str,
    /// Its configured name, if any.
    pub name: Option<&'a str>,
}

impl MappingSpec {
    /// The rules that apply to the records of one department, identified by its API key and,
    /// when known, its name (a rule's `departments` may use either).
    ///
    /// Every-department rules come first, in file order, except those whose source has a rule
    /// scoped to this department; then the scoped rules that name it. This is the list the
    /// mappers apply to a ticket of that department.
    pub fn rules_for<'a>(
        &'a self,
        key: &'a str,
        name: Option<&'a str>,
    ) -> impl Iterator<Item = &'a FieldRule> + 'a {
        let scoped: Vec<&'a FieldRule> = self
            .department_fields
            .iter()
            .filter(|r| r.applies_to(key, name))
            .map(|r| &r.rule)
            .collect();
        let replaced: Vec<&'a str> = scoped.iter().map(|r| r.source.as_str()).collect();
        self.fields
            .iter()
            .filter(move |r| !replaced.iter().any(|s| same_source(s, &r.source)))
            .chain(scoped)
    }

    /// Every rule of the spec, every-department rules first, then the scoped ones: for what
    /// does not depend on a department (attribute definitions, "is this source mapped").
    pub fn all_rules(&self) -> impl Iterator<Item = &FieldRule> {
        self.fields
            .iter()
            .chain(self.department_fields.iter().map(|r| &r.rule))
    }

    /// Checks the scoped rules against the departments a run knows: every name or key a rule
    /// gives must be one of them, and two rules for one source must not reach the same
    /// department through different spellings (its name in one, its key in the other).
    ///
    /// The parser cannot do this (the spec does not list departments); call it once the
    /// departments are known, before any record is mapped. The error lists every problem.
    pub fn check_departments(&self, known: &[KnownDepartment<'_>]) -> Result<()> {
        let mut problems = Vec::new();
        let resolve = |d: &str| {
            known.iter().find(|k| {
                same_department(d, k.key) || k.name.is_some_and(|n| same_department(d, n))
            })
        };
        let listing = || {
            known
                .iter()
                .map(|k| match k.name {
                    Some(n) => format!("{n} (`{}`)", k.key),
                    None => format!("`{}`", k.key),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        for rule in &self.department_fields {
            for d in &rule.departments {
                if resolve(d).is_none() {
                    problems.push(format!(
                        "the rule {} names department `{d}`, which is none of the departments of \
                         this migration ({}); correct the name or use the department's API key",
                        describe(rule),
                        listing()
                    ));
                }
            }
        }
        for (j, b) in self.department_fields.iter().enumerate() {
            for a in self.department_fields.iter().take(j) {
                if !same_source(&a.rule.source, &b.rule.source) {
                    continue;
                }
                let keys = |r: &DepartmentRule| -> BTreeSet<String> {
                    r.departments
                        .iter()
                        .filter_map(|d| resolve(d))
                        .map(|k| k.key.to_lowercase())
                        .collect()
                };
                if let Some(k) = keys(a).intersection(&keys(b)).next() {
                    let dept = known
                        .iter()
                        .find(|d| same_department(d.key, k))
                        .map_or_else(|| k.clone(), |d| d.name.unwrap_or(d.key).to_owned());
                    problems.push(format!(
                        "the rules {} and {} are both rules for `{}` in department `{dept}` (once \
                         by name, once by key); a field has one rule per department: remove one \
                         rule or take the department out of one `departments` list",
                        describe(a),
                        describe(b),
                        b.rule.source
                    ));
                }
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(Error::Spec(SpecErrors(
            problems
                .into_iter()
                .map(|message| SpecError {
                    path: "fields".to_owned(),
                    line: None,
                    column: None,
                    message,
                })
                .collect(),
        )))
    }
}
