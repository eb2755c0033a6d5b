//! Files → `Dataset`. Reads each path (file, folder, `-` for stdin), undoes gzip/zstd, sniffs the
//! format from the content (never the file name) and hands the bytes to one format's parser.
//!
//! Every parser has the same shape: `fn parse(input: &[u8], path: &str) -> Result<Dataset, LoadError>`.
//! It returns a `Dataset` holding exactly one `FileInfo` (with its skip count and warnings) and
//! spans whose `file` is 0. `load_paths` appends them into one dataset.

pub mod console;
pub mod datadog;
mod dedupe;
pub mod error;
pub mod follow;
pub mod jaeger_json;
mod json;
pub mod otlp_json;
pub mod otlp_proto;
mod parallel;
pub mod progress;
mod sink;
mod sniff;
pub mod zipkin_json;

pub use error::{LoadError, LoadErrorKind, located, location_at, offset_of};
pub use progress::Progress;
pub use sniff::{LookAlike, look_alike, sniff};

use crate::model::{Dataset, Format, Location};
use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How a load runs. `Options::default()` sniffs every file, uses every core and reports to no one.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Parse every file as this format instead of sniffing.
    pub forced: Option<Format>,
    /// Threads that parse one large file together; 0 means the `WEFT_WORKERS` environment
    /// variable if set, else one per core.
    pub workers: usize,
    /// Counters to watch the load by, and its cancel switch.
    pub progress: Option<Arc<Progress>>,
}

/// Below this many bytes per worker a file is parsed by one thread: starting threads and merging
/// their datasets would cost more than it saves.
pub(crate) const MIN_CHUNK_BYTES: usize = 1 << 20;

/// What a parser needs besides its input: how many threads it may use and where to report.
pub(crate) struct Job<'p> {
    pub workers: usize,
    /// Inputs smaller than `workers * min_chunk` use fewer workers (tests lower it).
    pub min_chunk: usize,
    pub progress: &'p Progress,
    /// For a mapped file: drops pages of the input the parse has passed.
    pub release: Option<progress::Release<'p>>,
}

impl std::fmt::Debug for Job<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("workers", &self.workers).field("min_chunk", &self.min_chunk).finish()
    }
}

impl<'p> Job<'p> {
    /// One thread, no page release: a parse of bytes already in memory, reporting to `progress`.
    pub fn one_thread(progress: &'p Progress) -> Self {
        Self { workers: 1, min_chunk: usize::MAX, progress, release: None }
    }

    /// Workers worth using on `len` bytes: at least 1, at most `workers`.
    pub fn workers_for(&self, len: usize) -> usize {
        self.workers.min(len / self.min_chunk.max(1)).max(1)
    }
}

