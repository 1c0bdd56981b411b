//! The export files a Glassix workspace yields besides its API: the knowledge base and the
//! chatbot/workflow inventory. Simple, versioned JSON documented in `docs/export-formats.md`;
//! the migration engine reads them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SandboxError;
use crate::snapshot::GlassixSnapshot;

/// `format` value of the knowledge-base export.
pub const KB_FORMAT: &str = "glassix-knowledge-base";
/// `format` value of the automation inventory.
pub const AUTOMATION_FORMAT: &str = "glassix-automation-inventory";
/// File name of the knowledge-base export inside an exports folder.
pub const KB_FILE: &str = "knowledge-base.json";
/// File name of the automation inventory inside an exports folder.
pub const AUTOMATION_FILE: &str = "automations.json";

/// The knowledge base: categories (nestable) and articles with HTML bodies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KnowledgeBaseExport {
    /// Always [`KB_FORMAT`].
    pub format: String,
    /// Format version, currently 1.
    pub version: u32,
    /// Categories; `parentId` nests them.
    pub categories: Vec<KbCategory>,
    /// Articles.
    pub articles: Vec<KbArticle>,
}

/// A knowledge-base category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KbCategory {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description (may be empty).
    #[serde(default)]
    pub description: String,
    /// Parent category id, `null` at the top level.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Display order.
    #[serde(default)]
    pub order: u32,
}

/// A knowledge-base article.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KbArticle {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Category id, `null` when uncategorised.
    #[serde(default)]
    pub category_id: Option<String>,
    /// Body as HTML.
    pub body_html: String,
    /// `published` or `draft` (other values possible; treat as draft).
    pub state: String,
    /// Author's Glassix user name (e-mail).
    pub author_user_name: String,
    /// Language/culture, e.g. `en-US`, `he-IL`.
    #[serde(default)]
    pub culture: String,
    /// Tag names.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Creation time, RFC 3339 UTC.
    pub created_at: String,
    /// Last update, RFC 3339 UTC.
    pub updated_at: String,
}

/// Chatbots and workflows: an inventory of what must be rebuilt by hand in Intercom.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomationInventory {
    /// Always [`AUTOMATION_FORMAT`].
    pub format: String,
    /// Format version, currently 1.
    pub version: u32,
    /// Bot flows.
    pub chatbots: Vec<Chatbot>,
    /// Rule-based workflows.
    pub workflows: Vec<Workflow>,
}

/// One chatbot flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chatbot {
    /// Flow id (matches `botConversationSteps[].flowId` in tickets).
    pub flow_id: String,
    /// Flow name.
    pub name: String,
    /// Department id.
    pub department_id: String,
    /// Published flow version.
    pub flow_version: f64,
    /// Channels the flow answers on (ProtocolType values).
    pub channels: Vec<String>,
    /// Whether the flow is live.
    pub enabled: bool,
    /// Cards (steps) of the flow.
    pub cards: Vec<BotCard>,
    /// Names of the dynamic parameters the flow collects.
    pub dynamic_parameters: Vec<String>,
}

/// One card (step) of a chatbot flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BotCard {
    /// Card id (matches `uniqueCardId`).
    pub unique_card_id: String,
    /// Card name (matches `cardFriendlyName`).
    pub friendly_name: String,
    /// Step type, e.g. `Message`, `Question`, `Condition`, `Handoff`.
    pub step_type: String,
    /// Text shown to the customer, if any.
    #[serde(default)]
    pub text: String,
    /// Ids of the cards this one can lead to.
    #[serde(default)]
    pub next: Vec<String>,
}

/// One workflow (automation rule).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Workflow {
    /// Stable id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Department id.
    pub department_id: String,
    /// Trigger, e.g. `TicketCreated`, `TicketClosed`, `NoReplyTimeout`.
    pub trigger: String,
    /// Conditions, human-readable.
    pub conditions: Vec<String>,
    /// Actions, human-readable.
    pub actions: Vec<String>,
    /// Whether the workflow is live.
    pub enabled: bool,
}

/// Writes the snapshot's knowledge base ([`KB_FILE`]) and automation inventory
/// ([`AUTOMATION_FILE`]) into `dir` (created if missing) and returns the paths written.
pub fn write_exports(snapshot: &GlassixSnapshot, dir: &Path) -> Result<Vec<PathBuf>, SandboxError> {
    std::fs::create_dir_all(dir).map_err(|e| SandboxError::Io {
        what: format!("creating exports folder {}", dir.display()),
        source: e,
    })?;
    let mut written = Vec::new();
    let mut write = |name: &str,
                     json: Result<String, serde_json::Error>|
     -> Result<(), SandboxError> {
        let path = dir.join(name);
        let text = json.map_err(|e| SandboxError::Snapshot(format!("serialising {name}: {e}")))?;
        std::fs::write(&path, text).map_err(|e| SandboxError::Io {
            what: format!("writing {}", path.display()),
            source: e,
        })?;
        written.push(path);
        Ok(())
    };
    if let Some(kb) = &snapshot.knowledge_base {
        write(KB_FILE, serde_json::to_string_pretty(kb))?;
    }
    if let Some(a) = &snapshot.automations {
        write(AUTOMATION_FILE, serde_json::to_string_pretty(a))?;
    }
    Ok(written)
}
