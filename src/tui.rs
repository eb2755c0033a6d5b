//! Terminal setup/restore, the loading screen's wait and the explorer's event loop: the only
//! module that touches the terminal.
//!
//! A `Session` owns the terminal: `ratatui::try_init` enters raw mode and the alternate screen
//! and installs a panic hook that restores the terminal before the panic message prints; mouse
//! capture is switched on after it and off again on every exit path (including that panic hook
//! and dropping the session), so the shell never receives mouse escape codes afterwards. One
//! session shows the loading screen (`wait_for_load`) and then the explorer, without leaving the
//! alternate screen in between. With a source that grows (`weft listen`, `--follow`),
//! `Session::explore_live` applies the batches that arrived between frames.

use crate::app::action::Action;
use crate::app::filter::{Found, Job};
use crate::app::keymap::{self, Context, Key};
use crate::app::live::Parked;
use crate::app::search::Haystack;
use crate::app::{App, Effect, OpenAt};
use crate::backend::{self, FetchService, Fetched, Ticket};
use crate::index::{Growth, Index, TraceIdx};
use crate::load::progress::{Progress, SHOW_AFTER};
use crate::model::TraceId;
use crate::ui::loading::LoadingState;
use anyhow::Context as _;
use base64::Engine as _;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use std::collections::HashMap;
use std::io::{Write, stdout};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::{Duration, Instant};

/// The OSC 52 "set clipboard" sequence for `text`. Terminals that do not support it (or have it
/// switched off, as tmux does unless `set-clipboard` is on) ignore it silently.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64::engine::general_purpose::STANDARD.encode(text))
}

/// Puts `text` on the clipboard.
fn copy_to_clipboard(text: &str) -> anyhow::Result<()> {
    let mut out = stdout().lock();
    out.write_all(osc52(text).as_bytes()).context("writing to the clipboard")?;
    out.flush().context("writing to the clipboard")
}

/// Runs the interactive explorer until the user quits. Restores the terminal on every exit path.
/// `skipped_files` counts files in opened folders that could not be loaded, for the header.
pub fn run(index: &Index, open: OpenAt, skipped_files: usize) -> anyhow::Result<()> {
    let mut session = Session::start()?;
    let result = session.explore(index, open, skipped_files);
    let restored = session.finish();
    result?;
    restored
}

/// The terminal in raw mode on the alternate screen with mouse capture on, for as long as the
/// value lives: the loading screen and then the explorer run in one session, so the screen does
/// not flicker between them. `finish` (or dropping it) restores the terminal; the panic hook
/// installed by `start` restores it on a panic.
pub struct Session {
    terminal: ratatui::DefaultTerminal,
    restored: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("restored", &self.restored).finish_non_exhaustive()
    }
}

impl Session {
    /// Enters raw mode, the alternate screen and mouse capture.
    pub fn start() -> anyhow::Result<Self> {
        let terminal = match ratatui::try_init() {
            Ok(t) => t,
            Err(e) => {
                // Raw mode may already be on when entering the alternate screen failed.
                ratatui::restore();
                return Err(e).context("setting up the terminal");
            }
        };
        // Chain a hook that turns mouse capture off before ratatui's hook restores the rest.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(stdout(), DisableMouseCapture);
            previous(info);
        }));
        // A SIGINT from outside (the keyboard's Ctrl-C is a key in raw mode) must not leave the
        // shell in raw mode either.
        crate::load::progress::on_interrupt_exit(Some(restore_for_exit));
        let session = Self { terminal, restored: false };
        if let Err(e) = execute!(stdout(), EnableMouseCapture) {
            let _ = session.finish();
            return Err(e).context("enabling mouse capture");
        }
        Ok(session)
    }

    /// Runs the explorer over `index` until the user quits.
    pub fn explore(&mut self, index: &Index, open: OpenAt, skipped_files: usize) -> anyhow::Result<()> {
        let mut app = App::new(index, open);
        app.skipped_files = skipped_files;
        let terminal = &mut self.terminal;
        // Erase the loading screen (if one was shown) in one step: a frame reaches the terminal
        // in several writes, so a diff against the loading screen would leave parts of it on
        // screen for a moment after the explorer's first rows (the e2e test saw this).
        writing(|| terminal.clear()).context("drawing")?;
        // Large traces' search text is built on a worker thread (started by the first request),
        // so a key press never waits for it. The scope ends after the loop has returned and
        // dropped the request sender, which stops the worker after the build in hand.
        std::thread::scope(|scope| {
            app.build_haystacks_in_background(BACKGROUND_MIN_SPANS);
            let mut worker = Worker { scope, index, link: None };
            event_loop(terminal, &mut app, &mut worker)
        })
    }

    /// Turns mouse capture off and leaves raw mode and the alternate screen.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.restore()
    }

    fn restore(&mut self) -> anyhow::Result<()> {
        if self.restored {
            return Ok(());
        }
        self.restored = true;
        crate::load::progress::on_interrupt_exit(None);
        let mouse_off = execute!(stdout(), DisableMouseCapture);
        ratatui::restore();
        mouse_off.context("disabling mouse capture")
    }
}

