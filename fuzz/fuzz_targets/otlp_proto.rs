//! The otlp_proto loader on arbitrary bytes (format forced, so the sniffer never filters input
//! out): bare messages, the Collector's length-prefixed frames, zstd and JSON inside them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| weft_fuzz::parse_as(data, weft::model::Format::OtlpProto));
