//! Command line → what to do: the clap definitions of every command and nothing else. `main.rs`
//! parses them, loads and indexes the inputs, and hands the `Index` to one of the commands below
//! (or to `tui::run`).

pub mod export;
pub mod generate;
pub mod graph;
pub mod human;
pub mod ids;
pub mod info;
pub mod json;
pub mod links;
pub mod listen;
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

/// Open exported distributed traces (OTLP JSON, Jaeger JSON, Zipkin v2, Datadog) and walk the
/// traces and the span links between them.
///
/// With no command, opens the interactive explorer (or prints the `info` summary when stdout is
/// not a terminal). With no PATH, opens the bundled sample traces.
#[derive(Debug, Parser)]
#[command(name = "weft", version, after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Trace files or folders to open; `-` reads stdin. None: the bundled samples.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub select: Select,

    /// Keep reading the JSON Lines files (and the files in the folders) as they grow or rotate,
    /// showing new spans in the explorer as they are written (on a terminal).
    #[arg(long)]
    pub follow: bool,

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
    /// Write traces (one, its whole linked set, or all) as OTLP JSON.
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
            Self::Export(_) => "export",
            Self::Completions(_) => "completions",
            Self::Man(_) => "man",
            Self::Listen(_) => "listen",
        }
    }
}

/// Which trace and span to start from. IDs are hex in any case.
#[derive(Debug, Default, Args)]
pub struct Select {
    /// Trace id: the full id (16 or 32 hex digits) or a unique prefix of at least 4 digits.
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
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
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// The trace to write (full id or unique prefix of at least 4 hex digits). Without it, every
    /// loaded trace is written.
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
    /// Also write every trace reachable from --trace through span links, in either direction.
    #[arg(long, requires = "trace")]
    pub linked: bool,
    /// The file to write; `-` writes to stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", required = true)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct TreeArgs {
    /// Trace files or folders; `-` reads stdin.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    /// Only this trace (full id or unique prefix of at least 4 hex digits).
    #[arg(long, value_name = "ID")]
    pub trace: Option<String>,
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
