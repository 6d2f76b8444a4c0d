//! The signed Binance USDⓈ-M REST client.
//!
//! * Signing: every signed request carries its parameters in the query string, then
//!   `timestamp` and `recvWindow`; the signature is the HMAC of exactly that string.
//! * Time: `timestamp` is the local clock plus the offset measured from `/fapi/v1/time`; a
//!   -1021 reply (timestamp outside the window: not executed) resyncs the offset and the
//!   request is sent once more.
//! * Rate limits: `X-MBX-USED-WEIGHT-1M` paces requests; 429 waits `Retry-After` and repeats
//!   (a 429 request was not executed); 418 (a ban) pauses every request of the client and is
//!   reported. `X-MBX-ORDER-COUNT-10S` near its limit delays the next order.
//! * Orders: placements are never repeated by this client after they may have reached the
//!   exchange; a timeout after sending, -1006, -1007 or a 503 "Unknown error" is
//!   [`ExchangeError::Unknown`], which the bot resolves by querying the client id.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::error::{ExchangeError, UNKNOWN_CODES};
use super::types::{AlgoKind, AlgoOrder, Balance, MarginType, Order, OrderSide, Position, UserTrade};
use super::{wire, Venue};
use crate::binance::{Kline, WeightGate};
use crate::live::clock::Clock;
use crate::live::credentials::Credentials;
use crate::live::filters::SymbolFilters;
use crate::live::sign::{encode, signed_query};
use crate::timeframe::Timeframe;

/// Order-count headers: Binance allows 300 orders per 10 s per account.
const ORDERS_10S_LIMIT: u32 = 300;

/// Where and how a [`FuturesRest`] talks.
#[derive(Debug, Clone)]
pub struct RestConfig {
    pub base_url: Url,
    pub timeout: Duration,
    pub recv_window_ms: u64,
    /// Longest `Retry-After` waited for inside one call; longer is an error.
    pub max_retry_after: Duration,
    /// Attempts of a safe (read-only) request.
    pub max_attempts: u32,
}

/// The production host.
pub const LIVE_URL: &str = "https://fapi.binance.com";
/// Binance's futures "Demo Trading" host.
pub const DEMO_URL: &str = "https://demo-fapi.binance.com";
/// The older testnet host.
pub const TESTNET_URL: &str = "https://testnet.binancefuture.com";
/// Environment variable overriding the base URL.
pub const URL_VAR: &str = "QM_BINANCE_FUTURES_URL";

impl RestConfig {
    pub fn new(base_url: &str) -> Result<RestConfig, ExchangeError> {
        let base_url = Url::parse(base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| ExchangeError::Config(format!("exchange URL `{base_url}` is not an http(s) URL")))?;
        Ok(RestConfig {
            base_url,
            timeout: Duration::from_secs(10),
            recv_window_ms: 5000,
            max_retry_after: Duration::from_secs(120),
            max_attempts: 4,
        })
    }

