//! Tickets → Intercom tickets or conversations (per `objects.tickets` in the spec).

mod assign;
mod create;
mod fields;
mod parts;
mod plan;

use glassix_client::models::{ProtocolType, Ticket};
use intercom_client::models::{
    AssigneeType, ConversationAction, CustomAttributes, UpdateConversation, UpdateTicket,
};

pub use plan::{
    ATTACHMENTS_PER_PART, AttachmentRef, CreateRequest, Finish, PartAuthor, PartKind, PartPlan,
    PlanFlag, READABLE_PART_LIMIT, TargetState, TicketPlan,
};

use super::attributes::{TagRef, tag_refs};
use super::contact::ContactKey;
use super::context::{MapContext, ResolvedContact};
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

impl TicketMapper for DefaultTicketMapper {
    fn map_ticket(&self, ticket: &Ticket, ctx: &MapContext<'_>) -> Mapped<TicketPlan> {
        if let Some(reason) = skip_reason(ticket, ctx) {
            return Mapped::Skip { reason };
        }
        let mut notes = Vec::new();
        if let Some(to) = ticket.moved_to().filter(|_| ctx.dangling_move) {
            notes.push(FieldNote::info(
                "movedToTicketId",
                format!(
                    "moved to ticket {to}, which no longer exists in Glassix: this copy, the \
                     last existing one of its move chain, is migrated"
                ),
            ));
        }
        match build(ticket, ctx, &mut notes) {
            Ok(plan) => Mapped::Write { value: plan, notes },
            Err(reason) => Mapped::Queue { reason, notes },
        }
    }
}

/// Phase 0: the rules that leave a ticket behind (scrambled, moved to another department).
fn skip_reason(ticket: &Ticket, ctx: &MapContext<'_>) -> Option<MapReason> {
    if ticket.is_scrambled {
        return Some(
            MapReason::new(
                ReasonCode::Scrambled,
                "the ticket was scrambled in Glassix (its messages and personal data were \
                 overwritten); nothing meaningful is left to migrate",
            )
            .with_field("isScrambled"),
        );
    }
    // A dangling move (its target is gone) is the last existing copy: migrated, not skipped.
    ticket.moved_to().filter(|_| !ctx.dangling_move).map(|to| {
        MapReason::new(
            ReasonCode::Moved,
            format!(
                "moved to ticket {to} in another department; that copy (the one in the \
                 department it was moved to) is migrated instead"
            ),
        )
        .with_field("movedToTicketId")
    })
}

