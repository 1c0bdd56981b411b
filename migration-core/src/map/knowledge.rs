//! Knowledge base → Help Center collections and articles; canned replies per policy.
//!
//! The Glassix API does not expose the knowledge base. It is read from an export file
//! (`knowledge-base.json`, format `glassix-knowledge-base` version 1, written by the project's
//! sandbox and documented in `docs/mapping-reference.md`). The reader types here are lenient:
//! missing optional fields default, unknown fields are ignored.

use std::collections::{BTreeMap, BTreeSet};

use glassix_client::models::CannedReply;
use intercom_client::models::{ArticleState, CreateArticle, CreateCollection, ParentType};
use serde::{Deserialize, Serialize};

use super::attributes::{TagRef, tag_refs};
use super::body::{reduce_html, text_to_html};
use super::context::{Directory, MapContext};
use super::outcome::{FieldNote, MapReason, Mapped, ReasonCode};
use crate::error::{Error, Result};
use crate::spec::{AgentPolicy, CannedRepliesPolicy};

/// `format` value of the knowledge-base export.
pub const KB_FORMAT: &str = "glassix-knowledge-base";
/// `format` value of the automation inventory export.
pub const AUTOMATION_FORMAT: &str = "glassix-automation-inventory";
/// Source id of the collection that holds canned replies (policy `articles`); one child
/// collection per canned-reply category is keyed `<this>/<category>`.
pub const CANNED_REPLIES_COLLECTION: &str = "glassix-canned-replies";

/// The knowledge-base export file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KnowledgeBaseExport {
    /// Always [`KB_FORMAT`].
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// Categories; `parentId` nests them.
    pub categories: Vec<KbCategory>,
    /// Articles.
    pub articles: Vec<KbArticle>,
}

/// A knowledge-base category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KbCategory {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Parent category id (`null` at the top level).
    pub parent_id: Option<String>,
    /// Display order.
    pub order: u32,
}

/// A knowledge-base article.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KbArticle {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Category id (`null` when uncategorised).
    pub category_id: Option<String>,
    /// HTML body.
    pub body_html: String,
    /// `published` or `draft` (anything else is treated as draft).
    pub state: String,
    /// The author's Glassix user name (e-mail).
    pub author_user_name: String,
    /// Culture (`en-US`, `he-IL`…).
    pub culture: String,
    /// Tag names.
    pub tags: Vec<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Updated (RFC 3339).
    pub updated_at: String,
}

impl KnowledgeBaseExport {
    /// Reads the export from JSON, refusing another file's `format`.
    pub fn from_json(text: &str) -> Result<Self> {
        let kb: Self =
            serde_json::from_str(text).map_err(Error::json("reading the knowledge-base export"))?;
        if kb.format != KB_FORMAT {
            return Err(Error::Json {
                context: "reading the knowledge-base export",
                source: <serde_json::Error as serde::de::Error>::custom(format!(
                    "`format` is `{}`, expected `{KB_FORMAT}`: is this the right file?",
                    kb.format
                )),
            });
        }
        Ok(kb)
    }
}

/// A collection to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionPlan {
    /// Ledger source id (the category id, or [`CANNED_REPLIES_COLLECTION`]…).
    pub source_id: String,
    /// The parent collection's source id; create parents first (the list is ordered so).
    pub parent_source_id: Option<String>,
    /// `POST /help_center/collections` body without `parent_id`.
    pub request: CreateCollection,
}

impl CollectionPlan {
    /// The request with `parent_id` filled from the directory; `None` while the parent has
    /// no Intercom id yet.
    pub fn request_for(&self, directory: &Directory) -> Option<CreateCollection> {
        let mut req = self.request.clone();
        if let Some(parent) = &self.parent_source_id {
            req.parent_id = Some(directory.collections.get(parent)?.clone());
        }
        Some(req)
    }
}

