//! Tickets or conversations, decided once: the spec's `objects.tickets` picks a [`Target`] at
//! the start of a run, and every operation that differs between the two (create, reply, read
//! the parts back, update, tag, find after a lost answer) is a method of it.

use futures::StreamExt;
use intercom_client::models::{
    AssigneeType, AttachmentFile, ConversationAction, ConversationState, SearchQuery, SearchRequest,
};

use crate::ObjectKind;
use crate::map::{CreateRequest, PartPlan, TicketPlan};
use crate::plan::StepId;
use crate::spec::{MappingSpec, TicketTarget};

use super::writer::Writer;

type IcResult<T> = Result<T, intercom_client::Error>;

/// What Glassix tickets become in Intercom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Intercom tickets of the migration ticket type.
    Tickets,
    /// Intercom conversations.
    Conversations,
}

/// A part as read back: id, `created_at`, author id, body.
pub(crate) struct ReadPart {
    pub(crate) id: String,
    pub(crate) created_at: Option<i64>,
    pub(crate) author_id: Option<String>,
    pub(crate) body: Option<String>,
}

/// The parts Intercom returns for one ticket or conversation (at most the latest 500), and how
/// many it has in all.
pub(crate) struct ReadParts {
    pub(crate) parts: Vec<ReadPart>,
    pub(crate) total: Option<u64>,
}

impl Target {
    /// The target the spec asks for.
    pub(crate) fn of(spec: &MappingSpec) -> Self {
        match spec.objects.tickets {
            TicketTarget::Tickets => Target::Tickets,
            TicketTarget::Conversations => Target::Conversations,
        }
    }

    /// The ledger kind of migrated tickets.
    pub(crate) fn kind(self) -> ObjectKind {
        match self {
            Target::Tickets => ObjectKind::Ticket,
            Target::Conversations => ObjectKind::Conversation,
        }
    }

    /// Whether schema step `step` has work under this target: conversation attributes for
    /// conversations, the ticket type and its attributes for tickets.
    pub(crate) fn needs(self, step: StepId) -> bool {
        match step {
            StepId::ConversationAttributes => self == Target::Conversations,
            StepId::TicketTypes | StepId::TicketTypeAttributes => self == Target::Tickets,
            _ => true,
        }
    }

    /// The first write: `POST /tickets` or `POST /conversations`.
    pub(crate) async fn create(self, w: &Writer, req: &CreateRequest) -> IcResult<String> {
        match req {
            CreateRequest::Ticket(r) => w.create_ticket(r).await,
            CreateRequest::Conversation(r) => w.create_conversation(r).await,
        }
    }

    /// One part, as a reply.
    pub(crate) async fn reply(
        self,
        w: &Writer,
        target_id: &str,
        part: &PartPlan,
        files: Vec<AttachmentFile>,
    ) -> IcResult<String> {
        match self {
            Target::Tickets => w.reply_ticket(target_id, part, files).await,
            Target::Conversations => w.reply_conversation(target_id, part, files).await,
        }
    }

    /// The update that finishes a ticket (state, assignment, title, attributes). When the
    /// object existed already (`fresh` false: its source changed, or a run stopped half-way), a
    /// ticket's attributes are sent again with it; a conversation's update always carries them.
    pub(crate) async fn update(
        self,
        w: &Writer,
        target_id: &str,
        plan: &TicketPlan,
        fresh: bool,
    ) -> IcResult<()> {
        let f = &plan.finish;
        if let Some(u) = &f.ticket_update {
            let mut u = u.clone();
            if let (false, CreateRequest::Ticket(c)) = (fresh, &plan.create) {
                u.ticket_attributes = c.ticket_attributes.clone();
            }
            if !fresh {
                // A ticket written before may have been closed since (by an earlier write, or
                // put back closed by `rollback --run`): open is explicit, as in a delta, so that
                // an open Glassix ticket opens it again (a state id alone does not).
                u.open = Some(f.state != crate::map::TargetState::Closed);
            }
            w.update_ticket(target_id, &u).await?;
        }
        if let Some(u) = &f.conversation_update {
            w.update_conversation(target_id, u).await?;
        }
        Ok(())
    }

    /// Attaches tag `tag_id`, as `admin`.
    pub(crate) async fn tag(
        self,
        w: &Writer,
        target_id: &str,
        tag_id: &str,
        admin: &str,
    ) -> IcResult<()> {
        match self {
            Target::Tickets => w.tag_ticket(target_id, tag_id, admin).await,
            Target::Conversations => w.tag_conversation(target_id, tag_id, admin).await,
        }
    }

