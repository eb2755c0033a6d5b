//! Differential: the chunked, multi-threaded parsers (3 workers, chunks from 64 bytes) must read
//! any input exactly as one thread does: the same error, or the same spans, counts and warnings.
#![no_main]
use libfuzzer_sys::fuzz_target;
use weft::load::load_bytes_split;

fuzz_target!(|data: &[u8]| {
    let path = weft_fuzz::PATH;
    let one = load_bytes_split(data, path, None, 1, 64);
    let many = load_bytes_split(data, path, None, 3, 64);
    match (one, many) {
        (Ok(a), Ok(b)) => {
            weft_fuzz::invariants::check_dataset(&b);
            let (fa, fb) = (weft_fuzz::fingerprint(&a), weft_fuzz::fingerprint(&b));
            if fa != fb {
                let first = fa.iter().zip(&fb).position(|(x, y)| x != y).unwrap_or(fa.len().min(fb.len()));
                panic!(
                    "parallel differs at line {first}:\n one: {:?}\nmany: {:?}\n({} vs {} lines)",
                    fa.get(first),
                    fb.get(first),
                    fa.len(),
                    fb.len()
                );
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("one thread: {:?}\nthree: {:?}", a.map(|d| d.spans.len()), b.map(|d| d.spans.len())),
    }
});
