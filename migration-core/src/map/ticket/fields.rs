//! Ticket-level values: built-in attributes, metrics, CSAT, field rules and the final state.

use chrono::{DateTime, TimeDelta, Utc};
use glassix_client::models::{DynamicParameterType, Ticket, TicketState};
use intercom_client::models::CustomAttributes;
use serde_json::Value;

use super::plan::TargetState;
use crate::map::attributes::{
    ATTR_AGENT_MESSAGES, ATTR_AVG_RESPONSE_NET, ATTR_CHANNEL, ATTR_CSAT, ATTR_CSAT_COMMENT,
    ATTR_CUSTOMER_MESSAGES, ATTR_DEPARTMENT, ATTR_DURATION, ATTR_DURATION_NET, ATTR_FIRST_RESPONSE,
    ATTR_FIRST_RESPONSE_NET, ATTR_QUEUE_TIME, ATTR_RESOLUTION, ATTR_TICKET_ID, RuleOutput,
    apply_rules, read_path,
};
use crate::map::context::{MapContext, StateCategory, guid_key};
use crate::map::outcome::{FieldNote, MapReason};
use crate::spec::TargetModel;

/// Built-in attributes: ids, department, channel, metrics and CSAT.
pub(super) fn builtin_attributes(ticket: &Ticket, ctx: &MapContext<'_>) -> CustomAttributes {
    let mut a = CustomAttributes::new();
    a.insert(ATTR_TICKET_ID.into(), Value::from(ticket.id));
    let dept = guid_key(ticket.department_id);
    a.insert(
        ATTR_DEPARTMENT.into(),
        Value::from(ctx.directory.department_path(&dept).unwrap_or(dept)),
    );
    a.insert(
        ATTR_CHANNEL.into(),
        Value::from(ticket.primary_protocol_type.as_str()),
    );
    let secs = |d: Option<TimeDelta>| d.map(|d| Value::from(d.num_seconds()));
    for (name, value) in [
        (
            ATTR_FIRST_RESPONSE,
            secs(ticket.first_agent_response_time_gross),
        ),
        (
            ATTR_FIRST_RESPONSE_NET,
            secs(ticket.first_agent_response_time_net),
        ),
        (ATTR_QUEUE_TIME, secs(ticket.queue_time_gross)),
        (ATTR_DURATION, secs(ticket.duration_gross)),
        (ATTR_DURATION_NET, secs(ticket.duration_net)),
        (
            ATTR_AVG_RESPONSE_NET,
            secs(ticket.agent_response_average_time_net),
        ),
        (ATTR_RESOLUTION, resolution(ticket).map(Value::from)),
        (
            ATTR_AGENT_MESSAGES,
            Some(Value::from(ticket.agent_messages_count)),
        ),
        (
            ATTR_CUSTOMER_MESSAGES,
            Some(Value::from(ticket.customer_messages_count)),
        ),
    ] {
        if let Some(v) = value {
            a.insert(name.into(), v);
        }
    }
    let (rating, comment) = csat(ticket);
    if let Some(r) = rating {
        a.insert(ATTR_CSAT.into(), Value::from(r));
    }
    if let Some(c) = comment {
        a.insert(ATTR_CSAT_COMMENT.into(), Value::from(c));
    }
    a
}

fn resolution(ticket: &Ticket) -> Option<i64> {
    if ticket.state != TicketState::Closed {
        return None;
    }
    let (open, close): (DateTime<Utc>, DateTime<Utc>) = (ticket.open?, ticket.close?);
    (close >= open).then(|| (close - open).num_seconds())
}

