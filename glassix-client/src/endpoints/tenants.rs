use crate::client::Department;
use crate::error::Result;
use crate::models::Tag;

impl Department {
    /// `GET /tenants/gettags`: the department's tag catalogue (deleted tags included, flagged).
    pub async fn tags(&self) -> Result<Vec<Tag>> {
        let url = self.inner.endpoint_url("tenants/gettags")?;
        let req = self.api_get("GET /tenants/gettags", url, None);
        self.inner.get_json(&req).await
    }
}
