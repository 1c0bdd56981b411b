//! `/data_attributes` and `/conversations/attributes` (2.16).

use crate::client::{Client, Req};
use crate::error::Result;
use crate::models::{
    AttributeModel, ConversationAttribute, CreateConversationAttribute, CreateDataAttribute,
    DataAttribute, DataType, List, UpdateConversationAttribute, UpdateDataAttribute,
};

/// Custom attribute definitions.
#[derive(Debug, Clone)]
pub struct Attributes {
    pub(crate) client: Client,
}

impl Attributes {
    /// `GET /data_attributes?model=…&include_archived=…`. In 2.16 `model=conversation` answers
    /// 422: use [`Attributes::list_conversation_attributes`].
    pub async fn list_data_attributes(
        &self,
        model: Option<AttributeModel>,
        include_archived: bool,
    ) -> Result<Vec<DataAttribute>> {
        let req = Req::get(&["data_attributes"])
            .query_opt("model", model.as_ref().map(AttributeModel::as_str))
            .query_opt("include_archived", include_archived.then_some(true));
        let list: List<DataAttribute> = self.client.execute(req).await?;
        Ok(list.data)
    }
    /// `POST /data_attributes`. Not re-sent when its outcome is unknown.
    pub async fn create_data_attribute(&self, body: &CreateDataAttribute) -> Result<DataAttribute> {
        let has_options = body.options.as_ref().is_some_and(|o| o.len() >= 2);
        if (body.data_type == DataType::Options) != has_options {
            return Err(crate::Error::InvalidRequest(format!(
                "data attribute {:?}: type `options` needs at least 2 options, and options need type `options`",
                body.name
            )));
        }
        self.client
            .execute(Req::post_create(&["data_attributes"]).json(body)?)
            .await
    }
    /// `PUT /data_attributes/{id}`: archive (there is no DELETE) or update.
    pub async fn update_data_attribute(
        &self,
        id: &str,
        body: &UpdateDataAttribute,
    ) -> Result<DataAttribute> {
        self.client
            .execute(Req::put(&["data_attributes", id]).json(body)?)
            .await
    }
    /// Archives a data attribute (`PUT` with `{"archived":true}`).
    pub async fn archive_data_attribute(&self, id: &str) -> Result<DataAttribute> {
        let body = UpdateDataAttribute {
            archived: Some(true),
            ..Default::default()
        };
        self.update_data_attribute(id, &body).await
    }
    /// `GET /conversations/attributes?include_archived=…` (2.16).
    pub async fn list_conversation_attributes(
        &self,
        include_archived: bool,
    ) -> Result<Vec<ConversationAttribute>> {
        let req = Req::get(&["conversations", "attributes"])
            .query_opt("include_archived", include_archived.then_some(true));
        let list: List<ConversationAttribute> = self.client.execute(req).await?;
        Ok(list.data)
    }
    /// `POST /conversations/attributes` (2.16). Not re-sent when its outcome is unknown.
    pub async fn create_conversation_attribute(
        &self,
        body: &CreateConversationAttribute,
    ) -> Result<ConversationAttribute> {
        self.client
            .execute(Req::post_create(&["conversations", "attributes"]).json(body)?)
            .await
    }
    /// `PUT /conversations/attributes/{id}` (2.16).
    pub async fn update_conversation_attribute(
        &self,
        id: &str,
        body: &UpdateConversationAttribute,
    ) -> Result<ConversationAttribute> {
        self.client
            .execute(Req::put(&["conversations", "attributes", id]).json(body)?)
            .await
    }
    /// `DELETE /conversations/attributes/{id}`: archives it (a soft delete).
    pub async fn archive_conversation_attribute(&self, id: &str) -> Result<ConversationAttribute> {
        self.client
            .execute(Req::delete(&["conversations", "attributes", id]))
            .await
    }
}
