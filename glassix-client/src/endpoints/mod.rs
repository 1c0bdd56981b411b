//! The endpoints, as methods of [`crate::Department`] (and shortcuts on [`crate::Client`]).

mod attachments;
mod canned_replies;
mod contacts;
mod tenants;
mod tickets;
mod users;

pub use attachments::AttachmentDownload;

use reqwest::Method;
use url::Url;

use crate::client::Department;
use crate::transport::{Auth, Request};

impl Department {
    /// A bearer GET of this department, paced by its limiter.
    pub(crate) fn api_get<'a>(
        &'a self,
        endpoint: &'a str,
        url: Url,
        record: Option<String>,
    ) -> Request<'a> {
        Request {
            method: Method::GET,
            url,
            body: None,
            endpoint,
            department: Some(self.id()),
            pacer: Some(&self.state.pacer),
            auth: Auth::Bearer(&self.state),
            record,
            timeout: self.inner.timeout,
        }
    }
}

use uuid::Uuid;

use crate::client::Client;
use crate::error::Result;
use crate::models::{Attachment, CannedReply, Contact, Tag, User};

impl Client {
    /// [`Department::users`] of department `department`.
    pub async fn users(&self, department: Uuid) -> Result<Vec<User>> {
        self.department(department)?.users().await
    }

    /// [`Department::contact`] of department `department`.
    pub async fn contact(&self, department: Uuid, id: Uuid) -> Result<Contact> {
        self.department(department)?.contact(id).await
    }

    /// [`Department::tags`] of department `department`.
    pub async fn tags(&self, department: Uuid) -> Result<Vec<Tag>> {
        self.department(department)?.tags().await
    }

    /// [`Department::canned_replies`] of department `department`.
    pub async fn canned_replies(&self, department: Uuid) -> Result<Vec<CannedReply>> {
        self.department(department)?.canned_replies().await
    }

    /// [`Department::download_attachment`] of department `department`.
    pub async fn download_attachment(
        &self,
        department: Uuid,
        ticket_id: i64,
        attachment: &Attachment,
    ) -> Result<AttachmentDownload> {
        self.department(department)?
            .download_attachment(ticket_id, attachment)
            .await
    }
}
