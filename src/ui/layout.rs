//! `Areas::new(terminal size)`: the single source of geometry. Pure; `ui` draws into these
//! rectangles and `app` uses them for page sizes, scroll clamping and mouse hit-testing.
//! All arithmetic saturates, so any size (even 0×0) yields valid, possibly empty, rectangles.

use ratatui::layout::Rect;

/// Below this the explorer only says the terminal is too small.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;
/// From this width on, details sit beside the waterfall instead of below it.
pub const WIDE_WIDTH: u16 = 120;
pub const HEADER_HEIGHT: u16 = 2;
pub const FOOTER_HEIGHT: u16 = 1;
/// The waterfall's share of a wide body, in percent.
const WIDE_WATERFALL_PERCENT: u16 = 55;
/// The details pane's share of a narrow body, in twentieths.
const NARROW_DETAIL_TWENTIETHS: u16 = 9;

/// The linked-traces view grows with the terminal up to this many columns.
pub const FLOW_MAX_WIDTH: u16 = 140;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
    /// Trace list: column titles, then rows.
    pub list_head: Rect,
    pub list_rows: Rect,
    /// Waterfall: column titles and time ruler, then rows.
    pub waterfall_head: Rect,
    pub waterfall_rows: Rect,
    /// The line between waterfall and details (a column when wide; empty when narrow, where
    /// the tab bar separates them).
    pub divider: Rect,
    pub detail_tabs: Rect,
    pub detail_rows: Rect,
    pub wide: bool,
}

pub fn is_too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// `rect` split at `n` rows from its top: (top, rest).
fn take_top(rect: Rect, n: u16) -> (Rect, Rect) {
    let n = n.min(rect.height);
    (Rect { height: n, ..rect }, Rect { y: rect.y.saturating_add(n), height: rect.height - n, ..rect })
}

/// `rect` split at `n` columns from its left: (left, rest).
fn take_left(rect: Rect, n: u16) -> (Rect, Rect) {
    let n = n.min(rect.width);
    (Rect { width: n, ..rect }, Rect { x: rect.x.saturating_add(n), width: rect.width - n, ..rect })
}

impl Areas {
    pub fn new(area: Rect) -> Self {
        let (header, rest) = take_top(area, HEADER_HEIGHT);
        let (body, footer) = take_top(rest, rest.height.saturating_sub(FOOTER_HEIGHT));
        let (list_head, list_rows) = take_top(body, 1);
        let wide = area.width >= WIDE_WIDTH;
        let (waterfall, divider, detail) = if wide {
            let w = (u32::from(body.width) * u32::from(WIDE_WATERFALL_PERCENT) / 100) as u16;
            let (waterfall, rest) = take_left(body, w);
            let (divider, detail) = take_left(rest, 1);
            (waterfall, divider, detail)
        } else {
            let detail_h = (u32::from(body.height) * u32::from(NARROW_DETAIL_TWENTIETHS) / 20) as u16;
            let (waterfall, detail) = take_top(body, body.height.saturating_sub(detail_h));
            (waterfall, Rect { height: 0, ..detail }, detail)
        };
        let (waterfall_head, waterfall_rows) = take_top(waterfall, 1);
        let (detail_tabs, detail_rows) = take_top(detail, 1);
        Self {
            header,
            body,
            footer,
            list_head,
            list_rows,
            waterfall_head,
            waterfall_rows,
            divider,
            detail_tabs,
            detail_rows,
            wide,
        }
    }

    /// The stitched timeline's ruler line: it fills the body, like the trace list.
    pub fn stitch_head(&self) -> Rect {
        self.list_head
    }

    /// The stitched timeline's rows, below its ruler.
    pub fn stitch_rows(&self) -> Rect {
        self.list_rows
    }

    /// The diff view's column head, over the whole body like the stitched timeline.
    pub fn diff_head(&self) -> Rect {
        self.list_head
    }

    /// The diff view's rows, below its head.
    pub fn diff_rows(&self) -> Rect {
        self.list_rows
    }

    /// The link picker's frame (border included) for `rows` entries.
    pub fn picker(&self, rows: usize) -> Rect {
        let width = self.body.width.saturating_sub(4).min(110);
        let height =
            u16::try_from(rows.saturating_add(2)).unwrap_or(u16::MAX).min(self.body.height.saturating_sub(2));
        centered(self.body, width, height)
    }

    /// The linked-traces view's frame (border included) for `rows` traces: border, a column
    /// head and the rows, as tall as the body allows; wider than the help when the terminal is.
    pub fn flow(&self, rows: usize) -> Rect {
        let width = self.body.width.saturating_sub(4).min(FLOW_MAX_WIDTH);
        let height =
            u16::try_from(rows.saturating_add(3)).unwrap_or(u16::MAX).min(self.body.height.saturating_sub(2));
        centered(self.body, width, height)
    }

