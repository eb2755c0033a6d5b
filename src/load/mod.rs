//! Files → `Dataset`. Reads each path (file, folder, `-` for stdin), undoes gzip/zstd, sniffs the
//! format from the content (never the file name) and hands the bytes to one format's parser.
//!
//! Every parser has the same shape: `fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError>`.
//! It returns a `Dataset` holding exactly one `FileInfo` (with its skip count and warnings) and
//! spans whose `file` is 0. `load_paths` appends them into one dataset.

pub mod datadog;
pub mod error;
pub mod jaeger_json;
pub mod otlp_json;
pub mod zipkin_json;

pub use error::{LoadError, location_at, offset_of};

use crate::model::{Dataset, Format, Location};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most files one dataset holds (`Span::file` is a u16). Files past it in a folder are
/// listed in `skipped_paths`; an explicit path past it is an error.
pub const MAX_FILES: usize = u16::MAX as usize;

fn too_many_files(path: &str) -> LoadError {
    LoadError::new(
        path,
        None,
        Location::Unknown,
        format!("not loaded: weft reads at most {MAX_FILES} files at once"),
    )
}

/// Reads every path into one dataset. A folder contributes each trace file in it; files in a
/// folder that are not traces are noted in `skipped_paths`, but an explicit path that cannot be
/// loaded is an error.
pub fn load_paths(paths: &[PathBuf], forced: Option<Format>) -> Result<Loaded, LoadError> {
    let mut loaded = Loaded { dataset: Dataset::new(), skipped_paths: Vec::new() };
    for path in paths {
        if loaded.dataset.files.len() >= MAX_FILES && !path.is_dir() {
            return Err(too_many_files(&path.display().to_string()));
        }
        if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| LoadError::new("-", None, Location::Unknown, e.to_string()))?;
            loaded.dataset.append(load_bytes(buf, "<stdin>", forced)?);
        } else if path.is_dir() {
            for file in files_in(path)? {
                if loaded.dataset.files.len() >= MAX_FILES {
                    loaded.skipped_paths.push(too_many_files(&file.display().to_string()));
                    continue;
                }
                match load_file(&file, forced) {
                    Ok(ds) => loaded.dataset.append(ds),
                    Err(err) => loaded.skipped_paths.push(err),
                }
            }
        } else {
            loaded.dataset.append(load_file(path, forced)?);
        }
    }
    Ok(loaded)
}

/// The merged dataset plus files inside folders that could not be loaded (not fatal).
#[derive(Debug)]
pub struct Loaded {
    pub dataset: Dataset,
    pub skipped_paths: Vec<LoadError>,
}

/// Every regular, non-hidden file under `dir`, recursively, in name order (stable output).
fn files_in(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| LoadError::new(&d.display().to_string(), None, Location::Unknown, e.to_string()))?;
        for entry in entries.flatten() {
            let p = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            // `file_type` does not follow symlinks, so a symlinked folder (maybe a loop) is not entered.
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(_) if p.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn load_file(path: &Path, forced: Option<Format>) -> Result<Dataset, LoadError> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| LoadError::new(&name, None, Location::Unknown, e.to_string()))?;
    load_bytes(bytes, &name, forced)
}

/// Decompresses if needed, sniffs (unless `forced`) and parses.
pub fn load_bytes(bytes: Vec<u8>, path: &str, forced: Option<Format>) -> Result<Dataset, LoadError> {
    let bytes = decompress(bytes, path)?;
    let format = match forced {
        Some(f) => f,
        None => sniff(&bytes).ok_or_else(|| {
            let what = if bytes.iter().all(u8::is_ascii_whitespace) {
                "file is empty".to_owned()
            } else {
                "not a trace file weft knows (expected OTLP JSON, Jaeger JSON, Zipkin v2 JSON or Datadog \
                 msgpack/JSON); use --format to force one"
                    .to_owned()
            };
            LoadError::new(path, None, Location::Unknown, what)
        })?,
    };
    let mut ds = match format {
        Format::OtlpJson | Format::OtlpJsonLines => otlp_json::parse(&bytes, path)?,
        Format::JaegerJson => jaeger_json::parse(&bytes, path)?,
        Format::ZipkinJson => zipkin_json::parse(&bytes, path)?,
        Format::DatadogMsgpackV04 | Format::DatadogMsgpackV05 | Format::DatadogJson => {
            datadog::parse(&bytes, path, format)?
        }
    };
    for file in &mut ds.files {
        file.spans = ds.spans.len();
    }
    // Every record was bad: nothing was loaded, so the file as a whole failed (exit 1), and the
    // first reason says where.
    if let Some(file) = ds.files.first().filter(|f| f.spans == 0 && f.skipped > 0) {
        let first = file.warnings.iter().find(|w| w.skipped);
        let (at, reason) =
            first.map_or((Location::Unknown, String::new()), |w| (w.at, format!("; first: {}", w.message)));
        return Err(LoadError::new(
            path,
            Some(format),
            at,
            format!("no valid {format} records ({} skipped{reason})", file.skipped),
        ));
    }
    Ok(ds)
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// Undoes gzip or zstd (found by magic bytes), repeatedly, so `.json.gz.zst` also works.
fn decompress(mut bytes: Vec<u8>, path: &str) -> Result<Vec<u8>, LoadError> {
    loop {
        let (kind, result) = if bytes.starts_with(GZIP_MAGIC) {
            let mut out = Vec::new();
            let r = flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out).map(|_| out);
            ("gzip", r)
        } else if bytes.starts_with(ZSTD_MAGIC) {
            let mut out = Vec::new();
            let r = zstd::stream::read::Decoder::new(&bytes[..])
                .and_then(|mut d| d.read_to_end(&mut out))
                .map(|_| out);
            ("zstd", r)
        } else {
            return Ok(bytes);
        };
        bytes = result.map_err(|e| {
            LoadError::new(path, None, Location::Unknown, format!("{kind} data is corrupt or truncated: {e}"))
        })?;
    }
}

