//! `/conversations`.

use futures::stream::BoxStream;

use crate::client::{Client, Req};
use crate::error::Result;
use crate::models::{
    Conversation, ConversationAction, ConversationPage, ConversationReply, ConvertToTicket,
    CreateConversation, CreatedMessage, Deleted, SearchRequest, Ticket, UpdateConversation,
    check_attachments,
};
use crate::pagination;

/// Conversations.
#[derive(Debug, Clone)]
pub struct Conversations {
    pub(crate) client: Client,
}

impl Conversations {
    /// `POST /conversations` (contact-initiated; `created_at` backdates it). Keep the returned
    /// `conversation_id`. Not re-sent when its outcome is unknown.
    pub async fn create(&self, body: &CreateConversation) -> Result<CreatedMessage> {
        check_attachments(body.attachment_urls.len(), 0)?;
        self.client
            .execute(Req::post_create(&["conversations"]).json(body)?)
            .await
    }
    /// `POST /conversations/{id}/reply`: a contact comment or an admin comment/note, with
    /// `created_at` and attachments. Returns the whole conversation. Not re-sent when its
    /// outcome is unknown.
    pub async fn reply(
        &self,
        conversation_id: &str,
        body: &ConversationReply,
    ) -> Result<Conversation> {
        body.check()?;
        self.client
            .execute(Req::post_create(&["conversations", conversation_id, "reply"]).json(body)?)
            .await
    }
    /// `POST /conversations/{id}/parts`: close, snooze, open or assign (stamped with the current
    /// time). Not re-sent when its outcome is unknown.
    pub async fn act(
        &self,
        conversation_id: &str,
        action: &ConversationAction,
    ) -> Result<Conversation> {
        self.client
            .execute(Req::post_create(&["conversations", conversation_id, "parts"]).json(action)?)
            .await
    }
    /// `PUT /conversations/{id}`: title, custom attributes, read, company.
    pub async fn update(
        &self,
        conversation_id: &str,
        body: &UpdateConversation,
    ) -> Result<Conversation> {
        self.client
            .execute(Req::put(&["conversations", conversation_id]).json(body)?)
            .await
    }
    /// `GET /conversations/{id}` with its parts (at most the 500 most recent), bodies in HTML as
    /// Intercom stores them.
    pub async fn get(&self, conversation_id: &str) -> Result<Conversation> {
        self.client
            .execute(Req::get(&["conversations", conversation_id]))
            .await
    }
    /// `GET /conversations/{id}?display_as=plaintext`: the same, bodies as plain text.
    pub async fn get_plaintext(&self, conversation_id: &str) -> Result<Conversation> {
        self.client
            .execute(Req::get(&["conversations", conversation_id]).query("display_as", "plaintext"))
            .await
    }
    /// `DELETE /conversations/{id}?retain_metrics=…` (permanent; `false` also purges reporting
    /// data and needs the `delete_conversations_and_metrics` scope).
    pub async fn delete(
        &self,
        conversation_id: &str,
        retain_metrics: Option<bool>,
    ) -> Result<Deleted> {
        let req = Req::delete(&["conversations", conversation_id])
            .query_opt("retain_metrics", retain_metrics);
        self.client.execute(req).await
    }
    /// `POST /conversations/{id}/convert` to a ticket. Not re-sent when its outcome is unknown.
    pub async fn convert_to_ticket(
        &self,
        conversation_id: &str,
        body: &ConvertToTicket,
    ) -> Result<Ticket> {
        self.client
            .execute(Req::post_create(&["conversations", conversation_id, "convert"]).json(body)?)
            .await
    }
    /// `GET /conversations` as a stream (query cursor).
    pub fn list(&self, per_page: Option<u32>) -> BoxStream<'static, Result<Conversation>> {
        pagination::query_cursor::<ConversationPage>(
            self.client.clone(),
            Req::get(&["conversations"]),
            per_page,
        )
    }
    /// Conversations of one contact (`contact_ids = id`), e.g. to find a conversation whose
    /// create came back [`OutcomeUnknown`](crate::Error::OutcomeUnknown). Search results can lag
    /// behind writes by a little while.
    pub fn search_by_contact(
        &self,
        contact_id: &str,
        per_page: Option<u32>,
    ) -> BoxStream<'static, Result<Conversation>> {
        self.search(
            &SearchRequest::new(crate::models::SearchQuery::eq("contact_ids", contact_id)),
            per_page,
        )
    }
    /// `POST /conversations/search` as a stream (body cursor).
    pub fn search(
        &self,
        search: &SearchRequest,
        per_page: Option<u32>,
    ) -> BoxStream<'static, Result<Conversation>> {
        match Req::post_safe(&["conversations", "search"]).json(search) {
            Ok(req) => {
                pagination::body_cursor::<ConversationPage>(self.client.clone(), req, per_page)
            }
            Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
        }
    }
}
