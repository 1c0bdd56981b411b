//! Configuration values: credentials, subscription tiers and quotas.

use std::fmt;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The credentials of one Glassix department.
///
/// Glassix issues one API key per department and the key *is* the department id, so a
/// multi-department workspace needs one `Credentials` per department. The secret is held in a
/// [`SecretString`]; `Debug` prints it as `[REDACTED]`.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// The API key, which equals the department id (a GUID). Assumption from the references
    /// (C# SDK comments and tests) and the sandbox agreements: a key that is not a GUID is
    /// refused by [`Credentials::new`].
    pub api_key: Uuid,
    /// The API secret shown next to the key in Glassix.
    pub api_secret: SecretString,
    /// The Glassix user the token acts as (an e-mail; Glassix recommends a dedicated API user).
    pub user_name: String,
}

impl Credentials {
    /// Build credentials from the three strings Glassix shows under Settings → Developers → API keys.
    ///
    /// Fails with [`Error::Config`] when the key is not a GUID or a field is empty.
    pub fn new(
        api_key: &str,
        api_secret: impl Into<String>,
        user_name: impl Into<String>,
    ) -> Result<Self> {
        let api_key: Uuid = api_key.trim().parse().map_err(|_| Error::Config {
            message: format!(
                "API key `{}` is not a GUID; copy it from Settings → Developers → API keys",
                api_key.trim()
            ),
        })?;
        let api_secret: String = api_secret.into();
        let user_name: String = user_name.into();
        if api_secret.trim().is_empty() {
            return Err(Error::Config {
                message: format!("the API secret of department {api_key} is empty"),
            });
        }
        if user_name.trim().is_empty() {
            return Err(Error::Config {
                message: format!("the user name of department {api_key} is empty"),
            });
        }
        Ok(Credentials {
            api_key,
            api_secret: SecretString::from(api_secret),
            user_name,
        })
    }

    /// The department these credentials belong to (the API key).
    pub fn department(&self) -> Uuid {
        self.api_key
    }
}

/// A Glassix subscription tier. It decides whether the REST API is available and the default
/// request quotas (see [`Tier::default_quota`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[non_exhaustive]
pub enum Tier {
    /// No REST API access.
    Starter,
    /// REST API access with the smaller quota.
    Growth,
    /// REST API access with the larger quota.
    Enterprise,
}

impl Tier {
    /// Whether the tier includes REST API access.
    pub fn has_api_access(self) -> bool {
        !matches!(self, Tier::Starter)
    }

    /// The default per-department quota of the tier; `None` for a tier without API access.
    ///
    /// Assumption (agreements with the sandbox; Glassix publishes no numbers): Growth 120
    /// requests a minute and 3,000 an hour, Enterprise 600 a minute and 20,000 an hour, counted
    /// per department API key in fixed minute and hour windows.
    pub fn default_quota(self) -> Option<Quota> {
        match self {
            Tier::Starter => None,
            Tier::Growth => Some(Quota::new(120, 3_000)),
            Tier::Enterprise => Some(Quota::new(600, 20_000)),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Tier::Starter => "Starter",
            Tier::Growth => "Growth",
            Tier::Enterprise => "Enterprise",
        })
    }
}

/// A request budget: at most `per_minute` requests in any minute and `per_hour` in any hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Quota {
    /// Requests allowed per minute (at least 1).
    pub per_minute: u32,
    /// Requests allowed per hour (at least 1).
    pub per_hour: u32,
}

impl Quota {
    /// A quota; zero values are raised to 1 so the client can always make progress.
    pub fn new(per_minute: u32, per_hour: u32) -> Self {
        Quota {
            per_minute: per_minute.max(1),
            per_hour: per_hour.max(1),
        }
    }

    /// A quota with only a per-minute limit (the hour limit is 60 times it, so it never binds).
    pub fn per_minute(per_minute: u32) -> Self {
        let m = per_minute.max(1);
        Quota::new(m, m.saturating_mul(60))
    }
}
