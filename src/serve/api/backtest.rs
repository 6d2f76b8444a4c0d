//! `POST /api/backtest`: one strategy on lake candles, the same computation as `qm backtest`
//! (nothing is stored).

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use axum::body::Bytes;
use axum::extract::State;
use crate::serve::json::Json;
use serde_json::{json, Value};

use super::body::Body;
use crate::strategies::IndicatorCache;
use crate::tables::record::{record_backtest, Recorded};
use crate::kernel::{CostModel, Risk};
use crate::serve::error::{ApiError, ApiResult};
use crate::serve::state::AppState;
use crate::serve::sql::batches_to_json;
use crate::tables::ledger::{metrics_batch, trade_list, RunScope};

const FIELDS: &[&str] = &[
    "symbol", "interval", "strategy", "params", "sl", "tp", "leverage", "capital", "commission", "slippage",
    "maintenance_margin", "limit",
];

pub async fn backtest(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult<Json<Value>> {
    let b = Body::parse(&body, FIELDS)?;
    let req = super::candles::SeriesRef::from_body(&b)?;
    let strategy = b.required_text("strategy")?;
    let params = b.get("params").cloned().unwrap_or_else(|| json!({}));
    let combo = crate::strategies::parse_combo(strategy, &params).map_err(|e| {
        let field = if matches!(e, crate::strategies::StrategyError::UnknownStrategy { .. }) { "strategy" } else { "params" };
        ApiError::invalid(field, e.to_string())
    })?;
    let risk = Risk::new(b.number("sl", 0.0)?, b.number("tp", 0.0)?, b.number("leverage", 1.0)?).map_err(|e| {
        let text = e.to_string();
        let field = ["stop_loss", "take_profit", "leverage"].iter().zip(["sl", "tp", "leverage"]).find(|(k, _)| text.contains(*k)).map_or("sl", |(_, f)| f);
        ApiError::invalid(field, text)
    })?;
    let d = CostModel::default();
    let cost = CostModel {
        capital: b.number("capital", d.capital)?,
        commission: b.number("commission", d.commission)?,
        slippage: b.number("slippage", d.slippage)?,
        maintenance_margin: b.number("maintenance_margin", d.maintenance_margin)?,
    };
    cost.validate().map_err(|e| {
        let text = e.to_string();
        let field = ["capital", "commission", "slippage", "maintenance_margin"].into_iter().find(|k| text.contains(k)).unwrap_or("capital");
        ApiError::invalid(field, text)
    })?;
    let limit = b.count("limit", 10_000_000)?;
    let candles = req.load(&state, limit).await?;

    let _permit = state.backtests.acquire().await.map_err(ApiError::internal)?;
    let (symbol, tf) = (req.symbol.clone(), req.tf);
    let out = tokio::task::spawn_blocking(move || -> ApiResult<Value> {
        let cache = IndicatorCache::new(&candles);
        let created_at = chrono::Utc::now().timestamp_millis();
        let Recorded { ctx, stats, metrics, trades, equity, .. } =
            record_backtest(&cache, &combo, &risk, &cost, tf, created_at).map_err(ApiError::internal)?;
        let metrics = metrics.reported();
        let c = &candles;
        let scope = RunScope {
            symbol,
            timeframe: tf.as_str().to_string(),
            run: "api".into(),
            candles: c.len(),
            data_start: c.open_time.first().copied(),
            data_end: c.open_time.last().copied(),
        };
        let m = metrics_batch(&ctx, &metrics, &scope).map_err(ApiError::internal)?;
        let list = trade_list(&trades).map_err(ApiError::internal)?;
        let metrics_row = batches_to_json(std::slice::from_ref(&m))?.into_iter().next().unwrap_or_default();
        Ok(json!({
            "metrics": metrics_row,
            "closed_trades": stats.trades,
            "trades": batches_to_json(std::slice::from_ref(&list))?,
            "equity": {
                "time": c.open_time.iter().map(|t| t / 1000).collect::<Vec<_>>(),
                "equity": f64_col(&equity, "equity"),
                "drawdown": f64_col(&equity, "drawdown"),
            },
        }))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(out))
}

fn f64_col(b: &RecordBatch, name: &str) -> Vec<Value> {
    b.column_by_name(name)
        .map(|c| c.as_primitive::<Float64Type>().values().iter().map(|&v| if v.is_finite() { Value::from(v) } else { Value::Null }).collect())
        .unwrap_or_default()
}
