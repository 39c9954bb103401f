//! `shared`'s field mask parser on arbitrary bytes: see `stride_fuzz::shared_checks::field_mask`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = stride_fuzz::shared_checks::field_mask(data) {
        panic!("{broken}");
    }
});
