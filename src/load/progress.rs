//! Progress and cancellation of a load, shared between the loading threads and whoever watches:
//! the CLI's stderr line (`Reporter`, `cancel_on_ctrl_c`) or the explorer's loading screen
//! (which reads `Progress::snapshot` while the load runs on another thread).
//!
//! The loaders add to plain atomic counters at record boundaries (a resourceSpans element, a
//! JSON Lines document, a Datadog trace chunk), so watching costs them one relaxed add per
//! record, and they check `is_cancelled` at the same points. A cancelled load returns a
//! `LoadError` for which `is_cancelled()` is true.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Counters a load updates while it runs. Share it as `Arc<Progress>`.
#[derive(Debug, Default)]
pub struct Progress {
    total: AtomicU64,
    done: AtomicU64,
    spans: AtomicU64,
    cancel: AtomicBool,
}

/// One reading of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Input bytes parsed so far (decompressed bytes for compressed files).
    pub bytes_done: u64,
    /// Input bytes known so far: the sizes of the files being loaded, corrected for compression
    /// once a file is decompressed.
    pub bytes_total: u64,
    /// Spans read so far.
    pub spans: u64,
}

impl Progress {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            bytes_done: self.done.load(Relaxed),
            bytes_total: self.total.load(Relaxed),
            spans: self.spans.load(Relaxed),
        }
    }

    /// Asks the load to stop at the next record boundary.
    pub fn cancel(&self) {
        self.cancel.store(true, Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Relaxed)
    }

    pub(crate) fn add_total(&self, bytes: u64) {
        self.total.fetch_add(bytes, Relaxed);
    }

    pub(crate) fn sub_total(&self, bytes: u64) {
        // Saturating: a watcher must never see the total wrap.
        let _ = self.total.fetch_update(Relaxed, Relaxed, |t| Some(t.saturating_sub(bytes)));
    }

    pub(crate) fn add_done(&self, bytes: u64) {
        self.done.fetch_add(bytes, Relaxed);
    }

    pub(crate) fn add_spans(&self, spans: u64) {
        self.spans.fetch_add(spans, Relaxed);
    }

    fn sub_done(&self, bytes: u64, spans: u64) {
        let _ = self.done.fetch_update(Relaxed, Relaxed, |d| Some(d.saturating_sub(bytes)));
        let _ = self.spans.fetch_update(Relaxed, Relaxed, |s| Some(s.saturating_sub(spans)));
    }
}

/// Gives back the pages of `input[offset..offset + len]` (a parser is done with them).
pub(crate) type Release<'p> = &'p (dyn Fn(usize, usize) + Sync);

/// Input bytes parsed between two releases of the pages behind the parser.
const RELEASE_EVERY: usize = 32 << 20;

/// Reports progress of one parse in steps: `step(pos, spans)` adds what was parsed since the
/// previous step (`pos` is a byte offset into the input, `spans` the parser's running count).
/// With a `Release`, it also hands back the input pages the parse has passed, every
/// `RELEASE_EVERY` bytes, so a mapped file does not stay resident beside what it became.
pub(crate) struct Ticker<'p> {
    progress: &'p Progress,
    release: Option<Release<'p>>,
    /// Input before this offset has been released (or must be kept, see `keep_until`).
    released: usize,
    pos: usize,
    spans: usize,
    /// Everything this ticker added, to take it back with `undo`.
    added_bytes: u64,
    added_spans: u64,
}

impl std::fmt::Debug for Ticker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker").field("pos", &self.pos).field("spans", &self.spans).finish_non_exhaustive()
    }
}

impl<'p> Ticker<'p> {
    pub fn new(progress: &'p Progress, start: usize) -> Self {
        Self {
            progress,
            release: None,
            released: start,
            pos: start,
            spans: 0,
            added_bytes: 0,
            added_spans: 0,
        }
    }

    /// A ticker for a parse under `job` that starts at `start`.
    pub fn for_job(job: &super::Job<'p>, start: usize) -> Self {
        Self { release: job.release, ..Self::new(job.progress, start) }
    }

    /// Keeps the input before `pos` (read again later, like a v0.5 string table).
    pub fn keep_until(&mut self, pos: usize) {
        self.released = self.released.max(pos);
    }

