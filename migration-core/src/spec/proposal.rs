//! Building a first-draft spec from what discovery saw, and rendering it as commented TOML.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::infer::{Inference, MAX_FAILING_SHARE, failing_share, infer_stats, infer_type};
use super::model::{
    DepartmentRule, FieldRule, FieldType, MappingSpec, MissingEmailPolicy, ObjectTargets,
    TargetModel, TicketTarget, Transform,
};
use super::stats::ValueStats;

/// What discovery learned, in plain types. The discovery stage fills it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiscoveryFacts {
    /// Glassix custom fields with sampled values.
    pub custom_fields: Vec<FieldFacts>,
    /// Attributes that already exist in the Intercom workspace.
    pub intercom_attributes: Vec<ExistingAttribute>,
    /// Channels (Glassix protocol types) seen on tickets.
    pub channels: Vec<ChannelFacts>,
    /// The customers seen on tickets, by how Intercom can identify them (drafts
    /// `policies.missing_email`).
    #[serde(default)]
    pub customers: CustomerFacts,
}

/// The distinct customers seen on tickets (participants and message authors), by how
/// Intercom can identify them, judged from their participant identifiers as the contact mapper
/// judges them (discovery does not read contact records).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CustomerFacts {
    /// Distinct customers.
    pub total: u64,
    /// With an e-mail address valid as it stands.
    pub with_email: u64,
    /// Without a valid e-mail address, with a usable phone number.
    pub phone_only: u64,
    /// With neither (no identifier, or only invalid addresses, channel ids …).
    pub neither: u64,
}

impl CustomerFacts {
    /// The `missing_email` policy the proposal drafts, and the evidence for it: `queue` when
    /// every customer has an e-mail address (nothing to decide), `lead_with_phone` when every
    /// customer without one has a phone number, else `external_id_from_glassix_id` (the only
    /// policy that migrates a customer with neither). So the draft, confirmed as it is,
    /// migrates every customer that has an identifier, and with it its tickets.
    pub fn missing_email_policy(&self) -> (MissingEmailPolicy, Option<String>) {
        let without = self.phone_only + self.neither;
        if without == 0 {
            let evidence = (self.total > 0).then(|| {
                format!(
                    "all {} customers seen have a valid e-mail address: \"queue\" queues none",
                    self.total
                )
            });
            return (MissingEmailPolicy::Queue, evidence);
        }
        let head = format!(
            "{without} of {} customers seen have no valid e-mail address on their ticket \
             participants ({} with a phone number, {} with neither; a Glassix contact record \
             may still hold one, which is used first)",
            self.total, self.phone_only, self.neither
        );
        if self.neither == 0 {
            return (
                MissingEmailPolicy::LeadWithPhone,
                Some(format!(
                    "{head}: \"lead_with_phone\" creates them as leads identified by phone; \
                     \"queue\" would queue them and their tickets"
                )),
            );
        }
        (
            MissingEmailPolicy::ExternalIdFromGlassixId,
            Some(format!(
                "{head}: \"external_id_from_glassix_id\" creates them as users whose \
                 external_id is their Glassix id; \"lead_with_phone\" would queue the {} with \
                 neither, \"queue\" all {without}, with their tickets",
                self.neither
            )),
        )
    }
}

/// One Glassix custom field and what its values look like.
///
/// The proposal reads `stats` and `departments` when discovery filled them, else it counts
/// `samples` (each occurrence, so repeated values can make a `list`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldFacts {
    /// Source path, e.g. `field2`.
    pub source: String,
    /// A human label if one is known (the Glassix API does not expose labels for `field2..10`).
    pub label: Option<String>,
    /// Sampled raw values, as text (blank values are allowed and ignored).
    pub samples: Vec<String>,
    /// Value statistics over all departments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ValueStats>,
    /// Value statistics per department (the departments where the field has a value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departments: Vec<DepartmentValues>,
}

/// One department's values of a field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DepartmentValues {
    /// The department's API key (its id).
    pub key: String,
    /// Its configured name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The field's values in this department.
    pub stats: ValueStats,
}