/// Held while a frame is written. An interrupt's restore (on the signal thread) takes it first, so
/// the rest of a frame, which ends by hiding the cursor, cannot land after the restore.
static OUTPUT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs `write` (a frame, a clear) holding `OUTPUT`.
fn writing<R>(write: impl FnOnce() -> R) -> R {
    let _held = OUTPUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    write()
}

/// What an interrupt runs before it ends the process while a `Session` is up. It keeps `OUTPUT`
/// (the process exits right after), but waits for it at most a moment: a frame blocked on a
/// terminal that does not read must not keep weft from exiting.
fn restore_for_exit() {
    let deadline = std::time::Instant::now() + Duration::from_millis(200);
    let _held = loop {
        match OUTPUT.try_lock() {
            Ok(held) => break Some(held),
            Err(std::sync::TryLockError::Poisoned(p)) => break Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(std::sync::TryLockError::WouldBlock) => break None,
        }
    };
    // The cursor is shown by the terminal's destructor on the other paths; exit runs none.
    let _ = execute!(stdout(), DisableMouseCapture, ratatui::crossterm::cursor::Show);
    ratatui::restore();
}

impl Drop for Session {
    fn drop(&mut self) {
        // Error paths drop the session before `main` prints; the error is in what they return.
        let _ = self.restore();
    }
}

/// How a wait for a background load ended.
#[derive(Debug)]
pub enum Waited<T> {
    /// The load sent its result; `session` is the terminal if the loading screen was shown
    /// (the explorer goes on in it), `None` if the load was quick and nothing was drawn.
    Done { result: T, session: Option<Session> },
    /// The user cancelled on the loading screen (the terminal is restored). `stopped` says
    /// whether the load thread finished; a second cancel key does not wait for it.
    Cancelled { stopped: bool },
}

/// How often the loading screen is redrawn.
const LOADING_REDRAW: Duration = Duration::from_millis(100);
/// Longest wait for input on the loading screen before checking whether the load is done.
const LOADING_POLL: Duration = Duration::from_millis(20);

