//! Load figures against the floor, as a markdown table:
//!
//! ```text
//! cargo run --release --example loadbench -- [--runs N] [--workers N] FILE…
//! ```
//!
//! For each file it measures, in fresh child processes (so peak memory is per measurement):
//! - **F**, the floor: serde_json (JSON, JSON Lines) or rmp-serde (msgpack) parsing the file,
//!   already in memory, into `serde::de::IgnoredAny`; for OTLP protobuf, a walk over every field
//!   of every message (the OTLP schema says which records are messages) that keeps nothing;
//! - **weft**: `load::load_paths` (reading the file included) plus `Index::build`, i.e. what
//!   `weft info` does before it prints;
//! - their ratio, the weft child's CPU time (user + system, both threads: compare it with F to
//!   see the work done when the machine is busy and wall times are noisy), its peak RSS
//!   (`VmHWM`), and its resident memory once the index is built and the input is gone (`VmRSS`);
//! - the string compaction the explorer runs after that (`Index::compact_strings`): its time and
//!   the resident memory after it.
//!
//! Each figure is the median of `--runs` runs (default 3). `--workers N` sets `WEFT_WORKERS` for
//! the weft child (1 = sequential loading). Generate inputs with `/work/shared/tools/gentrace.py`
//! (see README, "Performance").

use serde::de::IgnoredAny;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    let mut runs = 3usize;
    let mut workers: Option<String> = None;
    let mut files = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().and_then(|n| n.parse().ok()).expect("--runs takes a number"),
            "--workers" => workers = Some(it.next().expect("--workers takes a number")),
            "-h" | "--help" => {
                println!("usage: loadbench [--runs N] [--workers N] FILE…");
                return;
            }
            _ => files.push(PathBuf::from(a)),
        }
    }
    if files.is_empty() {
        eprintln!("usage: loadbench [--runs N] [--workers N] FILE…");
        std::process::exit(2);
    }
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{cores} cores, load average {} before the runs; medians of {runs} runs\n",
        loadavg.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!(
        "| file | format | size | spans | F (s) | weft load+index (s) | ratio | weft CPU (s) | peak RSS | peak − file, per span | resident after load, per span | compact (s) | resident after compact, per span |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for file in &files {
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let floor: Vec<Sample> = (0..runs).map(|_| run_child("floor", file, None)).collect();
        let load: Vec<Sample> = (0..runs).map(|_| run_child("load", file, workers.as_deref())).collect();
        let f = median(floor.iter().map(|s| s.secs).collect());
        let w = median(load.iter().map(|s| s.secs).collect());
        let hwm = median(load.iter().map(|s| s.hwm_kb as f64).collect()) * 1024.0;
        let rss = median(load.iter().map(|s| s.rss_kb as f64).collect()) * 1024.0;
        let spans = load[0].spans.max(1) as f64;
        let cpu = median(load.iter().map(|s| s.cpu).collect());
        let compact = median(load.iter().map(|s| s.compact_secs).collect());
        let compact_rss = median(load.iter().map(|s| s.compact_rss_kb as f64).collect()) * 1024.0;
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2}× | {:.2} | {} | {:.0} B | {:.0} B | {:.2} | {:.0} B |",
            file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
            load[0].format,
            mb(size as f64),
            load[0].spans,
            f,
            w,
            w / f,
            cpu,
            mb(hwm),
            (hwm - size as f64) / spans,
            rss / spans,
            compact,
            compact_rss / spans,
        );
        eprintln!(
            "{}: floor runs {:?}, weft runs {:?}",
            file.display(),
            floor.iter().map(|s| (s.secs * 1000.0).round() / 1000.0).collect::<Vec<_>>(),
            load.iter().map(|s| (s.secs * 1000.0).round() / 1000.0).collect::<Vec<_>>()
        );
    }
}

