//! PATHs and `StoreArgs` → the files to load and the `backend::Plan` for the trace stores among
//! them. Every mistake is a `UsageError` (exit 2) that says what was expected.

use super::ids::UsageError;
use super::{FetchArgs, StoreArgs};
use crate::backend::{self, Plan, Search};
use crate::model::TraceId;
use std::path::PathBuf;

/// What a command reads: files (and folders, `-`), and what to fetch from stores.
#[derive(Debug)]
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub plan: Option<Plan>,
}

impl Inputs {
    /// Files and folders only, nothing to fetch (`weft listen PATH…`, `--follow`).
    pub fn files(paths: &[PathBuf]) -> Self {
        Self { files: paths.to_vec(), plan: None }
    }

    /// The `--trace` value a command selects with: the only one; several are allowed (and select
    /// nothing, so the command covers everything loaded) only when fetching from a store.
    pub fn selected<'a>(&self, traces: &'a [String]) -> Result<Option<&'a str>, UsageError> {
        match traces {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ if self.plan.is_some() => Ok(None),
            _ => Err(UsageError(
                "--trace names one trace (several only to fetch from a trace store)".to_owned(),
            )),
        }
    }
}

/// Splits `paths` into files and stores, and builds the plan from `--trace` and `store`.
pub fn inputs(paths: &[PathBuf], traces: &[String], store: &StoreArgs) -> Result<Inputs, UsageError> {
    let mut files = Vec::new();
    let mut backends = Vec::new();
    let mut wanted = Vec::new();
    let urls = paths.iter().filter_map(|p| p.to_str().filter(|s| backend::address::is_url(s)));
    for p in paths {
        if !p.to_str().is_some_and(backend::address::is_url) {
            files.push(p.clone());
        }
    }
    for text in urls.chain(store.fetch.backends.iter().map(String::as_str)) {
        let target = backend::address::parse(text).map_err(UsageError)?;
        wanted.extend(target.trace);
        if !backends.contains(&target.backend) {
            backends.push(target.backend);
        }
    }
    if backends.is_empty() {
        if store.service.is_some() {
            return Err(UsageError(
                "--service searches a trace store: give one as PATH (jaeger+http://HOST:16686, …) or with --backend"
                    .to_owned(),
            ));
        }
        return Ok(Inputs { files, plan: None });
    }
    for text in traces {
        match full_trace_id(text) {
            Ok(id) => wanted.push(id),
            // Beside files a prefix only selects among what they hold (`weft FILE --trace 1f0f
            // --backend URL` opens the explorer there, fetching on demand).
            Err(_) if !files.is_empty() => {}
            Err(e) => return Err(e),
        }
    }
    let search = store.service.clone().map(|service| Search {
        service,
        operation: store.operation.clone(),
        since: store.since,
        limit: store.limit as usize,
    });
    if wanted.is_empty() && search.is_none() && files.is_empty() {
        let shown: Vec<String> = backends.iter().map(ToString::to_string).collect();
        return Err(UsageError(format!(
            "nothing to fetch from {}: give --trace ID (repeatable) or --service NAME",
            shown.join(", ")
        )));
    }
    let plan = Plan {
        backends,
        client: store.fetch.client(),
        traces: wanted,
        search,
        linked: store.linked,
        max_traces: store.max_traces,
    };
    Ok(Inputs { files, plan: Some(plan) })
}

impl FetchArgs {
    /// The HTTP client for `--timeout` and `--header`.
    pub fn client(&self) -> backend::Client {
        backend::Client::new(self.timeout, self.headers.clone())
    }

    /// The `--backend` stores, each once, in order (`weft listen`'s explorer fetches from them).
    pub fn stores(&self) -> Result<Vec<backend::Backend>, UsageError> {
        let mut stores = Vec::new();
        for text in &self.backends {
            let store = backend::address::parse(text).map_err(UsageError)?.backend;
            if !stores.contains(&store) {
                stores.push(store);
            }
        }
        Ok(stores)
    }
}

