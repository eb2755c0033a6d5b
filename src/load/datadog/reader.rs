//! A small borrowing cursor over msgpack input (`Reader`): classifies markers with `rmp::Marker`,
//! tracks the byte offset itself so every problem names its byte, and skips values by their
//! encoded length. No length the input claims drives an allocation.

use rmp::Marker;
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ErrorKind {
    /// The input ended inside a value.
    Eof,
    /// A str/bin/ext length prefix claims more bytes than the input has left.
    TooLong { what: &'static str, claimed: u64, left: u64 },
    /// A value of another type than the format allows here.
    Type { expected: &'static str, found: &'static str },
    /// Well-formed msgpack that breaks a format rule (v0.5 index out of range, …).
    Invalid(String),
}

/// A msgpack problem at a byte offset of the input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Error {
    pub at: usize,
    pub kind: ErrorKind,
}

impl Error {
    /// Reading cannot go on past this error: the input ended, or a length cannot be trusted.
    pub fn is_fatal(&self) -> bool {
        matches!(self.kind, ErrorKind::Eof | ErrorKind::TooLong { .. })
    }
    pub fn invalid(at: usize, msg: impl Into<String>) -> Self {
        Self { at, kind: ErrorKind::Invalid(msg.into()) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Eof => f.write_str("input ends inside a value (truncated file?)"),
            ErrorKind::TooLong { what, claimed, left } => write!(
                f,
                "{what} length prefix claims {claimed} bytes but only {left} are left (truncated or corrupt file)"
            ),
            ErrorKind::Type { expected, found } => write!(f, "expected {expected}, found {found}"),
            ErrorKind::Invalid(msg) => f.write_str(msg),
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, Error>;

/// Any msgpack number (or nil), as decoded; callers decide what they accept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Nil,
    U(u64),
    I(i64),
    F(f64),
}

/// A scalar value read by `Reader::scalar`; containers and extensions are left unread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scalar<'a> {
    Num(Number),
    Bool(bool),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    /// An array, map or extension (not consumed); the name says which.
    Other(&'static str),
}

/// What a marker is, for error messages.
pub(crate) fn marker_name(m: Marker) -> &'static str {
    match m {
        Marker::FixPos(_) | Marker::FixNeg(_) => "an integer",
        Marker::U8 | Marker::U16 | Marker::U32 | Marker::U64 => "an integer",
        Marker::I8 | Marker::I16 | Marker::I32 | Marker::I64 => "an integer",
        Marker::F32 | Marker::F64 => "a float",
        Marker::Null => "nil",
        Marker::True | Marker::False => "a bool",
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => "a string",
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => "binary data",
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => "an array",
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => "a map",
        Marker::FixExt1
        | Marker::FixExt2
        | Marker::FixExt4
        | Marker::FixExt8
        | Marker::FixExt16
        | Marker::Ext8
        | Marker::Ext16
        | Marker::Ext32 => "an extension value",
        Marker::Reserved => "the reserved byte 0xc1 (not msgpack)",
    }
}

/// A cursor over msgpack bytes that borrows strings from them.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Moves back to an offset seen earlier (to skip a bad value from its start).
    pub fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }
    pub fn left(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// An element count the input claims, capped by the bytes left (each element takes at least
    /// one byte), for `Vec::with_capacity`.
    pub fn capacity_for(&self, claimed: u32) -> usize {
        (claimed as usize).min(self.left())
    }

    #[inline]
    fn eof(&self) -> Error {
        Error { at: self.buf.len(), kind: ErrorKind::Eof }
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| self.eof())?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    #[inline]
    fn u8(&mut self) -> Result<u8> {
        let b = *self.buf.get(self.pos).ok_or_else(|| self.eof())?;
        self.pos += 1;
        Ok(b)
    }
    #[inline]
    fn u16(&mut self) -> Result<u16> {
        self.array().map(u16::from_be_bytes)
    }
    #[inline]
    fn u32(&mut self) -> Result<u32> {
        self.array().map(u32::from_be_bytes)
    }
    #[inline]
    fn u64(&mut self) -> Result<u64> {
        self.array().map(u64::from_be_bytes)
    }

    /// Takes a length-prefixed payload whose prefix starts at `at`; a length beyond the input is
    /// reported as such (not as a plain end of input), since it usually means corruption.
    #[inline]
    fn take_len(&mut self, at: usize, what: &'static str, n: u64) -> Result<&'a [u8]> {
        let left = self.left() as u64;
        if n > left {
            return Err(Error { at, kind: ErrorKind::TooLong { what, claimed: n, left } });
        }
        // `n <= left`, and `left` came from a usize.
        self.take(n as usize)
    }

    #[inline]
    pub fn peek(&self) -> Result<Marker> {
        self.buf.get(self.pos).map(|&b| Marker::from_u8(b)).ok_or_else(|| self.eof())
    }

    #[inline]
    fn marker(&mut self) -> Result<Marker> {
        self.u8().map(Marker::from_u8)
    }

    #[inline]
    fn wrong(&mut self, at: usize, expected: &'static str, m: Marker) -> Error {
        // Leave the cursor on the value so the caller can skip it whole.
        self.pos = at;
        Error { at, kind: ErrorKind::Type { expected, found: marker_name(m) } }
    }

    /// Reads an array header; the count is as claimed (see `capacity_for`).
    #[inline]
    pub fn array_len(&mut self) -> Result<u32> {
        let at = self.pos;
        match self.marker()? {
            Marker::FixArray(n) => Ok(u32::from(n)),
            Marker::Array16 => self.u16().map(u32::from),
            Marker::Array32 => self.u32(),
            m => Err(self.wrong(at, "an array", m)),
        }
    }

    /// Reads an array header, or nil as an empty array.
    #[inline]
    pub fn array_len_or_nil(&mut self) -> Result<u32> {
        if self.nil()? { Ok(0) } else { self.array_len() }
    }

    /// Reads a map header; the count is as claimed.
    #[inline]
    pub fn map_len(&mut self) -> Result<u32> {
        let at = self.pos;
        match self.marker()? {
            Marker::FixMap(n) => Ok(u32::from(n)),
            Marker::Map16 => self.u16().map(u32::from),
            Marker::Map32 => self.u32(),
            m => Err(self.wrong(at, "a map", m)),
        }
    }

    /// Reads a map header, or nil as an empty map (tracers may send nil for empty meta).
    #[inline]
    pub fn map_len_or_nil(&mut self) -> Result<u32> {
        if self.nil()? { Ok(0) } else { self.map_len() }
    }

    /// Steps over a nil if one comes next; says whether it did.
    #[inline]
    fn nil(&mut self) -> Result<bool> {
        let nil = self.peek()? == Marker::Null;
        self.pos += usize::from(nil);
        Ok(nil)
    }

    /// Reads a str or bin (some tracers send keys as bin) as raw bytes; nil reads as empty.
    #[inline]
    pub fn str_bytes(&mut self) -> Result<&'a [u8]> {
        let at = self.pos;
        let m = self.marker()?;
        match m {
            Marker::FixStr(n) => self.take(usize::from(n)),
            Marker::Str8 | Marker::Bin8 => {
                let n = self.u8()?;
                self.take_len(at, "string", u64::from(n))
            }
            Marker::Str16 | Marker::Bin16 => {
                let n = self.u16()?;
                self.take_len(at, "string", u64::from(n))
            }
            Marker::Str32 | Marker::Bin32 => {
                let n = self.u32()?;
                self.take_len(at, if m == Marker::Bin32 { "bin" } else { "string" }, u64::from(n))
            }
            Marker::Null => Ok(&[]),
            m => Err(self.wrong(at, "a string", m)),
        }
    }

    /// Reads any number, or nil.
    #[inline]
    pub fn number(&mut self) -> Result<Number> {
        let at = self.pos;
        Ok(match self.marker()? {
            Marker::FixPos(n) => Number::U(u64::from(n)),
            Marker::FixNeg(n) => Number::I(i64::from(n)),
            Marker::U8 => Number::U(u64::from(self.u8()?)),
            Marker::U16 => Number::U(u64::from(self.u16()?)),
            Marker::U32 => Number::U(u64::from(self.u32()?)),
            Marker::U64 => Number::U(self.u64()?),
            Marker::I8 => Number::I(i64::from(i8::from_be_bytes(self.array()?))),
            Marker::I16 => Number::I(i64::from(i16::from_be_bytes(self.array()?))),
            Marker::I32 => Number::I(i64::from(i32::from_be_bytes(self.array()?))),
            Marker::I64 => Number::I(i64::from_be_bytes(self.array()?)),
            Marker::F32 => Number::F(f64::from(f32::from_be_bytes(self.array()?))),
            Marker::F64 => Number::F(f64::from_be_bytes(self.array()?)),
            Marker::Null => Number::Nil,
            m => return Err(self.wrong(at, "a number", m)),
        })
    }

    /// Reads a scalar of any type; leaves arrays, maps and extensions unread (`Scalar::Other`).
    pub fn scalar(&mut self) -> Result<Scalar<'a>> {
        let m = self.peek()?;
        Ok(match m {
            Marker::True | Marker::False => {
                self.pos += 1;
                Scalar::Bool(m == Marker::True)
            }
            Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
                Scalar::Str(self.str_bytes()?)
            }
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => Scalar::Bin(self.str_bytes()?),
            Marker::FixArray(_)
            | Marker::Array16
            | Marker::Array32
            | Marker::FixMap(_)
            | Marker::Map16
            | Marker::Map32
            | Marker::FixExt1
            | Marker::FixExt2
            | Marker::FixExt4
            | Marker::FixExt8
            | Marker::FixExt16
            | Marker::Ext8
            | Marker::Ext16
            | Marker::Ext32
            | Marker::Reserved => Scalar::Other(marker_name(m)),
            _ => Scalar::Num(self.number()?),
        })
    }

    /// Skips one complete value of any type by its encoded length, without recursion (a deeply
    /// nested input cannot overflow the stack) and without allocating.
    pub fn skip(&mut self) -> Result<()> {
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            let at = self.pos;
            let m = self.marker()?;
            let fixed = match m {
                Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => 0,
                Marker::U8 | Marker::I8 => 1,
                Marker::U16 | Marker::I16 => 2,
                Marker::U32 | Marker::I32 | Marker::F32 => 4,
                Marker::U64 | Marker::I64 | Marker::F64 => 8,
                Marker::FixExt1 => 2,
                Marker::FixExt2 => 3,
                Marker::FixExt4 => 5,
                Marker::FixExt8 => 9,
                Marker::FixExt16 => 17,
                Marker::FixStr(n) => usize::from(n),
                Marker::Str8 | Marker::Bin8 => {
                    let n = self.u8()?;
                    self.take_len(at, "string", u64::from(n))?;
                    0
                }
                Marker::Str16 | Marker::Bin16 => {
                    let n = self.u16()?;
                    self.take_len(at, "string", u64::from(n))?;
                    0
                }
                Marker::Str32 | Marker::Bin32 => {
                    let n = self.u32()?;
                    self.take_len(at, if m == Marker::Bin32 { "bin" } else { "string" }, u64::from(n))?;
                    0
                }
                Marker::Ext8 => {
                    let n = self.u8()?;
                    self.take_len(at, "ext", u64::from(n) + 1)?;
                    0
                }
                Marker::Ext16 => {
                    let n = self.u16()?;
                    self.take_len(at, "ext", u64::from(n) + 1)?;
                    0
                }
                Marker::Ext32 => {
                    let n = self.u32()?;
                    self.take_len(at, "ext", u64::from(n) + 1)?;
                    0
                }
                Marker::FixArray(n) => {
                    pending = pending.saturating_add(u64::from(n));
                    0
                }
                Marker::Array16 => {
                    pending = pending.saturating_add(u64::from(self.u16()?));
                    0
                }
                Marker::Array32 => {
                    pending = pending.saturating_add(u64::from(self.u32()?));
                    0
                }
                Marker::FixMap(n) => {
                    pending = pending.saturating_add(2 * u64::from(n));
                    0
                }
                Marker::Map16 => {
                    pending = pending.saturating_add(2 * u64::from(self.u16()?));
                    0
                }
                Marker::Map32 => {
                    pending = pending.saturating_add(2 * u64::from(self.u32()?));
                    0
                }
                Marker::Reserved => return Err(self.wrong(at, "a msgpack value", m)),
            };
            self.take(fixed)?;
        }
        Ok(())
    }
}

