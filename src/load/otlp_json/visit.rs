//! The lenient visiting framework: every JSON value is read by a `Body`, and a wrong type becomes
//! a fault on its record instead of an error for the document.

use super::*;

/// What a JSON value turned out to be, for "expected X, found Y" messages.
#[derive(Clone, Copy, Debug)]
pub(super) enum Found<'x> {
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(&'x str),
    Array,
    Object,
}

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Bool(b) => write!(f, "{b}"),
            Self::U64(n) => write!(f, "{n}"),
            Self::I64(n) => write!(f, "{n}"),
            Self::F64(n) => write!(f, "{n:?}"),
            Self::Str(s) => {
                let (prefix, more) = crate::text::quoted_prefix(s);
                write!(f, "string {prefix:?}{more}")
            }
            Self::Array => f.write_str("an array"),
            Self::Object => f.write_str("an object"),
        }
    }
}

/// How one kind of JSON value is read. Each method handles one JSON type; the defaults record a
/// fault ("expected X, found Y") and consume the value, so reading never fails on a type.
/// `null` always means "absent" (`Out::default()`), as in protobuf JSON.
pub(super) trait Body<'a>: Sized {
    type Out: Default;
    const EXPECTED: &'static str;

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut map: A,
    ) -> Result<Self::Out, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.wrong(cx, field, Found::Object))
    }
    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut seq: A,
    ) -> Result<Self::Out, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.wrong(cx, field, Found::Array))
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Self::Out {
        self.wrong(cx, field, Found::Str(v))
    }
    /// A string without escapes, borrowed from the input (the common case).
    fn borrowed_str(self, cx: &mut Ctx<'a>, field: &'static str, v: &'a str) -> Self::Out {
        self.str(cx, field, v)
    }
    fn u64(self, cx: &mut Ctx<'a>, field: &'static str, v: u64) -> Self::Out {
        self.wrong(cx, field, Found::U64(v))
    }
    fn i64(self, cx: &mut Ctx<'a>, field: &'static str, v: i64) -> Self::Out {
        self.wrong(cx, field, Found::I64(v))
    }
    fn f64(self, cx: &mut Ctx<'a>, field: &'static str, v: f64) -> Self::Out {
        self.wrong(cx, field, Found::F64(v))
    }
    fn bool(self, cx: &mut Ctx<'a>, field: &'static str, v: bool) -> Self::Out {
        self.wrong(cx, field, Found::Bool(v))
    }
    fn wrong(self, cx: &mut Ctx<'a>, field: &'static str, found: Found<'_>) -> Self::Out {
        cx.fault(field, Self::EXPECTED, found);
        Self::Out::default()
    }
}

/// Adapts a `Body` to serde: a seed that asks for any type and dispatches on what comes.
pub(super) struct Lenient<'c, 'a, B> {
    pub(super) cx: &'c mut Ctx<'a>,
    pub(super) field: &'static str,
    pub(super) body: B,
}

impl<'a, B: Body<'a>> DeserializeSeed<'a> for Lenient<'_, 'a, B> {
    type Value = B::Out;
    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<B::Out, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'a, B: Body<'a>> Visitor<'a> for Lenient<'_, 'a, B> {
    type Value = B::Out;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(B::EXPECTED)
    }
    fn visit_unit<E: de::Error>(self) -> Result<B::Out, E> {
        Ok(B::Out::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<B::Out, E> {
        Ok(B::Out::default())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<B::Out, E> {
        Ok(self.body.bool(self.cx, self.field, v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<B::Out, E> {
        Ok(self.body.i64(self.cx, self.field, v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<B::Out, E> {
        Ok(self.body.u64(self.cx, self.field, v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<B::Out, E> {
        Ok(self.body.f64(self.cx, self.field, v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<B::Out, E> {
        Ok(self.body.str(self.cx, self.field, v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'a str) -> Result<B::Out, E> {
        Ok(self.body.borrowed_str(self.cx, self.field, v))
    }
    fn visit_seq<A: SeqAccess<'a>>(self, seq: A) -> Result<B::Out, A::Error> {
        self.body.seq(self.cx, self.field, seq)
    }
    fn visit_map<A: MapAccess<'a>>(self, map: A) -> Result<B::Out, A::Error> {
        self.body.map(self.cx, self.field, map)
    }
}

/// Reads an object key and classifies it; a key borrowed from the input also records where it is.
pub(super) struct KeySeed<'c, 'a, K> {
    pub(super) cx: &'c mut Ctx<'a>,
    pub(super) classify: fn(&str) -> K,
}

impl<'a, K> DeserializeSeed<'a> for KeySeed<'_, 'a, K> {
    type Value = K;
    fn deserialize<D: de::Deserializer<'a>>(self, d: D) -> Result<K, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'a, K> Visitor<'a> for KeySeed<'_, 'a, K> {
    type Value = K;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'a str) -> Result<K, E> {
        self.cx.last_key = crate::load::offset_of(self.cx.sink.input, v);
        Ok((self.classify)(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<K, E> {
        Ok((self.classify)(v))
    }
}

pub(super) fn next_key<'a, A: MapAccess<'a>, K>(
    map: &mut A,
    cx: &mut Ctx<'a>,
    classify: fn(&str) -> K,
) -> Result<Option<K>, A::Error> {
    map.next_key_seed(KeySeed { cx, classify })
}

pub(super) fn read<'a, A: MapAccess<'a>, B: Body<'a>>(
    map: &mut A,
    cx: &mut Ctx<'a>,
    field: &'static str,
    body: B,
) -> Result<B::Out, A::Error> {
    map.next_value_seed(Lenient { cx, field, body })
}

pub(super) fn ignore<'a, A: MapAccess<'a>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}
