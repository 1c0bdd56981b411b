//! Tickets → Intercom tickets or conversations (per `objects.tickets` in the spec).

mod fields;
mod parts;
mod plan;

use glassix_client::models::{ProtocolType, Ticket};
use intercom_client::models::{
    AssigneeType, ContactType, ConversationAction, CreateConversation, CreateTicket, Role,
    TicketAssignment, TicketContact, UpdateConversation, UpdateTicket,
};
use serde_json::Value;

pub use plan::{
    ATTACHMENTS_PER_PART, AttachmentRef, CreateRequest, Finish, PartAuthor, PartKind, PartPlan,
    PlanFlag, READABLE_PART_LIMIT, TargetState, TicketPlan,
};

use super::attributes::tag_refs;
use super::body::html_to_text;
use super::contact::ContactKey;
use super::context::{MapContext, guid_key};
use super::outcome::{FieldNote, MapReason, Mapped, ReasonCode};
use crate::spec::{AgentPolicy, DepartmentPolicy, TargetModel, TicketTarget};

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
        let admin_assignee = match ticket.owner.as_ref().filter(|o| o.id.is_some()) {
            None => None,
            Some(owner) => {
                let id = owner.id.map(guid_key);
                if id.as_deref().is_some_and(|u| ctx.directory.is_bot(u)) {
                    notes.push(FieldNote::info(
                        "owner",
                        format!("owned by bot `{}`: left unassigned", owner.user_name),
                    ));
                    None
                } else if let Some(a) = ctx.directory.admin_for(id.as_deref(), &owner.user_name) {
                    Some(a.to_owned())
                } else if let Some(f) = spec_fallback_admin {
                    notes.push(FieldNote::warning(
                        "owner",
                        format!(
                            "owner <{}> has no Intercom admin: assigned to the fallback admin",
                            owner.user_name
                        ),
                    ));
                    Some(f.to_owned())
                } else {
                    queue!(
                        MapReason::new(
                            ReasonCode::UnmatchedAgent,
                            format!(
                                "owner <{}> has no Intercom admin with that e-mail; invite them \
                                 (see the provisioning list) or set a fallback_admin, then run \
                                 again",
                                owner.user_name
                            ),
                        )
                        .with_field("owner.UserName"),
                        notes
                    );
                }
            }
        };
        let department = guid_key(ticket.department_id);
        let team_assignee = match ctx.directory.team_for(&department) {
            Some(t) => Some(t.to_owned()),
            None => match &ctx.spec.policies.unmatched_department {
                DepartmentPolicy::FallbackTeam(t) => {
                    notes.push(FieldNote::warning(
                        "departmentId",
                        "the department has no Intercom team: assigned to the fallback team",
                    ));
                    Some(t.clone())
                }
                DepartmentPolicy::Queue => queue!(
                    MapReason::new(
                        ReasonCode::UnmatchedDepartment,
                        format!(
                            "department `{}` has no Intercom team of the same name; create it \
                             (see the provisioning list) or set a fallback_team, then run again",
                            ctx.directory
                                .department_path(&department)
                                .unwrap_or_else(|| department.clone())
                        ),
                    )
                    .with_field("departmentId"),
                    notes
                ),
            },
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
        let (create, state, ticket_update) = match target {
            TicketTarget::Tickets => {
                let Some(tt) = ctx.directory.ticket_type.as_ref() else {
                    queue!(
                        MapReason::new(
                            ReasonCode::MissingTicketType,
                            format!(
                                "the ticket type `{}` has not been created or resolved; run the \
                                 schema step first",
                                ctx.spec.objects.ticket_type
                            ),
                        ),
                        notes
                    );
                };
                let mut attrs = attributes.clone();
                attrs.insert("_default_title_".into(), Value::from(title.clone()));
                if let Some(s) = ticket
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
                        id: contact.id.clone(),
                    },
                );
                req.ticket_attributes = Some(attrs);
                req.created_at = created_at;
                req.skip_notifications = Some(true);
                if admin_assignee.is_some() || team_assignee.is_some() {
                    req.assignment = Some(TicketAssignment {
                        admin_assignee_id: admin_assignee.clone(),
                        team_assignee_id: team_assignee.clone(),
                    });
                }
                let (state, category) = fields::ticket_state(ticket, ctx, &mut notes);
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
                (CreateRequest::Ticket(req), state, Some(update))
            }
            TicketTarget::Conversations => {
                let kind = if contact.role == Role::Lead {
                    ContactType::Lead
                } else {
                    ContactType::User
                };
                // The opening message: the first part when it is the customer's message.
                let opens = part_list.first().is_some_and(|p| {
                    p.continuation == 0
                        && p.kind == PartKind::Comment
                        && matches!(&p.author, PartAuthor::Contact(c) if c.id == contact.id)
                });
                let mut req = if opens {
                    let first = &mut part_list[0];
                    let text = html_to_text(&first.body);
                    let body = if text.is_empty() {
                        "(attachment)".to_owned()
                    } else {
                        text
                    };
                    let mut req = CreateConversation::new(kind, contact.id.clone(), body);
                    req.created_at = Some(first.created_at);
                    create_transaction_guid = Some(first.source_transaction_guid.clone());
                    let formatting = first
                        .body
                        .replace("<p>", "")
                        .replace("</p>", "")
                        .replace("<br>", "")
                        .contains('<');
                    if formatting {
                        notes.push(FieldNote::info(
                            "transactions[0].html",
                            "the opening message takes plain text only: its formatting is lost",
                        ));
                    }
                    if first.attachments.is_empty() {
                        part_list.remove(0);
                    } else {
                        first.body = "<p>(attachments of the opening message)</p>".into();
                        notes.push(FieldNote::info(
                            "transactions[0].attachments",
                            "a new conversation takes no files: the opening message's \
                             attachments follow in a reply right after it",
                        ));
                    }
                    req
                } else {
                    notes.push(FieldNote::info(
                        "transactions",
                        "the ticket does not start with a customer message (Intercom \
                         conversations do): opened with a placeholder message from the customer",
                    ));
                    let mut req = CreateConversation::new(
                        kind,
                        contact.id.clone(),
                        format!("Conversation imported from Glassix ticket #{}", ticket.id),
                    );
                    req.created_at = created_at;
                    req
                };
                req.subject = None;
                let state = fields::conversation_state(ticket, ctx, &mut notes);
                (CreateRequest::Conversation(req), state, None)
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
