//! One blocking HTTP GET with a whole-request timeout and the user's extra headers.
//!
//! ureq (with rustls and the platform's certificate roots) because weft needs nothing but
//! blocking GETs from worker threads: no async runtime, no OpenSSL, a small dependency tree.

use super::error::FetchError;
use std::time::Duration;

/// The default for `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// A trace larger than this is refused rather than read into memory (ureq's own default is 10 MB,
/// which real traces exceed).
const MAX_BODY: u64 = 2 << 30;
/// How much of an error body a message quotes.
const DETAIL_CHARS: usize = 200;

/// An answer that arrived: its status and body, whatever the status.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// Whether the server said the body is protobuf (`Content-Type: application/protobuf`, or
    /// `application/x-protobuf`).
    pub protobuf: bool,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The status as an error for `url`: 401/403 say credentials are needed, the rest quote the
    /// start of the body (servers put the reason there).
    pub fn into_error(self, url: &str) -> FetchError {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        let detail = if text.is_empty() {
            String::new()
        } else {
            let cut: String = text.chars().take(DETAIL_CHARS).collect();
            let more = if cut.len() < text.len() { "…" } else { "" };
            format!(": {}{more}", crate::text::escape_control(&cut.replace('\n', " ")))
        };
        let url = url.to_owned();
        match self.status {
            401 | 403 => FetchError::Denied { url, status: self.status, detail },
            status => FetchError::Status { url, status, detail },
        }
    }
}

/// A shareable client: one connection pool, the timeout and the extra headers.
#[derive(Clone, Debug)]
pub struct Client {
    agent: ureq::Agent,
    timeout: Duration,
    headers: Vec<(String, String)>,
}

impl Client {
    pub fn new(timeout: Duration, headers: Vec<(String, String)>) -> Self {
        let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build();
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("weft/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .new_agent();
        Self { agent, timeout, headers }
    }

    /// GETs `url` asking for JSON. Any status comes back as an `Answer`; only a failure to get
    /// one (connect, TLS, timeout, a cut-off body) is an error.
    pub fn get(&self, url: &str) -> Result<Answer, FetchError> {
        self.get_as(url, "application/json")
    }

    /// GETs `url` with `Accept: accept`; the answer says what the server sent.
    pub fn get_as(&self, url: &str, accept: &str) -> Result<Answer, FetchError> {
        let mut request = self.agent.get(url).header("Accept", accept);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.call().map_err(|e| self.error(url, e))?;
        let status = response.status().as_u16();
        let protobuf = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("protobuf"));
        let body = response
            .into_body()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.error(url, e))?;
        Ok(Answer { status, body, protobuf })
    }

    fn error(&self, url: &str, e: ureq::Error) -> FetchError {
        let url = url.to_owned();
        match e {
            ureq::Error::Timeout(_) => FetchError::Timeout { url, seconds: self.timeout.as_secs().max(1) },
            ureq::Error::BodyExceedsLimit(limit) => {
                FetchError::body(&url, format!("the answer is larger than {limit} bytes"))
            }
            other => FetchError::Unreachable { url, reason: other.to_string() },
        }
    }
}

/// Parses `--header 'NAME: VALUE'`.
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("'{text}': expected 'NAME: VALUE' (e.g. 'X-Scope-OrgID: acme')"))?;
    let name = name.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!("'{name}': not a valid HTTP header name"));
    }
    let value = value.trim();
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!("the value of header '{name}' has a control character"));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Parses `--timeout SECONDS` (fractions allowed; more than zero).
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("'{text}': expected seconds, more than 0 (e.g. 10 or 2.5)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_name_colon_value() {
        assert_eq!(parse_header("X-Scope-OrgID: acme").unwrap(), ("X-Scope-OrgID".into(), "acme".into()));
        assert_eq!(
            parse_header("Authorization:Bearer a:b").unwrap(),
            ("Authorization".into(), "Bearer a:b".into())
        );
        assert!(parse_header("nocolon").unwrap_err().contains("expected 'NAME: VALUE'"));
        assert!(parse_header("bad name: x").unwrap_err().contains("not a valid HTTP header name"));
        assert!(parse_header("X: a\rb").unwrap_err().contains("control character"));
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
        for bad in ["0", "-1", "x", "NaN", "1e9"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn error_statuses_quote_the_start_of_the_body() {
        let long = "x".repeat(500);
        let e = Answer { status: 500, body: long.into_bytes(), protobuf: false }.into_error("http://h/a");
        let text = e.to_string();
        assert!(text.starts_with("http://h/a: HTTP 500: xxx"), "{text}");
        assert!(text.ends_with("x…") && text.len() < 260, "{text}");
        let e = Answer { status: 401, body: Vec::new(), protobuf: false }.into_error("http://h/a");
        assert_eq!(
            e.to_string(),
            "http://h/a: HTTP 401: not allowed (pass credentials with --header 'Authorization: …')"
        );
    }
}
