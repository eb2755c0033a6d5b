//! End to end: the real `weft` binary in a pseudo-terminal (portable-pty), its output fed to a
//! terminal emulator (vt100), keys typed as a person would. Every wait is for text on the
//! screen with a timeout; nothing sleeps blindly.

#[path = "common/peers.rs"]
mod peers;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

// Generous: CI shares 2 cores with the build; the wait ends as soon as the text appears.
const TIMEOUT: Duration = Duration::from_secs(60);
const ROWS: u16 = 24;
const COLS: u16 = 80;

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).expect("sizes in these tests are not zero")
}

struct Session {
    parser: vt100::Parser,
    output: Receiver<Vec<u8>>,
    input: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    /// Everything the program wrote, to check what it left the terminal in.
    raw: Vec<u8>,
}

impl Session {
    fn start(args: &[&str]) -> Self {
        Self::start_env(args, &[])
    }

    fn start_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let pty = native_pty_system()
            .openpty(PtySize { rows: ROWS, cols: COLS, pixel_width: 0, pixel_height: 0 })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_weft"));
        cmd.args(args);
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn weft");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let input = pty.master.take_writer().expect("pty writer");
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Self {
            parser: vt100::Parser::new(nz(ROWS), nz(COLS), 0),
            output,
            input,
            child,
            master: pty.master,
            raw: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        // Answer a cursor-position query, as a real terminal would, in case the program asks.
        if bytes.windows(4).any(|w| w == b"\x1b[6n") {
            let _ = self.input.write_all(b"\x1b[1;1R");
        }
        self.raw.extend_from_slice(bytes);
        self.parser.process(bytes);
    }

    fn screen_text(&self) -> String {
        self.parser.screen().contents()
    }

    fn row(&self, r: u16) -> String {
        let (_, cols) = self.parser.screen().size();
        self.parser.screen().rows(0, cols.get()).nth(usize::from(r)).unwrap_or_default()
    }

    /// Resizes the pty (the program gets SIGWINCH) and the emulator alike.
    fn resize(&mut self, rows: u16, cols: u16) {
        self.master.resize(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("resize pty");
        self.parser.set_size(nz(rows), nz(cols));
    }

    /// Waits until `pred` holds for the screen, or fails with the screen's text.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if pred(self) {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.feed(&bytes),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("timed out waiting for {what}; screen:\n{}", self.screen_text())
                }
                Err(RecvTimeoutError::Disconnected) => {
                    assert!(pred(self), "weft exited before {what}; screen:\n{}", self.screen_text());
                    return;
                }
            }
        }
    }

    fn wait_for_text(&mut self, text: &str) {
        let t = text.to_owned();
        self.wait_for(&format!("{text:?}"), move |s| s.screen_text().contains(&t));
    }

    fn send(&mut self, bytes: &[u8]) {
        self.input.write_all(bytes).expect("write to pty");
        self.input.flush().expect("flush pty");
    }

    /// Waits for the process to exit (draining its output meanwhile); returns its exit code.
    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Collect what is still in flight: the reader ends when the pty closes.
                while let Ok(bytes) = self.output.recv_timeout(Duration::from_millis(500)) {
                    self.feed(&bytes);
                }
                return status.exit_code();
            }
            assert!(Instant::now() < deadline, "weft did not exit; screen:\n{}", self.screen_text());
            // Block on output rather than spinning; a quiet pty times out quickly.
            if let Ok(bytes) = self.output.recv_timeout(Duration::from_millis(50)) {
                self.feed(&bytes);
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
    }
}

/// Datadog v0.4 JSON (the first loader on main): two producer traces and a batch consumer
/// linking to both plus one trace that is not in the file.
const FIXTURE: &str = "tests/fixtures/e2e/batch.dd.json";
const CONSUMER: &str = "c0ffee00000000000000000000000001";

