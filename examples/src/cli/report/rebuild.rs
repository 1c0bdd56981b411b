//! The reports rebuild guide: each Glassix metric the migration carries, where it lives in
//! Intercom, and how to rebuild the equivalent report in Intercom's reporting
//! (`reports-rebuild.md` and a section of `report.html`).

use std::fmt::Write as _;

use migration_core::map::{
    ATTR_AGENT_MESSAGES, ATTR_AVG_RESPONSE_NET, ATTR_CHANNEL, ATTR_CHANNEL_PREFERENCE, ATTR_CSAT,
    ATTR_CSAT_COMMENT, ATTR_CUSTOMER_MESSAGES, ATTR_DEPARTMENT, ATTR_DURATION, ATTR_DURATION_NET,
    ATTR_FIRST_RESPONSE, ATTR_FIRST_RESPONSE_NET, ATTR_ORIGINAL_ID, ATTR_QUEUE_TIME,
    ATTR_RESOLUTION, ATTR_TICKET_ID, AttributeModel, ticket_attribute_model,
};
use migration_core::spec::{MappingSpec, TargetModel};
use serde::Serialize;

/// Where the ticket-level attributes live, as far as the report knows the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketModel {
    /// Attributes of the migration's ticket type (`objects.tickets = "tickets"`).
    TicketType,
    /// Conversation attributes (`objects.tickets = "conversations"`).
    Conversation,
    /// The spec could not be read: either.
    Unknown,
}

impl TicketModel {
    /// From the spec, when it could be read.
    pub fn of(spec: Option<&MappingSpec>) -> Self {
        match spec.map(ticket_attribute_model) {
            Some(AttributeModel::TicketType) => TicketModel::TicketType,
            Some(AttributeModel::Conversation) => TicketModel::Conversation,
            _ => TicketModel::Unknown,
        }
    }

    fn holder(self) -> &'static str {
        match self {
            TicketModel::TicketType => "ticket attribute (migration ticket type)",
            TicketModel::Conversation => "conversation attribute",
            TicketModel::Unknown => "ticket or conversation attribute (per `objects.tickets`)",
        }
    }

    fn dataset(self) -> &'static str {
        match self {
            TicketModel::TicketType => "Tickets",
            TicketModel::Conversation => "Conversations",
            TicketModel::Unknown => "Tickets (or Conversations)",
        }
    }
}

/// One Glassix metric and how to rebuild its report in Intercom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuildRow {
    /// The Glassix metric or dimension.
    pub metric: String,
    /// Where Glassix keeps it.
    pub glassix: String,
    /// The Intercom attribute or native field that holds it after the migration.
    pub intercom: String,
    /// What kind of field that is.
    pub holder: String,
    /// Intercom's own metric of the same name, if any, and how it relates.
    pub native: String,
    /// How to build the equivalent report.
    pub how: String,
}

/// How to chart or aggregate one attribute, by its kind.
fn how_numeric(dataset: &str, attr: &str) -> String {
    format!(
        "Filter or segment a {dataset} chart by `{attr}` (Reports → Custom reports → Add chart; \
         custom charts need a plan with custom reports). For averages and medians of the \
         seconds, export the {dataset} dataset with `{attr}` (Reports → export, or the \
         reporting data export API) and aggregate in a spreadsheet or BI tool."
    )
}

fn how_dimension(dataset: &str, attr: &str) -> String {
    format!(
        "Any {dataset} chart (e.g. volume over time) segmented or filtered by `{attr}` \
         (Reports → Custom reports → Add chart → Segment by / Filter)."
    )
}

