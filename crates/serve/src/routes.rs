//! The routes: which module answers which path prefix, with what limits and environment. They
//! come from the routes file (TOML, `--routes FILE`), from `MODULE` on the command line (the
//! route `/`), and from the command line's limit options (the defaults of every route).
//!
//! Precedence, most specific first: a route's own keys, the file's `[defaults]`, the command
//! line, the built-in defaults ([`Limits::default`]).

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Paths the server answers itself, whatever the routes.
pub const RESERVED: [&str; 2] = ["/metrics", "/healthz"];

/// What the guest's standard error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StderrMode {
    /// Thrown away (`/dev/null`).
    Discard,
    /// Kept (its first [`STDERR_LOG_BYTES`]) and logged with the request's id.
    Log,
}

/// How much of a guest's standard error a `log` route keeps per request.
pub const STDERR_LOG_BYTES: usize = 4096;

/// One table of the routes file: a `[[route]]`, or `[defaults]` (which has no `path` or
/// `module`). Every key is optional here; what is missing comes from the level below.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub path: Option<String>,
    pub module: Option<PathBuf>,
    pub gas_limit: Option<u64>,
    /// A duration: `250ms`, `2s`, `1m`.
    pub timeout: Option<String>,
    pub max_memory_pages: Option<u32>,
    pub max_body_bytes: Option<u64>,
    pub max_output_bytes: Option<u64>,
    pub histogram: Option<bool>,
    pub stderr: Option<StderrMode>,
    pub cost_table: Option<PathBuf>,
    /// Run the module's `wizer.initialize` once at load and start every request from its state.
    pub preinit: Option<bool>,
    /// Added to the guest's environment (a route's entries extend the defaults').
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

impl Section {
    /// `self` with every key it lacks taken from `base`.
    pub fn over(&self, base: &Section) -> Section {
        let mut env = base.env.clone();
        env.extend(self.env.clone());
        Section {
            path: self.path.clone().or_else(|| base.path.clone()),
            module: self.module.clone().or_else(|| base.module.clone()),
            gas_limit: self.gas_limit.or(base.gas_limit),
            timeout: self.timeout.clone().or_else(|| base.timeout.clone()),
            max_memory_pages: self.max_memory_pages.or(base.max_memory_pages),
            max_body_bytes: self.max_body_bytes.or(base.max_body_bytes),
            max_output_bytes: self.max_output_bytes.or(base.max_output_bytes),
            histogram: self.histogram.or(base.histogram),
            stderr: self.stderr.or(base.stderr),
            cost_table: self.cost_table.clone().or_else(|| base.cost_table.clone()),
            preinit: self.preinit.or(base.preinit),
            env,
        }
    }
}

/// The per-request limits of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Gas per request (every route is metered: gas also bounds a request that timed out).
    pub gas: u64,
    /// Wall-clock time from the end of the request's body to the guest's end.
    pub timeout: Duration,
    /// Linear memory, in 64 KiB pages.
    pub memory_pages: u32,
    pub body_bytes: u64,
    pub output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            gas: 1_000_000_000,
            timeout: Duration::from_secs(2),
            memory_pages: 1024,
            body_bytes: 1 << 20,
            output_bytes: 16 << 20,
        }
    }
}

/// A route, resolved and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteSpec {
    /// The path prefix, without a trailing `/` (the root route is `/`).
    pub prefix: String,
    /// The module's file as it is opened.
    pub module: PathBuf,
    /// The module's path as written: the guest's argument 0.
    pub arg0: String,
    pub limits: Limits,
    pub histogram: bool,
    pub stderr: StderrMode,
    pub cost_table: Option<PathBuf>,
    /// Start requests from a snapshot taken after `wizer.initialize` (`preinit.rs`).
    pub preinit: bool,
    /// Extra environment variables, sorted by name.
    pub env: Vec<(String, String)>,
}

impl RouteSpec {
    /// The part of `path` after this route's prefix (`PATH_INFO`), when the route serves it:
    /// the prefix must end at a `/` or at the end of the path.
    pub fn path_info<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.prefix == "/" {
            return Some(path);
        }
        let rest = path.strip_prefix(&self.prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }
}

/// The route serving `path`: the longest prefix that matches.
pub fn find<'r>(routes: &'r [RouteSpec], path: &str) -> Option<(usize, &'r RouteSpec)> {
    routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.path_info(path).is_some())
        .max_by_key(|(_, r)| r.prefix.len())
}

