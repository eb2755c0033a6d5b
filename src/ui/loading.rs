//! The loading screen: what the explorer shows while a long load runs on another thread
//! (`tui::wait_for_load` draws it about ten times a second, then the explorer takes over the same
//! terminal). Pure: it reads a `LoadingState` (the counters and the elapsed time are read by the
//! caller) and paints it.
//!
//! ```text
//! ┌ weft ─────────────────────────────────────────────────────────────────┐
//! │ loading /tmp/big/1m.otlp.json                                         │
//! │ reading    ████████████████████         42%                           │
//! │ 512.3 / 1231.0 MB · 410.2 MB/s                                        │
//! │ 350,123 spans · 175,061 spans/s                                       │
//! │ elapsed 3.2 s                                                         │
//! │                                                                       │
//! │ Ctrl-C/q/Esc cancel                                                   │
//! └───────────────────────────────────────────────────────────────────────┘
//! ```
//! Below the box's size the lines are drawn without the border, as many as fit.

use super::draw::put;
use super::theme;
use crate::app::action::Action;
use crate::app::keymap::{self, Context};
use crate::load::progress::Snapshot;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Gauge, Widget};
use std::time::Duration;

/// The box's widest: wider only stretches the gauge.
const BOX_WIDTH: u16 = 76;
/// Border plus seven lines.
const BOX_HEIGHT: u16 = 9;
/// Below this width the border would take too much of the text.
const MIN_BOX_WIDTH: u16 = 30;
/// Width of the phase word left of the gauge ("cancelling" plus a gap).
const PHASE_WIDTH: u16 = 11;

/// The bottom line, naming the keys the binding table gives the loading screen: `Ctrl-C/q/Esc
/// cancel`, and once cancelling, that pressing one again quits at once.
pub fn hint(cancelling: bool) -> String {
    let keys = keymap::keys_label_for(Context::Loading, Action::Quit);
    if cancelling {
        format!("cancelling… {keys} again quits at once")
    } else {
        let short = keymap::bindings_in(Context::Loading).find(|b| b.action == Action::Quit).map(|b| b.short);
        format!("{keys} {}", short.unwrap_or_default())
    }
}

/// What the loading screen shows.
#[derive(Clone, Copy, Debug)]
pub struct LoadingState<'a> {
    /// The inputs as named on the command line (escaped when drawn).
    pub paths: &'a [String],
    pub snapshot: Snapshot,
    /// Since the load started.
    pub elapsed: Duration,
    /// How long reading took, once every byte is parsed: rates divide by it, so they stay the
    /// reading rates while indexing runs instead of falling.
    pub read_for: Option<Duration>,
    /// Cancel was asked for; the load is stopping at its next record boundary.
    pub cancelling: bool,
}

impl LoadingState<'_> {
    /// "reading" until every known byte is parsed, then "indexing" (the dataset is merged and
    /// indexed after the last byte; the counters cannot see that work, so it is named instead).
    pub fn phase(&self) -> &'static str {
        let s = self.snapshot;
        if self.cancelling {
            "cancelling"
        } else if s.bytes_total > 0 && s.bytes_done >= s.bytes_total {
            "indexing"
        } else {
            "reading"
        }
    }

    /// Share of the bytes parsed, in 0..=1 (0 while the total is unknown).
    pub fn ratio(&self) -> f64 {
        let s = self.snapshot;
        let total = s.bytes_total.max(s.bytes_done);
        if total == 0 { 0.0 } else { s.bytes_done as f64 / total as f64 }
    }

    fn title(&self) -> String {
        match self.paths {
            [] => "loading".to_owned(),
            [one] => format!("loading {one}"),
            many => format!("loading {} inputs: {}", many.len(), many.join(", ")),
        }
    }

    /// `512.3 / 1231.0 MB · 410.2 MB/s`; in kB while the total is under a megabyte, so a small
    /// file does not read `0.0 / 0.0 MB`.
    fn bytes_line(&self) -> String {
        let s = self.snapshot;
        let total = s.bytes_total.max(s.bytes_done);
        let (scale, unit) = if total < 1_000_000 { (1e3, "kB") } else { (1e6, "MB") };
        let n = |b: u64| b as f64 / scale;
        format!(
            "{:.1} / {:.1} {unit} · {:.1} {unit}/s",
            n(s.bytes_done),
            n(total),
            n(s.bytes_done) / self.secs()
        )
    }

    fn spans_line(&self) -> String {
        let spans = self.snapshot.spans;
        // Rounded rate; a float cast saturates, so a huge rate cannot wrap.
        let rate = (spans as f64 / self.secs()).round() as u64;
        format!("{} spans · {} spans/s", grouped(spans), grouped(rate))
    }

    fn elapsed_line(&self) -> String {
        format!("elapsed {:.1} s", self.elapsed.as_secs_f64())
    }

    /// Rates divide by this: never zero, so the first frame shows finite numbers.
    fn secs(&self) -> f64 {
        self.read_for.unwrap_or(self.elapsed).as_secs_f64().max(1e-3)
    }
}

