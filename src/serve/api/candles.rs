//! `GET /api/candles`: the newest candles of one series, column-wise (times in epoch seconds).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use crate::serve::json::Json;
use serde_json::{json, Value};

use super::body::Body;
use crate::candles::Candles;
use crate::serve::error::{ApiError, ApiResult};
use crate::serve::params::{clip, Params};
use crate::serve::state::AppState;
use crate::timeframe::Timeframe;

/// A validated (symbol, interval) pair.
pub struct SeriesRef {
    pub symbol: String,
    pub tf: Timeframe,
}

impl SeriesRef {
    fn new(symbol: &str, interval: &str) -> ApiResult<SeriesRef> {
        crate::lake::validate_symbol(symbol).map_err(|e| ApiError::invalid("symbol", e.to_string()))?;
        let tf = interval.parse::<Timeframe>().map_err(|e| ApiError::invalid("interval", e.to_string()))?;
        Ok(SeriesRef { symbol: symbol.to_string(), tf })
    }

    pub fn from_body(b: &Body) -> ApiResult<SeriesRef> {
        SeriesRef::new(b.required_text("symbol")?, b.required_text("interval")?)
    }

    /// The newest `limit` candles, or 404 naming the symbol.
    pub async fn load(&self, state: &AppState, limit: Option<usize>) -> ApiResult<Candles> {
        let lake = crate::lake::Lake::open(&state.lake).map_err(ApiError::internal)?;
        let stored = lake.read_ohlcv(&self.symbol, self.tf).await.map_err(ApiError::internal)?;
        let Some(o) = stored.filter(|o| !o.is_empty()) else {
            return Err(ApiError::not_found(
                Some("symbol"),
                format!("the lake has no `{}` `{}` candles", clip(&self.symbol), self.tf),
            ));
        };
        Ok(match limit {
            Some(n) => o.candles.tail(n),
            None => o.candles,
        })
    }
}

pub async fn candles(State(state): State<Arc<AppState>>, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let p = Params::parse(q.as_deref(), &["symbol", "interval", "limit"])?;
    let series = SeriesRef::new(p.required("symbol")?, p.required("interval")?)?;
    let limit = p.int("limit", 1000, 1, 100_000)? as usize;
    let c = series.load(&state, Some(limit)).await?;
    Ok(Json(json!({
        "symbol": series.symbol,
        "interval": series.tf.as_str(),
        "time": c.open_time.iter().map(|t| t / 1000).collect::<Vec<_>>(),
        "open": c.open, "high": c.high, "low": c.low, "close": c.close, "volume": c.volume,
    })))
}

/// `POST /api/candles/fetch` `{symbol, interval, limit?, market?}`: fetch the newest closed
/// candles the lake lacks from Binance (`futures` by default, or `spot`; base URLs from
/// `QM_BINANCE_FUTURES_URL` / `QM_BINANCE_SPOT_URL`) and merge them into the lake, as
/// `qm fetch` does. Returns what was added.
pub async fn fetch(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> ApiResult<Json<Value>> {
    use crate::binance::{Client, ClientConfig, Market, Stored};
    let b = Body::parse(&body, &["symbol", "interval", "limit", "market"])?;
    let series = SeriesRef::from_body(&b)?;
    let limit = b.count("limit", 100_000)?.unwrap_or(1000).max(1);
    let market = match b.text("market")?.unwrap_or("futures") {
        "futures" => Market::Futures,
        "spot" => Market::Spot,
        other => return Err(ApiError::invalid("market", format!("unknown market `{}`; use `futures` or `spot`", clip(other)))),
    };
    let cfg = ClientConfig::from_env(market).map_err(ApiError::internal)?;
    let client = Client::new(cfg).map_err(ApiError::internal)?;
    let lake = crate::lake::Lake::open(&state.lake).map_err(ApiError::internal)?;
    let stored = lake.read_ohlcv(&series.symbol, series.tf).await.map_err(ApiError::internal)?;
    let have = stored.as_ref().and_then(|o| Stored::of(&o.candles.open_time));
    let fetched = client
        .fetch_closed(&series.symbol, series.tf, limit, have)
        .await
        .map_err(|e| ApiError::Upstream(format!("fetching `{}` `{}` from binance {market}: {e}", series.symbol, series.tf)))?;
    let (added, total) = if fetched.is_empty() {
        (0, have.map_or(0, |h| h.len))
    } else {
        let m = lake.merge_ohlcv(&series.symbol, series.tf, fetched).await.map_err(ApiError::internal)?;
        (m.added, m.total)
    };
    Ok(Json(json!({"symbol": series.symbol, "interval": series.tf.as_str(), "market": market.as_str(), "added": added, "total": total})))
}
