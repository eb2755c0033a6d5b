//! OTLP JSON ids: hex (either case), or base64 as Tempo and pre-2021 files write them.

use super::*;

/// Why an id was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IdError {
    Empty,
    Zero,
    /// Hex digits, but not as many as the id needs (found, wanted).
    Length(usize, usize),
    /// Neither hex nor base64 of the right size.
    NotHex,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty id"),
            Self::Zero => f.write_str("all-zero id (invalid)"),
            Self::Length(found, wanted) => write!(f, "id has {found} hex digits, expected {wanted}"),
            Self::NotHex => f.write_str("id is neither hex nor base64"),
        }
    }
}

/// Decodes an id of `bytes` bytes (16 for traces, 8 for spans). OTLP JSON writes hex (either
/// case); Tempo and pre-2021 files write base64 (FORMATS.md §1.5), told apart by length and
/// charset. Returns the value and whether it was base64.
pub(super) fn decode_id(s: &str, bytes: usize) -> Result<(u128, bool), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let hex_len = bytes * 2;
    let (value, base64) = if s.len() == hex_len
        && let Some(v) = parse_hex(s)
    {
        (v, false)
    } else {
        let all_hex = s.bytes().all(|b| b.is_ascii_hexdigit());
        match decode_base64_id(s, bytes, all_hex) {
            Some(v) => (v, true),
            None if all_hex => return Err(IdError::Length(s.len(), hex_len)),
            None => return Err(IdError::NotHex),
        }
    };
    if value == 0 { Err(IdError::Zero) } else { Ok((value, base64)) }
}

/// Up to 32 hex digits, either case. Hand-rolled (a table and two u64 halves) because ids are
/// the most frequent strings in a file and `from_str_radix` is several times slower.
pub(super) fn parse_hex(s: &str) -> Option<u128> {
    if s.len() > 32 {
        return None;
    }
    let (high, low) = s.as_bytes().split_at(s.len().saturating_sub(16));
    let half = |digits: &[u8]| {
        digits.iter().try_fold(0u64, |acc, &c| match HEX_DIGIT[usize::from(c)] {
            NOT_HEX => None,
            d => Some((acc << 4) | u64::from(d)),
        })
    };
    Some((u128::from(half(high)?) << 64) | u128::from(half(low)?))
}

pub(super) const NOT_HEX: u8 = 0xFF;

/// Value of each byte as a hex digit, or `NOT_HEX`.
pub(super) const HEX_DIGIT: [u8; 256] = {
    let mut t = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Base64 of exactly `bytes` bytes: padded (`==` for 16, `=` for 8), or unpadded when it is not
/// plain hex (an all-hex string of the unpadded length is far likelier a short hex id).
pub(super) fn decode_base64_id(s: &str, bytes: usize, all_hex: bool) -> Option<u128> {
    let padded_len = bytes.div_ceil(3) * 4;
    let unpadded_len = (bytes * 4).div_ceil(3);
    let ok_shape = (s.len() == padded_len && s.ends_with('=')) || (s.len() == unpadded_len && !all_hex);
    if !ok_shape {
        return None;
    }
    let mut buf = [0u8; 24];
    let n = base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT.decode_slice(s, &mut buf).ok()?;
    if n != bytes {
        return None;
    }
    Some(buf.get(..n)?.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b)))
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum IdOut {
    #[default]
    Missing,
    Ok(u128, bool),
    Bad(IdError),
}
