//! Selected traces of an `Index` → one OTLP protobuf `TracesData`, wire-identical to the
//! `ExportTraceServiceRequest` a Collector's OTLP/HTTP receiver takes as a body (`Content-Type:
//! application/x-protobuf`). What OTLP has no field for is carried as the OTLP JSON writer
//! carries it, through the mapping shared with it (`group`, `resource_attrs`, `added_ref_type`,
//! the kind and status numbers).
//!
//! The message is streamed: each `ResourceSpans` is encoded on its own and written as one
//! `resource_spans` record (a `TracesData` is nothing but those records), so memory holds one
//! resource's spans at a time, not the whole output.

use super::otlp_json::{
    MAX_VALUE_DEPTH, ResourceGroup, added_ref_type, group, kind_number, resource_attrs, status_number,
    trace_spans,
};
use crate::index::{Index, TraceIdx};
use crate::model::{Dataset, Link, REF_TYPE_KEY, ScopeIdx, Span, StatusCode, Value};
use base64::Engine as _;
use std::io::{self, Write};

/// Writes `traces` (in that order of first appearance) as one OTLP protobuf `TracesData`.
pub fn write(mut w: impl Write, index: &Index, traces: &[TraceIdx]) -> io::Result<()> {
    let mut buf = Vec::new();
    for g in group(&index.data, trace_spans(index, traces)) {
        buf.clear();
        message(&mut buf, 1, |b| resource_spans(b, index, &g));
        w.write_all(&buf)?;
    }
    Ok(())
}