/// Bytes as text: borrowed when valid UTF-8, repaired (U+FFFD) otherwise, as the agent does.
#[inline]
pub(crate) fn text(bytes: &[u8]) -> Cow<'_, str> {
    // simdutf8: most strings are valid, and its check is several times faster than std's.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_walks_nested_values_and_reports_lengths_beyond_the_input() {
        // [ {"a": [1, -1, 1.5]}, "x", bin8(2) ]
        let bytes = [
            0x93, 0x81, 0xa1, b'a', 0x93, 0x01, 0xff, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xa1, b'x', 0xc4,
            2, 9, 9,
        ];
        let mut r = Reader::new(&bytes);
        r.skip().unwrap();
        assert!(r.at_end());
        let mut r = Reader::new(&[0xdb, 0xff, 0xff, 0xff, 0xff, b'a']);
        let e = r.skip().unwrap_err();
        assert_eq!(e.kind, ErrorKind::TooLong { what: "string", claimed: 0xffff_ffff, left: 1 });
        assert_eq!(e.at, 0);
        assert!(e.is_fatal());
    }

    #[test]
    fn wrong_type_leaves_the_cursor_on_the_value() {
        let bytes = [0xa1, b'x'];
        let mut r = Reader::new(&bytes);
        let e = r.array_len().unwrap_err();
        assert_eq!(e.to_string(), "expected an array, found a string");
        assert_eq!(r.pos(), 0);
        assert!(!e.is_fatal());
    }
}
