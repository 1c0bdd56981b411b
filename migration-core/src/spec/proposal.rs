//! Building a first-draft spec from what discovery saw, and rendering it as commented TOML.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::infer::{Inference, infer_type};
use super::model::{
    FieldRule, FieldType, MappingSpec, ObjectTargets, TargetModel, TicketTarget, Transform,
};

/// What discovery learned, in plain types. The discovery stage (a later phase) fills it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiscoveryFacts {
    /// Glassix custom fields with sampled values.
    pub custom_fields: Vec<FieldFacts>,
    /// Attributes that already exist in the Intercom workspace.
    pub intercom_attributes: Vec<ExistingAttribute>,
    /// Channels (Glassix protocol types) seen on tickets.
    pub channels: Vec<ChannelFacts>,
}

/// One Glassix custom field and values sampled from tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldFacts {
    /// Source path, e.g. `field2`.
    pub source: String,
    /// A human label if one is known (the Glassix API does not expose labels for `field2..10`).
    pub label: Option<String>,
    /// Sampled raw values, as text (blank values are allowed and ignored).
    pub samples: Vec<String>,
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
    /// Index of the rule in `Proposal::spec.fields`.
    pub rule_index: usize,
    /// The inference that produced the rule.
    pub inference: Inference,
    /// Up to five sample values shown to the reviewer.
    pub examples: Vec<String>,
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
    /// One entry per proposed field rule.
    pub fields: Vec<FieldProposal>,
    /// Channels seen, most used first.
    pub channels: Vec<ChannelFacts>,
}

impl Proposal {
    /// The field proposals that conflict with an existing Intercom attribute.
    pub fn conflicts(&self) -> impl Iterator<Item = &FieldProposal> {
        self.fields.iter().filter(|f| f.conflict.is_some())
    }
}

