//! Serde models that keep the JSON fields they do not name (an `extra` map), decoded without
//! serde's `flatten` buffering. Both API clients' models use it.
//!
//! A derived `Deserialize` with a `#[serde(flatten)]` map first copies every entry of the JSON
//! object into serde's private buffer and then decodes the struct from that copy; nested, the
//! copies nest. On ticket pages that was most of the decoding time. Here the struct is decoded
//! straight from the JSON: the derived code (generated with `#[serde(remote = "Self")]` as an
//! inherent `deserialize`) sees only the keys it names (its `FIELDS`, aliases included), and
//! every other entry is decoded into a [`serde_json::Value`] and kept in the struct's `extra`.
//! The derived `Serialize` keeps its `#[serde(flatten)]` (writing is not buffered).
//!
//! A model opts in with `#[serde(remote = "Self")]` on the struct, `#[serde(flatten,
//! skip_deserializing)]` on its `extra` map, and [`impl_serde_with_extra!`] for the traits (or
//! [`impl_deserialize_with_extra!`] for a model that is only read):
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use serde_json::{Map, Value};
//!
//! #[derive(Debug, Default, Serialize, Deserialize)]
//! #[serde(default, remote = "Self")]
//! pub struct Tag {
//!     pub name: String,
//!     #[serde(flatten, skip_deserializing)]
//!     pub extra: Map<String, Value>,
//! }
//! wire_extra::impl_serde_with_extra!(Tag);
//!
//! let t: Tag = serde_json::from_str(r#"{"name": "vip", "colour": "teal"}"#).unwrap();
//! assert_eq!(t.extra["colour"], "teal");
//! ```
//!
//! A model may not have a second flattened field that is deserialized (the derived code then
//! asks for a map, which the wrapper refuses with an error rather than lose fields), and it
//! needs serde's derive from 1.0.210 on (older ones asked for a map even when the flattened
//! `extra` was skipped; the workspace requires it).
//!
//! One thing to know: `remote = "Self"` makes the derived functions inherent, so
//! `Tag::deserialize(d)` written as a path call is the derived one, which drops unnamed
//! fields; generic code (`T: Deserialize`, `serde_json::from_str`) uses the trait, which keeps
//! them.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::CowStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Implements `Deserialize` for a struct declared with `#[serde(remote = "Self")]`: the
/// derived decoding of the fields it names, plus every other entry in its `extra` map (see
/// the crate's documentation).
#[macro_export]
macro_rules! impl_deserialize_with_extra {
    ($ty:ident) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let mut extra = ::serde_json::Map::new();
                let mut v = $ty::deserialize($crate::Capturing::new(d, &mut extra))?;
                v.extra = extra;
                Ok(v)
            }
        }
    };
}

/// [`impl_deserialize_with_extra!`], and `Serialize` as derived, for a struct that derives
/// both with `#[serde(remote = "Self")]`.
#[macro_export]
macro_rules! impl_serde_with_extra {
    ($ty:ident) => {
        $crate::impl_deserialize_with_extra!($ty);
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $ty::serialize(self, s)
            }
        }
    };
}

/// A deserializer that hands a struct's visitor only the keys it names and keeps the others
/// in `extra` (used by [`impl_serde_with_extra!`]; not meant to be used directly).
#[doc(hidden)]
pub struct Capturing<'a, D> {
    inner: D,
    extra: &'a mut Map<String, Value>,
}

