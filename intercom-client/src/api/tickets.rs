//! `/tickets`.

use futures::stream::BoxStream;

use crate::client::{Client, Req};
use crate::error::{Error, Result};
use crate::models::{
    CreateTicket, Deleted, SearchRequest, Ticket, TicketPage, TicketPart, TicketReply, UpdateTicket,
};
use crate::pagination;

/// Tickets.
#[derive(Debug, Clone)]
pub struct Tickets {
    pub(crate) client: Client,
}

impl Tickets {
    /// `POST /tickets` (with `created_at` to backdate, `skip_notifications`). Not re-sent when its
    /// outcome is unknown.
    pub async fn create(&self, body: &CreateTicket) -> Result<Ticket> {
        if body.contacts.len() != 1 {
            return Err(Error::InvalidRequest(format!(
                "a ticket takes exactly one contact on create (got {})",
                body.contacts.len()
            )));
        }
        self.client
            .execute(Req::post_create(&["tickets"]).json(body)?)
            .await
    }
    /// `POST /tickets/{id}/reply`. Not re-sent when its outcome is unknown.
    pub async fn reply(&self, ticket_id: &str, body: &TicketReply) -> Result<TicketPart> {
        body.check()?;
        self.client
            .execute(Req::post_create(&["tickets", ticket_id, "reply"]).json(body)?)
            .await
    }
    /// `PUT /tickets/{id}`: state, assignee, attributes, open/snooze.
    pub async fn update(&self, ticket_id: &str, body: &UpdateTicket) -> Result<Ticket> {
        self.client
            .execute(Req::put(&["tickets", ticket_id]).json(body)?)
            .await
    }
    /// `PUT /tickets/{id}` like [`update`](Self::update), without decoding the answer: the
    /// ticket Intercom answers with carries its ticket type and up to 500 parts, which a caller
    /// that only needs the update applied should not pay for.
    pub async fn update_only(&self, ticket_id: &str, body: &UpdateTicket) -> Result<()> {
        self.client
            .execute_unit(Req::put(&["tickets", ticket_id]).json(body)?)
            .await
    }
    /// `GET /tickets/{id}`.
    pub async fn get(&self, ticket_id: &str) -> Result<Ticket> {
        self.client.execute(Req::get(&["tickets", ticket_id])).await
    }
    /// `DELETE /tickets/{id}` (permanent).
    pub async fn delete(&self, ticket_id: &str) -> Result<Deleted> {
        self.client
            .execute(Req::delete(&["tickets", ticket_id]))
            .await
    }
    /// `POST /tickets/search` as a stream (body cursor).
    pub fn search(
        &self,
        search: &SearchRequest,
        per_page: Option<u32>,
    ) -> BoxStream<'static, Result<Ticket>> {
        match Req::post_safe(&["tickets", "search"]).json(search) {
            Ok(req) => pagination::body_cursor::<TicketPage>(self.client.clone(), req, per_page),
            Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
        }
    }
}
