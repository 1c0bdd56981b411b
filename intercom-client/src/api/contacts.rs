//! `/contacts`, contact notes.

use futures::stream::BoxStream;

use crate::client::{Client, Req};
use crate::error::Result;
use crate::models::{
    Contact, ContactArchived, ContactDeleted, ContactPage, CreateContact, CreateNote, Note,
    NotePage, SearchQuery, SearchRequest, UpdateContact,
};
use crate::pagination;

/// Contacts (users and leads).
#[derive(Debug, Clone)]
pub struct Contacts {
    pub(crate) client: Client,
}

impl Contacts {
    /// `POST /contacts`. Not re-sent when its outcome is unknown
    /// ([`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown)); a 409 is
    /// [`Error::DuplicateContact`](crate::Error::DuplicateContact).
    pub async fn create(&self, body: &CreateContact) -> Result<Contact> {
        body.validate()?;
        let mut req = Req::post_create(&["contacts"]).json(body)?;
        req.duplicate_contact_on_conflict = true;
        self.client.execute(req).await
    }
    /// `GET /contacts/{id}`.
    pub async fn get(&self, id: &str) -> Result<Contact> {
        self.client.execute(Req::get(&["contacts", id])).await
    }
    /// `PUT /contacts/{id}`.
    pub async fn update(&self, id: &str, body: &UpdateContact) -> Result<Contact> {
        let mut req = Req::put(&["contacts", id]).json(body)?;
        req.duplicate_contact_on_conflict = true;
        self.client.execute(req).await
    }
    /// `PUT /contacts/{id}` with the fields as given: unlike [`Contacts::update`], a `null`
    /// clears a field (used to put back what a contact held before a migration changed it).
    pub async fn update_fields(
        &self,
        id: &str,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Contact> {
        let mut req = Req::put(&["contacts", id]).json(fields)?;
        req.duplicate_contact_on_conflict = true;
        self.client.execute(req).await
    }
    /// `DELETE /contacts/{id}` (permanent).
    pub async fn delete(&self, id: &str) -> Result<ContactDeleted> {
        self.client.execute(Req::delete(&["contacts", id])).await
    }
    /// `POST /contacts/{id}/archive` (reversible).
    pub async fn archive(&self, id: &str) -> Result<ContactArchived> {
        self.client
            .execute(Req::post_safe(&["contacts", id, "archive"]))
            .await
    }
    /// `POST /contacts/{id}/unarchive`.
    pub async fn unarchive(&self, id: &str) -> Result<ContactArchived> {
        self.client
            .execute(Req::post_safe(&["contacts", id, "unarchive"]))
            .await
    }
    /// `GET /contacts/find_by_external_id/{external_id}` (users only). `Ok(None)` on 404.
    /// A merged contact answers 410, returned as [`Error::Api`](crate::Error::Api).
    pub async fn find_by_external_id(&self, external_id: &str) -> Result<Option<Contact>> {
        match self
            .client
            .execute(Req::get(&["contacts", "find_by_external_id", external_id]))
            .await
        {
            Ok(c) => Ok(Some(c)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
    /// `GET /contacts` as a stream (query cursor).
    pub fn list(&self, per_page: Option<u32>) -> BoxStream<'static, Result<Contact>> {
        pagination::query_cursor::<ContactPage>(
            self.client.clone(),
            Req::get(&["contacts"]),
            per_page,
        )
    }
    /// `POST /contacts/search` as a stream (body cursor).
    pub fn search(
        &self,
        search: &SearchRequest,
        per_page: Option<u32>,
    ) -> BoxStream<'static, Result<Contact>> {
        match Req::post_safe(&["contacts", "search"]).json(search) {
            Ok(req) => pagination::body_cursor::<ContactPage>(self.client.clone(), req, per_page),
            Err(e) => Box::pin(futures::stream::once(async move { Err(e) })),
        }
    }
    /// Contacts whose email equals `email` (first page of up to 50; new contacts can take
    /// minutes to become searchable).
    pub async fn search_by_email(&self, email: &str) -> Result<Vec<Contact>> {
        self.search_first_page(SearchQuery::eq("email", email))
            .await
    }
    /// Contacts whose external id equals `external_id`.
    pub async fn search_by_external_id(&self, external_id: &str) -> Result<Vec<Contact>> {
        self.search_first_page(SearchQuery::eq("external_id", external_id))
            .await
    }
    async fn search_first_page(&self, query: SearchQuery) -> Result<Vec<Contact>> {
        let req = Req::post_safe(&["contacts", "search"]).json(&SearchRequest::new(query))?;
        let page: ContactPage = self.client.execute(req).await?;
        Ok(page.items)
    }
    /// `POST /contacts/{id}/notes`. Not re-sent when its outcome is unknown.
    // Spec quirk (intercom-api.md §10): the spec types `contact_id` here as an integer; real
    // contact ids are 24-hex strings, so the id is sent as the string it is.
    pub async fn create_note(&self, contact_id: &str, body: &CreateNote) -> Result<Note> {
        let req = Req::post_create(&["contacts", contact_id, "notes"]).json(body)?;
        self.client.execute(req).await
    }
    /// `GET /contacts/{id}/notes` as a stream (query cursor).
    pub fn notes(
        &self,
        contact_id: &str,
        per_page: Option<u32>,
    ) -> BoxStream<'static, Result<Note>> {
        pagination::query_cursor::<NotePage>(
            self.client.clone(),
            Req::get(&["contacts", contact_id, "notes"]),
            per_page,
        )
    }
}
