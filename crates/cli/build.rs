//! Tells the tests whether a host C compiler (`cc`) is on `PATH`: `tests/wasi.rs` builds the
//! bench kernels natively with it and, without one, is marked ignored with the reason, so the
//! test harness reports it as not run instead of passed. `.ci/run` installs `cc`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(host_cc)");
    println!("cargo::rerun-if-env-changed=PATH");
    let candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("cc")).collect())
        .unwrap_or_default();
    // Watching the found compiler, or every place one could appear: a path that does not exist
    // makes cargo run this script again on the next build, until `cc` is installed.
    match candidates.iter().find(|c| c.is_file()) {
        Some(cc) => println!("cargo::rerun-if-changed={}", cc.display()),
        None => candidates
            .iter()
            .for_each(|c| println!("cargo::rerun-if-changed={}", c.display())),
    }
    let works = Command::new("cc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        println!("cargo::rustc-cfg=host_cc");
    }
}
