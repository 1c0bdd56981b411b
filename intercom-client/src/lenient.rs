//! Serde helpers for lenient decoding of what Intercom sends and strict encoding of what we send.
//!
//! Intercom is inconsistent about id and timestamp shapes (§10 of `intercom-api.md`): ids come back
//! as strings or integers, timestamps as integers, floats, numeric strings or (rarely) ISO-8601.

use serde::de::Deserializer;
use serde::{Deserialize, Serializer};
use serde_json::Value;

/// Decodes an id that may arrive as a string or a number; `null` or a missing field gives `None`.
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Decodes an id that may arrive as a string or a number; anything else gives an empty string.
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_id(d)?.unwrap_or_default())
}

/// Decodes a list of ids that may be strings or numbers; `null` gives an empty list.
pub(crate) fn id_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// Converts a JSON value into Unix seconds, accepting the shapes seen in the wild.
pub(crate) fn value_to_unix(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(i) = s.parse::<i64>() {
                Some(i)
            } else if let Ok(f) = s.parse::<f64>() {
                Some(f as i64)
            } else {
                chrono::DateTime::parse_from_rfc3339(s)
                    .ok()
                    .map(|dt| dt.timestamp())
            }
        }
        _ => None,
    }
}

/// Decodes an optional timestamp (Unix seconds) leniently; unreadable shapes give `None`.
pub(crate) fn opt_ts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_to_unix(&Value::deserialize(d)?))
}

/// Decodes an optional integer that may arrive as a number or a numeric string (a fraction is
/// truncated either way); other shapes give `None`.
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse()
                .ok()
                .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
        }
        _ => None,
    })
}

/// Decodes a value whose `null` means "the default" (an empty list, `false`, …).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Decodes an optional boolean that may arrive as `"true"`/`"false"` strings.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => Some(b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    })
}

/// Encodes an id held as a string as a JSON integer, for the fields the spec types `integer`.
/// Fails (and so the request is refused before it is sent) when the id is not numeric.
pub(crate) fn str_as_int<S: Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    match v.trim().parse::<i64>() {
        Ok(n) => s.serialize_i64(n),
        Err(_) => Err(serde::ser::Error::custom(format!(
            "id {v:?} must be numeric: this field is an integer in the Intercom API"
        ))),
    }
}

/// [`str_as_int`] for an optional field (use with `skip_serializing_if = "Option::is_none"`).
pub(crate) fn opt_str_as_int<S: Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => str_as_int(v, s),
        None => s.serialize_none(),
    }
}

/// Declares an open string enum: known values as variants, anything else kept in `Unknown`.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this client does not know (kept verbatim so nothing is lost).
            Unknown(String),
        }

        impl $name {
            /// The wire spelling of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )*
                    Self::Unknown(s) => s.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = serde_json::Value::deserialize(d)?;
                Ok(match v {
                    serde_json::Value::String(s) => Self::from(s.as_str()),
                    other => Self::Unknown(other.to_string()),
                })
            }
        }
    };
}
pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_accept_many_shapes() {
        assert_eq!(value_to_unix(&json!(1_700_000_000)), Some(1_700_000_000));
        assert_eq!(value_to_unix(&json!(1_700_000_000.7)), Some(1_700_000_000));
        assert_eq!(value_to_unix(&json!("1700000000")), Some(1_700_000_000));
        assert_eq!(
            value_to_unix(&json!("2023-11-14T22:13:20Z")),
            Some(1_700_000_000)
        );
        assert_eq!(value_to_unix(&json!(null)), None);
        assert_eq!(value_to_unix(&json!("yesterday")), None);
    }
}
