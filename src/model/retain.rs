//! `Dataset::retain_traces`: a dataset of some traces only, holding nothing of the others.
//!
//! `remove_spans` drops spans but leaves their attributes, events and strings in the arenas; a
//! live session that forgets old traces to stay under `--max-spans` must give that memory back,
//! so the kept spans are copied into fresh arenas with exactly what they refer to. Two passes:
//! the first marks the strings the kept spans use, so the new interner is filled in one go
//! (each string added once, without a lookup) and the copy maps symbols through a flat table.

use super::{
    Attr, Dataset, Event, Link, LogRecord, ResourceIdx, Scope, ScopeIdx, Slice, Span, Sym, TraceId, Value,
};
use crate::intern::SymSet;
use lasso::Key;

impl Dataset {
    /// The spans of the traces `keep` says yes to, in their order, with their strings,
    /// attributes, events, links, resources and scopes (and this dataset's file list), and the
    /// log records of those traces.
    pub fn retain_traces(&self, keep: impl Fn(TraceId) -> bool) -> Dataset {
        let kept: Vec<&Span> = self.spans.iter().filter(|s| keep(s.trace_id)).collect();
        let logs: Vec<&LogRecord> = self.logs.iter().filter(|l| keep(l.trace_id)).collect();
        let mut used = Used { from: self, syms: SymSet::with_len(self.strings.len()) };
        kept.iter().for_each(|s| used.span(s));
        for l in &logs {
            for sym in [Some(l.service), l.severity_text].into_iter().flatten() {
                used.syms.insert(sym);
            }
            used.value(l.body);
            used.attrs(l.attrs);
        }
        let (strings, syms) = self.strings.retain(&used.syms);
        let mut copy = Copy {
            from: self,
            to: Dataset { strings, files: self.files.clone(), ..Dataset::new() },
            syms,
            resources: vec![None; self.resources.len()],
            scopes: vec![None; self.scopes.len()],
            scratch: Vec::new(),
        };
        copy.to.spans.reserve_exact(kept.len());
        for span in kept {
            let span = copy.span(span);
            copy.to.spans.push(span);
        }
        for l in logs {
            let record = LogRecord {
                severity_text: l.severity_text.map(|t| copy.sym(t)),
                body: copy.value(l.body),
                attrs: copy.attrs(l.attrs),
                service: copy.sym(l.service),
                ..*l
            };
            copy.to.logs.push(record);
        }
        copy.to
    }
}

/// Marks the strings that spans use, everything they refer to included.
struct Used<'a> {
    from: &'a Dataset,
    syms: SymSet,
}

impl Used<'_> {
    fn span(&mut self, s: &Span) {
        let from = self.from;
        for sym in [Some(s.name), Some(s.service), s.status_message, s.trace_state].into_iter().flatten() {
            self.syms.insert(sym);
        }
        self.attrs(s.attrs);
        for e in from.events_of(s.events) {
            self.syms.insert(e.name);
            self.attrs(e.attrs);
        }
        for l in from.links_of(s.links) {
            if let Some(t) = l.trace_state {
                self.syms.insert(t);
            }
            self.attrs(l.attrs);
        }
        self.attrs(from.resource(s.resource).attrs);
        let scope = from.scope(s.scope);
        for sym in [scope.name, scope.version].into_iter().flatten() {
            self.syms.insert(sym);
        }
        self.attrs(scope.attrs);
    }

    fn attrs(&mut self, slice: Slice) {
        for a in self.from.attrs_of(slice) {
            self.syms.insert(a.key);
            self.value(a.value);
        }
    }

    fn value(&mut self, v: Value) {
        match v {
            Value::Str(s) | Value::Bytes(s) => self.syms.insert(s),
            Value::Map(slice) => self.attrs(slice),
            Value::Array(slice) => {
                for e in self.from.values_of(slice) {
                    self.value(e);
                }
            }
            Value::Empty | Value::Bool(_) | Value::Int(_) | Value::Double(_) => {}
        }
    }
}

/// Copies pieces of `from` into `to`, each resource and scope once.
struct Copy<'a> {
    from: &'a Dataset,
    to: Dataset,
    /// `from`'s symbol → `to`'s, for every string `Used` marked.
    syms: Vec<Sym>,
    resources: Vec<Option<ResourceIdx>>,
    scopes: Vec<Option<ScopeIdx>>,
    /// Reused for the attributes of each slice, so a span costs no allocation.
    scratch: Vec<Attr>,
}

