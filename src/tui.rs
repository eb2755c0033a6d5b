//! Terminal setup/restore and the event loop: the only module that touches the terminal.
//! (Placeholder until the explorer lands.)

use crate::index::{Index, SpanIdx, TraceIdx};

/// Where the explorer opens: the trace list, or a trace with (optionally) a span selected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenAt {
    pub trace: Option<TraceIdx>,
    pub span: Option<SpanIdx>,
}

/// Runs the interactive explorer until the user quits. Restores the terminal on every exit path.
pub fn run(_index: Index, _open: OpenAt) -> anyhow::Result<()> {
    anyhow::bail!("the interactive explorer is not built yet; use `weft info`, `weft links` or `weft tree`")
}