/// Waits for the load that sends its result on `rx`. Shows nothing if it ends within
/// `progress::SHOW_AFTER` of `started`; otherwise starts a `Session` and draws the loading
/// screen (`ui::loading`) about ten times a second until it ends. The keys bound to `Quit` in
/// `Context::Loading` (Ctrl-C, `q`, Esc) cancel the load (`progress.cancel()`) and wait for the
/// thread to stop; pressing one again gives up waiting. `paths` name the inputs, as given on the
/// command line.
pub fn wait_for_load<T>(
    rx: &Receiver<T>,
    progress: &Progress,
    paths: &[String],
    started: Instant,
) -> anyhow::Result<Waited<T>> {
    match rx.recv_timeout(SHOW_AFTER.saturating_sub(started.elapsed())) {
        Ok(result) => return Ok(Waited::Done { result, session: None }),
        Err(RecvTimeoutError::Disconnected) => anyhow::bail!("the loading thread stopped"),
        Err(RecvTimeoutError::Timeout) => {}
    }
    if progress.is_cancelled() {
        // Ctrl-C (SIGINT) before the screen was up: the load is stopping; do not flash a screen.
        return match rx.recv() {
            Ok(result) => Ok(Waited::Done { result, session: None }),
            Err(_) => anyhow::bail!("the loading thread stopped"),
        };
    }
    let mut session = Session::start()?;
    // crossterm starts listening for SIGWINCH on its first poll; resizes from now on are seen.
    event::poll(Duration::ZERO).context("reading terminal input")?;
    let mut cancelling = false;
    let mut last_draw: Option<Instant> = None;
    let mut read_for = None;
    let no_color = crate::ui::theme::no_color_requested();
    loop {
        match rx.try_recv() {
            Ok(result) if !cancelling => return Ok(Waited::Done { result, session: Some(session) }),
            Ok(_) => {
                session.finish()?;
                return Ok(Waited::Cancelled { stopped: true });
            }
            Err(TryRecvError::Disconnected) => anyhow::bail!("the loading thread stopped"),
            Err(TryRecvError::Empty) => {}
        }
        // A SIGINT sent from elsewhere cancels too (see `progress::cancel_on_ctrl_c`).
        cancelling |= progress.is_cancelled();
        if last_draw.is_none_or(|t| t.elapsed() >= LOADING_REDRAW) {
            let snapshot = progress.snapshot();
            let elapsed = started.elapsed();
            if read_for.is_none() && snapshot.bytes_total > 0 && snapshot.bytes_done >= snapshot.bytes_total {
                read_for = Some(elapsed);
            }
            let state = LoadingState { paths, snapshot, elapsed, read_for, cancelling };
            writing(|| {
                session.terminal.draw(|frame| {
                    frame.render_widget(&state, frame.area());
                    if no_color {
                        crate::ui::theme::monochrome(frame.buffer_mut());
                    }
                })
            })
            .context("drawing")?;
            last_draw = Some(Instant::now());
        }
        if !event::poll(LOADING_POLL).context("reading terminal input")? {
            continue;
        }
        match event::read().context("reading terminal input")? {
            Event::Key(ev) => {
                let Some(key) = Key::from_event(&ev) else { continue };
                for key in keymap::as_typed(&[Context::Loading], key) {
                    if keymap::lookup(&[Context::Loading], key) != Some(Action::Quit) {
                        continue;
                    }
                    if cancelling {
                        session.finish()?;
                        return Ok(Waited::Cancelled { stopped: false });
                    }
                    progress.cancel();
                    cancelling = true;
                    last_draw = None;
                }
            }
            // Redraw at once at the new size.
            Event::Resize(..) => last_draw = None,
            _ => {}
        }
    }
}

/// Test hook for the end-to-end test of terminal restore on panic: with `WEFT_DEBUG_PANIC=1`, a
/// debug build panics once the first frame is on screen. Release builds never read the variable.
fn debug_panic_after_first_frame() {
    #[cfg(debug_assertions)]
    if std::env::var_os("WEFT_DEBUG_PANIC").is_some_and(|v| v == "1") {
        panic!("WEFT_DEBUG_PANIC: deliberate panic after the first frame");
    }
}

/// Traces with at least this many spans get their search text built on the worker, as soon as
/// they open (~1.3 µs a span, so 20,000 spans is ~25 ms); smaller ones are built synchronously
/// by the first keystroke of a search, too quickly to be felt and without a "preparing" flicker.
const BACKGROUND_MIN_SPANS: usize = 20_000;
/// Longest wait for input while a haystack is being built, before checking whether it is done.
const HAYSTACK_POLL: Duration = Duration::from_millis(15);

/// What the worker is asked to do.
enum Work {
    Haystack(TraceIdx),
    Query(Job),
}

/// What the worker hands back: a haystack for the trace it names, or a query's result.
enum Done {
    Haystack(TraceIdx, Haystack),
    Query(u64, Found),
}

/// The explorer's side of the worker that builds haystacks and runs queries: its thread starts
/// with the first request, so small inputs (no trace large enough) never start one.
struct Worker<'scope, 'env> {
    scope: &'scope std::thread::Scope<'scope, 'env>,
    index: &'env Index,
    /// Requests to the running worker, and its results.
    link: Option<(Sender<Work>, Receiver<Done>)>,
}

impl Worker<'_, '_> {
    /// Sends a request, starting the thread if needed; false if the worker is gone.
    fn send(&mut self, work: Work) -> bool {
        let (requests, _) = self.link.get_or_insert_with(|| {
            let (requests, to_build) = mpsc::channel();
            let (built, results) = mpsc::channel();
            let index = self.index;
            self.scope.spawn(move || worker(index, &to_build, &built));
            (requests, results)
        });
        requests.send(work).is_ok()
    }
}