/// A trace id to fetch must be whole: 16 or 32 hex digits (a prefix names nothing to a store).
fn full_trace_id(text: &str) -> Result<TraceId, UsageError> {
    let t = text.trim();
    match TraceId::from_hex(t) {
        Ok(id) if (t.len() == 16 || t.len() == 32) && !id.is_zero() => Ok(id),
        _ => Err(UsageError(format!(
            "--trace '{}': to fetch a trace from a store give its full id (16 or 32 hex digits)",
            crate::text::escape_control(text)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    fn run(args: &[&str]) -> Result<Inputs, UsageError> {
        let cli = Cli::try_parse_from(std::iter::once("weft").chain(args.iter().copied())).unwrap();
        inputs(&cli.paths, &cli.select.trace, &cli.store)
    }

    #[test]
    fn stores_are_told_from_files_and_pages_add_their_trace() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        let page = format!("http://h:16686/trace/{id}");
        let got = run(&["a.json", "jaeger+http://h:16686", &page, "--trace", "00f067aa0ba902b7"]).unwrap();
        assert_eq!(got.files, [PathBuf::from("a.json")]);
        let plan = got.plan.unwrap();
        assert_eq!(plan.backends.len(), 1, "the same store twice is asked once");
        assert_eq!(plan.traces, [TraceId(0x4bf92f3577b34da6a3ce929d0e0e4736), TraceId(0x00f067aa0ba902b7)]);
    }

    #[test]
    fn mistakes_say_what_was_expected() {
        let err = |args: &[&str]| run(args).unwrap_err().0;
        assert!(err(&["jaeger+http://h"]).contains("nothing to fetch from jaeger+http://h: give --trace ID"));
        assert!(err(&["jaeger+http://h", "--trace", "4bf9"]).contains("give its full id"));
        assert!(err(&["a.json", "--service", "x"]).contains("--service searches a trace store"));
        assert!(err(&["gopher+http://h", "--trace", "1"]).contains("unknown trace store 'gopher'"));
        let files = run(&["a.json", "--trace", "1", "--trace", "2"]).unwrap();
        assert!(files.selected(&["1".into(), "2".into()]).unwrap_err().0.contains("--trace names one trace"));
    }

    #[test]
    fn listen_takes_stores_to_fetch_from_each_once() {
        let listen = |args: &[&str]| {
            let all = ["weft", "listen"].into_iter().chain(args.iter().copied());
            match Cli::try_parse_from(all).unwrap().command {
                Some(crate::cli::Command::Listen(l)) => l.fetch.stores(),
                other => panic!("{other:?}"),
            }
        };
        let page = "http://j:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736";
        let stores = listen(&["--backend", "jaeger+http://j:16686", "--backend", page]).unwrap();
        assert_eq!(stores.iter().map(ToString::to_string).collect::<Vec<_>>(), ["jaeger+http://j:16686"]);
        assert!(listen(&[]).unwrap().is_empty());
        assert!(
            listen(&["--backend", "gopher+http://h"]).unwrap_err().0.contains("unknown trace store 'gopher'")
        );
    }

    #[test]
    fn beside_files_a_trace_prefix_selects_and_is_not_fetched() {
        let got = run(&["a.json", "--trace", "1f0f", "--backend", "jaeger+http://j:16686"]).unwrap();
        assert_eq!(got.plan.map(|p| p.traces), Some(Vec::new()));
        assert!(
            run(&["jaeger+http://j:16686", "--trace", "1f0f"]).unwrap_err().0.contains("give its full id")
        );
    }

    #[test]
    fn backend_flags_name_stores_beside_files() {
        let got = run(&["a.json", "--backend", "tempo+http://t:3200", "--linked"]).unwrap();
        let plan = got.plan.unwrap();
        assert_eq!(plan.backends[0].to_string(), "tempo+http://t:3200");
        assert!(plan.linked && plan.traces.is_empty());
    }
}
