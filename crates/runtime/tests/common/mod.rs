//! Helpers shared by the runtime's integration tests.

/// Encodes a module written in the text format.
pub fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lexes");
    let mut module = wast::parser::parse::<wast::Wat>(&buf).expect("parses");
    module.encode().expect("encodes")
}