    /// The linked-traces view's rows: inside the border, below its column head line.
    pub fn flow_rows(&self, rows: usize) -> Rect {
        let f = self.flow(rows);
        Rect {
            x: f.x.saturating_add(1),
            y: f.y.saturating_add(2),
            width: f.width.saturating_sub(2),
            height: f.height.saturating_sub(3),
        }
    }

    /// The summary overlay's frame: the same box as the linked-traces view.
    pub fn summary(&self, rows: usize) -> Rect {
        self.flow(rows)
    }

    /// The summary overlay's rows, below its column head.
    pub fn summary_rows(&self, rows: usize) -> Rect {
        self.flow_rows(rows)
    }

    /// The help overlay's frame (border included).
    pub fn help(&self) -> Rect {
        centered(self.body, self.body.width.saturating_sub(4).min(100), self.body.height.saturating_sub(2))
    }
}

/// A `width`×`height` rectangle centred in `outer` (clipped to it).
pub fn centered(outer: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(outer.width);
    let height = height.min(outer.height);
    Rect {
        x: outer.x.saturating_add((outer.width - width) / 2),
        y: outer.y.saturating_add((outer.height - height) / 2),
        width,
        height,
    }
}

/// The waterfall's columns: link gutter, span tree, duration, time bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaterfallCols {
    pub gutter: (u16, u16),
    pub tree: (u16, u16),
    pub duration: (u16, u16),
    pub bar: (u16, u16),
}

/// Gutter for link markers like `↗5↙2 +↗3`.
const GUTTER_WIDTH: u16 = 10;
const NARROW_GUTTER_WIDTH: u16 = 6;
const DURATION_WIDTH: u16 = 9;

impl WaterfallCols {
    /// Column (x, width) pairs inside a waterfall of `area`.
    pub fn new(area: Rect) -> Self {
        let w = area.width;
        let gutter = if w >= 60 { GUTTER_WIDTH } else { NARROW_GUTTER_WIDTH }.min(w);
        let duration = DURATION_WIDTH.min(w - gutter);
        let rest = w - gutter - duration;
        let bar = if w >= 100 { rest * 2 / 5 } else { rest * 3 / 10 };
        let tree = rest - bar;
        let x = area.x;
        Self {
            gutter: (x, gutter),
            tree: (x.saturating_add(gutter), tree),
            duration: (x.saturating_add(gutter + tree), duration),
            bar: (x.saturating_add(gutter + tree + duration), bar),
        }
    }
}

/// Columns of indentation per tree level.
pub const INDENT_STEP: usize = 2;

/// Where a span's expand/collapse glyph sits inside the tree column: two columns per level,
/// but never more than half the column, so deep spans keep room for their names.
pub fn tree_indent(depth: usize, tree_width: u16) -> usize {
    depth.saturating_mul(INDENT_STEP).min(usize::from(tree_width) / 2)
}

/// Width of one tab in the details tab bar: the title with a space on each side.
pub fn tab_width(title: &str) -> u16 {
    u16::try_from(unicode_width::UnicodeWidthStr::width(title).saturating_add(2)).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_stacks_details_below_and_wide_puts_them_beside() {
        let a = Areas::new(Rect::new(0, 0, 80, 24));
        assert!(!a.wide);
        assert_eq!(a.body.height, 21);
        assert_eq!(a.waterfall_rows.width, 80);
        assert_eq!(a.detail_tabs.y, a.waterfall_rows.bottom());
        assert_eq!(a.detail_rows.bottom(), a.footer.y);
        let a = Areas::new(Rect::new(0, 0, 200, 50));
        assert!(a.wide);
        assert_eq!(a.waterfall_rows.width + 1 + a.detail_rows.width, 200);
        assert_eq!(a.detail_rows.height, a.waterfall_rows.height);
    }

    #[test]
    fn degenerate_sizes_give_empty_rects() {
        for (w, h) in [(0, 0), (1, 1), (3, 2), (40, 3)] {
            let a = Areas::new(Rect::new(0, 0, w, h));
            for r in [a.header, a.body, a.footer, a.waterfall_rows, a.detail_rows, a.list_rows] {
                assert!(r.right() <= w && r.bottom() <= h, "{r:?} outside {w}x{h}");
            }
            let c = WaterfallCols::new(a.waterfall_rows);
            assert!(c.gutter.1 + c.tree.1 + c.duration.1 + c.bar.1 <= w);
        }
    }

    #[test]
    fn columns_fill_the_width() {
        let c = WaterfallCols::new(Rect::new(0, 3, 80, 10));
        assert_eq!(c.gutter.1 + c.tree.1 + c.duration.1 + c.bar.1, 80);
        assert_eq!(c.bar.0 + c.bar.1, 80);
    }
}