impl DepartmentValues {
    /// How a rule names the department: its name when known, else its key.
    pub fn reference(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or(&self.key)
    }
}

/// An attribute already defined in Intercom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ExistingAttribute {
    /// Model it belongs to.
    pub model: TargetModel,
    /// Attribute name.
    pub name: String,
    /// Intercom's data type name (`string`, `integer`, `decimal`, `datetime`, `list`, `options` …).
    pub data_type: String,
}

/// A channel seen during discovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ChannelFacts {
    /// Glassix protocol type as sent on the wire (`Mail`, `WhatsApp`, `FBmessenger` …).
    pub channel: String,
    /// Tickets seen on it.
    pub tickets: u64,
}

/// A proposed field rule with the evidence behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldProposal {
    /// Index of the rule in `Proposal::spec.fields`, or in `Proposal::spec.department_fields`
    /// when `departments` is not empty.
    pub rule_index: usize,
    /// The departments the rule is drafted for (empty: every department).
    #[serde(default)]
    pub departments: Vec<String>,
    /// The inference that produced the rule.
    pub inference: Inference,
    /// Up to five values shown to the reviewer, most frequent first.
    pub examples: Vec<String>,
    /// Blank values seen (not converted; the rule's `default` applies to them).
    #[serde(default)]
    pub blank: u64,
    /// Why the departments got separate rules, when they did.
    #[serde(default)]
    pub split_reason: Option<String>,
    /// Set when the Intercom attribute exists.
    pub existing: Option<ExistingAttribute>,
    /// Set when the existing attribute's type cannot hold the proposed type.
    pub conflict: Option<String>,
}

/// A draft spec (never confirmed) plus what a reviewer needs to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Proposal {
    /// The draft spec.
    pub spec: MappingSpec,
    /// One entry per proposed field rule, in the order they are drafted.
    pub fields: Vec<FieldProposal>,
    /// Channels seen, most used first.
    pub channels: Vec<ChannelFacts>,
    /// Why `spec.policies.missing_email` is what it is (counts of customers without an
    /// e-mail address), shown above it in the TOML.
    #[serde(default)]
    pub missing_email_evidence: Option<String>,
}

impl Proposal {
    /// The field proposals that conflict with an existing Intercom attribute.
    pub fn conflicts(&self) -> impl Iterator<Item = &FieldProposal> {
        self.fields.iter().filter(|f| f.conflict.is_some())
    }

    /// The rule a field proposal drafted.
    pub fn rule_of(&self, p: &FieldProposal) -> Option<&FieldRule> {
        if p.departments.is_empty() {
            self.spec.fields.get(p.rule_index)
        } else {
            self.spec
                .department_fields
                .get(p.rule_index)
                .map(|r| &r.rule)
        }
    }
}

/// ASCII letters and digits, lower case, other runs as `_`.
fn clean(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_owned()
}

/// `field2` / "Order number" → an Intercom-safe attribute name.
pub(crate) fn attribute_name(facts: &FieldFacts) -> String {
    match facts.label.as_deref().map(clean) {
        Some(l) if !l.is_empty() => l,
        _ => format!("glassix_{}", clean(&facts.source)),
    }
}

/// What a rule does with values, for comparing departments: the type and the way values are
/// read (the number convention, the first date format); list options may differ.
fn reading(inf: &Inference) -> (FieldType, Option<String>) {
    let how = inf.transforms.iter().find_map(|t| match t {
        Transform::ParseDate { formats } => formats.first().cloned(),
        Transform::ParseNumber { decimal, thousands } => {
            Some(format!("{decimal}{}", thousands.as_deref().unwrap_or("")))
        }
        _ => None,
    });
    (inf.field_type, how)
}

/// One drafted rule before it is placed in the spec.
struct Draft {
    departments: Vec<String>,
    target: String,
    description: String,
    inference: Inference,
    examples: Vec<String>,
    blank: u64,
    split_reason: Option<String>,
}

