//! Trace stores → bytes → `load`: the Jaeger, Tempo and Zipkin query APIs as a source of traces
//! beside files (STYLE §9). A store is named like a path (`jaeger+http://HOST:16686`, or a trace
//! page URL pasted from a browser); what it answers goes through the same loaders as a file, with
//! the format the endpoint returns, so there is no second schema.
//!
//! - `address`: the URL forms and what they name.
//! - `http`: one blocking HTTP client (ureq + rustls), its timeout and extra headers.
//! - `fetch`: one trace by id, or a search, per kind of store.
//! - `service`: worker threads fetching in the background, results delivered as messages; the
//!   explorer's `Effect::Fetch` and the CLI's `--linked` walk both use it.
//! - `gather`: the CLI's plan (`--trace`, `--service`, `--linked`) run to one `Dataset`.

pub mod address;
pub mod error;
pub mod fetch;
pub mod gather;
pub mod http;
pub mod service;

pub use address::{Backend, Kind, Target};
pub use error::FetchError;
pub use fetch::Search;
pub use gather::Plan;
pub use http::Client;
pub use service::{FetchService, Fetched, Ticket};