    /// `QM_BINANCE_TIMEOUT_MS` and `QM_BINANCE_RECV_WINDOW_MS` applied over the defaults.
    pub fn with_env(mut self) -> Result<RestConfig, ExchangeError> {
        let num = |k: &str, lo: u64, hi: u64| -> Result<Option<u64>, ExchangeError> {
            match std::env::var(k) {
                Ok(v) => match v.trim().parse::<u64>() {
                    Ok(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
                    _ => Err(ExchangeError::Config(format!("`{k}` is `{v}`; expected a whole number from {lo} to {hi}"))),
                },
                Err(_) => Ok(None),
            }
        };
        if let Some(ms) = num("QM_BINANCE_TIMEOUT_MS", 1, 600_000)? {
            self.timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = num("QM_BINANCE_RECV_WINDOW_MS", 1, 60_000)? {
            self.recv_window_ms = ms;
        }
        Ok(self)
    }
}

/// The signed USDⓈ-M client. Cheap to clone; clones share the time offset and pacing.
#[derive(Debug, Clone)]
pub struct FuturesRest {
    http: reqwest::Client,
    cfg: Arc<RestConfig>,
    creds: Option<Arc<Credentials>>,
    clock: Clock,
    offset_ms: Arc<AtomicI64>,
    gate: Arc<WeightGate>,
    orders_10s: Arc<AtomicI64>,
}

/// How a request may be repeated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Read-only: repeat on transport errors and 5xx.
    Read,
    /// Changes state but not a new order (leverage, cancel): repeat only when surely not sent.
    Write,
    /// A new order: never repeat once it may have been sent.
    Place,
}

impl FuturesRest {
    pub fn new(cfg: RestConfig, creds: Option<Credentials>, clock: Clock) -> Result<FuturesRest, ExchangeError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("qm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ExchangeError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(FuturesRest {
            http,
            cfg: Arc::new(cfg),
            creds: creds.map(Arc::new),
            clock,
            offset_ms: Arc::new(AtomicI64::new(0)),
            gate: Arc::new(WeightGate::new(2400)),
            orders_10s: Arc::new(AtomicI64::new(0)),
        })
    }

    pub fn config(&self) -> &RestConfig {
        &self.cfg
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Exchange time minus local time, as last measured.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    fn url(&self, path: &str, query: &str) -> Url {
        let mut url = self.cfg.base_url.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}{path}"));
        url.set_query((!query.is_empty()).then_some(query));
        url
    }

    async fn public<T: DeserializeOwned>(&self, path: &str, params: &[(&str, String)]) -> Result<T, ExchangeError> {
        let q: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let q = q.join("&");
        self.send(Method::GET, path, Kind::Read, || Ok(q.clone()), false).await
    }

    async fn signed<T: DeserializeOwned>(&self, method: Method, path: &str, kind: Kind, params: &[(&str, String)]) -> Result<T, ExchangeError> {
        let creds = self.creds.clone().ok_or_else(|| {
            ExchangeError::Config(format!(
                "`{path}` needs API keys: set `{}` and `{}` (environment or `.env`)",
                crate::live::credentials::KEY_VAR,
                crate::live::credentials::SECRET_VAR
            ))
        })?;
        let build = || {
            let ts = self.clock.now_ms() + self.offset_ms();
            Ok(signed_query(&creds.secret, params, ts, self.cfg.recv_window_ms))
        };
        match self.send(method.clone(), path, kind, build, true).await {
            Err(ExchangeError::Api { code: -1021, .. }) => {
                // Not executed: the clocks drifted apart. Measure again and retry once.
                self.sync_time().await?;
                self.send(method, path, kind, build, true).await
            }
            r => r,
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        kind: Kind,
        query: impl Fn() -> Result<String, ExchangeError>,
        with_key: bool,
    ) -> Result<T, ExchangeError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.gate.wait().await;
            if kind == Kind::Place {
                self.pace_orders().await;
            }
            let url = self.url(path, &query()?);
            let mut req = self.http.request(method.clone(), url);
            if with_key {
                if let Some(c) = &self.creds {
                    req = req.header("X-MBX-APIKEY", c.key.expose());
                }
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) => {
                    let detail = transport_detail(&e);
                    // A failed connect never reached the exchange; anything later may have.
                    let surely_unsent = e.is_connect() || e.is_builder();
                    if kind == Kind::Place && !surely_unsent {
                        return Err(ExchangeError::Unknown { path: path.into(), detail });
                    }
                    if (kind == Kind::Read || surely_unsent) && attempt < self.cfg.max_attempts {
                        tokio::time::sleep(Duration::from_millis(200 * attempt as u64)).await;
                        continue;
                    }
                    return Err(if kind == Kind::Write && !surely_unsent {
                        ExchangeError::Unknown { path: path.into(), detail }
                    } else {
                        ExchangeError::Transport { path: path.into(), detail }
                    });
                }
            };
            let status = resp.status();
            self.observe_headers(resp.headers());
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::IM_A_TEAPOT {
                let retry_after_s = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(if status == StatusCode::IM_A_TEAPOT { 120 } else { 5 });
                let wait = Duration::from_secs(retry_after_s);
                // Every request of this client sits the pause out, not only this one.
                self.gate.pause_for(wait);
                if status == StatusCode::IM_A_TEAPOT {
                    return Err(ExchangeError::Banned { retry_after_s });
                }
                if wait > self.cfg.max_retry_after || attempt >= self.cfg.max_attempts {
                    return Err(ExchangeError::RateLimited { retry_after_s });
                }
                continue; // A 429 was not executed: safe to send again after the pause.
            }
            let body = match resp.bytes().await {
                Ok(b) => b,
                Err(e) => {
                    let detail = transport_detail(&e);
                    if kind != Kind::Read {
                        return Err(ExchangeError::Unknown { path: path.into(), detail });
                    }
                    if attempt < self.cfg.max_attempts {
                        continue;
                    }
                    return Err(ExchangeError::Transport { path: path.into(), detail });
                }
            };
            if !status.is_success() {
                let err = api_error(path, status, &body);
                let unknown = matches!(&err, ExchangeError::Api { code, .. } if UNKNOWN_CODES.contains(code))
                    || (status.as_u16() == 503 && String::from_utf8_lossy(&body).contains("Unknown error"));
                if unknown && kind != Kind::Read {
                    let detail = err.to_string();
                    return Err(ExchangeError::Unknown { path: path.into(), detail });
                }
                if status.is_server_error() && kind == Kind::Read && attempt < self.cfg.max_attempts {
                    tokio::time::sleep(Duration::from_millis(300 * attempt as u64)).await;
                    continue;
                }
                return Err(err);
            }
            return serde_json::from_slice::<T>(&body).map_err(|e| ExchangeError::Malformed { path: path.into(), reason: e.to_string() });
        }
    }

    fn observe_headers(&self, h: &reqwest::header::HeaderMap) {
        let num = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u32>().ok());
        if let Some(w) = num("x-mbx-used-weight-1m") {
            self.gate.observe(w, crate::live::clock::wall_ms());
        }
        if let Some(n) = num("x-mbx-order-count-10s") {
            self.orders_10s.store(n as i64, Ordering::SeqCst);
        }
    }

    /// Near the 10-second order limit, wait for the next window.
    async fn pace_orders(&self) {
        if self.orders_10s.load(Ordering::SeqCst) >= (ORDERS_10S_LIMIT as i64 * 9) / 10 {
            let into = crate::live::clock::wall_ms().rem_euclid(10_000);
            tokio::time::sleep(Duration::from_millis((10_000 - into) as u64 + 50)).await;
            self.orders_10s.store(0, Ordering::SeqCst);
        }
    }

    /// The exchange's time (`/fapi/v1/time`).
    pub async fn server_time(&self) -> Result<i64, ExchangeError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct T {
            server_time: i64,
        }
        let t: T = self.public("/fapi/v1/time", &[]).await?;
        Ok(t.server_time)
    }
}

