//! Protobuf wire format, read in place (FORMATS.md §8.1): tags, varints, fixed-width scalars and
//! length-delimited records as borrowed slices. Every read is bounds-checked against the input,
//! a claimed length is only ever compared with what is there (never used to allocate), and a
//! problem says at which byte of the whole input it was met.

/// A field's payload, by wire type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    Varint(u64),
    I64(u64),
    I32(u32),
    /// The record's bytes and their offset in the whole input.
    Len(&'a [u8], usize),
}

impl Payload<'_> {
    /// The wire type's name, for "expected …, found …" messages.
    pub fn wire_name(&self) -> &'static str {
        match self {
            Self::Varint(_) => "a varint",
            Self::I64(_) => "a 64-bit fixed value",
            Self::I32(_) => "a 32-bit fixed value",
            Self::Len(..) => "a length-delimited record",
        }
    }
}

/// Why the bytes are not a protobuf message, and at which byte of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    pub at: usize,
    pub kind: WireErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireErrorKind {
    /// A length-delimited field claims more bytes than its message has left: the input was cut
    /// (the partial record is `Truncated::partial`), or its length is corrupt.
    Truncated { field: u32, claimed: u64, left: usize },
    /// The input ends inside a tag, a varint or a fixed-width value.
    Cut(&'static str),
    /// A varint longer than 10 bytes.
    LongVarint,
    /// A known field with another wire type than its schema's.
    WrongType { expected: &'static str, found: &'static str },
    /// Field number 0, or a wire type OTLP never uses (3 and 4 are groups; 6 and 7 do not exist).
    BadTag { tag: u64 },
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            WireErrorKind::Truncated { field, claimed, left } => write!(
                f,
                "field {field} claims {claimed} bytes but only {left} are left (truncated or corrupt)"
            ),
            WireErrorKind::Cut(what) => write!(f, "the input ends inside {what} (truncated)"),
            WireErrorKind::WrongType { expected, found } => write!(f, "expected {expected}, found {found}"),
            WireErrorKind::LongVarint => f.write_str("expected a varint of at most 10 bytes"),
            WireErrorKind::BadTag { tag } => write!(
                f,
                "expected a field tag, found {tag:#x} (field {}, wire type {}): not a protobuf message, \
                 or corrupt",
                tag >> 3,
                tag & 7
            ),
        }
    }
}

/// Reads the fields of one message, `buf`, which starts at `base` in the whole input.
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

/// The bytes a truncated length-delimited field did have, so a reader can keep what is whole.
#[derive(Clone, Copy, Debug)]
pub struct Truncated<'a> {
    pub field: u32,
    pub partial: &'a [u8],
    pub at: usize,
}

impl<'a> Fields<'a> {
    pub fn new(buf: &'a [u8], base: usize) -> Self {
        Self { buf, pos: 0, base }
    }

