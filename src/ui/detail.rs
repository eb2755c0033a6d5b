//! The details pane: a tab bar (`Attributes 4 │ Events 1 │ Links 3↗ 2↙`) and the selected
//! span's rows for the active tab. Only the rows on screen are drawn.

use super::draw::{fill, put, width};
use super::layout::tab_width;
use super::theme;
use crate::app::App;
use crate::app::detail::{DetailRow, RowKind, attribute_rows, event_rows, log_rows, tab_title};
use crate::app::trace_view::{Pane, Tab, TraceView};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// Key column width: the longest key, capped at this share of the pane (percent).
const KEY_SHARE: usize = 45;

pub struct DetailPane<'a> {
    pub app: &'a App<'a>,
    pub tv: &'a TraceView,
    pub tabs: Rect,
    pub rows: Rect,
}

impl Widget for DetailPane<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let index = self.app.index;
        let span = self.tv.selected_span(index);
        let focused = self.tv.focus == Pane::Details;

        // Tab bar; the rest of its line is a rule separating the panes when they are stacked.
        let mut x = self.tabs.x;
        let right = self.tabs.right();
        if self.tabs.height > 0 {
            let y = self.tabs.y;
            for tab in Tab::ALL {
                let title = tab_title(index, span, tab);
                let style = if tab == self.tv.tab { theme::active_tab(focused) } else { theme::dim() };
                let w = tab_width(&title).min(right.saturating_sub(x));
                put(buf, x, y, w, &format!(" {title} "), style);
                x = x.saturating_add(w);
            }
            let rule = "─".repeat(usize::from(right.saturating_sub(x)));
            put(buf, x, y, right.saturating_sub(x), &rule, theme::dim());
        }

        let h = usize::from(self.rows.height);
        let (first, sel) = (self.tv.detail_scroll, self.tv.detail_sel);
        let len = match self.tv.tab {
            Tab::Attributes => {
                draw_rows(buf, self.rows, &attribute_rows(index, span), first, "no attributes")
            }
            Tab::Events => draw_rows(buf, self.rows, &event_rows(index, span), first, "no events"),
            Tab::Logs => draw_rows(buf, self.rows, &log_rows(index, span), first, "no log records"),
            Tab::Links => {
                let links = &self.tv.links;
                if links.is_empty() {
                    put(
                        buf,
                        self.rows.x.saturating_add(1),
                        self.rows.y,
                        self.rows.width.saturating_sub(1),
                        "no links",
                        theme::dim(),
                    );
                }
                let end = first.saturating_add(h).min(links.len());
                for (i, row) in links.get(first..end).unwrap_or(&[]).iter().enumerate() {
                    let y = self.rows.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
                    super::links::draw_row(
                        buf,
                        self.app,
                        row,
                        self.tv.trace,
                        (self.rows.x.saturating_add(1), y, self.rows.width.saturating_sub(1)),
                    );
                }
                links.len()
            }
        };
        if focused && sel < len && sel >= first && sel < first + h {
            let y = self.rows.y.saturating_add(u16::try_from(sel - first).unwrap_or(u16::MAX));
            fill(buf, Rect { y, height: 1, ..self.rows }, theme::selection(true));
        }
    }
}

