//! The fitness request parsers (`TryFrom<proto request>`): the first byte picks the message,
//! the rest is decoded as it with prost; see `stride_fitness::fuzzing::parse_request`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = stride_fitness::fuzzing::parse_request(data) {
        panic!("{broken}");
    }
});