fn transport_detail(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    // Without the query: it carries the signed parameters.
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), u.path());
    }
    s
}

fn api_error(path: &str, status: StatusCode, body: &[u8]) -> ExchangeError {
    #[derive(serde::Deserialize)]
    struct E {
        code: i64,
        msg: String,
    }
    match serde_json::from_slice::<E>(body) {
        Ok(e) => ExchangeError::Api { path: path.into(), status: status.as_u16(), code: e.code, msg: e.msg },
        Err(_) => {
            let text: String = String::from_utf8_lossy(body).chars().take(200).collect();
            ExchangeError::Api { path: path.into(), status: status.as_u16(), code: 0, msg: if text.is_empty() { status.to_string() } else { text } }
        }
    }
}

fn malformed(path: &str) -> impl Fn(String) -> ExchangeError + '_ {
    move |reason| ExchangeError::Malformed { path: path.into(), reason }
}

impl Venue for FuturesRest {
    fn now_ms(&self) -> i64 {
        self.clock.now_ms() + self.offset_ms()
    }

    async fn sync_time(&self) -> Result<(), ExchangeError> {
        let t0 = self.clock.now_ms();
        let server = self.server_time().await?;
        let t1 = self.clock.now_ms();
        self.offset_ms.store(server - (t0 + t1) / 2, Ordering::SeqCst);
        Ok(())
    }

