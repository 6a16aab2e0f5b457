//! What is wrong with a file that is not a valid module, said the way a newcomer needs it: the
//! file's name, whether it is a binary module at all (WebAssembly text is not accepted), and
//! whether it is cut short.

use std::path::Path;

/// The error line for `file`, whose `bytes` failed to decode or validate with `error`.
pub fn module_error(file: &Path, bytes: &[u8], error: &dyn std::fmt::Display) -> String {
    let name = file.display();
    if bytes.is_empty() {
        return format!("error: {name} is empty, not a WebAssembly module");
    }
    if !bytes.starts_with(b"\0asm") {
        return if looks_like_text(file, bytes) {
            format!(
                "error: {name} is WebAssembly text, not a binary module: ssvm-lite reads only \
                 the binary format (.wasm); convert it first, e.g. with `wasm-tools parse` or \
                 `wat2wasm`"
            )
        } else {
            format!(
                "error: {name} is not a WebAssembly binary module (it does not start with the \
                 bytes \\0asm): {error}"
            )
        };
    }
    match truncation(bytes) {
        Some(why) => format!("error: {name}: {error} (the file is truncated: {why})"),
        None => format!("error: {name}: {error}"),
    }
}

/// Whether `bytes` read as the text format: UTF-8 whose first token opens a form or a comment,
/// or a `.wat`/`.wast` file name.
fn looks_like_text(file: &Path, bytes: &[u8]) -> bool {
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wat") || e.eq_ignore_ascii_case("wast"))
    {
        return true;
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('(') || text.starts_with(";;") || text.starts_with("(;")
}

/// Why a module whose header is right looks cut short, if it does: a section (or its header)
/// runs past the end of the file.
fn truncation(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 8 {
        return Some(format!(
            "{} bytes, shorter than the 8-byte header",
            bytes.len()
        ));
    }
    let mut at = 8;
    while at < bytes.len() {
        let section = at;
        at += 1; // the section id
        let mut size: u64 = 0;
        for shift in (0..35).step_by(7) {
            let Some(&b) = bytes.get(at) else {
                return Some(format!(
                    "it ends inside the header of the section at offset {section:#x}"
                ));
            };
            at += 1;
            size |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = (at as u64).saturating_add(size);
        if end > bytes.len() as u64 {
            return Some(format!(
                "the section at offset {section:#x} needs {end} bytes, the file has {}",
                bytes.len()
            ));
        }
        at = end as usize;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(name: &str, bytes: &[u8]) -> String {
        module_error(Path::new(name), bytes, &"the decoder's message")
    }

    #[test]
    fn text_is_told_apart_from_other_files() {
        assert!(error("m.wat", b"\xff\xfe not even UTF-8").contains("is WebAssembly text"));
        assert!(error("m.wasm", b"  ;; a comment\n(module)").contains("is WebAssembly text"));
        assert!(error("m.wasm", b"(module)").contains("is WebAssembly text"));
        let other = error("m.wasm", b"\x7fELF\x02\x01");
        assert!(
            other.contains("is not a WebAssembly binary module"),
            "{other}"
        );
        assert!(other.ends_with("the decoder's message"), "{other}");
        assert_eq!(
            error("m.wasm", b""),
            "error: m.wasm is empty, not a WebAssembly module"
        );
    }

    #[test]
    fn truncation_is_seen_in_the_section_headers() {
        assert!(error("m.wasm", b"\0asm\x01\0").contains("shorter than the 8-byte header"));
        // A type section of 5 bytes of which 2 are there.
        let cut = error("m.wasm", b"\0asm\x01\0\0\0\x01\x05\x01\x60");
        assert!(
            cut.ends_with("(the file is truncated: the section at offset 0x8 needs 15 bytes, the file has 12)"),
            "{cut}"
        );
        let cut = error("m.wasm", b"\0asm\x01\0\0\0\x01\x85");
        assert!(
            cut.contains("inside the header of the section at offset 0x8"),
            "{cut}"
        );
        // Whole sections: not truncated, whatever else is wrong.
        assert_eq!(
            error("m.wasm", b"\0asm\x01\0\0\0\x01\x01\x00"),
            "error: m.wasm: the decoder's message"
        );
    }
}
