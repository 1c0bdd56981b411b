//! The three pagination styles as `futures::Stream`s.
//!
//! 1. query cursor (`GET …?per_page&starting_after`), 2. body cursor on search
//!    (`{"pagination":{"per_page","starting_after"}}`), 3. page number (`?page&per_page`, articles
//!    and collections). Each stream fetches a page only when the previous one is consumed.

use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::{Client, Req};
use crate::error::{Error, Result};

/// The `pages` object of a list response (`cursor_pages`; lenient about `next` being a URL).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Pages {
    /// Current page number.
    #[serde(default)]
    pub page: Option<u64>,
    /// Items per page.
    #[serde(default)]
    pub per_page: Option<u64>,
    /// Number of pages.
    #[serde(default)]
    pub total_pages: Option<u64>,
    /// `{per_page, starting_after}` for cursor lists; a URL string in a few page-number lists.
    #[serde(default)]
    pub next: Option<Value>,
}

impl Pages {
    /// The cursor of the next page, if there is one.
    pub fn next_cursor(&self) -> Option<String> {
        match &self.next {
            Some(Value::Object(m)) => m
                .get("starting_after")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            _ => None,
        }
    }
}

/// A decoded page of a list endpoint.
pub(crate) trait ListPage: DeserializeOwned + Send + 'static {
    type Item: Send + 'static;
    fn into_parts(self) -> (Vec<Self::Item>, Option<Pages>);
}

/// Declares a list response struct whose items sit under `$key`.
macro_rules! list_page {
    ($(#[$m:meta])* $name:ident, $item:ty, $key:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, serde::Deserialize)]
        pub struct $name {
            /// The items of this page.
            #[serde(rename = $key, default, deserialize_with = "crate::lenient::null_default")]
            pub items: Vec<$item>,
            /// Total number of matching items, when given.
            #[serde(default)]
            pub total_count: Option<u64>,
            /// Paging information.
            #[serde(default)]
            pub pages: Option<crate::pagination::Pages>,
        }

        impl crate::pagination::ListPage for $name {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, Option<crate::pagination::Pages>) {
                (self.items, self.pages)
            }
        }
    };
}
pub(crate) use list_page;

fn flatten<T: Send + 'static>(
    pages: impl futures::Stream<Item = Result<Vec<T>>> + Send + 'static,
) -> BoxStream<'static, Result<T>> {
    pages
        .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Style 1: `GET` with `per_page` and `starting_after` query parameters.
pub(crate) fn query_cursor<P: ListPage>(
    client: Client,
    req: Req,
    per_page: Option<u32>,
) -> BoxStream<'static, Result<P::Item>> {
    let pages = stream::try_unfold(Some(None::<String>), move |state| {
        let client = client.clone();
        let req = req.clone();
        async move {
            let Some(cursor) = state else { return Ok(None) };
            let req = req
                .query_opt("per_page", per_page)
                .query_opt("starting_after", cursor.as_deref());
            let page: P = client.execute(req).await?;
            let (items, pages) = page.into_parts();
            let next = pages.and_then(|p| p.next_cursor());
            // An empty page ends the list even if a cursor came back (defensive against loops).
            let next = if items.is_empty() {
                None
            } else {
                next.map(Some)
            };
            Ok(Some((items, next)))
        }
    });
    flatten(pages)
}

/// Style 2: `POST …/search` with `pagination.starting_after` in the JSON body.
pub(crate) fn body_cursor<P: ListPage>(
    client: Client,
    req: Req,
    per_page: Option<u32>,
) -> BoxStream<'static, Result<P::Item>> {
    let pages = stream::try_unfold(Some(None::<String>), move |state| {
        let client = client.clone();
        let mut req = req.clone();
        async move {
            let Some(cursor) = state else { return Ok(None) };
            let mut body = match req.body.as_deref().map(serde_json::from_slice::<Value>) {
                Some(Ok(v)) => v,
                Some(Err(e)) => {
                    return Err(Error::InvalidRequest(format!(
                        "{} {}: the search body is not JSON: {e}",
                        req.method,
                        req.path()
                    )));
                }
                None => Value::Null,
            };
            if let Value::Object(body) = &mut body {
                let mut pagination = serde_json::Map::new();
                if let Some(n) = per_page {
                    pagination.insert("per_page".into(), Value::from(n));
                }
                if let Some(c) = cursor {
                    pagination.insert("starting_after".into(), Value::from(c));
                }
                if pagination.is_empty() {
                    body.remove("pagination");
                } else {
                    body.insert("pagination".into(), Value::Object(pagination));
                }
                req = req.json(&body)?;
            }
            let page: P = client.execute(req).await?;
            let (items, pages) = page.into_parts();
            let next = pages.and_then(|p| p.next_cursor());
            let next = if items.is_empty() {
                None
            } else {
                next.map(Some)
            };
            Ok(Some((items, next)))
        }
    });
    flatten(pages)
}

/// Style 3: `GET` with `page` (1-based) and `per_page`, until `total_pages` or an empty page.
pub(crate) fn page_number<P: ListPage>(
    client: Client,
    req: Req,
    per_page: Option<u32>,
) -> BoxStream<'static, Result<P::Item>> {
    let pages = stream::try_unfold(Some(1u64), move |state| {
        let client = client.clone();
        let req = req.clone();
        async move {
            let Some(page_no) = state else {
                return Ok(None);
            };
            let req = req.query("page", page_no).query_opt("per_page", per_page);
            let page: P = client.execute(req).await?;
            let (items, pages) = page.into_parts();
            let total = pages.as_ref().and_then(|p| p.total_pages).unwrap_or(0);
            let next = (!items.is_empty() && page_no < total).then_some(page_no + 1);
            Ok(Some((items, next)))
        }
    });
    flatten(pages)
}