#[test]
fn follow_a_link_to_another_trace_go_back_and_quit_cleanly() {
    let mut s = Session::start(&[FIXTURE, "--trace", CONSUMER, "--span", "c1"]);
    s.wait_for("the consumer span in the header", |s| {
        s.row(0).contains("trace c0ffee00… › worker consume batch")
    });
    assert!(s.parser.screen().alternate_screen(), "the explorer runs on the alternate screen");

    s.send(b"3");
    s.wait_for_text("Links 3↗ 0↙");
    s.wait_for_text("↗ to   trace 11112222  orders publish");
    // A frame can arrive in several reads, so every check waits rather than asserting at once.
    s.wait_for_text("↗ to   not loaded      trace dead0000…");

    s.send(b"\r");
    s.wait_for("the producer in the header, after a breadcrumb", |s| {
        s.row(0).contains("worker consume batch → trace 11112222… › orders publish")
    });

    s.send(b"\x7f");
    s.wait_for("back at the consumer", |s| {
        let top = s.row(0);
        top.contains("trace c0ffee00… › worker consume batch") && !top.contains("→")
    });

    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    let screen = s.parser.screen();
    assert!(!screen.alternate_screen(), "alternate screen left");
    assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None, "mouse capture off");
    assert!(!screen.hide_cursor(), "cursor shown again");
}

#[test]
fn list_first_with_several_traces_then_open_and_ctrl_c() {
    let mut s = Session::start(&[FIXTURE]);
    s.wait_for_text("weft · 3 traces");
    s.wait_for_text("consume batch");
    // Filter to the consumer and open it.
    s.send(b"/c0ffee\r");
    s.wait_for_text("filter “c0ffee”: 1 of 3");
    s.send(b"\r");
    s.wait_for("the consumer trace", |s| s.row(0).contains("trace c0ffee00…"));
    s.send(b"\x03");
    assert_eq!(s.wait_exit(), 0);
    assert!(!s.parser.screen().alternate_screen());
}

/// Esc pressed quickly before a key reaches weft as the bytes of Alt with that key (`\x1bT`); an
/// Alt key with no binding of its own is both presses: here Esc ends the search and T opens the
/// stitched timeline.
#[test]
fn esc_then_a_key_sent_together_does_both() {
    let mut s = Session::start(&[FIXTURE, "--trace", CONSUMER]);
    s.wait_for_text("consume batch");
    s.send(b"/batch\r");
    s.wait_for("the kept search in the footer", |s| s.row(ROWS - 1).contains("/batch"));
    s.send(b"\x1bT");
    s.wait_for_text("stitched timeline · ");
    s.wait_for("the search cleared by Esc", |s| !s.row(ROWS - 1).contains("/batch"));
    // And back out: Esc, then j moving down the trace (Alt-j is bound nowhere either).
    s.send(b"\x1bj");
    s.wait_for("the timeline closed", |s| !s.screen_text().contains("stitched timeline"));
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
}

/// `Y` puts the selected span on the clipboard as JSON: an OSC 52 sequence whose base64 decodes to
/// one JSON object for that span, and a confirmation in the footer.
#[test]
fn shift_y_sends_the_span_as_json_through_osc_52() {
    use base64::Engine as _;
    let mut s = Session::start(&[FIXTURE, "--trace", CONSUMER, "--span", "c1"]);
    s.wait_for_text("consume batch");
    s.send(b"Y");
    s.wait_for_text("as JSON (");
    let start = s.raw.windows(7).position(|w| w == b"\x1b]52;c;").expect("an OSC 52 sequence") + 7;
    let len = s.raw[start..].iter().position(|&b| b == 0x07).expect("the sequence ends");
    let json = base64::engine::general_purpose::STANDARD.decode(&s.raw[start..start + len]).expect("base64");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("one JSON object");
    assert_eq!(v["trace_id"], CONSUMER);
    assert_eq!(v["span_id"], "00000000000000c1");
    assert_eq!(v["links"].as_array().map(Vec::len), Some(3), "{v}");
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
}

#[test]
fn resize_redraws_at_once_and_too_small_says_so() {
    let mut s = Session::start(&[FIXTURE, "--trace", CONSUMER]);
    s.wait_for_text("consume batch");
    s.wait_for("footer on the last row", |s| s.row(ROWS - 1).contains("q quit"));
    s.resize(8, 30);
    s.wait_for("the too-small message", |s| {
        s.screen_text()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("terminal 30×8 is too small; need 40×10")
    });
    s.resize(50, 200);
    s.wait_for("a wide layout with details beside the waterfall", |s| {
        s.row(49).contains("q quit")
            && s.row(3).contains("consume batch")
            && s.row(2).contains("│ Attributes")
    });
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
}

