//! The one seam between a run and Intercom's write endpoints. Every create, reply, update, action
//! and tag of a run goes through a [`Writer`]: the live writer sends it with `intercom-client`,
//! the dry writer records what would be sent (counts per kind and a sample of each kind's
//! requests) and answers with placeholder ids, so that the steps run the same code either way.
//! Reads (look-ups, listings) go to the client directly: a dry run reads like a live one.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use intercom_client::models::{
    AttachmentFile, ConversationAction, CreateArticle, CreateCollection, CreateContact,
    CreateConversation, CreateConversationAttribute, CreateDataAttribute, CreateTag, CreateTicket,
    CreateTicketType, CreateTicketTypeAttribute, UpdateContact, UpdateConversation, UpdateTicket,
};
use serde::Serialize;

use crate::ObjectKind;
use crate::ledger::{ExpectedFields, Ledger};
use crate::map::PartPlan;
use crate::outcome::{Outcome, Write};
use crate::verify::expect;

use super::result::DryRunReport;

type IcResult<T> = Result<T, intercom_client::Error>;

/// The placeholder ids a dry writer answers start here. They are numbers because some of them
/// travel in later requests where Intercom takes an integer (a collection's `parent_id`).
pub(crate) const DRY_RUN_IDS: u64 = 9_000_000_000;

/// Where the writes of a run go.
pub(crate) struct Writer {
    mode: Mode,
    /// Write calls sent (live) or that would be sent (dry).
    writes: AtomicU64,
    /// Where a live writer records what each write makes Intercom hold (for `verify`).
    expect: Option<Arc<Ledger>>,
}

enum Mode {
    Live(intercom_client::Client),
    Dry {
        report: Mutex<DryRunReport>,
        samples: Mutex<BTreeMap<ObjectKind, usize>>,
        sample_size: usize,
    },
}

/// The kind counted for writes that finish a record already created (updates, actions, tags).
pub(super) fn finish_kind() -> ObjectKind {
    ObjectKind::Other("finish".to_owned())
}

impl Writer {
    /// Sends every write to Intercom.
    pub(crate) fn live(client: intercom_client::Client) -> Self {
        Writer {
            mode: Mode::Live(client),
            writes: AtomicU64::new(0),
            expect: None,
        }
    }

    /// Sends nothing; keeps counts per kind and up to `sample_size` requests of each kind.
    pub(crate) fn dry(sample_size: usize) -> Self {
        Writer {
            mode: Mode::Dry {
                report: Mutex::new(DryRunReport::default()),
                samples: Mutex::new(BTreeMap::new()),
                sample_size,
            },
            writes: AtomicU64::new(0),
            expect: None,
        }
    }

    /// Records in `ledger` what every successful live write makes Intercom hold, so that
    /// `verify` can compare without reading Glassix again (a dry writer records nothing).
    pub(crate) fn expecting(mut self, ledger: Arc<Ledger>) -> Self {
        if let Mode::Live(_) = self.mode {
            self.expect = Some(ledger);
        }
        self
    }

    /// Records the expected `fields` of `kind` `id` (merged into what was recorded before).
    /// A ledger that cannot record is logged, not fatal: the write happened. `verify` then
    /// lists the object as unchecked (no expectation), or compares it with the fields recorded
    /// before this write (a merge that failed), which it reports as a difference to look at.
    pub(super) fn expected(
        &self,
        kind: ObjectKind,
        id: &str,
        parent: Option<(&str, i64)>,
        fields: ExpectedFields,
    ) {
        let Some(ledger) = &self.expect else {
            return;
        };
        if let Err(e) = ledger.expect(&kind, id, parent, &fields) {
            tracing::warn!(kind = %kind, id, error = %e,
                "could not record what Intercom should hold of this object; `verify` will list it as unchecked");
        }
    }

