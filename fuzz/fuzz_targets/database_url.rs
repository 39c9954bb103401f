//! `shared`'s database URL parser on arbitrary bytes: see `stride_fuzz::shared_checks::database_url`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = stride_fuzz::shared_checks::database_url(data) {
        panic!("{broken}");
    }
});
