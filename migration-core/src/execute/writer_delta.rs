//! The writes only changes need: detaching a tag the migration attached, once the Glassix
//! ticket no longer carries it; an article brought to its changed export. Same seam as [`Writer`]'s other writes (live or dry, counted).

use intercom_client::models::{AssigneeType, UpdateTicket};

use super::writer::{Writer, finish_kind};
use crate::ObjectKind;
use crate::verify::expect;

type IcResult<T> = Result<T, intercom_client::Error>;

impl Writer {
    /// `PUT /tickets/{id}` of a delta, whose single `assignee_id` (if any) is `assignee`'s: an
    /// admin's or a team's ("0" unassigns both). The expectation names that exact field.
    pub(crate) async fn update_ticket_assigning(
        &self,
        id: &str,
        req: &UpdateTicket,
        assignee: Option<AssigneeType>,
    ) -> IcResult<()> {
        self.send(
            finish_kind(),
            req,
            |_| (),
            |c| async move { c.tickets().update(id, req).await.map(drop) },
        )
        .await?;
        self.expected(
            ObjectKind::Ticket,
            id,
            None,
            expect::ticket_update(req, assignee),
        );
        Ok(())
    }

    /// `DELETE /tickets/{id}/tags/{tag_id}`.
    pub(crate) async fn untag_ticket(&self, id: &str, tag: &str, admin: &str) -> IcResult<()> {
        self.send(
            finish_kind(),
            &serde_json::json!({"untag_ticket": id, "tag": tag, "admin_id": admin}),
            |_| (),
            |c| async move { c.tags().untag_ticket(id, tag, admin).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Ticket, id, None, expect::untagged(tag));
        Ok(())
    }

    /// `PUT /articles/{id}` with the content of `req` (an article whose export changed).
    pub(crate) async fn update_article(
        &self,
        id: &str,
        req: &intercom_client::models::CreateArticle,
    ) -> IcResult<()> {
        let body = intercom_client::models::UpdateArticle::content_of(req);
        self.send(
            finish_kind(),
            &serde_json::json!({"article": id, "update": &body}),
            |_| (),
            |c| async move { c.help_center().update_article(id, &body).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Article, id, None, expect::article(req));
        Ok(())
    }

    /// `DELETE /conversations/{id}/tags/{tag_id}`.
    pub(crate) async fn untag_conversation(
        &self,
        id: &str,
        tag: &str,
        admin: &str,
    ) -> IcResult<()> {
        self.send(
            finish_kind(),
            &serde_json::json!({"untag_conversation": id, "tag": tag, "admin_id": admin}),
            |_| (),
            |c| async move { c.tags().untag_conversation(id, tag, admin).await.map(drop) },
        )
        .await?;
        self.expected(ObjectKind::Conversation, id, None, expect::untagged(tag));
        Ok(())
    }
}
