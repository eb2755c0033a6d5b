//! `Action`: every user-visible behaviour of the explorer, named as an intent. Keys map to
//! actions in `keymap`; `App::update` is the only code that acts on them.

/// Declares `Action` and `Action::ALL` from one list, so the "every action is bound" test can
/// never miss a variant that was added later.
macro_rules! actions {
    ($($(#[doc = $doc:literal])+ $variant:ident,)+) => {
        /// A user intent. Bound to keys in `keymap::BINDINGS`; handled by `App::update`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Action {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)+];
        }
    };
}

actions! {
    /// Leave weft.
    Quit,
    /// Show or hide the key help overlay.
    ToggleHelp,
    /// Go back in the jump history (like a browser's back button).
    GoBack,
    /// Go forward again after going back.
    GoForward,
    /// Go up one level: close an overlay, stop a search, leave the details pane, leave a trace
    /// for the trace list, clear the list filter.
    GoUp,
    /// Move the focus to the next pane (waterfall ↔ details).
    FocusNext,
    /// Move the focus to the previous pane.
    FocusPrev,
    /// Select the next row.
    SelectNext,
    /// Select the previous row.
    SelectPrev,
    /// Select the first row.
    SelectFirst,
    /// Select the last row.
    SelectLast,
    /// Move the selection down one screenful.
    PageDown,
    /// Move the selection up one screenful.
    PageUp,
    /// Collapse the selected span, or select its parent when it is already collapsed or a leaf.
    Collapse,
    /// Expand the selected span.
    Expand,
    /// Collapse an expanded span or expand a collapsed one.
    ToggleCollapse,
    /// Collapse every span that has children.
    CollapseAll,
    /// Expand every span.
    ExpandAll,
    /// Follow the selected span's outgoing link (a picker when it has several).
    FollowLink,
    /// Follow a link that points at the selected span, back to its source.
    FollowBacklink,
    /// Start typing a search (in a trace) or a filter (in the trace list).
    StartSearch,
    /// Select the next search match.
    NextMatch,
    /// Select the previous search match.
    PrevMatch,
    /// Show the Attributes tab and move the focus into it.
    ShowAttributes,
    /// Show the Events tab and move the focus into it.
    ShowEvents,
    /// Show the Links tab and move the focus into it.
    ShowLinks,
    /// Show the previous details tab.
    PrevTab,
    /// Show the next details tab.
    NextTab,
    /// Open the selected trace.
    OpenTrace,
    /// Show every trace reachable from this one through links, in either direction, as a tree.
    ShowLinkedTraces,
    /// Show the open trace and the traces linked to it on one shared time axis.
    ShowStitchedTimeline,
    /// Copy the selected span's (or link's far end's) trace and span ids to the clipboard.
    CopyIds,
    /// Copy the selected span as one JSON object (ids, times, attributes, events, links) to the
    /// clipboard.
    CopySpanJson,
    /// Mark (or unmark) the open trace's critical path.
    ToggleCriticalPath,
    /// Mark (or unmark) the critical path that may continue through links into other traces.
    ToggleCrossCriticalPath,
    /// Sort the trace list by the next column.
    CycleSort,
    /// Reverse the trace list's sort order.
    ReverseSort,
    /// Jump to the other end of the selected link.
    JumpToLink,
    /// Show the selected attribute or event in full, wrapped, in an overlay.
    ShowValue,
    /// Stop typing and keep the search or filter (a search reveals all its matches).
    ConfirmInput,
    /// Delete the last typed character.
    DeleteChar,
    /// Fetch the traces linked from those in view that are not loaded, from the `--backend`
    /// stores.
    FetchMissing,
    /// Cancel the fetches in flight.
    CancelFetch,
    /// Start typing a span query: in a trace only matching spans (and their ancestors) stay; in
    /// the trace list only traces holding a matching span.
    StartQuery,
    /// Select the next error span in the open trace, expanding what hides it.
    NextError,
    /// Select the previous error span in the open trace.
    PrevError,
    /// Make the selected span's subtree the whole view (its own time axis), or leave that focus.
    ToggleSpanFocus,
    /// Show the per-operation summary (the `weft stats` table) of the open trace.
    ShowSummary,
    /// Filter the waterfall to the operation selected in the summary.
    FilterOperation,
    /// Remember the selected (or open) trace as the one to compare against.
    MarkTrace,
    /// Open the diff of the marked trace against the open one.
    ShowDiff,
    /// Show the Logs tab (and focus it).
    ShowLogs,
}