fn examples_of(stats: &ValueStats) -> Vec<String> {
    stats.top.iter().take(5).map(|v| v.value.clone()).collect()
}

/// The rules drafted for one field: one shared rule when the departments read its values the
/// same way, else one per department with its own target.
fn drafts(f: &FieldFacts) -> Vec<Draft> {
    let target = attribute_name(f);
    let label = match &f.label {
        Some(l) => format!("Glassix {} ({l})", f.source),
        None => format!("Glassix {}", f.source),
    };
    let shared = || {
        let (inference, examples, blank) = match &f.stats {
            Some(st) => (infer_stats(st), examples_of(st), st.blank),
            None => {
                let mut examples: Vec<String> = Vec::new();
                for s in f.samples.iter().map(|s| s.trim()) {
                    if !s.is_empty() && examples.len() < 5 && !examples.iter().any(|e| e == s) {
                        examples.push(s.to_owned());
                    }
                }
                let blank = f.samples.iter().filter(|s| s.trim().is_empty()).count();
                (infer_type(&f.samples), examples, blank as u64)
            }
        };
        vec![Draft {
            departments: Vec::new(),
            target: target.clone(),
            description: label.clone(),
            inference,
            examples,
            blank,
            split_reason: None,
        }]
    };
    let per_department: Vec<(&DepartmentValues, Inference)> = f
        .departments
        .iter()
        .filter(|d| d.stats.non_blank() > 0)
        .map(|d| (d, infer_stats(&d.stats)))
        .collect();
    let first = match per_department.as_slice() {
        [(_, one), _, ..] => reading(one),
        _ => return shared(),
    };
    // One shared rule when the departments read the field the same way (and the merged
    // values still do: a list can grow past its bound), or when the typed rule drawn from all
    // values fits every department (a department with too few values to show a list reads as
    // text on its own; the merged list still takes each of its values).
    let merged = shared();
    let same = per_department.iter().all(|(_, i)| reading(i) == first)
        && merged.iter().all(|d| reading(&d.inference) == first);
    let fits_all = merged.iter().all(|d| {
        let rule = d.inference.rule(&f.source, &d.target, TargetModel::Ticket);
        d.inference.field_type != FieldType::String
            && per_department
                .iter()
                .all(|(dept, _)| failing_share(&rule, &dept.stats) <= MAX_FAILING_SHARE)
    });
    if same || fits_all {
        return merged;
    }
    let reason = format!(
        "the departments read {} differently ({}): one rule per department, each with its own \
         target (rename them as you like; departments that agree may share one target)",
        f.source,
        per_department
            .iter()
            .map(|(d, i)| format!("{}: {}", d.reference(), describe_reading(i)))
            .collect::<Vec<_>>()
            .join("; ")
    );
    let mut used: Vec<String> = Vec::new();
    per_department
        .into_iter()
        .map(|(d, inference)| {
            let mut suffix = clean(d.reference());
            if suffix.is_empty() {
                suffix = clean(&d.key).chars().take(8).collect();
            }
            let mut t = format!("{target}_{suffix}");
            let mut n = 2;
            while used.contains(&t) {
                t = format!("{target}_{suffix}_{n}");
                n += 1;
            }
            used.push(t.clone());
            Draft {
                departments: vec![d.reference().to_owned()],
                target: t,
                description: format!("{label} in department {}", d.reference()),
                inference,
                examples: examples_of(&d.stats),
                blank: d.stats.blank,
                split_reason: Some(reason.clone()),
            }
        })
        .collect()
}

fn describe_reading(i: &Inference) -> String {
    match reading(i) {
        (FieldType::Date, Some(how)) => format!("date {how}"),
        (t, Some(how)) => format!("{} with separators `{how}`", t.as_str()),
        (t, None) => t.as_str().to_owned(),
    }
}

