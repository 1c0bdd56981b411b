//! Stable content hashes: SHA-256 over canonical JSON (object keys sorted, no whitespace).
//!
//! The ledger stores [`source_hash`] for every source record so that a delta run can tell an
//! unchanged record (no write) from a changed one (update). The same canonical form hashes the
//! mapping spec ([`crate::spec::MappingSpec::hash`]).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Lower-case hex SHA-256 of `value`'s canonical JSON form.
///
/// The hash does not depend on field order in maps or on how the value was deserialised, only on
/// its content. Floats are written the way `serde_json` writes them (shortest round-trip form).
///
/// ```
/// # use migration_core::hashing::source_hash;
/// let a = serde_json::json!({"id": 1, "tags": ["vip"], "name": "Dana"});
/// let b = serde_json::json!({"name": "Dana", "tags": ["vip"], "id": 1});
/// assert_eq!(source_hash(&a).unwrap(), source_hash(&b).unwrap());
/// ```
pub fn source_hash<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let value = serde_json::to_value(value).map_err(Error::json("canonicalising a value"))?;
    value_hash(&value)
}

/// [`source_hash`] of a value already in JSON form (not converted again).
fn value_hash(value: &Value) -> Result<String> {
    let mut out = Vec::with_capacity(1024);
    write_canonical(value, &mut out)?;
    Ok(hex::encode(Sha256::digest(&out)))
}

/// [`source_hash`] of `value` without its links (`uri`, `imageUri`, thumbnails, any presigned
/// URL): presigned links change on every read, and must not make an unchanged record look
/// changed. The executor hashes Glassix records with it.
pub fn stable_hash<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                // Compared without case (no lower-cased copy of every key).
                m.retain(|k, _| {
                    let k = k.as_bytes();
                    let link = k.len() >= 3 && k[k.len() - 3..].eq_ignore_ascii_case(b"uri");
                    !link && !k.eq_ignore_ascii_case(b"thumbnails")
                });
                m.values_mut().for_each(strip);
            }
            Value::String(s) if presigned(s) => s.clear(),
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    fn presigned(s: &str) -> bool {
        s.starts_with("http")
            && ["X-Amz-", "Signature=", "Expires=", "sig="]
                .iter()
                .any(|m| s.contains(m))
    }
    let mut v = serde_json::to_value(value).map_err(Error::json("hashing a record"))?;
    strip(&mut v);
    value_hash(&v)
}

/// The canonical JSON text hashed by [`source_hash`]: keys sorted at every level, compact.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let value = serde_json::to_value(value).map_err(Error::json("canonicalising a value"))?;
    let mut out = Vec::new();
    write_canonical(&value, &mut out)?;
    // serde_json writes UTF-8 only: the lossy path is never taken.
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Writes `value`'s canonical JSON to `out` (keys and scalars written in place, no text built
/// per key).
fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<()> {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)
                    .map_err(Error::json("canonicalising a key"))?;
                out.push(b':');
                write_canonical(v, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)
            .map_err(Error::json("canonicalising a scalar"))?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::{BTreeMap, HashMap};

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a = json!({"b": {"y": 1, "x": [1, 2]}, "a": "é"});
        let b = json!({"a": "é", "b": {"x": [1, 2], "y": 1}});
        assert_eq!(source_hash(&a).unwrap(), source_hash(&b).unwrap());
        assert_eq!(
            canonical_json(&a).unwrap(),
            r#"{"a":"é","b":{"x":[1,2],"y":1}}"#
        );
    }

    #[test]
    fn content_change_changes_the_hash_and_array_order_matters() {
        let a = json!({"tags": ["a", "b"]});
        let b = json!({"tags": ["b", "a"]});
        let c = json!({"tags": ["a", "b"], "x": null});
        assert_ne!(source_hash(&a).unwrap(), source_hash(&b).unwrap());
        assert_ne!(source_hash(&a).unwrap(), source_hash(&c).unwrap());
    }

    #[test]
    fn hash_is_a_known_sha256_and_stable_across_map_types() {
        // sha256("{}") is a fixed, well-known value.
        let empty: BTreeMap<String, u8> = BTreeMap::new();
        assert_eq!(
            source_hash(&empty).unwrap(),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let mut h = HashMap::new();
        let mut bt = BTreeMap::new();
        for i in 0..50 {
            h.insert(format!("k{i}"), i);
            bt.insert(format!("k{i}"), i);
        }
        assert_eq!(source_hash(&h).unwrap(), source_hash(&bt).unwrap());
        assert_eq!(source_hash(&h).unwrap().len(), 64);
    }

    /// The canonical text (and so every hash the ledgers hold) is fixed: links are dropped
    /// whatever the case of their key, escapes and numbers are serde_json's.
    #[test]
    fn stable_hash_of_a_record_is_the_sha256_of_its_fixed_canonical_text() {
        let record = json!({
            "z": {"Name": "x", "imageURI": "https://x/i", "Thumbnails": ["t"]},
            "n": [1, 2.5, null, true], "a": "é\"\n", "URI": "https://x/u",
        });
        let stripped = json!({"z": {"Name": "x"}, "n": [1, 2.5, null, true], "a": "é\"\n"});
        let text = r#"{"a":"é\"\n","n":[1,2.5,null,true],"z":{"Name":"x"}}"#;
        assert_eq!(canonical_json(&stripped).unwrap(), text);
        let sha = "29e4fdf13227917c731243e5b76442d60c63fc7d34ec12a580374990fd7f7f91";
        assert_eq!(stable_hash(&record).unwrap(), sha);
        assert_eq!(source_hash(&stripped).unwrap(), sha);
    }

    #[test]
    fn stable_hash_ignores_links_but_not_content() {
        let a = serde_json::json!({
            "id": 1, "text": "hi", "uri": "https://x/a?X-Amz-Signature=1",
            "attachments": [{"imageUri": "https://x/b", "thumbnails": ["https://x/t?sig=1"], "name": "f"}],
            "link": "https://files.example/a.pdf?X-Amz-Expires=60"
        });
        let mut b = a.clone();
        b["uri"] = "https://x/a?X-Amz-Signature=2".into();
        b["attachments"][0]["thumbnails"][0] = "https://x/t?sig=2".into();
        b["link"] = "https://files.example/a.pdf?X-Amz-Expires=99".into();
        assert_eq!(stable_hash(&a).unwrap(), stable_hash(&b).unwrap());
        b["text"] = "changed".into();
        assert_ne!(stable_hash(&a).unwrap(), stable_hash(&b).unwrap());
        b["text"] = "hi".into();
        b["attachments"][0]["name"] = "g".into();
        assert_ne!(stable_hash(&a).unwrap(), stable_hash(&b).unwrap());
    }
}
