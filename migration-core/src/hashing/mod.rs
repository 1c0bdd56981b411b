//! Stable content hashes: SHA-256 over canonical JSON (object keys sorted, no whitespace).
//!
//! The ledger stores [`source_hash`] for every source record so that a delta run can tell an
//! unchanged record (no write) from a changed one (update). The same canonical form hashes the
//! mapping spec ([`crate::spec::MappingSpec::hash`]).

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

mod canon;

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
    canonical_text_bytes(value, false).map(|text| sha256_hex(&text))
}

fn sha256_hex(text: &[u8]) -> String {
    hex::encode(Sha256::digest(text))
}

/// The canonical text as defined: `value` made a `serde_json::Value` tree, its links dropped
/// when `strip_links` (as [`stable_hash`] does), then written keys sorted. The direct writer
/// must give the same bytes; this slower path is public (hidden) for the tests that prove it.
#[doc(hidden)]
pub fn tree_canonical_bytes<T: Serialize + ?Sized>(value: &T, strip: bool) -> Result<Vec<u8>> {
    let context = if strip {
        "hashing a record"
    } else {
        "canonicalising a value"
    };
    let mut tree = serde_json::to_value(value).map_err(Error::json(context))?;
    if strip {
        strip_links(&mut tree);
    }
    let mut out = Vec::with_capacity(1024);
    write_canonical(&tree, &mut out)?;
    Ok(out)
}

/// The canonical text [`source_hash`] (`strip == false`) or [`stable_hash`] (`true`) hashes:
/// written straight from `value`'s `Serialize` impl (`canon`), or through the tree
/// ([`tree_canonical_bytes`]) for the shapes the direct writer leaves to it (same bytes either
/// way). Public (hidden) for the tests that compare the two.
#[doc(hidden)]
pub fn canonical_text_bytes<T: Serialize + ?Sized>(value: &T, strip: bool) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(1024);
    match canon::write(value, &mut out, strip) {
        Ok(()) => Ok(out),
        Err(canon::Unsupported) => tree_canonical_bytes(value, strip),
    }
}

/// [`source_hash`] of `value` without its links (`uri`, `imageUri`, thumbnails, any presigned
/// URL): presigned links change on every read, and must not make an unchanged record look
/// changed. The executor hashes Glassix records with it.
pub fn stable_hash<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    canonical_text_bytes(value, true).map(|text| sha256_hex(&text))
}

/// Drops the links [`stable_hash`] ignores from a JSON tree: a key ending in `uri` or equal to
/// `thumbnails` (any case), and the text of a presigned URL.
fn strip_links(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !link_key(k.as_bytes()));
            m.values_mut().for_each(strip_links);
        }
        Value::String(s) if presigned(s) => s.clear(),
        Value::Array(a) => a.iter_mut().for_each(strip_links),
        _ => {}
    }
}

/// Whether `key` names a link [`stable_hash`] ignores: it ends in `uri` or is `thumbnails`,
/// compared without case (no lower-cased copy of every key).
fn link_key(k: &[u8]) -> bool {
    (k.len() >= 3 && k[k.len() - 3..].eq_ignore_ascii_case(b"uri"))
        || k.eq_ignore_ascii_case(b"thumbnails")
}

/// Whether `s` is a presigned URL (its signature or expiry changes on every read).
fn presigned(s: &str) -> bool {
    s.starts_with("http")
        && ["X-Amz-", "Signature=", "Expires=", "sig="]
            .iter()
            .any(|m| s.contains(m))
}

