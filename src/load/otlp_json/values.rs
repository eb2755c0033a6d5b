//! Scalar values as OTLP JSON writes them: strings, ids, 64-bit integers as numbers or strings,
//! doubles with their special names, and enum names or numbers.

use super::*;

/// A string, interned.
pub(super) struct Text;

impl<'a> Body<'a> for Text {
    type Out = Option<Sym>;
    const EXPECTED: &'static str = "a string";
    fn str(self, cx: &mut Ctx<'a>, _: &'static str, v: &str) -> Option<Sym> {
        Some(cx.sink.ds.intern(v))
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

pub(crate) fn status_from_number(n: i128) -> StatusCode {
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
        StatusCode::from_name(v).or_else(|| self.wrong(cx, field, Found::Str(v)))
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