fn mb(bytes: f64) -> String {
    format!("{:.0} MB", bytes / 1e6)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

struct Sample {
    secs: f64,
    hwm_kb: u64,
    rss_kb: u64,
    spans: usize,
    format: String,
    /// User + system CPU seconds of the whole child (reading the file included), before compaction.
    cpu: f64,
    /// Seconds `Index::compact_strings` took, and VmRSS after it (0 for the floor).
    compact_secs: f64,
    compact_rss_kb: u64,
}

fn run_child(what: &str, file: &Path, workers: Option<&str>) -> Sample {
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(what).arg(file);
    if let Some(w) = workers {
        cmd.env("WEFT_WORKERS", w);
    }
    let out = cmd.output().expect("the benchmark can run itself");
    if std::env::var_os("LOADBENCH_VERBOSE").is_some() {
        eprint!("{what}: {}", String::from_utf8_lossy(&out.stderr));
    }
    if !out.status.success() {
        panic!("{what} {} failed: {}", file.display(), String::from_utf8_lossy(&out.stderr));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    Sample {
        secs: f[0].parse().expect("seconds"),
        hwm_kb: f[1].parse().expect("VmHWM"),
        rss_kb: f[2].parse().expect("VmRSS"),
        spans: f[3].parse().expect("spans"),
        format: f[4].to_owned(),
        cpu: f.get(5).and_then(|c| c.parse().ok()).unwrap_or(0.0),
        compact_secs: f.get(6).and_then(|c| c.parse().ok()).unwrap_or(0.0),
        compact_rss_kb: f.get(7).and_then(|c| c.parse().ok()).unwrap_or(0),
    }
}

/// CPU time used so far by this process (user + system), from /proc/self/stat (Linux reports
/// it in clock ticks of 1/100 s).
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    // `rest` starts at field 3 (the state), so utime (14) and stime (15) are its 11th and 12th.
    let ticks = field(11) + field(12);
    ticks as f64 / 100.0
}

/// A field of /proc/self/status in kB.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

fn child(args: &[String]) {
    let (what, file) = (args[0].as_str(), PathBuf::from(&args[1]));
    match what {
        "floor" => {
            let bytes = std::fs::read(&file).expect("readable file");
            let msgpack = matches!(bytes.first(), Some(0x90..=0x9f | 0xdc | 0xdd));
            let proto = bytes.first() == Some(&0x0a);
            let t = Instant::now();
            let docs = if proto {
                assert!(proto_walk(&bytes, Msg::Traces) > 0, "valid protobuf");
                1
            } else if msgpack {
                rmp_serde::from_slice::<IgnoredAny>(&bytes).expect("valid msgpack");
                1
            } else {
                // Handles one document and JSON Lines alike.
                let mut docs = 0;
                for doc in serde_json::Deserializer::from_slice(&bytes).into_iter::<IgnoredAny>() {
                    doc.expect("valid JSON");
                    docs += 1;
                }
                docs
            };
            let secs = t.elapsed().as_secs_f64();
            let format = if proto {
                "protobuf"
            } else if msgpack {
                "msgpack"
            } else if docs > 1 {
                "jsonl"
            } else {
                "json"
            };
            println!("{secs} {} {} 0 {format} {}", status_kb("VmHWM:"), status_kb("VmRSS:"), cpu_secs());
        }
        "load" => {
            let t = Instant::now();
            let loaded = weft::load::load_paths(std::slice::from_ref(&file), None).expect("loadable file");
            let loaded_at = t.elapsed().as_secs_f64();
            let ds = &loaded.dataset;
            let sizes = format!(
                "dataset {} B/span: spans {}, attrs {}, values {}, events {}, links {}, strings {} ({} B of text)",
                ds.heap_bytes() / ds.spans.len().max(1),
                ds.spans.len(),
                ds.attrs.len(),
                ds.values.len(),
                ds.events.len(),
                ds.links.len(),
                ds.strings.len(),
                ds.strings.strings().map(str::len).sum::<usize>(),
            );
            let mut index = weft::index::Index::build(loaded.dataset);
            let secs = t.elapsed().as_secs_f64();
            let (hwm, rss, cpu) = (status_kb("VmHWM:"), status_kb("VmRSS:"), cpu_secs());
            let before = index.data.heap_bytes();
            let t = Instant::now();
            index.compact_strings();
            let compact_secs = t.elapsed().as_secs_f64();
            let compact_rss = status_kb("VmRSS:");
            let spans = index.span_count().max(1);
            let (blocks, _) = index.data.strings.cold_blocks();
            eprintln!(
                "load {loaded_at:.3} s, index {:.3} s; {sizes}; index {} B/span; compact {compact_secs:.3} s \
                 ({blocks} blocks): dataset {} -> {} B/span",
                secs - loaded_at,
                index.heap_bytes() / spans,
                before / spans,
                index.data.heap_bytes() / spans,
            );
            let format = index.data.files.first().map(|f| f.format.name()).unwrap_or("?");
            println!("{secs} {hwm} {rss} {} {format} {cpu} {compact_secs} {compact_rss}", index.span_count());
        }
        _ => panic!("unknown child {what}"),
    }
}

/// OTLP trace messages, for the protobuf floor: which length-delimited fields are messages.
#[derive(Clone, Copy)]
enum Msg {
    Traces,
    ResourceSpans,
    Resource,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Link,
    Status,
    KeyValue,
    AnyValue,
    Array,
    KvList,
}

/// The message a length-delimited `field` of `m` holds, if any (others are bytes or strings).
fn submessage(m: Msg, field: u64) -> Option<Msg> {
    Some(match (m, field) {
        (Msg::Traces, 1) => Msg::ResourceSpans,
        (Msg::ResourceSpans, 1) => Msg::Resource,
        (Msg::ResourceSpans, 2) => Msg::ScopeSpans,
        (Msg::ScopeSpans, 1) => Msg::Scope,
        (Msg::ScopeSpans, 2) => Msg::Span,
        (Msg::Resource, 1) | (Msg::Scope, 3) | (Msg::Span, 9) | (Msg::Event, 3) | (Msg::Link, 4) => {
            Msg::KeyValue
        }
        (Msg::Span, 11) => Msg::Event,
        (Msg::Span, 13) => Msg::Link,
        (Msg::Span, 15) => Msg::Status,
        (Msg::KeyValue, 2) => Msg::AnyValue,
        (Msg::AnyValue, 5) => Msg::Array,
        (Msg::AnyValue, 6) => Msg::KvList,
        (Msg::Array, 1) => Msg::AnyValue,
        (Msg::KvList, 1) => Msg::KeyValue,
        _ => return None,
    })
}

/// Visits every field of `buf` as message `m` and of every message inside it; returns the count.
fn proto_walk(buf: &[u8], m: Msg) -> usize {
    let mut pos = 0;
    let mut fields = 0;
    let varint = |pos: &mut usize| {
        let mut v = 0u64;
        for i in 0..10 {
            let b = buf[*pos];
            *pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        v
    };
    while pos < buf.len() {
        let tag = varint(&mut pos);
        fields += 1;
        match tag & 7 {
            0 => {
                varint(&mut pos);
            }
            1 => pos += 8,
            5 => pos += 4,
            2 => {
                let len = varint(&mut pos) as usize;
                if let Some(sub) = submessage(m, tag >> 3) {
                    fields += proto_walk(&buf[pos..pos + len], sub);
                }
                pos += len;
            }
            _ => panic!("not protobuf"),
        }
    }
    fields
}