    /// After a create whose answer was lost and which a look-up found, the writer saw no
    /// answer: what `verify` compares is recorded here from the request sent. `fields` is
    /// asked for a migrated `outcome` (it answers `None` for a write it has nothing to record
    /// for, e.g. one the writer recorded itself); nothing is recorded when the ledger holds an
    /// expectation of the object already (the send of an earlier run), nor by a dry writer.
    /// Without it, `verify` listed the object as unchecked.
    pub(super) fn expected_if_found(
        &self,
        kind: &ObjectKind,
        outcome: &Outcome,
        fields: impl FnOnce(&Write) -> Option<ExpectedFields>,
    ) -> crate::Result<()> {
        let (Some(ledger), Outcome::Migrated { target_id, write }) = (&self.expect, outcome) else {
            return Ok(());
        };
        let Some(fields) = fields(write) else {
            return Ok(());
        };
        if ledger.expectation(kind, target_id)?.is_none() {
            self.expected(kind.clone(), target_id, None, fields);
        }
        Ok(())
    }

    /// Write calls sent to Intercom (0 for a dry writer).
    pub(crate) fn writes_sent(&self) -> u64 {
        match self.mode {
            Mode::Live(_) => self.writes.load(Ordering::Relaxed),
            Mode::Dry { .. } => 0,
        }
    }

    /// What a dry writer recorded (`None` for a live one).
    pub(crate) fn dry_report(&self) -> Option<DryRunReport> {
        match &self.mode {
            Mode::Live(_) => None,
            Mode::Dry { report, .. } => Some(lock(report).clone()),
        }
    }

    /// One write: sent by `live`, or recorded with `request` and answered with `placeholder`.
    pub(super) async fn send<T, F, Fut>(
        &self,
        kind: ObjectKind,
        request: &(impl Serialize + ?Sized),
        placeholder: impl FnOnce(String) -> T,
        live: F,
    ) -> IcResult<T>
    where
        F: FnOnce(intercom_client::Client) -> Fut,
        Fut: Future<Output = IcResult<T>>,
    {
        let n = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(kind = %kind, "intercom write");
        match &self.mode {
            Mode::Live(client) => live(client.clone()).await,
            Mode::Dry {
                report,
                samples,
                sample_size,
            } => {
                let keep = {
                    let mut s = lock(samples);
                    let taken = s.entry(kind.clone()).or_default();
                    *taken += 1;
                    *taken <= *sample_size
                };
                let mut r = lock(report);
                *r.would_write.entry(kind.clone()).or_default() += 1;
                if keep {
                    if let Ok(v) = serde_json::to_value(request) {
                        r.sample.push(v);
                    }
                }
                Ok(placeholder((DRY_RUN_IDS + n).to_string()))
            }
        }
    }

    /// `POST /contacts`. Answers the id and whether Intercom answered with a contact that
    /// existed before (409: same e-mail or external id), which the migration then reuses.
    pub(crate) async fn create_contact(&self, req: &CreateContact) -> IcResult<(String, bool)> {
        let r = self
            .send(
                ObjectKind::Contact,
                req,
                |id| (id, false),
                |c| async move {
                    match c.contacts().create(req).await {
                        Ok(contact) => Ok((contact.id, false)),
                        Err(intercom_client::Error::DuplicateContact {
                            existing_id: Some(id),
                            ..
                        }) => Ok((id, true)),
                        Err(e) => Err(e),
                    }
                },
            )
            .await?;
        self.expected(ObjectKind::Contact, &r.0, None, expect::contact(req, r.1));
        Ok(r)
    }

