//! The canonical JSON text of a value written straight from its `Serialize` impl, without the
//! `serde_json::Value` tree [`super::source_hash`] used to build (every string copied, every
//! map an index map, then sorted and written): a record's fields are written where they
//! fall, and each object's members are reordered by key when it ends.
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

use std::borrow::Cow;
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
    fn drops_key(&self, key: &str) -> bool {
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

/// An object being written: its members' values lie in `out` after `start`, each at its range.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    ctx: &'a Ctx,
    start: usize,
    members: Vec<(Cow<'static, str>, Range<usize>)>,
    key: Option<String>,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Vec<u8>, ctx: &'a Ctx, len: Option<usize>) -> Self {
        let start = out.len();
        Object {
            out,
            ctx,
            start,
            members: Vec::with_capacity(len.unwrap_or(8)),
            key: None,
        }
    }

    fn member<T: Serialize + ?Sized>(&mut self, key: Cow<'static, str>, value: &T) -> Out {
        let from = self.out.len();
        self.ctx.note(value.serialize(Canon {
            out: self.out,
            ctx: self.ctx,
        }))?;
        if self.ctx.drops_key(&key) {
            // Written first, as the tree did (an error inside still falls back), then dropped.
            self.out.truncate(from);
        } else {
            self.members.push((key, from..self.out.len()));
        }
        Ok(())
    }

    /// Rewrites the members' values as one object, keys sorted, a repeated key's last value
    /// kept.
    fn finish(self) -> Out {
        let Object {
            out,
            start,
            mut members,
            ..
        } = self;
        // Stable: of equal keys the last written stays last, and is the one kept.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        let mut text = Vec::with_capacity(out.len() - start + members.len() * 16 + 2);
        text.push(b'{');
        let mut first = true;
        for (i, (key, range)) in members.iter().enumerate() {
            if members.get(i + 1).is_some_and(|next| next.0 == *key) {
                continue;
            }
            if !first {
                text.push(b',');
            }
            first = false;
            json(&mut text, key.as_ref())?;
            text.push(b':');
            text.extend_from_slice(&out[range.clone()]);
        }
        text.push(b'}');
        out.truncate(start);
        out.extend_from_slice(&text);
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
        json(self.out, if self.ctx.clears(v) { "" } else { v })
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
        object.member(Cow::Borrowed(variant), value)?;
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
        // Most keys are plain strings: taken as they are; any other goes through the exact rule.
        let key = key.serialize(PlainKey).ok().or_else(|| key_text(key));
        if key.is_none() {
            self.ctx.refused.set(true);
        }
        self.key = Some(key.ok_or(Unsupported)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Out {
        let key = self.key.take();
        if key.is_none() {
            self.ctx.refused.set(true);
        }
        self.member(Cow::Owned(key.ok_or(Unsupported)?), value)
    }
    fn end(self) -> Out {
        self.finish()
    }
}

impl<'a> SerializeStruct for Object<'a> {
    type Ok = ();
    type Error = Unsupported;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Out {
        self.member(Cow::Borrowed(key), value)
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
/// rule takes it; anything else is [`Unsupported`] here and read by [`key_text`].
struct PlainKey;

macro_rules! not_plain {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, _v: $t) -> Result<String, Unsupported> {
            Err(Unsupported)
        }
    )*};
}

impl Serializer for PlainKey {
    type Ok = String;
    type Error = Unsupported;
    type SerializeSeq = Impossible<String, Unsupported>;
    type SerializeTuple = Impossible<String, Unsupported>;
    type SerializeTupleStruct = Impossible<String, Unsupported>;
    type SerializeTupleVariant = Impossible<String, Unsupported>;
    type SerializeMap = Impossible<String, Unsupported>;
    type SerializeStruct = Impossible<String, Unsupported>;
    type SerializeStructVariant = Impossible<String, Unsupported>;

    not_plain!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char,
        serialize_bytes: &[u8], serialize_unit_struct: &'static str);

    fn serialize_str(self, v: &str) -> Result<String, Unsupported> {
        Ok(v.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Unsupported> {
        value.serialize(self)
    }
    fn serialize_none(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _v: &T) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<String, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, Unsupported> {
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
