//! `weft info`: totals, the files and formats read, what was skipped, and a table of traces —
//! as text for people or as one JSON object (`json::JsonInfo`) for tools.

use super::human::{FIRST_REASONS, count, first_skip_reasons, skip_summary, span_label, utc};
use super::json::{JsonInfo, root_of, trace_indices};
use crate::index::Index;
use crate::load::LoadError;
use crate::text::{duration, escape_control};
use std::io::{self, Write};

/// Writes the human summary.
pub fn write_text(w: &mut impl Write, index: &Index, skipped_files: &[LoadError]) -> io::Result<()> {
    let ds = &index.data;
    let unresolved = index.unresolved_links().count();
    writeln!(
        w,
        "{} · {} · {} · {} ({unresolved} unresolved)",
        count(ds.files.len(), "file"),
        count(index.traces().len(), "trace"),
        count(index.span_count(), "span"),
        count(index.link_count(), "link"),
    )?;

    writeln!(w)?;
    writeln!(w, "{:<22} {:>9} {:>8}  FILE", "FORMAT", "SPANS", "SKIPPED")?;
    for f in &ds.files {
        writeln!(w, "{:<22} {:>9} {:>8}  {}", f.format.name(), f.spans, f.skipped, escape_control(&f.path))?;
        if f.skipped > 0 {
            writeln!(w, "    {}; first reasons:", skip_summary(f))?;
            for reason in first_skip_reasons(f) {
                writeln!(w, "      {reason}")?;
            }
        }
        if let Some(note) = super::human::other_signals_note(f) {
            writeln!(w, "    {note}")?;
        }
        let repaired = f.warnings.iter().filter(|x| !x.skipped).count();
        if repaired > 0 {
            let first = f.warnings.iter().filter(|x| !x.skipped).take(FIRST_REASONS);
            writeln!(w, "    repaired records (first {}):", repaired.min(FIRST_REASONS))?;
            for x in first {
                writeln!(w, "      {}", super::human::located(&f.path, x))?;
            }
        }
    }
    if !skipped_files.is_empty() {
        writeln!(w, "skipped files (not traces):")?;
        for e in skipped_files {
            // `LoadError`'s Display escapes its path and message.
            writeln!(w, "    {e}")?;
        }
    }

    if index.traces().is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    writeln!(
        w,
        "{:<32}  {:<24} {:>7} {:>9}  {:>6}  {:<11}  ROOT",
        "TRACE", "START (UTC)", "SPANS", "DURATION", "ERRORS", "LINKS"
    )?;
    for t in trace_indices(index) {
        let info = index.trace(t);
        let root = root_of(index, t).map_or_else(|| "-".to_owned(), |r| span_label(index, r));
        let links = format!("↗{} ↙{}", info.links_out, info.links_in);
        writeln!(
            w,
            "{:<32}  {:<24} {:>7} {:>9}  {:>6}  {links:<11}  {root}",
            info.id.to_string(),
            utc(info.start),
            info.spans,
            duration(info.duration()),
            info.errors,
        )?;
    }
    Ok(())
}

/// Writes the single JSON object of the contract, followed by a newline.
pub fn write_json(w: &mut impl Write, index: &Index, skipped_files: &[LoadError]) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &JsonInfo { index, skipped_files })?;
    writeln!(w)
}