/// `field2` / "Order number" → an Intercom-safe attribute name.
pub(crate) fn attribute_name(facts: &FieldFacts) -> String {
    let clean = |s: &str| {
        let mut out = String::new();
        for c in s.trim().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
        }
        out.trim_end_matches('_').to_owned()
    };
    match facts.label.as_deref().map(clean) {
        Some(l) if !l.is_empty() => l,
        _ => format!("glassix_{}", clean(&facts.source)),
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
    let mut fields = Vec::new();
    for f in &facts.custom_fields {
        let inference = infer_type(&f.samples);
        let target = attribute_name(f);
        let mut transforms = vec![Transform::Trim];
        if inference.field_type == FieldType::Date {
            transforms.push(Transform::ParseDate {
                formats: inference.date_formats.clone(),
            });
        }
        let existing = facts
            .intercom_attributes
            .iter()
            .find(|a| a.model == model && a.name.eq_ignore_ascii_case(&target))
            .cloned();
        let conflict = existing.as_ref().and_then(|a| {
            (!inference.field_type.compatible_with(&a.data_type)).then(|| {
                format!(
                    "Intercom already has a {} attribute `{}` of type {}, which cannot hold {} \
                     values (Intercom cannot change an attribute's type); rename the target or \
                     change the type",
                    a.model.as_str(),
                    a.name,
                    a.data_type,
                    inference.field_type.as_str()
                )
            })
        });
        let mut examples: Vec<String> = Vec::new();
        for s in f.samples.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if examples.len() < 5 && !examples.iter().any(|e| e == s) {
                examples.push(s.to_owned());
            }
        }
        spec.fields.push(FieldRule {
            source: f.source.clone(),
            target,
            model,
            field_type: inference.field_type,
            options: inference.options.clone(),
            transforms,
            default: None,
            description: Some(match &f.label {
                Some(l) => format!("Glassix {} ({l})", f.source),
                None => format!("Glassix {}", f.source),
            }),
        });
        fields.push(FieldProposal {
            rule_index: spec.fields.len() - 1,
            inference,
            examples,
            existing,
            conflict,
        });
    }
    let mut channels = facts.channels.clone();
    channels.sort_by(|a, b| b.tickets.cmp(&a.tickets).then(a.channel.cmp(&b.channel)));
    Proposal {
        spec,
        fields,
        channels,
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
        let _ = writeln!(o, "# Glassix → Intercom mapping spec (proposal).");
        let _ = writeln!(
            o,
            "# Generated from discovery. Review every rule, edit what is wrong,"
        );
        let _ = writeln!(
            o,
            "# then confirm it in [confirmation]. Nothing moves until you do."
        );
        let _ = writeln!(o, "version = {}\n", s.version);
        let _ = writeln!(o, "[confirmation]");
        let _ = writeln!(
            o,
            "# After review set confirmed = true and fill in who and when, e.g."
        );
        let _ = writeln!(o, "#   confirmed_by = \"ops@example.com\"");
        let _ = writeln!(o, "#   confirmed_at = 2026-01-31T09:00:00Z");
        let _ = writeln!(o, "confirmed = {}\n", s.confirmation.confirmed);
        let _ = writeln!(o, "[objects]");
        let _ = writeln!(
            o,
            "# \"tickets\" (Intercom tickets of `ticket_type`) or \"conversations\"."
        );
        let _ = writeln!(o, "tickets = {}", value(&s.objects.tickets));
        let _ = writeln!(o, "ticket_type = {}\n", value(&s.objects.ticket_type));
        let p = &s.policies;
        let _ = writeln!(o, "[policies]");
        let _ = writeln!(
            o,
            "# Contact without e-mail: \"queue\" | \"lead_with_phone\" | \"external_id_from_glassix_id\""
        );
        let _ = writeln!(o, "missing_email = {}", value(&p.missing_email));
        let _ = writeln!(
            o,
            "# Agent without an Intercom admin: \"queue\" or {{ fallback_admin = \"<admin id>\" }}"
        );
        let _ = writeln!(o, "unmatched_agent = {}", value(&p.unmatched_agent));
        let _ = writeln!(
            o,
            "# Department without an Intercom team: \"queue\" or {{ fallback_team = \"<team id>\" }}"
        );
        let _ = writeln!(
            o,
            "unmatched_department = {}",
            value(&p.unmatched_department)
        );
        let _ = writeln!(
            o,
            "# Canned replies: \"skip\" | \"articles\" | \"inventory\""
        );
        let _ = writeln!(o, "canned_replies = {}", value(&p.canned_replies));
        let _ = writeln!(o, "# Attachments: \"upload\" | \"link\" | \"skip\"");
        let _ = writeln!(o, "attachments = {}", value(&p.attachments));
        let _ = writeln!(o, "# E-mail HTML: \"sanitize\"");
        let _ = writeln!(o, "html = {}", value(&p.html));
        if !self.channels.is_empty() {
            let _ = writeln!(o, "\n# Channels seen on tickets:");
            for c in &self.channels {
                let _ = writeln!(o, "#   {}: {} tickets", c.channel, c.tickets);
            }
        }
        let _ = writeln!(
            o,
            "\n# Field rules. type: string | integer | float | boolean | date | list."
        );
        let _ = writeln!(
            o,
            "# transforms: trim, lowercase, parse_date{{formats}}, map{{values, fallback}}, split{{separator}}."
        );
        for (i, rule) in s.fields.iter().enumerate() {
            let _ = writeln!(o);
            if let Some(fp) = self.fields.iter().find(|f| f.rule_index == i) {
                let inf = &fp.inference;
                let _ = writeln!(
                    o,
                    "# {}: {} samples, {} distinct → {}.",
                    rule.source,
                    inf.samples,
                    inf.distinct,
                    inf.field_type.as_str()
                );
                if !fp.examples.is_empty() {
                    let _ = writeln!(o, "# Examples: {}", value(&fp.examples));
                }
                if let Some(r) = &inf.remark {
                    let _ = writeln!(o, "# Note: {r}");
                }
                if let Some(a) = &fp.existing {
                    if fp.conflict.is_none() {
                        let _ = writeln!(
                            o,
                            "# Reuses the existing Intercom attribute `{}` ({}).",
                            a.name, a.data_type
                        );
                    }
                }
                if let Some(c) = &fp.conflict {
                    let _ = writeln!(o, "# CONFLICT: {c}");
                }
            }
            render_rule(&mut o, rule);
        }
        o
    }
}

fn render_rule(o: &mut String, r: &FieldRule) {
    let _ = writeln!(o, "[[fields]]");
    let _ = writeln!(o, "source = {}", value(&r.source));
    let _ = writeln!(o, "target = {}", value(&r.target));
    let _ = writeln!(o, "model = {}", value(&r.model));
    let _ = writeln!(o, "type = {}", value(&r.field_type));
    if !r.options.is_empty() {
        let _ = writeln!(o, "options = {}", value(&r.options));
    }
    if !r.transforms.is_empty() {
        let items: Vec<String> = r.transforms.iter().map(render_transform).collect();
        let _ = writeln!(o, "transforms = [{}]", items.join(", "));
    }
    if let Some(d) = &r.default {
        let _ = writeln!(o, "default = {}", value(d));
    }
    if let Some(d) = &r.description {
        let _ = writeln!(o, "description = {}", value(d));
    }
}

/// `{ op = "…", … }` with `op` first (a plain table would sort it after other keys).
fn render_transform(t: &Transform) -> String {
    let rest = match t {
        Transform::Trim | Transform::Lowercase => String::new(),
        Transform::ParseDate { formats } => format!(", formats = {}", value(formats)),
        Transform::Map { values, fallback } => {
            let mut s = format!(", values = {}", value(values));
            if let Some(f) = fallback {
                let _ = write!(s, ", fallback = {}", value(f));
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
                },
                FieldFacts {
                    source: "field3".into(),
                    label: None,
                    samples: ["gold", "silver", "gold", "silver"]
                        .map(String::from)
                        .to_vec(),
                },
                FieldFacts {
                    source: "field4".into(),
                    label: Some("תאריך".into()),
                    samples: vec!["31/01/2024".into(), "15/02/2024".into()],
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
        }
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
}
