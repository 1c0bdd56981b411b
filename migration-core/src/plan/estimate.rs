//! Rate limits used for the duration estimate.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The rate limits the estimate divides by. The defaults follow the references: Intercom private
/// apps get 10,000 calls a minute spread over 10-second windows (≈1,666 per window); Glassix
/// publishes no figure, so the default is the recommended ≈1 request a second per department
/// key. Replace them with what the workspaces really allow (the clients learn it from headers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RateLimits {
    /// Intercom requests allowed per window (`X-RateLimit-Limit`).
    pub intercom_per_window: f64,
    /// Intercom window length in seconds (10).
    pub intercom_window_seconds: f64,
    /// Fraction of the Intercom budget the executor aims to use (0 < u ≤ 1): 0.98 by default,
    /// the client keeping 2 % of each window as its safety margin.
    pub intercom_utilisation: f64,
    /// Intercom app tokens the client spreads its requests over (each with
    /// `intercom_per_window` of its own).
    #[serde(default = "one_token")]
    pub intercom_tokens: u32,
    /// With several tokens: the requests per second all of them together may send
    /// (`workspace_share × workspace_limit_per_minute / 60`); `None` with one token.
    #[serde(default)]
    pub intercom_workspace_per_second: Option<f64>,
    /// Glassix requests allowed per minute per department key, if known.
    pub glassix_per_minute: Option<f64>,
    /// Glassix requests allowed per hour per department key, if known.
    pub glassix_per_hour: Option<f64>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            intercom_per_window: 1666.0,
            intercom_window_seconds: 10.0,
            intercom_utilisation: 0.98,
            intercom_tokens: 1,
            intercom_workspace_per_second: None,
            glassix_per_minute: Some(60.0),
            glassix_per_hour: None,
        }
    }
}

/// Serde default of [`RateLimits::intercom_tokens`].
fn one_token() -> u32 {
    1
}

impl RateLimits {
    /// Sustained Intercom requests per second of one token: `per_window / window ×
    /// utilisation`.
    pub fn intercom_token_rate(&self) -> Result<f64> {
        let r = self.intercom_per_window / self.intercom_window_seconds * self.intercom_utilisation;
        if !(r.is_finite() && r > 0.0) || self.intercom_utilisation > 1.0 {
            return Err(Error::InvalidRateLimit(format!(
                "Intercom rate must be positive (per_window {}, window {} s, utilisation {} in (0, 1])",
                self.intercom_per_window, self.intercom_window_seconds, self.intercom_utilisation
            )));
        }
        Ok(r)
    }

    /// Sustained Intercom requests per second over every token: one token's rate × the token
    /// count, capped with several tokens by the workspace share (which the client spaces
    /// exactly, without the per-token safety margin).
    pub fn intercom_rate(&self) -> Result<f64> {
        let all = self.intercom_token_rate()? * f64::from(self.intercom_tokens.max(1));
        match self.intercom_workspace_per_second {
            Some(cap) if self.intercom_tokens > 1 => {
                if !(cap.is_finite() && cap > 0.0) {
                    return Err(Error::InvalidRateLimit(format!(
                        "the Intercom workspace share must allow a positive rate, got {cap} \
                         requests per second"
                    )));
                }
                Ok(all.min(cap))
            }
            _ => Ok(all),
        }
    }

    /// Seconds one department key needs for `calls` requests. Within the hourly quota the
    /// minute quota sets the pace (`calls / (per_minute / 60)`); past it, each further
    /// `per_hour` calls wait for the next hour: `3600 × (⌈calls / per_hour⌉ − 1) + the rest at
    /// the minute pace`. With one quota only, that quota's even pace.
    pub fn glassix_seconds(&self, calls: f64) -> Result<f64> {
        self.glassix_rate()?;
        let calls = calls.max(0.0);
        Ok(match (self.glassix_per_minute, self.glassix_per_hour) {
            (Some(m), Some(h)) if calls > h => {
                let full_hours = (calls / h).ceil() - 1.0;
                full_hours * 3600.0 + (calls - full_hours * h) / (m / 60.0)
            }
            (Some(m), _) => calls / (m / 60.0),
            (None, Some(h)) => calls / (h / 3600.0),
            (None, None) => 0.0,
        })
    }

    /// Seconds one department key needs for `calls` requests the way the client sends them: a
    /// minute's quota at once (its sliding log allows a burst of `per_minute`), then the next
    /// when the server's calendar-minute bucket has reset; past the hourly quota, the rest
    /// waits for the next clock hour. `phase` (0–1) is the share of the first bucket already
    /// gone when the job starts (the buckets are calendar minutes and clock hours, the start is
    /// not aligned with them): 0.5 on average, 1 at best, 0 at worst.
    ///
    /// `hours × 3600 + 60 × max(0, ⌈rest / per_minute⌉ − 1)`, the first bucket shortened by
    /// `phase`, where `hours = ⌈calls / per_hour⌉ − 1` and `rest = calls − hours × per_hour`.
    pub fn glassix_bucket_seconds(&self, calls: f64, phase: f64) -> Result<f64> {
        self.glassix_rate()?;
        let calls = calls.max(0.0);
        let phase = phase.clamp(0.0, 1.0);
        let (hours, rest) = match self.glassix_per_hour {
            Some(h) if calls > h => {
                let full = (calls / h).ceil() - 1.0;
                (full, calls - full * h)
            }
            _ => (0.0, calls),
        };
        let minutes = match self.glassix_per_minute {
            Some(m) => ((rest / m).ceil() - 1.0).max(0.0),
            None => 0.0,
        };
        Ok(if hours > 0.0 {
            (hours - phase) * 3600.0 + minutes * 60.0
        } else {
            ((minutes - phase) * 60.0).max(0.0)
        })
    }

    /// Sustained Glassix requests per second per department: the tighter of
    /// `per_minute / 60` and `per_hour / 3600`.
    pub fn glassix_rate(&self) -> Result<f64> {
        let candidates = [
            self.glassix_per_minute.map(|m| m / 60.0),
            self.glassix_per_hour.map(|h| h / 3600.0),
        ];
        let r = candidates
            .into_iter()
            .flatten()
            .fold(f64::INFINITY, f64::min);
        if !(r.is_finite() && r > 0.0) {
            return Err(Error::InvalidRateLimit(
                "set glassix_per_minute and/or glassix_per_hour to a positive number".into(),
            ));
        }
        Ok(r)
    }
}