/// The routes file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutesFile {
    #[serde(default)]
    defaults: Section,
    #[serde(default)]
    route: Vec<Section>,
}

/// Reads the routes file `path`: its defaults (over `base`) and its routes, with relative paths
/// made relative to the file's directory.
pub fn read_file(path: &Path, base: &Section) -> Result<Vec<RouteSpec>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the routes file {}: {e}", path.display()))?;
    let file: RoutesFile =
        toml::from_str(&text).map_err(|e| format!("routes file {}: {e}", path.display()))?;
    let place = |what: &str| format!("routes file {}: {what}", path.display());
    if file.defaults.path.is_some() || file.defaults.module.is_some() {
        return Err(place("[defaults] cannot have `path` or `module`"));
    }
    if file.route.is_empty() {
        return Err(place("no [[route]]"));
    }
    // Files named in the routes file are found beside it.
    let dir = path.parent().unwrap_or(Path::new(""));
    let beside = |s: &Section| Section {
        module: s.module.as_ref().map(|m| dir.join(m)),
        cost_table: s.cost_table.as_ref().map(|c| dir.join(c)),
        ..s.clone()
    };
    let defaults = beside(&file.defaults).over(base);
    file.route
        .iter()
        .enumerate()
        .map(|(i, r)| {
            resolve(&beside(r).over(&defaults), r.module.as_deref()).map_err(|e| {
                let name = r.path.as_deref().unwrap_or("no path");
                place(&format!("route {} ({name}): {e}", i + 1))
            })
        })
        .collect()
}

/// The route `section` describes (its keys complete but for the built-in defaults); `arg0` is
/// the module's path as the user wrote it.
pub fn resolve(section: &Section, arg0: Option<&Path>) -> Result<RouteSpec, String> {
    let path = section.path.as_deref().ok_or("missing `path`")?;
    let module = section.module.clone().ok_or("missing `module`")?;
    let built_in = Limits::default();
    let limits = Limits {
        gas: section.gas_limit.unwrap_or(built_in.gas),
        timeout: match &section.timeout {
            Some(t) => parse_duration(t).map_err(|e| format!("timeout: {e}"))?,
            None => built_in.timeout,
        },
        memory_pages: section.max_memory_pages.unwrap_or(built_in.memory_pages),
        body_bytes: section.max_body_bytes.unwrap_or(built_in.body_bytes),
        output_bytes: section.max_output_bytes.unwrap_or(built_in.output_bytes),
    };
    if limits.gas == 0 {
        return Err("gas_limit must be at least 1".into());
    }
    if !(1..=65536).contains(&limits.memory_pages) {
        return Err(format!(
            "max_memory_pages must be 1 to 65536, not {}",
            limits.memory_pages
        ));
    }
    for (name, value) in &section.env {
        check_env(name, value)?;
    }
    Ok(RouteSpec {
        prefix: prefix(path)?,
        arg0: arg0.unwrap_or(&module).to_string_lossy().into_owned(),
        module,
        limits,
        histogram: section.histogram.unwrap_or(false),
        stderr: section.stderr.unwrap_or(StderrMode::Discard),
        cost_table: section.cost_table.clone(),
        preinit: section.preinit.unwrap_or(false),
        env: section.env.clone().into_iter().collect(),
    })
}

/// Checks that the routes can be served together: distinct prefixes, none of them reserved.
pub fn check_all(routes: &[RouteSpec]) -> Result<(), String> {
    for (i, r) in routes.iter().enumerate() {
        if routes[..i].iter().any(|o| o.prefix == r.prefix) {
            return Err(format!("two routes have the path `{}`", r.prefix));
        }
        if let Some(reserved) = RESERVED
            .iter()
            .find(|p| r.path_info(p).is_some() && r.prefix != "/")
        {
            return Err(format!(
                "the route `{}` would serve `{reserved}`, which the server answers itself",
                r.prefix
            ));
        }
    }
    if routes.is_empty() {
        return Err("no routes: give MODULE or --routes FILE".into());
    }
    Ok(())
}

