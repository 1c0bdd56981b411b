//! `/tags` and tagging of contacts, conversations and tickets.

use crate::client::{Client, Req};
use crate::error::Result;
use crate::models::tag::{AdminRef, TagRef};
use crate::models::{CreateTag, List, Tag};

/// Tags.
#[derive(Debug, Clone)]
pub struct Tags {
    pub(crate) client: Client,
}

impl Tags {
    /// `POST /tags` with a name: get-or-create by (case-insensitive) name, so safe to repeat.
    pub async fn create_or_find(&self, body: &CreateTag) -> Result<Tag> {
        self.client
            .execute(Req::post_safe(&["tags"]).json(body)?)
            .await
    }
    /// `GET /tags`.
    pub async fn list(&self) -> Result<Vec<Tag>> {
        let list: List<Tag> = self.client.execute(Req::get(&["tags"])).await?;
        Ok(list.data)
    }
    /// `GET /tags/{id}`.
    pub async fn get(&self, tag_id: &str) -> Result<Tag> {
        self.client.execute(Req::get(&["tags", tag_id])).await
    }
    /// `DELETE /tags/{id}` (400 while objects still carry it: detach first).
    pub async fn delete(&self, tag_id: &str) -> Result<()> {
        self.client
            .execute_unit(Req::delete(&["tags", tag_id]))
            .await
    }
    /// `POST /contacts/{id}/tags` with `{id}` (attaching twice is harmless).
    pub async fn tag_contact(&self, contact_id: &str, tag_id: &str) -> Result<Tag> {
        let body = TagRef {
            id: tag_id,
            admin_id: None,
        };
        self.client
            .execute(Req::post_safe(&["contacts", contact_id, "tags"]).json(&body)?)
            .await
    }
    /// `DELETE /contacts/{id}/tags/{tag_id}`.
    pub async fn untag_contact(&self, contact_id: &str, tag_id: &str) -> Result<Tag> {
        self.client
            .execute(Req::delete(&["contacts", contact_id, "tags", tag_id]))
            .await
    }
    /// `POST /conversations/{id}/tags` with `{id, admin_id}`.
    pub async fn tag_conversation(
        &self,
        conversation_id: &str,
        tag_id: &str,
        admin_id: &str,
    ) -> Result<Tag> {
        let body = TagRef {
            id: tag_id,
            admin_id: Some(admin_id),
        };
        self.client
            .execute(Req::post_safe(&["conversations", conversation_id, "tags"]).json(&body)?)
            .await
    }
    /// `DELETE /conversations/{id}/tags/{tag_id}` with `{admin_id}` in the body.
    pub async fn untag_conversation(
        &self,
        conversation_id: &str,
        tag_id: &str,
        admin_id: &str,
    ) -> Result<Tag> {
        let req = Req::delete(&["conversations", conversation_id, "tags", tag_id])
            .json(&AdminRef { admin_id })?;
        self.client.execute(req).await
    }
    /// `POST /tickets/{id}/tags` with `{id, admin_id}`.
    pub async fn tag_ticket(&self, ticket_id: &str, tag_id: &str, admin_id: &str) -> Result<Tag> {
        let body = TagRef {
            id: tag_id,
            admin_id: Some(admin_id),
        };
        self.client
            .execute(Req::post_safe(&["tickets", ticket_id, "tags"]).json(&body)?)
            .await
    }
    /// `DELETE /tickets/{id}/tags/{tag_id}` with `{admin_id}` in the body.
    pub async fn untag_ticket(&self, ticket_id: &str, tag_id: &str, admin_id: &str) -> Result<Tag> {
        let req =
            Req::delete(&["tickets", ticket_id, "tags", tag_id]).json(&AdminRef { admin_id })?;
        self.client.execute(req).await
    }
}
