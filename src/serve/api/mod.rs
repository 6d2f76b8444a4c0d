//! The `/api` routes; one module per concern.

pub mod backtest;
pub mod body;
pub mod candles;
pub mod jobs;
pub mod meta;
pub mod openapi;
pub mod results;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use super::state::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/health", get(meta::health))
        .route("/api/system", get(meta::system))
        .route("/api/strategies", get(meta::strategies))
        .route("/api/bots", get(meta::bots))
        .route("/api/candles", get(candles::candles))
        .route("/api/candles/fetch", post(candles::fetch))
        .route("/api/backtest", post(backtest::backtest))
        .route("/api/results/{table}", get(results::results))
        .route("/api/results/{table}/best", get(results::best))
        .route("/api/wf/windows", get(results::windows))
        .route("/api/heatmap", get(results::heatmap))
        .route("/api/jobs", get(jobs::list))
        .route("/api/jobs/pipeline", post(jobs::start_pipeline))
        .route("/api/jobs/{id}", get(jobs::get))
        .route("/api/openapi.json", get(openapi::openapi))
}