/// Draws `rows[first..]` into `area`; returns how many rows there are.
fn draw_rows(buf: &mut Buffer, area: Rect, rows: &[DetailRow], first: usize, empty: &str) -> usize {
    if rows.is_empty() {
        put(buf, area.x.saturating_add(1), area.y, area.width.saturating_sub(1), empty, theme::dim());
        return 0;
    }
    let h = usize::from(area.height);
    let visible = rows.get(first..first.saturating_add(h).min(rows.len())).unwrap_or(&[]);
    // Measured over all rows (one span's attributes), so the column does not shift on scroll.
    let key_w = rows
        .iter()
        .filter(|r| !matches!(r.kind, RowKind::Heading | RowKind::AlertHeading))
        .map(|r| width(&r.key) + 2 * usize::from(r.indent))
        .max()
        .unwrap_or(0)
        .min(usize::from(area.width) * KEY_SHARE / 100);
    let key_w = u16::try_from(key_w).unwrap_or(0);
    for (i, row) in visible.iter().enumerate() {
        let y = area.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
        let x = area.x.saturating_add(1);
        let right = area.right();
        let indent = u16::from(row.indent) * 2;
        match row.kind {
            RowKind::Heading | RowKind::AlertHeading => {
                let style = if row.kind == RowKind::AlertHeading { theme::error() } else { theme::title() };
                let used = put(
                    buf,
                    x.saturating_add(indent),
                    y,
                    right.saturating_sub(x.saturating_add(indent)),
                    &row.key,
                    style,
                );
                if !row.value.is_empty() {
                    let vx = x.saturating_add(indent).saturating_add(used).saturating_add(1);
                    put(buf, vx, y, right.saturating_sub(vx), &row.value, style);
                }
            }
            RowKind::Field | RowKind::Warning => {
                let key_x = x.saturating_add(1).saturating_add(indent);
                put(buf, key_x, y, key_w.saturating_sub(indent), &row.key, theme::dim());
                let vx = x.saturating_add(key_w).saturating_add(3);
                let style = if row.kind == RowKind::Warning { theme::warn() } else { Style::new() };
                put(buf, vx, y, right.saturating_sub(vx), &row.value, style);
            }
        }
    }
    rows.len()
}

#[cfg(test)]
mod tests {
    use crate::app::action::Action;
    use crate::app::keymap::{Context, key_for};
    use crate::app::trace_view::Tab;
    use crate::app::{App, OpenAt, Overlay};
    use crate::index::Index;
    use crate::model::{Attr, Dataset, LogRecord, Span, SpanId, TraceId, Value};
    use crate::ui::tests::screen;
    use crate::ui::theme;
    use crate::ui::waterfall::{LOG_ERROR_MARK, LOG_MARK};

    const MS: u64 = 1_000_000;
    const T: TraceId = TraceId(0xabc);

    /// A root (0–10 ms) and a child `charge` (2–6 ms); records: the root's INFO at 1 ms, the
    /// child's WARN at 2.5 ms and ERROR (a map body, an attribute) at 5 ms, one naming a span
    /// not loaded (so the trace's) and one with an escape sequence in its body.
    fn index() -> Index {
        let mut ds = Dataset::new();
        let (svc, root, charge) = (ds.intern("checkout"), ds.intern("POST /checkout"), ds.intern("charge"));
        ds.spans.push(Span::new(T, SpanId(1), SpanId(0), 0, 10 * MS, root, svc));
        ds.spans.push(Span::new(T, SpanId(2), SpanId(1), 2 * MS, 6 * MS, charge, svc));
        let log = |ds: &mut Dataset, span: u64, time: u64, severity: u8, text: &str, body: Value, attrs| {
            let severity_text = Some(ds.intern(text));
            ds.logs.push(LogRecord {
                time,
                trace_id: T,
                span_id: SpanId(span),
                severity,
                severity_text,
                body,
                attrs,
                service: svc,
                file: 0,
            });
        };
        let started = Value::Str(ds.intern("started"));
        log(&mut ds, 1, MS, 9, "INFO", started, Default::default());
        let slow = Value::Str(ds.intern("card needs 3-D Secure"));
        log(&mut ds, 2, 5 * MS / 2, 13, "WARN", slow, Default::default());
        let message = Attr { key: ds.intern("message"), value: Value::Str(ds.intern("card declined")) };
        let body = Value::Map(ds.add_attrs(&[message]));
        let amount = Attr { key: ds.intern("amount"), value: Value::Double(12.5) };
        let attrs = ds.add_attrs(&[amount]);
        log(&mut ds, 2, 5 * MS, 17, "ERROR", body, attrs);
        let lost = Value::Str(ds.intern("from a span not loaded"));
        log(&mut ds, 9, 7 * MS, 9, "INFO", lost, Default::default());
        let evil = Value::Str(ds.intern("\x1b[2Jgone"));
        log(&mut ds, 1, 8 * MS, 5, "DEBUG", evil, Default::default());
        Index::build(ds)
    }

