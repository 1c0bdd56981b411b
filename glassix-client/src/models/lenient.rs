//! Small lenient (de)serialisation helpers shared by the models.

use serde::de::{Deserialize, Deserializer};
use serde::ser::Serializer;
use uuid::Uuid;

/// `null` becomes the type's default (`""`, `[]`, `false`, `0`).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn parse_guid<E: serde::de::Error>(raw: Option<String>) -> Result<Option<Uuid>, E> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => {
            let id: Uuid = s.parse().map_err(|_| {
                E::custom(format!(
                    "`{s}` is not a GUID (expected 8-4-4-4-12 hex digits)"
                ))
            })?;
            Ok(if id.is_nil() { None } else { Some(id) })
        }
    }
}

/// `serde(with)` module: a GUID that may be absent. `null`, `""` and the zero GUID
/// (`00000000-0000-0000-0000-000000000000`, Glassix's "none") become `None`; `None` is written as
/// `null`.
pub(crate) mod opt_guid {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Uuid>, D::Error> {
        parse_guid(Option::<String>::deserialize(d)?)
    }

    pub(crate) fn serialize<S: Serializer>(v: &Option<Uuid>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(id) => s.collect_str(&id.hyphenated()),
            None => s.serialize_none(),
        }
    }
}

/// `serde(with)` module: a GUID that identifies the record itself; `null`/`""` become the nil
/// GUID (which is also what Glassix sends for "none").
pub(crate) mod guid {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
        Ok(parse_guid(Option::<String>::deserialize(d)?)?.unwrap_or(Uuid::nil()))
    }

    pub(crate) fn serialize<S: Serializer>(v: &Uuid, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&v.hyphenated())
    }
}

/// `serde(with)` module: a list of GUIDs; `null` is an empty list, zero GUIDs are dropped.
pub(crate) mod guid_list {
    use super::*;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Uuid>, D::Error> {
        let raw = Option::<Vec<Option<String>>>::deserialize(d)?.unwrap_or_default();
        let mut out = Vec::with_capacity(raw.len());
        for item in raw {
            if let Some(id) = parse_guid(item)? {
                out.push(id);
            }
        }
        Ok(out)
    }

    pub(crate) fn serialize<S: Serializer>(v: &[Uuid], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|id| id.hyphenated().to_string()))
    }
}
