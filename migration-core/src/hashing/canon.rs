//! The canonical JSON text of a value written straight from its `Serialize` impl, without the
//! `serde_json::Value` tree [`super::source_hash`] used to build (every string copied, every
//! map an index map, then sorted and written): a record's fields are written where they
//! fall, keys included, and an object whose members did not come in key order is rewritten
//! in that order when it ends (one that did is left as written). Text that needs no escape
//! is copied as it is.
//!
//! **Same bytes or nothing.** The text must be byte for byte the one the tree gives, or every
//! hash the ledgers hold would change (and `delta` would see every record as changed). So
//! this writer covers the shapes the migrated records use (structs, maps, sequences, strings,
//! integers, finite `f64`, booleans, options, unit and newtype variants) and refuses the rest
//! ([`Unsupported`]): `bytes`, `f32`, 128-bit integers, tuple and struct variants, non-finite
//! floats and `serde_json`'s private number and raw types. A map key is read with
//! `serde_json`'s own key rule ([`key_text`]), so a key the tree refuses is refused here too. Any
//! error met on the way refuses the whole value, even one the value's own `Serialize` impl
//! ignored and went on from. The caller then takes the tree's path, which is exact by
//! definition (and runs the value's `Serialize` a second time). The rules copied from the
//! tree: `None` and `()` are `null`, a newtype variant is `{"Variant": v}`, a repeated key keeps
//! its last value, keys sort by their bytes.

use std::cell::Cell;
use std::ops::Range;

use serde::ser::{
    self, Impossible, Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeTuple,
    SerializeTupleStruct, Serializer,
};

/// Why the direct writer could not write a value: the caller falls back to the tree.
#[derive(Debug)]
pub(super) struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a shape the canonical writer leaves to serde_json::Value")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

type Out = Result<(), Unsupported>;

/// What every level of one write shares: whether links are dropped (as
/// [`super::stable_hash`] does), and whether anything was refused.
struct Ctx {
    strip: bool,
    /// Set when any member, element or key met an error, even one the value's own
    /// `Serialize` impl then ignored and went on from: the text may lack that part, so the
    /// whole value is left to the tree.
    refused: Cell<bool>,
}

impl Ctx {
    fn drops_key(&self, key: &[u8]) -> bool {
        self.strip && super::link_key(key)
    }

    fn clears(&self, s: &str) -> bool {
        self.strip && super::presigned(s)
    }

    /// Passes `result` on, noting an error.
    fn note(&self, result: Out) -> Out {
        if result.is_err() {
            self.refused.set(true);
        }
        result
    }
}

/// Writes `value`'s canonical JSON to the end of `out`; on [`Unsupported`], `out` holds a
/// partial text the caller must discard.
pub(super) fn write<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    strip: bool,
) -> Result<(), Unsupported> {
    let ctx = Ctx {
        strip,
        refused: Cell::new(false),
    };
    value.serialize(Canon { out, ctx: &ctx })?;
    if ctx.refused.get() {
        return Err(Unsupported);
    }
    Ok(())
}

struct Canon<'a> {
    out: &'a mut Vec<u8>,
    ctx: &'a Ctx,
}

fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) -> Out {
    serde_json::to_writer(out, v).map_err(|_| Unsupported)
}

/// Whether serde_json writes `s` as it is between quotes: it escapes only `"`, `\\` and the
/// control characters below U+0020 (not DEL, not `/`, not non-ASCII text).
fn needs_no_escape(s: &str) -> bool {
    // Without an early exit, so that the compiler can check many bytes at a time (message
    // bodies are long, and almost never need an escape).
    s.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    })
}

/// Writes `s` as serde_json does: quoted, escaped where it must be. Most text needs no escape
/// and is copied as it is: then the range of its copy in `out` (between the quotes) is
/// returned; the rest goes through serde_json itself (`None`).
fn string(out: &mut Vec<u8>, s: &str) -> Result<Option<Range<usize>>, Unsupported> {
    if needs_no_escape(s) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        let at = out.len();
        out.extend_from_slice(s.as_bytes());
        let copied = at..out.len();
        out.push(b'"');
        Ok(Some(copied))
    } else {
        json(out, s).map(|()| None)
    }
}

