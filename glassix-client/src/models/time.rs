//! Glassix timestamps and durations, parsed leniently and written in one strict form.
//!
//! Timestamps arrive as ISO-8601 with 0–7 fraction digits, with `Z`, an offset or no zone at all
//! (zone-less values are UTC), and `0001-01-01T00:00:00` (the .NET `DateTime.MinValue`) meaning
//! "not set". They are written back as UTC with `Z` and only the fraction digits needed.
//!
//! Durations are .NET `TimeSpan` strings in the "c" format `[-][d.]hh:mm:ss[.fffffff]`
//! (an inference from the C# SDK; no public sample). They are written back in the same format.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Timelike, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use std::fmt;

/// Parse a Glassix timestamp. `Ok(None)` for the empty string and for `0001-01-01…`.
pub fn parse_timestamp(raw: &str) -> Result<Option<DateTime<Utc>>, String> {
    let s = raw.trim();
    if s.is_empty() || s.starts_with("0001-01-01") {
        return Ok(None);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(dt.with_timezone(&Utc)));
    }
    // Offsets without a colon (`+0200`) and a space instead of `T`.
    let t = s.replacen(' ', "T", 1);
    if let Ok(dt) = DateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok(Some(dt.with_timezone(&Utc)));
    }
    let naive = t.strip_suffix('Z').unwrap_or(&t);
    NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|n| Some(n.and_utc()))
        .map_err(|_| {
            format!("`{raw}` is not a timestamp (expected ISO-8601 such as 2025-03-04T08:15:02Z)")
        })
}

/// Format a timestamp the way this crate writes them: `2025-03-04T08:21:40.118Z`.
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos == 0 {
        return format!("{base}Z");
    }
    let frac = format!("{nanos:09}");
    format!("{base}.{}Z", frac.trim_end_matches('0'))
}

/// Parse a .NET `TimeSpan` ("c" format `[-][d.]hh:mm:ss[.fffffff]`). `Ok(None)` for `""`.
pub fn parse_duration(raw: &str) -> Result<Option<TimeDelta>, String> {
    let err = || format!("`{raw}` is not a duration (expected [-][d.]hh:mm:ss[.fffffff])");
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (clock, frac) = match s.split_once('.') {
        // `d.hh:mm:ss`: the dot comes before the first colon.
        Some((d, rest)) if !d.contains(':') => match rest.split_once('.') {
            Some((c, f)) => (format!("{d}.{c}"), Some(f)),
            None => (format!("{d}.{rest}"), None),
        },
        Some((c, f)) => (c.to_owned(), Some(f)),
        None => (s.to_owned(), None),
    };
    let (days, hms) = match clock.split_once('.') {
        Some((d, rest)) => (d.parse::<i64>().map_err(|_| err())?, rest.to_owned()),
        None => (0, clock),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let [h, m, sec] = parts.as_slice() else {
        return Err(err());
    };
    let num = |p: &str| -> Result<i64, String> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        p.parse::<i64>().map_err(|_| err())
    };
    let (h, m, sec) = (num(h)?, num(m)?, num(sec)?);
    if m > 59 || sec > 59 {
        return Err(err());
    }
    let nanos = match frac {
        None => 0,
        Some(f) => {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            let mut digits: String = f.chars().take(9).collect();
            while digits.len() < 9 {
                digits.push('0');
            }
            digits.parse::<i64>().map_err(|_| err())?
        }
    };
    let total_secs = days
        .checked_mul(86_400)
        .and_then(|d| d.checked_add(h.checked_mul(3600)?))
        .and_then(|t| t.checked_add(m * 60 + sec))
        .ok_or_else(err)?;
    let delta = TimeDelta::try_seconds(total_secs)
        .and_then(|d| d.checked_add(&TimeDelta::nanoseconds(nanos)))
        .ok_or_else(err)?;
    Ok(Some(if negative { -delta } else { delta }))
}

