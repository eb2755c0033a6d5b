//! Everything weft knows about the spans of a dataset, as text that two datasets (with
//! different interners and arenas) share exactly when their contents are the same; for tests
//! that compare two loads of the same spans (an export read back, one format against another).

use std::collections::BTreeMap;
use weft::model::{Attr, Dataset, REF_TYPE_KEY, Span, Sym, Value};

/// A value written so that two datasets (with different interners and arenas) compare equal
/// exactly when their contents do; maps are sorted by key.
fn canon_value(ds: &Dataset, v: Value, out: &mut String) {
    match v {
        Value::Empty => out.push_str("empty"),
        Value::Str(s) => out.push_str(&format!("s{:?}", ds.str(s))),
        Value::Bytes(s) => out.push_str(&format!("b{:?}", ds.str(s))),
        Value::Bool(b) => out.push_str(&format!("{b}")),
        Value::Int(i) => out.push_str(&format!("i{i}")),
        Value::Double(d) if d.is_nan() => out.push_str("dNaN"),
        Value::Double(d) => out.push_str(&format!("d{d:?}")),
        Value::Array(sl) => {
            out.push('[');
            for x in ds.values_of(sl) {
                canon_value(ds, x, out);
                out.push(',');
            }
            out.push(']');
        }
        Value::Map(sl) => out.push_str(&canon_attrs(ds, ds.attrs_of(sl), None)),
    }
}

fn canon_attrs(ds: &Dataset, attrs: impl Iterator<Item = Attr>, skip_key: Option<&str>) -> String {
    let mut items: Vec<String> = attrs
        .filter(|a| Some(ds.str(a.key)) != skip_key)
        .map(|a| {
            let mut s = format!("{:?}=", ds.str(a.key));
            canon_value(ds, a.value, &mut s);
            s
        })
        .collect();
    items.sort();
    format!("{{{}}}", items.join(";"))
}

fn opt(ds: &Dataset, s: Option<Sym>) -> String {
    // OTLP has no "present but empty": an empty trace state or status message is absent.
    s.map(|s| ds.str(s).to_owned()).unwrap_or_default()
}

/// Everything weft knows about a span, as text. With `exported`, a Jaeger reference's kind is
/// expected back as the `opentracing.ref_type` attribute the writer adds.
pub fn canon_span(ds: &Dataset, s: &Span, as_exported: bool) -> String {
    let mut events: Vec<String> = ds
        .events_of(s.events)
        .iter()
        .map(|e| format!("{}@{}{}", ds.str(e.name), e.time, canon_attrs(ds, ds.attrs_of(e.attrs), None)))
        .collect();
    events.sort();
    let mut links: Vec<String> = ds
        .links_of(s.links)
        .iter()
        .map(|l| {
            let mut attrs = canon_attrs(ds, ds.attrs_of(l.attrs), None);
            let has_ref = ds.attrs_of(l.attrs).any(|a| ds.str(a.key) == REF_TYPE_KEY);
            if as_exported
                && !has_ref
                && let Some(rt) = l.kind.ref_type()
            {
                // The attribute the writer adds, sorted in with the others.
                let mut items: Vec<String> = ds
                    .attrs_of(l.attrs)
                    .map(|a| {
                        let mut s = format!("{:?}=", ds.str(a.key));
                        canon_value(ds, a.value, &mut s);
                        s
                    })
                    .collect();
                items.push(format!("{REF_TYPE_KEY:?}=s{rt:?}"));
                items.sort();
                attrs = format!("{{{}}}", items.join(";"));
            }
            // The kind round-trips too: Jaeger reference kinds through `opentracing.ref_type`.
            format!(
                "{}/{} ts={} fl={} kind={} {attrs}",
                l.trace_id,
                l.span_id,
                opt(ds, l.trace_state),
                l.flags,
                l.kind.name()
            )
        })
        .collect();
    links.sort();
    let resource = canon_attrs(ds, ds.attrs_of(ds.resource(s.resource).attrs), Some("service.name"));
    let scope = ds.scope(s.scope);
    format!(
        "{}/{} parent={} {}..{} name={:?} service={:?} kind={:?} status={:?} msg={:?} ts={:?} flags={} \
         attrs={} events={events:?} links={links:?} resource={resource} scope={:?}/{:?}{}",
        s.trace_id,
        s.span_id,
        s.parent_id,
        s.start,
        s.end,
        ds.str(s.name),
        ds.str(s.service),
        s.kind,
        s.status,
        opt(ds, s.status_message),
        opt(ds, s.trace_state),
        s.w3c_flags,
        canon_attrs(ds, ds.attrs_of(s.attrs), None),
        opt(ds, scope.name),
        opt(ds, scope.version),
        canon_attrs(ds, ds.attrs_of(scope.attrs), None),
    )
}

/// Each distinct span with how many copies of it there are.
pub fn canon(ds: &Dataset, as_exported: bool) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in &ds.spans {
        *m.entry(canon_span(ds, s, as_exported)).or_insert(0) += 1;
    }
    m
}