    async fn filters(&self, symbol: &str) -> Result<SymbolFilters, ExchangeError> {
        let p = "/fapi/v1/exchangeInfo";
        let info: wire::WireExchangeInfo = self.public(p, &[]).await?;
        wire::filters(info, symbol)
            .map_err(malformed(p))?
            .ok_or_else(|| ExchangeError::Config(format!("the exchange does not list symbol `{symbol}`")))
    }

    async fn klines(&self, symbol: &str, tf: Timeframe, start: Option<i64>, limit: usize) -> Result<Vec<Kline>, ExchangeError> {
        let mut q = vec![("symbol", symbol.to_string()), ("interval", tf.as_str().to_string()), ("limit", limit.clamp(1, 1500).to_string())];
        if let Some(s) = start {
            q.push(("startTime", s.to_string()));
        }
        match self.public::<Vec<Kline>>("/fapi/v1/klines", &q).await {
            Err(ExchangeError::Api { code: -1121, .. }) => Err(ExchangeError::Config(format!("the exchange does not list symbol `{symbol}`"))),
            r => r,
        }
    }

    async fn prepare(&self, symbol: &str, leverage: u32, margin: MarginType) -> Result<(), ExchangeError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Dual {
            dual_side_position: bool,
        }
        let d: Dual = self.signed(Method::GET, "/fapi/v1/positionSide/dual", Kind::Read, &[]).await?;
        if d.dual_side_position {
            match self.signed::<serde_json::Value>(Method::POST, "/fapi/v1/positionSide/dual", Kind::Write, &[("dualSidePosition", "false".into())]).await {
                Ok(_) => {}
                Err(e) if e.code() == Some(-4059) => {}
                Err(e) => return Err(e),
            }
        }
        match self
            .signed::<serde_json::Value>(Method::POST, "/fapi/v1/marginType", Kind::Write, &[("symbol", symbol.into()), ("marginType", margin.as_str().into())])
            .await
        {
            Ok(_) => {}
            // "No need to change margin type": already set.
            Err(e) if e.code() == Some(-4046) => {}
            Err(e) => return Err(e),
        }
        self.signed::<serde_json::Value>(Method::POST, "/fapi/v1/leverage", Kind::Write, &[("symbol", symbol.into()), ("leverage", leverage.to_string())])
            .await?;
        Ok(())
    }

    async fn market_order(&self, symbol: &str, side: OrderSide, qty: &str, reduce_only: bool, client_id: &str) -> Result<Order, ExchangeError> {
        let p = "/fapi/v1/order";
        let mut q = vec![("symbol", symbol.to_string()), ("side", side.as_str().into()), ("type", "MARKET".into()), ("quantity", qty.into())];
        if reduce_only {
            q.push(("reduceOnly", "true".into()));
        }
        q.push(("newClientOrderId", client_id.into()));
        q.push(("newOrderRespType", "RESULT".into()));
        let o: wire::WireOrder = self.signed(Method::POST, p, Kind::Place, &q).await?;
        o.decode().map_err(malformed(p))
    }

    async fn order_by_client_id(&self, symbol: &str, client_id: &str) -> Result<Option<Order>, ExchangeError> {
        let p = "/fapi/v1/order";
        match self.signed::<wire::WireOrder>(Method::GET, p, Kind::Read, &[("symbol", symbol.into()), ("origClientOrderId", client_id.into())]).await {
            Ok(o) => o.decode().map(Some).map_err(malformed(p)),
            Err(e) if e.code() == Some(-2013) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn algo_order(&self, symbol: &str, kind: AlgoKind, side: OrderSide, trigger: &str, client_id: &str) -> Result<AlgoOrder, ExchangeError> {
        let p = "/fapi/v1/algoOrder";
        let q = vec![
            ("algoType", "CONDITIONAL".to_string()),
            ("symbol", symbol.into()),
            ("side", side.as_str().into()),
            ("type", kind.as_str().into()),
            ("triggerPrice", trigger.into()),
            ("closePosition", "true".into()),
            ("workingType", "CONTRACT_PRICE".into()),
            ("clientAlgoId", client_id.into()),
        ];
        let a: wire::WireAlgo = self.signed(Method::POST, p, Kind::Place, &q).await?;
        a.decode().map_err(malformed(p))
    }

    async fn algo_by_client_id(&self, symbol: &str, client_id: &str) -> Result<Option<AlgoOrder>, ExchangeError> {
        let p = "/fapi/v1/algoOrder";
        let _ = symbol;
        match self.signed::<wire::WireAlgo>(Method::GET, p, Kind::Read, &[("clientAlgoId", client_id.into())]).await {
            Ok(a) => a.decode().map(Some).map_err(malformed(p)),
            Err(e) if matches!(e.code(), Some(-2013) | Some(-2011)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn cancel_algo(&self, symbol: &str, client_id: &str) -> Result<bool, ExchangeError> {
        let _ = symbol;
        match self.signed::<serde_json::Value>(Method::DELETE, "/fapi/v1/algoOrder", Kind::Write, &[("clientAlgoId", client_id.into())]).await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.code(), Some(-2011) | Some(-2013)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn open_algo_orders(&self, symbol: &str) -> Result<Vec<AlgoOrder>, ExchangeError> {
        let p = "/fapi/v1/openAlgoOrders";
        let rows: Vec<wire::WireAlgo> = self.signed(Method::GET, p, Kind::Read, &[("symbol", symbol.into())]).await?;
        rows.into_iter().map(|a| a.decode()).collect::<Result<_, _>>().map_err(malformed(p))
    }

    async fn position(&self, symbol: &str) -> Result<Position, ExchangeError> {
        let p = "/fapi/v2/positionRisk";
        let rows: Vec<wire::WirePosition> = self.signed(Method::GET, p, Kind::Read, &[("symbol", symbol.into())]).await?;
        wire::position(rows, symbol).map_err(malformed(p))
    }

    async fn user_trades(&self, symbol: &str, after_id: Option<i64>) -> Result<Vec<UserTrade>, ExchangeError> {
        let p = "/fapi/v1/userTrades";
        let mut out: Vec<UserTrade> = Vec::new();
        let mut from = after_id.map(|i| i + 1);
        loop {
            let mut q = vec![("symbol", symbol.to_string()), ("limit", "1000".to_string())];
            if let Some(f) = from {
                q.push(("fromId", f.to_string()));
            }
            let rows: Vec<wire::WireTrade> = self.signed(Method::GET, p, Kind::Read, &q).await?;
            let n = rows.len();
            let mut page: Vec<UserTrade> = rows.into_iter().map(|t| t.decode()).collect::<Result<_, _>>().map_err(malformed(p))?;
            page.retain(|t| after_id.is_none_or(|a| t.id > a));
            page.sort_by_key(|t| t.id);
            let last = page.last().map(|t| t.id);
            out.extend(page);
            match last {
                Some(l) if n >= 1000 && from.is_some() => from = Some(l + 1),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn balance(&self) -> Result<Balance, ExchangeError> {
        let p = "/fapi/v3/balance";
        let rows: Vec<wire::WireBalance> = self.signed(Method::GET, p, Kind::Read, &[]).await?;
        wire::balance(rows).map_err(malformed(p))
    }
}
