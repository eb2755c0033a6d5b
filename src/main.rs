//! The `weft` binary: parse the command line (`cli::Cli`), load and index the inputs, then run
//! one command or the interactive explorer. The only place that prints errors and picks exit
//! codes: 0 success, 1 an input could not be loaded, 2 usage error.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, error::ErrorKind};
use weft::cli::ids::{self, Selection, UsageError};
use weft::cli::{Cli, Command, export, graph, human, info, links, tree};
use weft::index::Index;
use weft::load::{self, LoadError};
use weft::model::{Dataset, Format};

const EXIT_OK: u8 = 0;
const EXIT_LOAD: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// Why a run stopped early; each variant has its exit code.
enum Failure {
    Load(LoadError),
    Usage(UsageError),
    /// Writing the output failed (a closed pipe is not a failure: see `main`).
    Output(io::Error),
    Explorer(anyhow::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Output(e)
    }
}
impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        Self::Load(e)
    }
}
impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Self::Usage(e)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help`/`--version` go to stdout and succeed; everything else is a usage error.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let command_name = cli.command.as_ref().map(Command::name);
    match run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            // `weft links … | head`: the reader has what it wanted.
            ExitCode::from(EXIT_OK)
        }
        Err(Failure::Output(e)) => {
            report(&format!("error: writing output: {e}"));
            ExitCode::from(EXIT_LOAD)
        }
        Err(Failure::Load(e)) if e.is_cancelled() => {
            report("cancelled");
            ExitCode::from(load::progress::EXIT_INTERRUPTED)
        }
        Err(Failure::Load(e)) => {
            report(&format!("error: {e}"));
            ExitCode::from(EXIT_LOAD)
        }
        Err(Failure::Explorer(e)) => {
            let text = format!("error: {e:#}");
            report(&weft::text::escape_control(&text));
            ExitCode::from(EXIT_LOAD)
        }
        Err(Failure::Usage(e)) => {
            // Same look as clap's own usage errors (`error: …` + the command's usage + `--help` hint).
            let mut cli = Cli::command();
            cli.build();
            let cmd = match command_name.and_then(|name| cli.find_subcommand_mut(name)) {
                Some(sub) => sub,
                None => &mut cli,
            };
            let _ = cmd.error(ErrorKind::InvalidValue, e.0).print();
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Writes one line to stderr; a closed stderr must not turn into a panic.
fn report(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

fn run(cli: Cli) -> Result<(), Failure> {
    let forced = cli.format;
    match cli.command {
        Some(Command::Info(args)) => {
            let (index, skipped_files) = open(&args.paths, forced)?;
            with_stdout(|w| {
                if args.json {
                    info::write_json(w, &index, &skipped_files)
                } else {
                    info::write_text(w, &index, &skipped_files)
                }
            })
        }
        Some(Command::Links(args)) => {
            let (index, _) = open(&args.paths, forced)?;
            let sel = ids::resolve(&index, args.select.trace.as_deref(), args.select.span.as_deref())?;
            if args.graph
                && let Some(root) = sel.trace
            {
                return with_stdout(|w| {
                    if args.json {
                        graph::write_json(w, &index, root)
                    } else {
                        graph::write_text(w, &index, root)
                    }
                });
            }
            let chosen = links::select(&index, sel);
            with_stdout(|w| {
                if args.json {
                    links::write_json(w, &index, &chosen)
                } else {
                    links::write_text(w, &index, &chosen)
                }
            })
        }
        Some(Command::Tree(args)) => {
            let (index, _) = open(&args.paths, forced)?;
            let sel = ids::resolve(&index, args.trace.as_deref(), None)?;
            with_stdout(|w| tree::write(w, &index, sel.trace))
        }
        Some(Command::Export(args)) => {
            let (index, _) = open(&args.paths, forced)?;
            let sel = ids::resolve(&index, args.trace.as_deref(), None)?;
            let traces = export::select(&index, sel.trace, args.linked);
            if args.output.as_os_str() == "-" {
                return with_stdout(|w| export::write(w, &index, &traces));
            }
            let file = std::fs::File::create(&args.output).map_err(|e| {
                Failure::Output(io::Error::new(
                    e.kind(),
                    format!("{}: {e}", weft::text::escape_control(&args.output.display().to_string())),
                ))
            })?;
            let mut w = BufWriter::new(file);
            export::write(&mut w, &index, &traces)?;
            w.flush()?;
            Ok(())
        }
        None => {
            let (index, skipped_files) = if cli.paths.is_empty() {
                (Index::build(samples(forced)?), Vec::new())
            } else {
                open(&cli.paths, forced)?
            };
            let sel = ids::resolve(&index, cli.select.trace.as_deref(), cli.select.span.as_deref())?;
            if io::stdout().is_terminal() {
                let Selection { trace, span } = sel;
                weft::tui::run(index, weft::tui::OpenAt { trace, span }, skipped_files.len())
                    .map_err(Failure::Explorer)
            } else {
                with_stdout(|w| info::write_text(w, &index, &skipped_files))
            }
        }
    }
}

/// Loads and indexes `paths`, reporting on stderr what was skipped: records dropped inside
/// files (with the first reasons) and files in folders that are not traces.
fn open(paths: &[PathBuf], forced: Option<Format>) -> Result<(Index, Vec<LoadError>), Failure> {
    // A progress line on stderr when loading takes a while (terminals only); Ctrl-C cancels.
    let progress = std::sync::Arc::new(load::Progress::new());
    let _ctrl_c = load::progress::cancel_on_ctrl_c(&progress);
    let reporter = load::progress::Reporter::start(std::sync::Arc::clone(&progress));
    let options =
        load::Options { forced, progress: Some(std::sync::Arc::clone(&progress)), ..Default::default() };
    let loaded = load::load_paths_with(paths, &options)?;
    let skipped_paths = loaded.skipped_paths;
    let index = Index::build(loaded.dataset);
    drop(reporter);
    if progress.is_cancelled() {
        return Err(Failure::Load(LoadError::cancelled("-")));
    }
    for file in &index.data.files {
        if file.skipped > 0 {
            report(&human::skip_summary(file));
            for reason in human::first_skip_reasons(file) {
                report(&format!("  {reason}"));
            }
        }
    }
    for e in &skipped_paths {
        report(&format!("skipped file {e}"));
    }
    if index.data.files.is_empty() {
        // `LoadError`'s Display escapes the path text.
        let list: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(Failure::Load(LoadError::new(
            &list.join(", "),
            None,
            weft::model::Location::Unknown,
            "no trace files found",
        )));
    }
    Ok((index, skipped_paths))
}

/// The bundled samples, merged into one dataset.
fn samples(forced: Option<Format>) -> Result<Dataset, LoadError> {
    let mut ds = Dataset::new();
    for (name, bytes) in weft::samples::embedded() {
        ds.append(load::load_bytes(bytes.to_vec(), name, forced)?);
    }
    Ok(ds)
}

/// Runs `f` on a buffered stdout and flushes it, so a closed pipe surfaces as an error here.
fn with_stdout(
    f: impl FnOnce(&mut BufWriter<io::StdoutLock<'static>>) -> io::Result<()>,
) -> Result<(), Failure> {
    let mut w = BufWriter::new(io::stdout().lock());
    f(&mut w)?;
    w.flush()?;
    Ok(())
}
