//! Command-line text → `Target`: which store (kind + base URL) and, for a pasted trace page, which
//! trace. Nothing here touches the network.

use crate::model::TraceId;
use std::fmt;

/// The query APIs weft speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Jaeger,
    Tempo,
    Zipkin,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Jaeger => "jaeger",
            Self::Tempo => "tempo",
            Self::Zipkin => "zipkin",
        }
    }
}

/// One trace store: its kind and base URL (`http://host:port` plus an optional base path, no
/// trailing slash), to which the API paths are appended.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Backend {
    pub kind: Kind,
    pub base: String,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.kind.name(), self.base)
    }
}

/// What one command-line value names: a store, and a trace when it was a trace page URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub backend: Backend,
    pub trace: Option<TraceId>,
}

const KINDS: [Kind; 3] = [Kind::Jaeger, Kind::Tempo, Kind::Zipkin];

/// Whether `text` is meant as a URL rather than a file path: `NAME+http(s)://…` or `http(s)://…`.
/// (A file whose name starts so can still be opened as `./name`; an unknown NAME is an error
/// that lists the known ones, not a missing file.)
pub fn is_url(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once("://") else { return false };
    let scheme = scheme.to_ascii_lowercase();
    let http = scheme.split_once('+').map_or(scheme.as_str(), |(name, http)| {
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) { http } else { "" }
    });
    http == "http" || http == "https"
}

/// Parses `jaeger+http://HOST:16686[/base]`, `tempo+https://…`, `zipkin+http://…`, a Jaeger UI
/// trace page `http://HOST:16686[/base]/trace/<id>` or a Zipkin UI one
/// `http://HOST:9411[/base]/zipkin/traces/<id>`. The error says what was expected.
pub fn parse(text: &str) -> Result<Target, String> {
    let shown = crate::text::escape_control(text);
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!("{shown}: not a URL (expected jaeger+http://HOST:PORT, tempo+… or zipkin+…)"));
    };
    let scheme = scheme.to_ascii_lowercase();
    let (kind, http) = match scheme.split_once('+') {
        Some((kind, http)) => {
            let kind = KINDS.iter().copied().find(|k| k.name() == kind).ok_or_else(|| {
                format!("{shown}: unknown trace store '{kind}' (expected jaeger, tempo or zipkin)")
            })?;
            (Some(kind), http.to_owned())
        }
        None => (None, scheme),
    };
    if http != "http" && http != "https" {
        return Err(format!("{shown}: expected http or https after the store's name, found '{http}'"));
    }
    // Query and fragment say nothing about the store (the Jaeger UI adds `?uiFind=…`).
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    if authority.is_empty()
        || authority.contains('@')
        || authority.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "{shown}: expected HOST or HOST:PORT after {http}:// (credentials in the URL are not supported; use \
             --header 'Authorization: …')"
        ));
    }
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let page = trace_page(&segments, kind);
    let (kind, base_segments, trace) = match (kind, page) {
        (_, Some((found, base, id))) => {
            let trace = TraceId::from_hex(id)
                .ok()
                .filter(|t| !t.is_zero())
                .ok_or_else(|| format!("{shown}: the trace id '{id}' is not 1 to 32 hex digits"))?;
            (found, base, Some(trace))
        }
        (Some(kind), None) => (kind, segments.len(), None),
        (None, None) => {
            return Err(format!(
                "{shown}: a plain URL must be a trace page (Jaeger …/trace/ID, Zipkin …/zipkin/traces/ID); name \
                 the store as jaeger+{http}://, tempo+{http}:// or zipkin+{http}://"
            ));
        }
    };
    let mut base = format!("{http}://{authority}");
    for s in &segments[..base_segments] {
        base.push('/');
        base.push_str(s);
    }
    Ok(Target { backend: Backend { kind, base }, trace })
}

/// A trace page's kind, how many leading path segments are the base path, and the id text.
fn trace_page<'a>(segments: &[&'a str], kind: Option<Kind>) -> Option<(Kind, usize, &'a str)> {
    let n = segments.len();
    if n >= 3 && segments[n - 3] == "zipkin" && segments[n - 2] == "traces" && kind != Some(Kind::Jaeger) {
        return Some((Kind::Zipkin, n - 3, segments[n - 1]));
    }
    if n >= 2 && segments[n - 2] == "trace" && matches!(kind, None | Some(Kind::Jaeger)) {
        return Some((Kind::Jaeger, n - 2, segments[n - 1]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (Kind, String, Option<String>) {
        let t = parse(text).unwrap();
        (t.backend.kind, t.backend.base, t.trace.map(|t| t.to_string()))
    }

    #[test]
    fn store_urls_keep_their_base_path_and_drop_a_trailing_slash() {
        assert_eq!(
            ok("jaeger+http://127.0.0.1:16686"),
            (Kind::Jaeger, "http://127.0.0.1:16686".into(), None)
        );
        assert_eq!(
            ok("TEMPO+HTTPS://tempo.example:3200/"),
            (Kind::Tempo, "https://tempo.example:3200".into(), None)
        );
        assert_eq!(ok("zipkin+http://h:9411/base/x"), (Kind::Zipkin, "http://h:9411/base/x".into(), None));
        assert_eq!(
            ok("jaeger+http://[::1]:16686/jaeger"),
            (Kind::Jaeger, "http://[::1]:16686/jaeger".into(), None)
        );
    }

    #[test]
    fn trace_pages_pasted_from_a_browser_name_the_store_and_the_trace() {
        let id = "4bf92f3577b34da6a3ce929d0e0e4736";
        assert_eq!(
            ok(&format!("http://h:16686/trace/{id}?uiFind=x")),
            (Kind::Jaeger, "http://h:16686".into(), Some(id.into()))
        );
        assert_eq!(
            ok(&format!("https://h/jaeger/ui/trace/{id}#x")),
            (Kind::Jaeger, "https://h/jaeger/ui".into(), Some(id.into()))
        );
        assert_eq!(
            ok(&format!("http://h:9411/zipkin/traces/{}", &id[16..])),
            (Kind::Zipkin, "http://h:9411".into(), Some(format!("{:0>32}", &id[16..])))
        );
        assert_eq!(
            ok(&format!("jaeger+http://h:16686/trace/{id}")),
            (Kind::Jaeger, "http://h:16686".into(), Some(id.into()))
        );
    }

    #[test]
    fn bad_urls_say_what_was_expected() {
        for (text, expected) in [
            ("ftp+http://h", "unknown trace store 'ftp'"),
            ("jaeger+ftp://h", "expected http or https"),
            ("jaeger+http://", "expected HOST or HOST:PORT"),
            ("jaeger+http://u:p@h", "credentials in the URL are not supported"),
            ("http://h:16686/search", "a plain URL must be a trace page"),
            ("http://h:16686/trace/xyz", "the trace id 'xyz' is not 1 to 32 hex digits"),
            ("http://h/trace/00", "is not 1 to 32 hex digits"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn urls_are_told_from_paths_by_their_scheme() {
        assert!(is_url("jaeger+http://h"));
        assert!(is_url("https://h/trace/1"));
        assert!(is_url("Zipkin+HTTPS://h"));
        assert!(is_url("gopher+http://h"), "an unknown store is an error, not a file");
        assert!(!is_url("traces.json"));
        assert!(!is_url("./http://x"));
        assert!(!is_url("dir/jaeger+http://x"));
    }
}