impl<'a, D> Capturing<'a, D> {
    /// Wraps `inner`; unnamed entries go to `extra`.
    pub fn new(inner: D, extra: &'a mut Map<String, Value>) -> Self {
        Capturing { inner, extra }
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Capturing<'_, D> {
    type Error = D::Error;

    /// Every other request is refused rather than passed through: only a struct's derived
    /// code (which asks for a struct) can tell which keys are its own, and a model asking for
    /// anything else (e.g. a map, as a derived struct with a second, unskipped flattened field
    /// does) would silently lose its unnamed fields.
    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, D::Error> {
        Err(de::Error::custom(
            "wire-extra: the model must derive Deserialize as a struct with `remote = \"Self\"` \
             and no other flattened field (see the crate's documentation)",
        ))
    }

    /// Asks the input for a map, as the derived code of a struct with a flattened field does
    /// (a format's other ways of writing a struct, e.g. a JSON array, are not accepted), so
    /// that a flattened model (`FlatMapDeserializer`) still offers every entry left.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(Capture {
            inner: visitor,
            fields,
            extra: self.extra,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The struct's visitor, and then the input's map access, with the keys the struct names and
/// where the others go: as a `Visitor` it hands the struct's visitor a `Capture` around the
/// input's map, which as a `MapAccess` skips (and keeps) the keys the struct does not name.
struct Capture<'a, T> {
    inner: T,
    fields: &'static [&'static str],
    extra: &'a mut Map<String, Value>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Capture<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Capture {
            inner: map,
            fields: self.fields,
            extra: self.extra,
        })
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(seq)
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Capture<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(Key(key)) = self.inner.next_key::<Key<'de>>()? {
            if self.fields.contains(&key.as_ref()) {
                let key: CowStrDeserializer<'de, A::Error> = key.into_deserializer();
                return seed.deserialize(key).map(Some);
            }
            let value: Value = self.inner.next_value()?;
            self.extra.insert(key.into_owned(), value);
        }
        Ok(None)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A map key, borrowed from the input when it can be (serde's own `Cow` always copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
            fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Key<'de>, E> {
                std::str::from_utf8(v)
                    .map(|s| Key(Cow::Borrowed(s)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Key<'de>, E> {
                std::str::from_utf8(v)
                    .map(|s| Key(Cow::Owned(s.to_owned())))
                    .map_err(|_| E::invalid_value(de::Unexpected::Bytes(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::{Map, Value, json};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", default, remote = "Self")]
    struct Inner {
        full_name: String,
        #[serde(alias = "mail")]
        email: Option<String>,
        #[serde(flatten, skip_deserializing)]
        extra: Map<String, Value>,
    }
    crate::impl_serde_with_extra!(Inner);

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", default, remote = "Self")]
    struct Outer {
        id: i64,
        people: Vec<Inner>,
        #[serde(flatten, skip_deserializing)]
        extra: Map<String, Value>,
    }
    crate::impl_serde_with_extra!(Outer);

    #[test]
    fn unnamed_fields_are_kept_at_every_level_and_named_ones_decoded() {
        let wire = json!({
            "id": 7, "brandNew": {"a": [1, 2]},
            "people": [{"fullName": "Dana", "mail": "d@x.io", "role": "vip"}, {"fullName": "Eli"}]
        });
        let o: Outer = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(o.id, 7);
        assert_eq!(o.extra.get("brandNew"), Some(&json!({"a": [1, 2]})));
        assert_eq!(o.people[0].email.as_deref(), Some("d@x.io"));
        assert_eq!(o.people[0].extra.get("role"), Some(&json!("vip")));
        assert!(o.people[1].extra.is_empty());
        // Decoded from bytes (borrowed keys) the same as from a value (owned keys).
        let from_bytes: Outer = serde_json::from_slice(wire.to_string().as_bytes()).unwrap();
        assert_eq!(from_bytes, o);
        // Written back, the kept entries come out beside the named ones.
        let back = serde_json::to_value(&o).unwrap();
        assert_eq!(back["brandNew"], json!({"a": [1, 2]}));
        assert_eq!(back["people"][0]["role"], json!("vip"));
        assert_eq!(back["people"][0]["email"], json!("d@x.io"));
    }

    /// A model flattened into another (serde's buffered path) still keeps what it does not name.
    #[derive(Debug, Deserialize)]
    struct Wrapper {
        #[serde(flatten)]
        person: Inner,
        id: i64,
    }

    #[test]
    fn a_model_flattened_into_another_keeps_its_unnamed_fields() {
        let w: Wrapper =
            serde_json::from_str(r#"{"id": 3, "fullName": "Dana", "role": "vip"}"#).unwrap();
        assert_eq!((w.id, w.person.full_name.as_str()), (3, "Dana"));
        assert_eq!(w.person.extra.get("role"), Some(&json!("vip")));
        assert!(!w.person.extra.contains_key("id"), "{:?}", w.person.extra);
    }

    /// A model with a second flattened field: its derived code asks for a map.
    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(default, remote = "Self")]
    struct TwoFlattened {
        id: i64,
        #[serde(flatten)]
        more: Map<String, Value>,
        #[serde(flatten, skip_deserializing)]
        extra: Map<String, Value>,
    }
    crate::impl_serde_with_extra!(TwoFlattened);

    #[test]
    fn a_model_that_would_lose_its_unnamed_fields_is_an_error_not_a_silent_loss() {
        let e = serde_json::from_str::<TwoFlattened>(r#"{"id": 1, "x": 2}"#).unwrap_err();
        assert!(e.to_string().contains("wire-extra"), "{e}");
    }

    #[test]
    fn a_bad_named_field_is_still_an_error_naming_its_line() {
        let e = serde_json::from_str::<Outer>("{\n\"id\": \"seven\"}").unwrap_err();
        assert_eq!(e.line(), 2, "{e}");
    }
}