/// `1234567` as `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One line of the screen, in the order drawn.
enum Row {
    Text(String, Style),
    Gauge,
    Blank,
}

impl Widget for &LoadingState<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let boxed = area.width >= MIN_BOX_WIDTH && area.height >= BOX_HEIGHT;
        let inner = if boxed {
            let w = area.width.min(BOX_WIDTH);
            let frame = Rect::new(
                area.x + (area.width - w) / 2,
                area.y + (area.height - BOX_HEIGHT) / 2,
                w,
                BOX_HEIGHT,
            );
            let block = Block::bordered().title(" weft ");
            let inner = block.inner(frame);
            block.render(frame, buf);
            // One column of padding inside the border.
            Rect::new(inner.x.saturating_add(1), inner.y, inner.width.saturating_sub(2), inner.height)
        } else {
            area
        };
        let mut rows = vec![
            Row::Text(self.title(), theme::title()),
            Row::Gauge,
            Row::Text(self.bytes_line(), Style::new()),
            Row::Text(self.spans_line(), Style::new()),
            Row::Text(self.elapsed_line(), Style::new()),
            Row::Blank,
            Row::Text(hint(self.cancelling), theme::dim()),
        ];
        if !boxed {
            // Every row counts when space is short.
            rows.retain(|r| !matches!(r, Row::Blank));
        }
        for (row, y) in rows.iter().zip(inner.top()..inner.bottom()) {
            match row {
                Row::Text(text, style) => {
                    put(buf, inner.x, y, inner.width, text, *style);
                }
                Row::Gauge => self.render_gauge(Rect::new(inner.x, y, inner.width, 1), buf),
                Row::Blank => {}
            }
        }
    }
}

