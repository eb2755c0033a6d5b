//! Whole pipeline without drawing: sniff → load → Index::build → walk every trace, span and link
//! both ways → render every attribute value as text; every step's invariants checked.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| weft_fuzz::load_index_walk(data, false));