/// The bundled message-aggregation sample: `billing-worker` consumes twelve messages in one batch
/// and links to each producer span, one of them in a trace that is not in the dump.
#[test]
fn sample_batch_consumer_links_to_its_producers() {
    let mut s = Session::start(&[
        "sample-traces/message-aggregation.otlp.json",
        "--trace",
        "430b40e883ba6574c7ba9802f6e439de",
        "--span",
        "572cca437c0362e8",
    ]);
    s.wait_for("the batch consumer in the header", |s| {
        s.row(0).contains("trace 430b40e8… › billing-worker kafka.consume orders")
    });
    s.send(b"3");
    s.wait_for_text("Links 12↗ 0↙");
    s.wait_for_text("↗ to   trace 0a8d259c  orders kafka.produce orders");
    s.send(b"\r");
    s.wait_for("the first producer in the header", |s| {
        s.row(0).contains("kafka.consume orders → trace 0a8d259c… › orders kafka.produce orders")
    });
    s.send(b"\x7f");
    s.wait_for("back at the consumer", |s| {
        let top = s.row(0);
        top.contains("trace 430b40e8… › billing-worker kafka.consume orders") && !top.contains("→")
    });
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert!(!s.parser.screen().alternate_screen(), "alternate screen left");
    assert_eq!(s.parser.screen().mouse_protocol_mode(), vt100::MouseProtocolMode::None);
}

#[test]
fn query_error_stepping_focus_and_summary_in_a_real_terminal() {
    let mut s = Session::start(&["sample-traces/scatter-gather.otlp.json", "--trace", "1f0fa39f"]);
    s.wait_for("the checkout trace", |s| s.row(0).contains("trace 1f0fa39f… › checkout POST /checkout"));
    // A bad query names its column and changes nothing.
    s.send(b"Fduration>5xs");
    s.wait_for_text("unknown unit `xs` at column 10");
    s.wait_for_text("34 spans · 0 errors");
    // Fixed, it keeps the spans over 50 ms and their ancestors.
    s.send(b"\x7f\x7f0ms\r");
    s.wait_for("the query's count in the header", |s| s.row(1).starts_with("F duration>50ms · "));
    s.wait_for_text("of 34 spans");
    s.send(b"n");
    s.wait_for("the next match selected", |s| s.row(0).contains("› checkout CheckoutController.submit"));
    // Focus, then leave it.
    s.send(b"z");
    s.wait_for("the focus in the breadcrumb", |s| s.row(0).contains("› focus "));
    s.send(b"z");
    s.wait_for("the focus left", |s| !s.row(0).contains("› focus "));
    // Esc clears the query; the summary lists the trace's operations by self time.
    s.send(b"\x1b");
    s.wait_for("the query cleared", |s| s.row(1).starts_with("34 spans"));
    s.send(b"S");
    s.wait_for_text("summary of 1f0fa39f · 31 operations · sorted by self");
    s.send(b"s");
    s.wait_for_text("sorted by total");
    s.send(b"\x1b");
    s.wait_for("the summary closed", |s| !s.screen_text().contains("summary of"));
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert!(!s.parser.screen().alternate_screen(), "alternate screen left");
}

/// `m` marks a checkout in the list, `D` in another checkout shows the merged tree with the
/// spans only the open one has (`+`) and the duration changes; Enter on a `+` row opens that
/// span in its trace.
#[test]
fn mark_a_trace_then_diff_the_open_one_against_it() {
    let mut s = Session::start(&["sample-traces/message-aggregation.otlp.json"]);
    s.wait_for_text("weft · 12 traces");
    s.send(b"/63cad1c1\r");
    s.wait_for_text("filter “63cad1c1”: 1 of 12");
    s.send(b"m");
    s.wait_for_text("marked trace 63cad1c1: open another and press D to compare");
    s.send(b"\x1b");
    s.send(b"/f94e5f04\r");
    s.wait_for_text("filter “f94e5f04”: 1 of 12");
    s.send(b"\r");
    s.wait_for("the other checkout", |s| s.row(0).contains("trace f94e5f04… › checkout POST /checkout"));
    s.send(b"D");
    s.wait_for_text("a 63cad1c1 → b f94e5f04 =13 -0 +4");
    s.wait_for_text("  checkout POST /checkout                37.4ms   51.0ms  +13.6ms");
    s.wait_for_text("+     checkout POST /v1/coupons/valid…            7.20ms          only in b");
    s.send(b"jjjjjj\r");
    s.wait_for("the coupon span in its trace", |s| {
        s.row(0).contains("trace f94e5f04… › checkout POST /v1/coupons/validate")
    });
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert!(!s.parser.screen().alternate_screen(), "alternate screen left");
}

