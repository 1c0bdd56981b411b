//! The configuration file: one TOML file for both sides and the paths of what a migration keeps.
//!
//! Secrets are never in the file: it names the environment variables that hold them
//! (`api_secret_env`, `token_env`), and they are read into [`SecretString`]s only when a client
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IntercomSection {
    /// Name of the environment variable that holds the access token.
    pub token_env: String,
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
        check_env_name(&ic.token_env).map_err(|m| err("intercom.token_env", &m))?;
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
        let token = self.secret(&ic.token_env, "intercom.token_env")?;
        let mut b = intercom_client::Client::builder().access_token(token);
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
        names.push(&self.intercom.token_env);
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
