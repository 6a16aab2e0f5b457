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

use std::collections::BTreeMap;
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
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    let Json::Object(fields) = json::parse(&text)? else {
        return Err("not a JSON object".into());
    };
    let string = |v: &Json, key: &str| match v {
        Json::String(s) => Ok(s.clone()),
        _ => Err(format!("`{key}` is not a string")),
    };
    let mut spec = Spec::default();
    for (key, value) in &fields {
        match (key.as_str(), value) {
            ("args", Json::Array(items)) => {
                spec.args = items
                    .iter()
                    .map(|v| string(v, "args"))
                    .collect::<Result<_, _>>()?;
            }
            ("env", Json::Object(vars)) => {
                for (name, v) in vars {
                    spec.env.push((name.clone(), string(v, "env")?));
                }
            }
            ("root", v) => spec.root = Some(string(v, key)?),
            ("exit_code", Json::Number(n)) => spec.exit_code = *n,
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

/// A JSON value, as much of JSON as the specifications use (numbers are integers).
enum Json {
    Null,
    Bool(#[allow(dead_code)] bool),
    Number(i64),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

mod json {
    use super::Json;
    use std::collections::BTreeMap;

    pub fn parse(text: &str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            at: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.at != p.s.len() {
            return Err(p.error("text after the value"));
        }
        Ok(v)
    }

    struct Parser<'a> {
        s: &'a [u8],
        at: usize,
    }

    impl Parser<'_> {
        fn error(&self, what: &str) -> String {
            format!("JSON: {what} at byte {}", self.at)
        }

        fn ws(&mut self) {
            while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
                self.at += 1;
            }
        }

        fn eat(&mut self, b: u8) -> bool {
            self.ws();
            let hit = self.s.get(self.at) == Some(&b);
            self.at += usize::from(hit);
            hit
        }

        fn value(&mut self) -> Result<Json, String> {
            self.ws();
            let rest = &self.s[self.at..];
            for (word, v) in [
                ("null", Json::Null),
                ("true", Json::Bool(true)),
                ("false", Json::Bool(false)),
            ] {
                if rest.starts_with(word.as_bytes()) {
                    self.at += word.len();
                    return Ok(v);
                }
            }
            match rest.first() {
                Some(b'"') => self.string().map(Json::String),
                Some(b'[') => {
                    self.at += 1;
                    let mut items = Vec::new();
                    if !self.eat(b']') {
                        loop {
                            items.push(self.value()?);
                            if self.eat(b']') {
                                break;
                            }
                            if !self.eat(b',') {
                                return Err(self.error("expected , or ]"));
                            }
                        }
                    }
                    Ok(Json::Array(items))
                }
                Some(b'{') => {
                    self.at += 1;
                    let mut fields = BTreeMap::new();
                    if !self.eat(b'}') {
                        loop {
                            self.ws();
                            let key = self.string()?;
                            if !self.eat(b':') {
                                return Err(self.error("expected :"));
                            }
                            fields.insert(key, self.value()?);
                            if self.eat(b'}') {
                                break;
                            }
                            if !self.eat(b',') {
                                return Err(self.error("expected , or }"));
                            }
                        }
                    }
                    Ok(Json::Object(fields))
                }
                Some(b'-' | b'0'..=b'9') => {
                    let start = self.at;
                    self.at += 1;
                    while self.s.get(self.at).is_some_and(u8::is_ascii_digit) {
                        self.at += 1;
                    }
                    std::str::from_utf8(&self.s[start..self.at])
                        .ok()
                        .and_then(|n| n.parse().ok())
                        .map(Json::Number)
                        .ok_or_else(|| self.error("not an integer"))
                }
                _ => Err(self.error("expected a value")),
            }
        }

        fn string(&mut self) -> Result<String, String> {
            if self.s.get(self.at) != Some(&b'"') {
                return Err(self.error("expected a string"));
            }
            self.at += 1;
            let mut out = Vec::new();
            loop {
                let Some(&b) = self.s.get(self.at) else {
                    return Err(self.error("unterminated string"));
                };
                self.at += 1;
                match b {
                    b'"' => break,
                    b'\\' => {
                        let e = *self
                            .s
                            .get(self.at)
                            .ok_or_else(|| self.error("bad escape"))?;
                        self.at += 1;
                        let c = match e {
                            b'"' | b'\\' | b'/' => e as char,
                            b'n' => '\n',
                            b't' => '\t',
                            b'r' => '\r',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'u' => {
                                let hex = self
                                    .s
                                    .get(self.at..self.at + 4)
                                    .and_then(|h| std::str::from_utf8(h).ok())
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .ok_or_else(|| self.error("bad \\u escape"))?;
                                self.at += 4;
                                char::from_u32(hex).ok_or_else(|| self.error("bad \\u escape"))?
                            }
                            _ => return Err(self.error("bad escape")),
                        };
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    _ => out.push(b),
                }
            }
            String::from_utf8(out).map_err(|_| self.error("not UTF-8"))
        }
    }
}
