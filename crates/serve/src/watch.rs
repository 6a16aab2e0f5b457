//! `--watch`: a module whose file changes is compiled again and served from then on. The files
//! are polled (size and modification time); a module that fails to load is logged and the one
//! before keeps serving.

use crate::function::Function;
use crate::server::State;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::task::JoinHandle;

/// How often the files are looked at.
pub const POLL: Duration = Duration::from_millis(250);

type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// Starts watching every route's module.
pub fn spawn(state: Arc<State>) -> Vec<JoinHandle<()>> {
    let task = tokio::spawn(async move {
        let mut seen: Vec<Stamp> = state.specs.iter().map(|s| stamp(&s.module)).collect();
        let mut tick = tokio::time::interval(POLL);
        loop {
            tick.tick().await;
            for (route, seen) in seen.iter_mut().enumerate() {
                let now = stamp(&state.specs[route].module);
                // A file being replaced may be missing for a moment: keep serving meanwhile.
                if now.is_none() || now == *seen {
                    continue;
                }
                *seen = now;
                reload(&state, route).await;
            }
        }
    });
    vec![task]
}

async fn reload(state: &Arc<State>, route: usize) {
    let spec = state.specs[route].clone();
    let (table, linker) = (state.tables[route].clone(), state.linker.clone());
    let loaded = tokio::task::spawn_blocking(move || Function::load(&spec, table, &linker)).await;
    let spec = &state.specs[route];
    match loaded {
        Ok(Ok(function)) => {
            let old = state.function(route).digest.clone();
            if function.digest == old {
                return;
            }
            state.log.info(
                "module reloaded",
                json!({"route": spec.prefix, "module_digest": function.digest, "previous": old}),
            );
            state.replace(route, function);
            state.metrics.reload(route, true);
        }
        Ok(Err(e)) => {
            state.log.warn(
                "module changed but cannot be served; the previous one still is",
                json!({"route": spec.prefix, "error": e.to_string()}),
            );
            state.metrics.reload(route, false);
        }
        Err(e) => state.log.error(
            "module reload failed",
            json!({"route": spec.prefix, "error": e.to_string()}),
        ),
    }
}
