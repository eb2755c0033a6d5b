//! The selected span's links as rows (outgoing first, then incoming) and where each one leads:
//! shared by the Links tab, the `]`/`[` picker and the jump logic.

use crate::index::{Index, LinkIdx, LinkTarget, SpanIdx, TraceIdx};
use crate::model::{Link, LinkKind};

/// Link direction as seen from the selected span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    /// The selected span links to the other end.
    Out,
    /// The other end links to the selected span.
    In,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkRow {
    pub dir: Dir,
    pub link: LinkIdx,
}

/// The far end of a link row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Span(SpanIdx),
    /// The target span is not loaded; `trace` is its trace when some other span of it is.
    Missing {
        trace: Option<TraceIdx>,
    },
    /// A span pointer names a resource, not a span.
    Pointer,
}

/// Where the far end is relative to the selected span, for the Links tab's "where" column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Whereabouts {
    SameTrace,
    OtherTrace(TraceIdx),
    /// Span not loaded, though its trace is.
    MissingSpan(TraceIdx),
    /// Neither the span nor its trace is loaded.
    MissingTrace,
    Pointer,
}

impl LinkRow {
    pub fn link<'a>(&self, index: &'a Index) -> &'a Link {
        index.link(self.link)
    }

    pub fn end(&self, index: &Index) -> End {
        match self.dir {
            Dir::In => End::Span(index.link_source(self.link)),
            Dir::Out => match index.link_target(self.link) {
                LinkTarget::Span(s) => End::Span(s),
                LinkTarget::Missing { trace } => End::Missing { trace },
                LinkTarget::Pointer => End::Pointer,
            },
        }
    }

    pub fn whereabouts(&self, index: &Index, from: TraceIdx) -> Whereabouts {
        match self.end(index) {
            End::Span(s) if index.trace_of(s) == from => Whereabouts::SameTrace,
            End::Span(s) => Whereabouts::OtherTrace(index.trace_of(s)),
            End::Missing { trace: Some(t) } => Whereabouts::MissingSpan(t),
            End::Missing { trace: None } => Whereabouts::MissingTrace,
            End::Pointer => Whereabouts::Pointer,
        }
    }
}

/// `follows_from`, `child_of`, `pointer`, or nothing for a plain link.
pub fn kind_label(kind: LinkKind) -> Option<&'static str> {
    (kind != LinkKind::Link).then(|| kind.name())
}

/// Outgoing links in file order, then incoming ones in load order.
pub fn link_rows(index: &Index, span: SpanIdx) -> Vec<LinkRow> {
    if span.get() >= index.span_count() {
        return Vec::new();
    }
    index
        .links_out(span)
        .map(|link| LinkRow { dir: Dir::Out, link })
        .chain(index.links_in(span).iter().map(|&link| LinkRow { dir: Dir::In, link }))
        .collect()
}

/// (outgoing, incoming) counts of a span's links.
pub fn counts(index: &Index, span: SpanIdx) -> (usize, usize) {
    if span.get() >= index.span_count() {
        return (0, 0);
    }
    (index.links_out(span).len(), index.links_in(span).len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testdata::{self, BATCH, CONSUMER, P1, P1_PUBLISH};

    #[test]
    fn rows_list_outgoing_then_incoming_with_their_ends() {
        let index = testdata::links_index();
        let batch = testdata::span(&index, CONSUMER, BATCH);
        let rows = link_rows(&index, batch);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.dir == Dir::Out));
        let consumer = testdata::trace(&index, CONSUMER);
        let p1 = testdata::trace(&index, P1);
        let wheres: Vec<_> = rows.iter().map(|r| r.whereabouts(&index, consumer)).collect();
        assert_eq!(wheres[0], Whereabouts::OtherTrace(p1));
        assert_eq!(wheres[2], Whereabouts::MissingTrace);
        assert_eq!(wheres[3], Whereabouts::MissingSpan(p1));
        assert_eq!(wheres[4], Whereabouts::Pointer);

        let publish = testdata::span(&index, P1, P1_PUBLISH);
        let back = link_rows(&index, publish);
        assert_eq!(back.len(), 2, "batch and its item both link to the publish span");
        assert!(back.iter().all(|r| r.dir == Dir::In));
        assert_eq!(back[0].end(&index), End::Span(batch));
    }
}
