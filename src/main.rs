//! The `weft` binary: parse the command line (`cli::Cli`), load and index the inputs, then run
//! one command or the interactive explorer. The only place that prints errors and picks exit
//! codes: 0 success, 1 an input could not be loaded, 2 usage error.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::{Arc, mpsc};
use std::time::Instant;

use clap::{CommandFactory, Parser, error::ErrorKind};
use weft::app::OpenAt;
use weft::cli::ids::{self, Selection, UsageError};
use weft::cli::listen::ListenArgs;
use weft::cli::store::{self, Inputs};
use weft::cli::{Cli, Command, diff, export, generate, graph, human, info, links, logs, spans, tree};
use weft::index::Index;
use weft::load::{self, LoadError};
use weft::model::{Dataset, Format};
use weft::tui::{self, Session, Waited};

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
    /// `weft listen` could not start (a port in use, an unwritable save file).
    Listen(weft::listen::ListenError),
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
        Err(Failure::Listen(e)) => {
            report(&weft::text::escape_control(&format!("error: {e}")));
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
            let inputs = store::inputs(&args.paths, &args.trace, &args.store)?;
            if inputs.plan.is_none() && !args.trace.is_empty() {
                return Err(
                    UsageError("info --trace names traces to fetch from a trace store".to_owned()).into()
                );
            }
            let (index, skipped_files) = open(&inputs, forced)?;
            with_stdout(|w| {
                if args.json {
                    info::write_json(w, &index, &skipped_files)
                } else {
                    info::write_text(w, &index, &skipped_files)
                }
            })
        }
        Some(Command::Links(args)) => {
            let inputs = store::inputs(&args.paths, &args.select.trace, &args.store)?;
            let (index, _) = open(&inputs, forced)?;
            let sel =
                ids::resolve(&index, inputs.selected(&args.select.trace)?, args.select.span.as_deref())?;
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
            let inputs = store::inputs(&args.paths, &args.trace, &args.store)?;
            let (index, _) = open(&inputs, forced)?;
            let sel = ids::resolve(&index, inputs.selected(&args.trace)?, None)?;
            with_stdout(|w| tree::write(w, &index, sel.trace))
        }
        Some(Command::Spans(args)) => {
            spans::check(&args.query)?;
            let inputs = store::inputs(&args.paths, &args.trace, &args.store)?;
            let (index, _) = open(&inputs, forced)?;
            let sel = ids::resolve(&index, inputs.selected(&args.trace)?, None)?;
            let query = spans::compile(&args.query, &index)?;
            let chosen = spans::select(&index, sel.trace, Some(&query));
            with_stdout(|w| {
                if args.json {
                    spans::write_json(w, &index, &chosen)
                } else {
                    spans::write_text(w, &index, &chosen)
                }
            })
        }
        Some(Command::Stats(args)) => {
            if let Some(q) = &args.query {
                spans::check(q)?;
            }
            let inputs = store::inputs(&args.paths, &args.trace, &args.store)?;
            let (index, _) = open(&inputs, forced)?;
            let sel = ids::resolve(&index, inputs.selected(&args.trace)?, None)?;
            let query = args.query.as_deref().map(|q| spans::compile(q, &index)).transpose()?;
            let chosen = spans::select(&index, sel.trace, query.as_ref());
            let stats =
                weft::query::stats::Stats::compute(&index, chosen, spans::traces_ns(&index, sel.trace));
            with_stdout(|w| {
                if args.json {
                    spans::write_stats_json(w, &index, &stats)
                } else {
                    spans::write_stats_text(w, &index, &stats)
                }
            })
        }
        Some(Command::Diff(args)) => {
            let [a, b] = args.trace.as_slice() else {
                return Err(UsageError(format!(
                    "diff compares two traces: give --trace A --trace B (got {} --trace)",
                    args.trace.len()
                ))
                .into());
            };
            let inputs = store::inputs(&args.paths, &args.trace, &args.store)?;
            let (index, _) = open(&inputs, forced)?;
            let (a, b) = (ids::resolve_trace(&index, a)?, ids::resolve_trace(&index, b)?);
            let diff = weft::index::diff::TraceDiff::build(&index, a, b);
            with_stdout(|w| {
                if args.json {
                    diff::write_json(w, &index, &diff)
                } else {
                    diff::write_text(w, &index, &diff)
                }
            })
        }
        Some(Command::Logs(args)) => {
            let inputs = store::inputs(&args.paths, &args.select.trace, &args.store)?;
            let (index, _) = open(&inputs, forced)?;
            let sel =
                ids::resolve(&index, inputs.selected(&args.select.trace)?, args.select.span.as_deref())?;
            let chosen = logs::select(&index, sel);
            with_stdout(|w| {
                if args.json {
                    logs::write_json(w, &index, &chosen)
                } else {
                    logs::write_text(w, &index, &chosen)
                }
            })
        }
        Some(Command::Export(args)) => {
            let inputs = store::inputs(&args.paths, &args.trace, &args.store)?;
            if args.store.linked && args.trace.is_empty() && inputs.plan.is_none() {
                return Err(UsageError(
                    "--linked needs --trace: the trace whose linked set to write".to_owned(),
                )
                .into());
            }
            let (index, _) = open(&inputs, forced)?;
            let sel = ids::resolve(&index, inputs.selected(&args.trace)?, None)?;
            let traces = export::select(&index, sel.trace, args.store.linked);
            if args.output.as_os_str() == "-" {
                return with_stdout(|w| export::write_as(w, &index, &traces, args.to));
            }
            let file = std::fs::File::create(&args.output).map_err(|e| {
                Failure::Output(io::Error::new(
                    e.kind(),
                    format!("{}: {e}", weft::text::escape_control(&args.output.display().to_string())),
                ))
            })?;
            let mut w = BufWriter::new(file);
            export::write_as(&mut w, &index, &traces, args.to)?;
            w.flush()?;
            Ok(())
        }
        Some(Command::Completions(args)) => with_stdout(|w| generate::write_completions(w, args.shell)),
        Some(Command::Man(args)) => {
            let page = generate::man_page(args.command.as_deref())?;
            with_stdout(|w| page.render(w))
        }
        Some(Command::Listen(args)) => listen(&args, forced),
        None => {
            let inputs = store::inputs(&cli.paths, &cli.select.trace, &cli.store)?;
            if cli.follow && !inputs.files.is_empty() && io::stdout().is_terminal() {
                return follow(&inputs, forced, cli.max_spans);
            }
            let chosen = inputs.selected(&cli.select.trace)?;
            let no_inputs = inputs.files.is_empty() && inputs.plan.is_none();
            if !no_inputs && io::stdout().is_terminal() {
                return explore(&inputs, forced, chosen, cli.select.span.as_deref());
            }
            let (index, skipped_files) =
                if no_inputs { (Index::build(samples(forced)?), Vec::new()) } else { open(&inputs, forced)? };
            let sel = ids::resolve(&index, chosen, cli.select.span.as_deref())?;
            if io::stdout().is_terminal() {
                let Selection { trace, span } = sel;
                tui::run(&index, OpenAt { trace, span }, skipped_files.len()).map_err(Failure::Explorer)
            } else {
                with_stdout(|w| info::write_text(w, &index, &skipped_files))
            }
        }
    }
}