    /// Adds the bytes up to `pos` and the spans up to `spans`; says whether to go on.
    #[inline]
    pub fn step(&mut self, pos: usize, spans: usize) -> bool {
        if pos > self.pos {
            let bytes = (pos - self.pos) as u64;
            self.progress.add_done(bytes);
            self.added_bytes += bytes;
            self.pos = pos;
        }
        if let Some(release) = self.release
            && pos >= self.released.saturating_add(RELEASE_EVERY)
        {
            release(self.released, pos - self.released);
            self.released = pos;
        }
        if spans > self.spans {
            let n = (spans - self.spans) as u64;
            self.progress.add_spans(n);
            self.added_spans += n;
            self.spans = spans;
        }
        !self.progress.is_cancelled()
    }

    pub fn cancelled(&self) -> bool {
        self.progress.is_cancelled()
    }

    /// Takes back everything reported, when the work is thrown away and done again.
    pub fn undo(&self) {
        self.progress.sub_done(self.added_bytes, self.added_spans);
    }
}

// ---------------------------------------------------------------------------------------------
// Front-end helpers: a stderr progress line for the CLI, and Ctrl-C as cancel.

/// How long a load runs before progress is shown: short loads stay silent.
pub const SHOW_AFTER: Duration = Duration::from_millis(500);
/// How often the progress line is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);
/// Width of the bar, in cells.
const BAR_WIDTH: usize = 24;

/// Draws a progress line on stderr while a load runs: a bar, bytes read of the total, MB/s and
/// spans per second. Only when stderr is a terminal, and only once the load has taken
/// `SHOW_AFTER`; the line is erased when the reporter is dropped.
#[derive(Debug)]
pub struct Reporter {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Reporter {
    /// Starts watching `progress` (does nothing when stderr is not a terminal).
    pub fn start(progress: Arc<Progress>) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self { stop: None, thread: None };
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("weft-progress".to_owned())
            .spawn(move || {
                let started = Instant::now();
                if stopped.recv_timeout(SHOW_AFTER) != Err(RecvTimeoutError::Timeout) {
                    return;
                }
                let mut drawn = false;
                loop {
                    let line = progress_line(progress.snapshot(), started.elapsed());
                    drawn |= write_stderr(&format!("\r{line}\x1b[K")).is_ok();
                    if stopped.recv_timeout(REDRAW_EVERY) != Err(RecvTimeoutError::Timeout) {
                        break;
                    }
                }
                if drawn {
                    // Erase the line so what follows starts on a clean one.
                    let _ = write_stderr("\r\x1b[K");
                }
            })
            .ok();
        Self { stop: Some(stop), thread }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn write_stderr(text: &str) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    err.write_all(text.as_bytes())?;
    err.flush()
}

/// `loading [#####·····]  512 / 1231 MB  410 MB/s  350k spans/s` (or `indexing…` once every
/// byte is read). Plain ASCII so any terminal shows it.
pub fn progress_line(s: Snapshot, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    let total = s.bytes_total.max(s.bytes_done).max(1);
    let filled = usize::try_from(s.bytes_done.saturating_mul(BAR_WIDTH as u64) / total).unwrap_or(0);
    let bar: String = (0..BAR_WIDTH).map(|i| if i < filled { '#' } else { '.' }).collect();
    let mb = |b: u64| b as f64 / 1e6;
    let what = if s.bytes_done >= s.bytes_total && s.bytes_total > 0 { "indexing" } else { "loading " };
    format!(
        "{what} [{bar}] {:.0} / {:.0} MB  {:.0} MB/s  {}k spans/s",
        mb(s.bytes_done),
        mb(s.bytes_total),
        mb(s.bytes_done) / secs,
        (s.spans as f64 / secs / 1e3).round()
    )
}

/// The load Ctrl-C cancels, if one is running (see `cancel_on_ctrl_c`).
static CURRENT: Mutex<Option<Arc<Progress>>> = Mutex::new(None);

/// Makes Ctrl-C (SIGINT) cancel the load `progress` belongs to while the returned guard lives:
/// the loaders stop at the next record boundary and return a cancelled `LoadError`. A second
/// Ctrl-C, or one with no load running, exits at once with status 130, as the default would.
pub fn cancel_on_ctrl_c(progress: &Arc<Progress>) -> CtrlCGuard {
    handle_interrupts();
    if let Ok(mut c) = CURRENT.lock() {
        *c = Some(Arc::clone(progress));
    }
    CtrlCGuard(())
}

/// Run before an interrupt ends the process; see `on_interrupt_exit`.
static BEFORE_EXIT: Mutex<Option<fn()>> = Mutex::new(None);

/// Sets (or clears) what runs before an interrupt that cancels nothing ends the process: the
/// explorer restores the terminal there, since `process::exit` runs no destructors.
pub fn on_interrupt_exit(hook: Option<fn()>) {
    handle_interrupts();
    if let Ok(mut h) = BEFORE_EXIT.lock() {
        *h = hook;
    }
}

/// Installs the SIGINT handler once: cancel the current load if there is one, else exit 130.
fn handle_interrupts() {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            let current = CURRENT.lock().ok().and_then(|c| c.clone());
            match current {
                Some(p) if !p.is_cancelled() => p.cancel(),
                _ => {
                    if let Some(hook) = BEFORE_EXIT.lock().ok().and_then(|mut h| h.take()) {
                        hook();
                    }
                    let _ = write_stderr("\r\x1b[K");
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
            }
        })
        .is_ok()
    });
}