/// Collections for the knowledge base's categories (parents before children; a category whose
/// parent is missing, or that sits in a parent cycle, becomes top-level) and, under policy
/// `canned_replies = "articles"`, a "Canned replies" collection with one child per category.
pub fn plan_collections(
    kb: Option<&KnowledgeBaseExport>,
    canned: &[CannedReply],
    ctx: &MapContext<'_>,
) -> Vec<CollectionPlan> {
    let mut out = Vec::new();
    if let Some(kb) = kb {
        let ids: BTreeSet<&str> = kb.categories.iter().map(|c| c.id.as_str()).collect();
        let mut placed: BTreeSet<String> = BTreeSet::new();
        let mut pending: Vec<&KbCategory> = kb.categories.iter().collect();
        pending.sort_by_key(|c| (c.order, c.name.clone()));
        while !pending.is_empty() {
            let before = pending.len();
            pending.retain(|c| {
                let parent = c
                    .parent_id
                    .as_deref()
                    .filter(|p| ids.contains(p) && *p != c.id);
                if parent.is_some_and(|p| !placed.contains(p)) {
                    return true; // wait for the parent
                }
                out.push(collection(c, parent.map(str::to_owned)));
                placed.insert(c.id.clone());
                false
            });
            if pending.len() == before {
                // A cycle: place the rest at the top level.
                for c in pending.drain(..) {
                    out.push(collection(c, None));
                }
            }
        }
    }
    if ctx.spec.policies.canned_replies == CannedRepliesPolicy::Articles && !canned.is_empty() {
        out.push(CollectionPlan {
            source_id: CANNED_REPLIES_COLLECTION.into(),
            parent_source_id: None,
            request: CreateCollection {
                name: "Canned replies".into(),
                description: Some("Imported from Glassix canned replies".into()),
                ..Default::default()
            },
        });
        let categories: BTreeSet<&str> = canned
            .iter()
            .map(|c| c.category_name.trim())
            .filter(|c| !c.is_empty())
            .collect();
        for c in categories {
            out.push(CollectionPlan {
                source_id: format!("{CANNED_REPLIES_COLLECTION}/{c}"),
                parent_source_id: Some(CANNED_REPLIES_COLLECTION.into()),
                request: CreateCollection {
                    name: c.to_owned(),
                    ..Default::default()
                },
            });
        }
    }
    out
}

fn collection(c: &KbCategory, parent: Option<String>) -> CollectionPlan {
    CollectionPlan {
        source_id: c.id.clone(),
        parent_source_id: parent,
        request: CreateCollection {
            name: c.name.clone(),
            description: (!c.description.trim().is_empty()).then(|| c.description.clone()),
            ..Default::default()
        },
    }
}

/// An article to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticlePlan {
    /// Ledger source id (`kb:<id>` or `canned:<id>`).
    pub source_id: String,
    /// `POST /articles` body (parent already resolved).
    pub request: CreateArticle,
    /// Tags to attach with `POST /articles/{id}/tags` (not settable on create).
    pub tags: Vec<TagRef>,
}

