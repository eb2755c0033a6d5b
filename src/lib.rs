//! weft: a terminal explorer for distributed traces and the span links between them.
//!
//! Data flows `load` → `model::Dataset` → `index::Index` → `app::App` → `ui`; `cli` and `tui`
//! are the two front ends over the same index.

#![deny(clippy::unwrap_used)]

pub mod app;
pub mod backend;
pub mod cli;
pub mod export;
pub mod index;
pub mod intern;
pub mod listen;
pub mod load;
pub mod model;
pub mod query;
pub mod samples;
pub mod text;
pub mod tui;
pub mod ui;
