//! The CLI's plan for the stores, run to completion: fetch the `--trace` ids the files do not
//! hold, run the `--service` search, then with `--linked` walk span links breadth-first, fetching
//! each missing trace once, a layer at a time through the `FetchService` (a few at once).

use super::address::Backend;
use super::error::FetchError;
use super::fetch::{self, Found, Search};
use super::http::Client;
use super::service::{FetchService, Fetched};
use crate::load::Progress;
use crate::model::{Dataset, TraceId};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::time::Duration;

/// The default for `--max-traces`.
pub const DEFAULT_MAX_TRACES: usize = 200;
/// Fetches in flight at once: enough to hide latency, few enough not to hammer a store.
const WORKERS: usize = 4;
const QUEUE: usize = 64;

/// What to fetch from which stores.
#[derive(Clone, Debug)]
pub struct Plan {
    pub backends: Vec<Backend>,
    pub client: Client,
    /// Fetched unless the files hold them already; a missing one is an error.
    pub traces: Vec<TraceId>,
    pub search: Option<Search>,
    pub linked: bool,
    /// The most traces fetched in all (`--max-traces`).
    pub max_traces: usize,
}

/// What the plan did besides fetching: traces it could not or would not fetch, for stderr.
pub type Notes = Vec<String>;

impl Plan {
    /// Adds what the stores have to `ds` (the files' spans). Stops with an error on any failure
    /// other than a linked trace the stores do not have, which is only noted.
    pub fn run(&self, ds: &mut Dataset, progress: &Progress) -> Result<Notes, FetchError> {
        let mut notes = Notes::new();
        let mut loaded: HashSet<TraceId> = ds.spans.iter().map(|s| s.trace_id).collect();
        let mut seeds: Vec<TraceId> = self.traces.clone();
        let mut wanted: Vec<TraceId> = self.traces.iter().copied().filter(|t| !loaded.contains(t)).collect();
        if let Some(search) = &self.search {
            for backend in &self.backends {
                match fetch::search(&self.client, backend, search)? {
                    Found::Traces(found) => {
                        let ids: HashSet<TraceId> = found.spans.iter().map(|s| s.trace_id).collect();
                        seeds.extend(ids.iter().copied());
                        loaded.extend(ids);
                        if !found.spans.is_empty() {
                            ds.append(*found);
                        }
                    }
                    Found::Ids(ids) => {
                        seeds.extend(&ids);
                        wanted.extend(ids.into_iter().filter(|t| !loaded.contains(t)));
                    }
                }
            }
            if seeds.len() == self.traces.len() {
                notes.push(format!(
                    "no traces of service '{}' in the last {} found in {}",
                    crate::text::escape_control(&search.service),
                    human_duration(search.since),
                    self.backends.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        dedup(&mut wanted);
        let (service, answers) = self.start()?;
        let mut tried: HashSet<TraceId> = wanted.iter().copied().collect();
        let mut fetched = 0;
        if wanted.len() > self.max_traces {
            notes.push(format!(
                "fetched the first {} of {} traces (raise --max-traces)",
                self.max_traces,
                wanted.len()
            ));
            wanted.truncate(self.max_traces);
        }
        fetched += wanted.len();
        for got in fetch_all(&service, &answers, &wanted, progress)? {
            ds.append(got.result?);
        }
        if !self.linked {
            return Ok(notes);
        }
        // With no trace named, every loaded trace starts the walk.
        if seeds.is_empty() {
            seeds.extend(ds.spans.iter().map(|s| s.trace_id));
        }
        loop {
            let mut layer: Vec<TraceId> =
                missing_linked(ds, &seeds).into_iter().filter(|t| tried.insert(*t)).collect();
            if layer.is_empty() {
                break;
            }
            let room = self.max_traces.saturating_sub(fetched);
            if layer.len() > room {
                notes.push(format!(
                    "--linked stopped at {} fetched traces; {} more linked traces were not fetched (raise \
                     --max-traces)",
                    self.max_traces,
                    layer.len() - room
                ));
                layer.truncate(room);
            }
            if layer.is_empty() {
                break;
            }
            fetched += layer.len();
            for got in fetch_all(&service, &answers, &layer, progress)? {
                match got.result {
                    Ok(found) => ds.append(found),
                    Err(e) if e.is_not_found() => notes.push(format!("--linked: {e}")),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(notes)
    }

    fn start(&self) -> Result<(FetchService, mpsc::Receiver<Fetched>), FetchError> {
        let (tx, rx) = mpsc::channel();
        let service = FetchService::start(
            self.client.clone(),
            self.backends.clone(),
            WORKERS,
            QUEUE,
            move |f: Fetched| {
                let _ = tx.send(f);
            },
        )
        .map_err(|e| FetchError::Unreachable {
            url: "-".to_owned(),
            reason: format!("starting a fetch thread: {e}"),
        })?;
        Ok((service, rx))
    }
}

/// Fetches every id in `ids` (queued as room allows) and returns the answers in `ids`' order,
/// so the output does not depend on which answer came first. Ctrl-C cancels.
fn fetch_all(
    service: &FetchService,
    answers: &mpsc::Receiver<Fetched>,
    ids: &[TraceId],
    progress: &Progress,
) -> Result<Vec<Fetched>, FetchError> {
    let mut order = HashMap::new();
    let mut got: Vec<Option<Fetched>> = ids.iter().map(|_| None).collect();
    let mut pending = ids.iter().enumerate().peekable();
    let mut waiting = 0;
    while waiting > 0 || pending.peek().is_some() {
        while let Some((i, id)) = pending.peek().copied() {
            match service.try_request(*id) {
                Ok(ticket) => {
                    order.insert(ticket, i);
                    waiting += 1;
                    pending.next();
                }
                Err(_) => break,
            }
        }
        if progress.is_cancelled() {
            return Err(FetchError::Cancelled {
                url: service.backends().first().map_or("-".into(), ToString::to_string),
            });
        }
        match answers.recv_timeout(Duration::from_millis(100)) {
            Ok(answer) => {
                if let Some(&i) = order.get(&answer.ticket) {
                    got[i] = Some(answer);
                    waiting -= 1;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(got.into_iter().flatten().collect())
}

/// Trace ids that links of the traces connected to `seeds` point at but `ds` does not hold.
/// "Connected" follows links both ways through what is loaded: a loaded trace linking into the
/// flow belongs to it, and so do the traces it links to.
fn missing_linked(ds: &Dataset, seeds: &[TraceId]) -> Vec<TraceId> {
    let mut dense: HashMap<TraceId, usize> = HashMap::new();
    for s in &ds.spans {
        let n = dense.len();
        dense.entry(s.trace_id).or_insert(n);
    }
    let mut parent: Vec<usize> = (0..dense.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for s in &ds.spans {
        let from = dense[&s.trace_id];
        for link in &ds.links[s.links.range()] {
            if let Some(&to) = dense.get(&link.trace_id) {
                let (a, b) = (root(&mut parent, from), root(&mut parent, to));
                parent[a] = b;
            }
        }
    }
    let roots: HashSet<usize> =
        seeds.iter().filter_map(|t| dense.get(t)).map(|&i| root(&mut parent, i)).collect();
    let mut missing = Vec::new();
    let mut seen = HashSet::new();
    for s in &ds.spans {
        if !roots.contains(&root(&mut parent, dense[&s.trace_id])) {
            continue;
        }
        for link in &ds.links[s.links.range()] {
            if !link.trace_id.is_zero() && !dense.contains_key(&link.trace_id) && seen.insert(link.trace_id) {
                missing.push(link.trace_id);
            }
        }
    }
    missing
}

fn dedup(ids: &mut Vec<TraceId>) {
    let mut seen = HashSet::new();
    ids.retain(|t| seen.insert(*t));
}

fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Parses `--since`: a number and a unit, `s`, `m`, `h` or `d` (`90s`, `15m`, `2h`, `7d`).
pub fn parse_since(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let unit = |u: &str| match u {
        "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        "d" => Some(86_400),
        _ => None,
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, u) = t.split_at(split);
    match (n.parse::<u64>(), unit(u)) {
        (Ok(n), Some(mult)) if n > 0 => {
            n.checked_mul(mult).map(Duration::from_secs).ok_or_else(|| format!("'{text}': too long"))
        }
        _ => Err(format!("'{text}': expected a number and a unit s, m, h or d (e.g. 15m, 2h, 7d)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Link, LinkKind, SpanId};

    /// A dataset of `(trace, span, links to traces)`.
    fn dataset(spans: &[(u128, u64, &[u128])]) -> Dataset {
        let mut ds = Dataset::new();
        let name = ds.intern("s");
        for &(t, s, links) in spans {
            let links: Vec<Link> = links
                .iter()
                .map(|&to| Link {
                    trace_id: TraceId(to),
                    span_id: SpanId(1),
                    trace_state: None,
                    flags: 0,
                    kind: LinkKind::Link,
                    attrs: Default::default(),
                })
                .collect();
            let links = ds.add_links(&links);
            let mut span = crate::model::Span::new(TraceId(t), SpanId(s), SpanId(0), 0, 1, name, name);
            span.links = links;
            ds.spans.push(span);
        }
        ds
    }

    #[test]
    fn the_walk_goes_both_ways_through_what_is_loaded() {
        // 1 → 2 (loaded) → 9 (missing); 3 (loaded) → 1, and 3 → 8 (missing); 4 → 7 is another flow.
        let ds = dataset(&[(1, 1, &[2]), (2, 2, &[9]), (3, 3, &[1, 8]), (4, 4, &[7])]);
        assert_eq!(missing_linked(&ds, &[TraceId(1)]), [TraceId(9), TraceId(8)]);
        assert_eq!(missing_linked(&ds, &[TraceId(4)]), [TraceId(7)]);
        assert_eq!(missing_linked(&ds, &[TraceId(5)]), []);
    }

    #[test]
    fn since_takes_one_number_and_unit() {
        assert_eq!(parse_since("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_since("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_since("7d").unwrap(), Duration::from_secs(604_800));
        for bad in ["", "h", "0m", "1w", "1.5h", "-1h"] {
            assert!(parse_since(bad).unwrap_err().contains("expected a number and a unit"), "{bad}");
        }
        assert_eq!(human_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(human_duration(Duration::from_secs(90)), "90s");
    }
}
