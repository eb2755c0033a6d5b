//! The one key binding table. crossterm key → `Key` → `lookup(contexts, key)` → `Action`.
//! The same table renders the footer hints, the `?` overlay and the README key table
//! (`markdown_table`), so none of them can disagree with what the keys do.

use super::action::Action;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where a binding applies. `App::contexts` lists the active ones, most specific first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    /// Everywhere (after the more specific contexts).
    Global,
    /// Every list: trace list, waterfall, detail tabs, picker, help.
    Move,
    /// The trace list screen.
    TraceList,
    /// Anywhere on a trace's screen.
    Trace,
    /// The waterfall pane has the focus.
    Waterfall,
    /// The details pane has the focus (any tab).
    Details,
    /// The Links tab has the focus.
    Links,
    /// The link picker overlay is open.
    Picker,
    /// The linked-traces view is open.
    Flow,
    /// The stitched timeline is open.
    Stitch,
    /// The per-operation summary is open.
    Summary,
    /// The diff of the marked trace against the open one is shown.
    Diff,
    /// A search or filter is being typed. Other printable keys are typed into it.
    Input,
    /// The loading screen, before the explorer opens (`tui::wait_for_load`).
    Loading,
    /// A trace is being fetched from a `--backend` store (before every other context).
    Fetching,
}

impl Context {
    /// Order of the sections in the help overlay and the README table.
    pub const ALL: &'static [Context] = &[
        Context::Global,
        Context::Move,
        Context::TraceList,
        Context::Trace,
        Context::Waterfall,
        Context::Details,
        Context::Links,
        Context::Picker,
        Context::Flow,
        Context::Stitch,
        Context::Summary,
        Context::Diff,
        Context::Input,
        Context::Loading,
        Context::Fetching,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Move => "Moving in any list",
            Context::TraceList => "Trace list",
            Context::Trace => "Trace (any pane)",
            Context::Waterfall => "Waterfall",
            Context::Details => "Details pane",
            Context::Links => "Links tab",
            Context::Picker => "Link picker",
            Context::Flow => "Linked traces",
            Context::Stitch => "Stitched timeline",
            Context::Summary => "Summary",
            Context::Diff => "Trace diff",
            Context::Input => "Typing a search or filter",
            Context::Loading => "Loading screen",
            Context::Fetching => "While fetching from a trace store (--backend)",
        }
    }
}

/// How eagerly the footer shows a binding. The footer drops `Low` hints first as width shrinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hint {
    None,
    Low,
    High,
    /// `? help` and `q quit`: shown on every screen.
    Always,
}

/// A key with its modifiers, normalised so that `G` is `Char('G')` without SHIFT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn new(code: KeyCode) -> Self {
        Self { code, mods: KeyModifiers::NONE }
    }
    pub const fn ch(c: char) -> Self {
        Self::new(KeyCode::Char(c))
    }
    pub const fn ctrl(c: char) -> Self {
        Self { code: KeyCode::Char(c), mods: KeyModifiers::CONTROL }
    }
    pub const fn alt(code: KeyCode) -> Self {
        Self { code, mods: KeyModifiers::ALT }
    }

    /// The key a crossterm event stands for, or `None` for releases and repeats (Windows
    /// reports those too). The case of a letter already says whether Shift was held, so SHIFT
    /// is dropped from characters; `Ctrl-H` is how some terminals send Backspace.
    pub fn from_event(ev: &KeyEvent) -> Option<Self> {
        if ev.kind != KeyEventKind::Press {
            return None;
        }
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = ev.code;
        match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    code = KeyCode::Char(c.to_ascii_lowercase());
                    if c.eq_ignore_ascii_case(&'h') && mods == KeyModifiers::CONTROL {
                        return Some(Key::new(KeyCode::Backspace));
                    }
                }
            }
            KeyCode::BackTab => mods.remove(KeyModifiers::SHIFT),
            _ => {}
        }
        Some(Self { code, mods })
    }

    /// The printable character this key types into a search field, if it is one.
    pub fn typed_char(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if (self.mods - KeyModifiers::SHIFT).is_empty() && !c.is_control() => Some(c),
            _ => None,
        }
    }

    /// How the key is written in the footer, help and README: `j`, `Ctrl-C`, `Alt-→`, `PgDn`.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => {
                c.to_ascii_uppercase().to_string()
            }
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "Shift-Tab".to_owned(),
            KeyCode::Backspace => "Backspace".to_owned(),
            other => format!("{other:?}"),
        };
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("Alt-");
        }
        out.push_str(&base);
        out
    }
}

