//! Attributes: KeyValue lists, AnyValue (arrays and maps into the arenas) and scalars.

use super::*;

pub(super) struct AttrList;

impl<'a> Body<'a> for AttrList {
    type Out = Slice;
    const EXPECTED: &'static str = "an array of {key, value}";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut seq: A,
    ) -> Result<Slice, A::Error> {
        // Nested kvlists need their own buffer while the outer one is being filled.
        let mut buf = cx.attr_pool.pop().unwrap_or_default();
        while let Some(kv) = seq.next_element_seed(Lenient { cx: &mut *cx, field, body: KeyValue })? {
            buf.extend(kv);
        }
        let slice = cx.ds.add_attrs(&buf);
        buf.clear();
        cx.attr_pool.push(buf);
        Ok(slice)
    }
}

pub(super) struct KeyValue;

impl<'a> Body<'a> for KeyValue {
    type Out = Option<Attr>;
    const EXPECTED: &'static str = "a {key, value} object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Attr>, A::Error> {
        let (mut key, mut value) = (None, None);
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "key" => 0u8,
            "value" => 1,
            _ => 2,
        })? {
            match f {
                0 => key = read(&mut map, cx, "key", Text)?,
                1 => value = read(&mut map, cx, "value", AnyValue)?,
                _ => ignore(&mut map)?,
            }
        }
        Ok(Some(Attr { key: key.unwrap_or(cx.syms.empty), value: value.unwrap_or(Value::Empty) }))
    }
}

/// One `AnyValue` object; `{}` (and unknown kinds such as profiles' `stringValueStrindex`) are
/// `Value::Empty`. Arrays and maps are added to the arenas before the value that holds them.
pub(super) struct AnyValue;

/// Nested `arrayValue`/`kvlistValue` levels read before the rest is skipped as a fault. Each level
/// costs serde_json three or four of its 128 recursion levels, and hitting that limit would fail
/// the whole document; past this bound the value is skipped without recursion (`IgnoredAny`), so
/// only its span is lost.
pub(crate) const MAX_VALUE_NESTING: usize = 24;

pub(super) enum AnyField {
    Str,
    Bool,
    Int,
    Double,
    Bytes,
    Array,
    Kvlist,
    Other,
}

impl<'a> Body<'a> for AnyValue {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an AnyValue object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut map: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut value = Value::Empty;
        while let Some(f) = next_key(&mut map, cx, |k| match k {
            "stringValue" | "string_value" => AnyField::Str,
            "boolValue" | "bool_value" => AnyField::Bool,
            "intValue" | "int_value" => AnyField::Int,
            "doubleValue" | "double_value" => AnyField::Double,
            "bytesValue" | "bytes_value" => AnyField::Bytes,
            "arrayValue" | "array_value" => AnyField::Array,
            "kvlistValue" | "kvlist_value" => AnyField::Kvlist,
            _ => AnyField::Other,
        })? {
            let v = match f {
                AnyField::Str => read(&mut map, cx, "stringValue", Text)?.map(Value::Str),
                AnyField::Bool => read(&mut map, cx, "boolValue", Bool)?.map(Value::Bool),
                AnyField::Int => read(&mut map, cx, "intValue", Int64)?.map(Value::Int),
                AnyField::Double => read(&mut map, cx, "doubleValue", Double)?.map(Value::Double),
                // Kept as its base64 text, which is how every format carries bytes.
                AnyField::Bytes => read(&mut map, cx, "bytesValue", Text)?.map(Value::Bytes),
                AnyField::Array | AnyField::Kvlist if cx.value_depth >= MAX_VALUE_NESTING => {
                    if cx.fault.is_none() {
                        cx.fault = Some(format!(
                            "value: arrayValue/kvlistValue nested more than {MAX_VALUE_NESTING} levels deep"
                        ));
                    }
                    ignore(&mut map)?;
                    continue;
                }
                AnyField::Array | AnyField::Kvlist => {
                    // Restored before `?`, so a broken document cannot leave the depth raised.
                    cx.value_depth += 1;
                    let v = if matches!(f, AnyField::Array) {
                        read(&mut map, cx, "arrayValue", ValuesOf(ArrayValues))
                    } else {
                        read(&mut map, cx, "kvlistValue", ValuesOf(KvlistValues))
                    };
                    cx.value_depth -= 1;
                    v?
                }
                AnyField::Other => {
                    ignore(&mut map)?;
                    continue;
                }
            };
            value = v.unwrap_or(Value::Empty);
        }
        Ok(Some(value))
    }
}

/// `arrayValue` and `kvlistValue` are both `{"values": [...]}`; `V` reads the list.
pub(super) struct ValuesOf<V>(V);
#[derive(Clone, Copy)]
pub(super) struct ArrayValues;
#[derive(Clone, Copy)]
pub(super) struct KvlistValues;