const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn tag(out: &mut Vec<u8>, field: u32, wire: u8) {
    put_varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    tag(out, field, LEN);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn varint(out: &mut Vec<u8>, field: u32, v: u64) {
    tag(out, field, VARINT);
    put_varint(out, v);
}

fn fixed64(out: &mut Vec<u8>, field: u32, v: u64) {
    tag(out, field, I64);
    out.extend_from_slice(&v.to_le_bytes());
}

fn fixed32(out: &mut Vec<u8>, field: u32, v: u32) {
    tag(out, field, I32);
    out.extend_from_slice(&v.to_le_bytes());
}

/// Room left for a nested message's length: 5 varint bytes hold any length below 32 GiB.
const LEN_ROOM: usize = 5;

/// A nested message: `body` writes it after its tag, then its length goes in front of it (the
/// body is moved down over the room it did not need).
fn message(out: &mut Vec<u8>, field: u32, body: impl FnOnce(&mut Vec<u8>)) {
    tag(out, field, LEN);
    let at = out.len();
    out.resize(at + LEN_ROOM, 0);
    body(out);
    let len = out.len() - at - LEN_ROOM;
    let mut prefix = Vec::with_capacity(LEN_ROOM);
    put_varint(&mut prefix, len as u64);
    out.copy_within(at + LEN_ROOM.., at + prefix.len());
    out[at..at + prefix.len()].copy_from_slice(&prefix);
    out.truncate(at + prefix.len() + len);
}

fn resource_spans(out: &mut Vec<u8>, index: &Index, g: &ResourceGroup) {
    let ds = &index.data;
    message(out, 1, |b| {
        for (key, value) in resource_attrs(ds, ds.resource(g.resource).attrs, g.service) {
            message(b, 1, |b| key_value(b, ds, key, value, 0));
        }
    });
    for (scope, spans) in &g.scopes {
        message(out, 2, |b| {
            if *scope != ScopeIdx::default() {
                let sc = ds.scope(*scope);
                message(b, 1, |b| {
                    if let Some(name) = sc.name {
                        bytes(b, 1, ds.str(name).as_bytes());
                    }
                    if let Some(version) = sc.version {
                        bytes(b, 2, ds.str(version).as_bytes());
                    }
                    attrs(b, 3, ds, sc.attrs);
                });
            }
            for &s in spans {
                message(b, 2, |b| span(b, ds, index.span(s)));
            }
        });
    }
}

fn attrs(out: &mut Vec<u8>, field: u32, ds: &Dataset, slice: crate::model::Slice) {
    for a in ds.attrs_of(slice) {
        message(out, field, |b| key_value(b, ds, ds.str(a.key), a.value, 0));
    }
}

fn span(out: &mut Vec<u8>, ds: &Dataset, s: &Span) {
    bytes(out, 1, &s.trace_id.0.to_be_bytes());
    bytes(out, 2, &s.span_id.0.to_be_bytes());
    if let Some(ts) = s.trace_state {
        bytes(out, 3, ds.str(ts).as_bytes());
    }
    if !s.parent_id.is_zero() {
        bytes(out, 4, &s.parent_id.0.to_be_bytes());
    }
    bytes(out, 5, ds.str(s.name).as_bytes());
    if kind_number(s.kind) != 0 {
        varint(out, 6, u64::from(kind_number(s.kind)));
    }
    fixed64(out, 7, s.start);
    fixed64(out, 8, s.end);
    attrs(out, 9, ds, s.attrs);
    for e in ds.events_of(s.events) {
        message(out, 11, |b| {
            fixed64(b, 1, e.time);
            bytes(b, 2, ds.str(e.name).as_bytes());
            attrs(b, 3, ds, e.attrs);
        });
    }
    for l in ds.links_of(s.links) {
        message(out, 13, |b| link(b, ds, l));
    }
    if s.status != StatusCode::Unset || s.status_message.is_some() {
        message(out, 15, |b| {
            if let Some(m) = s.status_message {
                bytes(b, 2, ds.str(m).as_bytes());
            }
            if s.status != StatusCode::Unset {
                varint(b, 3, u64::from(status_number(s.status)));
            }
        });
    }
    if s.w3c_flags != 0 {
        fixed32(out, 16, s.w3c_flags);
    }
}

fn link(out: &mut Vec<u8>, ds: &Dataset, l: &Link) {
    bytes(out, 1, &l.trace_id.0.to_be_bytes());
    bytes(out, 2, &l.span_id.0.to_be_bytes());
    if let Some(ts) = l.trace_state {
        bytes(out, 3, ds.str(ts).as_bytes());
    }
    attrs(out, 4, ds, l.attrs);
    if let Some(ref_type) = added_ref_type(ds, l) {
        message(out, 4, |b| {
            bytes(b, 1, REF_TYPE_KEY.as_bytes());
            message(b, 2, |b| bytes(b, 1, ref_type.as_bytes()));
        });
    }
    if l.flags != 0 {
        fixed32(out, 6, l.flags);
    }
}

fn key_value(out: &mut Vec<u8>, ds: &Dataset, key: &str, value: Value, depth: u32) {
    bytes(out, 1, key.as_bytes());
    message(out, 2, |b| any_value(b, ds, value, depth));
}

/// One `AnyValue`: empty, or exactly one field of its oneof.
fn any_value(out: &mut Vec<u8>, ds: &Dataset, value: Value, depth: u32) {
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    match value {
        Value::Empty => {}
        Value::Str(s) => bytes(out, 1, ds.str(s).as_bytes()),
        Value::Bool(v) => varint(out, 2, u64::from(v)),
        // int64 is a plain (not zigzag) varint: a negative one takes ten bytes.
        Value::Int(i) => varint(out, 3, i as u64),
        Value::Double(d) => fixed64(out, 4, d.to_bits()),
        Value::Array(slice) => message(out, 5, |b| {
            for v in ds.values_of(slice) {
                message(b, 1, |b| any_value(b, ds, v, depth + 1));
            }
        }),
        Value::Map(slice) => message(out, 6, |b| {
            for a in ds.attrs_of(slice) {
                message(b, 1, |b| key_value(b, ds, ds.str(a.key), a.value, depth + 1));
            }
        }),
        // Kept as base64 text (how OTLP JSON and the other formats carry bytes); text that is not
        // base64 is written as its own bytes.
        Value::Bytes(s) => {
            let text = ds.str(s);
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(raw) => bytes(out, 7, &raw),
                Err(_) => bytes(out, 7, text.as_bytes()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_length_takes_only_the_bytes_it_needs() {
        for len in [0usize, 1, 127, 128, 16_383, 16_384, 300_000] {
            let mut out = vec![0xaa];
            message(&mut out, 1, |b| b.extend(std::iter::repeat_n(7u8, len)));
            let mut want = vec![0xaa, 0x0a];
            put_varint(&mut want, len as u64);
            want.extend(std::iter::repeat_n(7u8, len));
            assert_eq!(out, want, "{len}");
        }
    }
}
