//! `weft FILE… --follow`: files that grow (JSON Lines written by an exporter, the Collector's file
//! exporter) are read again as they grow, and their new complete lines go, decoded by the same
//! loader as the file (`load_slice`), to the live explorer as batches (STYLE §9).
//!
//! A thread polls every `POLL`: for each file it reads what was added since the last look and keeps
//! a partial last line until its newline arrives. A file that shrank or was replaced (another
//! inode: log rotation) is read again from its start. In a followed folder, files that appear
//! later are read from their start; the ones there at the start from where the first load ended.

use super::{Options, files_in, load_slice};
use crate::model::{Dataset, Format};
use rustc_hash::FxHashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;
use std::time::Duration;

/// How often the files are looked at.
const POLL: Duration = Duration::from_millis(200);
/// Read at most this much of one file per look, so one huge append cannot stall the others.
const MAX_READ: u64 = 16 << 20;

/// Where reading a file got to.
#[derive(Debug, Default)]
struct Tail {
    /// Bytes read (or skipped as already loaded) from the start.
    offset: u64,
    /// Identity of the file read (device, inode), to notice a replaced file.
    id: Option<(u64, u64)>,
    /// A last line still waiting for its newline.
    partial: Vec<u8>,
}

/// The followed PATHs and where each file's reading got to.
#[derive(Debug)]
pub struct Follower {
    paths: Vec<PathBuf>,
    forced: Option<Format>,
    tails: FxHashMap<PathBuf, Tail>,
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl Follower {
    /// Notes where each file under `paths` ends now, before the first load reads them: what is
    /// added from here on is new (a line the load also saw is read twice, and the index keeps one).
    pub fn start(paths: &[PathBuf], forced: Option<Format>) -> Self {
        let mut follower = Self { paths: paths.to_vec(), forced, tails: FxHashMap::default() };
        for file in follower.files() {
            if let Ok(meta) = std::fs::metadata(&file) {
                let offset = complete_lines_end(&file, meta.len());
                follower.tails.insert(file, Tail { offset, id: identity(&meta), partial: Vec::new() });
            }
        }
        follower
    }

    /// Every file followed now: the files named, and the files in the folders named.
    fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for p in &self.paths {
            if p.is_dir() {
                out.extend(files_in(p).unwrap_or_default());
            } else if p.as_os_str() != "-" {
                out.push(p.clone());
            }
        }
        out
    }

    /// Polls until the explorer hangs up, sending what each look found as one batch.
    pub fn run(mut self, batches: &SyncSender<Dataset>) {
        loop {
            if let Some(batch) = self.look() {
                if batches.send(batch).is_err() {
                    return;
                }
            } else {
                std::thread::sleep(POLL);
            }
        }
    }

    /// Reads what every file gained since the last look; `None` when nothing new decoded.
    pub fn look(&mut self) -> Option<Dataset> {
        let mut merged: Option<Dataset> = None;
        for file in self.files() {
            let Some(lines) = self.new_lines(&file) else { continue };
            let options = Options { forced: self.forced, workers: 1, progress: None };
            // A chunk the loader refuses (not trace lines at all) is left out; the next ones are read.
            let Ok(batch) = load_slice(&lines, &file.display().to_string(), &options) else { continue };
            if batch.spans.is_empty() {
                continue;
            }
            match &mut merged {
                Some(m) => m.append(batch),
                None => merged = Some(batch),
            }
        }
        merged
    }

    /// The complete lines `file` gained since the last look.
    fn new_lines(&mut self, file: &Path) -> Option<Vec<u8>> {
        let meta = std::fs::metadata(file).ok()?;
        let id = identity(&meta);
        let tail = self.tails.entry(file.to_path_buf()).or_default();
        if meta.len() < tail.offset || (tail.id.is_some() && id != tail.id) {
            // Truncated or replaced: the new content starts at the beginning.
            *tail = Tail::default();
        }
        tail.id = id;
        if meta.len() == tail.offset {
            return None;
        }
        let mut f = std::fs::File::open(file).ok()?;
        f.seek(SeekFrom::Start(tail.offset)).ok()?;
        let mut added = Vec::new();
        let read = f.take(MAX_READ).read_to_end(&mut added).ok()?;
        tail.offset += read as u64;
        tail.partial.extend_from_slice(&added);
        let end = tail.partial.iter().rposition(|&b| b == b'\n')? + 1;
        let rest = tail.partial.split_off(end);
        Some(std::mem::replace(&mut tail.partial, rest))
    }
}

/// Where the last complete line of the first `len` bytes of `file` ends (0 if none): a partial
/// last line at the start is read again once its newline arrives.
fn complete_lines_end(file: &Path, len: u64) -> u64 {
    let Ok(mut f) = std::fs::File::open(file) else { return len };
    let back = len.min(1 << 20);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(len - back)).is_err() || f.take(back).read_to_end(&mut buf).is_err() {
        return len;
    }
    match buf.iter().rposition(|&b| b == b'\n') {
        Some(i) => len - back + i as u64 + 1,
        None if back == len => 0,
        None => len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(trace: u32, name: &str) -> String {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{trace:032x}","spanId":"00000000000000a1","name":"{name}","startTimeUnixNano":"1","endTimeUnixNano":"2"}}]}}]}}]}}"#
        ) + "\n"
    }

    fn names(batch: Option<Dataset>) -> Vec<String> {
        let Some(ds) = batch else { return Vec::new() };
        ds.spans.iter().map(|s| ds.str(s.name).to_owned()).collect()
    }

    #[test]
    fn reads_new_complete_lines_waits_for_a_partial_one_and_rereads_a_truncated_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.otlp.jsonl");
        let mut f = std::fs::File::create(&path).expect("create");
        f.write_all(line(1, "loaded").as_bytes()).expect("write");
        let mut follower = Follower::start(std::slice::from_ref(&path), None);
        assert!(follower.look().is_none(), "what was there at the start is not new");

        let second = line(2, "second");
        let (head, rest) = second.split_at(40);
        f.write_all(head.as_bytes()).expect("write");
        assert!(follower.look().is_none(), "a partial line waits");
        f.write_all(rest.as_bytes()).expect("write");
        f.write_all(line(3, "third").as_bytes()).expect("write");
        assert_eq!(names(follower.look()), ["second", "third"]);

        // Truncated and written again (copytruncate rotation): read from the start.
        let mut f = std::fs::File::create(&path).expect("truncate");
        f.write_all(line(4, "after rotation").as_bytes()).expect("write");
        assert_eq!(names(follower.look()), ["after rotation"]);
    }

    #[test]
    fn a_replaced_file_and_a_new_file_in_a_folder_are_read_from_the_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a.otlp.jsonl");
        std::fs::write(&path, line(1, "old").repeat(3)).expect("write");
        let mut follower = Follower::start(&[dir.path().to_path_buf()], None);
        let moved = dir.path().join(".a.old");
        std::fs::rename(&path, &moved).expect("rotate");
        std::fs::write(&path, line(2, "new file")).expect("write");
        std::fs::write(dir.path().join("b.otlp.jsonl"), line(3, "appeared")).expect("write");
        let mut got = names(follower.look());
        got.sort();
        assert_eq!(got, ["appeared", "new file"]);
    }
}
