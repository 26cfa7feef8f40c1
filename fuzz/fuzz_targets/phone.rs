//! See actiondesk::fuzz_checks::phone for what is checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| actiondesk::fuzz_checks::phone(data));
