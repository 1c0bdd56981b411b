//! The configuration file: one TOML file for both sides and the paths of what a migration keeps.
//!
//! Secrets are never in the file: it names the environment variables that hold them
//! (`api_secret_env`, `token_env` or `token_envs`), and they are read into [`SecretString`]s only when a client
//! is built.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use migration_core::map::Department;
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::exit::CliError;

/// The whole configuration file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Glassix workspace to read from.
    pub glassix: GlassixSection,
    /// The Intercom workspace to write to.
    pub intercom: IntercomSection,
    /// Options of the run.
    #[serde(default)]
    pub migration: MigrationSection,
    /// Where the spec, the ledger and the outputs live.
    pub paths: PathsSection,
    /// Secrets handed over in memory (the demo's sandbox credentials), looked up by variable
    /// name before the environment. Never serialised.
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) in_memory: InMemorySecrets,
}

/// Secret values by environment-variable name, kept out of files, logs and `Debug`.
#[derive(Clone, Default)]
pub(crate) struct InMemorySecrets(pub(crate) std::collections::BTreeMap<String, SecretString>);

impl std::fmt::Debug for InMemorySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InMemorySecrets({} redacted)", self.0.len())
    }
}

/// `[glassix]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GlassixSection {
    /// Workspace name: the `acme` of `acme.glassix.com`. Exactly one of `workspace` and
    /// `base_url`.
    #[serde(default)]
    pub workspace: Option<String>,
    /// Full API base URL, e.g. `https://acme.glassix.com/api/v1.2` (a sandbox or a proxy).
    #[serde(default)]
    pub base_url: Option<String>,
    /// The workspace's plan: `starter` has no API access; `growth` and `enterprise` set the
    /// request quota the client paces under.
    pub tier: TierName,
    /// Requests per minute per department key, overriding the tier's figure (with `per_hour`).
    #[serde(default)]
    pub per_minute: Option<u32>,
    /// Requests per hour per department key, overriding the tier's figure (with `per_minute`).
    #[serde(default)]
    pub per_hour: Option<u32>,
    /// One entry per department API key (Settings → Developers → API keys).
    pub departments: Vec<DepartmentSection>,
}

/// A Glassix plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TierName {
    /// No REST API: a migration cannot read the workspace.
    Starter,
    /// REST API, smaller quota.
    Growth,
    /// REST API, larger quota.
    Enterprise,
}

impl TierName {
    /// The client's tier (whose default quota the client paces under).
    pub(crate) fn client_tier(self) -> glassix_client::Tier {
        match self {
            TierName::Starter => glassix_client::Tier::Starter,
            TierName::Growth => glassix_client::Tier::Growth,
            TierName::Enterprise => glassix_client::Tier::Enterprise,
        }
    }
}

/// `[[glassix.departments]]`: one department's API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentSection {
    /// The department's name (the Glassix API does not return it); matched against Intercom
    /// team names.
    pub name: String,
    /// The API key, which is the department id (a GUID).
    pub api_key: String,
    /// Name of the environment variable that holds the API secret.
    pub api_secret_env: String,
    /// The Glassix user the API acts as (an e-mail; a dedicated API user is recommended).
    pub user_name: String,
    /// Name of the parent department, when it is one of the configured departments; the team
    /// name becomes `Parent / Name`.
    #[serde(default)]
    pub parent: Option<String>,
}

/// `[intercom]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntercomSection {
    /// Name of the environment variable that holds the access token. Exactly one of
    /// `token_env` and `token_envs`.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Names of the variables holding the access tokens of several apps of the **same**
    /// workspace, instead of `token_env`: each app is paced under its own limit (10,000/min by
    /// default), all of them together under `workspace_share` of `workspace_limit_per_minute`,
    /// and each ticket's or conversation's writes stay on one token.
    #[serde(default)]
    pub token_envs: Option<Vec<String>>,
    /// Fraction of the workspace's limit the migration may use with several tokens, leaving the
    /// rest to the workspace's other integrations (default 0.8; above 0, at most 1).
    #[serde(default)]
    pub workspace_share: Option<f64>,
    /// The workspace's limit in requests per minute across every app (default 25,000, Intercom's
    /// default; ask Intercom if yours differs).
    #[serde(default)]
    pub workspace_limit_per_minute: Option<u32>,
    /// Data-hosting region: `us`, `eu` or `au`. Exactly one of `region` and `base_url`.
    #[serde(default)]
    pub region: Option<RegionName>,
    /// API base URL (a sandbox or a proxy), instead of `region`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// `Intercom-Version` sent with every request (default `2.16`, the version this toolkit is
    /// written and tested against).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Requests in flight at most (default: the client's).
    #[serde(default)]
    pub max_concurrency: Option<usize>,
}

