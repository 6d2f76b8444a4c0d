//! The HTTP face of the mock: one handler that gates a request (bans, injected faults,
//! weight), checks its signature, advances the market to the server's time, answers it and
//! stamps Binance's rate-limit headers on the response.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::auth;
use super::endpoints;
use super::engine::Engine;
use super::error::ApiError;
use super::fault::{Fault, Faults};
use super::limits::{Limits, Refusal};
use super::params::Params;
use super::routes::Route;
use crate::live::clock::Clock;
use crate::live::credentials::Secret;

/// Everything that changes, behind one lock.
pub struct Inner {
    pub engine: Engine,
    pub limits: Limits,
    pub faults: Faults,
    /// Shift of the server's clock against `clock` (ms), from injected clock skews.
    pub skew: i64,
}

/// State shared by the server task and the handle.
pub struct Shared {
    pub inner: Mutex<Inner>,
    pub clock: Clock,
    pub api_key: String,
    pub secret: Secret,
    pub weight_limit: u32,
}

/// An answer before it becomes an HTTP response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
    /// Wall-time milliseconds to hold the answer back.
    pub delay_ms: u64,
}

impl Reply {
    fn error(e: &ApiError) -> Reply {
        Reply { status: e.status, body: e.body(), headers: Vec::new(), delay_ms: 0 }
    }

    fn refusal(r: Refusal, limit: u32, now: i64) -> Reply {
        let msg = if r.status == 418 {
            format!("Way too many requests; IP(127.0.0.1) banned until {}. Please use the websocket for live updates to avoid bans.", now + r.retry_after_s as i64 * 1000)
        } else {
            format!("Too many requests; current limit of IP(127.0.0.1) is {limit} requests per minute. Please use the websocket for live updates to avoid polling the API.")
        };
        let mut reply = Reply::error(&ApiError::new(-1003, msg).with_status(r.status));
        reply.headers.push(("Retry-After", r.retry_after_s.to_string()));
        reply
    }
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answer one request.
    pub fn process(&self, method: &str, path: &str, query: &str, api_key: Option<&str>, body: &str) -> Reply {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let reply = self.answer(inner, method, path, query, api_key, body);
        let c = &mut inner.engine.state.counters;
        c.requests += 1;
        match reply.status {
            429 => c.rate_limited += 1,
            418 => c.banned += 1,
            _ => {}
        }
        if reply.body.get("code").and_then(Value::as_i64) == Some(-1021) {
            c.timestamp_rejections += 1;
        }
        reply
    }

    fn answer(&self, inner: &mut Inner, method: &str, path: &str, query: &str, api_key: Option<&str>, body: &str) -> Reply {
        let Some(route) = Route::of(method, path) else {
            return Reply::error(&ApiError::new(-5000, format!("Path {path}, Method {method} is invalid")).with_status(404));
        };
        let params = Params::parse(query, body);
        let mut now = self.clock.now_ms() + inner.skew;
        if let Err(r) = inner.limits.gate(now) {
            return Reply::refusal(r, self.weight_limit, now);
        }
        let mut after = None;
        match inner.faults.take(route.kind()) {
            Some(Fault::ClockSkew { ms }) => {
                inner.skew += ms;
                now += ms;
            }
            Some(Fault::RateLimited { retry_after_s }) => return Reply::refusal(inner.limits.back_off(now, retry_after_s), self.weight_limit, now),
            Some(Fault::Banned { retry_after_s }) => return Reply::refusal(inner.limits.ban(now, retry_after_s), self.weight_limit, now),
            other => after = other,
        }
        if let Err(r) = inner.limits.spend(now, route.weight(&params)) {
            let mut reply = Reply::refusal(r, self.weight_limit, now);
            reply.headers.push(("X-MBX-USED-WEIGHT-1M", inner.limits.used(now).to_string()));
            return reply;
        }
        let result = self.execute(inner, route, &params, query, api_key, body, now);
        let mut reply = match result {
            Ok(v) => Reply { status: 200, body: v, headers: Vec::new(), delay_ms: 0 },
            Err(e) => Reply::error(&e),
        };
        reply.headers.push(("X-MBX-USED-WEIGHT-1M", inner.limits.used(now).to_string()));
        if route.is_order() {
            let (s10, m1) = inner.limits.order_counts(now);
            reply.headers.push(("X-MBX-ORDER-COUNT-10S", s10.to_string()));
            reply.headers.push(("X-MBX-ORDER-COUNT-1M", m1.to_string()));
        }
        match after {
            Some(Fault::Unknown503AfterExecute) => {
                reply.status = 503;
                reply.body = json!({"code": -1001, "msg": "Unknown error, please check your request or try again later."});
            }
            Some(Fault::Code1006AfterExecute) => {
                reply.status = 400;
                reply.body = json!({"code": -1006, "msg": "An unexpected response was received from the message bus. Execution status unknown."});
            }
            Some(Fault::Code1007AfterExecute) => {
                reply.status = 408;
                reply.body = json!({"code": -1007, "msg": "Timeout waiting for response from backend server. Send status unknown; execution status unknown."});
            }
            Some(Fault::DelayAfterExecute { ms }) => reply.delay_ms = ms,
            _ => {}
        }
        reply
    }

    #[allow(clippy::too_many_arguments)]
    fn execute(&self, inner: &mut Inner, route: Route, params: &Params, query: &str, api_key: Option<&str>, body: &str, now: i64) -> Result<Value, ApiError> {
        if route.signed() {
            auth::verify(api_key, query, body, params, &self.api_key, &self.secret, now)?;
        }
        if route.places() && !inner.limits.order(now) {
            return Err(ApiError::new(-1015, "Too many new orders; current limit is 300 orders per TEN_SECONDS.").with_status(429));
        }
        inner.engine.advance(now);
        endpoints::call(route, &mut inner.engine, params, now)
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.body.to_string()).into_response();
        let h = response.headers_mut();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        response
    }
}

/// The axum handler of every path.
pub async fn handle(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let key = headers.get("X-MBX-APIKEY").and_then(|v| v.to_str().ok());
    let body = String::from_utf8_lossy(&body);
    let reply = shared.process(method.as_str(), uri.path(), uri.query().unwrap_or(""), key, &body);
    if reply.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    }
    reply.into_response()
}
