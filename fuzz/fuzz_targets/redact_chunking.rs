#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lockscope_fuzz::secrets::redact_chunking(data));