/// Builds the haystacks and runs the queries the explorer asks for until it hangs up. Requests
/// that queued up meanwhile are served newest first (the trace opened last is the one in view),
/// and of several queries only the newest runs: the older ones' texts were typed over.
fn worker(index: &Index, requests: &Receiver<Work>, results: &Sender<Done>) {
    let mut queue: Vec<Work> = Vec::new();
    loop {
        if queue.is_empty() {
            match requests.recv() {
                Ok(w) => queue.push(w),
                Err(_) => return,
            }
        }
        while let Ok(w) = requests.try_recv() {
            queue.retain(|q| match (q, &w) {
                (Work::Haystack(a), Work::Haystack(b)) => a != b,
                (Work::Query(_), Work::Query(_)) => false,
                _ => true,
            });
            queue.push(w);
        }
        let done = match queue.pop() {
            Some(Work::Haystack(t)) => Done::Haystack(t, Haystack::build(index, t)),
            Some(Work::Query(job)) => Done::Query(job.id, job.run(index)),
            None => continue,
        };
        if results.send(done).is_err() {
            return;
        }
    }
}

/// Does what the app asked for, in order: clipboard writes, haystack requests for the worker
/// (if it is gone, the app builds them itself from then on) and fetches for the fetcher. After
/// quitting, only the clipboard: a build nobody will search would hold up the exit.
fn run_effects(
    app: &mut App<'_>,
    mut worker: Option<&mut Worker<'_, '_>>,
    fetcher: Option<&mut Fetcher>,
) -> anyhow::Result<()> {
    if let Some(f) = fetcher {
        f.run_effects(app);
    }
    for effect in std::mem::take(&mut app.effects) {
        match effect {
            // Only without a fetcher (it took its own): there is nowhere to fetch from.
            Effect::Fetch(trace) => {
                app.fetch_failed(trace, false, "no trace store to fetch from (--backend URL)")
            }
            Effect::CancelFetch(_) => {}
            Effect::Copy(text) => copy_to_clipboard(&text)?,
            // Once the worker is found gone, `stop_building_in_background` has cleared what was
            // pending: the requests still in hand are dropped.
            Effect::BuildHaystack(t) if !app.quit && app.haystacks_pending() => {
                if !worker.as_mut().is_some_and(|w| w.send(Work::Haystack(t))) {
                    app.stop_building_in_background();
                }
            }
            Effect::BuildHaystack(_) => {}
            Effect::RunQuery(job) if !app.quit => {
                if !worker.as_mut().is_some_and(|w| w.send(Work::Query(job))) {
                    app.stop_building_in_background();
                }
            }
            Effect::RunQuery(_) => {}
        }
    }
    Ok(())
}

/// The next terminal event. While a haystack is being built, input is polled with a short
/// timeout and finished haystacks are delivered in between; `None` means one was delivered (or
/// the worker stopped), so the screen should be redrawn.
fn next_event(app: &mut App<'_>, worker: &Worker<'_, '_>) -> anyhow::Result<Option<Event>> {
    loop {
        let results = match &worker.link {
            Some((_, results)) if app.haystacks_pending() || app.queries_pending() => results,
            _ => return event::read().context("reading terminal input").map(Some),
        };
        match results.try_recv() {
            Ok(Done::Haystack(t, hay)) => {
                app.deliver_haystack(t, hay);
                return Ok(None);
            }
            Ok(Done::Query(id, found)) => {
                app.deliver_query(id, found);
                return Ok(None);
            }
            Err(TryRecvError::Disconnected) => {
                app.stop_building_in_background();
                return Ok(None);
            }
            Err(TryRecvError::Empty) => {}
        }
        if event::poll(HAYSTACK_POLL).context("reading terminal input")? {
            return event::read().context("reading terminal input").map(Some);
        }
    }
}

/// Draw, wait for one event, update. The data is static, so there is no tick; only while a
/// haystack is being built does the wait wake up to check for it.
fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App<'_>,
    worker: &mut Worker<'_, '_>,
) -> anyhow::Result<()> {
    // crossterm starts listening for SIGWINCH on its first poll/read; do that before the first
    // frame, so a resize right after it is drawn is not lost (the e2e resize test hit this).
    event::poll(std::time::Duration::ZERO).context("reading terminal input")?;
    let size = terminal.size().context("reading the terminal size")?;
    app.resize(size.width, size.height);
    let no_color = crate::ui::theme::no_color_requested();
    while !app.quit {
        run_effects(app, Some(worker), None)?;
        draw(terminal, app, no_color)?;
        debug_panic_after_first_frame();
        let Some(event) = next_event(app, worker)? else { continue };
        handle_event(app, event);
    }
    // A copy asked for by the last key still goes out.
    run_effects(app, Some(worker), None)
}