/// Format a duration in the .NET "c" format: `00:02:11.4000000`, `1.02:00:00`.
pub fn format_duration(d: &TimeDelta) -> String {
    let negative = *d < TimeDelta::zero();
    let abs = d.abs();
    let secs = abs.num_seconds();
    let nanos = abs.subsec_nanos();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if days > 0 {
        out.push_str(&format!("{days}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if nanos > 0 {
        // .NET ticks are 100 ns: seven digits.
        out.push_str(&format!(".{:07}", nanos / 100));
    }
    out
}

struct TimestampVisitor;

impl<'de> Visitor<'de> for TimestampVisitor {
    type Value = Option<DateTime<Utc>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO-8601 timestamp or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        parse_timestamp(v).map_err(E::custom)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

struct DurationVisitor;

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = Option<TimeDelta>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a [-][d.]hh:mm:ss[.fffffff] duration, a number of seconds, or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        parse_duration(v).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if !v.is_finite() {
            return Err(E::custom("a duration must be finite"));
        }
        Ok(TimeDelta::try_milliseconds((v * 1000.0).round() as i64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(TimeDelta::try_seconds(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok().and_then(TimeDelta::try_seconds))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// `serde(with)` module for `Option<DateTime<Utc>>` timestamps.
pub(crate) mod timestamp {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        d.deserialize_option(TimestampVisitor)
    }

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&format_timestamp(t)),
            None => s.serialize_none(),
        }
    }
}

/// `serde(with)` module for `Option<TimeDelta>` durations.
pub(crate) mod duration {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<TimeDelta>, D::Error> {
        d.deserialize_option(DurationVisitor)
    }

    pub(crate) fn serialize<S: Serializer>(v: &Option<TimeDelta>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&format_duration(d)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_every_shape() {
        let cases = [
            ("2023-05-08T06:46:05Z", "2023-05-08T06:46:05Z"),
            ("2023-06-15T07:04:02.558Z", "2023-06-15T07:04:02.558Z"),
            (
                "2021-03-16T14:17:31.3567578Z",
                "2021-03-16T14:17:31.3567578Z",
            ),
            ("2018-11-26T19:42:53.15", "2018-11-26T19:42:53.15Z"),
            ("2018-11-26T19:42:53", "2018-11-26T19:42:53Z"),
            ("2018-11-26T21:42:53.1+02:00", "2018-11-26T19:42:53.1Z"),
            ("2018-11-26T21:42:53+0200", "2018-11-26T19:42:53Z"),
            ("2018-11-26 19:42:53", "2018-11-26T19:42:53Z"),
        ];
        for (raw, written) in cases {
            let t = parse_timestamp(raw).unwrap().unwrap();
            assert_eq!(format_timestamp(&t), written, "{raw}");
        }
        assert_eq!(parse_timestamp("0001-01-01T00:00:00").unwrap(), None);
        assert_eq!(parse_timestamp("0001-01-01T00:00:00Z").unwrap(), None);
        assert_eq!(parse_timestamp("").unwrap(), None);
        assert!(
            parse_timestamp("yesterday")
                .unwrap_err()
                .contains("yesterday")
        );
    }

    #[test]
    fn durations_of_every_shape_round_trip() {
        for raw in [
            "00:02:11.4000000",
            "00:04:27",
            "00:47:45.5512345",
            "1.02:03:04",
            "1.02:03:04.0000001",
            "-00:00:05",
            "-3.00:00:00.5000000",
        ] {
            let d = parse_duration(raw).unwrap().unwrap();
            assert_eq!(format_duration(&d), raw);
        }
        let d = parse_duration("00:00:01.5").unwrap().unwrap();
        assert_eq!(d, TimeDelta::milliseconds(1500));
        assert_eq!(
            parse_duration("26:00:00").unwrap().unwrap(),
            TimeDelta::hours(26)
        );
        assert_eq!(parse_duration("").unwrap(), None);
        for bad in ["12", "aa:bb:cc", "00:61:00", "00:00:00.", "1.2.3"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