impl IntercomSection {
    /// The variables holding the access tokens, each with the setting that names it
    /// (`intercom.token_env` or `intercom.token_envs[i]`).
    pub fn token_vars(&self) -> Vec<(&str, String)> {
        match (&self.token_env, &self.token_envs) {
            (Some(one), _) => vec![(one.as_str(), "intercom.token_env".to_owned())],
            (None, Some(list)) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (v.as_str(), format!("intercom.token_envs[{i}]")))
                .collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// An Intercom data-hosting region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegionName {
    /// `api.intercom.io`
    Us,
    /// `api.eu.intercom.io`
    Eu,
    /// `api.au.intercom.io`
    Au,
}

/// `[migration]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MigrationSection {
    /// Tickets active since this instant (default 2020-01-01T00:00:00Z).
    #[serde(
        default,
        deserialize_with = "migration_core::spec::deserialize_timestamp"
    )]
    #[schemars(with = "Option<String>")]
    pub since: Option<DateTime<Utc>>,
    /// Tickets active before this instant (default: now).
    #[serde(
        default,
        deserialize_with = "migration_core::spec::deserialize_timestamp"
    )]
    #[schemars(with = "Option<String>")]
    pub until: Option<DateTime<Utc>>,
    /// Tickets moved at the same time (default 8).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// `delta`: seconds subtracted from the last run's watermark before listing (default 3600).
    /// It covers a Glassix clock behind this machine's (the watermark is read from the local
    /// clock when each listing starts).
    #[serde(default)]
    pub delta_margin_secs: Option<i64>,
}

/// `[paths]`: relative paths are relative to the configuration file's folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PathsSection {
    /// The mapping spec (TOML) that `propose` drafts and a person confirms.
    pub spec: PathBuf,
    /// The SQLite ledger: what moved where; keep it until the migration is over.
    pub ledger: PathBuf,
    /// The folder for reports (created when missing).
    pub out: PathBuf,
    /// Folder with the knowledge-base and automation exports (`docs/export-formats.md`).
    #[serde(default)]
    pub exports: Option<PathBuf>,
}

/// The JSON Schema of the configuration file.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
}