    /// Detaches tag `tag_id`, as `admin`.
    pub(crate) async fn untag(
        self,
        w: &Writer,
        target_id: &str,
        tag_id: &str,
        admin: &str,
    ) -> IcResult<()> {
        match self {
            Target::Tickets => w.untag_ticket(target_id, tag_id, admin).await,
            Target::Conversations => w.untag_conversation(target_id, tag_id, admin).await,
        }
    }

    /// Which of a conversation's finishing `actions` are already in effect (its state and
    /// assignees read back): used for an adopted conversation, whose actions the ledger does not
    /// know, so that none is sent twice. A ticket has no actions.
    pub(crate) async fn actions_in_effect(
        self,
        client: &intercom_client::Client,
        target_id: &str,
        actions: &[ConversationAction],
    ) -> IcResult<Vec<bool>> {
        if self == Target::Tickets || actions.is_empty() {
            return Ok(vec![false; actions.len()]);
        }
        let c = client.conversations().get(target_id).await?;
        Ok(actions
            .iter()
            .map(|a| match a {
                ConversationAction::Close { .. } => c.state == Some(ConversationState::Closed),
                ConversationAction::Snooze { .. } => c.state == Some(ConversationState::Snoozed),
                ConversationAction::Open { .. } => c.state == Some(ConversationState::Open),
                ConversationAction::Assign {
                    kind, assignee_id, ..
                } => match kind {
                    AssigneeType::Team => c.team_assignee_id.as_deref() == Some(assignee_id),
                    _ => c.admin_assignee_id.as_deref() == Some(assignee_id),
                },
            })
            .collect())
    }

    /// Reads the object back with its parts.
    pub(crate) async fn read_parts(
        self,
        client: &intercom_client::Client,
        target_id: &str,
    ) -> IcResult<ReadParts> {
        Ok(match self {
            Target::Tickets => {
                let list = client.tickets().get(target_id).await?.ticket_parts;
                let total = list.as_ref().and_then(|l| l.total_count);
                let parts = list
                    .map(|l| l.ticket_parts)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|x| ReadPart {
                        id: x.id,
                        created_at: x.created_at,
                        author_id: x.author.and_then(|a| a.id),
                        body: x.body,
                    })
                    .collect();
                ReadParts { parts, total }
            }
            Target::Conversations => {
                let c = client.conversations().get(target_id).await?;
                let total = c.conversation_parts.as_ref().and_then(|l| l.total_count);
                let parts = c
                    .parts()
                    .iter()
                    .map(|x| ReadPart {
                        id: x.id.clone(),
                        created_at: x.created_at,
                        author_id: x.author.as_ref().and_then(|a| a.id.clone()),
                        body: x.body.clone(),
                    })
                    .collect();
                ReadParts { parts, total }
            }
        })
    }

    /// The object created for Glassix ticket `ticket_id`, after a create whose answer was lost:
    /// by the `glassix_ticket_id` attribute; a conversation (whose attributes are written only at
    /// the end) also by its contact's backdated creation time, trusted only when unique.
    pub(crate) async fn find(
        self,
        client: &intercom_client::Client,
        ticket_id: i64,
        created_at: Option<i64>,
    ) -> IcResult<Option<String>> {
        let by_id = SearchRequest::new(SearchQuery::eq(
            format!("custom_attributes.{}", crate::map::ATTR_TICKET_ID),
            ticket_id,
        ));
        match self {
            Target::Tickets => {
                let mut s = client.tickets().search(&by_id, Some(5));
                match s.next().await {
                    Some(t) => Ok(Some(t?.id)),
                    None => Ok(None),
                }
            }
            Target::Conversations => {
                let mut s = client.conversations().search(&by_id, Some(5));
                if let Some(c) = s.next().await {
                    return Ok(Some(c?.id));
                }
                let Some(at) = created_at else {
                    return Ok(None);
                };
                let q = SearchRequest::new(SearchQuery::eq("created_at", at));
                let found: Vec<_> = client
                    .conversations()
                    .search(&q, Some(20))
                    .take(20)
                    .collect()
                    .await;
                let mut ids = Vec::new();
                for c in found {
                    ids.push(c?.id);
                }
                // Only a unique match is trusted; otherwise the create is repeated next run.
                Ok(if ids.len() == 1 { ids.pop() } else { None })
            }
        }
    }
}
