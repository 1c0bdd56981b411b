//! The first write: `POST /tickets` or `POST /conversations`, and the final state.

use glassix_client::models::Ticket;
use intercom_client::models::{
    ContactType, CreateConversation, CreateTicket, CustomAttributes, Role, TicketAssignment,
    TicketContact, UpdateTicket,
};
use serde_json::Value;

use super::fields;
use super::plan::{CreateRequest, PartAuthor, PartKind, PartPlan, TargetState};
use crate::map::body::html_to_text;
use crate::map::context::{MapContext, ResolvedContact};
use crate::map::outcome::{FieldNote, MapReason, ReasonCode};

/// What both targets' first write needs.
pub(super) struct Common<'a> {
    pub(super) ticket: &'a Ticket,
    pub(super) ctx: &'a MapContext<'a>,
    pub(super) contact: &'a ResolvedContact,
    pub(super) attributes: &'a CustomAttributes,
    pub(super) title: &'a str,
    pub(super) created_at: Option<i64>,
    pub(super) admin_assignee: Option<&'a str>,
    pub(super) team_assignee: Option<&'a str>,
}

/// `POST /tickets` (attributes, assignment, backdated) and the `PUT` that sets the state.
pub(super) fn ticket(
    c: &Common<'_>,
    notes: &mut Vec<FieldNote>,
) -> Result<(CreateRequest, TargetState, UpdateTicket), MapReason> {
    let Some(tt) = c.ctx.directory.ticket_type.as_ref() else {
        return Err(MapReason::new(
            ReasonCode::MissingTicketType,
            format!(
                "the ticket type `{}` has not been created or resolved; run the schema step first",
                c.ctx.spec.objects.ticket_type
            ),
        ));
    };
    let mut attrs = c.attributes.clone();
    attrs.insert("_default_title_".into(), Value::from(c.title));
    if let Some(s) = c
        .ticket
        .ticket_summary
        .as_ref()
        .map(|s| s.value.trim())
        .filter(|s| !s.is_empty())
    {
        attrs.insert("_default_description_".into(), Value::from(s));
    }
    let mut req = CreateTicket::new(
        tt.id.clone(),
        TicketContact::Id {
            id: c.contact.id.clone(),
        },
    );
    req.ticket_attributes = Some(attrs);
    req.created_at = c.created_at;
    req.skip_notifications = Some(true);
    if c.admin_assignee.is_some() || c.team_assignee.is_some() {
        req.assignment = Some(TicketAssignment {
            admin_assignee_id: c.admin_assignee.map(str::to_owned),
            team_assignee_id: c.team_assignee.map(str::to_owned),
        });
    }
    let (state, category) = fields::ticket_state(c.ticket, c.ctx, notes);
    let state_id = tt.states.get(&category).cloned();
    if state_id.is_none() {
        notes.push(FieldNote::warning(
            "state",
            format!(
                "the ticket type has no `{}` state: the state is not set",
                category.as_str()
            ),
        ));
    }
    let update = UpdateTicket {
        ticket_state_id: state_id,
        open: (state == TargetState::Closed).then_some(false),
        snoozed_until: match state {
            TargetState::Snoozed { until } => Some(until),
            _ => None,
        },
        skip_notifications: Some(true),
        ..Default::default()
    };
    Ok((CreateRequest::Ticket(req), state, update))
}

/// `POST /conversations`: the customer's first message becomes the opening message (plain text)
/// and leaves the parts, unless it carries files, which stay in a part right after it. A ticket
/// that does not start with the customer opens with a placeholder. Returns the request, the
/// GUID of the transaction used as the opening message, and the final state.
pub(super) fn conversation(
    c: &Common<'_>,
    parts: &mut Vec<PartPlan>,
    notes: &mut Vec<FieldNote>,
) -> (CreateRequest, Option<String>, TargetState) {
    let kind = if c.contact.role == Role::Lead {
        ContactType::Lead
    } else {
        ContactType::User
    };
    let opens = parts.first().is_some_and(|p| {
        p.continuation == 0
            && p.kind == PartKind::Comment
            && matches!(&p.author, PartAuthor::Contact(a) if a.id == c.contact.id)
    });
    let mut guid = None;
    let req = match parts.first_mut().filter(|_| opens) {
        Some(first) => {
            let text = html_to_text(&first.body);
            let body = if text.is_empty() {
                "(attachment)".to_owned()
            } else {
                text
            };
            let mut req = CreateConversation::new(kind, c.contact.id.clone(), body);
            req.created_at = Some(first.created_at);
            guid = Some(first.source_transaction_guid.clone());
            let formatting = first
                .body
                .replace("<p>", "")
                .replace("</p>", "")
                .replace("<br>", "")
                .contains('<');
            if formatting {
                notes.push(FieldNote::info(
                    "transactions.html",
                    "the opening message takes plain text only: its formatting is lost",
                ));
            }
            if first.attachments.is_empty() {
                parts.remove(0);
            } else {
                first.body = "<p>(attachments of the opening message)</p>".into();
                notes.push(FieldNote::info(
                    "transactions.attachments",
                    "a new conversation takes no files: the opening message's attachments \
                     follow in a reply right after it",
                ));
            }
            req
        }
        None => {
            notes.push(FieldNote::info(
                "transactions",
                "the ticket does not start with a customer message (Intercom conversations \
                 do): opened with a placeholder message from the customer",
            ));
            let mut req = CreateConversation::new(
                kind,
                c.contact.id.clone(),
                format!("Conversation imported from Glassix ticket #{}", c.ticket.id),
            );
            req.created_at = c.created_at;
            req
        }
    };
    let state = fields::conversation_state(c.ticket, c.ctx, notes);
    (CreateRequest::Conversation(req), guid, state)
}
