//! The bundled sample traces (`sample-traces/`), embedded so `weft` with no path works anywhere.
//! (Placeholder until the samples land.)

/// (file name, bytes) of every bundled sample.
pub fn embedded() -> Vec<(&'static str, &'static [u8])> {
    Vec::new()
}
