//! The `index` target plus the explorer: frames drawn on the first and last trace (waterfall,
//! every details tab, the value overlay) must hold no control character from the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| weft_fuzz::load_index_walk(data, true));
