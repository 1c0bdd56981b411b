use futures::stream::BoxStream;
use uuid::Uuid;

use crate::client::{Client, Department};
use crate::error::{Error, Result};
use crate::models::Ticket;
use crate::paging::{TicketQuery, ticket_stream};

impl Department {
    /// `GET /tickets/get/{id}`: one ticket with its `transactions`. An unknown id (or one of
    /// another department) fails with a 404 ([`crate::Error::is_not_found`]).
    pub async fn ticket(&self, id: i64) -> Result<Ticket> {
        let url = self.inner.endpoint_url(&format!("tickets/get/{id}"))?;
        let req = self.api_get("GET /tickets/get/{id}", url, Some(format!("ticket {id}")));
        self.inner.get_json(&req).await
    }

    /// `GET /tickets/list` over a date range, as a stream of tickets (without transactions).
    ///
    /// The range is walked in windows (7 days by default, never more than one calendar month),
    /// each window's pages are followed through `paging.next` verbatim, and every ticket is
    /// yielded once: a ticket listed again (in a later page or window) is skipped, so **the
    /// first copy seen wins**. Fetch [`Department::ticket`] for the freshest state and the
    /// transactions. The stream ends after the first error it yields.
    pub fn tickets(&self, query: impl Into<TicketQuery>) -> BoxStream<'static, Result<Ticket>> {
        ticket_stream(self.clone(), query.into())
    }
}

impl Client {
    /// [`Department::tickets`] of department `department`.
    pub fn tickets(
        &self,
        department: Uuid,
        query: impl Into<TicketQuery>,
    ) -> BoxStream<'static, Result<Ticket>> {
        use futures::StreamExt;
        match self.department(department) {
            Ok(d) => d.tickets(query),
            Err(e) => futures::stream::once(async move { Err::<Ticket, Error>(e) }).boxed(),
        }
    }

    /// [`Department::ticket`] of department `department`.
    pub async fn ticket(&self, department: Uuid, id: i64) -> Result<Ticket> {
        self.department(department)?.ticket(id).await
    }
}
