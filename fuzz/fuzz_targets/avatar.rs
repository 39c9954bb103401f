//! The auth service's avatar sniffing (`Avatar::parse`) on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stride_auth::fuzzing::parse_avatar(data);
});
