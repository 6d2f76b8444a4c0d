//! The HTTP client every Binance endpoint goes through: base URL, timeouts, bounded retries
//! with exponential backoff, `Retry-After` and weight headers, server time from `Date`.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, DATE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use url::Url;

use super::ratelimit::{now_ms, WeightGate};
use super::{BinanceError, Market};

const USED_WEIGHT: &str = "x-mbx-used-weight-1m";

/// Where and how patiently a [`Client`] talks to Binance.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub market: Market,
    pub base_url: Url,
    /// Whole-request timeout (connect, send, read the body).
    pub timeout: Duration,
    /// First retry delay; doubles on each further attempt.
    pub backoff: Duration,
    /// Attempts per request, the first one included.
    pub max_attempts: u32,
    /// Longest `Retry-After` we wait for; a longer one (a ban) is an error.
    pub max_retry_after: Duration,
}

impl ClientConfig {
    /// The public production endpoints with default patience.
    pub fn new(market: Market) -> ClientConfig {
        ClientConfig {
            market,
            base_url: Url::parse(market.default_base_url()).expect("default base URL parses"),
            timeout: Duration::from_secs(30),
            backoff: Duration::from_millis(500),
            max_attempts: 6,
            max_retry_after: Duration::from_secs(300),
        }
    }

    /// Defaults overridden by the environment: the market's base URL variable
    /// (`QM_BINANCE_SPOT_URL` / `QM_BINANCE_FUTURES_URL`), `QM_BINANCE_BACKOFF_MS`,
    /// `QM_BINANCE_TIMEOUT_MS` and `QM_BINANCE_MAX_ATTEMPTS`.
    pub fn from_env(market: Market) -> Result<ClientConfig, BinanceError> {
        Self::from_lookup(market, |k| std::env::var(k).ok())
    }

    /// [`ClientConfig::from_env`] over any variable lookup.
    pub fn from_lookup(market: Market, var: impl Fn(&str) -> Option<String>) -> Result<ClientConfig, BinanceError> {
        let mut cfg = ClientConfig::new(market);
        if let Some(v) = var(market.base_url_env()).filter(|v| !v.is_empty()) {
            cfg.base_url = parse_base_url(market.base_url_env(), &v)?;
        }
        if let Some(v) = var("QM_BINANCE_BACKOFF_MS") {
            cfg.backoff = Duration::from_millis(parse_num("QM_BINANCE_BACKOFF_MS", &v, 0)?);
        }
        if let Some(v) = var("QM_BINANCE_TIMEOUT_MS") {
            cfg.timeout = Duration::from_millis(parse_num("QM_BINANCE_TIMEOUT_MS", &v, 1)?);
        }
        if let Some(v) = var("QM_BINANCE_MAX_ATTEMPTS") {
            cfg.max_attempts = parse_num("QM_BINANCE_MAX_ATTEMPTS", &v, 1)?.min(100) as u32;
        }
        Ok(cfg)
    }

    /// Delay before attempt `attempt + 1` after `attempt` failures: base × 2^(attempt−1),
    /// capped at 30 s.
    pub fn backoff_delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.backoff.saturating_mul(factor).min(Duration::from_secs(30))
    }
}

fn parse_base_url(name: &'static str, v: &str) -> Result<Url, BinanceError> {
    let bad = |reason: String| BinanceError::Config { name, value: v.to_string(), reason };
    let url = Url::parse(v).map_err(|e| bad(format!("{e}; expected e.g. `https://api.binance.com`")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be `http` or `https`".into()));
    }
    Ok(url)
}

fn parse_num(name: &'static str, v: &str, min: u64) -> Result<u64, BinanceError> {
    match v.trim().parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(BinanceError::Config {
            name,
            value: v.to_string(),
            reason: format!("expected a whole number of at least {min}"),
        }),
    }
}

/// What a successful reply said besides its body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplyMeta {
    /// Server clock from the `Date` header (ms, whole seconds: never ahead of the server).
    pub server_time: Option<i64>,
    /// `X-MBX-USED-WEIGHT-1M`.
    pub used_weight: Option<u32>,
    /// Attempts it took, the successful one included.
    pub attempts: u32,
}

/// A Binance REST client; cheap to clone, clones share connections and rate-limit state.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    cfg: Arc<ClientConfig>,
    gate: Arc<WeightGate>,
}

/// One failed attempt, as the retry loop sees it.
enum Failure {
    /// 429 or 418: wait `Retry-After` (when given) and try again.
    Throttled { status: u16, retry_after: Option<Duration> },
    Error(BinanceError),
}

impl From<BinanceError> for Failure {
    fn from(e: BinanceError) -> Failure {
        Failure::Error(e)
    }
}