impl Copy<'_> {
    fn span(&mut self, s: &Span) -> Span {
        let from = self.from;
        let links_at = self.to.links.len();
        for l in from.links_of(s.links) {
            let link =
                Link { trace_state: l.trace_state.map(|t| self.sym(t)), attrs: self.attrs(l.attrs), ..*l };
            self.to.links.push(link);
        }
        let events_at = self.to.events.len();
        for e in from.events_of(s.events) {
            let event = Event { time: e.time, name: self.sym(e.name), attrs: self.attrs(e.attrs) };
            self.to.events.push(event);
        }
        Span {
            name: self.sym(s.name),
            service: self.sym(s.service),
            status_message: s.status_message.map(|m| self.sym(m)),
            trace_state: s.trace_state.map(|t| self.sym(t)),
            resource: self.resource(s.resource),
            scope: self.scope(s.scope),
            attrs: self.attrs(s.attrs),
            events: super::slice_at(events_at, self.to.events.len() - events_at),
            links: super::slice_at(links_at, self.to.links.len() - links_at),
            ..*s
        }
    }

    fn sym(&self, s: Sym) -> Sym {
        self.syms.get(s.into_usize()).copied().unwrap_or_default()
    }

    /// Nested maps and arrays are copied before the block that holds them (`add_attrs` wants
    /// it); the scratch list is taken while a block is built, so nested blocks allocate their own.
    fn attrs(&mut self, slice: Slice) -> Slice {
        if slice.is_empty() {
            return Slice::default();
        }
        let mut attrs = std::mem::take(&mut self.scratch);
        attrs.clear();
        for a in self.from.attrs_of(slice) {
            let attr = Attr { key: self.sym(a.key), value: self.value(a.value) };
            attrs.push(attr);
        }
        let copied = self.to.add_attrs(&attrs);
        self.scratch = attrs;
        copied
    }

    fn value(&mut self, v: Value) -> Value {
        match v {
            Value::Str(s) => Value::Str(self.sym(s)),
            Value::Bytes(s) => Value::Bytes(self.sym(s)),
            Value::Map(slice) => Value::Map(self.attrs(slice)),
            Value::Array(slice) => {
                let values: Vec<Value> = self.from.values_of(slice).map(|e| self.value(e)).collect();
                self.to.add_array(&values)
            }
            Value::Empty | Value::Bool(_) | Value::Int(_) | Value::Double(_) => v,
        }
    }

    /// Index 0 (no resource) stays 0 in both datasets.
    fn resource(&mut self, r: ResourceIdx) -> ResourceIdx {
        if r.0 == 0 {
            return r;
        }
        if let Some(Some(mapped)) = self.resources.get(r.0 as usize) {
            return *mapped;
        }
        let attrs = self.attrs(self.from.resource(r).attrs);
        let mapped = self.to.add_resource(attrs);
        if let Some(slot) = self.resources.get_mut(r.0 as usize) {
            *slot = Some(mapped);
        }
        mapped
    }

    fn scope(&mut self, s: ScopeIdx) -> ScopeIdx {
        if s.0 == 0 {
            return s;
        }
        if let Some(Some(mapped)) = self.scopes.get(s.0 as usize) {
            return *mapped;
        }
        let scope = *self.from.scope(s);
        let copied = Scope {
            name: scope.name.map(|n| self.sym(n)),
            version: scope.version.map(|v| self.sym(v)),
            attrs: self.attrs(scope.attrs),
        };
        let mapped = self.to.add_scope(copied);
        if let Some(slot) = self.scopes.get_mut(s.0 as usize) {
            *slot = Some(mapped);
        }
        mapped
    }
}

#[cfg(test)]
mod tests {
    use crate::index::Index;
    use crate::model::TraceId;

    /// Every trace kept exports the same OTLP JSON (spans, attributes, events, links, resources,
    /// scopes), the dropped one is gone, and the arenas shrank.
    #[test]
    fn retained_traces_export_the_same_and_the_rest_is_gone() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-traces/message-aggregation.otlp.json");
        let load = || crate::load::load_file(std::path::Path::new(path), None).expect("the sample loads");
        let full = Index::build(load());
        let dropped: TraceId = full.traces()[0].id;
        let kept = Index::build(load().retain_traces(|t| t != dropped));
        assert!(kept.find_trace(dropped).is_none());
        assert_eq!(kept.traces().len(), full.traces().len() - 1);
        let export = |ix: &Index, id| {
            let t = ix.find_trace(id).expect("a kept trace");
            let mut out = Vec::new();
            crate::cli::export::write(&mut out, ix, &[t]).expect("export to memory");
            String::from_utf8(out).expect("OTLP JSON is UTF-8")
        };
        for info in kept.traces() {
            assert_eq!(export(&kept, info.id), export(&full, info.id));
        }
        assert!(kept.data.attrs.len() < full.data.attrs.len());
        assert!(kept.data.strings.len() < full.data.strings.len());
        assert_eq!(kept.data.files, full.data.files);
    }
}