/// One row of the table: in `ctx`, any of `keys` triggers `action`.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub ctx: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// What it does, as the help overlay and README say it.
    pub desc: &'static str,
    /// Short text for the footer.
    pub short: &'static str,
    pub hint: Hint,
}

impl Binding {
    /// `j/↓`: every key of the binding.
    pub fn keys_label(&self) -> String {
        self.keys.iter().map(|k| k.label()).collect::<Vec<_>>().join("/")
    }
}

const fn bind(
    ctx: Context,
    keys: &'static [Key],
    action: Action,
    short: &'static str,
    desc: &'static str,
    hint: Hint,
) -> Binding {
    Binding { ctx, keys, action, desc, short, hint }
}

use Context as C;
use KeyCode as K;

/// The binding table. Keep contexts grouped; the help overlay shows them in `Context::ALL` order.
pub const BINDINGS: &[Binding] = &[
    // Everywhere.
    bind(C::Global, &[Key::ch('?')], Action::ToggleHelp, "help", "show or hide this help", Hint::Always),
    bind(C::Global, &[Key::ch('q'), Key::ctrl('c')], Action::Quit, "quit", "quit", Hint::Always),
    bind(
        C::Global,
        &[Key::new(K::Backspace), Key::ctrl('o'), Key::alt(K::Left)],
        Action::GoBack,
        "back",
        "back to where the last jump began (like a browser)",
        Hint::High,
    ),
    bind(
        C::Global,
        &[Key::ctrl('f'), Key::alt(K::Right)],
        Action::GoForward,
        "forward",
        "go forward again after going back",
        Hint::Low,
    ),
    bind(
        C::Global,
        &[Key::new(K::Esc)],
        Action::GoUp,
        "up",
        "up: close overlay, search, query, focus, details; trace → list",
        Hint::Low,
    ),
    // Moving.
    bind(C::Move, &[Key::ch('j'), Key::new(K::Down)], Action::SelectNext, "down", "next row", Hint::None),
    bind(C::Move, &[Key::ch('k'), Key::new(K::Up)], Action::SelectPrev, "up", "previous row", Hint::None),
    bind(C::Move, &[Key::ch('g'), Key::new(K::Home)], Action::SelectFirst, "top", "first row", Hint::None),
    bind(C::Move, &[Key::ch('G'), Key::new(K::End)], Action::SelectLast, "bottom", "last row", Hint::None),
    bind(
        C::Move,
        &[Key::new(K::PageDown), Key::ctrl('d')],
        Action::PageDown,
        "page down",
        "one screen down",
        Hint::None,
    ),
    bind(
        C::Move,
        &[Key::new(K::PageUp), Key::ctrl('u')],
        Action::PageUp,
        "page up",
        "one screen up",
        Hint::None,
    ),
    // Trace list.
    bind(
        C::TraceList,
        &[Key::new(K::Enter)],
        Action::OpenTrace,
        "open",
        "open the selected trace",
        Hint::High,
    ),
    bind(
        C::TraceList,
        &[Key::ch('/')],
        Action::StartSearch,
        "filter",
        "filter by service, name or trace id",
        Hint::High,
    ),
    bind(
        C::TraceList,
        &[Key::ch('F')],
        Action::StartQuery,
        "query",
        "only traces with a span matching a query (duration>50ms error …)",
        Hint::Low,
    ),
    bind(C::TraceList, &[Key::ch('s')], Action::CycleSort, "sort", "sort by the next column", Hint::High),
    bind(C::TraceList, &[Key::ch('r')], Action::ReverseSort, "reverse", "reverse the sort order", Hint::Low),
    bind(
        C::TraceList,
        &[Key::ch('m')],
        Action::MarkTrace,
        "mark",
        "mark the selected trace to compare with (D in another trace)",
        Hint::Low,
    ),
    // Any pane of a trace.
    bind(
        C::Trace,
        &[Key::ch(']')],
        Action::FollowLink,
        "follow ↗",
        "follow the selected span's outgoing link",
        Hint::High,
    ),
    bind(
        C::Trace,
        &[Key::ch('[')],
        Action::FollowBacklink,
        "follow ↙",
        "follow an incoming link back to its source",
        Hint::High,
    ),
    bind(
        C::Trace,
        &[Key::ch('/')],
        Action::StartSearch,
        "search",
        "search span names, services and attribute values",
        Hint::High,
    ),
    bind(
        C::Trace,
        &[Key::ch('L')],
        Action::ShowLinkedTraces,
        "linked",
        "linked traces: every trace reachable through links, as a tree",
        Hint::Low,
    ),
    bind(
        C::Trace,
        &[Key::ch('y')],
        Action::CopyIds,
        "copy ids",
        "copy the selected span's (or link's) trace and span ids (OSC 52)",
        Hint::Low,
    ),
    bind(
        C::Trace,
        &[Key::ch('Y')],
        Action::CopySpanJson,
        "copy JSON",
        "copy the selected span as JSON: ids, times, attributes, events, links",
        Hint::None,
    ),
    bind(
        C::Trace,
        &[Key::ch('T')],
        Action::ShowStitchedTimeline,
        "timeline",
        "stitched timeline: this trace and its linked traces on one time axis",
        Hint::None,
    ),
    bind(
        C::Stitch,
        &[Key::new(K::Enter)],
        Action::OpenTrace,
        "open",
        "open the selected span in its own trace",
        Hint::High,
    ),
    bind(
        C::Stitch,
        &[Key::ch('h'), Key::new(K::Left)],
        Action::Collapse,
        "collapse",
        "collapse the span or trace block (again: go to its parent)",
        Hint::Low,
    ),
    bind(
        C::Stitch,
        &[Key::ch('l'), Key::new(K::Right)],
        Action::Expand,
        "expand",
        "expand the span or trace block",
        Hint::Low,
    ),
    bind(
        C::Stitch,
        &[Key::ch(' ')],
        Action::ToggleCollapse,
        "toggle",
        "collapse or expand the span or trace block",
        Hint::None,
    ),
    bind(
        C::Stitch,
        &[Key::ch('f')],
        Action::FetchMissing,
        "fetch missing",
        "fetch the open trace's linked traces that are not loaded (--backend)",
        Hint::High,
    ),
    bind(
        C::Trace,
        &[Key::ch('m')],
        Action::MarkTrace,
        "mark",
        "mark this trace to compare with (D in another trace)",
        Hint::None,
    ),
    bind(
        C::Trace,
        &[Key::ch('D')],
        Action::ShowDiff,
        "diff",
        "diff: the marked trace against this one, span by span",
        Hint::None,
    ),
    bind(
        C::Diff,
        &[Key::new(K::Enter)],
        Action::OpenTrace,
        "open",
        "open the selected span in its own trace (this one's if both have it)",
        Hint::High,
    ),
    bind(C::Flow, &[Key::new(K::Enter)], Action::OpenTrace, "open", "open the selected trace", Hint::High),
    bind(
        C::Flow,
        &[Key::ch('f')],
        Action::FetchMissing,
        "fetch missing",
        "fetch the traces linked from those shown that are not loaded (--backend)",
        Hint::High,
    ),
    bind(
        C::Flow,
        &[Key::ch('y')],
        Action::CopyIds,
        "copy ids",
        "copy the selected trace's id and its root span's id (OSC 52)",
        Hint::Low,
    ),
    bind(
        C::Trace,
        &[Key::ch('f')],
        Action::FetchMissing,
        "fetch missing",
        "fetch this trace's linked traces that are not loaded (--backend)",
        Hint::High,
    ),
    bind(
        C::Trace,
        &[Key::ch('F')],
        Action::StartQuery,
        "query",
        "query spans (duration>50ms error …): only matches and their ancestors stay",
        Hint::Low,
    ),
    bind(C::Trace, &[Key::ch('n')], Action::NextMatch, "next", "next search (or query) match", Hint::Low),
    bind(C::Trace, &[Key::ch('N')], Action::PrevMatch, "prev", "previous search (or query) match", Hint::Low),
    bind(
        C::Trace,
        &[Key::ch('e')],
        Action::NextError,
        "error",
        "next error span (expands what hides it)",
        Hint::Low,
    ),
    bind(C::Trace, &[Key::ch('E')], Action::PrevError, "prev error", "previous error span", Hint::None),
    bind(
        C::Trace,
        &[Key::ch('z')],
        Action::ToggleSpanFocus,
        "focus",
        "focus the selected span: its subtree is the whole view (again: leave)",
        Hint::Low,
    ),
    bind(
        C::Trace,
        &[Key::ch('S')],
        Action::ShowSummary,
        "summary",
        "summary of the trace per operation: spans, errors, total and self time, p50, p99",
        Hint::None,
    ),
    bind(C::Summary, &[Key::ch('s')], Action::CycleSort, "sort", "sort by the next column", Hint::High),
    bind(
        C::Summary,
        &[Key::new(K::Enter)],
        Action::FilterOperation,
        "filter",
        "show only this operation's spans in the waterfall",
        Hint::High,
    ),
    bind(
        C::Trace,
        &[Key::ch('1')],
        Action::ShowAttributes,
        "attrs",
        "Attributes tab (and focus it)",
        Hint::Low,
    ),
    bind(C::Trace, &[Key::ch('2')], Action::ShowEvents, "events", "Events tab (and focus it)", Hint::Low),
    bind(
        C::Trace,
        &[Key::ch('3')],
        Action::ShowLinks,
        "links",
        "Links tab (and focus its first row)",
        Hint::High,
    ),
    bind(C::Trace, &[Key::ch('4')], Action::ShowLogs, "logs", "Logs tab (and focus it)", Hint::Low),
    bind(C::Trace, &[Key::new(K::Tab)], Action::FocusNext, "pane", "focus the next pane", Hint::Low),
    bind(C::Trace, &[Key::new(K::BackTab)], Action::FocusPrev, "pane", "focus the previous pane", Hint::None),
    // Waterfall.
    bind(
        C::Waterfall,
        &[Key::ch('h'), Key::new(K::Left)],
        Action::Collapse,
        "collapse",
        "collapse the span (again: go to its parent)",
        Hint::Low,
    ),
    bind(
        C::Waterfall,
        &[Key::ch('l'), Key::new(K::Right)],
        Action::Expand,
        "expand",
        "expand the span",
        Hint::Low,
    ),
    bind(
        C::Waterfall,
        &[Key::new(K::Enter), Key::ch(' ')],
        Action::ToggleCollapse,
        "toggle",
        "collapse or expand the span",
        Hint::None,
    ),
    bind(
        C::Waterfall,
        &[Key::ch('-')],
        Action::CollapseAll,
        "collapse all",
        "collapse every span",
        Hint::None,
    ),
    bind(
        C::Waterfall,
        &[Key::ch('+'), Key::ch('=')],
        Action::ExpandAll,
        "expand all",
        "expand every span",
        Hint::None,
    ),
    bind(
        C::Waterfall,
        &[Key::ch('c')],
        Action::ToggleCriticalPath,
        "critical",
        "mark the trace's critical path (◆, bars █; others ░)",
        Hint::Low,
    ),
    bind(
        C::Waterfall,
        &[Key::ch('C')],
        Action::ToggleCrossCriticalPath,
        "critical ↗",
        "critical path that may continue through links into other loaded traces",
        Hint::None,
    ),
    // Details pane.
    bind(C::Details, &[Key::ch('h'), Key::new(K::Left)], Action::PrevTab, "tab", "previous tab", Hint::None),
    bind(C::Details, &[Key::ch('l'), Key::new(K::Right)], Action::NextTab, "tab", "next tab", Hint::Low),
    bind(
        C::Details,
        &[Key::new(K::Enter)],
        Action::ShowValue,
        "full value",
        "show the selected value in full",
        Hint::Low,
    ),
    // Links tab.
    bind(
        C::Links,
        &[Key::new(K::Enter)],
        Action::JumpToLink,
        "jump",
        "jump to the other end of the link (any trace)",
        Hint::High,
    ),
    // Picker.
    bind(C::Picker, &[Key::new(K::Enter)], Action::JumpToLink, "jump", "jump to the picked span", Hint::High),
    // Typing.
    bind(
        C::Input,
        &[Key::new(K::Enter)],
        Action::ConfirmInput,
        "keep",
        "stop typing; a search expands all matches",
        Hint::High,
    ),
    bind(C::Input, &[Key::new(K::Esc)], Action::GoUp, "clear", "clear and stop typing", Hint::High),
    bind(
        C::Input,
        &[Key::new(K::Backspace)],
        Action::DeleteChar,
        "delete",
        "delete the last character",
        Hint::None,
    ),
    bind(C::Input, &[Key::new(K::Down)], Action::NextMatch, "next", "next match (or row)", Hint::Low),
    bind(C::Input, &[Key::new(K::Up)], Action::PrevMatch, "prev", "previous match (or row)", Hint::Low),
    // The loading screen: quitting there cancels the load.
    bind(
        C::Loading,
        &[Key::ctrl('c'), Key::ch('q'), Key::new(K::Esc)],
        Action::Quit,
        "cancel",
        "cancel the load and quit (again: quit without waiting for the load to stop)",
        Hint::Always,
    ),
    bind(
        C::Fetching,
        &[Key::new(K::Esc)],
        Action::CancelFetch,
        "cancel fetch",
        "cancel the fetch (what arrived stays)",
        Hint::High,
    ),
];

