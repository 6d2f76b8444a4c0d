//! Sweep and walk-forward results: ranked, filtered pages of `mega` / `wf`, the windows of
//! one combination and a parameter heatmap. Filtering, sorting and paging run as DataFusion
//! SQL built from validated identifiers and escaped literals.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use crate::serve::json::Json;
use serde_json::{json, Value};

use crate::serve::error::{ApiError, ApiResult};
use crate::serve::params::{clip, Params};
use crate::serve::sql::{self, Where};
use crate::serve::state::AppState;

const RESULT_PARAMS: &[&str] =
    &["symbol", "timeframe", "strategy", "run", "min_trades", "min_consistency", "sort", "order", "limit", "offset"];

/// Tie-breakers after the requested sort so pages never overlap or skip rows.
const TIE_BREAK: &str = "\"symbol\", \"timeframe\", \"run\", \"combo\", \"level\"";

/// A validated ranking request over `mega` or `wf`.
struct Ranking {
    table: &'static str,
    sort_name: String,
    sort: String,
    order: String,
    limit: i64,
    offset: i64,
    cond: String,
}

impl Ranking {
    async fn parse(state: &AppState, table: &str, q: Option<&str>) -> ApiResult<(Ranking, datafusion::execution::context::SessionContext)> {
        let (table, default_sort, trades_col) = match table {
            "mega" => ("mega", "sharpe", "trades"),
            "wf" => ("wf", "oos_sharpe_mean", "oos_trades_mean"),
            other => return Err(ApiError::not_found(Some("table"), format!("no result table `{}`; allowed: mega, wf", clip(other)))),
        };
        let p = Params::parse(q, RESULT_PARAMS)?;
        let ctx = state.session().await?;
        let columns = sql::scalar_columns(&ctx, table).await?;
        let sort_name = p.text("sort").unwrap_or(default_sort).to_string();
        let sort = sql::column(&columns, &sort_name, "sort")?;
        let order = p.choice("order", &["desc", "asc"], "desc")?.to_ascii_uppercase();
        let limit = p.int("limit", 50, 1, 1000)?;
        let offset = p.int("offset", 0, 0, 100_000_000)?;
        let mut w = filters(&p)?;
        w.at_least(trades_col, p.number("min_trades")?);
        if let Some(c) = p.number("min_consistency")? {
            if table != "wf" {
                return Err(ApiError::invalid("min_consistency", "`min_consistency` applies to the `wf` table only"));
            }
            w.at_least("consistency", Some(c));
        }
        Ok((Ranking { table, sort_name, sort, order, limit, offset, cond: w.sql() }, ctx))
    }
}

/// `GET /api/results/{table}/best`: the best row of each strategy under the same filters
/// and ranking, best first.
pub async fn best(State(state): State<Arc<AppState>>, Path(table): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let (r, ctx) = Ranking::parse(&state, &table, q.as_deref()).await?;
    let Ranking { table, sort, order, limit, offset, cond, .. } = &r;
    let ranked = format!(
        "SELECT *, row_number() OVER (PARTITION BY \"strategy\" ORDER BY {sort} {order} NULLS LAST, {TIE_BREAK}) AS qm_rank FROM {table} WHERE {cond}"
    );
    let rows = sql::rows(
        &ctx,
        &format!("SELECT * EXCLUDE (qm_rank) FROM ({ranked}) WHERE qm_rank = 1 ORDER BY {sort} {order} NULLS LAST, {TIE_BREAK} LIMIT {limit} OFFSET {offset}"),
    )
    .await?;
    Ok(Json(json!({ "table": table, "sort": r.sort_name, "order": order.to_ascii_lowercase(), "rows": rows })))
}

pub async fn results(State(state): State<Arc<AppState>>, Path(table): Path<String>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let (r, ctx) = Ranking::parse(&state, &table, q.as_deref()).await?;
    let Ranking { table, sort_name, sort, order, limit, offset, cond } = r;
    let total = count(&ctx, &format!("SELECT count(*) AS n FROM {table} WHERE {cond}")).await?;
    let rows = sql::rows(
        &ctx,
        &format!("SELECT * FROM {table} WHERE {cond} ORDER BY {sort} {order} NULLS LAST, {TIE_BREAK} LIMIT {limit} OFFSET {offset}"),
    )
    .await?;
    Ok(Json(json!({
        "table": table, "total": total, "limit": limit, "offset": offset,
        "sort": sort_name, "order": order.to_ascii_lowercase(), "rows": rows,
    })))
}

/// Equality filters on the key columns shared by every result table.
fn filters(p: &Params) -> ApiResult<Where> {
    let mut w = Where::default();
    for key in ["symbol", "timeframe", "strategy", "run"] {
        w.eq_text(key, p.text(key));
    }
    Ok(w)
}

async fn count(ctx: &datafusion::execution::context::SessionContext, q: &str) -> ApiResult<i64> {
    let rows = sql::rows(ctx, q).await?;
    Ok(rows.first().and_then(|r| r.get("n")).and_then(Value::as_i64).unwrap_or(0))
}

