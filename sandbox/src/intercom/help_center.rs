//! Help center collections and articles: create, get, update, list with page numbers, delete.
//! Deleting a collection leaves its articles without a parent (the reference does not say what
//! Intercom does; delete articles first).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Map, Value, json};

use super::errors::{ApiError, ApiResult, ok, parse_body};
use super::model::{Article, Collection, Deleted, IntercomState, id_of};
use super::search::{numbered_page, query_map};
use super::{St, render};

fn collection_not_found() -> ApiError {
    ApiError::resource_not_found()
}

fn check_parent(
    ws: &IntercomState,
    parent: &Option<String>,
    me: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(p) = parent {
        if Some(p.as_str()) == me || !ws.collections.contains_key(p) {
            return Err(
                ApiError::bad(format!("parent_id {p} is not an existing collection"))
                    .field("parent_id"),
            );
        }
    }
    Ok(())
}

/// `POST /help_center/collections`.
pub(crate) async fn create_collection(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    let name = b
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "parameter_not_found",
                "Name is a required parameter.",
            )
            .field("name")
        })?;
    let mut ws = sh.lock()?;
    let parent = id_of(b.get("parent_id"));
    check_parent(&ws, &parent, None)?;
    let hc = match id_of(b.get("help_center_id")) {
        Some(h) => ws
            .help_centers
            .iter()
            .find(|x| x.id == h)
            .map(|x| x.id.clone())
            .ok_or_else(|| {
                ApiError::bad(format!("help_center_id {h} does not exist")).field("help_center_id")
            })?,
        None => ws
            .help_centers
            .first()
            .map(|h| h.id.clone())
            .ok_or_else(|| ApiError::bad("The workspace has no help center"))?,
    };
    let now = sh.now();
    let c = Collection {
        id: ws.next_id(),
        name: name.to_string(),
        description: b
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string),
        parent_id: parent,
        help_center_id: hc.parse().unwrap_or_default(),
        order: ws.collections.len() as i64 + 1,
        created_at: now,
        updated_at: now,
    };
    let out = render::collection(&c);
    ws.collections.insert(c.id.clone(), c);
    ok(out)
}

/// `GET /help_center/collections?page=&per_page=` (most recently updated first).
pub(crate) async fn list_collections(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let ws = sh.lock()?;
    let mut all: Vec<&Collection> = ws.collections.values().collect();
    all.sort_by_key(|c| std::cmp::Reverse(c.updated_at));
    let (data, pages) = numbered_page(&all, &query_map(q), 20)?;
    ok(
        json!({ "type": "list", "data": data.iter().map(|c| render::collection(c)).collect::<Vec<_>>(), "total_count": all.len(), "pages": pages }),
    )
}

/// `GET /help_center/collections/{id}`.
pub(crate) async fn get_collection(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    ok(render::collection(
        ws.collections.get(&id).ok_or_else(collection_not_found)?,
    ))
}

/// `PUT /help_center/collections/{id}`.
pub(crate) async fn update_collection(
    State(sh): St,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let mut c = ws
        .collections
        .get(&id)
        .cloned()
        .ok_or_else(collection_not_found)?;
    if b.contains_key("parent_id") {
        let parent = id_of(b.get("parent_id"));
        check_parent(&ws, &parent, Some(&id))?;
        c.parent_id = parent;
    }
    if let Some(v) = b.get("name").and_then(Value::as_str) {
        c.name = v.to_string();
    }
    if let Some(v) = b.get("description").and_then(Value::as_str) {
        c.description = Some(v.to_string());
    }
    c.updated_at = sh.now();
    let out = render::collection(&c);
    ws.collections.insert(id, c);
    ok(out)
}

/// `DELETE /help_center/collections/{id}`.
pub(crate) async fn delete_collection(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let mut ws = sh.lock()?;
    let c = ws
        .collections
        .remove(&id)
        .ok_or_else(collection_not_found)?;
    let numeric: Option<i64> = id.parse().ok();
    for a in ws.articles.values_mut().filter(|a| a.parent_id == numeric) {
        a.parent_id = None;
        a.parent_type = None;
    }
    for child in ws
        .collections
        .values_mut()
        .filter(|x| x.parent_id.as_deref() == Some(id.as_str()))
    {
        child.parent_id = None;
    }
    let now = sh.now();
    ws.deleted.push(Deleted {
        kind: "collection".into(),
        id: id.clone(),
        deleted_at: now,
        record: render::collection(&c),
    });
    ok(json!({ "id": id, "object": "collection", "deleted": true }))
}