/// A route's path, checked and without a trailing `/`.
fn prefix(path: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("path `{path}` must start with `/`"));
    }
    if path.contains(['?', '#', '%'])
        || path.contains("//")
        || path.chars().any(char::is_whitespace)
    {
        return Err(format!(
            "path `{path}` must be a plain path (no `?`, `#`, `%`, `//` or spaces)"
        ));
    }
    let trimmed = path.trim_end_matches('/');
    Ok(if trimmed.is_empty() { "/" } else { trimmed }.to_string())
}

/// Names the server sets itself (RFC 3875 and `HTTP_*`) cannot be set by a route.
fn check_env(name: &str, value: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('=') || name.contains('\0') || value.contains('\0') {
        return Err(format!(
            "env `{name}`: a name is non-empty, without `=` or NUL, and a value has no NUL"
        ));
    }
    if crate::cgi::SERVER_VARIABLES.contains(&name) || name.starts_with("HTTP_") {
        return Err(format!(
            "env `{name}` is set by the server for each request"
        ));
    }
    Ok(())
}

/// A duration: a whole number followed by `ms`, `s` or `m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration like 250ms, 2s or 1m");
    let (digits, unit): (String, String) = text.trim().chars().partition(|c| c.is_ascii_digit());
    if digits.is_empty() || !text.trim().starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let d = match unit.as_str() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(bad()),
    };
    if d.is_zero() {
        return Err(format!("`{text}`: a duration must be more than zero"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(prefix: &str) -> RouteSpec {
        resolve(
            &Section {
                path: Some(prefix.into()),
                module: Some("m.wasm".into()),
                ..Section::default()
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn prefixes_match_whole_segments_and_the_longest_wins() {
        let routes = [route("/"), route("/api"), route("/api/v2/")];
        assert_eq!(routes[2].prefix, "/api/v2");
        fn found<'p>(routes: &[RouteSpec], p: &'p str) -> Option<(usize, &'p str)> {
            find(routes, p).map(|(i, r)| (i, r.path_info(p).unwrap()))
        }
        let found = |p| found(&routes, p);
        assert_eq!(found("/api"), Some((1, "")));
        assert_eq!(found("/api/x"), Some((1, "/x")));
        assert_eq!(found("/apix"), Some((0, "/apix")));
        assert_eq!(found("/api/v2/y"), Some((2, "/y")));
        assert_eq!(found("/"), Some((0, "/")));
        assert_eq!(find(&routes[1..], "/other"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        for bad in ["", "ms", "5", "5h", "1.5s", "-1s", "s5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("0s").unwrap_err().contains("more than zero"));
    }

    #[test]
    fn bad_routes_are_refused_with_a_reason() {
        let bad = |s: Section| resolve(&s, None).unwrap_err();
        let base = Section {
            path: Some("/f".into()),
            module: Some("f.wasm".into()),
            ..Section::default()
        };
        assert_eq!(
            bad(Section {
                path: Some("f".into()),
                ..base.clone()
            }),
            "path `f` must start with `/`"
        );
        assert!(bad(Section {
            max_memory_pages: Some(0),
            ..base.clone()
        })
        .contains("max_memory_pages"));
        let mut env = BTreeMap::new();
        env.insert("PATH_INFO".to_string(), "x".to_string());
        assert!(bad(Section {
            env,
            ..base.clone()
        })
        .contains("set by the server"));
        assert_eq!(
            bad(Section {
                module: None,
                ..base
            }),
            "missing `module`"
        );
        assert!(check_all(&[route("/a"), route("/a/")])
            .unwrap_err()
            .contains("two routes"));
        assert!(check_all(&[route("/metrics")])
            .unwrap_err()
            .contains("answers itself"));
        assert!(check_all(&[route("/")]).is_ok());
    }

    #[test]
    fn more_specific_keys_win_and_env_merges() {
        let mut base_env = BTreeMap::new();
        base_env.insert("A".to_string(), "base".to_string());
        base_env.insert("B".to_string(), "base".to_string());
        let base = Section {
            gas_limit: Some(5),
            timeout: Some("1s".into()),
            env: base_env,
            ..Section::default()
        };
        let mut env = BTreeMap::new();
        env.insert("B".to_string(), "route".to_string());
        let merged = Section {
            gas_limit: Some(7),
            env,
            ..Section::default()
        }
        .over(&base);
        assert_eq!(merged.gas_limit, Some(7));
        assert_eq!(merged.timeout.as_deref(), Some("1s"));
        assert_eq!(merged.env["A"], "base");
        assert_eq!(merged.env["B"], "route");
    }
}
