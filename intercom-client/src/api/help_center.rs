//! `/help_center/*` and `/articles`.

use futures::stream::BoxStream;

use crate::client::{Client, Req};
use crate::error::Result;
use crate::models::{
    Article, ArticlePage, Collection, CollectionPage, CreateArticle, CreateCollection, Deleted,
    HelpCenter, List, UpdateArticle,
};
use crate::pagination;

/// Help centers (read-only), collections and articles.
#[derive(Debug, Clone)]
pub struct HelpCenterApi {
    pub(crate) client: Client,
}

impl HelpCenterApi {
    /// `GET /help_center/help_centers`.
    pub async fn list_help_centers(&self) -> Result<Vec<HelpCenter>> {
        let list: List<HelpCenter> = self
            .client
            .execute(Req::get(&["help_center", "help_centers"]))
            .await?;
        Ok(list.data)
    }
    /// `POST /help_center/collections`. Not re-sent when its outcome is unknown.
    pub async fn create_collection(&self, body: &CreateCollection) -> Result<Collection> {
        self.client
            .execute(Req::post_create(&["help_center", "collections"]).json(body)?)
            .await
    }
    /// `GET /help_center/collections/{id}`.
    pub async fn get_collection(&self, id: &str) -> Result<Collection> {
        self.client
            .execute(Req::get(&["help_center", "collections", id]))
            .await
    }
    /// `DELETE /help_center/collections/{id}` (delete its articles first).
    pub async fn delete_collection(&self, id: &str) -> Result<Deleted> {
        self.client
            .execute(Req::delete(&["help_center", "collections", id]))
            .await
    }
    /// `GET /help_center/collections` as a stream (page number).
    pub fn collections(&self, per_page: Option<u32>) -> BoxStream<'static, Result<Collection>> {
        pagination::page_number::<CollectionPage>(
            self.client.clone(),
            Req::get(&["help_center", "collections"]),
            per_page,
        )
    }
    /// `POST /articles`. Not re-sent when its outcome is unknown.
    pub async fn create_article(&self, body: &CreateArticle) -> Result<Article> {
        body.check()?;
        self.client
            .execute(Req::post_create(&["articles"]).json(body)?)
            .await
    }
    /// `GET /articles/{id}`.
    pub async fn get_article(&self, id: &str) -> Result<Article> {
        self.client.execute(Req::get(&["articles", id])).await
    }
    /// `PUT /articles/{id}` (idempotent).
    pub async fn update_article(&self, id: &str, body: &UpdateArticle) -> Result<Article> {
        self.client
            .execute(Req::put(&["articles", id]).json(body)?)
            .await
    }
    /// `DELETE /articles/{id}`.
    pub async fn delete_article(&self, id: &str) -> Result<Deleted> {
        self.client.execute(Req::delete(&["articles", id])).await
    }
    /// `GET /articles` as a stream (page number).
    pub fn articles(&self, per_page: Option<u32>) -> BoxStream<'static, Result<Article>> {
        pagination::page_number::<ArticlePage>(
            self.client.clone(),
            Req::get(&["articles"]),
            per_page,
        )
    }
}