    /// `PUT /contacts/{id}`.
    pub(crate) async fn update_contact(&self, id: &str, req: &UpdateContact) -> IcResult<()> {
        self.send(
            finish_kind(),
            req,
            |_| (),
            |c| async move { c.contacts().update(id, req).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Contact, id, None, expect::contact_update(req));
        Ok(())
    }

    /// `POST /contacts/{id}/tags`.
    pub(crate) async fn tag_contact(&self, contact: &str, tag: &str) -> IcResult<()> {
        self.send(
            finish_kind(),
            &serde_json::json!({"contact": contact, "tag": tag}),
            |_| (),
            |c| async move { c.tags().tag_contact(contact, tag).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Contact, contact, None, expect::tagged(tag));
        Ok(())
    }

    /// `POST /tags` (creates the tag, or answers the existing one of that name).
    pub(crate) async fn create_tag(&self, req: &CreateTag) -> IcResult<String> {
        let r = self
            .send(
                ObjectKind::Tag,
                req,
                |id| id,
                |c| async move { c.tags().create_or_find(req).await.map(|t| t.id) },
            )
            .await?;
        self.expected(ObjectKind::Tag, &r, None, expect::tag(req));
        Ok(r)
    }

    /// `POST /data_attributes`.
    pub(crate) async fn create_data_attribute(&self, req: &CreateDataAttribute) -> IcResult<()> {
        self.send(
            ObjectKind::DataAttribute,
            req,
            |_| (),
            |c| async move { c.attributes().create_data_attribute(req).await.map(drop) },
        )
        .await?;
        self.expected(
            ObjectKind::DataAttribute,
            &req.name,
            None,
            expect::data_attribute(req),
        );
        Ok(())
    }

    /// `POST /conversation_attributes` (the conversation data attributes).
    pub(crate) async fn create_conversation_attribute(
        &self,
        req: &CreateConversationAttribute,
    ) -> IcResult<()> {
        self.send(
            ObjectKind::ConversationAttribute,
            req,
            |_| (),
            |c| async move {
                c.attributes()
                    .create_conversation_attribute(req)
                    .await
                    .map(drop)
            },
        )
        .await?;
        self.expected(
            ObjectKind::ConversationAttribute,
            &req.name,
            None,
            expect::conversation_attribute(req),
        );
        Ok(())
    }

    /// `POST /ticket_types`.
    pub(crate) async fn create_ticket_type(&self, req: &CreateTicketType) -> IcResult<String> {
        let id = self
            .send(
                ObjectKind::TicketType,
                req,
                |id| id,
                |c| async move { c.ticket_types().create(req).await.map(|t| t.id) },
            )
            .await?;
        self.expected(ObjectKind::TicketType, &id, None, expect::ticket_type(req));
        Ok(id)
    }

    /// `POST /ticket_types/{id}/attributes`. Answers the list items created with a list
    /// attribute (label, item id).
    pub(crate) async fn create_ticket_type_attribute(
        &self,
        ticket_type: &str,
        req: &CreateTicketTypeAttribute,
    ) -> IcResult<Vec<(String, String)>> {
        self.send(
            ObjectKind::TicketTypeAttribute,
            req,
            |id| {
                req.list_items
                    .as_deref()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| (l.to_owned(), format!("{id}:{l}")))
                    .collect()
            },
            |c| async move {
                let a = c.ticket_types().create_attribute(ticket_type, req).await?;
                Ok(crate::intercom_schema::list_options(&a.extra))
            },
        )
        .await
        .inspect(|_| {
            self.expected(
                ObjectKind::TicketType,
                ticket_type,
                None,
                expect::ticket_type_attribute(req),
            );
        })
    }

    /// `POST /tickets`.
    pub(crate) async fn create_ticket(&self, req: &CreateTicket) -> IcResult<String> {
        let r = self
            .send(
                ObjectKind::Ticket,
                req,
                |id| id,
                |c| async move { c.tickets().create(req).await.map(|t| t.id) },
            )
            .await?;
        self.expected(ObjectKind::Ticket, &r, None, expect::ticket(req));
        Ok(r)
    }

    /// `POST /conversations` (the conversation's first message).
    pub(crate) async fn create_conversation(&self, req: &CreateConversation) -> IcResult<String> {
        let r = self
            .send(
                ObjectKind::Conversation,
                req,
                |id| id,
                |c| async move {
                    c.conversations()
                        .create(req)
                        .await
                        .map(|m| m.conversation_id)
                },
            )
            .await?;
        self.expected(
            ObjectKind::Conversation,
            &r,
            None,
            expect::conversation(req),
        );
        Ok(r)
    }

    /// `POST /tickets/{id}/reply`: one part. Answers the part id.
    pub(crate) async fn reply_ticket(
        &self,
        ticket: &str,
        part: &PartPlan,
        files: Vec<AttachmentFile>,
    ) -> IcResult<String> {
        let req = &part.to_ticket_reply(files);
        let names = expect::ticket_reply_files(req);
        let r = self
            .send(
                ObjectKind::Part,
                req,
                |id| id,
                |c| async move { c.tickets().reply(ticket, req).await.map(|p| p.id) },
            )
            .await?;
        self.expected(
            ObjectKind::Part,
            &r,
            Some((ticket, i64::from(part.position))),
            expect::part(part, &names),
        );
        Ok(r)
    }

    /// `POST /conversations/{id}/reply`: one part. Answers the part id (the conversation comes
    /// back whole: the part of the same `created_at`, else the last one).
    pub(crate) async fn reply_conversation(
        &self,
        conversation: &str,
        part: &PartPlan,
        files: Vec<AttachmentFile>,
    ) -> IcResult<String> {
        let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        let req = &part.to_conversation_reply(files);
        let r = self
            .send(
                ObjectKind::Part,
                req,
                |id| id,
                |c| async move {
                    let conv = c.conversations().reply(conversation, req).await?;
                    let parts = conv.parts();
                    Ok(parts
                        .iter()
                        .rev()
                        .find(|x| x.created_at == Some(part.created_at))
                        .or(parts.last())
                        .map(|x| x.id.clone())
                        .unwrap_or_default())
                },
            )
            .await?;
        self.expected(
            ObjectKind::Part,
            &r,
            Some((conversation, i64::from(part.position))),
            expect::part(part, &names),
        );
        Ok(r)
    }

    /// `PUT /tickets/{id}`.
    pub(crate) async fn update_ticket(&self, id: &str, req: &UpdateTicket) -> IcResult<()> {
        self.send(
            finish_kind(),
            req,
            |_| (),
            |c| async move { c.tickets().update_only(id, req).await },
        )
        .await?;
        self.expected(
            ObjectKind::Ticket,
            id,
            None,
            expect::ticket_update(req, None),
        );
        Ok(())
    }

    /// `PUT /conversations/{id}`.
    pub(crate) async fn update_conversation(
        &self,
        id: &str,
        req: &UpdateConversation,
    ) -> IcResult<()> {
        self.send(
            finish_kind(),
            req,
            |_| (),
            |c| async move { c.conversations().update(id, req).await.map(drop) },
        )
        .await?;
        self.expected(
            ObjectKind::Conversation,
            id,
            None,
            expect::conversation_update(req),
        );
        Ok(())
    }

    /// `POST /conversations/{id}/parts`: assign, close, snooze.
    pub(crate) async fn act_conversation(
        &self,
        id: &str,
        action: &ConversationAction,
    ) -> IcResult<()> {
        self.send(
            finish_kind(),
            action,
            |_| (),
            |c| async move { c.conversations().act(id, action).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Conversation, id, None, expect::action(action));
        Ok(())
    }

    /// `POST /tickets/{id}/tags`.
    pub(crate) async fn tag_ticket(&self, id: &str, tag: &str, admin: &str) -> IcResult<()> {
        self.send(
            finish_kind(),
            &serde_json::json!({"ticket": id, "tag": tag, "admin_id": admin}),
            |_| (),
            |c| async move { c.tags().tag_ticket(id, tag, admin).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Ticket, id, None, expect::tagged(tag));
        Ok(())
    }

    /// `POST /conversations/{id}/tags`.
    pub(crate) async fn tag_conversation(&self, id: &str, tag: &str, admin: &str) -> IcResult<()> {
        self.send(
            finish_kind(),
            &serde_json::json!({"conversation": id, "tag": tag, "admin_id": admin}),
            |_| (),
            |c| async move { c.tags().tag_conversation(id, tag, admin).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Conversation, id, None, expect::tagged(tag));
        Ok(())
    }

    /// `POST /help_center/collections`.
    pub(crate) async fn create_collection(&self, req: &CreateCollection) -> IcResult<String> {
        let r = self
            .send(
                ObjectKind::Collection,
                req,
                |id| id,
                |c| async move { c.help_center().create_collection(req).await.map(|x| x.id) },
            )
            .await?;
        self.expected(ObjectKind::Collection, &r, None, expect::collection(req));
        Ok(r)
    }

    /// `POST /articles`.
    pub(crate) async fn create_article(&self, req: &CreateArticle) -> IcResult<String> {
        let r = self
            .send(
                ObjectKind::Article,
                req,
                |id| id,
                |c| async move { c.help_center().create_article(req).await.map(|x| x.id) },
            )
            .await?;
        self.expected(ObjectKind::Article, &r, None, expect::article(req));
        Ok(r)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
