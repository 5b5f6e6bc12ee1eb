#[test]
#[ignore]
fn dump() {
    lockscope_sim::generate(&lockscope_sim::Config::default(), std::path::Path::new("/tmp/simsmoke/demo")).expect("gen");
}