    fn press(app: &mut App<'_>, ctx: Context, action: Action) {
        app.handle_key(key_for(ctx, action).expect("bound"));
    }

    fn open<'a>(index: &'a Index, span: u64) -> App<'a> {
        let s = index.find_span(T, SpanId(span)).expect("span");
        let mut app = App::new(index, OpenAt { trace: Some(index.trace_of(s)), span: Some(s) });
        app.resize(120, 30);
        app
    }

    #[test]
    fn the_logs_tab_lists_a_span_s_records_with_offsets_severities_bodies_and_attributes() {
        let index = index();
        let mut app = open(&index, 2);
        press(&mut app, Context::Trace, Action::ShowLogs);
        assert_eq!(app.trace_view().map(|tv| tv.tab), Some(Tab::Logs));
        let (t, lines) = screen(&app, 120, 30);
        let all = lines.join("\n");
        assert!(all.contains(" Logs 2 "), "{all}");
        let warn =
            lines.iter().position(|l| l.contains("+2.50ms WARN card needs 3-D Secure")).expect("warn row");
        let error =
            lines.iter().position(|l| l.contains("+5.00ms ERROR {message: card declined}")).expect("error");
        assert!(
            warn < error && lines[error + 1].contains("amount") && lines[error + 1].contains("12.5"),
            "{all}"
        );
        // The error record's heading is drawn in the error colour; the warning's is not.
        let buf = t.backend().buffer();
        let x = lines[error].find("+5.00ms").map(|b| lines[error][..b].chars().count()).expect("x") as u16;
        assert_eq!(buf[(x, error as u16)].fg, theme::error().fg.expect("error colour"));
        let x = lines[warn].find("+2.50ms").map(|b| lines[warn][..b].chars().count()).expect("x") as u16;
        assert_ne!(buf[(x, warn as u16)].fg, theme::error().fg.expect("error colour"));

        // The child's waterfall row: its count in the gutter, a mark where each record happened.
        let row = lines.iter().skip(3).find(|l| l.contains("checkout charge")).expect("child row");
        assert!(row.starts_with("≡2"), "{row}");
        assert!(row.contains(LOG_MARK) && row.contains(LOG_ERROR_MARK), "{row}");
        let root = lines.iter().find(|l| l.contains("▾ checkout POST /checkout")).expect("root row");
        assert!(root.starts_with("≡3"), "its own two and the trace's one: {root}");
    }

    #[test]
    fn enter_shows_a_record_in_full_and_the_root_lists_the_trace_s_records() {
        let index = index();
        let mut app = open(&index, 2);
        press(&mut app, Context::Trace, Action::ShowLogs);
        press(&mut app, Context::Move, Action::SelectNext);
        press(&mut app, Context::Details, Action::ShowValue);
        let Overlay::Value { title, lines, .. } = &app.overlay else {
            panic!("value overlay: {:?}", app.overlay)
        };
        assert_eq!(title, "log record, ERROR");
        for want in [
            "severity: ERROR (17)",
            "span id: 0000000000000002",
            "body: {message: card declined}",
            "amount: 12.5",
        ] {
            assert!(lines.iter().any(|l| l == want), "{want} in {lines:?}");
        }

        let mut app = open(&index, 1);
        press(&mut app, Context::Trace, Action::ShowLogs);
        let (_, lines) = screen(&app, 120, 30);
        let all = lines.join("\n");
        assert!(all.contains("+7.00ms INFO (trace) from a span not loaded"), "{all}");
        assert!(all.contains("+8.00ms DEBUG \\x1b[2Jgone"), "escaped: {all}");
        assert!(!all.contains('\x1b'));
    }

    #[test]
    fn search_matches_log_bodies() {
        let index = index();
        let mut app = open(&index, 1);
        press(&mut app, Context::Trace, Action::StartSearch);
        for c in "declined".chars() {
            app.handle_key(crate::app::keymap::Key::ch(c));
        }
        let tv = app.trace_view().expect("trace");
        let child = index.find_span(T, SpanId(2)).expect("child");
        assert_eq!(tv.selected_span(&index), child, "the only match is the span whose record says it");
    }
}