/// The first non-whitespace byte after an optional UTF-8 BOM, and its offset.
fn first_significant(bytes: &[u8]) -> Option<(usize, u8)> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    bytes[start..].iter().position(|b| !b.is_ascii_whitespace()).map(|i| (start + i, bytes[start + i]))
}

/// How much of a JSON file the sniffer looks at; keys that decide the format appear early.
const SNIFF_WINDOW: usize = 64 * 1024;

/// Decides the format from content (FORMATS.md §0). `None` when nothing matches.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    let (at, first) = first_significant(bytes)?;
    let window = &bytes[at..bytes.len().min(at + SNIFF_WINDOW)];
    let has = |key: &str| memchr::memmem::find(window, key.as_bytes()).is_some();
    match first {
        b'{' | b'[' => {
            if has("\"resourceSpans\"")
                || has("\"resource_spans\"")
                || has("\"scopeSpans\"")
                || has("\"instrumentationLibrarySpans\"")
            {
                Some(Format::OtlpJson)
            } else if has("\"traceID\"") || has("\"operationName\"") {
                Some(Format::JaegerJson)
            } else if has("\"traceId\"") && (has("\"id\"") || has("\"localEndpoint\"")) {
                Some(Format::ZipkinJson)
            } else if has("\"trace_id\"") && has("\"span_id\"") {
                Some(Format::DatadogJson)
            } else {
                None
            }
        }
        0x90..=0x9f | 0xdc | 0xdd if at == 0 => datadog::sniff_msgpack(bytes),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_shapes_by_content() {
        assert_eq!(sniff(b"\xEF\xBB\xBF {\"resourceSpans\":[]}"), Some(Format::OtlpJson));
        assert_eq!(sniff(b"{\"result\":{\"resourceSpans\":[]}}"), Some(Format::OtlpJson));
        assert_eq!(sniff(b"{\"batches\":[{\"instrumentationLibrarySpans\":[]}]}"), Some(Format::OtlpJson));
        assert_eq!(sniff(b"{\"data\":[{\"traceID\":\"1\",\"spans\":[]}]}"), Some(Format::JaegerJson));
        assert_eq!(sniff(b"[{\"traceId\":\"1\",\"id\":\"2\"}]"), Some(Format::ZipkinJson));
        assert_eq!(sniff(b"[[{\"trace_id\":1,\"span_id\":2}]]"), Some(Format::DatadogJson));
        assert_eq!(sniff(b"  \n"), None);
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn a_file_whose_every_record_is_bad_is_an_error_at_the_first_bad_record() {
        let err = load_bytes(br#"[{"traceId":"zz","id":"1"}]"#.to_vec(), "z.json", Some(Format::ZipkinJson))
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "z.json:1:13: no valid zipkin-json records (1 skipped; first: span skipped: bad traceId"
            ),
            "{err}"
        );
    }

    #[test]
    fn gzip_is_undone_and_truncation_reported() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"{\"resourceSpans\":[]}").unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(decompress(gz.clone(), "x").unwrap(), b"{\"resourceSpans\":[]}");
        let err = decompress(gz[..gz.len() - 6].to_vec(), "t.json.gz").unwrap_err();
        assert!(err.to_string().starts_with("t.json.gz: gzip data is corrupt or truncated"), "{err}");
    }
}