impl Config {
    /// Reads, parses and checks the file; relative paths are made relative to its folder.
    pub fn load(path: &Path) -> Result<Config, CliError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::config(format!(
                "cannot read the configuration file {}: {e}. Pass --config FILE, or run \
                 `glassix-to-intercom schema` for its format (docs/cli.md has an example)",
                path.display()
            ))
        })?;
        let mut config = Config::parse(&text, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.paths.resolve_against(base);
        Ok(config)
    }

    /// Parses and checks `text`; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Config, CliError> {
        let file = origin.display();
        let de = toml::Deserializer::parse(text)
            .map_err(|e| CliError::config(format!("{file} is not valid TOML: {e}")))?;
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.message().trim().to_owned();
            if path == "." || path.is_empty() {
                CliError::config(format!("{file}: {message}"))
            } else {
                CliError::config(format!("{file}: {path}: {message}"))
            }
        })?;
        config.check(origin)?;
        Ok(config)
    }

    fn check(&self, origin: &Path) -> Result<(), CliError> {
        let file = origin.display();
        let err = |field: &str, what: &str| CliError::config(format!("{file}: {field}: {what}"));
        let g = &self.glassix;
        match (&g.workspace, &g.base_url) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "glassix.workspace",
                    "set either `workspace` or `base_url`, not both",
                ));
            }
            (None, None) => {
                return Err(err(
                    "glassix.workspace",
                    "missing: set `workspace` (the `acme` of acme.glassix.com) or `base_url`",
                ));
            }
            (Some(w), None) if w.trim().is_empty() || w.contains(['.', '/', ':']) => {
                return Err(err(
                    "glassix.workspace",
                    "give the name only (the `acme` of acme.glassix.com), or use `base_url`",
                ));
            }
            _ => {}
        }
        if g.per_minute.is_some() != g.per_hour.is_some() {
            return Err(err(
                "glassix.per_minute",
                "set both `per_minute` and `per_hour`, or neither (the tier's quota applies)",
            ));
        }
        if g.per_minute == Some(0) || g.per_hour == Some(0) {
            return Err(err("glassix.per_minute", "quotas must be at least 1"));
        }
        if g.departments.is_empty() {
            return Err(err(
                "glassix.departments",
                "add one [[glassix.departments]] entry per department API key",
            ));
        }
        for (i, d) in g.departments.iter().enumerate() {
            let field = |f: &str| format!("glassix.departments[{i}].{f}");
            if uuid::Uuid::parse_str(d.api_key.trim()).is_err() {
                return Err(err(
                    &field("api_key"),
                    "not a GUID: copy the key from Glassix (Settings → Developers → API keys); \
                     it is the department id",
                ));
            }
            if d.name.trim().is_empty() {
                return Err(err(&field("name"), "empty: give the department's name"));
            }
            if d.user_name.trim().is_empty() {
                return Err(err(
                    &field("user_name"),
                    "empty: give the API user's e-mail",
                ));
            }
            check_env_name(&d.api_secret_env).map_err(|m| err(&field("api_secret_env"), &m))?;
            if let Some(parent) = &d.parent {
                if !g.departments.iter().any(|p| &p.name == parent) {
                    return Err(err(
                        &field("parent"),
                        &format!("no configured department is named `{parent}`"),
                    ));
                }
            }
            if g.departments[..i]
                .iter()
                .any(|p| p.api_key.trim().eq_ignore_ascii_case(d.api_key.trim()))
            {
                return Err(err(&field("api_key"), "this key is configured twice"));
            }
        }
        let ic = &self.intercom;
        match (&ic.token_env, &ic.token_envs) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "intercom.token_envs",
                    "set either `token_env` (one token) or `token_envs` (several apps of the \
                     same workspace), not both: keep `token_envs` and add the variable of \
                     `token_env` to it, or delete `token_envs`",
                ));
            }
            (None, None) => {
                return Err(err(
                    "intercom.token_env",
                    "missing: set `token_env` to the NAME of the variable holding the access \
                     token (or `token_envs` to several, one per app of the workspace)",
                ));
            }
            (Some(one), None) => {
                check_env_name(one).map_err(|m| err("intercom.token_env", &m))?;
            }
            (None, Some(list)) => {
                if list.is_empty() {
                    return Err(err(
                        "intercom.token_envs",
                        "empty: list at least one variable name (or use `token_env`)",
                    ));
                }
                for (i, name) in list.iter().enumerate() {
                    let field = format!("intercom.token_envs[{i}]");
                    check_env_name(name).map_err(|m| err(&field, &m))?;
                    if list[..i].contains(name) {
                        return Err(err(&field, "this variable is listed twice"));
                    }
                }
            }
        }
        if let Some(share) = ic.workspace_share {
            if !(share > 0.0 && share <= 1.0) {
                return Err(err(
                    "intercom.workspace_share",
                    "must be above 0 and at most 1 (a fraction of the workspace's limit, e.g. \
                     0.8 leaves 20 % to the workspace's other integrations)",
                ));
            }
        }
        if ic.workspace_limit_per_minute == Some(0) {
            return Err(err(
                "intercom.workspace_limit_per_minute",
                "must be at least 1 (Intercom's default is 25000)",
            ));
        }
        match (&ic.region, &ic.base_url) {
            (Some(_), Some(_)) => {
                return Err(err(
                    "intercom.region",
                    "set either `region` or `base_url`, not both",
                ));
            }
            (None, None) => {
                return Err(err(
                    "intercom.region",
                    "missing: set `region` (us, eu or au: where the workspace's data is hosted) \
                     or `base_url`",
                ));
            }
            _ => {}
        }
        if ic.max_concurrency == Some(0) {
            return Err(err("intercom.max_concurrency", "must be at least 1"));
        }
        let m = &self.migration;
        if m.concurrency == Some(0) {
            return Err(err("migration.concurrency", "must be at least 1"));
        }
        if let (Some(s), Some(u)) = (m.since, m.until) {
            if s >= u {
                return Err(err("migration.until", "must be later than `since`"));
            }
        }
        Ok(())
    }

    /// The Glassix client, with the department secrets read from their variables.
    pub fn glassix_client(&self) -> Result<glassix_client::Client, CliError> {
        let g = &self.glassix;
        let mut b = glassix_client::Client::builder().tier(g.tier.client_tier());
        b = match (&g.workspace, &g.base_url) {
            (_, Some(url)) => b.base_url(url.clone()),
            (Some(w), None) => b.workspace(w.clone()),
            (None, None) => b,
        };
        if let (Some(m), Some(h)) = (g.per_minute, g.per_hour) {
            b = b.quota(glassix_client::Quota::new(m, h));
        }
        for (i, d) in g.departments.iter().enumerate() {
            let secret = self.secret(
                &d.api_secret_env,
                &format!("glassix.departments[{i}].api_secret_env"),
            )?;
            let creds = glassix_client::Credentials::new(
                d.api_key.trim(),
                secret.expose_secret().to_owned(),
                &d.user_name,
            )
            .map_err(|e| CliError::config(format!("glassix.departments[{i}]: {e}")))?;
            b = b.department(creds);
        }
        b.build().map_err(super::exit::from_glassix)
    }

    /// The Intercom client, with the token read from its variable.
    pub fn intercom_client(&self) -> Result<intercom_client::Client, CliError> {
        let ic = &self.intercom;
        let mut tokens = Vec::new();
        for (var, field) in ic.token_vars() {
            tokens.push(self.secret(var, &field)?);
        }
        let mut b = intercom_client::Client::builder().access_tokens(tokens);
        let defaults = intercom_client::WorkspaceLimit::default();
        b = b.workspace_limit(intercom_client::WorkspaceLimit {
            per_minute: ic.workspace_limit_per_minute.unwrap_or(defaults.per_minute),
            share: ic.workspace_share.unwrap_or(defaults.share),
        });
        b = match (&ic.region, &ic.base_url) {
            (_, Some(url)) => b.base_url(url.clone()),
            (Some(r), None) => b.region(match r {
                RegionName::Us => intercom_client::Region::Us,
                RegionName::Eu => intercom_client::Region::Eu,
                RegionName::Au => intercom_client::Region::Au,
            }),
            (None, None) => b,
        };
        if let Some(v) = &ic.api_version {
            b = b.api_version(v.clone());
        }
        if let Some(n) = ic.max_concurrency {
            b = b.max_concurrency(n);
        }
        b.build().map_err(|e| {
            CliError::config(format!(
                "[intercom]: the client cannot be built: {e}. Check `region`/`base_url` and \
                 `api_version`"
            ))
        })
    }

    /// The departments with their names (the Glassix API has none) and parents.
    pub fn departments(&self) -> Vec<Department> {
        let g = &self.glassix;
        let id_of = |name: &str| {
            g.departments
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.api_key.trim().to_owned())
        };
        g.departments
            .iter()
            .map(|d| Department {
                id: d.api_key.trim().to_owned(),
                name: d.name.clone(),
                parent_id: d.parent.as_deref().and_then(id_of),
            })
            .collect()
    }

    /// Every secret value this configuration reads (for scrubbing text before it is shown).
    pub fn secret_values(&self) -> Vec<String> {
        let mut names: Vec<&str> = self
            .glassix
            .departments
            .iter()
            .map(|d| d.api_secret_env.as_str())
            .collect();
        names.extend(self.intercom.token_vars().into_iter().map(|(v, _)| v));
        names
            .into_iter()
            .filter_map(|n| {
                self.in_memory
                    .0
                    .get(n)
                    .map(|s| s.expose_secret().to_owned())
                    .or_else(|| std::env::var(n).ok())
            })
            .filter(|v| v.len() >= 4)
            .collect()
    }

    /// The secret held by variable `var` (in memory first, then the environment).
    fn secret(&self, var: &str, field: &str) -> Result<SecretString, CliError> {
        match self.in_memory.0.get(var) {
            Some(s) => Ok(s.clone()),
            None => read_secret(var, field),
        }
    }
}

