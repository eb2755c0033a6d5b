//! OTLP JSON ids: hex (either case), or base64 as Tempo and pre-2021 files write them.

use super::*;

/// Decodes an id of `bytes` bytes (16 for traces, 8 for spans). OTLP JSON writes hex (either
/// case); Tempo and pre-2021 files write base64 (FORMATS.md §1.5), told apart by length and
/// charset. Returns the value and whether it was base64.
pub(super) fn decode_id(s: &str, bytes: usize) -> Result<(u128, bool), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let hex_len = bytes * 2;
    let (value, base64) = if s.len() == hex_len
        && let Some(v) = crate::model::parse_hex(s)
    {
        (v, false)
    } else {
        let all_hex = s.bytes().all(|b| b.is_ascii_hexdigit());
        match decode_base64_id(s, bytes, all_hex) {
            Some(v) => (v, true),
            None if all_hex => return Err(IdError::Length(s.len(), hex_len)),
            None => return Err(IdError::NotHexOrBase64),
        }
    };
    if value == 0 { Err(IdError::Zero) } else { Ok((value, base64)) }
}

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
