//! Colours and styles, in one place. Service colours come from a hash of the service name, so a
//! service keeps its colour across traces, runs and machines.

use ratatui::style::{Color, Modifier, Style};

/// Colours for services. Red is left out: it means "error".
pub const PALETTE: [Color; 10] = [
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::LightCyan,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
];

pub const ERROR: Color = Color::Red;
pub const LINK_OUT: Color = Color::Cyan;
pub const LINK_IN: Color = Color::Magenta;
pub const WARN: Color = Color::Yellow;

/// FNV-1a: stable across runs and platforms (std's hasher is randomly seeded).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

pub fn service_color(service: &str) -> Color {
    PALETTE[(fnv1a(service) % PALETTE.len() as u64) as usize]
}

pub fn service(service: &str) -> Style {
    Style::new().fg(service_color(service))
}

pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

pub fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

pub fn error() -> Style {
    Style::new().fg(ERROR).add_modifier(Modifier::BOLD)
}

pub fn warn() -> Style {
    Style::new().fg(WARN)
}

pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// The critical path's bars and marker.
pub fn critical() -> Style {
    Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD)
}

/// A search match's name.
pub fn matched() -> Style {
    Style::new().fg(Color::Black).bg(Color::Yellow)
}

/// The selected row: reversed when its pane has the focus, a grey band when it has not.
pub fn selection(focused: bool) -> Style {
    if focused { Style::new().add_modifier(Modifier::REVERSED) } else { Style::new().bg(Color::DarkGray) }
}

/// The active tab, brighter when the details pane has the focus.
pub fn active_tab(focused: bool) -> Style {
    if focused {
        Style::new().fg(Color::Black).bg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
}

/// Whether the user asked for no colour: `NO_COLOR` set and not empty (no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Takes the colours out of a drawn frame, for `NO_COLOR`: text keeps its bold, underline and
/// reverse, and a cell that stood out by its background (the selection without focus, a search
/// match, the active tab) is shown reversed instead, so nothing that colour marked is lost.
pub fn monochrome(buf: &mut ratatui::buffer::Buffer) {
    for cell in &mut buf.content {
        if cell.bg != Color::Reset {
            cell.modifier.insert(Modifier::REVERSED);
        }
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monochrome_keeps_what_colour_marked_as_reverse_video() {
        let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 4, 1));
        buf.set_string(0, 0, "a", service("orders"));
        buf.set_string(1, 0, "b", selection(false));
        buf.set_string(2, 0, "c", matched());
        buf.set_string(3, 0, "d", error());
        monochrome(&mut buf);
        assert!(buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset));
        let reversed: Vec<bool> =
            buf.content.iter().map(|c| c.modifier.contains(Modifier::REVERSED)).collect();
        assert_eq!(reversed, [false, true, true, false]);
        assert!(buf.content[3].modifier.contains(Modifier::BOLD), "errors stay bold");
    }

    #[test]
    fn service_colours_are_stable_and_spread() {
        assert_eq!(service_color("orders"), service_color("orders"));
        let names = ["orders", "web", "worker", "postgres", "gateway", "search", "billing", "auth"];
        let distinct: std::collections::HashSet<_> = names.iter().map(|n| service_color(n)).collect();
        assert!(distinct.len() >= 4, "hash should spread services over the palette");
        assert!(!PALETTE.contains(&ERROR));
    }
}
