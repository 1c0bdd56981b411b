use crate::client::Department;
use crate::error::Result;
use crate::models::User;

impl Department {
    /// `GET /users/allusers`: the department's users (agents, bots, API users).
    pub async fn users(&self) -> Result<Vec<User>> {
        let url = self.inner.endpoint_url("users/allusers")?;
        let req = self.api_get("GET /users/allusers", url, None);
        self.inner.get_json(&req).await
    }
}
