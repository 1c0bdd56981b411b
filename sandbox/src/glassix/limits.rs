//! Fixed-window quotas: per department key (minute and hour buckets) and the workspace-wide
//! token-endpoint limit.
//!
//! Assumption (agreed with `glassix-client`): Glassix publishes no numbers; the defaults are
//! Growth 120/min + 3,000/h, Enterprise 600/min + 20,000/h, 30 token requests/min per workspace.

use serde::{Deserialize, Serialize};

use crate::snapshot::Tier;

/// Per-department API quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierLimits {
    /// Requests per calendar minute (fixed window).
    pub per_minute: u32,
    /// Requests per clock hour (fixed window).
    pub per_hour: u32,
}

impl TierLimits {
    /// The default quota of a tier; `None` for Starter (no API access).
    pub fn for_tier(tier: Tier) -> Option<Self> {
        match tier {
            Tier::Starter => None,
            Tier::Growth => Some(Self {
                per_minute: 120,
                per_hour: 3_000,
            }),
            Tier::Enterprise => Some(Self {
                per_minute: 600,
                per_hour: 20_000,
            }),
        }
    }
}

/// Counters of one fixed-window bucket pair.
#[derive(Clone, Debug, Default)]
pub(crate) struct Windows {
    minute: (i64, u32),
    hour: (i64, u32),
}

impl Windows {
    /// Counts one request at `now_ms` if both buckets have room; otherwise returns the seconds
    /// until the fullest bucket resets.
    pub(crate) fn take(&mut self, now_ms: i64, limits: TierLimits) -> Result<(), i64> {
        let minute = now_ms.div_euclid(60_000);
        let hour = now_ms.div_euclid(3_600_000);
        if self.minute.0 != minute {
            self.minute = (minute, 0);
        }
        if self.hour.0 != hour {
            self.hour = (hour, 0);
        }
        if self.hour.1 >= limits.per_hour {
            return Err(((hour + 1) * 3_600_000 - now_ms + 999) / 1000);
        }
        if self.minute.1 >= limits.per_minute {
            return Err(((minute + 1) * 60_000 - now_ms + 999) / 1000);
        }
        self.minute.1 += 1;
        self.hour.1 += 1;
        Ok(())
    }
}

/// The token endpoint's per-minute counter.
#[derive(Clone, Debug, Default)]
pub(crate) struct MinuteCounter(i64, u32);

impl MinuteCounter {
    pub(crate) fn take(&mut self, now_ms: i64, per_minute: u32) -> Result<(), i64> {
        let minute = now_ms.div_euclid(60_000);
        if self.0 != minute {
            *self = MinuteCounter(minute, 0);
        }
        if self.1 >= per_minute {
            return Err(((minute + 1) * 60_000 - now_ms + 999) / 1000);
        }
        self.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minute_and_hour_buckets() {
        let limits = TierLimits {
            per_minute: 2,
            per_hour: 3,
        };
        let mut w = Windows::default();
        assert!(w.take(0, limits).is_ok());
        assert!(w.take(1_000, limits).is_ok());
        assert_eq!(w.take(2_000, limits), Err(58));
        assert!(w.take(60_000, limits).is_ok());
        assert!(w.take(61_000, limits).is_err(), "hour bucket full");
        assert!(w.take(3_600_000, limits).is_ok());
    }
}
