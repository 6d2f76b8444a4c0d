//! Read-only descriptions of the server and the lake: health, system numbers, strategies, bots.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use crate::serve::json::Json;
use serde_json::{json, Value};

use crate::serve::error::{ApiError, ApiResult};
use crate::serve::state::AppState;
use crate::strategies::{strategy_grid, STRATEGIES};

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok", "version": crate::VERSION }))
}

/// Table sizes come from the directory tree (one walk per request; the lake is files).
pub async fn system(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let root = state.lake.clone();
    let tables = tokio::task::spawn_blocking(move || lake_tables(&root)).await.map_err(ApiError::internal)??;
    Ok(Json(json!({
        "version": crate::VERSION,
        "lake": state.lake.display().to_string(),
        "uptime_s": state.started.elapsed().as_secs(),
        "tables": tables,
        "jobs": { "running": state.jobs.running(), "total": state.jobs.list().len() },
        "bots": { "available": true, "hosted": false },
        "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
    })))
}

fn lake_tables(root: &Path) -> ApiResult<Vec<Value>> {
    let tables = crate::query::discover_tables(root).map_err(ApiError::internal)?;
    let mut out = Vec::new();
    for t in tables {
        let mut acc = Walk::default();
        acc.walk(&t.dir);
        let mut row = json!({
            "name": t.name,
            "partitions": t.partitions,
            "files": t.files,
            "bytes": acc.bytes,
            "symbols": acc.values("symbol"),
            "timeframes": acc.values("timeframe"),
        });
        if t.partitions.iter().any(|p| p == "run") {
            row["runs"] = Value::from(acc.values("run"));
        }
        out.push(row);
    }
    Ok(out)
}

/// Bytes of visible Parquet files and the `key=value` directory names seen.
#[derive(Default)]
struct Walk {
    bytes: u64,
    keys: BTreeSet<(String, String)>,
}

impl Walk {
    fn walk(&mut self, dir: &Path) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !crate::query::catalog::is_visible(&name) {
                continue;
            }
            let p = e.path();
            if p.is_dir() {
                if let Some((k, v)) = name.split_once('=') {
                    self.keys.insert((k.to_string(), v.to_string()));
                }
                self.walk(&p);
            } else if name.ends_with(".parquet") {
                self.bytes += e.metadata().map_or(0, |m| m.len());
            }
        }
    }

    fn values(&self, key: &str) -> Vec<String> {
        self.keys.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
    }
}

/// The registry as JSON (computed once: grid sizes enumerate the grids).
pub async fn strategies() -> Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    Json(DOC.get_or_init(strategy_doc).clone())
}

fn strategy_doc() -> Value {
    let list: Vec<Value> = STRATEGIES
        .iter()
        .map(|d| {
            let grid = strategy_grid(d);
            // Defaults: the first grid combination, which satisfies the constraints.
            let defaults: serde_json::Map<String, Value> = grid
                .first()
                .map(|c| c.params.iter().map(|(k, v)| (k.to_string(), v.to_json())).collect())
                .unwrap_or_default();
            json!({
                "name": d.name,
                "aliases": d.aliases,
                "params": d.params.iter().map(|p| json!({
                    "name": p.name, "kind": p.kind.as_str(), "min": p.min, "max": p.max, "grid": p.grid,
                })).collect::<Vec<_>>(),
                "constraints": d.constraints.iter().map(|c| json!({"lesser": c.lesser, "greater": c.greater})).collect::<Vec<_>>(),
                "grid_size": grid.len(),
                "defaults": defaults,
            })
        })
        .collect();
    json!({ "strategies": list })
}

/// The bots of the lake's journal (`<lake>/bots.sqlite`), read-only: state, last bar,
/// closed trades and the newest equity. Running and controlling them is `qm bot`; hosting
/// them in this process is not part of this build.
pub async fn bots(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let root = state.lake.clone();
    let list = tokio::task::spawn_blocking(move || bot_list(&root)).await.map_err(ApiError::internal)??;
    Ok(Json(json!({ "available": true, "hosted": false, "bots": list })))
}

fn bot_list(root: &Path) -> ApiResult<Vec<Value>> {
    let path = root.join(crate::live::bot::journal::FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let j = crate::live::bot::Journal::open(&path).map_err(ApiError::internal)?;
    let mut out = Vec::new();
    for b in j.bots().map_err(ApiError::internal)? {
        let cfg = crate::live::bot::BotConfig::from_json(&b.config).ok();
        let trades = j.trades(&b.name).map_err(ApiError::internal)?;
        let equity = j.equity(&b.name).map_err(ApiError::internal)?;
        out.push(json!({
            "name": b.name,
            "mode": b.mode,
            "status": b.status,
            "desired": b.desired.as_str(),
            "reason": b.reason,
            "symbol": cfg.as_ref().map(|c| c.symbol.clone()),
            "interval": cfg.as_ref().map(|c| c.interval.as_str()),
            "strategy": cfg.as_ref().map(|c| c.strategy.clone()),
            "last_bar": b.last_bar,
            "closed_trades": trades.iter().filter(|t| t.exit_time.is_some()).count(),
            "equity": equity.last().map(|e| e.equity),
        }));
    }
    Ok(out)
}

