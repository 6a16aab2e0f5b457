//! The Wasm backtrace `run` prints after a trap, bounded whatever the guest does: repeated
//! frames (recursion) collapse into one line, long names are cut, and at most
//! [`HEAD`] + [`TAIL`] lines are printed.

/// Lines shown from the innermost end (where the trap is) and from the outermost (the entry).
const HEAD: usize = 20;
const TAIL: usize = 10;

/// Characters of a function name shown.
const MAX_NAME: usize = 120;

/// The lines after `wasm backtrace:`, innermost first: `   N: name`, or `   N: name (×K)`
/// for K consecutive frames of one function starting at frame N.
pub fn lines(frames: &[String]) -> Vec<String> {
    let mut groups: Vec<(usize, &str, usize)> = Vec::new();
    for (i, name) in frames.iter().enumerate() {
        match groups.last_mut() {
            Some((_, last, count)) if *last == name.as_str() => *count += 1,
            _ => groups.push((i, name, 1)),
        }
    }
    let line = |&(i, name, count): &(usize, &str, usize)| {
        let name = short(name);
        if count == 1 {
            format!("  {i:>2}: {name}")
        } else {
            format!("  {i:>2}: {name} (\u{d7}{count})")
        }
    };
    if groups.len() <= HEAD + TAIL {
        return groups.iter().map(line).collect();
    }
    let hidden = &groups[HEAD..groups.len() - TAIL];
    let frames_hidden: usize = hidden.iter().map(|g| g.2).sum();
    let mut out: Vec<String> = groups[..HEAD].iter().map(line).collect();
    out.push(format!("      ... {frames_hidden} more frames ..."));
    out.extend(groups[groups.len() - TAIL..].iter().map(line));
    out
}

/// `name`, cut to [`MAX_NAME`] characters.
fn short(name: &str) -> String {
    match name.char_indices().nth(MAX_NAME) {
        None => name.to_string(),
        Some((at, _)) => format!("{}... ({} bytes)", &name[..at], name.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn repeated_frames_collapse() {
        let mut frames = vec!["leaf".to_string()];
        frames.extend(std::iter::repeat_n("rec".to_string(), 99_998));
        frames.push("main".into());
        assert_eq!(
            lines(&frames),
            ["   0: leaf", "   1: rec (\u{d7}99998)", "  99999: main"]
        );
        assert_eq!(
            lines(&names(&["a", "b", "a"])),
            ["   0: a", "   1: b", "   2: a"]
        );
        assert!(lines(&[]).is_empty());
    }

    #[test]
    fn many_distinct_frames_are_capped() {
        let frames: Vec<String> = (0..1000).map(|i| format!("f{}", i % 2)).collect();
        let out = lines(&frames);
        assert_eq!(out.len(), HEAD + TAIL + 1);
        assert_eq!(out[0], "   0: f0");
        assert_eq!(out[HEAD], "      ... 970 more frames ...");
        assert_eq!(out.last().unwrap(), "  999: f1");
    }

    #[test]
    fn long_names_are_cut() {
        let long = "x".repeat(100_000);
        let out = lines(&[long]);
        assert_eq!(
            out[0],
            format!("   0: {}... (100000 bytes)", "x".repeat(MAX_NAME))
        );
    }
}
