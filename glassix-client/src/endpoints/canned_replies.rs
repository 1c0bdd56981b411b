use crate::client::Department;
use crate::error::Result;
use crate::models::CannedReply;

impl Department {
    /// `GET /cannedreplies/getall`: the department's canned replies.
    pub async fn canned_replies(&self) -> Result<Vec<CannedReply>> {
        let url = self.inner.endpoint_url("cannedreplies/getall")?;
        let req = self.api_get("GET /cannedreplies/getall", url, None);
        self.inner.get_json(&req).await
    }
}
