//! `weft links --trace ID --graph`: the traces reachable from one trace through span links in
//! either direction (`index::flow::Flow`), as an indented tree or as one JSON object:
//! `{"root": trace_id, "traces": [...], "edges": [{"from", "to", "links"}]}`.

use super::human::count;
use super::json::root_of;
use crate::index::flow::{Flow, FlowNode};
use crate::index::{Index, TraceIdx};
use crate::text::{duration, escape_control, signed_duration};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::io::{self, Write};

/// Spaces per level of the text tree.
const INDENT: usize = 2;

/// Signed nanoseconds from the root trace's start to `t`'s start.
fn offset_ns(index: &Index, root: TraceIdx, t: TraceIdx) -> i64 {
    crate::index::diff::signed_delta(index.trace(root).start, index.trace(t).start)
}

/// Root `service: name` of a trace, escaped, or `(no root)`.
fn root_label(index: &Index, t: TraceIdx) -> String {
    root_of(index, t).map_or_else(|| "(no root)".to_owned(), |r| super::human::span_label(index, r))
}

/// One line per trace, indented by depth under the trace it was first reached from. The arrows
/// count the links joining a trace to the line it hangs from: `↗N` links from it into that
/// trace, `↙N` links from that trace into it.
pub fn write_text(w: &mut impl Write, index: &Index, root: TraceIdx) -> io::Result<()> {
    let flow = Flow::build(index, root, None);
    if flow.nodes.is_empty() {
        return Ok(());
    }
    // Children of each node in visiting order, to print depth-first in linear time.
    let mut children: rustc_hash::FxHashMap<TraceIdx, Vec<usize>> = rustc_hash::FxHashMap::default();
    for (i, n) in flow.nodes.iter().enumerate() {
        if let Some(p) = n.parent {
            children.entry(p).or_default().push(i);
        }
    }
    let mut stack: Vec<usize> = vec![0];
    while let Some(i) = stack.pop() {
        let Some(n) = flow.nodes.get(i) else { continue };
        write_node(w, index, root, n)?;
        if let Some(c) = children.get(&n.trace) {
            stack.extend(c.iter().rev());
        }
    }
    let edges = flow.edges(index);
    let links: u64 = edges.iter().map(|e| u64::from(e.2)).sum();
    writeln!(
        w,
        "{} joined by {} between them",
        count(flow.nodes.len(), "trace"),
        count(usize::try_from(links).unwrap_or(usize::MAX), "link")
    )
}

fn write_node(w: &mut impl Write, index: &Index, root: TraceIdx, n: &FlowNode) -> io::Result<()> {
    let info = index.trace(n.trace);
    let pad = " ".repeat(usize::try_from(n.depth).unwrap_or(0).min(40) * INDENT);
    let arrows = if n.parent.is_some() {
        let mut a = String::new();
        if n.to_parent > 0 {
            a.push_str(&format!("↗{} ", n.to_parent));
        }
        if n.from_parent > 0 {
            a.push_str(&format!("↙{} ", n.from_parent));
        }
        a
    } else {
        String::new()
    };
    let errors = match info.errors {
        0 => String::new(),
        1 => " · 1 error".to_owned(),
        e => format!(" · {e} errors"),
    };
    writeln!(
        w,
        "{pad}{arrows}{} {} · {} · {} · {}{errors}",
        info.id,
        escape_control(&root_label(index, n.trace)),
        signed_duration(offset_ns(index, root, n.trace)),
        duration(info.duration()),
        count(info.spans as usize, "span"),
    )
}

/// Writes the graph as one JSON object and a newline.
pub fn write_json(w: &mut impl Write, index: &Index, root: TraceIdx) -> io::Result<()> {
    let flow = Flow::build(index, root, None);
    serde_json::to_writer(&mut *w, &GraphJson { index, root, flow: &flow })?;
    w.write_all(b"\n")
}

struct Hex<T>(T);

impl<T: std::fmt::Display> Serialize for Hex<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

struct GraphJson<'a> {
    index: &'a Index,
    root: TraceIdx,
    flow: &'a Flow,
}

impl Serialize for GraphJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = self.index;
        let mut st = s.serialize_struct("Graph", 3)?;
        st.serialize_field("root", &Hex(index.trace(self.root).id))?;
        let traces: Vec<NodeJson<'_>> =
            self.flow.nodes.iter().map(|node| NodeJson { index, root: self.root, node }).collect();
        st.serialize_field("traces", &traces)?;
        let edges: Vec<EdgeJson> = self
            .flow
            .edges(index)
            .into_iter()
            .map(|(from, to, links)| EdgeJson { from: index.trace(from).id, to: index.trace(to).id, links })
            .collect();
        st.serialize_field("edges", &edges)?;
        st.end()
    }
}

struct NodeJson<'a> {
    index: &'a Index,
    root: TraceIdx,
    node: &'a FlowNode,
}

impl Serialize for NodeJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (index, n) = (self.index, self.node);
        let info = index.trace(n.trace);
        let root_span = root_of(index, n.trace);
        let mut st = s.serialize_struct("Trace", 12)?;
        st.serialize_field("trace_id", &Hex(info.id))?;
        st.serialize_field("depth", &n.depth)?;
        st.serialize_field("parent", &n.parent.map(|p| Hex(index.trace(p).id)))?;
        st.serialize_field("root_service", &root_span.map(|r| index.service(r)))?;
        st.serialize_field("root_name", &root_span.map(|r| index.name(r)))?;
        st.serialize_field("start_unix_nano", &info.start)?;
        st.serialize_field("start_offset_ns", &offset_ns(index, self.root, n.trace))?;
        st.serialize_field("duration_ns", &info.duration())?;
        st.serialize_field("spans", &info.spans)?;
        st.serialize_field("errors", &info.errors)?;
        st.serialize_field("links_to_parent", &n.to_parent)?;
        st.serialize_field("links_from_parent", &n.from_parent)?;
        st.end()
    }
}

struct EdgeJson {
    from: crate::model::TraceId,
    to: crate::model::TraceId,
    links: u32,
}

impl Serialize for EdgeJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Edge", 3)?;
        st.serialize_field("from", &Hex(self.from))?;
        st.serialize_field("to", &Hex(self.to))?;
        st.serialize_field("links", &self.links)?;
        st.end()
    }
}
