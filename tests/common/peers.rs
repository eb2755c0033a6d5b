//! Real OpenTelemetry SDKs (and other senders) for the tests, installed once into the target
//! dir and cached by the hash of their pinned inputs (tests/peers/requirements.txt, …).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// FNV-1a, to key the cached peer installs by their pinned requirements.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// Runs an install step, failing the test with its output when it fails.
pub fn install(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}); the listen tests need it:\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates (once, cached by the hash of its inputs) an install directory: `build` fills
/// `dir`, then a marker says it is complete, so an interrupted install is redone.
pub fn cached(prefix: &str, inputs: &[u8], build: impl FnOnce(&Path)) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{prefix}-{:016x}", fnv(inputs)));
    let ready = dir.join(".weft-ready");
    if !ready.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        build(&dir);
        std::fs::write(&ready, b"").unwrap();
    }
    dir
}

/// The Python venv with the OpenTelemetry SDK exporters and ddtrace (tests/peers/requirements.txt).
pub fn python() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| {
        let requirements = peers_dir().join("requirements.txt");
        let dir = cached("peers-venv", &std::fs::read(&requirements).unwrap(), |dir| {
            install(
                Command::new("python3").args(["-m", "venv"]).arg(dir),
                "python3 -m venv (Python 3 is needed)",
            );
            install(
                Command::new(dir.join("bin/pip"))
                    .args(["install", "--disable-pip-version-check", "-q", "-r"])
                    .arg(&requirements),
                "pip install -r tests/peers/requirements.txt",
            );
        });
        dir.join("bin/python")
    })
}