#[test]
fn e_lands_on_the_error_span_of_a_trace() {
    let mut s = Session::start(&["sample-traces/scatter-gather.otlp.json", "--trace", "1d707c42"]);
    s.wait_for("the shard trace", |s| s.row(0).contains("trace 1d707c42…"));
    s.send(b"-e");
    s.wait_for("the error span selected", |s| s.row(0).contains("› inventory-shard-2 SELECT inventory"));
    s.wait_for_text("error 1 of 1");
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
}

/// Logs written by the real OpenTelemetry Python SDK inside spans (tests/peers/logs_in_spans.py)
/// show in the Logs tab of exactly their span, errors included, and the waterfall counts them.
#[test]
fn real_sdk_logs_show_in_the_logs_tab_of_their_span() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("traces-and-logs.jsonl");
    let run = std::process::Command::new(peers::python())
        .arg(peers::peers_dir().join("logs_in_spans.py"))
        .arg(&file)
        .arg("json")
        .output()
        .expect("run the SDK script");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let sdk: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let spans = sdk["spans"].as_object().expect("spans");
    let charge =
        spans.iter().find(|(_, name)| *name == "charge card").map(|(id, _)| id).expect("charge card");
    let path = file.to_str().expect("utf-8 temp path");
    let mut s = Session::start(&[path, "--span", charge]);
    s.wait_for("the charge span", |s| s.row(0).contains("› checkout charge card"));
    s.wait_for_text("≡2            checkout charge card");
    s.send(b"4");
    s.wait_for_text(" Logs 2 ");
    s.wait_for_text("WARN card needs 3-D Secure");
    s.wait_for_text("ERROR {message: card declined, code: 51, tags: [fraud, limit]}");
    assert!(!s.screen_text().contains("checkout started"), "the root's record is not the child's");
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
}

/// A panic inside the explorer (forced by the debug-only `WEFT_DEBUG_PANIC=1` hook after the first
/// frame) leaves the alternate screen, turns mouse capture off and shows the cursor before the
/// panic message prints, so the message lands on the normal screen; the exit status says failure.
#[test]
fn a_panic_restores_the_terminal_before_its_message_prints() {
    if !cfg!(debug_assertions) {
        eprintln!("SKIPPED: WEFT_DEBUG_PANIC exists only in debug builds");
        return;
    }
    let mut s = Session::start_env(&[FIXTURE], &[("WEFT_DEBUG_PANIC", "1"), ("RUST_BACKTRACE", "0")]);
    let code = s.wait_exit();
    assert_ne!(code, 0, "a panic is a failure");
    let screen = s.parser.screen();
    assert!(!screen.alternate_screen(), "alternate screen left");
    assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None, "mouse capture off");
    assert!(!screen.hide_cursor(), "cursor shown again");
    let text = s.screen_text();
    assert!(
        text.contains("WEFT_DEBUG_PANIC: deliberate panic after the first frame"),
        "normal screen:\n{text}"
    );

    // In order: a frame on the alternate screen, then leaving it, then the message.
    let find = |needle: &[u8]| s.raw.windows(needle.len()).position(|w| w == needle);
    let left = find(b"\x1b[?1049l").expect("left the alternate screen");
    let message = find(b"deliberate panic").expect("the panic message");
    assert!(left < message, "the message printed after leaving the alternate screen");
    let mut before = vt100::Parser::new(nz(ROWS), nz(COLS), 0);
    before.process(&s.raw[..left]);
    assert!(before.screen().alternate_screen(), "the frame was on the alternate screen");
    assert!(before.screen().contents().contains("consume batch"), "{}", before.screen().contents());
}

