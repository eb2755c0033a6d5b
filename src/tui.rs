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
use crate::app::search::Haystack;
use crate::app::{App, Effect, OpenAt};
use crate::index::{Index, TraceIdx};
use crate::load::progress::{Progress, SHOW_AFTER};
use crate::ui::loading::LoadingState;
use anyhow::Context as _;
use base64::Engine as _;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
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

/// Does what the app asked for, in order: clipboard writes, and haystack requests for the
/// worker (if it is gone, the app builds them itself from then on). After quitting, only the
/// clipboard: a build nobody will search would hold up the exit.
fn run_effects(app: &mut App<'_>, mut worker: Option<&mut Worker<'_, '_>>) -> anyhow::Result<()> {
    for effect in std::mem::take(&mut app.effects) {
        match effect {
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
        run_effects(app, Some(worker))?;
        draw(terminal, app, no_color)?;
        debug_panic_after_first_frame();
        let Some(event) = next_event(app, worker)? else { continue };
        handle_event(app, event);
    }
    // A copy asked for by the last key still goes out.
    run_effects(app, Some(worker))
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

/// How long the live explorer waits for input before looking for batches.
const LIVE_TICK: Duration = Duration::from_millis(50);
/// How often the live header's rate is measured.
const RATE_EVERY: Duration = Duration::from_secs(1);
/// Batches merged into one extend at most, so a flood cannot hold up the next frame for long.
const LIVE_BATCHES_PER_FRAME: usize = 64;

/// Where the live explorer's data comes from, and how much of it it may hold.
pub struct LiveSource {
    /// Decoded batches, already saved (listen) or read (follow); bounded by its sender.
    pub batches: Receiver<crate::model::Dataset>,
    /// Spans the explorer holds at most (`--max-spans`); past it, batches are counted, not shown.
    pub max_spans: u64,
}

impl Session {
    /// The explorer over an index that grows: between frames, the batches that arrived are
    /// merged and applied with `Index::extend` (`App::park` / `Parked::resume`). Input is polled
    /// every `LIVE_TICK`, so the explorer never waits on a source. Haystacks are built on the UI
    /// thread (a worker cannot borrow an index that grows).
    pub fn explore_live(
        &mut self,
        mut index: Index,
        source: &LiveSource,
        skipped_files: usize,
    ) -> anyhow::Result<()> {
        let terminal = &mut self.terminal;
        writing(|| terminal.clear()).context("drawing")?;
        event::poll(Duration::ZERO).context("reading terminal input")?;
        let mut app = App::new(&index, OpenAt::default());
        app.skipped_files = skipped_files;
        app.live = Some(crate::app::live::Live::default());
        let size = terminal.size().context("reading the terminal size")?;
        app.resize(size.width, size.height);
        let no_color = crate::ui::theme::no_color_requested();
        let mut meter = (Instant::now(), 0u64);
        let mut connected = true;
        while !app.quit {
            run_effects(&mut app, None)?;
            draw(terminal, &app, no_color)?;
            debug_panic_after_first_frame();
            if event::poll(LIVE_TICK).context("reading terminal input")? {
                handle_event(&mut app, event::read().context("reading terminal input")?);
            }
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
            let live = app.live.get_or_insert_default();
            if let Some(batch) = merged {
                let spans = batch.spans.len() as u64;
                live.received += spans;
                if index.span_count() as u64 + spans > source.max_spans {
                    live.not_shown += spans;
                } else {
                    let parked = app.park();
                    let growth = index.extend(batch);
                    app = parked.resume(&index, &growth);
                }
            }
            let live = app.live.get_or_insert_default();
            if meter.0.elapsed() >= RATE_EVERY {
                live.rate = (live.received - meter.1) as f64 / meter.0.elapsed().as_secs_f64();
                meter = (Instant::now(), live.received);
            }
        }
        run_effects(&mut app, None)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_wraps_base64_text() {
        assert_eq!(super::osc52("ab c"), "\x1b]52;c;YWIgYw==\x07");
    }
}