/// The canonical JSON text hashed by [`source_hash`]: keys sorted at every level, compact.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let out = canonical_text_bytes(value, false)?;
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

    /// The direct writer's text, or `None` when it leaves the value to the tree.
    fn direct<T: Serialize>(value: &T, strip: bool) -> Option<String> {
        let mut out = Vec::new();
        canon::write(value, &mut out, strip).ok()?;
        Some(String::from_utf8(out).unwrap())
    }

    fn tree<T: Serialize>(value: &T, strip: bool) -> String {
        String::from_utf8(tree_canonical_bytes(value, strip).unwrap()).unwrap()
    }

    /// Object keys the seeded values draw from: keys that repeat in another case, links,
    /// escapes, non-ASCII text, the empty key.
    const KEYS: [&str; 14] = [
        "id",
        "Id",
        "uri",
        "imageURI",
        "thumbnails",
        "Thumbnails",
        "é",
        "a\"b",
        "back\\slash",
        "del\u{7f}",
        "",
        "z",
        "tags",
        "uriText",
    ];

    /// A seeded tree of every JSON shape: keys that repeat in another case, links, presigned
    /// URLs, escapes, non-ASCII text, integers at the edges, floats.
    fn next(seed: &mut u64, n: u64) -> u64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 33) % n
    }

    fn random_value(seed: &mut u64, depth: u32) -> Value {
        const TEXTS: [&str; 9] = [
            "plain",
            "é\u{1F600}\n\t\"quoted\"",
            "https://x/a?X-Amz-Signature=1",
            "https://x/b?sig=2",
            "http",
            "\u{0}\u{1f}",
            "</script>",
            "a\\b/c\u{7f}\u{80}\u{2028}",
            "\u{20}~",
        ];
        match if depth == 0 {
            next(seed, 6)
        } else {
            next(seed, 8)
        } {
            0 => Value::Null,
            1 => Value::Bool(next(seed, 2) == 0),
            2 => [json!(i64::MIN), json!(u64::MAX), json!(0), json!(-1)][next(seed, 4) as usize]
                .clone(),
            3 => json!([0.5, -0.0, 1e300, 2.5e-8, 1.0][next(seed, 5) as usize]),
            4 | 5 => Value::String(TEXTS[next(seed, TEXTS.len() as u64) as usize].into()),
            6 => Value::Array(
                (0..next(seed, 4))
                    .map(|_| random_value(seed, depth - 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..next(seed, 6))
                    .map(|_| {
                        let key = KEYS[next(seed, KEYS.len() as u64) as usize].to_owned();
                        (key, random_value(seed, depth - 1))
                    })
                    .collect(),
            ),
        }
    }

    #[test]
    fn the_direct_writer_gives_the_trees_bytes_for_every_json_shape() {
        let mut seed = 7;
        for _ in 0..3_000 {
            let v = random_value(&mut seed, 4);
            for strip in [false, true] {
                assert_eq!(
                    direct(&v, strip).as_deref(),
                    Some(tree(&v, strip).as_str()),
                    "{v}"
                );
            }
        }
    }

    /// A map written entry by entry in the order given, repeated keys included (as a
    /// `Serialize` impl may do).
    struct Entries(Vec<(String, Value)>);

    impl Serialize for Entries {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }

    #[test]
    fn objects_in_key_order_out_of_it_and_with_repeated_keys_give_the_trees_bytes() {
        let mut seed = 11;
        for _ in 0..2_000 {
            let n = next(&mut seed, 7);
            let mut entries: Vec<(String, Value)> = (0..n)
                .map(|_| {
                    // Mostly the keys above (links among them), sometimes a value's text.
                    let key = match (next(&mut seed, 3), random_value(&mut seed, 0)) {
                        (0, Value::String(s)) => s,
                        (0, other) => other.to_string(),
                        _ => KEYS[next(&mut seed, KEYS.len() as u64) as usize].to_owned(),
                    };
                    (key, random_value(&mut seed, 2))
                })
                .collect();
            for order in 0..3 {
                match order {
                    // As drawn: out of order, keys may repeat.
                    0 => {}
                    // Ascending with repeats: rewritten, the last value kept.
                    1 => entries.sort_by(|a, b| a.0.cmp(&b.0)),
                    // Strictly ascending: left as written.
                    _ => entries.dedup_by(|later, earlier| {
                        let same = later.0 == earlier.0;
                        if same {
                            std::mem::swap(later, earlier);
                        }
                        same
                    }),
                }
                let value = Entries(entries.clone());
                for strip in [false, true] {
                    assert_eq!(
                        direct(&value, strip).as_deref(),
                        Some(tree(&value, strip).as_str()),
                        "order {order}: {:?}",
                        entries
                    );
                }
            }
        }
    }

    /// A map whose `Serialize` breaks serde's order: a key after a key, or a key left without
    /// its value.
    struct Misordered(bool);

    impl Serialize for Misordered {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(None)?;
            map.serialize_key("a")?;
            if self.0 {
                map.serialize_key("b")?;
                map.serialize_value(&1)?;
            }
            map.end()
        }
    }

    #[test]
    fn a_map_written_out_of_serdes_order_is_left_to_the_tree() {
        for twice in [true, false] {
            let v = Misordered(twice);
            assert_eq!(direct(&v, false), None, "refused (key twice: {twice})");
            assert_eq!(
                canonical_text_bytes(&v, false).unwrap(),
                tree_canonical_bytes(&v, false).unwrap()
            );
        }
    }

    #[test]
    fn the_direct_writer_gives_the_trees_bytes_for_typed_records() {
        #[derive(Serialize)]
        enum Kind {
            Plain,
            Wrapped(u8),
            #[serde(rename = "profileUri")]
            Link(String),
        }
        #[derive(Serialize)]
        struct Inner {
            #[serde(rename = "imageUri")]
            image_uri: &'static str,
            kinds: Vec<Kind>,
            missing: Option<u32>,
            unit: (),
        }
        #[derive(Serialize)]
        struct Record {
            z: u64,
            a: Option<&'static str>,
            inner: Inner,
            newtype: Wrapper,
            pair: (i32, &'static str),
            #[serde(flatten)]
            extra: BTreeMap<String, Value>,
            letter: char,
        }
        #[derive(Serialize)]
        struct Wrapper(&'static str);
        let mut extra = BTreeMap::new();
        extra.insert("z".to_owned(), json!("repeated key: the last value stays"));
        extra.insert("Thumbnails".to_owned(), json!(["https://x/t?sig=1"]));
        let record = Record {
            z: 1,
            a: Some("https://x/file?Expires=9"),
            inner: Inner {
                image_uri: "https://x/i",
                kinds: vec![Kind::Plain, Kind::Wrapped(3), Kind::Link("l".into())],
                missing: None,
                unit: (),
            },
            newtype: Wrapper("w"),
            pair: (-4, "p"),
            extra,
            letter: 'é',
        };
        for strip in [false, true] {
            assert_eq!(
                direct(&record, strip).as_deref(),
                Some(tree(&record, strip).as_str())
            );
        }
        assert!(
            direct(&record, true)
                .unwrap()
                .contains(r#""z":"repeated key: the last value stays""#)
        );
    }

    /// A value serialised as bytes (as `serde_bytes` does).
    fn serde_bytes_like() -> impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_bytes(b"ab")
            }
        }
        Bytes
    }

    #[test]
    fn shapes_the_direct_writer_refuses_are_hashed_through_the_tree_with_the_same_result() {
        #[derive(Serialize)]
        enum Shape {
            Pair(u8, u8),
            Point { x: i8 },
        }
        let some_key = BTreeMap::from([(Some("a".to_owned()), 1)]);
        /// A `Serialize` impl that ignores the error of one member and goes on.
        struct Ignores(bool);
        impl Serialize for Ignores {
            fn serialize<S: serde::Serializer>(
                &self,
                s: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                use serde::ser::{SerializeSeq, SerializeStruct};
                if self.0 {
                    let mut seq = s.serialize_seq(None)?;
                    seq.serialize_element(&1)?;
                    if let Err(ignored) = seq.serialize_element(&0.5_f32) {
                        drop(ignored);
                    }
                    seq.serialize_element(&2)?;
                    seq.end()
                } else {
                    let mut st = s.serialize_struct("Ignores", 2)?;
                    if let Err(ignored) = st.serialize_field("x", &1.5_f32) {
                        drop(ignored);
                    }
                    st.serialize_field("y", &1)?;
                    st.end()
                }
            }
        }
        /// (the direct writer's text, the tree's, what the hashing functions use), both modes.
        fn all<T: Serialize>(v: &T) -> Vec<(Option<String>, String, String)> {
            let text = |r: Result<Vec<u8>>| match r {
                Ok(bytes) => String::from_utf8(bytes).unwrap(),
                Err(e) => format!("error: {e}"),
            };
            [false, true]
                .map(|s| {
                    let used = text(canonical_text_bytes(v, s));
                    (direct(v, s), text(tree_canonical_bytes(v, s)), used)
                })
                .into()
        }
        let refused = [
            ("f32", all(&0.1_f32)),
            ("NaN", all(&[f64::NAN])),
            ("u128", all(&7_u128)),
            ("bytes", all(&serde_bytes_like())),
            ("tuple variant", all(&Shape::Pair(1, 2))),
            ("struct variant", all(&Shape::Point { x: 1 })),
            ("a key the tree refuses", all(&some_key)),
            ("an ignored error in a struct", all(&Ignores(false))),
            ("an ignored error in a sequence", all(&Ignores(true))),
        ];
        for (what, modes) in refused {
            for (direct_text, tree_text, used) in modes {
                assert_eq!(direct_text, None, "{what} is left to the tree");
                assert_eq!(used, tree_text, "{what}");
            }
        }
        // Through the public functions the result is the tree's.
        assert_eq!(canonical_json(&[f64::NAN]).unwrap(), "[null]");
        assert_eq!(canonical_json(&0.1_f32).unwrap(), tree(&0.1_f32, false));
        assert_eq!(
            canonical_json(&Shape::Point { x: 1 }).unwrap(),
            r#"{"Point":{"x":1}}"#
        );
    }

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