/// A folder with a file that is not a trace: the explorer opens on the rest, and its header
/// counts the file it skipped (the stderr line about it is hidden by the alternate screen).
#[test]
fn a_skipped_file_in_a_folder_is_counted_in_the_header() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(FIXTURE, dir.path().join("batch.dd.json")).expect("copy fixture");
    std::fs::write(dir.path().join("notes.txt"), "not a trace\n").expect("write");
    let folder = dir.path().to_str().expect("utf-8 temp path");
    let mut s = Session::start(&[folder]);
    s.wait_for_text("weft · 3 traces");
    s.wait_for("the skipped file in the header", |s| s.row(0).contains("0 skipped · 1 file skipped"));
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
}

/// Debug builds only: `WEFT_DEBUG_SLOW_LOAD=<ms>` holds the load after parsing (until cancelled),
/// so the loading screen shows however fast the machine is.
fn slow_load_hook_available() -> bool {
    if !cfg!(debug_assertions) {
        eprintln!("SKIPPED: WEFT_DEBUG_SLOW_LOAD exists only in debug builds");
    }
    cfg!(debug_assertions)
}

/// Counts `needle` in what the program wrote.
fn occurrences(raw: &[u8], needle: &[u8]) -> usize {
    raw.windows(needle.len()).filter(|w| *w == needle).count()
}

fn assert_restored(s: &Session) {
    let screen = s.parser.screen();
    assert!(!screen.alternate_screen(), "alternate screen left");
    assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None, "mouse capture off");
    assert!(!screen.hide_cursor(), "cursor shown again");
}

/// A load that outlasts half a second gets a loading screen (file name, phase, span count, the
/// hint), redrawn on resize; Ctrl-C, q or Esc there cancels it: exit status 130, the terminal restored, and
/// "cancelled" printed on the normal screen afterwards.
#[test]
fn a_slow_load_shows_the_loading_screen_and_each_cancel_key_stops_it() {
    if !slow_load_hook_available() {
        return;
    }
    // `\x1bj` is Esc then j, quickly: the Esc cancels.
    for (key, name) in [(&b"\x03"[..], "Ctrl-C"), (b"q", "q"), (b"\x1b", "Esc"), (b"\x1bj", "Esc j")] {
        let mut s = Session::start_env(&[FIXTURE], &[("WEFT_DEBUG_SLOW_LOAD", "600000")]);
        s.wait_for_text(&weft::ui::loading::hint(false));
        s.wait_for_text(&format!("loading {FIXTURE}"));
        // Every byte is parsed before the hook holds the load: the phase is indexing.
        s.wait_for_text("indexing");
        s.wait_for_text("6 spans · ");
        assert!(s.parser.screen().alternate_screen(), "the loading screen is on the alternate screen");
        if name == "Ctrl-C" {
            // A resize redraws the box centred in the new size: its top row is (50 - 9) / 2.
            s.resize(50, 200);
            s.wait_for("the box re-centred", |s| s.row(20).contains("┌ weft"));
            s.resize(ROWS, COLS);
            s.wait_for("the box back at 80x24", |s| s.row(7).contains("┌ weft"));
        }
        s.send(key);
        assert_eq!(s.wait_exit(), 130, "{name} cancels with the interrupted status");
        assert_restored(&s);
        assert!(s.screen_text().contains("cancelled"), "{name}: {}", s.screen_text());
    }
}

/// When the slow load ends, the explorer takes over the same alternate screen (entered once, so
/// nothing flickers) and works as usual.
#[test]
fn after_the_loading_screen_the_explorer_opens_in_the_same_screen() {
    if !slow_load_hook_available() {
        return;
    }
    let mut s = Session::start_env(&[FIXTURE], &[("WEFT_DEBUG_SLOW_LOAD", "1500")]);
    s.wait_for_text(&weft::ui::loading::hint(false));
    s.wait_for_text("weft · 3 traces");
    s.wait_for_text("consume batch");
    assert!(!s.screen_text().contains(&weft::ui::loading::hint(false)), "the loading screen is gone");
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert_restored(&s);
    assert_eq!(occurrences(&s.raw, b"\x1b[?1049h"), 1, "entered the alternate screen once");
    assert_eq!(occurrences(&s.raw, b"\x1b[?1049l"), 1, "left it once, at the end");
}

