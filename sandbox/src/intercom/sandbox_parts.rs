//! Sandbox-only: delete one part of a ticket or conversation behind the client's back
//! (`DELETE /__sandbox/intercom/parts/{part_id}`), as a person editing Intercom could make a
//! migrated message disappear. Real Intercom has no such endpoint; `verify`'s tests use it to
//! prove a missing part is reported. Answers `{"deleted": true, "parent": …}` or 404.

use axum::extract::Path;
use serde_json::json;

use super::St;
use super::errors::{ApiError, ApiResult, ok};

/// `DELETE /__sandbox/intercom/parts/{part_id}`.
pub(crate) async fn delete_part(
    axum::extract::State(sh): St,
    Path(part_id): Path<String>,
) -> ApiResult {
    let mut ws = sh.lock()?;
    for (id, t) in ws.tickets.iter_mut() {
        if let Some(i) = t.parts.iter().position(|p| p.id == part_id) {
            t.parts.remove(i);
            return ok(json!({ "deleted": true, "parent": { "type": "ticket", "id": id } }));
        }
    }
    for (id, c) in ws.conversations.iter_mut() {
        if let Some(i) = c.parts.iter().position(|p| p.id == part_id) {
            c.parts.remove(i);
            return ok(json!({ "deleted": true, "parent": { "type": "conversation", "id": id } }));
        }
    }
    Err(ApiError::not_found(format!(
        "no ticket or conversation has a part with id {part_id}"
    )))
}
