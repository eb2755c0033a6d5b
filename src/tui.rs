//! Terminal setup/restore and the event loop: the only module that touches the terminal.
//!
//! `ratatui::try_init` enters raw mode and the alternate screen and installs a panic hook that
//! restores the terminal before the panic message prints; mouse capture is switched on after
//! it and off again on every exit path (including that panic hook), so the shell never
//! receives mouse escape codes afterwards.

use crate::app::App;
use crate::app::keymap::Key;
use crate::index::{Index, SpanIdx, TraceIdx};
use anyhow::Context as _;
use base64::Engine as _;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use std::io::{Write, stdout};

/// The OSC 52 "set clipboard" sequence for `text`. Terminals that do not support it (or have it
/// switched off, as tmux does unless `set-clipboard` is on) ignore it silently.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64::engine::general_purpose::STANDARD.encode(text))
}

/// Writes a pending clipboard request, if the last event made one.
fn flush_clipboard(app: &mut App<'_>) -> anyhow::Result<()> {
    if let Some(text) = app.clipboard.take() {
        let mut out = stdout().lock();
        out.write_all(osc52(&text).as_bytes()).context("writing to the clipboard")?;
        out.flush().context("writing to the clipboard")?;
    }
    Ok(())
}

/// Where the explorer opens: the trace list, or a trace with (optionally) a span selected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenAt {
    pub trace: Option<TraceIdx>,
    pub span: Option<SpanIdx>,
}

/// Runs the interactive explorer until the user quits. Restores the terminal on every exit path.
/// `skipped_files` counts files in opened folders that could not be loaded, for the header.
pub fn run(index: Index, open: OpenAt, skipped_files: usize) -> anyhow::Result<()> {
    let mut app = App::new(&index, open);
    app.skipped_files = skipped_files;
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            // Raw mode may already be on when entering the alternate screen failed.
            ratatui::restore();
            return Err(e).context("setting up the terminal");
        }
    };
    // Chain a hook that turns mouse capture off before ratatui's hook restores the rest.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), DisableMouseCapture);
        previous(info);
    }));
    let result = execute!(stdout(), EnableMouseCapture)
        .context("enabling mouse capture")
        .and_then(|()| event_loop(&mut terminal, &mut app));
    let mouse_off = execute!(stdout(), DisableMouseCapture);
    ratatui::restore();
    result?;
    mouse_off.context("disabling mouse capture")?;
    Ok(())
}

/// Test hook for the end-to-end test of terminal restore on panic: with `WEFT_DEBUG_PANIC=1`, a
/// debug build panics once the first frame is on screen. Release builds never read the variable.
fn debug_panic_after_first_frame() {
    #[cfg(debug_assertions)]
    if std::env::var_os("WEFT_DEBUG_PANIC").is_some_and(|v| v == "1") {
        panic!("WEFT_DEBUG_PANIC: deliberate panic after the first frame");
    }
}

/// Blocking loop: draw, wait for one event, update. The data is static, so there is no tick.
fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App<'_>) -> anyhow::Result<()> {
    // crossterm starts listening for SIGWINCH on its first poll/read; do that before the first
    // frame, so a resize right after it is drawn is not lost (the e2e resize test hit this).
    event::poll(std::time::Duration::ZERO).context("reading terminal input")?;
    let size = terminal.size().context("reading the terminal size")?;
    app.resize(size.width, size.height);
    while !app.quit {
        terminal.draw(|frame| crate::ui::render(frame, app)).context("drawing")?;
        debug_panic_after_first_frame();
        match event::read().context("reading terminal input")? {
            Event::Key(ev) => {
                if let Some(key) = Key::from_event(&ev) {
                    app.handle_key(key);
                }
            }
            Event::Mouse(m) => match m.kind {
                MouseEventKind::ScrollDown => app.wheel(m.column, m.row, true),
                MouseEventKind::ScrollUp => app.wheel(m.column, m.row, false),
                MouseEventKind::Down(MouseButton::Left) => app.click(m.column, m.row),
                _ => {}
            },
            Event::Resize(w, h) => app.resize(w, h),
            _ => {}
        }
        flush_clipboard(app)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_wraps_base64_text() {
        assert_eq!(super::osc52("ab c"), "\x1b]52;c;YWIgYw==\x07");
    }
}