/// Where a member's key is, for sorting and for rewriting the object.
enum Key {
    /// A struct's field name (or a variant's).
    Static(&'static str),
    /// Written in `out` as it is (it needed no escape): the bytes between its quotes.
    Written(Range<usize>),
    /// A key that needed escapes, or came through [`key_text`].
    Owned(String),
}

impl Key {
    /// The key's own text (unescaped; every key is written from a `&str`, so these bytes are
    /// UTF-8). `None` only if a written key's range no longer lies in `out`, which the
    /// object's writing never does (a key is written before its value, and `out` is only ever
    /// cut back to a point after it); [`Object::finish`] then refuses the value.
    fn bytes<'k>(&'k self, out: &'k [u8]) -> Option<&'k [u8]> {
        match self {
            Key::Static(k) => Some(k.as_bytes()),
            Key::Written(r) => out.get(r.clone()),
            Key::Owned(k) => Some(k.as_bytes()),
        }
    }
}

/// A member kept in the object: its key, and where its text (`"key":value`, without the
/// comma before it) lies in `out`.
struct Member {
    key: Key,
    entry: Range<usize>,
}

/// An object being written in place: `{`, then each member as `,"key":value` in the order it
/// comes. When it ends, its members are rewritten in key order only if they did not come
/// strictly ascending (a struct whose fields are not declared in key order, a repeated key);
/// otherwise the text written is already the canonical one, and only `}` is added.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    ctx: &'a Ctx,
    /// Just after the `{`.
    start: usize,
    members: Vec<Member>,
    /// A map's key written by `serialize_key`, and the offset its member starts at, awaiting
    /// its value.
    key: Option<(Key, (usize, usize))>,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>, ctx: &'a Ctx, len: Option<usize>) -> Self {
        out.push(b'{');
        let start = out.len();
        Object {
            out,
            ctx,
            start,
            members: Vec::with_capacity(len.unwrap_or(8)),
            key: None,
        }
    }

    /// Writes the separator before a member; the offsets the member starts at (its comma, if
    /// any) and its key does.
    fn open_member(&mut self) -> (usize, usize) {
        let from = self.out.len();
        if !self.members.is_empty() {
            self.out.push(b',');
        }
        (from, self.out.len())
    }

    /// Writes the value of the member opened at `from` (its key and `:` written), and keeps
    /// it, or drops it again (a link, when links are stripped).
    fn value<T: Serialize + ?Sized>(&mut self, key: Key, from: (usize, usize), value: &T) -> Out {
        self.ctx.note(value.serialize(Canon {
            out: self.out,
            ctx: self.ctx,
        }))?;
        if key.bytes(self.out).is_some_and(|k| self.ctx.drops_key(k)) {
            // Written first, as the tree did (an error inside still falls back), then dropped.
            self.out.truncate(from.0);
        } else {
            let entry = from.1..self.out.len();
            self.members.push(Member { key, entry });
        }
        Ok(())
    }

    /// A struct's field (or a newtype variant's one member).
    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Out {
        let from = self.open_member();
        string(self.out, key)?;
        self.out.push(b':');
        self.value(Key::Static(key), from, value)
    }

    /// Ends the object: as written when its keys came strictly ascending; otherwise its
    /// members' texts copied again in key order, a repeated key's last value kept.
    fn finish(self) -> Out {
        let Object {
            out,
            start,
            members,
            ..
        } = self;
        if members.iter().any(|m| m.key.bytes(out).is_none()) {
            return Err(Unsupported);
        }
        fn key<'k>(m: &'k Member, out: &'k [u8]) -> &'k [u8] {
            m.key.bytes(out).unwrap_or_default()
        }
        let ascending = members
            .windows(2)
            .all(|w| key(&w[0], out) < key(&w[1], out));
        if !ascending {
            let mut order: Vec<(&[u8], Range<usize>)> = members
                .iter()
                .map(|m| (key(m, out), m.entry.clone()))
                .collect();
            // Stable: of equal keys the last written stays last, and is the one kept.
            order.sort_by(|a, b| a.0.cmp(b.0));
            let mut text = Vec::with_capacity(out.len().saturating_sub(start));
            for (i, (key, entry)) in order.iter().enumerate() {
                if order.get(i + 1).is_some_and(|next| next.0 == *key) {
                    continue;
                }
                if !text.is_empty() {
                    text.push(b',');
                }
                text.extend_from_slice(out.get(entry.clone()).ok_or(Unsupported)?);
            }
            drop(order);
            out.truncate(start);
            out.extend_from_slice(&text);
        }
        out.push(b'}');
        Ok(())
    }
}

/// An array being written.
struct Array<'a> {
    out: &'a mut Vec<u8>,
    ctx: &'a Ctx,
    first: bool,
}

impl<'a> Array<'a> {
    fn new(out: &'a mut Vec<u8>, ctx: &'a Ctx) -> Self {
        out.push(b'[');
        Array {
            out,
            ctx,
            first: true,
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Out {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.ctx.note(value.serialize(Canon {
            out: self.out,
            ctx: self.ctx,
        }))
    }

    fn finish(self) -> Out {
        self.out.push(b']');
        Ok(())
    }
}

macro_rules! scalars {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Out {
            json(self.out, &v)
        }
    )*};
}

macro_rules! unsupported {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, _v: $t) -> Out {
            Err(Unsupported)
        }
    )*};
}