/// Runs `parse` as a job on one thread that reports to no one: the plain `parse` of a loader.
pub(crate) fn on_one_thread<T>(parse: impl FnOnce(&Job<'_>) -> T) -> T {
    let progress = Progress::new();
    parse(&Job::one_thread(&progress))
}

/// The number of parsing threads `Options::workers == 0` stands for.
fn default_workers() -> usize {
    const MAX_WORKERS: usize = 16;
    std::env::var("WEFT_WORKERS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(MAX_WORKERS)
}

/// The most files one dataset holds (`Span::file` is a u16). Files past it in a folder are
/// listed in `skipped_paths`; an explicit path past it is an error.
pub const MAX_FILES: usize = u16::MAX as usize;

fn too_many_files(path: &str) -> LoadError {
    LoadError::of_kind(
        error::LoadErrorKind::Limit,
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
    load_paths_with(paths, &Options { forced, ..Options::default() })
}

/// One input of a load, found before anything is read so the total size is known up front.
enum Source {
    Stdin,
    /// A path named on the command line: failing to load it fails the load.
    Explicit(PathBuf),
    /// A file found in a folder: failing to load it only skips it.
    InFolder(PathBuf),
}

/// `load_paths` with threads, progress and cancellation as `options` say.
pub fn load_paths_with(paths: &[PathBuf], options: &Options) -> Result<Loaded, LoadError> {
    let local = Progress::new();
    let progress = options.progress.as_deref().unwrap_or(&local);
    let workers = if options.workers == 0 { default_workers() } else { options.workers };
    let job = Job { workers, min_chunk: MIN_CHUNK_BYTES, progress, release: None };
    let mut sources = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            sources.push(Source::Stdin);
        } else if path.is_dir() {
            sources.extend(files_in(path)?.into_iter().map(Source::InFolder));
        } else {
            sources.push(Source::Explicit(path.clone()));
        }
    }
    for source in &sources {
        if let Source::Explicit(p) | Source::InFolder(p) = source {
            progress.add_total(std::fs::metadata(p).map_or(0, |m| m.len()));
        }
    }
    let mut loaded = Loaded { dataset: Dataset::new(), skipped_paths: Vec::new() };
    for source in sources {
        if progress.is_cancelled() {
            return Err(LoadError::cancelled(&source_name(&source)));
        }
        if loaded.dataset.files.len() >= MAX_FILES {
            match source {
                Source::InFolder(path) => {
                    loaded.skipped_paths.push(too_many_files(&path.display().to_string()))
                }
                explicit => return Err(too_many_files(&source_name(&explicit))),
            }
            continue;
        }
        match source {
            Source::Stdin => {
                let mut buf = Vec::new();
                std::io::stdin().read_to_end(&mut buf).map_err(|e| LoadError::io("-", &e))?;
                progress.add_total(buf.len() as u64);
                loaded.dataset.append(load_input(&buf, "<stdin>", options.forced, &job)?);
            }
            Source::Explicit(path) => loaded.dataset.append(load_file_job(&path, options.forced, &job)?),
            Source::InFolder(path) => match load_file_job(&path, options.forced, &job) {
                Ok(ds) => loaded.dataset.append(ds),
                Err(err) if err.is_cancelled() => return Err(err),
                Err(err) => loaded.skipped_paths.push(err),
            },
        }
    }
    loaded.dataset.shrink_to_fit();
    Ok(loaded)
}

fn source_name(source: &Source) -> String {
    match source {
        Source::Stdin => "-".to_owned(),
        Source::Explicit(p) | Source::InFolder(p) => p.display().to_string(),
    }
}

/// The merged dataset plus files inside folders that could not be loaded (not fatal).
#[derive(Debug)]
pub struct Loaded {
    pub dataset: Dataset,
    pub skipped_paths: Vec<LoadError>,
}

/// Every regular, non-hidden file under `dir`, recursively, in name order (stable output).
pub fn files_in(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| LoadError::io(&d.display().to_string(), &e))?;
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
    let progress = Progress::new();
    let job =
        Job { workers: default_workers(), min_chunk: MIN_CHUNK_BYTES, progress: &progress, release: None };
    load_file_job(path, forced, &job)
}

/// A file's bytes: mapped when it is a regular file, else read.
enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    /// Drops the pages of `self[offset..offset + len]` from memory; reading them again faults
    /// them back in from the file (the page cache), so this never changes what is read.
    fn release(&self, offset: usize, len: usize) {
        #[cfg(target_os = "linux")]
        if let Self::Mapped(map) = self {
            // SAFETY: the map is a private, read-only mapping of a file. MADV_DONTNEED only
            // discards this process's copies of the pages; a later read maps them again from
            // the file, with the same bytes. (The advice is unchecked in memmap2 because on a
            // written private mapping it would discard the writes; nothing writes here.)
            let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (offset, len);
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m,
            Self::Read(v) => v,
        }
    }
}

/// Maps the file instead of reading it: no copy of the input is made (a 1 GB file would
/// otherwise cost 1 GB of fresh pages plus the copy, ~15% of a load), and the pages go back
/// as soon as the parse is done.
fn read_file(path: &Path, name: &str) -> Result<FileBytes, LoadError> {
    let error = |e: std::io::Error| LoadError::io(name, &e);
    let file = std::fs::File::open(path).map_err(error)?;
    let meta = file.metadata().map_err(error)?;
    if meta.is_file() && meta.len() > 0 {
        // SAFETY: the map is only read, and lives until the parse returns. Another process
        // truncating or rewriting the file meanwhile would change the bytes under us (or fault);
        // weft opens exported trace files that nothing writes to while they are read, as
        // ripgrep and other readers of large files assume. Should the map fail (an unusual
        // filesystem), the file is read instead.
        if let Ok(map) = unsafe { memmap2::MmapOptions::new().populate().map(&file) } {
            return Ok(FileBytes::Mapped(map));
        }
    }
    let mut buf = Vec::new();
    (&file).read_to_end(&mut buf).map_err(error)?;
    Ok(FileBytes::Read(buf))
}

fn load_file_job(path: &Path, forced: Option<Format>, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let name = path.display().to_string();
    let bytes = read_file(path, &name)?;
    let release = |offset: usize, len: usize| bytes.release(offset, len);
    let job = Job { release: Some(&release), ..*job };
    load_input(&bytes, &name, forced, &job)
}

