//! The console exporter loaders (Python's ConsoleSpanExporter, Go's stdouttrace) on arbitrary
//! bytes, each format forced in turn, one thread and cut for three (so the chunk runner's cuts at
//! `\n{` are fuzzed too).
#![no_main]
use libfuzzer_sys::fuzz_target;
use weft::model::Format;

fuzz_target!(|data: &[u8]| {
    for format in [Format::PythonConsole, Format::GoStdouttrace] {
        weft_fuzz::parse_as(data, format);
        let _ = weft_fuzz::check_result(weft::load::load_bytes_split(data, weft_fuzz::PATH, Some(format), 3, 1));
    }
});