/// The phases of a ticket's mapping, in order; the first that cannot go on queues the ticket
/// with its reason (the notes gathered so far are kept).
fn build(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    notes: &mut Vec<FieldNote>,
) -> Result<TicketPlan, MapReason> {
    history_note(ticket, notes);
    let target = ctx.spec.objects.tickets;
    let people = people(ticket, ctx, notes)?;
    let built = parts::build(ticket, ctx, people.acting.as_deref())?;
    notes.extend(built.notes);
    let mut part_list = built.parts;
    let fields = fields_and_tags(ticket, ctx, target, notes)?;
    let created_at = ticket
        .open
        .or_else(|| {
            parts::ordered(ticket)
                .first()
                .and_then(|(_, t)| t.date_time)
        })
        .map(|t| t.timestamp());

    // The first write and the final state.
    let mut create_transaction_guid = None;
    let common = create::Common {
        ticket,
        ctx,
        contact: &people.contact,
        attributes: &fields.attributes,
        title: &fields.title,
        created_at,
        admin_assignee: people.admin_assignee.as_deref(),
        team_assignee: people.team_assignee.as_deref(),
    };
    let (create, state, ticket_update) = match target {
        TicketTarget::Tickets => {
            let (req, state, update) = create::ticket(&common, notes)?;
            (req, state, Some(update))
        }
        TicketTarget::Conversations => {
            let (req, guid, state) = create::conversation(&common, &mut part_list, notes);
            create_transaction_guid = guid;
            (req, state, None)
        }
    };
    for (i, p) in part_list.iter_mut().enumerate() {
        p.position = u32::try_from(i).unwrap_or(u32::MAX);
    }
    let finish = finishing(target, &people, fields, state, ticket_update)?;
    let flags = channel_flags(ticket, notes);
    let mut plan = TicketPlan {
        source_id: ticket.id.to_string(),
        target,
        contact: people.contact,
        create,
        create_transaction_guid,
        parts: part_list,
        finish,
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
    Ok(plan)
}

/// A listed ticket (not fetched with `tickets/get`) has no history to write: say so.
fn history_note(ticket: &Ticket, notes: &mut Vec<FieldNote>) {
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
}

/// Who the ticket involves in Intercom: its contact, its assignees, and the admin that acts
/// for writes no agent can be credited with.
struct People {
    contact: ResolvedContact,
    admin_assignee: Option<String>,
    team_assignee: Option<String>,
    acting: Option<String>,
}

/// Phase 1: the customer's contact, the admin and team assignees, the acting admin.
fn people(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    notes: &mut Vec<FieldNote>,
) -> Result<People, MapReason> {
    let spec_fallback_admin = match &ctx.spec.policies.unmatched_agent {
        AgentPolicy::FallbackAdmin(id) => Some(id.as_str()),
        AgentPolicy::Queue => None,
    };
    let acting = ctx
        .directory
        .acting_admin
        .as_deref()
        .or(spec_fallback_admin)
        .map(str::to_owned);
    let customer = ticket
        .participants
        .iter()
        .find_map(ContactKey::for_participant)
        .ok_or_else(|| {
            MapReason::new(
                ReasonCode::NoCustomer,
                "the ticket has no customer participant, and an Intercom ticket or \
                 conversation needs one contact; add the customer in Glassix or leave the \
                 ticket behind",
            )
            .with_field("participants")
        })?;
    let contact = ctx
        .directory
        .contacts
        .get(&customer.source_id())
        .cloned()
        .ok_or_else(|| {
            MapReason::new(
                ReasonCode::MissingContact,
                format!(
                    "the customer ({}) has no Intercom contact yet; resolve the contact's \
                     own queue entry, then run again",
                    customer.source_id()
                ),
            )
            .with_field("participants")
        })?;
    if let Some(from) = ticket.moved_from() {
        notes.push(FieldNote::info(
            "movedFromTicketId",
            format!("moved here from ticket {from}, which is skipped as `moved`"),
        ));
    }
    let admin_assignee = assign::admin_assignee(ticket, ctx, spec_fallback_admin, notes)?;
    let team_assignee = assign::team_assignee(ticket, ctx, notes)?;
    Ok(People {
        contact,
        admin_assignee,
        team_assignee,
        acting,
    })
}

/// The attributes, tags and title a ticket carries.
struct Fields {
    attributes: CustomAttributes,
    tags: Vec<TagRef>,
    title: String,
}

/// Phase 3: built-in attributes and the spec's field rules, tags, the title.
fn fields_and_tags(
    ticket: &Ticket,
    ctx: &MapContext<'_>,
    target: TicketTarget,
    notes: &mut Vec<FieldNote>,
) -> Result<Fields, MapReason> {
    let model = match target {
        TicketTarget::Tickets => TargetModel::Ticket,
        TicketTarget::Conversations => TargetModel::Conversation,
    };
    let rules = fields::rule_values(ticket, ctx, model)?;
    notes.extend(rules.notes);
    let mut attributes = fields::builtin_attributes(ticket, ctx);
    attributes.extend(rules.attributes);
    fields::unmapped_notes(ticket, ctx, notes);
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
    Ok(Fields {
        attributes,
        tags,
        title,
    })
}

/// Phase 5: the writes that finish the ticket once its parts are written: a conversation's
/// update and actions (assign, close, snooze), a ticket's update, the tags, and the admin that
/// performs them.
fn finishing(
    target: TicketTarget,
    people: &People,
    fields: Fields,
    state: TargetState,
    ticket_update: Option<UpdateTicket>,
) -> Result<Finish, MapReason> {
    let Fields {
        attributes,
        tags,
        title,
    } = fields;
    let conversations = target == TicketTarget::Conversations;
    let conversation_update = conversations.then(|| UpdateConversation {
        title: Some(title),
        custom_attributes: Some(attributes),
        ..Default::default()
    });
    let needs_actor = !tags.is_empty()
        || (conversations
            && (people.admin_assignee.is_some()
                || people.team_assignee.is_some()
                || state != TargetState::Open));
    let actor = match people
        .acting
        .as_deref()
        .or(people.admin_assignee.as_deref())
    {
        Some(a) => a.to_owned(),
        None if needs_actor => return Err(parts::no_acting_admin("owner")),
        None => String::new(),
    };
    let mut actions = Vec::new();
    if conversations {
        if let Some(a) = &people.admin_assignee {
            actions.push(ConversationAction::assign(
                actor.clone(),
                AssigneeType::Admin,
                a.clone(),
            ));
        }
        if let Some(t) = &people.team_assignee {
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
    Ok(Finish {
        acting_admin: actor,
        admin_assignee: people.admin_assignee.clone(),
        team_assignee: people.team_assignee.clone(),
        state,
        tags,
        conversation_update,
        conversation_actions: actions,
        ticket_update,
    })
}

/// Phase 6: what the channel means in Intercom (the WhatsApp add-on, a source type that cannot
/// be set) and whether a bot flow was involved.
fn channel_flags(ticket: &Ticket, notes: &mut Vec<FieldNote>) -> Vec<PlanFlag> {
    let mut flags = Vec::new();
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
    flags
}
