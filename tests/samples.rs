//! The bundled samples in `sample-traces/`: they are exactly what the generator writes, and they
//! load into the link structure `sample-traces/README.md` promises.

#[path = "../examples/gen_samples.rs"]
mod gen_samples;

use std::path::{Path, PathBuf};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-traces")
}

/// Hand edits to a sample would be lost the next time someone regenerates; this catches them, and
/// catches a generator change whose output was not committed.
#[test]
fn committed_samples_are_what_the_generator_writes() {
    let generated = gen_samples::generate();
    let mut names: Vec<&str> = generated.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    let mut on_disk: Vec<String> = std::fs::read_dir(sample_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "README.md")
        .collect();
    on_disk.sort();
    assert_eq!(names, on_disk, "sample-traces/ holds other files than the generator writes");
    for (name, bytes) in generated {
        let committed = std::fs::read(sample_dir().join(name)).unwrap();
        assert!(committed == bytes, "{name} is stale: run `cargo run --example gen_samples` and commit");
    }
}

#[test]
fn generator_is_deterministic() {
    let a = gen_samples::generate();
    let b = gen_samples::generate();
    assert!(a == b);
}