pub(crate) fn build(facts: &DiscoveryFacts) -> Proposal {
    let objects = ObjectTargets::default();
    let model = match objects.tickets {
        TicketTarget::Tickets => TargetModel::Ticket,
        TicketTarget::Conversations => TargetModel::Conversation,
    };
    let mut spec = MappingSpec {
        objects,
        ..MappingSpec::default()
    };
    let (missing_email, missing_email_evidence) = facts.customers.missing_email_policy();
    spec.policies.missing_email = missing_email;
    let mut fields = Vec::new();
    for f in &facts.custom_fields {
        for d in drafts(f) {
            let existing = facts
                .intercom_attributes
                .iter()
                .find(|a| a.model == model && a.name.eq_ignore_ascii_case(&d.target))
                .cloned();
            let conflict = existing.as_ref().and_then(|a| {
                (!d.inference.field_type.compatible_with(&a.data_type)).then(|| {
                    format!(
                        "Intercom already has a {} attribute `{}` of type {}, which cannot hold \
                         {} values (Intercom cannot change an attribute's type); rename the \
                         target or change the type",
                        a.model.as_str(),
                        a.name,
                        a.data_type,
                        d.inference.field_type.as_str()
                    )
                })
            });
            let mut rule = d.inference.rule(&f.source, &d.target, model);
            rule.description = Some(d.description);
            let rule_index = if d.departments.is_empty() {
                spec.fields.push(rule);
                spec.fields.len() - 1
            } else {
                spec.department_fields.push(DepartmentRule {
                    departments: d.departments.clone(),
                    rule,
                });
                spec.department_fields.len() - 1
            };
            fields.push(FieldProposal {
                rule_index,
                departments: d.departments,
                inference: d.inference,
                examples: d.examples,
                blank: d.blank,
                split_reason: d.split_reason,
                existing,
                conflict,
            });
        }
    }
    let mut channels = facts.channels.clone();
    channels.sort_by(|a, b| b.tickets.cmp(&a.tickets).then(a.channel.cmp(&b.channel)));
    Proposal {
        spec,
        fields,
        channels,
        missing_email_evidence,
    }
}

/// Appending lines to the rendered text (writing to a `String` cannot fail).
trait Lines {
    /// Appends `text` and a line break.
    fn ln(&mut self, text: impl AsRef<str>);
}

impl Lines for String {
    fn ln(&mut self, text: impl AsRef<str>) {
        self.push_str(text.as_ref());
        self.push('\n');
    }
}

fn value<T: Serialize>(v: &T) -> String {
    toml::Value::try_from(v).map_or_else(|e| format!("\"<unrenderable: {e}>\""), |v| v.to_string())
}