/// Mouse behaviour, listed after the keys in the help overlay and the README.
pub const MOUSE_HELP: &[(&str, &str)] = &[
    ("wheel", "scroll the list under the pointer"),
    ("click", "select a row, or show a details tab"),
    ("click a selected trace", "open it"),
    ("click a link row", "jump to the other end of the link"),
];

/// What typing does in `Context::Input`, for the help and README (not a binding: any character).
pub const TYPING_HELP: (&str, &str) = ("any character", "type; matches update as you type");

/// The action for `key` in the first of `contexts` that binds it.
pub fn lookup(contexts: &[Context], key: Key) -> Option<Action> {
    contexts.iter().find_map(|&ctx| binding_for(ctx, key).map(|b| b.action))
}

/// The keys that `key` stands for in `contexts`: itself, or, for an Alt key that none of them
/// binds, `Esc` and then the key without Alt. A terminal sends Esc pressed quickly before a key
/// the way it sends Alt with that key (`\x1bT` is both Esc,T and Alt-T), so a key that would
/// otherwise be lost is read as the two presses a person most likely made.
pub fn as_typed(contexts: &[Context], key: Key) -> impl Iterator<Item = Key> {
    let split = key.mods.contains(KeyModifiers::ALT) && lookup(contexts, key).is_none();
    let (first, second) = if split {
        (Key::new(KeyCode::Esc), Some(Key { code: key.code, mods: key.mods - KeyModifiers::ALT }))
    } else {
        (key, None)
    };
    std::iter::once(first).chain(second)
}