/// `GET /api/wf/windows`: every window of one combination-level of one run.
pub async fn windows(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let p = Params::parse(q.as_deref(), &["symbol", "timeframe", "run", "strategy", "combo", "level"])?;
    let mut w = Where::default();
    for key in ["symbol", "timeframe", "run", "strategy"] {
        w.eq_text(key, Some(p.required(key)?));
    }
    let combo = p.int("combo", -1, 0, i64::MAX)?;
    let level = p.int("level", -1, 0, i64::MAX)?;
    for (name, v) in [("combo", combo), ("level", level)] {
        if v < 0 {
            return Err(ApiError::invalid(name, format!("parameter `{name}` is required")));
        }
    }
    let ctx = state.session().await?;
    sql::table_columns(&ctx, "wf_windows").await?;
    let rows = sql::rows(
        &ctx,
        &format!("SELECT * FROM wf_windows WHERE {} AND \"combo\" = {combo} AND \"level\" = {level} ORDER BY \"window\"", w.sql()),
    )
    .await?;
    if rows.is_empty() {
        return Err(ApiError::not_found(None, "no walk-forward windows match this symbol, timeframe, run, strategy, combo and level"));
    }
    Ok(Json(json!({ "windows": rows })))
}

/// `GET /api/heatmap`: the mean of a `wf` (or `mega`) metric over two parameters of one
/// strategy, averaged over every other parameter, level, symbol and run that match.
pub async fn heatmap(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let p = Params::parse(q.as_deref(), &["table", "symbol", "timeframe", "run", "strategy", "x", "y", "metric"])?;
    let table = p.choice("table", &["wf", "mega"], "wf")?;
    let def = crate::strategies::lookup(p.required("strategy")?).map_err(|e| ApiError::invalid("strategy", e.to_string()))?;
    let names: Vec<&str> = def.params.iter().map(|s| s.name).collect();
    let pick = |field: &str, default: Option<&str>| -> ApiResult<String> {
        let v = p.text(field).or(default).ok_or_else(|| {
            ApiError::invalid(field, format!("`{}` has fewer than two parameters; `{field}` must name one of: {}", def.name, names.join(", ")))
        })?;
        if names.contains(&v) {
            Ok(v.to_string())
        } else {
            Err(ApiError::invalid(field, format!("`{}` is not a parameter of `{}`; allowed: {}", clip(v), def.name, names.join(", "))))
        }
    };
    let x = pick("x", names.first().copied())?;
    let y = pick("y", names.get(1).copied())?;
    if x == y {
        return Err(ApiError::invalid("y", "`x` and `y` must be two different parameters"));
    }
    let ctx = state.session().await?;
    let columns = sql::numeric_columns(&ctx, table).await?;
    let metric_name = p.text("metric").unwrap_or(if table == "wf" { "oos_sharpe_mean" } else { "sharpe" });
    let metric = sql::column(&columns, metric_name, "metric")?;
    let mut w = Where::default();
    for key in ["symbol", "timeframe", "run"] {
        w.eq_text(key, p.text(key));
    }
    w.eq_text("strategy", Some(def.name));
    let rows = sql::rows(&ctx, &format!("SELECT \"params\", CAST({metric} AS DOUBLE) AS m FROM {table} WHERE {}", w.sql())).await?;

    // (x, y) → (sum, count); parameter values come from the stored canonical JSON.
    let mut cells: BTreeMap<(String, String), (f64, u64)> = BTreeMap::new();
    let mut xs: BTreeMap<String, f64> = BTreeMap::new();
    let mut ys: BTreeMap<String, f64> = BTreeMap::new();
    for r in &rows {
        let (Some(params), Some(m)) = (r.get("params").and_then(Value::as_str), r.get("m").and_then(Value::as_f64)) else { continue };
        let Ok(Value::Object(pv)) = serde_json::from_str::<Value>(params) else { continue };
        let (Some(xv), Some(yv)) = (pv.get(&x), pv.get(&y)) else { continue };
        let (xk, yk) = (xv.to_string(), yv.to_string());
        xs.insert(xk.clone(), xv.as_f64().unwrap_or(0.0));
        ys.insert(yk.clone(), yv.as_f64().unwrap_or(0.0));
        let c = cells.entry((xk, yk)).or_insert((0.0, 0));
        c.0 += m;
        c.1 += 1;
    }
    let sorted = |m: BTreeMap<String, f64>| {
        let mut v: Vec<(String, f64)> = m.into_iter().collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        v.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
    };
    let (xs, ys) = (sorted(xs), sorted(ys));
    let grid: Vec<Vec<Value>> = ys
        .iter()
        .map(|yk| {
            xs.iter()
                .map(|xk| cells.get(&(xk.clone(), yk.clone())).map_or(Value::Null, |(s, n)| json!((s / *n as f64 * 1e4).round() / 1e4)))
                .collect()
        })
        .collect();
    let parse = |k: &String| serde_json::from_str::<Value>(k).unwrap_or(Value::Null);
    Ok(Json(json!({
        "table": table, "strategy": def.name, "metric": metric_name, "x": x, "y": y,
        "xs": xs.iter().map(parse).collect::<Vec<_>>(), "ys": ys.iter().map(parse).collect::<Vec<_>>(),
        "cells": grid, "rows": rows.len(),
    })))
}