/// A load that ends in an error after the loading screen was shown (a folder with no trace
/// files) restores the terminal first; the skip report and the error then print on the normal
/// screen, with the load-error status.
#[test]
fn an_error_after_the_loading_screen_prints_after_the_terminal_is_restored() {
    if !slow_load_hook_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "not a trace\n").expect("write");
    let folder = dir.path().to_str().expect("utf-8 temp path");
    let mut s = Session::start_env(&[folder], &[("WEFT_DEBUG_SLOW_LOAD", "1000")]);
    s.wait_for_text(&weft::ui::loading::hint(false));
    assert_eq!(s.wait_exit(), 1);
    assert_restored(&s);
    let text = s.screen_text();
    assert!(text.contains("skipped file") && text.contains("notes.txt"), "{text}");
    assert!(text.contains("no trace files found"), "{text}");
    let left = s.raw.windows(8).position(|w| w == b"\x1b[?1049l").expect("left the alternate screen");
    let message = s.raw.windows(20).position(|w| w == b"no trace files found").expect("the error");
    assert!(left < message, "the error printed after leaving the alternate screen");
}

/// SIGINT sent from elsewhere while the explorer runs (the keyboard's Ctrl-C is a key in raw mode):
/// weft exits with 130 as an interrupted program does, and leaves the terminal as it found it.
#[test]
fn an_interrupt_from_outside_restores_the_terminal() {
    let mut s = Session::start(&[FIXTURE]);
    s.wait_for_text("weft · 3 traces");
    assert!(s.parser.screen().alternate_screen(), "the explorer is up");
    let pid = s.child.process_id().expect("the child's pid");
    let killed =
        std::process::Command::new("kill").args(["-INT", &pid.to_string()]).status().expect("run kill");
    assert!(killed.success());
    assert_eq!(s.wait_exit(), 130);
    assert_restored(&s);
}

/// `NO_COLOR` (no-color.org): not one cell is coloured, and the selection still shows, reversed.
/// Without it the same screen has colours, so the check is not vacuous.
#[test]
fn no_color_draws_without_colour_and_keeps_the_selection_visible() {
    let cells = |s: &Session| {
        let screen = s.parser.screen();
        let mut coloured = 0;
        let mut inverse = 0;
        for row in 0..ROWS {
            for col in 0..COLS {
                let Some(cell) = screen.cell(row, col) else { continue };
                coloured += usize::from(
                    cell.fgcolor() != vt100::Color::Default || cell.bgcolor() != vt100::Color::Default,
                );
                inverse += usize::from(cell.inverse());
            }
        }
        (coloured, inverse)
    };
    let mut plain = Session::start_env(&[FIXTURE], &[("NO_COLOR", "1")]);
    plain.wait_for_text("weft · 3 traces");
    plain.wait_for("the selected row, reversed", |s| cells(s).1 >= 20);
    assert_eq!(cells(&plain).0, 0, "screen:\n{}", plain.screen_text());
    plain.send(b"q");
    assert_eq!(plain.wait_exit(), 0);

    let mut colour = Session::start(&[FIXTURE]);
    colour.wait_for("colour, without NO_COLOR", |s| cells(s).0 > 0);
    colour.send(b"q");
    assert_eq!(colour.wait_exit(), 0);
}

/// One OTLP/HTTP JSON span: a root of a new trace whose name the list shows.
fn otlp_span(trace: &str, span: &str, name: &str, link: Option<(&str, &str)>) -> String {
    let links =
        link.map_or(String::new(), |(t, s)| format!(r#","links":[{{"traceId":"{t}","spanId":"{s}"}}]"#));
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"live-svc"}}}}]}},"scopeSpans":[{{"spans":[{{"traceId":"{trace}","spanId":"{span}","name":"{name}","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000005000000"{links}}}]}}]}}]}}"#
    )
}

/// POSTs `body` to `/v1/traces` at `addr` (HTTP/1.1, one connection); returns the status code.
fn post_otlp(addr: &str, body: &str) -> u16 {
    use std::net::TcpStream;
    let mut conn = TcpStream::connect(addr).expect("connect to weft listen");
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).expect("send head");
    conn.write_all(body.as_bytes()).expect("send body");
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("an HTTP status line")
}