/// Decompresses if needed, sniffs (unless `forced`) and parses.
pub fn load_bytes(bytes: Vec<u8>, path: &str, forced: Option<Format>) -> Result<Dataset, LoadError> {
    let progress = Progress::new();
    let job =
        Job { workers: default_workers(), min_chunk: MIN_CHUNK_BYTES, progress: &progress, release: None };
    load_input(&bytes, path, forced, &job)
}

/// `load_bytes` with `workers` threads and chunks of at least `min_chunk` bytes (normally 1 MiB),
/// so the `parallel` fuzz target and tests reach the chunked parsers with small inputs.
#[doc(hidden)]
pub fn load_bytes_split(
    bytes: &[u8],
    path: &str,
    forced: Option<Format>,
    workers: usize,
    min_chunk: usize,
) -> Result<Dataset, LoadError> {
    let progress = Progress::new();
    load_input(
        bytes,
        path,
        forced,
        &Job { workers: workers.max(1), min_chunk, progress: &progress, release: None },
    )
}

/// Loads one input already in memory (decompressing and sniffing as `load_bytes` does), with
/// threads, progress and cancellation as `options` say.
pub fn load_slice(bytes: &[u8], path: &str, options: &Options) -> Result<Dataset, LoadError> {
    let local = Progress::new();
    let progress = options.progress.as_deref().unwrap_or(&local);
    let workers = if options.workers == 0 { default_workers() } else { options.workers };
    progress.add_total(bytes.len() as u64);
    load_input(
        bytes,
        path,
        options.forced,
        &Job { workers, min_chunk: MIN_CHUNK_BYTES, progress, release: None },
    )
}

fn load_input(raw: &[u8], path: &str, forced: Option<Format>, job: &Job<'_>) -> Result<Dataset, LoadError> {
    let bytes = decompress(raw, path)?;
    if bytes.len() != raw.len() {
        // Progress counts parsed (decompressed) bytes; the total had the compressed size.
        job.progress.sub_total(raw.len() as u64);
        job.progress.add_total(bytes.len() as u64);
    }
    parse_format(&bytes, path, forced, job)
}

/// Sniffs (unless `forced`) and runs one format's parser over decompressed bytes.
pub(crate) fn parse_format(
    bytes: &[u8],
    path: &str,
    forced: Option<Format>,
    job: &Job<'_>,
) -> Result<Dataset, LoadError> {
    let format = match forced {
        Some(f) => f,
        None => sniff(bytes).ok_or_else(|| {
            let what = if bytes.iter().all(u8::is_ascii_whitespace) {
                "file is empty".to_owned()
            } else if let Some(like) = look_alike(bytes) {
                format!(
                    "looks like {}, which weft does not read; {} (or use --format to force one)",
                    like.what, like.instead
                )
            } else {
                "not a trace file weft knows (expected OTLP JSON or protobuf, Jaeger JSON, Zipkin v2 JSON, \
                 Datadog msgpack/JSON or an OpenTelemetry SDK's console output); use --format to force one"
                    .to_owned()
            };
            LoadError::new(path, None, Location::Unknown, what)
        })?,
    };
    let mut ticker = progress::Ticker::for_job(job, 0);
    let mut ds = match format {
        Format::OtlpJson | Format::OtlpJsonLines => otlp_json::parse_job(bytes, path, job)?,
        Format::JaegerJson => jaeger_json::parse_job(bytes, path, job)?,
        Format::ZipkinJson => zipkin_json::parse_job(bytes, path, job)?,
        Format::DatadogMsgpackV04
        | Format::DatadogMsgpackV05
        | Format::DatadogJson
        | Format::DatadogUiJson => datadog::parse_job(bytes, path, format, job)?,
        Format::PythonConsole | Format::GoStdouttrace => console::parse_job(bytes, path, format, job)?,
        Format::OtlpProto => otlp_proto::parse_job(bytes, path, job)?,
    };
    // The OTLP readers de-duplicate themselves, placing each warning at the dropped copy.
    if !matches!(format, Format::OtlpJson | Format::OtlpJsonLines | Format::OtlpProto) {
        dedupe::dedupe_unlocated(&mut ds);
    }
    // Parsers that report as they go have counted their bytes already; this covers the rest.
    if matches!(format, Format::DatadogJson | Format::DatadogUiJson) {
        ticker.step(bytes.len(), ds.spans.len());
    }
    if job.progress.is_cancelled() {
        return Err(LoadError::cancelled(path));
    }
    for file in &mut ds.files {
        file.spans = ds.spans.len();
    }
    // Every record was bad: nothing was loaded, so the file as a whole failed (exit 1), and the
    // first reason says where.
    if let Some(file) = ds.files.first().filter(|f| f.spans == 0 && f.logs == 0 && f.skipped > 0) {
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
fn decompress<'b>(bytes: &'b [u8], path: &str) -> Result<Cow<'b, [u8]>, LoadError> {
    decompress_at_most(bytes, path, max_decompressed())
}

