//! Format sniffing, then the loader it picks (including gzip/zstd undoing) on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let sniffed = weft::load::sniff(data);
    // Sniffing must be a pure function of the bytes and agree with what load_bytes decides.
    assert_eq!(sniffed, weft::load::sniff(data));
    if let Some(ds) = weft_fuzz::check_result(weft::load::load_bytes(data.to_vec(), weft_fuzz::PATH, None)) {
        if let Some(f) = sniffed {
            let same_family = |a: weft::model::Format, b: weft::model::Format| {
                use weft::model::Format::*;
                a == b || matches!((a, b), (OtlpJson | OtlpJsonLines, OtlpJson | OtlpJsonLines))
            };
            assert!(same_family(ds.files[0].format, f), "loaded as {} but sniffed {f}", ds.files[0].format);
        }
    }
});