/// Draws one frame of `app`.
fn draw(terminal: &mut ratatui::DefaultTerminal, app: &App<'_>, no_color: bool) -> anyhow::Result<()> {
    writing(|| {
        terminal.draw(|frame| {
            crate::ui::render(frame, app);
            if no_color {
                crate::ui::theme::monochrome(frame.buffer_mut());
            }
        })
    })
    .context("drawing")?;
    Ok(())
}

/// A terminal event becomes a state change.
fn handle_event(app: &mut App<'_>, event: Event) {
    match event {
        Event::Key(ev) => {
            if let Some(key) = Key::from_event(&ev) {
                app.handle_key(key);
            }
        }
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => app.wheel(m.column, m.row, true),
            MouseEventKind::ScrollUp => app.wheel(m.column, m.row, false),
            MouseEventKind::Down(MouseButton::Left) => app.click(m.column, m.row),
            _ => {}
        },
        Event::Resize(w, h) => app.resize(w, h),
        _ => {}
    }
}

/// How long the live explorer waits for input before looking for batches and fetched traces.
const LIVE_TICK: Duration = Duration::from_millis(50);
/// How often the live header's rate is measured.
const RATE_EVERY: Duration = Duration::from_secs(1);
/// Batches merged into one extend at most, so a flood cannot hold up the next frame for long.
const LIVE_BATCHES_PER_FRAME: usize = 64;
/// Fetched traces applied between two frames at most (each lays the open trace out again).
const FETCHED_PER_FRAME: usize = 16;
/// Threads fetching from the stores at once, and fetches that may wait for one (`f` asks for
/// every missing neighbour at once; more than this waiting is answered "busy").
const FETCH_WORKERS: usize = 4;
const FETCH_QUEUE: usize = 1024;

/// Where the live explorer's data comes from, and how much of it it may hold.
pub struct LiveSource {
    /// Decoded batches, already saved (listen) or read (follow); bounded by its sender.
    pub batches: Receiver<crate::model::Dataset>,
    /// Spans the explorer holds at most (`--max-spans`); past it, the oldest traces are dropped.
    pub max_spans: u64,
}

impl LiveSource {
    /// Past `max_spans`, the oldest traces go until this many spans are left: a quarter of the
    /// limit at once, so the rebuild that drops them is rare however fast spans arrive.
    fn keep_after_dropping(&self) -> usize {
        usize::try_from(self.max_spans - self.max_spans / 4).unwrap_or(usize::MAX)
    }
}

/// The explorer's side of the trace stores (`--backend`): a `FetchService`, the tickets of the
/// fetches in flight (so `Esc` can cancel them) and the channel their answers come back on.
pub struct Fetcher {
    service: FetchService,
    tickets: HashMap<TraceId, Ticket>,
    answers: Receiver<Fetched>,
}

impl Fetcher {
    /// Starts the fetch threads for `backends` (asked in order; the first that has a trace wins).
    pub fn start(client: backend::Client, backends: Vec<backend::Backend>) -> std::io::Result<Self> {
        let (tx, answers) = mpsc::channel();
        let service = FetchService::start(client, backends, FETCH_WORKERS, FETCH_QUEUE, move |f| {
            // The explorer has quit when nobody receives: the answer is not wanted.
            let _ = tx.send(f);
        })?;
        Ok(Self { service, tickets: HashMap::new(), answers })
    }

    /// How the app names the stores: their kinds, each once (`jaeger`, `jaeger, tempo`).
    pub fn stores(&self) -> String {
        let mut names: Vec<&str> = Vec::new();
        for b in self.service.backends() {
            if !names.contains(&b.kind.name()) {
                names.push(b.kind.name());
            }
        }
        names.join(", ")
    }

    /// Queues a fetch of `trace` for `app`; a full queue is a failure the app shows.
    pub fn request(&mut self, app: &mut App<'_>, trace: TraceId) {
        match self.service.try_request(trace) {
            Ok(ticket) => {
                self.tickets.insert(trace, ticket);
            }
            Err(busy) => app.fetch_failed(trace, false, &format!("{}: {busy}", self.stores())),
        }
    }

    pub fn cancel(&mut self, trace: TraceId) {
        if let Some(ticket) = self.tickets.remove(&trace) {
            self.service.cancel(ticket);
        }
    }

