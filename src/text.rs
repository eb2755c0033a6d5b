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

#[cfg(test)]
mod tests {
    use super::*;

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

/// `2023-11-14 22:13:20.123` (with the date) or `22:13:20.123`, in UTC, from ns since the epoch.
/// Every u64 of nanoseconds is a valid instant (up to the year 2554).
pub fn utc(ns: u64, with_date: bool) -> String {
    let format = if with_date { "%Y-%m-%d %H:%M:%S%.3f" } else { "%H:%M:%S%.3f" };
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(ts) => ts.strftime(format).to_string(),
        Err(_) => format!("{ns}ns"),
    }
}

/// Renders an attribute value for people: strings as they are (escaped), arrays as `[a, b]`,
/// maps as `{k: v}`, bytes as `base64:…`.
pub fn value(ds: &crate::model::Dataset, v: crate::model::Value) -> String {
    use crate::model::Value;
    let mut out = String::new();
    fn go(ds: &crate::model::Dataset, v: Value, out: &mut String) {
        match v {
            Value::Empty => {}
            Value::Str(s) => out.push_str(&escape_control(ds.str(s))),
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Double(d) => {
                let _ = write!(out, "{d}");
            }
            Value::Bytes(s) => {
                let _ = write!(out, "base64:{}", escape_control(ds.str(s)));
            }
            Value::Array(slice) => {
                out.push('[');
                for (i, &item) in ds.values_of(slice).iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    go(ds, item, out);
                }
                out.push(']');
            }
            Value::Map(slice) => {
                out.push('{');
                for (i, a) in ds.attrs_of(slice).iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&escape_control(ds.str(a.key)));
                    out.push_str(": ");
                    go(ds, a.value, out);
                }
                out.push('}');
            }
        }
    }
    go(ds, v, &mut out);
    out
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
}
