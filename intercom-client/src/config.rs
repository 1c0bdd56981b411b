//! Regions, API version and other settings.

use std::time::Duration;

/// The API version this crate models and sends by default (`Intercom-Version: 2.16`).
pub const DEFAULT_API_VERSION: &str = "2.16";

/// Where the workspace lives. A token only works against its own region's host.
/// In configuration files it is written `us`, `eu` or `au`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    /// `https://api.intercom.io`
    #[default]
    Us,
    /// `https://api.eu.intercom.io`
    Eu,
    /// `https://api.au.intercom.io`
    Au,
}

impl Region {
    /// The base URL of the region's API host.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Us => "https://api.intercom.io",
            Region::Eu => "https://api.eu.intercom.io",
            Region::Au => "https://api.au.intercom.io",
        }
    }
}

/// Timeouts applied to every attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Whole-request timeout (connect, send, receive the body). `None` disables it.
    pub request: Option<Duration>,
    /// TCP/TLS connect timeout. `None` disables it.
    pub connect: Option<Duration>,
    /// How long an idle pooled connection is kept. `None` keeps it until the server closes it
    /// (useful on paused time: the pool's idle timer would otherwise let tokio jump ahead).
    pub pool_idle: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            request: Some(Duration::from_secs(60)),
            connect: Some(Duration::from_secs(10)),
            pool_idle: Some(Duration::from_secs(90)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_reads_from_config_files() {
        let r: Region = serde_json::from_str("\"eu\"").unwrap();
        assert_eq!(r, Region::Eu);
        assert_eq!(r.base_url(), "https://api.eu.intercom.io");
        assert!(serde_json::from_str::<Region>("\"mars\"").is_err());
        assert_eq!(Region::default().base_url(), "https://api.intercom.io");
        assert_eq!(Region::Au.base_url(), "https://api.au.intercom.io");
    }
}
