//! The bundled sample traces (`sample-traces/`), embedded so `weft` with no path works anywhere.
//! They feed `load::load_bytes` like any file; `sample-traces/README.md` describes each one and
//! `cargo run --example gen_samples` regenerates them.

/// (file name, bytes) of every bundled sample, in name order.
const SAMPLES: &[(&str, &[u8])] = &[
    ("event-sourcing.dd.msgpack", include_bytes!("../sample-traces/event-sourcing.dd.msgpack")),
    ("event-sourcing.otlp.json", include_bytes!("../sample-traces/event-sourcing.otlp.json")),
    ("message-aggregation.dd.msgpack", include_bytes!("../sample-traces/message-aggregation.dd.msgpack")),
    ("message-aggregation.otlp.json", include_bytes!("../sample-traces/message-aggregation.otlp.json")),
    ("scatter-gather.dd.msgpack", include_bytes!("../sample-traces/scatter-gather.dd.msgpack")),
    ("scatter-gather.otlp.json", include_bytes!("../sample-traces/scatter-gather.otlp.json")),
    ("scatter-gather.otlp.jsonl", include_bytes!("../sample-traces/scatter-gather.otlp.jsonl")),
    (
        "transactional-messaging.dd.msgpack",
        include_bytes!("../sample-traces/transactional-messaging.dd.msgpack"),
    ),
    (
        "transactional-messaging.otlp.json",
        include_bytes!("../sample-traces/transactional-messaging.otlp.json"),
    ),
];

/// (file name, bytes) of every bundled sample.
pub fn embedded() -> Vec<(&'static str, &'static [u8])> {
    SAMPLES.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample added to (or removed from) the folder must be added here too, or `weft` with no
    /// path would silently show a different set than `weft sample-traces/`.
    #[test]
    fn embedded_list_matches_the_folder() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|name| name != "README.md" && !name.starts_with('.'))
            .collect();
        on_disk.sort();
        let names: Vec<String> = embedded().iter().map(|(name, _)| (*name).to_owned()).collect();
        assert_eq!(names, on_disk);
        for (name, bytes) in embedded() {
            assert_eq!(bytes, std::fs::read(dir.join(name)).unwrap(), "{name} differs from the file on disk");
        }
    }
}