/// The binding for `key` in exactly `ctx`.
pub fn binding_for(ctx: Context, key: Key) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.ctx == ctx && b.keys.contains(&key))
}

/// The first key bound to `action` in `ctx` (tests press keys from the table, not literals).
pub fn key_for(ctx: Context, action: Action) -> Option<Key> {
    BINDINGS.iter().find(|b| b.ctx == ctx && b.action == action).and_then(|b| b.keys.first().copied())
}

/// `j/↓`: every key bound to `action` in `ctx`, for texts outside the footer that name them.
pub fn keys_label_for(ctx: Context, action: Action) -> String {
    bindings_in(ctx).filter(|b| b.action == action).map(Binding::keys_label).collect::<Vec<_>>().join("/")
}

/// The bindings of one context, in table order.
pub fn bindings_in(ctx: Context) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| b.ctx == ctx)
}

/// The key table as Markdown, one section row per context, for the README.
pub fn markdown_table() -> String {
    let mut out = String::from("| Keys | Action |\n| --- | --- |\n");
    for &ctx in Context::ALL {
        out.push_str(&format!("| **{}** | |\n", ctx.title()));
        for b in bindings_in(ctx) {
            let keys = b.keys.iter().map(|k| format!("`{}`", k.label())).collect::<Vec<_>>().join(" ");
            out.push_str(&format!("| {} | {} |\n", keys.replace('|', "\\|"), b.desc));
        }
        if ctx == Context::Input {
            out.push_str(&format!("| {} | {} |\n", TYPING_HELP.0, TYPING_HELP.1));
        }
    }
    out.push_str("| **Mouse** | |\n");
    for (what, desc) in MOUSE_HELP {
        out.push_str(&format!("| {what} | {desc} |\n"));
    }
    out
}

