//! The Wasm backtrace `run` prints after a trap, bounded whatever the guest does: repeated
//! frames (recursion) collapse into one line, long names are cut, and at most
//! [`HEAD`] + [`TAIL`] lines are printed, with a line for the frames between that are not.

/// Lines shown from the innermost end (where the trap is) and from the outermost (the entry).
const HEAD: usize = 20;
const TAIL: usize = 10;

/// Characters of a function name shown.
const MAX_NAME: usize = 120;

/// The lines after `wasm backtrace:`, innermost first: `   N: name`, or `   N: name (×K)`
/// for K consecutive frames of one function starting at frame N. `frames` are those the
/// runtime kept of a stack `depth` frames deep: all of them, or its innermost half and then
/// its outermost half (`Store::trap_backtrace_frames`), named by `name` (called only for the
/// lines shown, since a guest's names may be long). Also how many frames are not shown.
pub fn lines<F: PartialEq>(
    frames: &[F],
    depth: usize,
    name: impl Fn(&F) -> String,
) -> (Vec<String>, usize) {
    let inner = if depth > frames.len() {
        frames.len() / 2
    } else {
        frames.len()
    };
    let number = |i: usize| {
        if i < inner {
            i
        } else {
            depth - (frames.len() - i)
        }
    };
    // (first frame, function, frames): runs of one function over consecutive frames.
    let mut groups: Vec<(usize, &F, usize)> = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        let n = number(i);
        match groups.last_mut() {
            Some((first, last, count)) if *last == frame && *first + *count == n => *count += 1,
            _ => groups.push((n, frame, 1)),
        }
    }
    let line = |&(i, frame, count): &(usize, &F, usize)| {
        let name = short(&name(frame));
        if count == 1 {
            format!("  {i:>2}: {name}")
        } else {
            format!("  {i:>2}: {name} (\u{d7}{count})")
        }
    };
    let shown: Vec<_> = if groups.len() <= HEAD + TAIL {
        groups.iter().collect()
    } else {
        groups[..HEAD]
            .iter()
            .chain(&groups[groups.len() - TAIL..])
            .collect()
    };
    let mut out = Vec::new();
    let mut hidden = 0;
    for (k, g) in shown.iter().enumerate() {
        // The frames between the group before and this one are not shown.
        let before = k
            .checked_sub(1)
            .map_or(0, |p| g.0 - (shown[p].0 + shown[p].2));
        if before > 0 {
            out.push(format!("      ... {before} more frames ..."));
            hidden += before;
        }
        out.push(line(g));
    }
    (out, hidden)
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
            lines(&frames, frames.len(), String::clone).0,
            ["   0: leaf", "   1: rec (\u{d7}99998)", "  99999: main"]
        );
        assert_eq!(
            lines(&names(&["a", "b", "a"]), 3, String::clone).0,
            ["   0: a", "   1: b", "   2: a"]
        );
        assert!(lines(&[] as &[String], 0, String::clone).0.is_empty());
    }

    #[test]
    fn many_distinct_frames_are_capped() {
        let frames: Vec<String> = (0..1000).map(|i| format!("f{}", i % 2)).collect();
        let (out, hidden) = lines(&frames, frames.len(), String::clone);
        assert_eq!(hidden, 970);
        assert_eq!(out.len(), HEAD + TAIL + 1);
        assert_eq!(out[0], "   0: f0");
        assert_eq!(out[HEAD], "      ... 970 more frames ...");
        assert_eq!(out.last().unwrap(), "  999: f1");
    }

    #[test]
    fn frames_the_runtime_dropped_are_counted() {
        // 100,000 frames deep, the runtime kept the 500 innermost and the 500 outermost.
        let mut frames = vec!["leaf".to_string()];
        frames.extend(std::iter::repeat_n("rec".to_string(), 998));
        frames.push("main".into());
        assert_eq!(
            lines(&frames, 100_000, String::clone).0,
            [
                "   0: leaf",
                "   1: rec (\u{d7}499)",
                "      ... 99000 more frames ...",
                "  99500: rec (\u{d7}499)",
                "  99999: main"
            ]
        );
        // Distinct frames: the head, the count of all not shown, the tail.
        let frames: Vec<String> = (0..1000).map(|i| format!("f{}", i % 2)).collect();
        let (out, hidden) = lines(&frames, 5000, String::clone);
        assert_eq!(hidden, 4970);
        assert_eq!(out[HEAD], "      ... 4970 more frames ...");
        assert_eq!(out.last().unwrap(), "  4999: f1");
    }

    #[test]
    fn long_names_are_cut() {
        let long = "x".repeat(100_000);
        let out = lines(&[long], 1, String::clone).0;
        assert_eq!(
            out[0],
            format!("   0: {}... (100000 bytes)", "x".repeat(MAX_NAME))
        );
    }
}
