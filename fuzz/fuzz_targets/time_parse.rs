#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lockscope_fuzz::sources::time_parse(data));
