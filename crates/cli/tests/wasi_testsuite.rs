//! Runs the official WASI preview-1 test suite (WebAssembly/wasi-testsuite's prebuilt
//! `wasm32-wasip1` binaries) through the `ssvm-lite` binary and prints `N passed, N failed`.
//!
//! The suite is not in the repository: it is read from `$WASI_TESTSUITE`, else from
//! `../shared/wasi-testsuite` beside the repository root. Each subdirectory holds `NAME.wasm`
//! and, where the test needs more than defaults, `NAME.json`: `args`, `env`, `root` (a directory
//! to copy to a scratch place and preopen as `/`), `exit_code` (default 0), `stdout` and
//! `stderr` (exact, when given). Standard input is closed. A key this runner does not know fails
//! the test rather than being ignored.
//!
//! A missing suite is a skip locally and a failure in CI (`CI=true`), so that CI cannot pass
//! without running it. `cargo test -p ssvm-lite --test wasi_testsuite [FILTER]` runs it alone.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ssvm-lite");

/// Every test of the suite finishes in well under a second; a hang fails instead of hanging CI.
const TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    // Like the libtest harness: the first argument that is not a flag filters by name.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let list = args.iter().any(|a| a == "--list");
    let suite = match std::env::var_os("WASI_TESTSUITE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/wasi-testsuite"),
    };
    let suite = suite.canonicalize().unwrap_or(suite);
    if !suite.is_dir() {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
        if in_ci {
            eprintln!(
                "wasi-testsuite: FAILED: the suite is not at {} (CI=true: it must run in CI; \
                 set WASI_TESTSUITE=DIR)",
                suite.display()
            );
            return ExitCode::FAILURE;
        }
        println!(
            "wasi-testsuite: skipped: not found at {} (set WASI_TESTSUITE=DIR; with CI=true \
             this is a failure)",
            suite.display()
        );
        return ExitCode::SUCCESS;
    }
    let tests = match find_tests(&suite) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "wasi-testsuite: FAILED: cannot read {}: {e}",
                suite.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let tests: Vec<_> = tests
        .into_iter()
        .filter(|t| filter.as_ref().is_none_or(|f| t.name.contains(f.as_str())))
        .collect();
    if list {
        for t in &tests {
            println!("{}: test", t.name);
        }
        return ExitCode::SUCCESS;
    }
    if tests.is_empty() && filter.is_none() {
        eprintln!("wasi-testsuite: FAILED: no tests in {}", suite.display());
        return ExitCode::FAILURE;
    }
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("wasi-testsuite-{}", std::process::id()));
    let started = Instant::now();
    let mut failed = Vec::new();
    for t in &tests {
        if let Err(why) = run(t, &scratch.join(t.name.replace('/', "-"))) {
            println!("FAIL {}", t.name);
            failed.push((t.name.clone(), why));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    for (name, why) in &failed {
        println!("\n--- {name}: {why}");
    }
    println!(
        "wasi-testsuite ({}): {} passed, {} failed in {:.1} s",
        suite.display(),
        tests.len() - failed.len(),
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One test: `dir/NAME` for the report, its module and its specification.
struct Test {
    name: String,
    wasm: PathBuf,
    spec: Option<PathBuf>,
}

fn find_tests(suite: &Path) -> std::io::Result<Vec<Test>> {
    let mut tests = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(suite)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        files.sort();
        for wasm in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "wasm"))
        {
            let spec = wasm.with_extension("json");
            tests.push(Test {
                name: format!(
                    "{}/{}",
                    dir.file_name().unwrap().to_string_lossy(),
                    wasm.file_stem().unwrap().to_string_lossy()
                ),
                spec: spec.is_file().then_some(spec),
                wasm,
            });
        }
    }
    Ok(tests)
}

/// What a test's `NAME.json` asks for.
#[derive(Default)]
struct Spec {
    args: Vec<String>,
    env: Vec<(String, String)>,
    root: Option<String>,
    exit_code: i64,
    stdout: Option<String>,
    stderr: Option<String>,
}

