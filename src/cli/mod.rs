//! Command line → what to do: the clap definitions of every command and nothing else. `main.rs`
//! parses them, loads and indexes the inputs, and hands the `Index` to one of the commands below
//! (or to `tui::run`).

pub mod diff;
pub mod export;
pub mod generate;
pub mod graph;
pub mod human;
pub mod ids;
pub mod info;
pub mod json;
pub mod links;
pub mod listen;
pub mod logs;
pub mod spans;
pub mod store;
pub mod tree;

use crate::model::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Shown after every command's help, so scripts can rely on the codes.
const EXIT_CODES: &str = "\
Exit codes:
  0  success (also when some records were skipped; they are listed on stderr)
  1  an input could not be loaded (missing, unreadable or malformed file), or another runtime error
  2  usage error (bad option, unknown or ambiguous trace/span id)";

/// Open exported distributed traces (OTLP JSON or protobuf, Jaeger JSON, Zipkin v2, Datadog) and
/// walk the traces and the span links between them.
///
/// With no command, opens the interactive explorer (or prints the `info` summary when stdout is
/// not a terminal). With no PATH, opens the bundled sample traces.
#[derive(Debug, Parser)]
#[command(name = "weft", version, after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Trace files or folders to open; `-` reads stdin; a trace store URL (see --trace). None: the
    /// bundled samples.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub select: Select,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Keep reading the JSON Lines files (and the files in the folders) as they grow or rotate,
    /// showing new spans in the explorer as they are written (on a terminal).
    #[arg(long)]
    pub follow: bool,

    /// With --follow: the explorer holds at most N spans; past it, the oldest traces are dropped
    /// (a quarter of N at once).
    #[arg(long, value_name = "N", default_value_t = 1_000_000, requires = "follow",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_spans: u64,

    /// Read every input as this format instead of detecting it from the content.
    #[arg(long, value_name = "NAME", global = true)]
    pub format: Option<Format>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Totals, the files and formats read, what was skipped, and a table of traces.
    #[command(after_help = EXIT_CODES)]
    Info(InfoArgs),
    /// Every span link, or those of one trace or one span, in both directions.
    #[command(after_help = EXIT_CODES)]
    Links(LinksArgs),
    /// The waterfall of each trace as indented text.
    #[command(after_help = EXIT_CODES)]
    Tree(TreeArgs),
    /// The spans a query matches (`--where 'duration>50ms error'`), one per line or as JSON Lines.
    #[command(after_help = QUERY_HELP)]
    Spans(SpansArgs),
    /// Per operation and per service: spans, errors, total and self time, max, p50, p99.
    #[command(after_help = QUERY_HELP)]
    Stats(StatsArgs),
    /// Compare two traces: spans aligned by their path of (service, name) from the root, with
    /// duration changes and what only one of them has.
    #[command(after_help = EXIT_CODES)]
    Diff(DiffArgs),
    /// The log records read beside the traces (OTLP logs): all, a trace's or a span's.
    #[command(after_help = EXIT_CODES)]
    Logs(LogsArgs),
    /// Write traces (one, its whole linked set, or all) as OTLP JSON or protobuf.
    #[command(after_help = EXIT_CODES)]
    Export(ExportArgs),
    /// Print a completion script for a shell (see the README's Install section).
    Completions(CompletionsArgs),
    /// Print weft's man page (roff), or with COMMAND that command's page (weft-COMMAND).
    Man(ManArgs),
    /// Receive spans from running programs (OTLP gRPC/HTTP, Zipkin, Datadog agent) and save them.
    #[command(after_help = EXIT_CODES)]
    Listen(listen::ListenArgs),
}

impl Command {
    /// The subcommand's name as typed, to show its usage in errors found after parsing.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Info(_) => "info",
            Self::Links(_) => "links",
            Self::Tree(_) => "tree",
            Self::Spans(_) => "spans",
            Self::Stats(_) => "stats",
            Self::Diff(_) => "diff",
            Self::Logs(_) => "logs",
            Self::Export(_) => "export",
            Self::Completions(_) => "completions",
            Self::Man(_) => "man",
            Self::Listen(_) => "listen",
        }
    }
}

/// The query language, after the help of the commands that take `--where`.
const QUERY_HELP: &str = "\
Query terms (separated by spaces: all must hold; `or` between terms; `not TERM` or `-TERM`;
parentheses; values with spaces in double quotes):
  service=NAME  service~TEXT  name=TEXT  name~TEXT     (~ is case-insensitive contains)
  kind=server|client|producer|consumer|internal  error  root  orphan
  duration>50ms  duration<=2s  self>10ms              (units ns, us, ms, s, m)
  KEY=VALUE  KEY~TEXT  KEY  KEY>NUMBER                (span, resource and scope attributes)
  links>0  linked_by>0  link_unresolved  trace=HEXPREFIX

Exit codes:
  0  success (also when nothing matches, or some records were skipped)
  1  an input could not be loaded (missing, unreadable or malformed file), or another runtime error
  2  usage error (bad option, a query that does not parse, unknown or ambiguous trace id)";

