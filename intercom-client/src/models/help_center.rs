//! Help centers (read-only), collections and articles.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use wire_extra::impl_deserialize_with_extra;

/// A help center (created in the UI only).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct HelpCenter {
    /// Id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Identifier.
    #[serde(default)]
    pub identifier: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether it is the default help center.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub default: Option<bool>,
    /// Other fields, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(HelpCenter);

/// Localised name and description of a collection (`group_content`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupContent {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Localised content of an article (`article_content`; request side).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleContent {
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Author admin id. Spec: an integer; sent as a number.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::opt_str_as_int",
        deserialize_with = "crate::lenient::opt_id"
    )]
    pub author_id: Option<String>,
    /// `published` or `draft`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ArticleState>,
}

/// Translations keyed by locale (`en`, `fr`, …). Serialised as `{ "<locale>": content, … }`.
pub type TranslatedContent<T> = std::collections::BTreeMap<String, T>;

/// A collection.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct Collection {
    /// Id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Parent collection (none: top level).
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub parent_id: Option<String>,
    /// Help center.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub help_center_id: Option<String>,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Other fields (translated_content, url, order, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(Collection);

/// `POST /help_center/collections`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreateCollection {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Parent collection id (a string here); `None` creates a top-level collection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Help center id. Spec: an integer; sent as a number. `None`: the default help center.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::opt_str_as_int"
    )]
    pub help_center_id: Option<String>,
    /// Translations by locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translated_content: Option<TranslatedContent<GroupContent>>,
}

crate::lenient::open_enum! {
    /// An article's state.
    pub enum ArticleState {
        /// Live.
        Published => "published",
        /// Not live.
        Draft => "draft",
    }
}

/// Where an article sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParentType {
    /// A collection.
    Collection,
    /// A section.
    Section,
}

/// An article.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct Article {
    /// Id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// HTML body.
    #[serde(default)]
    pub body: Option<String>,
    /// Author admin id.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub author_id: Option<String>,
    /// State.
    #[serde(default)]
    pub state: Option<ArticleState>,
    /// Parent id.
    #[serde(default, deserialize_with = "crate::lenient::opt_id")]
    pub parent_id: Option<String>,
    /// Parent ids.
    #[serde(default, deserialize_with = "crate::lenient::id_list")]
    pub parent_ids: Vec<String>,
    /// Parent type.
    #[serde(default)]
    pub parent_type: Option<String>,
    /// Created (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
    /// Other fields (translated_content, statistics, url, …), kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(Article);

/// `PUT /articles/{id}`: the content fields of an article (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateArticle {
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// HTML body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `published` or `draft`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<ArticleState>,
}

impl UpdateArticle {
    /// The content of `create` (title, description, body, state), to bring an article to it.
    pub fn content_of(create: &CreateArticle) -> Self {
        UpdateArticle {
            title: Some(create.title.clone()),
            description: create.description.clone(),
            body: create.body.clone(),
            state: create.state.clone(),
        }
    }
}

/// `POST /articles`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CreateArticle {
    /// Title.
    pub title: String,
    /// Author admin id. Spec: an integer; sent as a number (must be numeric).
    #[serde(serialize_with = "crate::lenient::str_as_int")]
    pub author_id: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// HTML body (or `body_markdown`, not both).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Markdown body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_markdown: Option<String>,
    /// `published` or `draft` (default draft).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<ArticleState>,
    /// Parent collection/section id. Spec quirk: an integer on create (a string on update).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::lenient::opt_str_as_int"
    )]
    pub parent_id: Option<String>,
    /// Parent type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_type: Option<ParentType>,
    /// Translations by locale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub translated_content: Option<TranslatedContent<ArticleContent>>,
}

impl CreateArticle {
    pub(crate) fn check(&self) -> crate::Result<()> {
        if self.body.is_some() && self.body_markdown.is_some() {
            return Err(crate::Error::InvalidRequest(format!(
                "article {:?}: set body or body_markdown, not both",
                self.title
            )));
        }
        Ok(())
    }
}

crate::pagination::list_page!(
    /// A page of articles (`GET /articles`).
    ArticlePage, Article, "data"
);
crate::pagination::list_page!(
    /// A page of collections (`GET /help_center/collections`).
    CollectionPage, Collection, "data"
);