impl LoadingState<'_> {
    /// `reading   ██████████      42%      `: the phase word, then the gauge in the rest.
    fn render_gauge(&self, line: Rect, buf: &mut Buffer) {
        let phase_style = if self.cancelling { theme::warn() } else { theme::bold() };
        let used = put(buf, line.x, line.y, PHASE_WIDTH.min(line.width), self.phase(), phase_style);
        let gap = if used > 0 { PHASE_WIDTH.max(used) } else { 0 };
        let bar = Rect::new(line.x.saturating_add(gap), line.y, line.width.saturating_sub(gap), 1);
        if bar.is_empty() {
            return;
        }
        let ratio = self.ratio().clamp(0.0, 1.0);
        // Whole percent, rounded down so 100% means every byte is parsed.
        let percent = (ratio * 100.0).floor() as u8;
        Gauge::default()
            .ratio(ratio)
            .label(format!("{percent}%"))
            .gauge_style(Style::new().fg(Color::Cyan).bg(Color::DarkGray))
            .render(bar, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use rstest::rstest;

    fn state(paths: &[String], done: u64, total: u64, spans: u64, secs: u64) -> LoadingState<'_> {
        LoadingState {
            paths,
            snapshot: Snapshot { bytes_done: done, bytes_total: total, spans },
            elapsed: Duration::from_secs(secs),
            read_for: None,
            cancelling: false,
        }
    }

    fn draw(state: &LoadingState<'_>, w: u16, h: u16) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        terminal.draw(|f| f.render_widget(state, f.area())).expect("draw");
        terminal
    }

    fn lines(t: &Terminal<TestBackend>) -> Vec<String> {
        crate::ui::tests::lines(t)
    }

    fn row_with<'l>(rows: &'l [String], needle: &str) -> &'l str {
        rows.iter()
            .find(|r| r.contains(needle))
            .unwrap_or_else(|| panic!("no row with {needle:?}: {rows:#?}"))
    }

    #[rstest]
    #[case::s80x24(80, 24)]
    #[case::s200x50(200, 50)]
    fn shows_name_gauge_numbers_phase_and_hint(#[case] w: u16, #[case] h: u16) {
        let paths = vec!["/tmp/big/1m.otlp.json".to_owned()];
        // 512.3 of 1231 MB in 2 s, 350,123 spans.
        let s = state(&paths, 512_300_000, 1_231_000_000, 350_123, 2);
        let t = draw(&s, w, h);
        let rows = lines(&t);
        assert!(row_with(&rows, "loading /tmp/big/1m.otlp.json").contains("│ loading"), "{rows:#?}");
        let gauge = row_with(&rows, "41%");
        assert!(gauge.contains("│ reading"), "phase left of the gauge: {gauge}");
        assert!(gauge.contains('█'), "filled part: {gauge}");
        row_with(&rows, "512.3 / 1231.0 MB · 256.1 MB/s");
        row_with(&rows, "350,123 spans · 175,062 spans/s");
        row_with(&rows, "elapsed 2.0 s");
        row_with(&rows, "Ctrl-C/q/Esc cancel");
        // The box is centred and no wider than BOX_WIDTH.
        let top = rows.iter().position(|r| r.contains("┌ weft")).expect("box top");
        assert_eq!(usize::from((h - BOX_HEIGHT) / 2), top);
        let left = rows[top].chars().position(|c| c == '┌').expect("corner");
        assert_eq!(left, usize::from((w - w.min(BOX_WIDTH)) / 2));
        insta::assert_snapshot!(format!("loading_{w}x{h}"), t.backend());
    }

    #[test]
    fn gauge_fill_follows_the_share_of_bytes() {
        let paths = vec!["f".to_owned()];
        let count_filled = |done: u64| {
            let t = draw(&state(&paths, done, 100, 0, 1), 80, 24);
            let rows = lines(&t);
            row_with(&rows, "%").chars().filter(|&c| c == '█').count()
        };
        let (none, half, all) = (count_filled(0), count_filled(50), count_filled(100));
        assert_eq!(none, 0);
        assert!(half > 20 && half < all, "half {half}, all {all}");
        // Box 76 wide: 2 borders, 2 padding, 11 for the phase word; the label "100%" covers
        // four cells and ratatui leaves the cell after it blank.
        assert_eq!(all, 76 - 4 - 11 - 5);
    }

    #[test]
    fn rates_are_the_reading_rates_while_indexing() {
        let paths = vec!["f".to_owned()];
        let mut s = state(&paths, 400_000_000, 400_000_000, 300_000, 10);
        s.read_for = Some(Duration::from_secs(2));
        let rows = lines(&draw(&s, 80, 24));
        row_with(&rows, "400.0 / 400.0 MB · 200.0 MB/s");
        row_with(&rows, "300,000 spans · 150,000 spans/s");
        row_with(&rows, "elapsed 10.0 s");
    }

    #[test]
    fn phase_turns_to_indexing_when_every_byte_is_read_and_to_cancelling_on_cancel() {
        let paths = vec!["f".to_owned()];
        let mut s = state(&paths, 10, 10, 5, 1);
        assert_eq!(s.phase(), "indexing");
        let rows = lines(&draw(&s, 80, 24));
        assert!(row_with(&rows, "100%").contains("indexing"));
        s.cancelling = true;
        let rows = lines(&draw(&s, 80, 24));
        assert!(row_with(&rows, "100%").contains("cancelling"));
        row_with(&rows, "cancelling… Ctrl-C/q/Esc again quits at once");
        // Nothing known yet: reading, 0%, no division by zero.
        let empty = state(&paths, 0, 0, 0, 0);
        assert_eq!(empty.phase(), "reading");
        let rows = lines(&draw(&empty, 80, 24));
        row_with(&rows, "0%");
        row_with(&rows, "0.0 / 0.0 kB · 0.0 kB/s");
        let small = state(&paths, 1_500, 2_190, 6, 2);
        row_with(&lines(&draw(&small, 80, 24)), "1.5 / 2.2 kB · 0.8 kB/s");
        row_with(&rows, "0 spans · 0 spans/s");
    }

    #[test]
    fn file_names_are_escaped_and_several_are_counted() {
        let paths = vec!["evil\x1b[2J.json".to_owned(), "b.json".to_owned()];
        let rows = lines(&draw(&state(&paths, 1, 2, 0, 1), 80, 24));
        row_with(&rows, "loading 2 inputs: evil\\x1b[2J.json, b.json");
        assert!(rows.iter().all(|r| !r.contains('\x1b')), "{rows:#?}");
    }

    #[test]
    fn a_tiny_terminal_drops_the_border_and_keeps_the_first_lines() {
        let paths = vec!["trace.json".to_owned()];
        let s = state(&paths, 3_000_000, 4_000_000, 1_000, 1);
        assert_eq!(
            lines(&draw(&s, 24, 4)),
            [
                "loading trace.json      ",
                "reading    █████75% █   ",
                "3.0 / 4.0 MB · 3.0 MB/s ",
                "1,000 spans · 1,000 spa…",
            ]
        );
        // The phase word does not fit beside a gauge: it alone is drawn, cut.
        assert_eq!(lines(&draw(&s, 5, 2)), ["load…", "read…"]);
        assert_eq!(lines(&draw(&s, 1, 1)), ["…"]);
    }

    #[test]
    fn zero_size_draws_nothing_and_does_not_panic() {
        let paths = vec!["trace.json".to_owned()];
        let s = state(&paths, 1, 2, 3, 4);
        let mut buf = Buffer::empty(Rect::new(0, 0, 0, 0));
        (&s).render(buf.area, &mut buf);
        assert_eq!(buf, Buffer::empty(Rect::new(0, 0, 0, 0)));
        // An area outside the buffer is clipped, not indexed.
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        (&s).render(Rect::new(10, 10, 80, 24), &mut buf);
        assert_eq!(buf, Buffer::empty(Rect::new(0, 0, 3, 1)));
    }

    #[test]
    fn grouped_puts_commas_every_three_digits() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(12_345_678), "12,345,678");
    }
}
