//! Users, contacts, tags and canned replies of the token's department.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::Department;
use super::{Shared, message};

fn department_list(
    shared: &Shared,
    dept: &str,
    pick: fn(&crate::snapshot::SnapshotDepartment) -> &Vec<Value>,
) -> Response {
    let Ok(s) = shared.state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let list = s
        .snapshot
        .departments
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(dept))
        .map(|d| pick(d).clone())
        .unwrap_or_default();
    axum::Json(list).into_response()
}

/// `GET /users/allusers`.
pub(crate) async fn users(
    State(shared): State<Arc<Shared>>,
    Extension(Department(dept)): Extension<Department>,
) -> Response {
    department_list(&shared, &dept, |d| &d.users)
}

/// `GET /tenants/gettags`.
pub(crate) async fn tags(
    State(shared): State<Arc<Shared>>,
    Extension(Department(dept)): Extension<Department>,
) -> Response {
    department_list(&shared, &dept, |d| &d.tags)
}

/// `GET /cannedreplies/getall`.
pub(crate) async fn canned_replies(
    State(shared): State<Arc<Shared>>,
    Extension(Department(dept)): Extension<Department>,
) -> Response {
    department_list(&shared, &dept, |d| &d.canned_replies)
}

/// `GET /contacts/get/{id}`. Contacts are workspace-wide (any department's token reads them).
pub(crate) async fn contact(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Ok(s) = shared.state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match s.contacts.get(&id.to_ascii_lowercase()) {
        Some(c) => axum::Json(c.clone()).into_response(),
        None => message(StatusCode::NOT_FOUND, "Contact not found."),
    }
}
