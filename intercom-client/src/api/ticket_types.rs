//! `/ticket_types`, their attributes, `/ticket_states`.

use crate::client::{Client, Req};
use crate::error::Result;
use crate::models::{
    CreateTicketType, CreateTicketTypeAttribute, List, TicketState, TicketType,
    TicketTypeAttribute, UpdateTicketType, UpdateTicketTypeAttribute,
};

/// Ticket types and states.
#[derive(Debug, Clone)]
pub struct TicketTypes {
    pub(crate) client: Client,
}

impl TicketTypes {
    /// `GET /ticket_types`.
    pub async fn list(&self) -> Result<Vec<TicketType>> {
        let list: List<TicketType> = self.client.execute(Req::get(&["ticket_types"])).await?;
        Ok(list.data)
    }
    /// `POST /ticket_types`. Not re-sent when its outcome is unknown.
    pub async fn create(&self, body: &CreateTicketType) -> Result<TicketType> {
        self.client
            .execute(Req::post_create(&["ticket_types"]).json(body)?)
            .await
    }
    /// `GET /ticket_types/{id}`.
    pub async fn get(&self, id: &str) -> Result<TicketType> {
        self.client.execute(Req::get(&["ticket_types", id])).await
    }
    /// `POST /ticket_types/{id}/attributes`. Not re-sent when its outcome is unknown.
    pub async fn create_attribute(
        &self,
        ticket_type_id: &str,
        body: &CreateTicketTypeAttribute,
    ) -> Result<TicketTypeAttribute> {
        self.client
            .execute(Req::post_create(&["ticket_types", ticket_type_id, "attributes"]).json(body)?)
            .await
    }
    /// `GET /ticket_states` (read-only; configured in the UI).
    pub async fn list_states(&self) -> Result<Vec<TicketState>> {
        let list: List<TicketState> = self.client.execute(Req::get(&["ticket_states"])).await?;
        Ok(list.data)
    }
    /// `PUT /ticket_types/{id}` (archive with `archived: Some(true)`; there is no DELETE).
    pub async fn update(&self, id: &str, body: &UpdateTicketType) -> Result<TicketType> {
        self.client
            .execute(Req::put(&["ticket_types", id]).json(body)?)
            .await
    }
    /// `PUT /ticket_types/{id}/attributes/{attribute_id}` (archive with `archived: Some(true)`).
    pub async fn update_attribute(
        &self,
        ticket_type_id: &str,
        attribute_id: &str,
        body: &UpdateTicketTypeAttribute,
    ) -> Result<TicketTypeAttribute> {
        self.client
            .execute(
                Req::put(&["ticket_types", ticket_type_id, "attributes", attribute_id])
                    .json(body)?,
            )
            .await
    }
}