fn apply_article(
    ws: &IntercomState,
    a: &mut Article,
    b: &Map<String, Value>,
) -> Result<(), ApiError> {
    if b.contains_key("body") && b.contains_key("body_markdown") {
        return Err(ApiError::bad("Send body or body_markdown, not both"));
    }
    if let Some(v) = b.get("title").and_then(Value::as_str) {
        a.title = v.to_string();
    }
    if let Some(v) = b.get("description").and_then(Value::as_str) {
        a.description = Some(v.to_string());
    }
    if let Some(v) = b
        .get("body")
        .or_else(|| b.get("body_markdown"))
        .and_then(Value::as_str)
    {
        a.body = v.to_string();
    }
    if let Some(v) = b.get("author_id") {
        let id = id_of(Some(v)).unwrap_or_default();
        if ws.admin(&id).is_none() {
            return Err(ApiError::bad(format!(
                "author_id {id} must be a teammate of this workspace"
            ))
            .field("author_id"));
        }
        a.author_id = id.parse().unwrap_or_default();
    }
    if let Some(v) = b.get("state").and_then(Value::as_str) {
        if v != "published" && v != "draft" {
            return Err(
                ApiError::bad(format!("state must be published or draft, got '{v}'"))
                    .field("state"),
            );
        }
        a.state = v.to_string();
    }
    if b.contains_key("parent_id") {
        match id_of(b.get("parent_id")) {
            None => a.parent_id = None,
            Some(p) => {
                if !ws.collections.contains_key(&p) {
                    return Err(ApiError::bad(format!(
                        "parent_id {p} is not an existing collection or section"
                    ))
                    .field("parent_id"));
                }
                a.parent_id = p.parse().ok();
                a.parent_type = Some(
                    b.get("parent_type")
                        .and_then(Value::as_str)
                        .unwrap_or("collection")
                        .to_string(),
                );
            }
        }
    }
    Ok(())
}

/// `POST /articles`: `title` and `author_id` (a teammate) required.
pub(crate) async fn create_article(State(sh): St, body: Bytes) -> ApiResult {
    let b = parse_body(&body)?;
    if b.get("title").and_then(Value::as_str).is_none() {
        return Err(ApiError::missing("title"));
    }
    if !b.contains_key("author_id") {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "parameter_not_found",
            "author_id must be in the main body or default locale translated_content object",
        ));
    }
    let mut ws = sh.lock()?;
    let now = sh.now();
    let mut a = Article {
        id: String::new(),
        title: String::new(),
        description: None,
        body: String::new(),
        author_id: 0,
        state: "draft".into(),
        parent_id: None,
        parent_type: None,
        created_at: now,
        updated_at: now,
    };
    apply_article(&ws, &mut a, &b)?;
    a.id = ws.next_id();
    let out = render::article(&a);
    ws.articles.insert(a.id.clone(), a);
    ok(out)
}

/// `GET /articles?page=&per_page=`.
pub(crate) async fn list_articles(State(sh): St, RawQuery(q): RawQuery) -> ApiResult {
    let ws = sh.lock()?;
    let all: Vec<&Article> = ws.articles.values().collect();
    let (data, pages) = numbered_page(&all, &query_map(q), 25)?;
    ok(
        json!({ "type": "list", "pages": pages, "total_count": all.len(), "data": data.iter().map(|a| render::article(a)).collect::<Vec<_>>() }),
    )
}

/// `GET /articles/{id}`.
pub(crate) async fn get_article(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let ws = sh.lock()?;
    ok(render::article(
        ws.articles
            .get(&id)
            .ok_or_else(ApiError::resource_not_found)?,
    ))
}

/// `PUT /articles/{id}`.
pub(crate) async fn update_article(
    State(sh): St,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let b = parse_body(&body)?;
    let mut ws = sh.lock()?;
    let mut a = ws
        .articles
        .get(&id)
        .cloned()
        .ok_or_else(ApiError::resource_not_found)?;
    apply_article(&ws, &mut a, &b)?;
    a.updated_at = sh.now();
    let out = render::article(&a);
    ws.articles.insert(id, a);
    ok(out)
}

/// `DELETE /articles/{id}`.
pub(crate) async fn delete_article(State(sh): St, Path(id): Path<String>) -> ApiResult {
    let mut ws = sh.lock()?;
    let a = ws
        .articles
        .remove(&id)
        .ok_or_else(ApiError::resource_not_found)?;
    let now = sh.now();
    ws.deleted.push(Deleted {
        kind: "article".into(),
        id: id.clone(),
        deleted_at: now,
        record: render::article(&a),
    });
    ok(json!({ "id": id, "object": "article", "deleted": true }))
}