impl Proposal {
    /// Render as commented TOML a person can read, edit and confirm.
    ///
    /// The output parses back (with [`MappingSpec::from_toml_str`]) into `self.spec`.
    pub fn to_toml(&self) -> String {
        let s = &self.spec;
        let mut o = String::new();
        o.ln("# Glassix → Intercom mapping spec (proposal).");
        o.ln("# Generated from discovery. Review every rule, edit what is wrong,");
        o.ln("# then confirm it in [confirmation]. Nothing moves until you do.");
        o.ln(format!("version = {}\n", s.version));
        o.ln("[confirmation]");
        o.ln("# After review run `glassix-to-intercom confirm --by <you>` (or");
        o.ln("# MappingSpec::confirm_toml): it fills in who and when and locks the confirmation");
        o.ln("# to the content, so that a later edit cannot run unreviewed.");
        o.ln(format!("confirmed = {}\n", s.confirmation.confirmed));
        o.ln("[objects]");
        o.ln("# \"tickets\" (Intercom tickets of `ticket_type`) or \"conversations\".");
        o.ln(format!("tickets = {}", value(&s.objects.tickets)));
        o.ln(format!("ticket_type = {}\n", value(&s.objects.ticket_type)));
        let p = &s.policies;
        o.ln("[policies]");
        o.ln("# Contact without e-mail: \"queue\" | \"lead_with_phone\" | \"external_id_from_glassix_id\"");
        if let Some(e) = &self.missing_email_evidence {
            o.ln(format!("# Drafted from discovery: {e}."));
        }
        o.ln(format!("missing_email = {}", value(&p.missing_email)));
        o.ln("# Agent without an Intercom admin: \"queue\" or { fallback_admin = \"<admin id>\" }");
        o.ln(format!("unmatched_agent = {}", value(&p.unmatched_agent)));
        o.ln(
            "# Department without an Intercom team: \"queue\" or { fallback_team = \"<team id>\" }",
        );
        o.ln(format!(
            "unmatched_department = {}",
            value(&p.unmatched_department)
        ));
        o.ln("# Canned replies: \"skip\" | \"articles\" | \"inventory\"");
        o.ln(format!("canned_replies = {}", value(&p.canned_replies)));
        o.ln("# Attachments: \"upload\" | \"link\" | \"skip\"");
        o.ln(format!("attachments = {}", value(&p.attachments)));
        o.ln("# E-mail HTML: \"sanitize\"");
        o.ln(format!("html = {}", value(&p.html)));
        if !self.channels.is_empty() {
            o.ln("\n# Channels seen on tickets:");
            for c in &self.channels {
                o.ln(format!("#   {}: {} tickets", c.channel, c.tickets));
            }
        }
        o.ln("\n# Field rules. type: string | integer | float | boolean | date | list.");
        o.ln(
            "# transforms: trim, lowercase, parse_date{formats}, parse_number{decimal, thousands},",
        );
        o.ln("#   map{values, fallback}, split{separator}.");
        o.ln("# departments = [\"<name or API key>\", …] limits a rule to those departments; there it");
        o.ln("#   replaces the rules without departments for the same source.");
        let mut rendered_global = vec![false; s.fields.len()];
        let mut rendered_scoped = vec![false; s.department_fields.len()];
        for fp in &self.fields {
            let (rule, departments) = if fp.departments.is_empty() {
                match s.fields.get(fp.rule_index) {
                    Some(r) => {
                        rendered_global[fp.rule_index] = true;
                        (r, &[][..])
                    }
                    None => continue,
                }
            } else {
                match s.department_fields.get(fp.rule_index) {
                    Some(r) => {
                        rendered_scoped[fp.rule_index] = true;
                        (&r.rule, &r.departments[..])
                    }
                    None => continue,
                }
            };
            o.ln("");
            render_evidence(&mut o, rule, fp);
            render_rule(&mut o, rule, departments);
        }
        // Rules added to the draft by hand after it was built.
        for (i, r) in s.fields.iter().enumerate() {
            if !rendered_global[i] {
                o.ln("");
                render_rule(&mut o, r, &[]);
            }
        }
        for (i, r) in s.department_fields.iter().enumerate() {
            if !rendered_scoped[i] {
                o.ln("");
                render_rule(&mut o, &r.rule, &r.departments);
            }
        }
        o
    }
}