/// Exit status of a process stopped by Ctrl-C (128 + SIGINT), as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

/// While alive, Ctrl-C cancels the load; dropping it ends that.
#[derive(Debug)]
pub struct CtrlCGuard(());

impl Drop for CtrlCGuard {
    fn drop(&mut self) {
        if let Ok(mut c) = CURRENT.lock() {
            *c = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_shows_share_rates_and_phase() {
        let s = Snapshot { bytes_done: 500_000_000, bytes_total: 1_000_000_000, spans: 400_000 };
        let line = progress_line(s, Duration::from_secs(2));
        assert_eq!(line, "loading  [############............] 500 / 1000 MB  250 MB/s  200k spans/s");
        let done = Snapshot { bytes_done: 10, bytes_total: 10, spans: 1 };
        assert!(progress_line(done, Duration::ZERO).starts_with("indexing [########################]"));
    }

    #[test]
    fn ticker_releases_what_the_parse_passed_in_large_steps_and_keeps_the_head() {
        let released = Mutex::new(Vec::new());
        let release = |offset: usize, len: usize| released.lock().unwrap().push((offset, len));
        let progress = Progress::new();
        let job =
            super::super::Job { workers: 1, min_chunk: 1, progress: &progress, release: Some(&release) };
        let mut t = Ticker::for_job(&job, 0);
        t.keep_until(100);
        t.step(RELEASE_EVERY, 0);
        assert!(released.lock().unwrap().is_empty(), "less than a step past the kept head");
        t.step(RELEASE_EVERY + 200, 0);
        t.step(RELEASE_EVERY + 300, 0);
        t.step(3 * RELEASE_EVERY, 0);
        assert_eq!(
            *released.lock().unwrap(),
            [(100, RELEASE_EVERY + 100), (RELEASE_EVERY + 200, 2 * RELEASE_EVERY - 200)]
        );
    }

    #[test]
    fn ticker_adds_deltas_and_undo_takes_them_back() {
        let p = Progress::new();
        p.add_total(100);
        let mut t = Ticker::new(&p, 10);
        assert!(t.step(40, 3));
        assert!(t.step(30, 2), "going back adds nothing");
        assert!(t.step(60, 5));
        assert_eq!(p.snapshot(), Snapshot { bytes_done: 50, bytes_total: 100, spans: 5 });
        let mut other = Ticker::new(&p, 60);
        other.step(100, 4);
        t.undo();
        assert_eq!(p.snapshot(), Snapshot { bytes_done: 40, bytes_total: 100, spans: 4 });
        other.undo();
        assert_eq!(p.snapshot(), Snapshot { bytes_done: 0, bytes_total: 100, spans: 0 });
        p.cancel();
        assert!(!t.step(70, 5));
    }
}