/// Every metric the migration carries, for the spec's ticket model, then the spec's own field
/// rules.
pub fn rows(spec: Option<&MappingSpec>) -> Vec<RebuildRow> {
    let model = TicketModel::of(spec);
    let ds = model.dataset();
    let t = model.holder();
    let row = |metric: &str, glassix: &str, attr: &str, holder: &str, native: &str, how: String| {
        RebuildRow {
            metric: metric.to_owned(),
            glassix: glassix.to_owned(),
            intercom: attr.to_owned(),
            holder: holder.to_owned(),
            native: native.to_owned(),
            how,
        }
    };
    let imported_native = "Intercom computes it only from events that happen in Intercom; the \
                           imported history does not feed it (do not compare the two directly)";
    let mut out = vec![
        row(
            "Ticket volume over time",
            "ticket `open`",
            "created_at",
            "native field (back-dated on import)",
            "Conversation / ticket volume",
            format!(
                "A {ds} volume chart over time; imported items carry their Glassix creation \
                 time; filter on `{ATTR_TICKET_ID}` \"is set\" to tell imported items from new ones."
            ),
        ),
        row(
            "Ticket id",
            "ticket `id`",
            ATTR_TICKET_ID,
            t,
            "none",
            format!(
                "Find a migrated item by its Glassix id: inbox search or the search API on \
                 `custom_attributes.{ATTR_TICKET_ID}`; filter charts on \"is set\" to isolate \
                 imported history."
            ),
        ),
        row(
            "Tickets by department",
            "`departmentId` (name path)",
            ATTR_DEPARTMENT,
            t,
            "Team assigned (when the department maps to a team)",
            how_dimension(ds, ATTR_DEPARTMENT),
        ),
        row(
            "Tickets by channel",
            "`primaryProtocolType`",
            ATTR_CHANNEL,
            t,
            "Channel / source (cannot be set on import: imported items do not show their \
             Glassix channel there)",
            how_dimension(ds, ATTR_CHANNEL),
        ),
        row(
            "Tickets by agent",
            "ticket `owner`",
            "admin assignee",
            "native field",
            "Teammate assigned",
            format!(
                "A {ds} chart segmented by teammate assigned (agents without a teammate are \
                 assigned to the fallback admin: see the lossy notes on `owner`)."
            ),
        ),
        row(
            "Tickets by tag",
            "ticket `tags`",
            "tags",
            "native field",
            "Tag",
            format!("A {ds} chart segmented or filtered by tag."),
        ),
        row(
            "First response time",
            "`firstAgentResponseTimeGross`",
            ATTR_FIRST_RESPONSE,
            &format!("{t}, integer seconds"),
            &format!("First response time: {imported_native}"),
            how_numeric(ds, ATTR_FIRST_RESPONSE),
        ),
        row(
            "First response time in business hours",
            "`firstAgentResponseTimeNet`",
            ATTR_FIRST_RESPONSE_NET,
            &format!("{t}, integer seconds"),
            &format!("First response time within office hours: {imported_native}"),
            how_numeric(ds, ATTR_FIRST_RESPONSE_NET),
        ),
        row(
            "Average response time in business hours",
            "`agentResponseAverageTimeNet`",
            ATTR_AVG_RESPONSE_NET,
            &format!("{t}, integer seconds"),
            &format!("Response time: {imported_native}"),
            how_numeric(ds, ATTR_AVG_RESPONSE_NET),
        ),
        row(
            "Time in queue",
            "`queueTimeGross`",
            ATTR_QUEUE_TIME,
            &format!("{t}, integer seconds"),
            "no direct equivalent",
            how_numeric(ds, ATTR_QUEUE_TIME),
        ),
        row(
            "Resolution time",
            "`close − open` (closed tickets)",
            ATTR_RESOLUTION,
            &format!("{t}, integer seconds"),
            &format!("Time to close: {imported_native}"),
            how_numeric(ds, ATTR_RESOLUTION),
        ),
        row(
            "Ticket duration",
            "`durationGross`",
            ATTR_DURATION,
            &format!("{t}, integer seconds"),
            &format!("Time to close: {imported_native}"),
            how_numeric(ds, ATTR_DURATION),
        ),
        row(
            "Ticket duration in business hours",
            "`durationNet`",
            ATTR_DURATION_NET,
            &format!("{t}, integer seconds"),
            &format!("Time to close within office hours: {imported_native}"),
            how_numeric(ds, ATTR_DURATION_NET),
        ),
        row(
            "Agent messages",
            "`agentMessagesCount`",
            ATTR_AGENT_MESSAGES,
            &format!("{t}, integer"),
            &format!("Number of teammate replies: {imported_native}"),
            how_numeric(ds, ATTR_AGENT_MESSAGES),
        ),
        row(
            "Customer messages",
            "`customerMessagesCount`",
            ATTR_CUSTOMER_MESSAGES,
            &format!("{t}, integer"),
            "no direct equivalent",
            how_numeric(ds, ATTR_CUSTOMER_MESSAGES),
        ),
        row(
            "CSAT rating",
            "survey answers on the ticket record (rating 1–5), when present",
            ATTR_CSAT,
            &format!("{t}, integer"),
            "Conversation rating (set only by customers rating in Intercom; not writable \
             through the API)",
            how_numeric(ds, ATTR_CSAT),
        ),
        row(
            "CSAT comment",
            "survey answers on the ticket record (text), when present",
            ATTR_CSAT_COMMENT,
            &format!("{t}, text"),
            "Conversation rating remark (likewise)",
            format!("Filter a {ds} chart on `{ATTR_CSAT_COMMENT}` is set, or export it."),
        ),
        row(
            "Customers by Glassix id",
            "contact `id`",
            ATTR_ORIGINAL_ID,
            "contact attribute",
            "none",
            "People → filter on the attribute; the search API on contacts by custom attribute."
                .to_owned(),
        ),
        row(
            "Customers by preferred channel",
            "the channel the customer used most",
            ATTR_CHANNEL_PREFERENCE,
            "contact attribute",
            "none",
            "People → filter or segment on the attribute; or a chart filtered by this user \
             attribute."
                .to_owned(),
        ),
    ];
    if let Some(spec) = spec {
        for rule in &spec.fields {
            let (holder, how) = match rule.model {
                TargetModel::Tags => (
                    "tags (prefix)".to_owned(),
                    format!(
                        "A {ds} chart filtered or segmented by the tags `{}…`.",
                        rule.target
                    ),
                ),
                TargetModel::Contact => (
                    format!("contact attribute, {}", rule.field_type.as_str()),
                    "People → filter on the attribute.".to_owned(),
                ),
                TargetModel::Ticket | TargetModel::Conversation => (
                    format!("{t}, {}", rule.field_type.as_str()),
                    how_dimension(ds, &rule.target),
                ),
            };
            out.push(RebuildRow {
                metric: format!("Custom field `{}`", rule.source),
                glassix: format!("`{}` (field rule of the spec)", rule.source),
                intercom: rule.target.clone(),
                holder,
                native: "none".to_owned(),
                how,
            });
        }
    }
    out
}

