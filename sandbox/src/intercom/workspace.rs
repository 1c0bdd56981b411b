//! Read-only workspace objects: `/me`, admins, teams, help centers. They have no create route,
//! so a POST answers 404 like Intercom does for unsupported methods.

use axum::extract::{Path, State};
use serde_json::json;

use super::errors::{ApiError, ApiResult, ok};
use super::{St, render};
use axum::http::StatusCode;

/// `GET /me`: the first admin plus the app.
pub(crate) async fn me(State(sh): St) -> ApiResult {
    let ws = sh.lock()?;
    let admin = ws.admins.first().ok_or_else(ApiError::internal)?;
    let mut v = render::admin(admin);
    v["email_verified"] = json!(true);
    // `/me` answers `admin_with_app`, whose avatar is still the `{type: avatar, image_url}`
    // object (`GET /admins` has a nullable URL): no image, so no `image_url`.
    v["avatar"] = json!({ "type": "avatar" });
    v["app"] = json!({
        "type": "app", "id_code": render::WORKSPACE_ID, "name": "Helpdesk Sandbox", "created_at": 1_672_928_359,
        "secure": false, "identity_verification": false, "timezone": "Etc/UTC", "region": "US",
    });
    ok(v)
}

/// `GET /admins`.
pub(crate) async fn admins(State(sh): St) -> ApiResult {
    let ws = sh.lock()?;
    ok(
        json!({ "type": "admin.list", "admins": ws.admins.iter().map(render::admin).collect::<Vec<_>>() }),
    )
}

/// `GET /admins/{id}`.
pub(crate) async fn admin(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let a = ws.admin(&id).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "admin_not_found", "Admin not found")
    })?;
    ok(render::admin(a))
}

/// `GET /teams`.
pub(crate) async fn teams(State(sh): St) -> ApiResult {
    let ws = sh.lock()?;
    ok(
        json!({ "type": "team.list", "teams": ws.teams.iter().map(render::team).collect::<Vec<_>>() }),
    )
}

/// `GET /teams/{id}`.
pub(crate) async fn team(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let t =
        ws.teams.iter().find(|t| t.id == id).ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "team_not_found", "Team not found")
        })?;
    ok(render::team(t))
}

fn help_center_json(h: &super::model::HelpCenter) -> serde_json::Value {
    json!({
        "type": "help_center", "id": h.id, "workspace_id": render::WORKSPACE_ID, "created_at": h.created_at,
        "updated_at": h.created_at, "identifier": h.identifier, "website_turned_on": true, "display_name": h.display_name,
        "url": format!("http://help-center.sandbox/{}", h.identifier), "custom_domain": null,
    })
}

/// `GET /help_center/help_centers`.
pub(crate) async fn help_centers(State(sh): St) -> ApiResult {
    let ws = sh.lock()?;
    ok(
        json!({ "type": "list", "data": ws.help_centers.iter().map(help_center_json).collect::<Vec<_>>() }),
    )
}

/// `GET /help_center/help_centers/{id}`.
pub(crate) async fn help_center(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    let h = ws
        .help_centers
        .iter()
        .find(|h| h.id == id)
        .ok_or_else(ApiError::resource_not_found)?;
    ok(help_center_json(h))
}