/// The address in weft's `listening <kind> <host:port>` line (stderr, before the explorer).
fn listening(raw: &[u8], kind: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let line = format!("listening {kind} ");
    let at = text.find(&line)? + line.len();
    Some(text[at..].split(['\r', '\n']).next()?.to_owned())
}

#[test]
fn listen_opens_the_live_explorer_and_posted_traces_appear_with_their_links() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let save = dir.path().join("live.otlp.jsonl");
    let save = save.to_str().expect("utf-8 temp path");
    let any = "127.0.0.1:0";
    let mut s = Session::start(&[
        "listen",
        "--otlp-grpc",
        any,
        "--otlp-http",
        any,
        "--zipkin",
        any,
        "--datadog",
        any,
        "--save",
        save,
    ]);
    s.wait_for_text("live · 0 spans");
    for kind in ["otlp-grpc", "zipkin", "datadog"] {
        assert!(listening(&s.raw, kind).is_some(), "a listening line for {kind}");
    }
    let http = listening(&s.raw, "otlp-http").expect("the otlp-http listening line");
    let (consumer, producer) = ("c0ffee00000000000000000000000042", "11110000000000000000000000000042");

    // The link arrives before its target.
    assert_eq!(
        post_otlp(
            &http,
            &otlp_span(consumer, "00000000000000c1", "consume live", Some((producer, "00000000000000a1")))
        ),
        200
    );
    s.wait_for_text("consume live");
    s.wait_for_text("live · 1 span ");
    s.send(b"\r");
    s.send(b"3");
    s.wait_for_text("↗ to   not loaded");

    assert_eq!(post_otlp(&http, &otlp_span(producer, "00000000000000a1", "produce live", None)), 200);
    s.wait_for_text("↗ to   trace 11110000  live-svc produce live");
    s.wait_for_text("live · 2 spans");

    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert_restored(&s);
    let saved = std::fs::read_to_string(save).expect("the save file");
    assert!(saved.contains("consume live") && saved.contains("produce live"), "both saved: {saved}");
}

#[test]
fn past_max_spans_the_live_explorer_drops_its_oldest_traces() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let save = dir.path().join("live.otlp.jsonl");
    let save = save.to_str().expect("utf-8 temp path");
    let any = "127.0.0.1:0";
    let off = ["--otlp-grpc", "off", "--zipkin", "off", "--datadog", "off"];
    let mut args = vec!["listen", "--otlp-http", any, "--save", save, "--max-spans", "4"];
    args.extend(off);
    let mut s = Session::start(&args);
    s.wait_for_text("live · 0 spans");
    let http = listening(&s.raw, "otlp-http").expect("the otlp-http listening line");
    // Five one-span traces, each starting a second after the one before.
    for i in 1..=5u64 {
        let span = otlp_span(&format!("{i:032x}"), &format!("{i:016x}"), &format!("trace number {i}"), None)
            .replace("1700000000000000000", &format!("{}", 1_700_000_000_000_000_000 + i * 1_000_000_000));
        assert_eq!(post_otlp(&http, &span), 200);
    }
    // 5 > 4: the two oldest go, leaving ¾ of the limit.
    s.wait_for_text("weft · 3 traces");
    s.wait_for_text("2 old traces (2 spans) dropped");
    let screen = s.screen_text();
    assert!(!screen.contains("trace number 1") && !screen.contains("trace number 2"), "{screen}");
    for kept in 3..=5 {
        assert!(screen.contains(&format!("trace number {kept}")), "{screen}");
    }
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert_restored(&s);
    let saved = std::fs::read_to_string(save).expect("the save file");
    assert!(saved.contains("trace number 1"), "the save file keeps what the explorer dropped");
}

#[test]
fn follow_shows_lines_appended_to_a_json_lines_file() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("growing.otlp.jsonl");
    // Two traces, so the explorer opens on the list.
    let first = otlp_span("aaaa0000000000000000000000000001", "00000000000000a1", "first line", None);
    let other = otlp_span("cccc0000000000000000000000000003", "00000000000000c1", "other line", None);
    std::fs::write(&path, format!("{first}\n{other}\n")).expect("write the file");
    let mut s = Session::start(&[path.to_str().expect("utf-8 temp path"), "--follow"]);
    s.wait_for_text("first line");
    s.wait_for_text("live · 0 spans");

    let mut file = std::fs::OpenOptions::new().append(true).open(&path).expect("open to append");
    let second = otlp_span("bbbb0000000000000000000000000002", "00000000000000b1", "appended line", None);
    // (A partial line waiting for its newline is load::follow's unit test.)
    file.write_all((second + "\n").as_bytes()).expect("append a line");
    s.wait_for_text("appended line");
    s.wait_for_text("live · 1 span ");
    s.wait_for_text("weft · 3 traces");

    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert_restored(&s);
}