    /// An answer that has come, if any; never waits.
    pub fn try_answer(&mut self) -> Option<Fetched> {
        while let Ok(answer) = self.answers.try_recv() {
            if self.wanted(&answer) {
                return Some(answer);
            }
        }
        None
    }

    /// Waits up to `timeout` for an answer (for tests, which have no frames to draw meanwhile).
    pub fn wait_answer(&mut self, timeout: Duration) -> Option<Fetched> {
        let deadline = Instant::now() + timeout;
        while let Ok(answer) = self.answers.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if self.wanted(&answer) {
                return Some(answer);
            }
        }
        None
    }

    /// Whether `answer` is for a fetch still asked for. One cancelled after its worker had sent
    /// the answer is dropped here, so a cancelled trace never joins the index.
    fn wanted(&mut self, answer: &Fetched) -> bool {
        if self.tickets.get(&answer.trace) == Some(&answer.ticket) {
            self.tickets.remove(&answer.trace);
            return true;
        }
        false
    }

    /// Hands the app's `Fetch`/`CancelFetch` effects to the service (leaving the others), as
    /// the event loop does before each frame.
    pub fn run_effects(&mut self, app: &mut App<'_>) {
        let effects = std::mem::take(&mut app.effects);
        let mut kept = Vec::new();
        for effect in effects {
            match effect {
                Effect::Fetch(trace) => self.request(app, trace),
                Effect::CancelFetch(trace) => self.cancel(trace),
                other => kept.push(other),
            }
        }
        app.effects.splice(0..0, kept);
    }
}

/// One answer taken in between two frames: a trace goes into the index through `Index::extend`
/// (the path live batches take: `App::park`, extend, `Parked::resume`) and the app is told it
/// arrived; a failure only goes to the app. Two steps, so the index is borrowed mutably only
/// while it grows: `let taken = take_fetched(&mut index, answer); app = taken.resume(parked, &index)`.
pub fn take_fetched(index: &mut Index, answer: Fetched) -> Taken {
    let outcome = match answer.result {
        Ok(ds) => {
            let from = ds.files.first().map(|f| f.path.clone()).unwrap_or_default();
            Ok((index.extend(ds), from))
        }
        Err(e) => Err((e.is_not_found(), e.to_string())),
    };
    Taken { trace: answer.trace, outcome }
}

/// A fetched answer applied to the index, for the app to hear of (`take_fetched`).
pub struct Taken {
    trace: TraceId,
    /// The growth and where the trace came from, or whether it was not found and why.
    outcome: Result<(Growth, String), (bool, String)>,
}

impl Taken {
    pub fn resume(self, parked: Parked, index: &Index) -> App<'_> {
        match self.outcome {
            Ok((growth, from)) => {
                let mut app = parked.resume(index, &growth);
                app.fetch_arrived(self.trace, &from);
                app
            }
            Err((not_found, reason)) => {
                let mut app = parked.resume(index, &Growth::default());
                app.fetch_failed(self.trace, not_found, &reason);
                app
            }
        }
    }
}

