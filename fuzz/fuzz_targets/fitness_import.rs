//! The import's CSV parser (Strong and Hevy files, fed in chunks): the first byte picks the
//! source, the weight unit and the chunk size, the rest is the file; see
//! `stride_fitness::fuzzing::parse_import`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = stride_fitness::fuzzing::parse_import(data) {
        panic!("{broken}");
    }
});
