//! Tickets → Intercom tickets or conversations (per `objects.tickets` in the spec).

mod assign;
mod create;
mod fields;
mod parts;
mod plan;

use glassix_client::models::{ProtocolType, Ticket};
use intercom_client::models::{AssigneeType, ConversationAction, UpdateConversation};

pub use plan::{
    ATTACHMENTS_PER_PART, AttachmentRef, CreateRequest, Finish, PartAuthor, PartKind, PartPlan,
    PlanFlag, READABLE_PART_LIMIT, TargetState, TicketPlan,
};

use super::attributes::tag_refs;
use super::contact::ContactKey;
use super::context::MapContext;
use super::outcome::{FieldNote, MapReason, Mapped, ReasonCode};
use crate::spec::{AgentPolicy, TargetModel, TicketTarget};

/// Maps a Glassix ticket (fetched with its transactions) to a [`TicketPlan`]. Replace or wrap
/// it through [`Mappers`](super::Mappers).
pub trait TicketMapper: Send + Sync {
    /// Maps one ticket.
    fn map_ticket(&self, ticket: &Ticket, ctx: &MapContext<'_>) -> Mapped<TicketPlan>;
}

/// The default ticket mapper (see `docs/mapping-reference.md`, "Tickets").
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultTicketMapper;

macro_rules! queue {
    ($reason:expr, $notes:expr) => {
        return Mapped::Queue {
            reason: $reason,
            notes: $notes,
        }
    };
}

impl TicketMapper for DefaultTicketMapper {
    fn map_ticket(&self, ticket: &Ticket, ctx: &MapContext<'_>) -> Mapped<TicketPlan> {
        if ticket.is_scrambled {
            return Mapped::Skip {
                reason: MapReason::new(
                    ReasonCode::Scrambled,
                    "the ticket was scrambled in Glassix (its messages and personal data were \
                     overwritten); nothing meaningful is left to migrate",
                )
                .with_field("isScrambled"),
            };
        }
        if let Some(to) = ticket.moved_to() {
            return Mapped::Skip {
                reason: MapReason::new(
                    ReasonCode::Moved,
                    format!(
                        "moved to ticket {to} in another department; that copy (the one in the \
                         department it was moved to) is migrated instead"
                    ),
                )
                .with_field("movedToTicketId"),
            };
        }
        let mut notes = Vec::new();
        if ticket.transactions.is_none() && ticket.transactions_count > 0 {
            notes.push(FieldNote::warning(
                "transactions",
                format!(
                    "mapped without its {} transactions (a listed ticket, not fetched with \
                     tickets/get): no history is written",
                    ticket.transactions_count
                ),
            ));
        }
        let target = ctx.spec.objects.tickets;
        let spec_fallback_admin = match &ctx.spec.policies.unmatched_agent {
            AgentPolicy::FallbackAdmin(id) => Some(id.as_str()),
            AgentPolicy::Queue => None,
        };
        let acting = ctx
            .directory
            .acting_admin
            .as_deref()
            .or(spec_fallback_admin);

        // The customer.
        let Some(customer) = ticket
            .participants
            .iter()
            .find_map(ContactKey::for_participant)
        else {
            queue!(
                MapReason::new(
                    ReasonCode::NoCustomer,
                    "the ticket has no customer participant, and an Intercom ticket or \
                     conversation needs one contact; add the customer in Glassix or leave the \
                     ticket behind",
                )
                .with_field("participants"),
                notes
            );
        };
        let Some(contact) = ctx.directory.contacts.get(&customer.source_id()).cloned() else {
            queue!(
                MapReason::new(
                    ReasonCode::MissingContact,
                    format!(
                        "the customer ({}) has no Intercom contact yet; resolve the contact's \
                         own queue entry, then run again",
                        customer.source_id()
                    ),
                )
                .with_field("participants"),
                notes
            );
        };
        if let Some(from) = ticket.moved_from() {
            notes.push(FieldNote::info(
                "movedFromTicketId",
                format!("moved here from ticket {from}, which is skipped as `moved`"),
            ));
        }

        // Assignment.
        let admin_assignee =
            match assign::admin_assignee(ticket, ctx, spec_fallback_admin, &mut notes) {
                Ok(a) => a,
                Err(reason) => queue!(reason, notes),
            };
        let team_assignee = match assign::team_assignee(ticket, ctx, &mut notes) {
            Ok(t) => t,
            Err(reason) => queue!(reason, notes),
        };

        // Parts.
        let built = match parts::build(ticket, ctx, acting) {
            Ok(b) => b,
            Err(reason) => queue!(reason, notes),
        };
        notes.extend(built.notes);
        let mut part_list = built.parts;

        // Attributes and tags.
        let model = match target {
            TicketTarget::Tickets => TargetModel::Ticket,
            TicketTarget::Conversations => TargetModel::Conversation,
        };
        let rules = match fields::rule_values(ticket, ctx, model) {
            Ok(r) => r,
            Err(reason) => queue!(reason, notes),
        };
        notes.extend(rules.notes);
        let mut attributes = fields::builtin_attributes(ticket, ctx);
        attributes.extend(rules.attributes);
        fields::unmapped_notes(ticket, ctx, &mut notes);
        let tag_names: Vec<&str> = ticket
            .tags
            .iter()
            .map(String::as_str)
            .chain(rules.tags.iter().map(String::as_str))
            .collect();
        let tags = tag_refs(tag_names, ctx.directory);
        let title = match ticket.field1.trim() {
            "" => {
                notes.push(FieldNote::info(
                    "field1",
                    "no subject: the title is `Glassix ticket #<id>`",
                ));
                format!("Glassix ticket #{}", ticket.id)
            }
            t => t.to_owned(),
        };
        let created_at = ticket
            .open
            .or_else(|| {
                parts::ordered(ticket)
                    .first()
                    .and_then(|(_, t)| t.date_time)
            })
            .map(|t| t.timestamp());

        // The first write and the final state.
        let mut flags = Vec::new();
        let mut create_transaction_guid = None;
        let common = create::Common {
            ticket,
            ctx,
            contact: &contact,
            attributes: &attributes,
            title: &title,
            created_at,
            admin_assignee: admin_assignee.as_deref(),
            team_assignee: team_assignee.as_deref(),
        };
        let (create, state, ticket_update) = match target {
            TicketTarget::Tickets => match create::ticket(&common, &mut notes) {
                Ok((req, state, update)) => (req, state, Some(update)),
                Err(reason) => queue!(reason, notes),
            },
            TicketTarget::Conversations => {
                let (req, guid, state) = create::conversation(&common, &mut part_list, &mut notes);
                create_transaction_guid = guid;
                (req, state, None)
            }
        };
        for (i, p) in part_list.iter_mut().enumerate() {
            p.position = u32::try_from(i).unwrap_or(u32::MAX);
        }

        // Finishing writes.
        let mut actions = Vec::new();
        let mut conversation_update = None;
        if target == TicketTarget::Conversations {
            conversation_update = Some(UpdateConversation {
                title: Some(title),
                custom_attributes: Some(attributes),
                ..Default::default()
            });
        }
        let needs_actor = !tags.is_empty()
            || (target == TicketTarget::Conversations
                && (admin_assignee.is_some()
                    || team_assignee.is_some()
                    || state != TargetState::Open));
        let actor = match acting.or(admin_assignee.as_deref()) {
            Some(a) => a.to_owned(),
            None if needs_actor => queue!(parts::no_acting_admin("owner"), notes),
            None => String::new(),
        };
        if target == TicketTarget::Conversations {
            if let Some(a) = &admin_assignee {
                actions.push(ConversationAction::assign(
                    actor.clone(),
                    AssigneeType::Admin,
                    a.clone(),
                ));
            }
            if let Some(t) = &team_assignee {
                actions.push(ConversationAction::assign(
                    actor.clone(),
                    AssigneeType::Team,
                    t.clone(),
                ));
            }
            match state {
                TargetState::Open => {}
                TargetState::Closed => actions.push(ConversationAction::close(actor.clone())),
                TargetState::Snoozed { until } => {
                    actions.push(ConversationAction::snooze(actor.clone(), until));
                }
            }
        }
        let ticket_update = ticket_update.map(|mut u| {
            u.admin_id = (!actor.is_empty()).then(|| actor.clone());
            u
        });

        if ticket.primary_protocol_type == ProtocolType::WhatsApp {
            flags.push(PlanFlag::WhatsAppAddOnRequired);
            notes.push(FieldNote::warning(
                "primaryProtocolType",
                "WhatsApp ticket: the history is imported as a Messenger-style thread; replying \
                 on WhatsApp from Intercom needs Intercom's WhatsApp add-on",
            ));
        } else if !matches!(
            ticket.primary_protocol_type,
            ProtocolType::Web | ProtocolType::Undefined
        ) {
            notes.push(FieldNote::info(
                "primaryProtocolType",
                format!(
                    "Intercom's source type cannot be set: the channel `{}` is kept in the \
                     glassix_channel attribute",
                    ticket.primary_protocol_type
                ),
            ));
        }
        if !ticket.bot_conversation_steps.is_empty() || ticket.bot_conversation_id.is_some() {
            flags.push(PlanFlag::BotFlow);
        }
        let mut plan = TicketPlan {
            source_id: ticket.id.to_string(),
            target,
            contact,
            create,
            create_transaction_guid,
            parts: part_list,
            finish: Finish {
                acting_admin: actor,
                admin_assignee,
                team_assignee,
                state,
                tags,
                conversation_update,
                conversation_actions: actions,
                ticket_update,
            },
            flags,
        };
        let count = plan.part_count();
        if count > READABLE_PART_LIMIT {
            plan.flags
                .push(PlanFlag::ExceedsReadablePartLimit { parts: count });
            notes.push(FieldNote::warning(
                "transactions",
                format!(
                    "{count} parts: Intercom returns only the latest {READABLE_PART_LIMIT} when \
                     read back; all are written, and verification compares counts by paging"
                ),
            ));
        }
        Mapped::Write { value: plan, notes }
    }
}
