//! The Datadog UI trace JSON loader on arbitrary bytes (format forced, so the sniffer never
//! filters input out).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| weft_fuzz::parse_as(data, weft::model::Format::DatadogUiJson));