/// `weft listen`: announces each receiver (`listening <kind> <host:port>`, a public contract),
/// saves what arrives until SIGINT/SIGTERM (or, on a terminal, until the explorer quits), then
/// says where it went. On a terminal the live explorer opens at once over PATHs (if given),
/// growing as batches arrive.
fn listen(args: &ListenArgs, forced: Option<Format>) -> Result<(), Failure> {
    use weft::listen::{Config, Listener};
    let listeners = args.listeners();
    if listeners.is_empty() {
        return Err(Failure::Usage(UsageError("every receiver is off; nothing to listen on".to_owned())));
    }
    let explorer = io::stdout().is_terminal();
    let stores = args.fetch.stores()?;
    // PATHs load before the terminal is taken, so their errors print to a normal terminal.
    let opened = match (explorer, args.paths.is_empty()) {
        (false, _) => None,
        (true, true) => Some((Index::build(Dataset::new()), Vec::new())),
        (true, false) => Some(open(&Inputs::files(&args.paths), forced)?),
    };
    let (live, batches) = match explorer {
        true => {
            let (tx, rx) = mpsc::sync_channel(LIVE_QUEUE);
            (Some(tx), Some(rx))
        }
        false => (None, None),
    };
    let save = args.save.clone().unwrap_or_else(weft::listen::default_save_path);
    let config = Config { listeners, save, max_spans: args.max_spans, live };
    let listener = Listener::start(&config).map_err(Failure::Listen)?;
    let stop = listener.interrupted().map_err(|e| Failure::Listen(weft::listen::ListenError::Runtime(e)))?;
    let shown = weft::text::escape_control(&config.save.display().to_string()).into_owned();
    report(&format!("saving to {shown}"));
    for (kind, addr) in listener.addrs() {
        report(&format!("listening {} {addr}", kind.name()));
    }
    let counts = listener.counts();
    if let (Some((index, skipped_files)), Some(batches)) = (opened, batches) {
        let (quit, quitting) = tokio::sync::oneshot::channel::<()>();
        let stop = async move {
            tokio::select! {
                () = stop => {}
                _ = quitting => {}
            }
        };
        let server = std::thread::Builder::new()
            .name("weft-listen-serve".to_owned())
            .spawn(move || listener.serve(stop))
            .map_err(|e| Failure::Listen(weft::listen::ListenError::Runtime(e)))?;
        let source = tui::LiveSource { batches, max_spans: args.max_spans };
        let explored = (|| {
            let fetcher = fetcher(args.fetch.client(), stores)?;
            let mut session = Session::start()?;
            let result =
                session.explore_live(index, Some(&source), fetcher, OpenAt::default(), skipped_files.len());
            let restored = session.finish();
            result.and(restored)
        })();
        // The writer may be waiting for the explorer: hang up first, then stop the receivers.
        drop(source);
        drop(quit);
        let _ = server.join();
        explored.map_err(Failure::Explorer)?;
    } else {
        listener.serve(stop);
    }
    report(&format!("{}; saved to {shown}", counts.status_total()));
    report(&format!("open it with: weft {shown}"));
    Ok(())
}