/// One line of the help overlay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelpLine {
    Section(&'static str),
    Entry { keys: String, desc: &'static str },
    Blank,
}

/// The help overlay's content, generated from the table: a section per context, then mouse.
pub fn help_lines() -> Vec<HelpLine> {
    let mut out = Vec::new();
    for &ctx in Context::ALL {
        out.push(HelpLine::Section(ctx.title()));
        for b in bindings_in(ctx) {
            out.push(HelpLine::Entry { keys: b.keys_label(), desc: b.desc });
        }
        if ctx == Context::Input {
            out.push(HelpLine::Entry { keys: TYPING_HELP.0.to_owned(), desc: TYPING_HELP.1 });
        }
        out.push(HelpLine::Blank);
    }
    out.push(HelpLine::Section("Mouse"));
    for (what, desc) in MOUSE_HELP {
        out.push(HelpLine::Entry { keys: (*what).to_owned(), desc });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for &ctx in Context::ALL {
            let mut seen = HashSet::new();
            for b in bindings_in(ctx) {
                for k in b.keys {
                    assert!(seen.insert(*k), "{} bound twice in {ctx:?}", k.label());
                }
            }
        }
    }

    #[test]
    fn every_action_is_bound() {
        for a in Action::ALL {
            assert!(BINDINGS.iter().any(|b| b.action == *a), "{a:?} has no key");
        }
    }

    #[test]
    fn every_context_has_bindings_and_a_title_in_all() {
        for &ctx in Context::ALL {
            assert!(bindings_in(ctx).next().is_some(), "{ctx:?} is empty");
        }
        assert!(BINDINGS.iter().all(|b| Context::ALL.contains(&b.ctx)));
    }

    #[test]
    fn lookup_prefers_the_first_context() {
        let bs = Key::new(KeyCode::Backspace);
        assert_eq!(lookup(&[Context::Input, Context::Global], bs), Some(Action::DeleteChar));
        assert_eq!(lookup(&[Context::Waterfall, Context::Global], bs), Some(Action::GoBack));
        assert_eq!(lookup(&[Context::Global], Key::ch('j')), None);
    }

    #[test]
    fn the_loading_screen_quits_on_ctrl_c_q_and_esc_only() {
        let quits = |key| lookup(&[Context::Loading], key) == Some(Action::Quit);
        assert!(quits(Key::ctrl('c')));
        assert!(quits(Key::ch('q')));
        assert!(quits(Key::new(KeyCode::Esc)));
        assert!(!quits(Key::ch('c')), "plain c");
        assert!(!quits(Key::ctrl('q')), "Ctrl-q");
        assert!(!quits(Key::ch('Q')), "Q");
        assert!(!quits(Key::ch('j')));
        assert_eq!(keys_label_for(Context::Loading, Action::Quit), "Ctrl-C/q/Esc");
    }

    #[test]
    fn an_alt_key_bound_nowhere_is_esc_then_the_key() {
        let typed = |contexts: &[Context], key| as_typed(contexts, key).collect::<Vec<_>>();
        let esc = Key::new(KeyCode::Esc);
        let alt_t = Key { code: KeyCode::Char('T'), mods: KeyModifiers::ALT };
        assert_eq!(typed(&[Context::Trace, Context::Global], alt_t), [esc, Key::ch('T')]);
        let ctrl_alt_c = Key { code: KeyCode::Char('c'), mods: KeyModifiers::ALT | KeyModifiers::CONTROL };
        assert_eq!(typed(&[Context::Loading], ctrl_alt_c), [esc, Key::ctrl('c')]);
        // Alt keys with a binding of their own stay themselves; other keys are never split.
        let alt_left = Key::alt(KeyCode::Left);
        assert_eq!(typed(&[Context::Waterfall, Context::Global], alt_left), [alt_left]);
        assert_eq!(typed(&[Context::Global], Key::ch('x')), [Key::ch('x')]);
        assert_eq!(typed(&[Context::Global], Key::ctrl('x')), [Key::ctrl('x')]);
        // Only the contexts given count: typing a search binds no Alt key.
        assert_eq!(typed(&[Context::Input], alt_left), [esc, Key::new(KeyCode::Left)]);
    }

    #[test]
    fn forward_is_never_ctrl_i_which_is_tab() {
        for b in BINDINGS.iter().filter(|b| b.action == Action::GoForward) {
            assert!(!b.keys.contains(&Key::ctrl('i')));
            assert!(!b.keys.contains(&Key::new(KeyCode::Tab)));
        }
    }

    #[test]
    fn events_are_normalised() {
        let ev = |code, mods| KeyEvent::new(code, mods);
        assert_eq!(Key::from_event(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Key::ch('G')));
        assert_eq!(Key::from_event(&ev(KeyCode::Char('C'), KeyModifiers::CONTROL)), Some(Key::ctrl('c')));
        assert_eq!(
            Key::from_event(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Key::new(KeyCode::BackTab))
        );
        assert_eq!(
            Key::from_event(&ev(KeyCode::Char('h'), KeyModifiers::CONTROL)),
            Some(Key::new(KeyCode::Backspace))
        );
        let mut release = ev(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(Key::from_event(&release), None);
    }

    #[test]
    fn labels_read_like_the_docs() {
        assert_eq!(Key::ctrl('c').label(), "Ctrl-C");
        assert_eq!(Key::alt(KeyCode::Right).label(), "Alt-→");
        assert_eq!(Key::new(KeyCode::BackTab).label(), "Shift-Tab");
        assert_eq!(Key::ch(' ').label(), "Space");
    }

    #[test]
    fn help_has_a_section_per_context_and_every_binding() {
        let lines = help_lines();
        for &ctx in Context::ALL {
            assert!(lines.contains(&HelpLine::Section(ctx.title())), "no {ctx:?} section");
        }
        for b in BINDINGS {
            let entry = HelpLine::Entry { keys: b.keys_label(), desc: b.desc };
            assert!(lines.contains(&entry), "help lacks {entry:?}");
        }
    }

    #[test]
    fn markdown_table_lists_every_binding() {
        let md = markdown_table();
        for b in BINDINGS {
            assert!(md.contains(b.desc), "missing {}", b.desc);
        }
        insta::assert_snapshot!(md);
    }
}