/// The value of a list kind when `values` is absent (`{}` is an empty list).
pub(super) trait EmptyList {
    fn empty(self, cx: &mut Ctx<'_>) -> Value;
}

impl EmptyList for ArrayValues {
    fn empty(self, cx: &mut Ctx<'_>) -> Value {
        cx.ds.add_array(&[])
    }
}

impl EmptyList for KvlistValues {
    fn empty(self, cx: &mut Ctx<'_>) -> Value {
        Value::Map(cx.ds.add_attrs(&[]))
    }
}

impl<'a, V: Body<'a, Out = Option<Value>> + EmptyList + Copy> Body<'a> for ValuesOf<V> {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "a {values: [...]} object";

    fn map<A: MapAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        field: &'static str,
        mut map: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut value = None;
        while let Some(is_values) = next_key(&mut map, cx, |k| k == "values")? {
            if is_values {
                value = read(&mut map, cx, field, self.0)?;
            } else {
                ignore(&mut map)?;
            }
        }
        Ok(Some(value.unwrap_or_else(|| self.0.empty(cx))))
    }
}

impl<'a> Body<'a> for ArrayValues {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an array of AnyValue";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        mut seq: A,
    ) -> Result<Option<Value>, A::Error> {
        let mut buf = cx.value_pool.pop().unwrap_or_default();
        while let Some(v) =
            seq.next_element_seed(Lenient { cx: &mut *cx, field: "arrayValue", body: AnyValue })?
        {
            buf.push(v.unwrap_or(Value::Empty));
        }
        let value = cx.ds.add_array(&buf);
        buf.clear();
        cx.value_pool.push(buf);
        Ok(Some(value))
    }
}

impl<'a> Body<'a> for KvlistValues {
    type Out = Option<Value>;
    const EXPECTED: &'static str = "an array of {key, value}";

    fn seq<A: SeqAccess<'a>>(
        self,
        cx: &mut Ctx<'a>,
        _: &'static str,
        seq: A,
    ) -> Result<Option<Value>, A::Error> {
        AttrList.seq(cx, "kvlistValue", seq).map(|s| Some(Value::Map(s)))
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars

/// A string, interned.
pub(super) struct Text;

impl<'a> Body<'a> for Text {
    type Out = Option<Sym>;
    const EXPECTED: &'static str = "a string";
    fn str(self, cx: &mut Ctx<'a>, _: &'static str, v: &str) -> Option<Sym> {
        Some(cx.ds.intern(v))
    }
    fn borrowed_str(self, cx: &mut Ctx<'a>, _: &'static str, v: &'a str) -> Option<Sym> {
        Some(cx.intern(v))
    }
}

/// A trace (16) or span (8) id of that many bytes.
pub(super) struct Id(pub(super) usize);

impl<'a> Body<'a> for Id {
    type Out = IdOut;
    const EXPECTED: &'static str = "a hex id string";
    fn str(self, _: &mut Ctx<'a>, _: &'static str, v: &str) -> IdOut {
        match decode_id(v, self.0) {
            Ok((value, base64)) => IdOut::Ok(value, base64),
            Err(e) => IdOut::Bad(e),
        }
    }
}

/// An integral float such as `1e3` is accepted where an integer is wanted, as protobuf JSON does.
pub(super) fn integral(v: f64, min: f64, max_exclusive: f64) -> Option<f64> {
    (v.fract() == 0.0 && v >= min && v < max_exclusive).then_some(v)
}

pub(super) const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
pub(super) const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// fixed64 / uint64 (times): a JSON number or a decimal string, never through f64.
pub(super) struct Fixed64;

impl<'a> Body<'a> for Fixed64 {
    type Out = Option<u64>;
    const EXPECTED: &'static str = "an unsigned integer or decimal string";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<u64> {
        Some(v)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<u64> {
        match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => self.wrong(cx, field, Found::Str(v)),
        }
    }
    fn f64(self, cx: &mut Ctx<'a>, field: &'static str, v: f64) -> Option<u64> {
        match integral(v, 0.0, TWO_POW_64) {
            Some(n) => Some(n as u64),
            None => self.wrong(cx, field, Found::F64(v)),
        }
    }
}

/// fixed32 (flags): like `Fixed64` but at most `u32::MAX`.
pub(super) struct Fixed32;