/// `weft PATH… --follow`: the PATHs load as for `weft PATH…`, then the live explorer opens over
/// them while a thread reads what the files gain (`load::follow`). Trace stores among the inputs
/// are only fetched from on demand.
fn follow(inputs: &Inputs, forced: Option<Format>, max_spans: u64) -> Result<(), Failure> {
    let paths = &inputs.files;
    let follower = load::follow::Follower::start(paths, forced);
    let (index, skipped_files) = open(&Inputs::files(paths), forced)?;
    let (tx, batches) = mpsc::sync_channel(LIVE_QUEUE);
    // Detached: it ends at its next batch once the explorer hangs up, or with the process.
    std::thread::Builder::new()
        .name("weft-follow".to_owned())
        .spawn(move || follower.run(&tx))
        .map_err(|e| Failure::Explorer(anyhow::Error::new(e).context("starting to follow")))?;
    let source = tui::LiveSource { batches, max_spans };
    let fetcher = plan_fetcher(inputs).map_err(Failure::Explorer)?;
    let mut session = Session::start().map_err(Failure::Explorer)?;
    let result = session.explore_live(index, Some(&source), fetcher, OpenAt::default(), skipped_files.len());
    let restored = session.finish();
    result.and(restored).map_err(Failure::Explorer)
}

/// The explorer's fetcher for `stores`, if there are any.
fn fetcher(
    client: weft::backend::Client,
    stores: Vec<weft::backend::Backend>,
) -> anyhow::Result<Option<tui::Fetcher>> {
    if stores.is_empty() {
        return Ok(None);
    }
    let fetcher = tui::Fetcher::start(client, stores)
        .map_err(|e| anyhow::Error::new(e).context("starting to fetch"))?;
    Ok(Some(fetcher))
}