/// Which trace and span to start from. IDs are hex in any case.
#[derive(Debug, Default, Args)]
pub struct Select {
    /// Trace id: the full id (16 or 32 hex digits) or a unique prefix of at least 4 digits. With a
    /// trace store, the full id of a trace to fetch (repeatable).
    #[arg(long, value_name = "ID")]
    pub trace: Vec<String>,
    /// Span id (hex). Without --trace, it must be unique among the loaded traces.
    #[arg(long, value_name = "ID")]
    pub span: Option<String>,
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Traces to fetch from a trace store given as PATH (repeatable).
    #[arg(long, value_name = "ID")]
    pub trace: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct LinksArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub select: Select,
    /// Print JSON Lines, one link per line, instead of text (with --graph: one JSON object).
    #[arg(long)]
    pub json: bool,
    /// Print the graph of traces reachable from --trace through links in either direction,
    /// instead of the links themselves.
    #[arg(long, requires = "trace", conflicts_with = "span")]
    pub graph: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// The two traces, A then B, each once (full id or unique prefix of at least 4 hex digits;
    /// with a trace store, full ids to fetch). Deltas are B − A.
    #[arg(long, value_name = "ID", required = true)]
    pub trace: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Trace and log files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub select: Select,
    /// Print JSON Lines, one record per line, instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// The trace to write (full id or unique prefix of at least 4 hex digits). Without it, every
    /// loaded trace is written. With a trace store, the full id of a trace to fetch (repeatable).
    #[arg(long, value_name = "ID")]
    pub trace: Vec<String>,
    /// The file to write; `-` writes to stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub output: PathBuf,
    /// What to write (`--format` names the input's format).
    #[arg(long, value_name = "FORMAT", default_value = "otlp-json")]
    pub to: ExportFormat,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The formats `weft export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One OTLP JSON `TracesData` document.
    #[value(name = "otlp-json")]
    OtlpJson,
    /// One OTLP protobuf `TracesData` (= `ExportTraceServiceRequest`) message.
    #[value(name = "otlp-proto")]
    OtlpProto,
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Only this trace (full id or unique prefix of at least 4 hex digits). With a trace store, the
    /// full id of a trace to fetch (repeatable).
    #[arg(long, value_name = "ID")]
    pub trace: Vec<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct SpansArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// The query spans must match (see below).
    #[arg(long = "where", value_name = "QUERY", required = true)]
    pub query: String,
    /// Only this trace (full id or unique prefix of at least 4 hex digits). With a trace store, the
    /// full id of a trace to fetch (repeatable).
    #[arg(long, value_name = "ID")]
    pub trace: Vec<String>,
    /// Print JSON Lines, one span per line, instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Only this trace (full id or unique prefix of at least 4 hex digits). With a trace store, the
    /// full id of a trace to fetch (repeatable).
    #[arg(long, value_name = "ID")]
    pub trace: Vec<String>,
    /// Only the spans this query matches (see below).
    #[arg(long = "where", value_name = "QUERY")]
    pub query: Option<String>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Trace stores (`jaeger+http://HOST:16686`, `tempo+http://HOST:3200`, `zipkin+http://HOST:9411`,
/// or a Jaeger/Zipkin trace page URL) given as PATH or with --backend: what to fetch from them.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Trace stores")]
pub struct StoreArgs {
    #[command(flatten)]
    pub fetch: FetchArgs,
    /// Follow span links: fetch every trace reachable from the chosen ones, breadth-first, each
    /// once. With `export`, also write that whole linked set of --trace.
    #[arg(long)]
    pub linked: bool,
    /// The most traces fetched in all.
    #[arg(long, value_name = "N", default_value_t = crate::backend::gather::DEFAULT_MAX_TRACES)]
    pub max_traces: usize,
    /// Search the stores for recent traces of this service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    /// With --service: only traces with a span of this name.
    #[arg(long, value_name = "NAME", requires = "service")]
    pub operation: Option<String>,
    /// With --service: how far back to search (s, m, h or d: 15m, 2h, 7d).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = crate::backend::gather::parse_since)]
    pub since: std::time::Duration,
    /// With --service: the most traces to find per store.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub limit: u32,
}

/// Where to fetch traces from and how: shared by the commands that read stores and by
/// `weft listen`, whose explorer fetches the traces its links lead to.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Trace stores")]
pub struct FetchArgs {
    /// A trace store to fetch from, as when given as PATH (repeatable; the first that has a trace
    /// wins). In the explorer, links into traces that are not loaded are fetched from it on
    /// demand.
    #[arg(long = "backend", value_name = "URL")]
    pub backends: Vec<String>,
    /// An HTTP header sent with every request, e.g. 'X-Scope-OrgID: acme' or 'Authorization:
    /// Bearer …' (repeatable; also WEFT_HEADERS, one header per line).
    #[arg(
        long = "header",
        value_name = "NAME: VALUE",
        env = "WEFT_HEADERS",
        hide_env_values = true,
        value_delimiter = '\n',
        value_parser = crate::backend::http::parse_header
    )]
    pub headers: Vec<(String, String)>,
    /// Seconds each request to a store may take.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = crate::backend::http::parse_timeout)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A command whose page to print instead of weft's (info, links, …).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