/// Maps knowledge-base articles and canned replies. Replace or wrap it through
/// [`Mappers`](super::Mappers).
pub trait ArticleMapper: Send + Sync {
    /// Maps one knowledge-base article (its collection must exist: see
    /// [`plan_collections`]).
    fn map_article(&self, article: &KbArticle, ctx: &MapContext<'_>) -> Mapped<ArticlePlan>;
    /// Maps one canned reply per the `canned_replies` policy.
    fn map_canned_reply(&self, reply: &CannedReply, ctx: &MapContext<'_>) -> Mapped<ArticlePlan>;
}

/// The default article mapper (see `docs/mapping-reference.md`, "Knowledge base").
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultArticleMapper;

fn author(
    email: &str,
    ctx: &MapContext<'_>,
    notes: &mut Vec<FieldNote>,
    field: &str,
) -> Result<String, MapReason> {
    if let Some(a) = ctx.directory.admin_for(None, email) {
        return Ok(a.to_owned());
    }
    let fallback = match &ctx.spec.policies.unmatched_agent {
        AgentPolicy::FallbackAdmin(id) => Some(id.clone()),
        AgentPolicy::Queue => ctx.directory.acting_admin.clone(),
    };
    match fallback {
        Some(id) => {
            if !email.trim().is_empty() {
                notes.push(FieldNote::warning(
                    field,
                    format!("author <{email}> has no Intercom admin: credited to admin {id}"),
                ));
            }
            Ok(id)
        }
        None => Err(MapReason::new(
            ReasonCode::UnmatchedAgent,
            format!(
                "author <{email}> has no Intercom admin and no fallback admin is configured; \
                 invite them or set policies.unmatched_agent = {{ fallback_admin = \"<id>\" }}"
            ),
        )
        .with_field(field)),
    }
}

impl ArticleMapper for DefaultArticleMapper {
    fn map_article(&self, a: &KbArticle, ctx: &MapContext<'_>) -> Mapped<ArticlePlan> {
        let mut notes = Vec::new();
        let author_id = match author(&a.author_user_name, ctx, &mut notes, "authorUserName") {
            Ok(id) => id,
            Err(reason) => return Mapped::Queue { reason, notes },
        };
        let parent_id = match a.category_id.as_deref().filter(|c| !c.is_empty()) {
            Some(cat) => match ctx.directory.collections.get(cat) {
                Some(id) => Some(id.clone()),
                None => {
                    return Mapped::Queue {
                        reason: MapReason::new(
                            ReasonCode::MissingCollection,
                            format!(
                                "category `{cat}` has no Intercom collection yet; create the \
                                 collections first, then run again"
                            ),
                        )
                        .with_field("categoryId"),
                        notes,
                    };
                }
            },
            None => {
                notes.push(FieldNote::info(
                    "categoryId",
                    "uncategorised: the article is created without a collection",
                ));
                None
            }
        };
        let state = match a.state.trim().to_ascii_lowercase().as_str() {
            "published" => ArticleState::Published,
            "draft" => ArticleState::Draft,
            other => {
                notes.push(FieldNote::warning(
                    "state",
                    format!("unknown state `{other}`: created as a draft"),
                ));
                ArticleState::Draft
            }
        };
        let body = reduce_html(&a.body_html);
        if body.split_whitespace().collect::<String>()
            != a.body_html.split_whitespace().collect::<String>()
        {
            notes.push(FieldNote::info(
                "bodyHtml",
                "HTML reduced to what Intercom accepts",
            ));
        }
        let lang = a
            .culture
            .split('-')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !lang.is_empty() && lang != "en" {
            notes.push(FieldNote::info(
                "culture",
                format!(
                    "written in the help center's default locale; if that is not `{lang}`, move \
                     it to a `{lang}` translation by hand"
                ),
            ));
        }
        notes.push(FieldNote::info(
            "createdAt",
            "Intercom sets an article's creation and update times itself: the Glassix dates are \
             lost",
        ));
        Mapped::Write {
            value: ArticlePlan {
                source_id: format!("kb:{}", a.id),
                request: CreateArticle {
                    title: a.title.clone(),
                    author_id,
                    body: Some(body),
                    state: Some(state),
                    parent_id,
                    parent_type: a
                        .category_id
                        .as_ref()
                        .filter(|c| !c.is_empty())
                        .map(|_| ParentType::Collection),
                    ..Default::default()
                },
                tags: tag_refs(a.tags.iter().map(String::as_str), ctx.directory),
            },
            notes,
        }
    }

    fn map_canned_reply(&self, r: &CannedReply, ctx: &MapContext<'_>) -> Mapped<ArticlePlan> {
        match ctx.spec.policies.canned_replies {
            CannedRepliesPolicy::Skip => {
                return Mapped::Skip {
                    reason: MapReason::new(
                        ReasonCode::CannedReplyPolicy,
                        "canned_replies = \"skip\": canned replies are not migrated",
                    ),
                };
            }
            CannedRepliesPolicy::Inventory => {
                return Mapped::Skip {
                    reason: MapReason::new(
                        ReasonCode::CannedReplyPolicy,
                        "canned_replies = \"inventory\": listed in the inventory, to rebuild as \
                         Intercom macros by hand",
                    ),
                };
            }
            CannedRepliesPolicy::Articles => {}
        }
        let mut notes = Vec::new();
        let author_id = match author("", ctx, &mut notes, "canned reply") {
            Ok(id) => id,
            Err(reason) => return Mapped::Queue { reason, notes },
        };
        let category = r.category_name.trim();
        let collection_key = if category.is_empty() {
            CANNED_REPLIES_COLLECTION.to_owned()
        } else {
            format!("{CANNED_REPLIES_COLLECTION}/{category}")
        };
        let Some(parent) = ctx.directory.collections.get(&collection_key) else {
            return Mapped::Queue {
                reason: MapReason::new(
                    ReasonCode::MissingCollection,
                    format!(
                        "collection `{collection_key}` has no Intercom id yet; create the \
                         collections first, then run again"
                    ),
                )
                .with_field("categoryName"),
                notes,
            };
        };
        let body = if r.html.trim().is_empty() {
            text_to_html(&r.text)
        } else {
            reduce_html(&r.html)
        };
        if !r.auto_tags.is_empty() {
            notes.push(FieldNote::info(
                "autoTags",
                format!(
                    "tags applied when the reply is used ({}) have no article equivalent; \
                     rebuild them in a macro",
                    r.auto_tags.join(", ")
                ),
            ));
        }
        notes.push(FieldNote::info(
            "state",
            "canned replies are internal: created as draft articles",
        ));
        Mapped::Write {
            value: ArticlePlan {
                source_id: format!("canned:{}", r.id),
                request: CreateArticle {
                    title: if r.title.trim().is_empty() {
                        format!("Canned reply {}", r.id)
                    } else {
                        r.title.clone()
                    },
                    author_id,
                    body: Some(body),
                    state: Some(ArticleState::Draft),
                    parent_id: Some(parent.clone()),
                    parent_type: Some(ParentType::Collection),
                    ..Default::default()
                },
                tags: Vec::new(),
            },
            notes,
        }
    }
}

/// Canned replies by category, for the inventory.
pub(crate) fn canned_by_category(canned: &[CannedReply]) -> BTreeMap<String, Vec<&CannedReply>> {
    let mut out: BTreeMap<String, Vec<&CannedReply>> = BTreeMap::new();
    for r in canned {
        let c = r.category_name.trim();
        out.entry(if c.is_empty() {
            "(none)".into()
        } else {
            c.to_owned()
        })
        .or_default()
        .push(r);
    }
    out
}