/// A trace store for one trace: answers every request with the Zipkin v2 JSON of trace
/// dead0000…0003, the one the fixture's consumer links to and does not hold, and counts requests.
fn zipkin_with_the_dangling_trace() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::BufRead;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("zipkin+http://{}", listener.local_addr().expect("addr"));
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&asked);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut reader = std::io::BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && !line.ends_with("\r\n\r\n") {}
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let body = r#"[{"traceId":"dead0000000000000000000000000003","id":"000000000000beef","name":"publish late","timestamp":1700000000000000,"duration":1000,"localEndpoint":{"serviceName":"mailer"}}]"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (base, asked)
}

/// `--backend`: the dangling link says it can be fetched; Enter fetches it (the UI keeps
/// drawing), jumps to the span in the fetched trace, and Backspace comes back.
#[test]
fn enter_fetches_a_trace_only_the_store_holds_and_backspace_comes_back() {
    let (store, asked) = zipkin_with_the_dangling_trace();
    let mut s = Session::start(&[FIXTURE, "--trace", CONSUMER, "--span", "c1", "--backend", &store]);
    s.wait_for("the consumer span in the header", |s| {
        s.row(0).contains("trace c0ffee00… › worker consume batch")
    });
    s.send(b"3");
    s.wait_for_text("↗ to   fetch: zipkin   trace dead0000…");
    // The dangling link is the third row.
    s.send(b"jj\r");
    s.wait_for("the fetched span in the header, after a breadcrumb", |s| {
        s.row(0).contains("worker consume batch → trace dead0000… › mailer publish late")
    });
    s.wait_for_text("fetched dead0000… (1 span) from http://127.0.0.1:");
    assert_eq!(asked.load(std::sync::atomic::Ordering::Relaxed), 1);

    s.send(b"\x7f");
    s.wait_for("back at the consumer", |s| {
        let top = s.row(0);
        top.contains("trace c0ffee00… › worker consume batch") && !top.contains("→")
    });
    // Resolved now: the Links tab shows where it leads.
    s.wait_for_text("↗ to   trace dead0000  mailer publish late");
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert!(!s.parser.screen().alternate_screen(), "alternate screen left");
}

/// `weft listen --backend`: a received span's link into a trace only the store holds is fetched
/// with Enter, in the same loop that takes the received batches.
#[test]
fn listen_with_a_backend_fetches_what_received_spans_link_to() {
    let (store, asked) = zipkin_with_the_dangling_trace();
    let dir = tempfile::tempdir().expect("a temp dir");
    let save = dir.path().join("live.otlp.jsonl");
    let any = "127.0.0.1:0";
    let mut s = Session::start(&[
        "listen",
        "--otlp-grpc",
        "off",
        "--otlp-http",
        any,
        "--zipkin",
        "off",
        "--datadog",
        "off",
        "--save",
        save.to_str().expect("utf-8 temp path"),
        "--backend",
        &store,
    ]);
    s.wait_for_text("live · 0 spans");
    let http = listening(&s.raw, "otlp-http").expect("the otlp-http listening line");
    let consumer = "c0ffee00000000000000000000000043";
    let link = Some(("dead0000000000000000000000000003", "000000000000beef"));
    assert_eq!(post_otlp(&http, &otlp_span(consumer, "00000000000000c1", "consume live", link)), 200);
    s.wait_for_text("consume live");
    s.send(b"\r");
    s.send(b"3");
    s.wait_for_text("↗ to   fetch: zipkin");
    s.send(b"\r");
    s.wait_for_text("mailer publish late");
    s.wait_for_text("live · 1 span ");
    assert_eq!(asked.load(std::sync::atomic::Ordering::Relaxed), 1);
    s.send(b"q");
    assert_eq!(s.wait_exit(), 0);
    assert_restored(&s);
}
