//! Semantic rules a TOML-valid spec must also satisfy.

use chrono::format::{Item, StrftimeItems};

use super::model::{
    AgentPolicy, DepartmentPolicy, FieldRule, FieldType, ObjectTargets, SPEC_VERSION, SpecToml,
    TargetModel, TicketTarget, Transform,
};
use super::parse::FieldPath;
use super::transform::{DECIMAL_SEPARATORS, THOUSANDS_SEPARATORS};

/// Every semantic problem, as (field path, message); paths index `fields` in file order.
pub(crate) fn validate(spec: &SpecToml) -> Vec<(FieldPath, String)> {
    let mut out = Vec::new();
    let root = FieldPath::root();
    if spec.version != SPEC_VERSION {
        out.push((
            root.key("version"),
            format!(
                "unsupported spec version {}; this build reads version {SPEC_VERSION}",
                spec.version
            ),
        ));
    }
    check_confirmation(spec, &root, &mut out);
    check_policies(spec, &root, &mut out);
    if spec.objects.tickets == TicketTarget::Tickets && spec.objects.ticket_type.trim().is_empty() {
        out.push((
            root.key("objects").key("ticket_type"),
            "must name the Intercom ticket type when tickets = \"tickets\"".into(),
        ));
    }
    for (i, rule) in spec.fields.iter().enumerate() {
        check_rule(
            &spec.objects,
            &rule.rule,
            &root.key("fields").index(i),
            &mut out,
        );
    }
    out.extend(super::scope::problems(&spec.fields, &root.key("fields")));
    out
}

fn check_confirmation(spec: &SpecToml, root: &FieldPath, out: &mut Vec<(FieldPath, String)>) {
    let c = &spec.confirmation;
    let path = root.key("confirmation");
    if c.confirmed {
        if c.confirmed_by
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            out.push((
                path.key("confirmed_by"),
                "confirmed = true needs confirmed_by (who reviewed the spec)".into(),
            ));
        }
        if c.confirmed_at.is_none() {
            out.push((
                path.key("confirmed_at"),
                "confirmed = true needs confirmed_at (an RFC 3339 timestamp, e.g. 2026-01-31T09:00:00Z)"
                    .into(),
            ));
        }
    }
    if let Some(h) = &c.content_hash {
        if h.len() != 64 || !h.chars().all(|ch| ch.is_ascii_hexdigit()) {
            out.push((
                path.key("content_hash"),
                format!(
                    "`{h}` is not a content hash (64 hexadecimal characters); confirm the spec \
                     again to write it, or remove the key"
                ),
            ));
        }
    }
}

fn check_policies(spec: &SpecToml, root: &FieldPath, out: &mut Vec<(FieldPath, String)>) {
    let p = root.key("policies");
    if let AgentPolicy::FallbackAdmin(id) = &spec.policies.unmatched_agent {
        if id.trim().is_empty() {
            out.push((
                p.key("unmatched_agent"),
                "fallback_admin needs an Intercom admin id".into(),
            ));
        }
    }
    if let DepartmentPolicy::FallbackTeam(id) = &spec.policies.unmatched_department {
        if id.trim().is_empty() {
            out.push((
                p.key("unmatched_department"),
                "fallback_team needs an Intercom team id".into(),
            ));
        }
    }
}

