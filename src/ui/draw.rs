//! Small drawing helpers shared by the views: every string from the data is escaped here
//! (`put` runs `escape_control`) and cut by display width, so wide characters (CJK, emoji)
//! never push a row out of its column.

use crate::text::escape_control;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub const ELLIPSIS: &str = "…";

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Writes `text` (escaped) at (x, y) in at most `max` columns, ending in `…` when cut.
/// Returns the columns used. Anything outside the buffer is clipped.
pub fn put(buf: &mut Buffer, x: u16, y: u16, max: u16, text: &str, style: Style) -> u16 {
    let area = buf.area;
    if y < area.y || y >= area.bottom() || x < area.x || x >= area.right() || max == 0 {
        return 0;
    }
    let max = max.min(area.right() - x);
    let (text, cut) = visible(text, max);
    let (end, _) = if !cut && width(&text) <= usize::from(max) {
        buf.set_stringn(x, y, &text, usize::from(max), style)
    } else {
        let (end, _) = buf.set_stringn(x, y, &text, usize::from(max - 1), style);
        buf.set_stringn(end, y, ELLIPSIS, 1, style)
    };
    end.saturating_sub(x)
}

/// Like `put`, but right-aligned in the `max` columns starting at x.
pub fn put_right(buf: &mut Buffer, x: u16, y: u16, max: u16, text: &str, style: Style) -> u16 {
    let (shown, cut) = visible(text, max);
    let w = if cut { max } else { u16::try_from(width(&shown)).unwrap_or(u16::MAX).min(max) };
    put(buf, x.saturating_add(max - w), y, w, text, style)
}

/// The escaped start of `text` that can show in `max` columns, and whether more was left out.
/// Only a prefix is escaped and measured: a multi-megabyte span name must not cost that much
/// on every frame. `max` columns need at most `max` characters of width one or more; the slack
/// is for zero-width ones (combining marks), which past it are simply not shown.
fn visible(text: &str, max: u16) -> (std::borrow::Cow<'_, str>, bool) {
    let keep = usize::from(max).saturating_mul(4).saturating_add(16);
    match text.char_indices().nth(keep) {
        Some((at, _)) => (escape_control(&text[..at]), true),
        None => (escape_control(text), false),
    }
}

/// Applies `style` to every cell of `rect` (clipped to the buffer).
pub fn fill(buf: &mut Buffer, rect: Rect, style: Style) {
    buf.set_style(rect.intersection(buf.area), style);
}

/// The end of `s` that fits in `max` columns, starting with `…` when cut.
pub fn truncate_left(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut kept = Vec::new();
    let mut w = 1; // the ellipsis
    for c in s.chars().rev() {
        let cw = UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > max {
            break;
        }
        w += cw;
        kept.push(c);
    }
    let mut out = String::from(ELLIPSIS);
    out.extend(kept.into_iter().rev());
    out
}

/// `n`, or `99+` past two digits, for tight gutters.
pub fn count(n: usize) -> String {
    if n > 99 { "99+".to_owned() } else { n.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_text_is_cut_from_a_prefix_with_the_ellipsis() {
        let huge = format!("\x1b{}", "名".repeat(2_000_000));
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 1));
        // `\x1b` and two wide characters fill 8 columns; a third would not fit beside the `…`.
        assert_eq!(put(&mut buf, 0, 0, 10, &huge, Style::new()), 9);
        assert_eq!(buf, Buffer::with_lines(["\\x1b名名… "]));
        // Zero-width marks past the prefix are left out, and the cut still shows.
        let marks = format!("a{}", "\u{301}".repeat(10_000));
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        put(&mut buf, 0, 0, 4, &marks, Style::new());
        assert_eq!(buf.content()[1].symbol(), ELLIPSIS);
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        assert_eq!(put_right(&mut buf, 0, 0, 6, &huge, Style::new()), 5);
        assert_eq!(buf, Buffer::with_lines(["\\x1b… "]));
    }

    #[test]
    fn put_escapes_and_cuts_by_display_width() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 1));
        let used = put(&mut buf, 0, 0, 8, "a\x1b[2Jb", Style::new());
        assert_eq!(used, 8);
        assert_eq!(buf, Buffer::with_lines(["a\\x1b[2…"]));
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        put(&mut buf, 0, 0, 6, "注文処理", Style::new());
        // Two wide characters fill 4 columns; the third does not fit beside the ellipsis.
        assert_eq!(buf, Buffer::with_lines(["注文… "]));
    }

    #[test]
    fn put_clips_outside_the_buffer() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        assert_eq!(put(&mut buf, 0, 5, 3, "abc", Style::new()), 0);
        assert_eq!(put(&mut buf, 2, 0, 10, "abc", Style::new()), 1);
        let mut empty = Buffer::empty(Rect::new(0, 0, 0, 0));
        assert_eq!(put(&mut empty, 0, 0, 3, "abc", Style::new()), 0);
    }

    #[test]
    fn truncate_left_keeps_the_end() {
        assert_eq!(truncate_left("abcdef", 4), "…def");
        assert_eq!(truncate_left("abc", 4), "abc");
        assert_eq!(truncate_left("注文処理", 5), "…処理");
        assert_eq!(count(120), "99+");
    }
}