/// The explorer's fetcher for the trace stores among `inputs`.
fn plan_fetcher(inputs: &Inputs) -> anyhow::Result<Option<tui::Fetcher>> {
    match &inputs.plan {
        Some(plan) => fetcher(plan.client.clone(), plan.backends.clone()),
        None => Ok(None),
    }
}

/// Batches waiting for the live explorer; full, it makes the save writer wait, then the senders.
const LIVE_QUEUE: usize = 16;

/// Loads and indexes `inputs` (files, then what the trace stores have), reporting on stderr what
/// was skipped: records dropped inside files (with the first reasons), files in folders that are
/// not traces, and traces the stores did not have or were not asked for.
fn open(inputs: &Inputs, forced: Option<Format>) -> Result<(Index, Vec<LoadError>), Failure> {
    // A progress line on stderr when loading takes a while (terminals only); Ctrl-C cancels.
    let progress = Arc::new(load::Progress::new());
    let _ctrl_c = load::progress::cancel_on_ctrl_c(&progress);
    let reporter = load::progress::Reporter::start(Arc::clone(&progress));
    let loaded = load_and_index(inputs, forced, &progress);
    drop(reporter);
    let (index, skipped_paths, notes) = loaded?;
    for line in skip_report(&index, &skipped_paths).into_iter().chain(notes) {
        report(&line);
    }
    check_found(&index, inputs)?;
    Ok((index, skipped_paths))
}

/// The explorer over `paths`: the load runs on another thread while `tui::wait_for_load` waits,
/// showing the loading screen if it takes a while; the explorer then opens in the same terminal
/// session. Errors print (in `main`) only after the terminal is restored, and so do the skip
/// reports when the loading screen was shown (before the explorer, on a quick load, as `open`).
fn explore(
    inputs: &Inputs,
    forced: Option<Format>,
    trace: Option<&str>,
    span: Option<&str>,
) -> Result<(), Failure> {
    let progress = Arc::new(load::Progress::new());
    // Until the loading screen puts the terminal in raw mode, Ctrl-C is a SIGINT: it cancels too.
    let ctrl_c = load::progress::cancel_on_ctrl_c(&progress);
    let (tx, rx) = mpsc::sync_channel(1);
    let started = Instant::now();
    let names: Vec<String> = inputs
        .files
        .iter()
        .map(|p| if p.as_os_str() == "-" { "standard input".to_owned() } else { p.display().to_string() })
        .chain(inputs.plan.iter().flat_map(|plan| plan.backends.iter().map(ToString::to_string)))
        .collect();
    let thread = {
        let files = inputs.files.clone();
        let plan = inputs.plan.clone();
        let progress = Arc::clone(&progress);
        std::thread::Builder::new()
            .name("weft-load".to_owned())
            .spawn(move || {
                // The receiver is gone only if the user gave up waiting: nobody wants the result.
                // The explorer keeps the index for a while: compress what it rarely shows.
                let inputs = Inputs { files, plan };
                let loaded = load_and_index(&inputs, forced, &progress).map(|(mut index, skipped, notes)| {
                    index.compact_if_large();
                    (index, skipped, notes)
                });
                let _ = tx.send(loaded);
            })
            .map_err(|e| Failure::Explorer(anyhow::Error::new(e).context("starting the load")))?
    };
    let waited = tui::wait_for_load(&rx, &progress, &names, started).map_err(Failure::Explorer)?;
    drop(ctrl_c);
    let (loaded, session) = match waited {
        Waited::Done { result, session } => {
            let _ = thread.join();
            (result, session)
        }
        Waited::Cancelled { stopped } => {
            if stopped {
                let _ = thread.join();
            }
            return Err(Failure::Load(LoadError::cancelled("-")));
        }
    };
    // On a load error the session (if any) is dropped here, restoring the terminal first.
    let (index, skipped_paths, notes) = loaded?;
    let mut skipped = skip_report(&index, &skipped_paths);
    skipped.extend(notes);
    let shown = session.is_some();
    if !shown {
        for line in &skipped {
            report(line);
        }
    }
    let outcome = (|| {
        check_found(&index, inputs)?;
        let Selection { trace, span } = ids::resolve(&index, trace, span)?;
        let mut session = match session {
            Some(s) => s,
            None => Session::start().map_err(Failure::Explorer)?,
        };
        let open = OpenAt { trace, span };
        let result = match plan_fetcher(inputs).map_err(Failure::Explorer)? {
            // With trace stores, the explorer's index grows as it fetches the traces links lead to.
            Some(fetcher) => session.explore_live(index, None, Some(fetcher), open, skipped_paths.len()),
            None => session.explore(&index, open, skipped_paths.len()),
        };
        let restored = session.finish();
        result.and(restored).map_err(Failure::Explorer)
    })();
    if shown {
        for line in &skipped {
            report(line);
        }
    }
    outcome
}

