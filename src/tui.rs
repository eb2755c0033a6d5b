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
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use std::io::stdout;

/// Where the explorer opens: the trace list, or a trace with (optionally) a span selected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenAt {
    pub trace: Option<TraceIdx>,
    pub span: Option<SpanIdx>,
}

/// Runs the interactive explorer until the user quits. Restores the terminal on every exit path.
pub fn run(index: Index, open: OpenAt) -> anyhow::Result<()> {
    let mut app = App::new(&index, open);
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

/// Blocking loop: draw, wait for one event, update. The data is static, so there is no tick.
fn event_loop(terminal: &mut ratatui::DefaultTerminal, app: &mut App<'_>) -> anyhow::Result<()> {
    let size = terminal.size().context("reading the terminal size")?;
    app.resize(size.width, size.height);
    while !app.quit {
        terminal.draw(|frame| crate::ui::render(frame, app)).context("drawing")?;
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
    }
    Ok(())
}
