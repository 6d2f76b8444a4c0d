//! A loopback mock of Binance USDⓈ-M futures for `qm bot replay` and fault-injection tests.
//!
//! It speaks the real REST API (paths, parameters, JSON shapes, error codes, signatures,
//! rate-limit headers) on `127.0.0.1`, so the real client trades against it unchanged. The
//! market is a list of candles replayed on a [`Clock`](crate::live::clock::Clock): a candle
//! is visible once its open time has passed, market orders fill at the forming bar's open,
//! and each closed bar is processed lazily on the next request (liquidation at the bar's
//! worst price — from the bar after the position's last fill on, as the backtest kernel
//! tests it — then stop-loss before take-profit triggers).
//!
//! Semantics worth knowing:
//! * closed bars are processed by any request and by [`MockHandle::snapshot`];
//! * a fault aimed at [`FaultTarget::Any`] is used by the next request of any kind, public
//!   ones included; [`Fault::ClockSkew`] shifts the server's whole clock (market included)
//!   from the request that uses it on;
//! * -1006 comes with HTTP 400, -1007 with HTTP 408, the unknown error with 503;
//! * signed requests are checked in this order: API key, `timestamp`/`recvWindow`, signature.
//!
//! * `engine.rs`, `account.rs`, `orders.rs`, `algo.rs` — the market and account, no HTTP;
//! * `auth.rs`, `params.rs`, `limits.rs`, `fault.rs` — request checks, rate limits, faults;
//! * `routes.rs`, `endpoints.rs`, `views.rs`, `http.rs` — endpoints, JSON and the server.

mod account;
mod algo;
mod auth;
mod config;
mod endpoints;
mod engine;
mod error;
mod fault;
mod http;
mod limits;
mod orders;
mod params;
mod routes;
mod state;
mod views;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{MockCandle, MockConfig};
pub use error::ApiError;
pub use fault::{Fault, FaultTarget};
pub use state::{AlgoOrder, AlgoStatus, AlgoType, Counters, MarginType, MockState, Order, OrderOrigin, OrderStatus, Position, Side, Trade};

use crate::live::credentials::Secret;
use engine::Engine;
use fault::Faults;
use http::{Inner, Shared};
use limits::Limits;

/// A running mock exchange.
pub struct MockHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// Start a mock exchange on a free port of 127.0.0.1.
pub async fn start(cfg: MockConfig) -> std::io::Result<MockHandle> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    start_on(listener, cfg)
}

/// Start a mock exchange on `listener` (call from within a tokio runtime).
pub fn start_on(listener: std::net::TcpListener, cfg: MockConfig) -> std::io::Result<MockHandle> {
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner { engine: Engine::new(&cfg), limits: Limits::new(cfg.weight_limit_1m), faults: Faults::default(), skew: 0 }),
        clock: cfg.clock.clone(),
        api_key: cfg.api_key.clone(),
        secret: Secret::new(cfg.api_secret.clone()),
        weight_limit: cfg.weight_limit_1m,
    });
    let app = axum::Router::new().fallback(http::handle).with_state(shared.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(MockHandle { addr, shared, stop, task })
}

impl MockHandle {
    /// Base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queue `fault` for the next request matching `target` (each fault is used once).
    pub fn inject(&self, target: FaultTarget, fault: Fault) {
        self.shared.lock().faults.push(target, fault);
    }

    /// The server's time (the clock plus injected skew).
    pub fn server_time(&self) -> i64 {
        self.shared.clock.now_ms() + self.shared.lock().skew
    }

    /// A copy of the exchange's state, with closed bars processed up to the server's time.
    pub fn snapshot(&self) -> MockState {
        let now = self.server_time();
        let mut inner = self.shared.lock();
        inner.engine.advance(now);
        inner.engine.state.clone()
    }

    /// Stop serving (requests still in flight get up to 2 s to finish).
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err() {
            task.abort();
        }
    }
}