/// Loads and indexes `inputs`, stopping early (with a cancelled `LoadError`) when `progress` is
/// cancelled. Also returns the trace stores' notes (see `backend::Plan::run`).
fn load_and_index(
    inputs: &Inputs,
    forced: Option<Format>,
    progress: &Arc<load::Progress>,
) -> Result<(Index, Vec<LoadError>, Vec<String>), LoadError> {
    let options = load::Options { forced, progress: Some(Arc::clone(progress)), ..Default::default() };
    let mut loaded = load::load_paths_with(&inputs.files, &options)?;
    let notes = match &inputs.plan {
        Some(plan) => plan.run(&mut loaded.dataset, progress)?,
        None => Vec::new(),
    };
    debug_slow_load(progress);
    if progress.is_cancelled() {
        return Err(LoadError::cancelled("-"));
    }
    let index = Index::build(loaded.dataset);
    if progress.is_cancelled() {
        return Err(LoadError::cancelled("-"));
    }
    Ok((index, loaded.skipped_paths, notes))
}

/// Test hook for the end-to-end tests of the loading screen: with `WEFT_DEBUG_SLOW_LOAD=<ms>`, a
/// debug build waits that long after parsing (ending early when the load is cancelled), so the
/// loading screen shows however fast the machine is. Release builds never read the variable.
fn debug_slow_load(progress: &load::Progress) {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("WEFT_DEBUG_SLOW_LOAD").ok().and_then(|v| v.parse::<u64>().ok()) {
        let until = Instant::now() + std::time::Duration::from_millis(ms);
        while !progress.is_cancelled() && Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = progress;
}

/// What `open` reports on stderr: records dropped inside files (with the first reasons), the other
/// signals (metrics, logs) files also hold, and
/// files in folders that could not be loaded.
fn skip_report(index: &Index, skipped_paths: &[LoadError]) -> Vec<String> {
    let mut lines = Vec::new();
    for file in &index.data.files {
        if file.skipped > 0 {
            lines.push(human::skip_summary(file));
            lines.extend(human::first_skip_reasons(file).map(|reason| format!("  {reason}")));
        }
        lines.extend(human::other_signals_note(file));
    }
    lines.extend(skipped_paths.iter().map(|e| format!("skipped file {e}")));
    lines
}

/// Fails when nothing in `inputs` was a trace file or a trace a store had.
fn check_found(index: &Index, inputs: &Inputs) -> Result<(), Failure> {
    if index.data.files.is_empty() {
        // `LoadError`'s Display escapes the path text.
        let list: Vec<String> = inputs
            .files
            .iter()
            .map(|p| p.display().to_string())
            .chain(inputs.plan.iter().flat_map(|plan| plan.backends.iter().map(ToString::to_string)))
            .collect();
        return Err(Failure::Load(LoadError::new(
            &list.join(", "),
            None,
            weft::model::Location::Unknown,
            if inputs.files.is_empty() { "no traces found" } else { "no trace files found" },
        )));
    }
    Ok(())
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