fn spec(path: &Path) -> Result<Spec, String> {
    use serde_json::Value;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let Value::Object(fields) = serde_json::from_str(&text).map_err(|e| e.to_string())? else {
        return Err("not a JSON object".into());
    };
    let string = |v: &Value, key: &str| match v {
        Value::String(s) => Ok(s.clone()),
        _ => Err(format!("`{key}` is not a string")),
    };
    let mut spec = Spec::default();
    for (key, value) in &fields {
        match (key.as_str(), value) {
            ("args", Value::Array(items)) => {
                spec.args = items
                    .iter()
                    .map(|v| string(v, "args"))
                    .collect::<Result<_, _>>()?;
            }
            ("env", Value::Object(vars)) => {
                for (name, v) in vars {
                    spec.env.push((name.clone(), string(v, "env")?));
                }
            }
            ("root", v) => spec.root = Some(string(v, key)?),
            ("exit_code", v) if v.as_i64().is_some() => spec.exit_code = v.as_i64().unwrap_or(0),
            ("stdout", v) => spec.stdout = Some(string(v, key)?),
            ("stderr", v) => spec.stderr = Some(string(v, key)?),
            _ => return Err(format!("key `{key}` (or its type) is not understood here")),
        }
    }
    Ok(spec)
}

/// Runs one test in `scratch` (its own, fresh); `Err` says why it failed.
fn run(t: &Test, scratch: &Path) -> Result<(), String> {
    let spec = match &t.spec {
        Some(path) => spec(path).map_err(|e| format!("{}: {e}", path.display()))?,
        None => Spec::default(),
    };
    let mut cmd = Command::new(BIN);
    cmd.arg("run");
    for (name, value) in &spec.env {
        cmd.arg("--env").arg(format!("{name}={value}"));
    }
    if let Some(root) = &spec.root {
        let from = t.wasm.parent().unwrap().join(root);
        let _ = std::fs::remove_dir_all(scratch);
        copy_tree(&from, scratch)
            .map_err(|e| format!("cannot copy {} to scratch: {e}", from.display()))?;
        let mut dir = scratch.as_os_str().to_owned();
        dir.push("::/");
        cmd.arg("--dir").arg(dir);
    }
    cmd.arg(&t.wasm).args(&spec.args);
    let (code, stdout, stderr) = run_with_timeout(cmd)?;
    let mut wrong = Vec::new();
    if code != Some(spec.exit_code as i32) {
        wrong.push(format!("exit code {code:?}, expected {}", spec.exit_code));
    }
    if spec.stdout.as_ref().is_some_and(|want| *want != stdout) {
        wrong.push(format!(
            "standard output {stdout:?}, expected {:?}",
            spec.stdout.as_deref().unwrap_or("")
        ));
    }
    if spec.stderr.as_ref().is_some_and(|want| *want != stderr) {
        wrong.push(format!(
            "standard error differs, expected {:?}",
            spec.stderr.as_deref().unwrap_or("")
        ));
    }
    if wrong.is_empty() {
        return Ok(());
    }
    let stderr: String = stderr.chars().take(3000).collect();
    Err(format!("{}\nstandard error:\n{stderr}", wrong.join("; ")))
}

/// Copies directory `from` to `to` with every entry writable by us (the suite may be installed
/// read-only; its tests create and remove files there).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(to)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644))?;
        }
    }
    Ok(())
}

/// Runs `cmd` with standard input closed: its exit code, standard output and error.
fn run_with_timeout(mut cmd: Command) -> Result<(Option<i32>, String, String), String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {BIN}: {e}"))?;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("did not finish within {TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let text = |v: Vec<u8>| String::from_utf8_lossy(&v).into_owned();
    Ok((
        status.code(),
        text(out_reader.join().unwrap()),
        text(err_reader.join().unwrap()),
    ))
}