impl<'a> Body<'a> for Fixed32 {
    type Out = u32;
    const EXPECTED: &'static str = "a 32-bit unsigned integer";
    fn u64(self, cx: &mut Ctx<'a>, field: &'static str, v: u64) -> u32 {
        u32::try_from(v).unwrap_or_else(|_| self.wrong(cx, field, Found::U64(v)))
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> u32 {
        v.parse::<u32>().unwrap_or_else(|_| self.wrong(cx, field, Found::Str(v)))
    }
}

/// int64 (`intValue`): a JSON number or a decimal string, never through f64.
pub(super) struct Int64;

impl<'a> Body<'a> for Int64 {
    type Out = Option<i64>;
    const EXPECTED: &'static str = "a 64-bit integer or decimal string";
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<i64> {
        Some(v)
    }
    fn u64(self, cx: &mut Ctx<'a>, field: &'static str, v: u64) -> Option<i64> {
        match i64::try_from(v) {
            Ok(n) => Some(n),
            Err(_) => self.wrong(cx, field, Found::U64(v)),
        }
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<i64> {
        match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => self.wrong(cx, field, Found::Str(v)),
        }
    }
    fn f64(self, cx: &mut Ctx<'a>, field: &'static str, v: f64) -> Option<i64> {
        match integral(v, -TWO_POW_63, TWO_POW_63) {
            Some(n) => Some(n as i64),
            None => self.wrong(cx, field, Found::F64(v)),
        }
    }
}

/// double: a number, or the protobuf JSON strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub(super) struct Double;

impl<'a> Body<'a> for Double {
    type Out = Option<f64>;
    const EXPECTED: &'static str = "a number";
    fn f64(self, _: &mut Ctx<'a>, _: &'static str, v: f64) -> Option<f64> {
        Some(v)
    }
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<f64> {
        Some(v as f64)
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<f64> {
        Some(v as f64)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<f64> {
        match v {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            _ => match v.parse::<f64>() {
                Ok(n) => Some(n),
                Err(_) => self.wrong(cx, field, Found::Str(v)),
            },
        }
    }
}

pub(super) struct Bool;

impl<'a> Body<'a> for Bool {
    type Out = Option<bool>;
    const EXPECTED: &'static str = "true or false";
    fn bool(self, _: &mut Ctx<'a>, _: &'static str, v: bool) -> Option<bool> {
        Some(v)
    }
}

/// `kind`: 0–5, or a name such as `SPAN_KIND_SERVER` (the Collector accepts names).
pub(super) struct Kind;

impl<'a> Body<'a> for Kind {
    type Out = SpanKind;
    const EXPECTED: &'static str = "a span kind (0-5 or SPAN_KIND_*)";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> SpanKind {
        SpanKind::from_otlp(i64::try_from(v).unwrap_or(0))
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> SpanKind {
        SpanKind::from_otlp(v)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> SpanKind {
        SpanKind::from_name(v).unwrap_or_else(|| self.wrong(cx, field, Found::Str(v)))
    }
}

/// `status.code`: 0 UNSET, 1 OK, 2 ERROR, or a `STATUS_CODE_*` name.
pub(super) struct StatusCodeBody;

pub(super) fn status_from_number(n: i128) -> StatusCode {
    match n {
        1 => StatusCode::Ok,
        2 => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

impl<'a> Body<'a> for StatusCodeBody {
    type Out = Option<StatusCode>;
    const EXPECTED: &'static str = "a status code (0-2 or STATUS_CODE_*)";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<StatusCode> {
        Some(status_from_number(i128::from(v)))
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<StatusCode> {
        Some(status_from_number(i128::from(v)))
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<StatusCode> {
        let name = v.strip_prefix("STATUS_CODE_").unwrap_or(v);
        if name.eq_ignore_ascii_case("unset") {
            Some(StatusCode::Unset)
        } else if name.eq_ignore_ascii_case("ok") {
            Some(StatusCode::Ok)
        } else if name.eq_ignore_ascii_case("error") {
            Some(StatusCode::Error)
        } else {
            self.wrong(cx, field, Found::Str(v))
        }
    }
}

/// The old gRPC-style `deprecatedCode`: `Some(true)` when it says anything but OK.
pub(super) struct DeprecatedCode;

impl<'a> Body<'a> for DeprecatedCode {
    type Out = Option<bool>;
    const EXPECTED: &'static str = "a deprecated status code";
    fn u64(self, _: &mut Ctx<'a>, _: &'static str, v: u64) -> Option<bool> {
        Some(v != 0)
    }
    fn i64(self, _: &mut Ctx<'a>, _: &'static str, v: i64) -> Option<bool> {
        Some(v != 0)
    }
    fn str(self, cx: &mut Ctx<'a>, field: &'static str, v: &str) -> Option<bool> {
        match v.strip_prefix("DEPRECATED_STATUS_CODE_") {
            Some(rest) => Some(rest != "OK"),
            None => self.wrong(cx, field, Found::Str(v)),
        }
    }
}