impl Client {
    pub fn new(cfg: ClientConfig) -> Result<Client, BinanceError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("qm/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let gate = Arc::new(WeightGate::new(cfg.market.weight_limit_1m()));
        Ok(Client { http, cfg: Arc::new(cfg), gate })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    pub fn market(&self) -> Market {
        self.cfg.market
    }

    /// `GET path?query`, decoded as `T`, retried while failures are transient.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(T, ReplyMeta), BinanceError> {
        let url = self.url(path, query);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.gate.wait().await;
            let last = match self.attempt::<T>(&url).await {
                Ok((value, mut meta)) => {
                    meta.attempts = attempt;
                    return Ok((value, meta));
                }
                Err(Failure::Throttled { status, retry_after }) => {
                    let wait = retry_after.unwrap_or_else(|| self.cfg.backoff_delay(attempt));
                    if wait > self.cfg.max_retry_after {
                        return Err(BinanceError::RateLimited {
                            status,
                            retry_after_s: wait.as_secs(),
                            max_wait_s: self.cfg.max_retry_after.as_secs(),
                        });
                    }
                    // Every request of this client waits, not only this one.
                    self.gate.pause_for(wait);
                    BinanceError::Status { status, url: url.to_string(), body: "rate limited".into() }
                }
                Err(Failure::Error(e)) if e.is_retryable() => {
                    if attempt < self.cfg.max_attempts {
                        tokio::time::sleep(self.cfg.backoff_delay(attempt)).await;
                    }
                    e
                }
                Err(Failure::Error(e)) => return Err(e),
            };
            if attempt >= self.cfg.max_attempts {
                return Err(BinanceError::Exhausted { attempts: attempt, last: Box::new(last) });
            }
        }
    }

    /// The exchange clock (`GET /api/v3/time` or `/fapi/v1/time`), ms since epoch.
    pub async fn server_time(&self) -> Result<i64, BinanceError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Time {
            server_time: i64,
        }
        let (t, _) = self.get_json::<Time>(self.market().time_path(), &[]).await?;
        Ok(t.server_time)
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.cfg.base_url.clone();
        let base_path = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base_path}{path}"));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    async fn attempt<T: DeserializeOwned>(&self, url: &Url) -> Result<(T, ReplyMeta), Failure> {
        let resp = self.http.get(url.clone()).send().await.map_err(BinanceError::from)?;
        let status = resp.status();
        let meta = self.read_meta(resp.headers());
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::IM_A_TEAPOT {
            let retry_after = header_str(resp.headers(), RETRY_AFTER.as_str())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Failure::Throttled { status: status.as_u16(), retry_after });
        }
        let body = resp.bytes().await.map_err(BinanceError::from)?;
        if !status.is_success() {
            return Err(error_from_body(status, url, &body).into());
        }
        let value = serde_json::from_slice::<T>(&body)
            .map_err(|e| BinanceError::Malformed { url: url.to_string(), reason: e.to_string() })?;
        Ok((value, meta))
    }

    fn read_meta(&self, headers: &HeaderMap) -> ReplyMeta {
        let used_weight = header_str(headers, USED_WEIGHT).and_then(|v| v.trim().parse::<u32>().ok());
        if let Some(w) = used_weight {
            self.gate.observe(w, now_ms());
        }
        let server_time = header_str(headers, DATE.as_str()).and_then(parse_http_date);
        ReplyMeta { server_time, used_weight, attempts: 0 }
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Date: Tue, 15 Nov 1994 08:12:31 GMT` as ms since epoch.
pub(crate) fn parse_http_date(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(s.trim()).ok().map(|d| d.timestamp_millis())
}

/// A non-2xx reply: Binance's `{"code": .., "msg": ..}` when present, else the raw text.
fn error_from_body(status: StatusCode, url: &Url, body: &[u8]) -> BinanceError {
    #[derive(serde::Deserialize)]
    struct ApiError {
        code: i64,
        msg: String,
    }
    match serde_json::from_slice::<ApiError>(body) {
        Ok(e) => BinanceError::Api { status: status.as_u16(), code: e.code, msg: e.msg },
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let mut text: String = text.chars().take(200).collect();
            if text.is_empty() {
                text = status.canonical_reason().unwrap_or("no body").to_string();
            }
            BinanceError::Status { status: status.as_u16(), url: url.to_string(), body: text }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_and_rejects() {
        let cfg = ClientConfig::from_lookup(Market::Futures, |k| match k {
            "QM_BINANCE_FUTURES_URL" => Some("http://127.0.0.1:9/prefix/".into()),
            "QM_BINANCE_BACKOFF_MS" => Some("7".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(cfg.backoff, Duration::from_millis(7));
        let client = Client::new(cfg).unwrap();
        let url = client.url("/fapi/v1/klines", &[("symbol", "BTCUSDT".into()), ("limit", "5".into())]);
        assert_eq!(url.as_str(), "http://127.0.0.1:9/prefix/fapi/v1/klines?symbol=BTCUSDT&limit=5");

        let err = ClientConfig::from_lookup(Market::Spot, |k| (k == "QM_BINANCE_SPOT_URL").then(|| "ftp://x".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("QM_BINANCE_SPOT_URL") && err.contains("`ftp://x`"), "{err}");
        let err = ClientConfig::from_lookup(Market::Spot, |k| (k == "QM_BINANCE_BACKOFF_MS").then(|| "-1".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`-1`"), "{err}");
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let mut cfg = ClientConfig::new(Market::Spot);
        cfg.backoff = Duration::from_millis(10);
        let d: Vec<u128> = (1..=4).map(|a| cfg.backoff_delay(a).as_millis()).collect();
        assert_eq!(d, vec![10, 20, 40, 80]);
        assert_eq!(cfg.backoff_delay(40), Duration::from_secs(30));
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:01:40 GMT"), Some(100_000));
        assert_eq!(parse_http_date("garbage"), None);
    }

    #[test]
    fn error_bodies_are_classified() {
        let url = Url::parse("http://x/api/v3/klines").unwrap();
        let e = error_from_body(StatusCode::BAD_REQUEST, &url, br#"{"code":-1121,"msg":"Invalid symbol."}"#);
        assert!(matches!(&e, BinanceError::Api { code: -1121, msg, .. } if msg == "Invalid symbol."));
        assert!(!e.is_retryable());
        let e = error_from_body(StatusCode::SERVICE_UNAVAILABLE, &url, b"<html>busy</html>");
        assert!(e.is_retryable(), "{e}");
    }
}
