//! Admins (teammates), teams and `GET /me` (read-only in the API).

use serde::Deserialize;
use serde_json::{Map, Value};
use wire_extra::impl_deserialize_with_extra;

/// A teammate (`admin`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct Admin {
    /// Admin id (numeric string).
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email: the key that maps source agents to admins.
    #[serde(default)]
    pub email: Option<String>,
    /// Job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// Whether away mode is on.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub away_mode_enabled: Option<bool>,
    /// Whether the admin has an inbox seat.
    #[serde(default, deserialize_with = "crate::lenient::opt_bool")]
    pub has_inbox_seat: Option<bool>,
    /// Teams the admin belongs to.
    #[serde(default, deserialize_with = "crate::lenient::id_list")]
    pub team_ids: Vec<String>,
    /// Other fields, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(Admin);

/// `GET /admins` → `{type:"admin.list", admins:[…]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AdminList {
    /// The admins.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub admins: Vec<Admin>,
}

/// The workspace (`app`) in `GET /me`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct App {
    /// The workspace id.
    #[serde(default)]
    pub id_code: Option<String>,
    /// Workspace name.
    #[serde(default)]
    pub name: Option<String>,
    /// Region (`US`, `EU`, `AU`).
    #[serde(default)]
    pub region: Option<String>,
    /// Time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Creation time (Unix seconds).
    #[serde(default, deserialize_with = "crate::lenient::opt_ts")]
    pub created_at: Option<i64>,
}

/// `GET /me`: the token's admin and its workspace.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Me {
    /// The admin the token belongs to.
    #[serde(flatten)]
    pub admin: Admin,
    /// The workspace.
    #[serde(default)]
    pub app: Option<App>,
}

/// A team.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct Team {
    /// Team id.
    #[serde(default, deserialize_with = "crate::lenient::id")]
    pub id: String,
    /// Name: the key that maps source groups to teams.
    #[serde(default)]
    pub name: Option<String>,
    /// Members.
    #[serde(default, deserialize_with = "crate::lenient::id_list")]
    pub admin_ids: Vec<String>,
    /// Other fields, kept verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: Map<String, Value>,
}
impl_deserialize_with_extra!(Team);

/// `GET /teams` → `{type:"team.list", teams:[…]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TeamList {
    /// The teams.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub teams: Vec<Team>,
}