impl PathsSection {
    fn resolve_against(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.spec);
        fix(&mut self.ledger);
        fix(&mut self.out);
        if let Some(e) = self.exports.as_mut() {
            fix(e);
        }
    }
}

fn check_env_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not an environment variable name: give the NAME of the variable that \
             holds the secret (letters, digits, `_`), never the secret itself"
        ))
    }
}

fn read_secret(var: &str, field: &str) -> Result<SecretString, CliError> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(SecretString::from(v.trim().to_owned())),
        Ok(_) => Err(CliError::config(format!(
            "{field}: environment variable {var} is empty: export {var}=… with the secret, then \
             run again"
        ))),
        Err(_) => Err(CliError::config(format!(
            "{field}: environment variable {var} is not set: export {var}=… with the secret \
             (it is read from the environment so that it never sits in a file), then run again"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[glassix]
base_url = "http://127.0.0.1:9"
tier = "growth"
[[glassix.departments]]
name = "Support"
api_key = "8e9f0a1b-3c4d-4e5f-9a0b-1c2d3e4f5a6b"
api_secret_env = "G_SECRET"
user_name = "api@acme.com"
[paths]
spec = "mapping.toml"
ledger = "migration.sqlite"
out = "out"
[intercom]
base_url = "http://127.0.0.1:9"
"#;

    fn parse(intercom: &str) -> Result<Config, CliError> {
        Config::parse(&format!("{BASE}{intercom}"), Path::new("test.toml"))
    }

    #[test]
    fn one_token_or_several() {
        let one = parse("token_env = \"IC_TOKEN\"\n").unwrap();
        assert_eq!(
            one.intercom.token_vars(),
            vec![("IC_TOKEN", "intercom.token_env".to_owned())]
        );
        let three = parse(
            "token_envs = [\"IC_A\", \"IC_B\", \"IC_C\"]\nworkspace_share = 0.95\n\
             workspace_limit_per_minute = 3000\n",
        )
        .unwrap();
        let vars: Vec<&str> = three
            .intercom
            .token_vars()
            .into_iter()
            .map(|(v, _)| v)
            .collect();
        assert_eq!(vars, vec!["IC_A", "IC_B", "IC_C"]);
        assert_eq!(three.intercom.workspace_share, Some(0.95));
        assert_eq!(three.intercom.token_vars()[2].1, "intercom.token_envs[2]");
    }

    #[test]
    fn token_settings_are_checked_naming_the_field() {
        let cases = [
            (
                "token_env = \"A\"\ntoken_envs = [\"B\"]\n",
                "intercom.token_envs: set either",
            ),
            ("", "intercom.token_env: missing"),
            ("token_envs = []\n", "intercom.token_envs: empty"),
            (
                "token_envs = [\"A\", \"not a name\"]\n",
                "intercom.token_envs[1]",
            ),
            ("token_envs = [\"A\", \"A\"]\n", "listed twice"),
            (
                "token_envs = [\"A\", \"B\"]\nworkspace_share = 1.2\n",
                "intercom.workspace_share",
            ),
            (
                "token_envs = [\"A\", \"B\"]\nworkspace_share = 0\n",
                "intercom.workspace_share",
            ),
            (
                "token_envs = [\"A\", \"B\"]\nworkspace_limit_per_minute = 0\n",
                "intercom.workspace_limit_per_minute",
            ),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err();
            assert!(err.message.contains(expected), "{text:?}: {}", err.message);
            assert_eq!(err.exit, super::super::exit::Exit::Config);
        }
    }

    #[test]
    fn the_schema_documents_the_token_settings() {
        let schema = json_schema().to_string();
        for key in [
            "token_envs",
            "workspace_share",
            "workspace_limit_per_minute",
        ] {
            assert!(schema.contains(key), "{key} missing from the schema");
        }
    }
}