impl Session {
    /// The explorer over an index that grows: between frames, the batches that arrived from
    /// `source` (`weft listen`, `--follow`) are merged and applied with `Index::extend`
    /// (`App::park` / `Parked::resume`), and so are the traces `fetcher` brought from the
    /// `--backend` stores. Input is polled every `LIVE_TICK` while anything may arrive, so the
    /// explorer never waits on a source; with only stores and nothing in flight it waits for
    /// input alone. Haystacks are built on the UI thread (a worker cannot borrow an index that
    /// grows).
    pub fn explore_live(
        &mut self,
        mut index: Index,
        source: Option<&LiveSource>,
        mut fetcher: Option<Fetcher>,
        open: OpenAt,
        skipped_files: usize,
    ) -> anyhow::Result<()> {
        let terminal = &mut self.terminal;
        writing(|| terminal.clear()).context("drawing")?;
        event::poll(Duration::ZERO).context("reading terminal input")?;
        let mut app = App::new(&index, open);
        app.skipped_files = skipped_files;
        if source.is_some() {
            app.live = Some(crate::app::live::Live::default());
        }
        if let Some(f) = &fetcher {
            app.remote = Some(crate::app::fetch::Remote::new(f.stores()));
        }
        let size = terminal.size().context("reading the terminal size")?;
        app.resize(size.width, size.height);
        let no_color = crate::ui::theme::no_color_requested();
        let mut meter = (Instant::now(), 0u64);
        let mut connected = source.is_some();
        // One frame: effects, drawing, input. Live, input is polled so batches are not held up.
        let frame = |terminal: &mut ratatui::DefaultTerminal,
                     app: &mut App<'_>,
                     fetcher: Option<&mut Fetcher>|
         -> anyhow::Result<()> {
            run_effects(app, None, fetcher)?;
            draw(terminal, app, no_color)?;
            debug_panic_after_first_frame();
            // With only stores and nothing in flight, nothing arrives unasked: wait for input.
            let waits = source.is_none() && !app.is_fetching();
            if waits || event::poll(LIVE_TICK).context("reading terminal input")? {
                handle_event(app, event::read().context("reading terminal input")?);
            }
            Ok(())
        };
        while !app.quit {
            frame(terminal, &mut app, fetcher.as_mut())?;
            if let Some(f) = fetcher.as_mut() {
                for _ in 0..FETCHED_PER_FRAME {
                    let Some(answer) = f.try_answer() else { break };
                    let parked = app.park();
                    let taken = take_fetched(&mut index, answer);
                    app = taken.resume(parked, &index);
                }
            }
            let Some(source) = source else { continue };
            let mut merged: Option<crate::model::Dataset> = None;
            for _ in 0..LIVE_BATCHES_PER_FRAME {
                if !connected {
                    break;
                }
                match source.batches.try_recv() {
                    Ok(batch) => match &mut merged {
                        Some(m) => m.append(batch),
                        None => merged = Some(batch),
                    },
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => connected = false,
                }
            }
            if let Some(batch) = merged {
                app.live.get_or_insert_default().received += batch.spans.len() as u64;
                let parked = app.park();
                let growth = index.extend(batch);
                app = parked.resume(&index, &growth);
            }
            if index.span_count() as u64 > source.max_spans {
                // The rebuild runs beside the UI, which keeps drawing the old index (no batch or
                // fetched trace is taken meanwhile: batches wait in the bounded queue, and so do
                // their senders).
                let (gone, evicted) = index.oldest_beyond(source.keep_after_dropping());
                app.live.get_or_insert_default().dropping = true;
                let rebuilt = std::thread::scope(|scope| -> anyhow::Result<Index> {
                    let job = std::thread::Builder::new()
                        .name("weft-drop-oldest".to_owned())
                        .spawn_scoped(scope, || index.without(&gone))
                        .context("starting to drop the oldest traces")?;
                    while !job.is_finished() {
                        frame(terminal, &mut app, fetcher.as_mut())?;
                    }
                    job.join().map_err(|_| anyhow::anyhow!("dropping the oldest traces failed"))
                })?;
                app.live.get_or_insert_default().dropping = false;
                let parked = app.park_by_id();
                index = rebuilt;
                app = parked.resume(&index, evicted);
            }
            let live = app.live.get_or_insert_default();
            if meter.0.elapsed() >= RATE_EVERY {
                live.rate = (live.received - meter.1) as f64 / meter.0.elapsed().as_secs_f64();
                meter = (Instant::now(), live.received);
            }
        }
        run_effects(&mut app, None, fetcher.as_mut())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_wraps_base64_text() {
        assert_eq!(super::osc52("ab c"), "\x1b]52;c;YWIgYw==\x07");
    }

    /// An answer the service had already sent when its fetch was cancelled is dropped, and so is
    /// one for an earlier request of the same trace.
    #[test]
    fn answers_to_cancelled_fetches_are_dropped() {
        use super::*;
        let client = backend::Client::new(Duration::from_secs(1), Vec::new());
        let store = backend::address::parse("zipkin+http://127.0.0.1:1").expect("a store").backend;
        let mut fetcher = Fetcher::start(client, vec![store]).expect("starts");
        let answer = |ticket| Fetched {
            ticket: Ticket(ticket),
            trace: TraceId(1),
            result: Err(backend::FetchError::Cancelled { url: "u".into() }),
        };
        fetcher.tickets.insert(TraceId(1), Ticket(7));
        assert!(!fetcher.wanted(&answer(6)), "an older request's answer");
        assert!(fetcher.wanted(&answer(7)));
        fetcher.tickets.insert(TraceId(1), Ticket(8));
        fetcher.cancel(TraceId(1));
        assert!(!fetcher.wanted(&answer(8)), "cancelled after it was sent");
    }
}