/// CSAT from survey answers, when the ticket record carries them (`surveys[]` or `survey`; no
/// documented pull endpoint returns them, but webhook-fed snapshots may).
fn csat(ticket: &Ticket) -> (Option<i64>, Option<String>) {
    let answers: Vec<&Value> = match (ticket.extra.get("surveys"), ticket.extra.get("survey")) {
        (Some(Value::Array(items)), _) => items.iter().collect(),
        (_, Some(v @ Value::Object(_))) => vec![v],
        _ => Vec::new(),
    };
    let mut rating = None;
    let mut comment = None;
    for a in answers {
        let kind = a
            .get("questionType")
            .and_then(Value::as_str)
            .unwrap_or("Rating");
        let value = match a.get("value") {
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        if kind.eq_ignore_ascii_case("rating") && rating.is_none() {
            rating = value.parse::<i64>().ok();
        } else if kind.eq_ignore_ascii_case("text") && comment.is_none() && !value.is_empty() {
            comment = Some(value);
        }
    }
    (rating, comment)
}

/// Applies the ticket/conversation and tags rules to the ticket.
pub(super) fn rule_values(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    model: TargetModel,
) -> Result<RuleOutput, MapReason> {
    // Serialised once, and only when a rule reads a generic path.
    let mut record: Option<Value> = None;
    let key = guid_key(ticket.department_id);
    let name = ctx.directory.departments.get(&key).map(|d| d.name.trim());
    apply_rules(
        ctx.spec.rules_for(&key, name),
        &[model, TargetModel::Tags],
        ctx.directory,
        ctx.spec.policies.invalid_value,
        |rule| {
            let src = rule.source.as_str();
            if src.starts_with("contact.") {
                return None; // contact fields are written by the contact mapper
            }
            if let Some(name) = src.strip_prefix("dynamicParameters.") {
                return dynamic_parameter(ticket, name);
            }
            if src == "ticketSummary" {
                return ticket.ticket_summary.as_ref().map(|s| s.value.clone());
            }
            let record = record.get_or_insert_with(|| readable_record(ticket));
            read_path(record, src)
        },
    )
}

/// The ticket as a generic path reads it: its JSON with the history (`transactions`,
/// `activityLogs`, arrays of objects) as `null`. [`read_path`] never goes into an array's
/// items, so neither could answer a rule, and converting the history was most of the
/// conversion's cost (a whole ticket's messages, per ticket). The keys stay, as `null`, so that
/// a path naming them still stops there and never falls back to a key in another case. (The
/// copy still copies the history before it is dropped; that costs a fraction of converting it.)
fn readable_record(ticket: &Ticket) -> Value {
    let head = Ticket {
        transactions: None,
        activity_logs: None,
        ..ticket.clone()
    };
    let mut record = serde_json::to_value(&head).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut record {
        for (key, present) in [
            ("transactions", ticket.transactions.is_some()),
            ("activityLogs", ticket.activity_logs.is_some()),
        ] {
            if present {
                map.insert(key.to_owned(), Value::Null);
            }
        }
    }
    record
}

fn dynamic_parameter(ticket: &Ticket, name: &str) -> Option<String> {
    let p = ticket
        .dynamic_parameters
        .iter()
        .rev() // the latest value wins
        .find(|p| p.name.eq_ignore_ascii_case(name))?;
    Some(match p.kind {
        DynamicParameterType::Number => {
            if p.num_value != 0.0 {
                p.num_value.to_string()
            } else {
                p.int_value.to_string()
            }
        }
        DynamicParameterType::Boolean => p.bool_value.to_string(),
        _ => p.str_value.clone(),
    })
}

/// The final state for a conversation, with notes for what has no exact equivalent.
pub(super) fn conversation_state(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    notes: &mut Vec<FieldNote>,
) -> TargetState {
    match &ticket.state {
        TicketState::Open => TargetState::Open,
        TicketState::Closed => TargetState::Closed,
        TicketState::Pending => {
            notes.push(FieldNote::info(
                "state",
                "Pending (waiting on the customer) has no conversation state: left open",
            ));
            TargetState::Open
        }
        TicketState::Snoozed => snoozed(ctx, notes),
        other => {
            notes.push(FieldNote::warning(
                "state",
                format!("unknown state `{other}`: left open"),
            ));
            TargetState::Open
        }
    }
}

fn snoozed(ctx: &MapContext<'_>, notes: &mut Vec<FieldNote>) -> TargetState {
    notes.push(FieldNote::warning(
        "state",
        "Glassix does not expose when a snooze ends: snoozed for 24 hours from the run",
    ));
    TargetState::Snoozed {
        until: (ctx.now + TimeDelta::hours(24)).timestamp(),
    }
}

/// The final state and state category for a ticket.
pub(super) fn ticket_state(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    notes: &mut Vec<FieldNote>,
) -> (TargetState, StateCategory) {
    let replied = ticket.first_agent_message_date_time.is_some() || ticket.agent_messages_count > 0;
    match &ticket.state {
        TicketState::Closed => (TargetState::Closed, StateCategory::Resolved),
        TicketState::Pending => (TargetState::Open, StateCategory::WaitingOnCustomer),
        TicketState::Snoozed => (snoozed(ctx, notes), StateCategory::InProgress),
        TicketState::Open if replied => (TargetState::Open, StateCategory::InProgress),
        TicketState::Open => (TargetState::Open, StateCategory::Submitted),
        other => {
            notes.push(FieldNote::warning(
                "state",
                format!("unknown state `{other}`: left submitted"),
            ));
            (TargetState::Open, StateCategory::Submitted)
        }
    }
}

/// Notes for ticket data that has no destination unless a field rule maps it.
pub(super) fn unmapped_notes(ticket: &Ticket, ctx: &MapContext<'_>, notes: &mut Vec<FieldNote>) {
    let mapped = |src: &str| ctx.spec.all_rules().any(|r| r.source == src);
    if let Some(d) = &ticket.details {
        let mut lost = Vec::new();
        for (name, v) in [
            ("details.userAgent", &d.user_agent),
            ("details.ipAddress", &d.ip_address),
            ("details.location", &d.location),
            ("details.cardsPath", &d.cards_path),
        ] {
            if !v.trim().is_empty() && !mapped(name) {
                lost.push(name);
            }
        }
        if d.referral
            .as_ref()
            .is_some_and(|r| r.utm_parameters.is_some())
            && !mapped("details.referral.utmParameters")
        {
            lost.push("details.referral.utmParameters");
        }
        if !lost.is_empty() {
            notes.push(FieldNote::info(
                "details",
                format!(
                    "not copied (add a field rule to keep them): {}",
                    lost.join(", ")
                ),
            ));
        }
    }
    for i in 2..=10 {
        let name = format!("field{i}");
        let value = match i {
            2 => &ticket.field2,
            3 => &ticket.field3,
            4 => &ticket.field4,
            5 => &ticket.field5,
            6 => &ticket.field6,
            7 => &ticket.field7,
            8 => &ticket.field8,
            9 => &ticket.field9,
            _ => &ticket.field10,
        };
        if !value.trim().is_empty() && !mapped(&name) {
            notes.push(FieldNote::warning(
                name,
                "has a value but no field rule: not copied (add a rule to the mapping spec)",
            ));
        }
    }
    if !ticket.dynamic_parameters.is_empty() {
        let unmapped: Vec<&str> = ticket
            .dynamic_parameters
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| !mapped(&format!("dynamicParameters.{n}")))
            .collect();
        if !unmapped.is_empty() {
            notes.push(FieldNote::info(
                "dynamicParameters",
                format!(
                    "chatbot values not copied (listed in the automation inventory; add \
                     `dynamicParameters.<name>` rules to keep them): {}",
                    unmapped.join(", ")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use glassix_client::models::Ticket;

    use super::readable_record;
    use crate::map::attributes::read_path;
    use crate::map::tests::{attachment, decode_ticket, priya, ticket, tx};

    /// The readable record is the ticket's JSON with its history as `null`, and every path reads
    /// from it what it read from the whole ticket: the history (arrays of objects) answered
    /// none, and a key in another case (`Transactions`, kept in `extra`) is not reached by a
    /// path naming the history.
    #[test]
    fn the_readable_record_is_the_ticket_without_its_history_and_reads_the_same() {
        let mut with_files = tx(2, 2, "Message", priya(), "files");
        with_files["attachments"] = serde_json::json!([attachment(9, "a.pdf")]);
        let mut raw = ticket(vec![tx(1, 1, "Message", priya(), "hello"), with_files]);
        raw["activityLogs"] =
            serde_json::json!([{"state": "Open", "changedOn": "2025-03-04T08:00:00Z"}]);
        raw["Transactions"] = serde_json::json!("a key in another case");
        let t = decode_ticket(raw);
        assert_eq!(t.transactions().len(), 2);
        let whole = serde_json::to_value(&t).unwrap();
        let readable = readable_record(&t);
        let mut expected = whole.clone();
        let map = expected.as_object_mut().unwrap();
        assert!(map.insert("transactions".into(), Value::Null).is_some());
        assert!(map.insert("activityLogs".into(), Value::Null).is_some());
        assert_eq!(readable, expected);
        let paths = [
            "field1",
            "tags",
            "state",
            "owner.UserName",
            "participants",
            "transactions",
            "transactions.0",
            "transactions.0.text",
            "activityLogs",
            "activityLogs.state",
            "Transactions",
            "nothing",
        ];
        for p in paths {
            assert_eq!(read_path(&readable, p), read_path(&whole, p), "path {p}");
        }
        assert_eq!(
            read_path(&readable, "field1").as_deref(),
            Some("Where is my order?")
        );
        assert_eq!(read_path(&readable, "transactions"), None);
        assert_eq!(
            read_path(&readable, "Transactions").as_deref(),
            Some("a key in another case")
        );
        // A ticket without history (as listed) gives exactly its JSON.
        let listed = Ticket {
            transactions: None,
            ..decode_ticket(ticket(vec![]))
        };
        assert_eq!(
            readable_record(&listed),
            serde_json::to_value(&listed).unwrap()
        );
    }
}
