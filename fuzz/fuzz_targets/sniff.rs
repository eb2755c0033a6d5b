//! Format sniffing, then the loader it picks (including gzip/zstd undoing) on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use weft::model::Format;

/// OTLP JSON and JSON Lines are one loader that settles the exact form itself. The Collector's
/// framed file (length-prefixed messages, each maybe zstd-compressed) is sniffed as `otlp-proto`
/// by its framing whatever the messages hold; the loader names JSON messages as JSON.
fn same_family(loaded: Format, sniffed: Format) -> bool {
    use Format::{OtlpJson, OtlpJsonLines, OtlpProto};
    loaded == sniffed
        || matches!((loaded, sniffed), (OtlpJson | OtlpJsonLines, OtlpJson | OtlpJsonLines | OtlpProto))
}

fuzz_target!(|data: &[u8]| {
    let sniffed = weft::load::sniff(data);
    // Sniffing is a pure function of the bytes.
    assert_eq!(sniffed, weft::load::sniff(data));
    let loaded = weft_fuzz::check_result(weft::load::load_bytes(data.to_vec(), weft_fuzz::PATH, None));
    // Whatever loads without decompression was read as the format the sniffer named.
    if let (Some(ds), Some(f)) = (loaded, sniffed) {
        assert!(same_family(ds.files[0].format, f), "loaded as {} but sniffed {f}", ds.files[0].format);
    }
});