fn check_rule(
    objects: &ObjectTargets,
    rule: &FieldRule,
    path: &FieldPath,
    out: &mut Vec<(FieldPath, String)>,
) {
    if rule.source.trim().is_empty() {
        out.push((
            path.key("source"),
            "source must name a Glassix field".into(),
        ));
    }
    if rule.model != TargetModel::Tags {
        if rule.target.trim().is_empty() {
            out.push((
                path.key("target"),
                "target must name an Intercom attribute".into(),
            ));
        } else if !rule.target.is_ascii() || rule.target.contains(['.', '$']) {
            out.push((
                path.key("target"),
                format!(
                    "`{}` is not a valid Intercom attribute name: use ASCII without `.` or `$`",
                    rule.target
                ),
            ));
        }
    }
    match (rule.model, objects.tickets) {
        (TargetModel::Ticket, TicketTarget::Conversations) => out.push((
            path.key("model"),
            "model = \"ticket\" but objects.tickets = \"conversations\"; use model = \
             \"conversation\" or migrate tickets as tickets"
                .into(),
        )),
        (TargetModel::Conversation, TicketTarget::Tickets) => out.push((
            path.key("model"),
            "model = \"conversation\" but objects.tickets = \"tickets\"; use model = \"ticket\" \
             or migrate tickets as conversations"
                .into(),
        )),
        _ => {}
    }
    if rule.model == TargetModel::Tags && rule.field_type != FieldType::String {
        out.push((
            path.key("type"),
            "model = \"tags\" takes type = \"string\" (tag names)".into(),
        ));
    }
    match (rule.field_type, rule.options.len()) {
        (FieldType::List, 0 | 1) => out.push((
            path.key("options"),
            "type = \"list\" needs `options` with at least 2 values".into(),
        )),
        (FieldType::List, _) => {
            if rule.model == TargetModel::Ticket {
                if let Some(o) = rule.options.iter().find(|o| o.contains(',')) {
                    out.push((
                        path.key("options"),
                        format!(
                            "option `{o}` contains a comma: Intercom takes a ticket type's list \
                             items as one comma-separated string, so it would be split; rename \
                             the option (and map the value to it with a `map` transform) or use \
                             type = \"string\""
                        ),
                    ));
                }
            }
            let mut sorted: Vec<&String> = rule.options.iter().collect();
            sorted.sort();
            if sorted.windows(2).any(|w| w[0] == w[1]) {
                out.push((
                    path.key("options"),
                    "options contain a duplicate value".into(),
                ));
            }
        }
        (t, n) if n > 0 => out.push((
            path.key("options"),
            format!(
                "options only apply to type = \"list\", not \"{}\"",
                t.as_str()
            ),
        )),
        _ => {}
    }
    let n = rule.transforms.len();
    for (i, t) in rule.transforms.iter().enumerate() {
        let tp = path.key("transforms").index(i);
        match t {
            Transform::ParseDate { formats } => {
                if rule.field_type != FieldType::Date {
                    out.push((tp.clone(), "parse_date needs type = \"date\"".into()));
                }
                if formats.is_empty() {
                    out.push((
                        tp.key("formats"),
                        "parse_date needs at least one format".into(),
                    ));
                }
                for (j, f) in formats.iter().enumerate() {
                    if StrftimeItems::new(f).any(|item| matches!(item, Item::Error)) {
                        out.push((
                            tp.key("formats").index(j),
                            format!("`{f}` is not a valid chrono format (e.g. %d/%m/%Y)"),
                        ));
                    }
                }
                if i + 1 < n {
                    out.push((tp, "parse_date must be the last transform".into()));
                }
            }
            Transform::ParseNumber { decimal, thousands } => {
                if !matches!(rule.field_type, FieldType::Integer | FieldType::Float) {
                    out.push((
                        tp.clone(),
                        "parse_number needs type = \"integer\" or \"float\"".into(),
                    ));
                }
                let one_of = |s: &str, set: &[char]| {
                    let mut cs = s.chars();
                    matches!((cs.next(), cs.next()), (Some(c), None) if set.contains(&c))
                };
                if !one_of(decimal, &DECIMAL_SEPARATORS) {
                    out.push((
                        tp.key("decimal"),
                        format!("decimal must be \".\" or \",\", not `{decimal}`"),
                    ));
                }
                if let Some(t) = thousands {
                    if !one_of(t, &THOUSANDS_SEPARATORS) {
                        out.push((
                            tp.key("thousands"),
                            format!("thousands must be \",\", \".\", \" \" or \"'\", not `{t}`"),
                        ));
                    } else if t == decimal {
                        out.push((
                            tp.key("thousands"),
                            "thousands and decimal separators must differ".into(),
                        ));
                    }
                }
                if i + 1 < n {
                    out.push((tp, "parse_number must be the last transform".into()));
                }
            }
            Transform::Split { separator } => {
                if rule.model != TargetModel::Tags {
                    out.push((
                        tp.clone(),
                        "split is only allowed with model = \"tags\"".into(),
                    ));
                }
                if separator.is_empty() {
                    out.push((tp.key("separator"), "separator must not be empty".into()));
                }
                if i + 1 < n {
                    out.push((tp, "split must be the last transform".into()));
                }
            }
            Transform::Map { values, fallback } => {
                if values.is_empty() {
                    out.push((tp.key("values"), "map needs at least one value".into()));
                }
                if rule.field_type == FieldType::List && rule.options.len() >= 2 {
                    for v in values.values().chain(fallback.iter()) {
                        if !rule.options.contains(v) {
                            out.push((
                                tp.key("values"),
                                format!("maps to `{v}`, which is not one of the options"),
                            ));
                        }
                    }
                }
            }
            Transform::Trim | Transform::Lowercase => {}
        }
    }
    if let Some(d) = &rule.default {
        let mut bare = rule.clone();
        bare.transforms.clear();
        if let Err(e) = bare.apply(Some(d)) {
            out.push((path.key("default"), e.message));
        }
    }
}
