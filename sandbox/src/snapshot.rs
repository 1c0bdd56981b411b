//! The Glassix workspace snapshot that seeds the fake Glassix: departments (with their API
//! secret, users, tags and canned replies), contacts and tickets, all in Glassix's own wire
//! format, plus the knowledge-base and automation exports described in `docs/export-formats.md`.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::SandboxError;
use crate::exports::{AutomationInventory, KnowledgeBaseExport};

/// The Glassix subscription tier of the workspace.
///
/// Assumption (agreed with `glassix-client`, not published by Glassix): Starter has no API
/// access; Growth and Enterprise have different per-department quotas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// No API access: every API call answers 403.
    Starter,
    /// 120 requests/minute and 3,000/hour per department key (defaults).
    #[default]
    Growth,
    /// 600 requests/minute and 20,000/hour per department key (defaults).
    Enterprise,
}

impl std::str::FromStr for Tier {
    type Err = SandboxError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "starter" => Ok(Tier::Starter),
            "growth" => Ok(Tier::Growth),
            "enterprise" => Ok(Tier::Enterprise),
            other => Err(SandboxError::Config(format!(
                "unknown tier `{other}`: use starter, growth or enterprise"
            ))),
        }
    }
}

/// One department: its API credentials and catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct SnapshotDepartment {
    /// Department id; it is also the department's API key.
    pub id: String,
    /// Department name (not exposed by the Glassix API; used to seed Intercom teams).
    pub name: String,
    /// The department's API secret.
    pub api_secret: String,
    /// The user name (e-mail) tokens are requested for.
    #[serde(default = "default_api_user")]
    pub api_user_name: String,
    /// `users/allusers` answer (Glassix User objects).
    #[serde(default)]
    pub users: Vec<Value>,
    /// `tenants/gettags` answer.
    #[serde(default)]
    pub tags: Vec<Value>,
    /// `cannedreplies/getall` answer.
    #[serde(default)]
    pub canned_replies: Vec<Value>,
}

fn default_api_user() -> String {
    "migration-api@example.com".to_string()
}

/// Bytes of one attachment file, when the snapshot carries them (otherwise the fake synthesises
/// deterministic bytes from the file identifier).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotFile {
    /// MIME type served as `Content-Type`.
    pub content_type: String,
    /// The bytes, base64 (standard alphabet).
    pub base64: String,
}

/// A whole Glassix workspace as the fake serves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub struct GlassixSnapshot {
    /// Snapshot format version (currently 1).
    #[serde(default = "one")]
    pub format_version: u32,
    /// Workspace (sub-domain) name.
    #[serde(default = "default_workspace")]
    pub workspace: String,
    /// Subscription tier.
    #[serde(default)]
    pub tier: Tier,
    /// Departments (one API key each).
    pub departments: Vec<SnapshotDepartment>,
    /// Contacts as `contacts/get/{id}` returns them.
    #[serde(default)]
    pub contacts: Vec<Value>,
    /// Tickets as `tickets/get/{id}` returns them (with `transactions`).
    #[serde(default)]
    pub tickets: Vec<Value>,
    /// Optional attachment bytes by `fileIdentifier`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, SnapshotFile>,
    /// Knowledge-base export (see `docs/export-formats.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knowledge_base: Option<KnowledgeBaseExport>,
    /// Chatbot and workflow inventory (see `docs/export-formats.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automations: Option<AutomationInventory>,
}

fn one() -> u32 {
    1
}
fn default_workspace() -> String {
    "sandbox".to_string()
}

impl GlassixSnapshot {
    /// Reads and validates a snapshot file.
    pub fn from_file(path: &Path) -> Result<Self, SandboxError> {
        let text = std::fs::read_to_string(path).map_err(|e| SandboxError::Io {
            what: format!("reading snapshot {}", path.display()),
            source: e,
        })?;
        Self::from_json(&text)
    }

    /// Parses and validates a snapshot from JSON text.
    pub fn from_json(text: &str) -> Result<Self, SandboxError> {
        let snapshot: GlassixSnapshot = serde_json::from_str(text)
            .map_err(|e| SandboxError::Snapshot(format!("not a valid snapshot: {e}")))?;
        snapshot.validate()?;
        Ok(snapshot)
    }

    /// The snapshot as pretty JSON (deterministic: key order is preserved).
    pub fn to_json(&self) -> Result<String, SandboxError> {
        serde_json::to_string_pretty(self)
            .map_err(|e| SandboxError::Snapshot(format!("cannot serialise snapshot: {e}")))
    }

    /// Checks what the fake relies on: every ticket has an integer `id`, a `departmentId` of a
    /// known department and parseable `open`/`close`/`lastActivity`; ids are unique.
    pub fn validate(&self) -> Result<(), SandboxError> {
        if self.departments.is_empty() {
            return Err(SandboxError::Snapshot(
                "snapshot has no departments: add at least one with id, name and api_secret".into(),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, t) in self.tickets.iter().enumerate() {
            let id = t.get("id").and_then(Value::as_i64).ok_or_else(|| {
                SandboxError::Snapshot(format!("tickets[{i}].id: missing or not an integer"))
            })?;
            if !seen.insert(id) {
                return Err(SandboxError::Snapshot(format!(
                    "tickets[{i}].id: duplicate ticket id {id}"
                )));
            }
            let dept = t
                .get("departmentId")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !self
                .departments
                .iter()
                .any(|d| d.id.eq_ignore_ascii_case(dept))
            {
                return Err(SandboxError::Snapshot(format!(
                    "tickets[{i}] (id {id}).departmentId: `{dept}` is not one of the snapshot's departments"
                )));
            }
            for field in ["open", "lastActivity"] {
                if t.get(field)
                    .and_then(Value::as_str)
                    .and_then(parse_glassix_time)
                    .is_none()
                {
                    return Err(SandboxError::Snapshot(format!(
                        "tickets[{i}] (id {id}).{field}: missing or not a Glassix timestamp"
                    )));
                }
            }
        }
        for (i, c) in self.contacts.iter().enumerate() {
            if c.get("id").and_then(Value::as_str).is_none() {
                return Err(SandboxError::Snapshot(format!(
                    "contacts[{i}].id: missing or not a string"
                )));
            }
        }
        Ok(())
    }
}

/// Parses a Glassix response timestamp: ISO-8601 with 0–7 fraction digits, `Z`, an offset or no
/// zone (then UTC). `0001-01-01T00:00:00` ("not set") and anything unparseable give `None`.
pub fn parse_glassix_time(s: &str) -> Option<DateTime<Utc>> {
    if s.starts_with("0001-01-01") {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_timestamp_shapes() {
        for s in [
            "2023-05-08T06:46:05Z",
            "2023-06-15T07:04:02.558Z",
            "2021-03-16T14:17:31.3567578Z",
            "2018-11-26T19:42:53.15",
        ] {
            assert!(parse_glassix_time(s).is_some(), "{s}");
        }
        assert!(parse_glassix_time("0001-01-01T00:00:00").is_none());
        assert!(parse_glassix_time("yesterday").is_none());
    }

    #[test]
    fn validation_names_the_record_and_field() {
        let text = r#"{"tier":"growth","departments":[{"id":"d1","name":"D","api_secret":"s"}],
            "tickets":[{"id":5,"departmentId":"d2","open":"2025-01-01T00:00:00Z","lastActivity":"2025-01-01T00:00:00Z"}]}"#;
        let err = GlassixSnapshot::from_json(text).unwrap_err().to_string();
        assert!(err.contains("tickets[0] (id 5).departmentId"), "{err}");
    }
}
