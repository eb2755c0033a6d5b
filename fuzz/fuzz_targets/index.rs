//! Whole pipeline: sniff → load → Index::build → walk every trace, span and link both ways →
//! render values as text → draw explorer frames; every step's invariants checked.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| weft_fuzz::load_index_walk(data, true));
