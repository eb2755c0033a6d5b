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
