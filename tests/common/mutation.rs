//! Shared by the JSON loaders' property tests: mutate a fixture, parse it, and require either a
//! located error naming the file or a sound dataset.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use weft::index::{Index, LinkTarget};
use weft::load::LoadError;
use weft::model::{Dataset, Location};

/// One random mutation of a fixture, as drawn by `mutation()`.
#[derive(Debug, Clone)]
pub struct Mutation {
    pub flips: Vec<(prop::sample::Index, prop::sample::Index)>,
    pub soft: bool,
    pub cut: prop::sample::Index,
    pub truncate: bool,
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..6),
        any::<bool>(),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(flips, soft, cut, truncate)| Mutation { flips, soft, cut, truncate })
}

impl Mutation {
    /// Soft mutations change letters and digits only (mostly inside strings and numbers, so the
    /// JSON usually still parses and the spans are what breaks); hard ones also write structural
    /// characters and may cut the file.
    pub fn apply(&self, mut bytes: Vec<u8>) -> Vec<u8> {
        const SOFT: &[u8] = b"0aZ9fx";
        const HARD: &[u8] = b"{}[]\",:0aZ \n\\-9x";
        for (at, pick) in &self.flips {
            let i = at.index(bytes.len());
            if self.soft && !bytes[i].is_ascii_alphanumeric() {
                continue;
            }
            bytes[i] = if self.soft { SOFT[pick.index(SOFT.len())] } else { HARD[pick.index(HARD.len())] };
        }
        if self.truncate && !self.soft {
            bytes.truncate(self.cut.index(bytes.len()));
        }
        bytes
    }
}

/// What must hold for any dataset a loader returns: exactly one file with matching counts, times
/// in order, every slice inside its arena, and an index whose links are seen from both ends.
pub fn check_sound(ds: Dataset) -> Result<(), TestCaseError> {
    prop_assert_eq!(ds.files.len(), 1);
    prop_assert_eq!(ds.files[0].spans, ds.spans.len());
    for s in &ds.spans {
        prop_assert!(s.start <= s.end);
        prop_assert!(!s.span_id.is_zero() && !s.trace_id.is_zero());
        prop_assert!(s.attrs.range().end <= ds.attrs.len());
        prop_assert!(s.events.range().end <= ds.events.len());
        prop_assert!(s.links.range().end <= ds.links.len());
        prop_assert!((s.resource.0 as usize) < ds.resources.len());
        prop_assert!((s.scope.0 as usize) < ds.scopes.len());
    }
    let ix = Index::build(ds);
    for l in ix.links() {
        if let LinkTarget::Span(t) = ix.link_target(l) {
            prop_assert!(ix.links_in(t).contains(&l));
        }
    }
    Ok(())
}

/// A parse of mutated bytes (named `m.json`) is an error naming the file — with a line:col,
/// unless it is one of the whole-document shape errors — or a sound dataset.
pub fn check_parse(
    parsed: Result<Dataset, LoadError>,
    whole_file_errors: &[&str],
) -> Result<(), TestCaseError> {
    match parsed {
        Ok(ds) => check_sound(ds),
        Err(e) => {
            let text = e.to_string();
            prop_assert!(text.starts_with("m.json"), "{}", text);
            let shape = whole_file_errors.iter().any(|m| e.message.contains(m));
            prop_assert!(shape || matches!(e.at, Location::Line { .. }), "{}", text);
            Ok(())
        }
    }
}