    /// Offset in the whole input of the next field's tag.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The next field: its number and payload; `None` at the end of the message. On a
    /// length-delimited field that overruns the message, the error comes with what it had.
    ///
    /// Always inlined: returned through memory, the large result made every field a
    /// store-forwarding stall in the caller (a third of the time of `key_value`, by perf).
    #[expect(clippy::type_complexity, reason = "the pair is only ever destructured by the caller")]
    #[inline(always)]
    pub fn next_field(&mut self) -> Result<Option<(u32, Payload<'a>)>, (WireError, Option<Truncated<'a>>)> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let tag_at = self.offset();
        let tag = self.varint("a field tag").map_err(|e| (e, None))?;
        let field = tag >> 3;
        if field == 0 || field > u64::from(u32::MAX >> 3) {
            return Err((WireError { at: tag_at, kind: WireErrorKind::BadTag { tag } }, None));
        }
        let field = field as u32;
        let payload = match tag & 7 {
            0 => Payload::Varint(self.varint("a varint").map_err(|e| (e, None))?),
            1 => Payload::I64(u64::from_le_bytes(self.fixed::<8>().map_err(|e| (e, None))?)),
            5 => Payload::I32(u32::from_le_bytes(self.fixed::<4>().map_err(|e| (e, None))?)),
            2 => {
                let claimed = self.varint("a length").map_err(|e| (e, None))?;
                let start = self.pos;
                let left = self.buf.len() - start;
                match usize::try_from(claimed).ok().filter(|&n| n <= left) {
                    Some(n) => {
                        self.pos = start + n;
                        Payload::Len(&self.buf[start..start + n], self.base + start)
                    }
                    None => {
                        self.pos = self.buf.len();
                        let error =
                            WireError { at: tag_at, kind: WireErrorKind::Truncated { field, claimed, left } };
                        let partial = Truncated { field, partial: &self.buf[start..], at: self.base + start };
                        return Err((error, Some(partial)));
                    }
                }
            }
            _ => return Err((WireError { at: tag_at, kind: WireErrorKind::BadTag { tag } }, None)),
        };
        Ok(Some((field, payload)))
    }

    /// Tags, lengths under 128 and small numbers take one byte: read those without the loop.
    #[inline(always)]
    fn varint(&mut self, what: &'static str) -> Result<u64, WireError> {
        match self.buf.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(u64::from(b))
            }
            _ => self.long_varint(what),
        }
    }

    fn long_varint(&mut self, what: &'static str) -> Result<u64, WireError> {
        let at = self.offset();
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(WireError { at, kind: WireErrorKind::Cut(what) });
            };
            self.pos += 1;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(WireError { at, kind: WireErrorKind::LongVarint })
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let at = self.offset();
        let bytes = self
            .buf
            .get(self.pos..self.pos + N)
            .and_then(|b| <[u8; N]>::try_from(b).ok())
            .ok_or(WireError { at, kind: WireErrorKind::Cut("a fixed-width value") })?;
        self.pos += N;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(buf: &[u8]) -> Vec<Result<(u32, Payload<'_>), WireError>> {
        let mut f = Fields::new(buf, 100);
        let mut out = Vec::new();
        loop {
            match f.next_field() {
                Ok(Some(x)) => out.push(Ok(x)),
                Ok(None) => return out,
                Err((e, _)) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }

    #[test]
    fn reads_every_wire_type_with_offsets() {
        let buf = [0x08, 0x96, 0x01, 0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0x1d, 2, 0, 0, 0, 0x22, 2, b'h', b'i'];
        assert_eq!(
            fields(&buf),
            [
                Ok((1, Payload::Varint(150))),
                Ok((2, Payload::I64(1))),
                Ok((3, Payload::I32(2))),
                Ok((4, Payload::Len(b"hi", 119))),
            ]
        );
        // A negative int64 is ten bytes of two's complement.
        let neg = [0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(fields(&neg), [Ok((3, Payload::Varint(u64::MAX)))]);
    }

    #[test]
    fn problems_say_where_and_what() {
        let e = |buf: &[u8]| fields(buf).pop().unwrap().unwrap_err();
        // A length past the end: the claimed and available counts, at the tag.
        let err = e(&[0x08, 1, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]);
        assert_eq!(err.at, 102);
        assert_eq!(
            err.to_string(),
            "field 1 claims 4294967295 bytes but only 2 are left (truncated or corrupt)"
        );
        assert_eq!(e(&[0x0a]).to_string(), "the input ends inside a length (truncated)");
        assert_eq!(e(&[0x09, 1, 2]).to_string(), "the input ends inside a fixed-width value (truncated)");
        assert_eq!(
            e(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).kind,
            WireErrorKind::LongVarint
        );
        assert!(e(&[0x0b]).to_string().starts_with("expected a field tag, found 0xb (field 1, wire type 3)"));
        assert!(matches!(e(&[0x00]).kind, WireErrorKind::BadTag { tag: 0 }));
    }

    #[test]
    fn a_truncated_record_hands_back_what_it_had() {
        let buf = [0x0a, 5, b'a', b'b'];
        let mut f = Fields::new(&buf, 0);
        let (_, partial) = f.next_field().unwrap_err();
        let partial = partial.unwrap();
        assert_eq!((partial.field, partial.partial, partial.at), (1, &b"ab"[..], 2));
        assert!(matches!(f.next_field(), Ok(None)));
    }
}