/// `decompress` with a cap on each layer's output: a few kilobytes of gzip or zstd can claim
/// gigabytes (a "compression bomb"), and weft would rather refuse than exhaust memory.
fn decompress_at_most<'b>(bytes: &'b [u8], path: &str, limit: u64) -> Result<Cow<'b, [u8]>, LoadError> {
    let mut bytes = Cow::Borrowed(bytes);
    loop {
        let kind = if bytes.starts_with(GZIP_MAGIC) {
            "gzip"
        } else if bytes.starts_with(ZSTD_MAGIC) {
            "zstd"
        } else {
            return Ok(bytes);
        };
        let corrupt = |e: std::io::Error| {
            LoadError::syntax(
                path,
                None,
                Location::Unknown,
                format!("{kind} data is corrupt or truncated: {e}"),
            )
        };
        let decoder: Box<dyn Read + '_> = if kind == "gzip" {
            Box::new(flate2::read::MultiGzDecoder::new(&bytes[..]))
        } else {
            Box::new(zstd::stream::read::Decoder::new(&bytes[..]).map_err(corrupt)?)
        };
        let mut out = Vec::new();
        // One byte past the cap tells "exactly at the cap" from "over it".
        decoder.take(limit.saturating_add(1)).read_to_end(&mut out).map_err(corrupt)?;
        if out.len() as u64 > limit {
            return Err(LoadError::of_kind(
                error::LoadErrorKind::Limit,
                path,
                None,
                Location::Unknown,
                format!(
                    "{kind} data decompresses to more than {limit} bytes (the limit is this machine's memory \
                     or WEFT_MAX_DECOMPRESSED, in bytes)"
                ),
            ));
        }
        bytes = Cow::Owned(out);
    }
}

/// The most bytes one compressed layer may expand to: `WEFT_MAX_DECOMPRESSED` if set, else the
/// machine's physical memory (Linux), else 16 GiB.
fn max_decompressed() -> u64 {
    const FALLBACK: u64 = 16 << 30;
    if let Some(n) = std::env::var("WEFT_MAX_DECOMPRESSED").ok().and_then(|v| v.trim().parse().ok()) {
        return n;
    }
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib.saturating_mul(1024))
        })
        .unwrap_or(FALLBACK)
}

#[cfg(test)]
mod parallel_tests;

#[cfg(test)]
mod tests {
    use super::*;

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
    fn decompression_past_the_cap_is_refused_with_the_layer_named() {
        let json = format!("{{\"resourceSpans\":[]{}}}", " ".repeat(10_000));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, json.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        assert!(gz.len() < 200, "the input compresses well");
        let zst = zstd::encode_all(&gz[..], 1).unwrap();
        let exact = json.len() as u64;
        assert_eq!(
            &*decompress_at_most(&zst, "x", exact).unwrap(),
            json.as_bytes(),
            "exactly at the cap loads"
        );
        let err = decompress_at_most(&zst, "bomb.json.gz.zst", exact - 1).unwrap_err().to_string();
        assert!(err.starts_with("bomb.json.gz.zst: gzip data decompresses to more than"), "{err}");
        assert!(err.contains("WEFT_MAX_DECOMPRESSED"), "{err}");
        let err = decompress_at_most(&zst, "b", gz.len() as u64 - 1).unwrap_err().to_string();
        assert!(err.starts_with("b: zstd data decompresses to more than"), "{err}");
    }

    #[test]
    fn gzip_is_undone_and_truncation_reported() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"{\"resourceSpans\":[]}").unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(&*decompress(&gz, "x").unwrap(), b"{\"resourceSpans\":[]}");
        let err = decompress(&gz[..gz.len() - 6], "t.json.gz").unwrap_err();
        assert!(err.to_string().starts_with("t.json.gz: gzip data is corrupt or truncated"), "{err}");
    }
}