/// The evidence comment above a drafted rule: counts, examples, the values that would fail the
/// proposed type (share and two examples), notes and conflicts.
fn render_evidence(o: &mut String, rule: &FieldRule, fp: &FieldProposal) {
    let inf = &fp.inference;
    let place = match fp.departments.as_slice() {
        [] => String::new(),
        d => format!(" in {}", d.join(", ")),
    };
    o.ln(format!(
        "# {}{place}: {} values ({} blank), {} distinct → {}.",
        rule.source,
        inf.samples as u64 + inf.unexamined + fp.blank,
        fp.blank,
        inf.distinct,
        inf.field_type.as_str()
    ));
    if inf.unexamined > 0 {
        o.ln(format!(
            "# Counts cover the {} most frequent distinct values ({} values); {} more values \
             were not examined.",
            inf.distinct, inf.samples, inf.unexamined
        ));
    }
    if !fp.examples.is_empty() {
        o.ln(format!("# Examples: {}", value(&fp.examples)));
    }
    if inf.failing == 0 {
        o.ln(format!(
            "# Fails the type: none of the {} values examined.",
            inf.samples
        ));
    } else {
        o.ln(format!(
            "# Fails the type: {} of {} values ({:.1}%), e.g. {}; at run time they are queued \
             as field items.",
            inf.failing,
            inf.samples,
            inf.failing_share() * 100.0,
            inf.failing_examples
                .iter()
                .map(value)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(r) = &inf.remark {
        o.ln(format!("# Note: {r}"));
    }
    if let Some(r) = &fp.split_reason {
        o.ln(format!("# Note: {r}"));
    }
    if let Some(a) = &fp.existing {
        if fp.conflict.is_none() {
            o.ln(format!(
                "# Reuses the existing Intercom attribute `{}` ({}).",
                a.name, a.data_type
            ));
        }
    }
    if let Some(c) = &fp.conflict {
        o.ln(format!("# CONFLICT: {c}"));
    }
}

fn render_rule(o: &mut String, r: &FieldRule, departments: &[String]) {
    o.ln("[[fields]]");
    o.ln(format!("source = {}", value(&r.source)));
    o.ln(format!("target = {}", value(&r.target)));
    o.ln(format!("model = {}", value(&r.model)));
    o.ln(format!("type = {}", value(&r.field_type)));
    if !r.options.is_empty() {
        o.ln(format!("options = {}", value(&r.options)));
    }
    if !r.transforms.is_empty() {
        let items: Vec<String> = r.transforms.iter().map(render_transform).collect();
        o.ln(format!("transforms = [{}]", items.join(", ")));
    }
    if let Some(d) = &r.default {
        o.ln(format!("default = {}", value(d)));
    }
    if let Some(d) = &r.description {
        o.ln(format!("description = {}", value(d)));
    }
    if !departments.is_empty() {
        o.ln(format!("departments = {}", value(&departments)));
    }
}

/// `{ op = "…", … }` with `op` first (a plain table would sort it after other keys).
fn render_transform(t: &Transform) -> String {
    let rest = match t {
        Transform::Trim | Transform::Lowercase => String::new(),
        Transform::ParseDate { formats } => format!(", formats = {}", value(formats)),
        Transform::ParseNumber { decimal, thousands } => {
            let mut s = format!(", decimal = {}", value(decimal));
            if let Some(t) = thousands {
                s.push_str(&format!(", thousands = {}", value(t)));
            }
            s
        }
        Transform::Map { values, fallback } => {
            let mut s = format!(", values = {}", value(values));
            if let Some(f) = fallback {
                s.push_str(&format!(", fallback = {}", value(f)));
            }
            s
        }
        Transform::Split { separator } => format!(", separator = {}", value(separator)),
    };
    format!("{{ op = \"{}\"{rest} }}", t.op())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> DiscoveryFacts {
        DiscoveryFacts {
            custom_fields: vec![
                FieldFacts {
                    source: "field2".into(),
                    label: Some("Order number".into()),
                    samples: vec!["1001".into(), "1002".into(), "".into()],
                    ..Default::default()
                },
                FieldFacts {
                    source: "field3".into(),
                    label: None,
                    samples: ["gold", "silver", "gold", "silver"]
                        .map(String::from)
                        .to_vec(),
                    ..Default::default()
                },
                FieldFacts {
                    source: "field4".into(),
                    label: Some("תאריך".into()),
                    samples: vec!["31/01/2024".into(), "15/02/2024".into()],
                    ..Default::default()
                },
            ],
            intercom_attributes: vec![ExistingAttribute {
                model: TargetModel::Ticket,
                name: "order_number".into(),
                data_type: "string".into(),
            }],
            channels: vec![
                ChannelFacts {
                    channel: "WhatsApp".into(),
                    tickets: 3,
                },
                ChannelFacts {
                    channel: "Mail".into(),
                    tickets: 10,
                },
            ],
            customers: CustomerFacts::default(),
        }
    }

    #[test]
    fn missing_email_is_drafted_from_the_customers_seen_with_its_evidence() {
        let facts = |with_email, phone_only, neither| DiscoveryFacts {
            customers: CustomerFacts {
                total: with_email + phone_only + neither,
                with_email,
                phone_only,
                neither,
            },
            ..DiscoveryFacts::default()
        };
        let p = MappingSpec::proposal(&facts(10, 0, 0));
        assert_eq!(p.spec.policies.missing_email, MissingEmailPolicy::Queue);
        let p = MappingSpec::proposal(&facts(10, 4, 0));
        assert_eq!(
            p.spec.policies.missing_email,
            MissingEmailPolicy::LeadWithPhone
        );
        let text = p.to_toml();
        assert!(
            text.contains(
                "# Drafted from discovery: 4 of 14 customers seen have no valid e-mail address on"
            ),
            "{text}"
        );
        let p = MappingSpec::proposal(&facts(10, 4, 1));
        assert_eq!(
            p.spec.policies.missing_email,
            MissingEmailPolicy::ExternalIdFromGlassixId
        );
        assert!(
            p.missing_email_evidence
                .as_deref()
                .is_some_and(|e| e.contains("would queue the 1 with neither"))
        );
        assert_eq!(
            MappingSpec::from_toml_str(&p.to_toml())
                .unwrap()
                .policies
                .missing_email,
            MissingEmailPolicy::ExternalIdFromGlassixId
        );
    }

    #[test]
    fn proposal_infers_types_and_flags_conflicts() {
        let p = MappingSpec::proposal(&facts());
        assert!(!p.spec.is_confirmed());
        let f = &p.spec.fields;
        assert_eq!(
            (f[0].target.as_str(), f[0].field_type),
            ("order_number", FieldType::Integer)
        );
        assert_eq!(f[1].field_type, FieldType::List);
        assert_eq!(f[1].target, "glassix_field3");
        assert_eq!(f[1].options, vec!["gold", "silver"]);
        // A Hebrew label has no ASCII: the name falls back to the source.
        assert_eq!(f[2].target, "glassix_field4");
        assert_eq!(
            f[2].transforms[1],
            Transform::ParseDate {
                formats: vec!["%d/%m/%Y".into()]
            }
        );
        let conflicts: Vec<_> = p.conflicts().collect();
        assert_eq!(conflicts.len(), 1);
        assert!(
            conflicts[0]
                .conflict
                .as_ref()
                .unwrap()
                .contains("order_number")
        );
        assert_eq!(p.channels[0].channel, "Mail");
    }

    #[test]
    fn rendered_proposal_is_commented_and_parses_back() {
        let p = MappingSpec::proposal(&facts());
        let text = p.to_toml();
        assert!(text.contains("# CONFLICT:"), "{text}");
        assert!(text.contains("#   Mail: 10 tickets"));
        assert!(text.contains("# Examples: [\"gold\", \"silver\"]"));
        assert!(
            text.contains(
                r#"transforms = [{ op = "trim" }, { op = "parse_date", formats = ["%d/%m/%Y"] }]"#
            ),
            "{text}"
        );
        let back = MappingSpec::from_toml_str(&text).unwrap();
        assert_eq!(back, p.spec);
        // Every transform renders and parses back.
        let mut values = std::collections::BTreeMap::new();
        values.insert("A b".to_owned(), "x\"y".to_owned());
        let all = [
            Transform::Lowercase,
            Transform::Map {
                values,
                fallback: Some("z".into()),
            },
            Transform::Split {
                separator: ",".into(),
            },
        ];
        for t in all {
            let line = format!("v = [{}]", render_transform(&t));
            let parsed: toml::Table = toml::from_str(&line).unwrap();
            let back: Vec<Transform> = parsed["v"].clone().try_into().unwrap();
            assert_eq!(back, vec![t]);
        }
        assert_eq!(back.hash().unwrap(), p.spec.hash().unwrap());
    }

    fn department(name: &str, values: &[&str]) -> DepartmentValues {
        DepartmentValues {
            key: format!("key-{}", name.to_lowercase()),
            name: Some(name.to_owned()),
            stats: ValueStats::from_values(values),
        }
    }

    fn by_department(source: &str, departments: Vec<DepartmentValues>) -> FieldFacts {
        let mut all = Vec::new();
        for d in &departments {
            for v in &d.stats.top {
                for _ in 0..v.count {
                    all.push(v.value.clone());
                }
            }
        }
        FieldFacts {
            source: source.into(),
            label: None,
            samples: Vec::new(),
            stats: Some(ValueStats::from_values(&all)),
            departments,
        }
    }

    #[test]
    fn departments_that_disagree_get_one_rule_each_with_evidence() {
        let facts = DiscoveryFacts {
            custom_fields: vec![by_department(
                "field3",
                vec![
                    department(
                        "Billing",
                        &[
                            "31/01/2024",
                            "15/03/2024",
                            "01/02/2024",
                            "30/02/2024",
                            "",
                            "02/02/2024",
                            "17/05/2024",
                            "18/05/2024",
                            "19/05/2024",
                            "20/05/2024",
                            "21/05/2024",
                        ],
                    ),
                    department(
                        "Sales",
                        &[
                            "Pro",
                            "Basic",
                            "Pro",
                            "Pro",
                            "Basic",
                            "Enterprise",
                            "Enterprise",
                        ],
                    ),
                    department(
                        "Returns",
                        &[
                            "1.234,5",
                            "12.480,75",
                            "980,5",
                            "n/a",
                            "7",
                            "3.100,25",
                            "15,5",
                            "2,5",
                            "44,75",
                            "9,5",
                            "1,25",
                        ],
                    ),
                ],
            )],
            ..Default::default()
        };
        let p = MappingSpec::proposal(&facts);
        assert!(p.spec.fields.is_empty());
        let rules = &p.spec.department_fields;
        assert_eq!(rules.len(), 3);
        let summary: Vec<(&str, &str, FieldType)> = rules
            .iter()
            .map(|r| {
                (
                    r.departments[0].as_str(),
                    r.rule.target.as_str(),
                    r.rule.field_type,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Billing", "glassix_field3_billing", FieldType::Date),
                ("Sales", "glassix_field3_sales", FieldType::List),
                ("Returns", "glassix_field3_returns", FieldType::Float),
            ]
        );
        assert_eq!(rules[1].rule.options, ["Pro", "Basic", "Enterprise"]);
        assert_eq!(
            rules[2].rule.transforms[1],
            Transform::ParseNumber {
                decimal: ",".into(),
                thousands: Some(".".into())
            }
        );
        let text = p.to_toml();
        for needle in [
            "# field3 in Billing: 11 values (1 blank), 10 distinct → date.",
            "# Fails the type: 1 of 10 values (10.0%), e.g. \"30/02/2024\"; at run time they are queued as field items.",
            "# Fails the type: 1 of 11 values (9.1%), e.g. \"n/a\"",
            "# Fails the type: none of the 7 values examined.",
            "# Note: the departments read field3 differently (Billing: date %d/%m/%Y; Sales: list; Returns: float with separators `,.`)",
            "departments = [\"Returns\"]",
            "{ op = \"parse_number\", decimal = \",\", thousands = \".\" }",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        let back = MappingSpec::from_toml_str(&text).unwrap();
        assert_eq!(back, p.spec);
        assert_eq!(
            back.rules_for("key-sales", Some("Sales"))
                .map(|r| r.target.as_str())
                .collect::<Vec<_>>(),
            ["glassix_field3_sales"]
        );
    }

    #[test]
    fn departments_that_agree_share_one_rule_drawn_from_all_values() {
        let facts = DiscoveryFacts {
            custom_fields: vec![by_department(
                "field6",
                vec![
                    department("Billing", &["Gold", "Silver", "Gold", "Silver"]),
                    department("Sales", &["Gold", "Bronze", "Bronze", "Gold"]),
                ],
            )],
            ..Default::default()
        };
        let p = MappingSpec::proposal(&facts);
        assert!(p.spec.department_fields.is_empty());
        assert_eq!(p.spec.fields.len(), 1);
        let r = &p.spec.fields[0];
        assert_eq!(r.field_type, FieldType::List);
        assert_eq!(r.options, ["Gold", "Bronze", "Silver"]);
        assert!(
            p.to_toml()
                .contains("# field6: 8 values (0 blank), 3 distinct → list.")
        );
    }
}
