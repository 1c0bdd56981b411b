use uuid::Uuid;

use crate::client::Department;
use crate::error::Result;
use crate::models::Contact;

impl Department {
    /// `GET /contacts/get/{id}`: one contact. An unknown id fails with a 404
    /// ([`crate::Error::is_not_found`]). Contact ids come from `participants[].contactId`.
    pub async fn contact(&self, id: Uuid) -> Result<Contact> {
        let url = self
            .inner
            .endpoint_url(&format!("contacts/get/{}", id.hyphenated()))?;
        let req = self.api_get("GET /contacts/get/{id}", url, Some(format!("contact {id}")));
        self.inner.get_json(&req).await
    }
}