impl<'a> Serializer for Canon<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    scalars!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_bool: bool);
    unsupported!(serialize_f32: f32, serialize_i128: i128, serialize_u128: u128,
        serialize_bytes: &[u8]);

    fn serialize_f64(self, v: f64) -> Out {
        if v.is_finite() {
            json(self.out, &v)
        } else {
            // The tree makes it `null`; left to it.
            Err(Unsupported)
        }
    }

    fn serialize_char(self, v: char) -> Out {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Out {
        string(self.out, if self.ctx.clears(v) { "" } else { v }).map(drop)
    }

    fn serialize_none(self) -> Out {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Out {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Out {
        self.serialize_unit()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Out {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Out {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Out {
        let mut object = Object::new(self.out, self.ctx, Some(1));
        object.field(variant, value)?;
        object.finish()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'a>, Unsupported> {
        Ok(Array::new(self.out, self.ctx))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Array<'a>, Unsupported> {
        Ok(Array::new(self.out, self.ctx))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Array<'a>, Unsupported> {
        Ok(Array::new(self.out, self.ctx))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Object<'a>, Unsupported> {
        Ok(Object::new(self.out, self.ctx, len))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Object<'a>, Unsupported> {
        // serde_json's private number and raw-value types come as structs with these names.
        if name.starts_with("$serde_json") {
            return Err(Unsupported);
        }
        Ok(Object::new(self.out, self.ctx, Some(len)))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

/// The three sequence shapes (`[a, b]`, a tuple, a tuple struct) are one array.
macro_rules! array_shape {
    ($($trait:ident: $method:ident),*) => {$(
        impl $trait for Array<'_> {
            type Ok = ();
            type Error = Unsupported;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Out {
                self.element(value)
            }
            fn end(self) -> Out {
                self.finish()
            }
        }
    )*};
}

array_shape!(SerializeSeq: serialize_element, SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field);

impl<'a> SerializeMap for Object<'a> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Out {
        if self.key.is_some() {
            // A key after a key: the tree would keep the second; left to it.
            self.ctx.refused.set(true);
            return Err(Unsupported);
        }
        let from = self.open_member();
        // Most keys are plain strings: written as they are; any other goes through the exact
        // rule.
        let written = match key.serialize(PlainKey { out: self.out }) {
            Ok(k) => Some(k),
            Err(Unsupported) => match key_text(key) {
                Some(k) => {
                    string(self.out, &k)?;
                    Some(Key::Owned(k))
                }
                None => None,
            },
        };
        let Some(written) = written else {
            self.ctx.refused.set(true);
            return Err(Unsupported);
        };
        self.out.push(b':');
        self.key = Some((written, from));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Out {
        let Some((key, from)) = self.key.take() else {
            self.ctx.refused.set(true);
            return Err(Unsupported);
        };
        self.value(key, from, value)
    }
    fn end(self) -> Out {
        if self.key.is_some() {
            // A key without its value: the tree would drop it; left to it.
            self.ctx.refused.set(true);
            return Err(Unsupported);
        }
        self.finish()
    }
}

impl<'a> SerializeStruct for Object<'a> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Out {
        self.field(key, value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

/// A map key's text exactly as the tree makes it: serde_json's own map-key rule, applied to a
/// one-entry map (text as it is, integers and booleans written out, anything else refused).
fn key_text<T: Serialize + ?Sized>(key: &T) -> Option<String> {
    struct OneKey<'k, K: ?Sized>(&'k K);
    impl<K: Serialize + ?Sized> Serialize for OneKey<'_, K> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    match serde_json::to_value(OneKey(key)) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().next().map(|(text, _)| text),
        _ => None,
    }
}

/// A key that is a plain string (or a newtype around one), taken as it is, as serde_json's key
/// rule takes it, and written to `out` (quoted, escaped as it must be); anything else is
/// [`Unsupported`] here, with nothing written, and read by [`key_text`].
struct PlainKey<'o> {
    out: &'o mut Vec<u8>,
}

macro_rules! not_plain {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, _v: $t) -> Result<Key, Unsupported> {
            Err(Unsupported)
        }
    )*};
}

impl Serializer for PlainKey<'_> {
    type Ok = Key;
    type Error = Unsupported;
    type SerializeSeq = Impossible<Key, Unsupported>;
    type SerializeTuple = Impossible<Key, Unsupported>;
    type SerializeTupleStruct = Impossible<Key, Unsupported>;
    type SerializeTupleVariant = Impossible<Key, Unsupported>;
    type SerializeMap = Impossible<Key, Unsupported>;
    type SerializeStruct = Impossible<Key, Unsupported>;
    type SerializeStructVariant = Impossible<Key, Unsupported>;

    not_plain!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_bytes: &[u8], serialize_unit_struct: &'static str);

    fn serialize_str(self, v: &str) -> Result<Key, Unsupported> {
        Ok(match string(self.out, v)? {
            Some(copied) => Key::Written(copied),
            None => Key::Owned(v.to_owned()),
        })
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Key, Unsupported> {
        value.serialize(self)
    }
    fn serialize_none(self) -> Result<Key, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _v: &T) -> Result<Key, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<Key, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Key, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Key, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}
