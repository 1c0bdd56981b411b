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

    /// Checks, in two requests and before any bulk read, that this department's credentials
    /// and the workspace's plan let the API be used: a token (`POST /token/get`, or the cached
    /// one) and `GET /tenants/gettags`, the cheapest authenticated call (one small list, one
    /// request of the quota).
    ///
    /// Fails with [`crate::Error::InvalidCredentials`] when Glassix refuses the key, secret or
    /// user name, [`crate::Error::ApiAccessDenied`] when the plan has no API access (or the key
    /// is barred), and a transport, HTTP or rate-limit error when Glassix cannot be reached or
    /// keeps failing. A refusal is remembered: later calls of the department fail at once.
    pub async fn check_access(&self) -> Result<()> {
        self.tags().await.map(|_| ())
    }
}
