#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| lockscope_fuzz::secrets::scanner_vs_reference(data));