/// `reports-rebuild.md`.
pub fn to_markdown(rows: &[RebuildRow], spec_read: bool) -> String {
    let mut out = String::from(
        "# Rebuilding Glassix's reports in Intercom\n\n\
         The migration carries each Glassix metric as an attribute of the imported ticket or \
         conversation (or contact), because Intercom computes its own metrics only from what \
         happens in Intercom. Build the equivalent reports from these attributes: Reports → \
         Custom reports → New report → Add chart, then filter or segment by the attribute \
         (custom charts need a plan that includes custom reports). For sums, averages and \
         medians of a number attribute, export the dataset (Reports → export, or the \
         reporting data export API `POST /export/reporting_data/enqueue`) and aggregate it in \
         a spreadsheet or BI tool.\n\n",
    );
    if !spec_read {
        out.push_str(
            "The mapping spec could not be read, so the spec's own field rules are not listed \
             and the attribute holder is given for both ticket models.\n\n",
        );
    }
    out.push_str(
        "| Glassix metric | In Glassix | In Intercom | Holder | Intercom's native metric | How to build the report |\n\
         |---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {} | {} | {} |",
            cell(&r.metric),
            cell(&r.glassix),
            cell(&r.intercom),
            cell(&r.holder),
            cell(&r.native),
            cell(&r.how)
        );
    }
    out
}

/// A Markdown table cell: no line breaks, pipes escaped.
fn cell(s: &str) -> String {
    s.replace('\n', " ").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_attribute_has_a_row_and_the_markdown_is_one_line_per_row() {
        let rows = rows(None);
        for attr in [
            ATTR_TICKET_ID,
            ATTR_DEPARTMENT,
            ATTR_CHANNEL,
            ATTR_FIRST_RESPONSE,
            ATTR_FIRST_RESPONSE_NET,
            ATTR_QUEUE_TIME,
            ATTR_RESOLUTION,
            ATTR_DURATION,
            ATTR_DURATION_NET,
            ATTR_AVG_RESPONSE_NET,
            ATTR_AGENT_MESSAGES,
            ATTR_CUSTOMER_MESSAGES,
            ATTR_CSAT,
            ATTR_CSAT_COMMENT,
            ATTR_ORIGINAL_ID,
            ATTR_CHANNEL_PREFERENCE,
        ] {
            assert!(rows.iter().any(|r| r.intercom == attr), "{attr}");
        }
        let md = to_markdown(&rows, false);
        let table_lines = md.lines().filter(|l| l.starts_with("| ")).count();
        assert_eq!(table_lines, rows.len() + 1, "header + one line per row");
    }
}
