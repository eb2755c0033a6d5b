//! Making untrusted text from trace files safe to print: every path that puts file text on a
//! terminal (TUI, `weft tree`, error messages) goes through `escape_control`.

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters that a terminal would interpret instead of print: C0 and C1 controls, DEL,
/// and the bidirectional overrides/isolates that can visually reorder the rest of a line.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Returns `s` with control characters and escape sequences shown escaped (`\x1b`, `\n`,
/// `\u{202e}`), so no byte of it can drive the terminal. Borrowed when nothing needed escaping.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        // Writing into a String cannot fail.
        let _ = match c {
            '\n' => write!(out, "\\n"),
            '\r' => write!(out, "\\r"),
            '\t' => write!(out, "\\t"),
            c if (c as u32) < 0x100 => write!(out, "\\x{:02x}", c as u32),
            c => write!(out, "\\u{{{:x}}}", c as u32),
        };
    }
    Cow::Owned(out)
}

/// JSON text with the characters `escape_control` would escape written as `\uXXXX` instead: the
/// same JSON value, but safe to paste into a terminal. serde_json already escapes C0 controls;
/// DEL, C1 controls and bidi overrides it writes as they are (they can only be inside strings).
pub fn json_terminal_safe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) {
            // Every unsafe character is in the Basic Multilingual Plane: one \u escape each.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_value_without_raw_controls() {
        let value = "a\u{7f}b\u{9b}c\u{202e}d\x1be";
        let json = serde_json::to_string(value).expect("a string");
        let safe = json_terminal_safe(&json);
        assert_eq!(safe, r#""a\u007fb\u009bc\u202ed\u001be""#);
        assert_eq!(serde_json::from_str::<String>(&safe).expect("still JSON"), value);
        assert!(matches!(json_terminal_safe(r#"{"k":"注文"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_ansi_osc_and_bidi() {
        assert_eq!(escape_control("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape_control("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\x07");
        assert_eq!(escape_control("x\u{9b}y\u{7f}"), "x\\x9by\\x7f");
        assert_eq!(escape_control("l\u{202e}r"), "l\\u{202e}r");
        assert_eq!(escape_control("a\nb\tc"), "a\\nb\\tc");
    }

    #[test]
    fn leaves_printable_text_borrowed() {
        let s = "注文 🧵 a\u{200d}b";
        assert!(matches!(escape_control(s), Cow::Borrowed(_)));
    }
}

/// A duration in the largest unit that keeps it short: `850ns`, `12.3µs`, `4.56ms`, `1.23s`, `2m05s`.
pub fn duration(ns: u64) -> String {
    const US: u64 = 1_000;
    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;
    let scaled = |unit: u64, suffix: &str| {
        let v = ns as f64 / unit as f64;
        if v < 10.0 {
            format!("{v:.2}{suffix}")
        } else if v < 100.0 {
            format!("{v:.1}{suffix}")
        } else {
            format!("{v:.0}{suffix}")
        }
    };
    match ns {
        n if n < US => format!("{n}ns"),
        n if n < MS => scaled(US, "µs"),
        n if n < S => scaled(MS, "ms"),
        n if n < 60 * S => scaled(S, "s"),
        n => format!("{}m{:02}s", n / (60 * S), (n / S) % 60),
    }
}

/// `+1.2ms` / `-300µs` / `+0ns` for a signed offset or change.
pub fn signed_duration(ns: i64) -> String {
    let sign = if ns < 0 { '-' } else { '+' };
    format!("{sign}{}", duration(ns.unsigned_abs()))
}

/// `2023-11-14 22:13:20.123` (with the date) or `22:13:20.123`, in UTC, from ns since the epoch.
/// Every u64 of nanoseconds is a valid instant (up to the year 2554).
pub fn utc(ns: u64, with_date: bool) -> String {
    let format = if with_date { "%Y-%m-%d %H:%M:%S%.3f" } else { "%H:%M:%S%.3f" };
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(ts) => ts.strftime(format).to_string(),
        Err(_) => format!("{ns}ns"),
    }
}

/// How much of one attribute value the details pane, link rows and `weft tree` show. Longer
/// values are cut with their full length noted: a 20 MB value neither hides that it is long nor
/// costs 20 MB of copying on every frame. 64 KiB still holds any real SQL or stack trace whole.
pub const VALUE_DISPLAY_MAX: usize = 64 * 1024;

/// Nested arrays and maps deeper than this are shown as `…`. Loaders already bound nesting
/// (JSON's recursion limit is 128); this keeps the recursion below bounded on its own.
const VALUE_MAX_DEPTH: usize = 128;

/// The longest prefix of `s` that is at most `max` bytes and ends on a character boundary, and
/// the length of all of `s` in bytes.
pub fn truncate_display(s: &str, max: usize) -> (&str, usize) {
    if s.len() <= max {
        return (s, s.len());
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    (&s[..cut], s.len())
}

/// Longest untrusted text a loader's message quotes in full.
pub const MAX_QUOTED: usize = 40;

/// How loader messages quote untrusted text: `s` cut to `MAX_QUOTED` bytes on a character
/// boundary, and `…` to put after it when it was cut (else "").
pub fn quoted_prefix(s: &str) -> (&str, &'static str) {
    let (prefix, len) = truncate_display(s, MAX_QUOTED);
    (prefix, if len > prefix.len() { "…" } else { "" })
}

/// Renders an attribute value for people: strings as they are (escaped), arrays as `[a, b]`,
/// maps as `{k: v}`, bytes as `base64:…`. The whole value; see `value_capped` for display.
pub fn value(ds: &crate::model::Dataset, v: crate::model::Value) -> String {
    value_capped(ds, v, usize::MAX)
}

/// `value`, cut after about `max` bytes. A cut value ends with `… (showing S of N bytes)`, where
/// N is the length of the whole rendering (text past the cut is counted as the file has it).
/// Only the shown part is escaped or copied, so the cost is bounded by `max`, not by the value.
pub fn value_capped(ds: &crate::model::Dataset, v: crate::model::Value, max: usize) -> String {
    let mut out = Capped { text: String::new(), max, total: 0 };
    render_value(ds, v, &mut out, 0);
    if out.total > out.text.len() {
        let shown = out.text.len();
        let _ = write!(out.text, "… (showing {shown} of {} bytes)", out.total);
    }
    out.text
}

/// A string that stops growing at `max` bytes but keeps counting what would have followed.
struct Capped {
    text: String,
    max: usize,
    total: usize,
}

impl Capped {
    fn room(&self) -> usize {
        self.max.saturating_sub(self.text.len())
    }
    /// Text that needs no escaping (punctuation, numbers).
    fn push(&mut self, s: &str) {
        self.total = self.total.saturating_add(s.len());
        let (shown, _) = truncate_display(s, self.room());
        self.text.push_str(shown);
    }
    /// Text from the file: only the part that can still be shown is escaped.
    fn push_escaped(&mut self, raw: &str) {
        let (head, len) = truncate_display(raw, self.room());
        let escaped = escape_control(head);
        let (shown, escaped_len) = truncate_display(&escaped, self.room());
        self.text.push_str(shown);
        self.total = self.total.saturating_add(escaped_len + (len - head.len()));
    }
}

fn render_value(ds: &crate::model::Dataset, v: crate::model::Value, out: &mut Capped, depth: usize) {
    use crate::model::Value;
    match v {
        Value::Empty => {}
        Value::Str(s) => out.push_escaped(ds.str(s)),
        Value::Bool(b) => out.push(if b { "true" } else { "false" }),
        Value::Int(i) => out.push(&i.to_string()),
        Value::Double(d) => out.push(&d.to_string()),
        Value::Bytes(s) => {
            out.push("base64:");
            out.push_escaped(ds.str(s));
        }
        Value::Array(_) | Value::Map(_) if depth >= VALUE_MAX_DEPTH => out.push("…"),
        Value::Array(slice) => {
            out.push("[");
            for (i, item) in ds.values_of(slice).enumerate() {
                if i > 0 {
                    out.push(", ");
                }
                render_value(ds, item, out, depth + 1);
            }
            out.push("]");
        }
        Value::Map(slice) => {
            out.push("{");
            for (i, a) in ds.attrs_of(slice).enumerate() {
                if i > 0 {
                    out.push(", ");
                }
                out.push_escaped(ds.str(a.key));
                out.push(": ");
                render_value(ds, a.value, out, depth + 1);
            }
            out.push("}");
        }
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use crate::model::{Attr, Dataset, Value};

    #[test]
    fn durations_pick_a_short_unit() {
        assert_eq!(duration(850), "850ns");
        assert_eq!(duration(12_345), "12.3µs");
        assert_eq!(duration(4_560_000), "4.56ms");
        assert_eq!(duration(1_230_000_000), "1.23s");
        assert_eq!(duration(125_000_000_000), "2m05s");
    }

    #[test]
    fn utc_times_match_known_instants() {
        assert_eq!(utc(0, true), "1970-01-01 00:00:00.000");
        assert_eq!(utc(951_827_696_789_000_000, true), "2000-02-29 12:34:56.789");
        assert_eq!(utc(1_700_000_000_123_000_000, false), "22:13:20.123");
        assert_eq!(utc(u64::MAX, true), "2554-07-21 23:34:33.709");
    }

    #[test]
    fn nested_values_render_and_escape() {
        let mut ds = Dataset::new();
        let k = ds.intern("k");
        let evil = ds.intern("a\x1b[2J");
        let arr = ds.add_array(&[Value::Int(1), Value::Str(evil)]);
        let map = ds.add_attrs(&[Attr { key: k, value: arr }]);
        assert_eq!(value(&ds, Value::Map(map)), "{k: [1, a\\x1b[2J]}");
    }

    #[test]
    fn quoted_prefix_cuts_long_text_on_a_char_boundary_and_marks_the_cut() {
        assert_eq!(quoted_prefix("short"), ("short", ""));
        let exact = "x".repeat(MAX_QUOTED);
        assert_eq!(quoted_prefix(&exact), (exact.as_str(), ""));
        let long = format!("{}ü{}", "a".repeat(MAX_QUOTED - 1), "b");
        assert_eq!(quoted_prefix(&long), ("a".repeat(MAX_QUOTED - 1).as_str(), "…"));
    }

    #[test]
    fn truncate_display_cuts_on_a_char_boundary_and_reports_the_length() {
        assert_eq!(truncate_display("abc", 5), ("abc", 3));
        // "é" is two bytes: a cut inside it backs off to before it.
        assert_eq!(truncate_display("aébc", 2), ("a", 5));
        assert_eq!(truncate_display("🧵x", 3), ("", 5));
    }

    #[test]
    fn capped_values_show_the_start_and_the_full_length() {
        let mut ds = Dataset::new();
        let long = ds.intern(&"x".repeat(1000));
        let shown = value_capped(&ds, Value::Str(long), 10);
        assert_eq!(shown, "xxxxxxxxxx… (showing 10 of 1000 bytes)");
        let arr = ds.add_array(&[Value::Int(12345), Value::Str(long)]);
        assert_eq!(value_capped(&ds, arr, 9), "[12345, x… (showing 9 of 1009 bytes)");
        // Escapes count in the shown part; a short value is never marked.
        let ctl = ds.intern("a\u{1b}b");
        assert_eq!(value_capped(&ds, Value::Str(ctl), 100), "a\\x1bb");
        assert_eq!(value_capped(&ds, Value::Str(ctl), 3), "a\\x… (showing 3 of 6 bytes)");
    }

    #[test]
    fn nesting_past_the_depth_limit_is_elided() {
        let mut ds = Dataset::new();
        let mut v = Value::Int(7);
        for _ in 0..200 {
            v = ds.add_array(&[v]);
        }
        let text = value(&ds, v);
        assert!(text.starts_with(&"[".repeat(128)) && text.contains('…') && !text.contains('7'), "{text}");
    }
}
