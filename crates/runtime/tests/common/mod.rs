//! Helpers shared by the runtime's integration tests.

/// Encodes a module written in the text format.
pub fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    module.encode().expect("encodes")
}

/// The store's histogram by instruction name, in name order.
#[allow(dead_code)] // each test file uses its own part
pub fn histogram_by_name<T>(store: &ssvm_runtime::Store<T>) -> Vec<(String, u64)> {
    let mut histogram: Vec<(String, u64)> = store
        .histogram()
        .into_iter()
        .map(|(op, n)| (op.name().to_string(), n))
        .collect();
    histogram.sort();
    histogram
}

/// `(name, count)` pairs, owned, as `histogram_by_name` and gas profiles give them.
#[allow(dead_code)]
pub fn owned(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|&(n, c)| (n.to_string(), c)).collect()
}

/// Resumes a call stopped by out of gas, `step` more gas at a time, until it completes: its
/// one result.
#[allow(dead_code)]
pub fn resume_to_the_end<T>(store: &mut ssvm_runtime::Store<T>, step: u64) -> ssvm_runtime::Val {
    let mut results = [ssvm_runtime::Val::I32(0)];
    loop {
        store.add_gas(step);
        match store.resume(&mut results) {
            Ok(()) => return results[0],
            Err(ssvm_runtime::Error::OutOfGas { .. }) => continue,
            Err(e) => panic!("resume failed: {e}"),
        }
    }
}
