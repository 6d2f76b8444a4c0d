//! The mock over HTTP: requests signed like the real client's, sent with reqwest.

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

use super::*;
use crate::live::clock::Clock;
use crate::live::sign::signed_query;

/// A minute boundary.
const T0: i64 = 1_699_999_980_000;
const MIN: i64 = 60_000;

/// Twenty flat one-minute bars at 100 except the overrides `(index, o, h, l, c)`.
fn candles(over: &[(i64, f64, f64, f64, f64)]) -> Vec<MockCandle> {
    let mut v: Vec<MockCandle> =
        (0..20).map(|i| MockCandle { open_time: T0 + i * MIN, open: 100.0, high: 100.5, low: 99.5, close: 100.0, volume: 3.0 }).collect();
    for &(i, open, high, low, close) in over {
        v[i as usize] = MockCandle { open_time: T0 + i * MIN, open, high, low, close, volume: 7.25 };
    }
    v
}

struct Client {
    http: reqwest::Client,
    url: String,
    clock: Clock,
    key: String,
    secret: Secret,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> i64 {
        self.body["code"].as_i64().unwrap_or_else(|| panic!("no code in {} {}", self.status, self.body))
    }
}

async fn mock(over: &[(i64, f64, f64, f64, f64)], tweak: impl FnOnce(&mut MockConfig)) -> (MockHandle, Client) {
    let clock = Clock::stepped(T0 + 1000);
    let mut cfg = MockConfig::new("BTCUSDT", MIN, candles(over), clock.clone());
    tweak(&mut cfg);
    let m = start(cfg).await.unwrap();
    let c = Client { http: reqwest::Client::new(), url: m.url(), clock, key: "mock-key".into(), secret: Secret::new("mock-secret") };
    (m, c)
}

impl Client {
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, reqwest::Error> {
        let r = req.header("X-MBX-APIKEY", &self.key).send().await?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await?;
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        Ok(Answer { status, headers, body })
    }

    async fn public(&self, path: &str) -> Answer {
        self.send(self.http.get(format!("{}{path}", self.url))).await.unwrap()
    }

    /// A signed request at the client's time `ts`: GET/DELETE in the query, POST in the body.
    fn request(&self, method: Method, path: &str, params: &[(&str, &str)], ts: i64) -> reqwest::RequestBuilder {
        let owned: Vec<(&str, String)> = params.iter().map(|&(k, v)| (k, v.to_string())).collect();
        let q = signed_query(&self.secret, &owned, ts, 5000);
        let url = format!("{}{path}", self.url);
        if method == Method::POST {
            self.http.post(url).header("content-type", "application/x-www-form-urlencoded").body(q)
        } else {
            self.http.request(method, format!("{url}?{q}"))
        }
    }

    async fn signed(&self, method: Method, path: &str, params: &[(&str, &str)]) -> Answer {
        self.send(self.request(method, path, params, self.clock.now_ms())).await.unwrap()
    }

    async fn market(&self, side: &str, qty: &str, extra: &[(&str, &str)]) -> Answer {
        let mut p = vec![("symbol", "BTCUSDT"), ("side", side), ("type", "MARKET"), ("quantity", qty), ("newOrderRespType", "RESULT")];
        p.extend_from_slice(extra);
        self.signed(Method::POST, "/fapi/v1/order", &p).await
    }

    async fn algo(&self, side: &str, kind: &str, trigger: &str, id: &str) -> Answer {
        let p = [
            ("algoType", "CONDITIONAL"),
            ("symbol", "BTCUSDT"),
            ("side", side),
            ("type", kind),
            ("triggerPrice", trigger),
            ("closePosition", "true"),
            ("workingType", "CONTRACT_PRICE"),
            ("clientAlgoId", id),
        ];
        self.signed(Method::POST, "/fapi/v1/algoOrder", &p).await
    }
}

#[tokio::test]
async fn public_endpoints_and_headers() {
    let (m, c) = mock(&[(1, 100.1, 103.7, 99.3, 101.9)], |_| {}).await;
    let t = c.public("/fapi/v1/time").await;
    assert_eq!(t.body["serverTime"], T0 + 1000);
    assert_eq!(t.headers["X-MBX-USED-WEIGHT-1M"], "1");
    assert_eq!(c.public("/fapi/v1/ping").await.body, serde_json::json!({}));
    let info = c.public("/fapi/v1/exchangeInfo").await;
    assert_eq!(info.body["symbols"][0]["filters"][2]["filterType"], "MARKET_LOT_SIZE");
    c.clock.advance_to(T0 + 2 * MIN + 5);
    let k = c.public("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1000").await;
    assert_eq!(k.headers["X-MBX-USED-WEIGHT-1M"], "5"); // a new minute
    let rows = k.body.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[1][2].as_str().unwrap().parse::<f64>().unwrap(), 103.7);
    assert_eq!(rows[1][6], T0 + 2 * MIN - 1);
    assert_eq!(rows[2][5], "0"); // forming
    assert_eq!(c.public("/fapi/v1/nothing").await.status, 404);
    m.shutdown().await;
}

#[tokio::test]
async fn signatures_keys_and_timestamps() {
    let (m, c) = mock(&[], |_| {}).await;
    let ok = c.signed(Method::GET, "/fapi/v3/balance", &[]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body[0]["balance"], "10000");
    let q = signed_query(&c.secret, &[], c.clock.now_ms(), 5000);
    let bad = c.send(c.http.get(format!("{}/fapi/v3/balance?{}", c.url, q.replace("recvWindow=5000", "recvWindow=4000")))).await.unwrap();
    assert_eq!((bad.status, bad.code()), (400, -1022));
    let old = c.send(c.request(Method::GET, "/fapi/v3/balance", &[], c.clock.now_ms() - 6000)).await.unwrap();
    assert_eq!((old.status, old.code()), (400, -1021));
    let wrong = Client { key: "nope".into(), ..c };
    let e = wrong.signed(Method::GET, "/fapi/v3/balance", &[]).await;
    assert_eq!((e.status, e.code()), (401, -2015));
    let s = m.snapshot();
    assert_eq!((s.counters.requests, s.counters.timestamp_rejections), (4, 1));
    m.shutdown().await;
}

#[tokio::test]
async fn a_stop_triggers_at_its_price_and_the_take_profit_stays() {
    let (m, c) = mock(&[(1, 100.0, 101.0, 96.0, 97.0)], |_| {}).await;
    let lev = c.signed(Method::POST, "/fapi/v1/leverage", &[("symbol", "BTCUSDT"), ("leverage", "5")]).await;
    assert_eq!(lev.body["leverage"], 5);
    let mt = c.signed(Method::POST, "/fapi/v1/marginType", &[("symbol", "BTCUSDT"), ("marginType", "ISOLATED")]).await;
    assert_eq!(mt.body["msg"], "success");
    assert_eq!(c.signed(Method::GET, "/fapi/v1/positionSide/dual", &[]).await.body["dualSidePosition"], false);
    let buy = c.market("BUY", "1.000", &[("newClientOrderId", "entry-1")]).await;
    assert_eq!((buy.body["status"].as_str(), buy.body["avgPrice"].as_str()), (Some("FILLED"), Some("100")), "{}", buy.body);
    assert_eq!(buy.headers["X-MBX-ORDER-COUNT-10S"], "1");
    let sl = c.algo("SELL", "STOP_MARKET", "97.5", "sl-1").await;
    assert_eq!((sl.body["algoStatus"].as_str(), sl.body["triggerPrice"].as_str()), (Some("NEW"), Some("97.5")), "{}", sl.body);
    let tp = c.algo("SELL", "TAKE_PROFIT_MARKET", "110.0", "tp-1").await;
    assert_eq!(tp.status, 200, "{}", tp.body);
    let risk = c.signed(Method::GET, "/fapi/v2/positionRisk", &[("symbol", "BTCUSDT")]).await;
    assert_eq!((risk.body[0]["positionAmt"].as_str(), risk.body[0]["isolatedMargin"].as_str()), (Some("1.000"), Some("20")));

    c.clock.advance_to(T0 + 2 * MIN + 1000);
    let sl = c.signed(Method::GET, "/fapi/v1/algoOrder", &[("clientAlgoId", "sl-1")]).await;
    assert_eq!((sl.body["algoStatus"].as_str(), sl.body["actualPrice"].as_str()), (Some("FINISHED"), Some("97.5")), "{}", sl.body);
    let child: i64 = sl.body["actualOrderId"].as_str().unwrap().parse().unwrap();
    let tp = c.signed(Method::GET, "/fapi/v1/algoOrder", &[("clientAlgoId", "tp-1")]).await;
    assert_eq!(tp.body["algoStatus"], "NEW");
    let open = c.signed(Method::GET, "/fapi/v1/openAlgoOrders", &[("symbol", "BTCUSDT")]).await;
    assert_eq!(open.body.as_array().unwrap().len(), 1);
    let o = c.signed(Method::GET, "/fapi/v1/order", &[("symbol", "BTCUSDT"), ("orderId", &child.to_string())]).await;
    assert_eq!((o.body["status"].as_str(), o.body["side"].as_str()), (Some("FILLED"), Some("SELL")));
    let risk = c.signed(Method::GET, "/fapi/v2/positionRisk", &[("symbol", "BTCUSDT")]).await;
    assert_eq!(risk.body[0]["positionAmt"], "0.000");
    let trades = c.signed(Method::GET, "/fapi/v1/userTrades", &[("symbol", "BTCUSDT")]).await;
    let t = trades.body.as_array().unwrap();
    assert_eq!(t.len(), 2);
    assert_eq!((t[1]["price"].as_str(), t[1]["realizedPnl"].as_str(), t[1]["orderId"].as_i64()), (Some("97.5"), Some("-2.5"), Some(child)));
    assert_eq!(t[1]["commission"].as_str().unwrap().parse::<f64>().unwrap(), 97.5 * 0.0004);
    let cancel = c.send(c.request(Method::DELETE, "/fapi/v1/algoOrder", &[("clientAlgoId", "tp-1")], c.clock.now_ms())).await.unwrap();
    assert_eq!(cancel.body["code"], "200");
    let s = m.snapshot();
    assert!((s.wallet - (10_000.0 - 2.5 - 0.04 - 0.039)).abs() < 1e-9, "{}", s.wallet);
    assert_eq!(s.algo_orders.iter().map(|a| a.status).collect::<Vec<_>>(), [AlgoStatus::Finished, AlgoStatus::Canceled]);
    assert_eq!(s.orders_per_client_id["entry-1"], 1);
    m.shutdown().await;
}

#[tokio::test]
async fn rejections_like_binance() {
    let (m, c) = mock(&[], |_| {}).await;
    let code = |a: Answer| (a.status, a.code());
    assert_eq!(code(c.algo("SELL", "STOP_MARKET", "100.0", "x").await), (400, -2021));
    let stop = c.signed(Method::POST, "/fapi/v1/order", &[("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "STOP_MARKET"), ("quantity", "1")]).await;
    assert_eq!(code(stop), (400, -4120));
    assert_eq!(c.algo("SELL", "STOP_MARKET", "95.0", "dup").await.status, 200);
    assert_eq!(code(c.algo("SELL", "STOP_MARKET", "94.0", "dup").await), (400, -4116));
    assert_eq!(code(c.market("SELL", "0.010", &[("reduceOnly", "true")]).await), (400, -2022));
    assert_eq!(code(c.market("BUY", "0.0015", &[]).await), (400, -1111));
    assert_eq!(code(c.market("BUY", "0.001", &[]).await), (400, -4164));
    let eth = [("symbol", "ETHUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "1")];
    assert_eq!(code(c.signed(Method::POST, "/fapi/v1/order", &eth).await), (400, -1121));
    let both = [("algoType", "CONDITIONAL"), ("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "STOP_MARKET"), ("triggerPrice", "90"), ("closePosition", "true"), ("quantity", "1")];
    assert_eq!(code(c.signed(Method::POST, "/fapi/v1/algoOrder", &both).await), (400, -1106));
    let q = c.signed(Method::GET, "/fapi/v1/order", &[("symbol", "BTCUSDT"), ("origClientOrderId", "never")]).await;
    assert_eq!(code(q), (400, -2013));
    let d = c.send(c.request(Method::DELETE, "/fapi/v1/order", &[("symbol", "BTCUSDT"), ("origClientOrderId", "never")], c.clock.now_ms())).await.unwrap();
    assert_eq!(code(d), (400, -2011));
    assert_eq!(code(c.signed(Method::POST, "/fapi/v1/marginType", &[("symbol", "BTCUSDT"), ("marginType", "CROSSED")]).await), (400, -4046));
    assert_eq!(code(c.signed(Method::POST, "/fapi/v1/marginType", &[("symbol", "BTCUSDT"), ("marginType", "ISOLATED")]).await), (400, -4047));
    assert_eq!(code(c.signed(Method::POST, "/fapi/v1/leverage", &[("symbol", "BTCUSDT"), ("leverage", "200")]).await), (400, -4028));
    assert_eq!(code(c.signed(Method::POST, "/fapi/v1/positionSide/dual", &[("dualSidePosition", "false")]).await), (400, -4059));
    // After the data there is no price to fill at.
    c.clock.advance_to(T0 + 30 * MIN);
    let late = c.market("BUY", "1", &[]).await;
    assert_eq!(code(late), (400, -1000));
    m.shutdown().await;
}

#[tokio::test]
async fn weight_429_then_418_for_not_backing_off() {
    let (m, c) = mock(&[], |cfg| cfg.weight_limit_1m = 3).await;
    for _ in 0..3 {
        assert_eq!(c.public("/fapi/v1/ping").await.status, 200);
    }
    let r = c.public("/fapi/v1/ping").await;
    assert_eq!((r.status, r.code()), (429, -1003));
    assert_eq!(r.headers["Retry-After"], "59");
    let b = c.public("/fapi/v1/ping").await;
    assert_eq!(b.status, 418);
    assert_eq!(b.headers["Retry-After"], "118");
    c.clock.advance_to(T0 + 1000 + 118_000);
    assert_eq!(c.public("/fapi/v1/ping").await.status, 200);
    // Injected: a 429 waited out is fine, one ignored turns into a ban.
    m.inject(FaultTarget::Any, Fault::RateLimited { retry_after_s: 5 });
    assert_eq!(c.public("/fapi/v1/time").await.headers["Retry-After"], "5");
    c.clock.advance_to(c.clock.now_ms() + 5000);
    assert_eq!(c.public("/fapi/v1/time").await.status, 200);
    m.inject(FaultTarget::Query, Fault::RateLimited { retry_after_s: 5 });
    assert_eq!(c.public("/fapi/v1/time").await.status, 200);
    assert_eq!(c.signed(Method::GET, "/fapi/v3/balance", &[]).await.status, 429);
    let ban = c.signed(Method::GET, "/fapi/v3/balance", &[]).await;
    assert_eq!((ban.status, ban.headers["Retry-After"].to_str().unwrap()), (418, "10"));
    m.inject(FaultTarget::Any, Fault::Banned { retry_after_s: 7 });
    c.clock.advance_to(c.clock.now_ms() + 10_000);
    assert_eq!(c.public("/fapi/v1/time").await.headers["Retry-After"], "7");
    let s = m.snapshot();
    assert_eq!((s.counters.rate_limited, s.counters.banned), (3, 3));
    m.shutdown().await;
}

#[tokio::test]
async fn unknown_outcomes_leave_an_order_to_find() {
    let (m, c) = mock(&[], |_| {}).await;
    m.inject(FaultTarget::NewOrder, Fault::Unknown503AfterExecute);
    let r = c.market("BUY", "0.100", &[("newClientOrderId", "u-1")]).await;
    assert_eq!((r.status, r.code()), (503, -1001));
    let q = c.signed(Method::GET, "/fapi/v1/order", &[("symbol", "BTCUSDT"), ("origClientOrderId", "u-1")]).await;
    assert_eq!((q.body["status"].as_str(), q.body["executedQty"].as_str()), (Some("FILLED"), Some("0.100")));
    m.inject(FaultTarget::NewOrder, Fault::Code1006AfterExecute);
    assert_eq!(c.market("BUY", "0.100", &[("newClientOrderId", "u-2")]).await.code(), -1006);
    m.inject(FaultTarget::NewAlgoOrder, Fault::Code1007AfterExecute);
    assert_eq!(c.algo("SELL", "STOP_MARKET", "90.0", "u-3").await.code(), -1007);
    let a = c.signed(Method::GET, "/fapi/v1/algoOrder", &[("clientAlgoId", "u-3")]).await;
    assert_eq!(a.body["algoStatus"], "NEW");
    let s = m.snapshot();
    assert_eq!((s.orders_per_client_id["u-1"], s.orders_per_client_id["u-2"]), (1, 1));
    assert_eq!(s.position.qty, 0.2);
    m.shutdown().await;
}

#[tokio::test]
async fn a_delayed_answer_times_the_client_out_after_the_order_executed() {
    let (m, c) = mock(&[], |_| {}).await;
    m.inject(FaultTarget::NewOrder, Fault::DelayAfterExecute { ms: 1500 });
    let p = [("symbol", "BTCUSDT"), ("side", "BUY"), ("type", "MARKET"), ("quantity", "0.200"), ("newClientOrderId", "d-1")];
    let req = c.request(Method::POST, "/fapi/v1/order", &p, c.clock.now_ms()).timeout(std::time::Duration::from_millis(200));
    let err = c.send(req).await.err().expect("the client times out");
    assert!(err.is_timeout(), "{err}");
    let q = c.signed(Method::GET, "/fapi/v1/order", &[("symbol", "BTCUSDT"), ("origClientOrderId", "d-1")]).await;
    assert_eq!(q.body["status"], "FILLED");
    assert_eq!(m.snapshot().orders_per_client_id["d-1"], 1);
    m.shutdown().await;
}

#[tokio::test]
async fn clock_skew_gives_1021_until_the_client_resyncs() {
    let (m, c) = mock(&[], |_| {}).await;
    m.inject(FaultTarget::Any, Fault::ClockSkew { ms: 7_000 });
    let r = c.signed(Method::GET, "/fapi/v3/balance", &[]).await;
    assert_eq!(r.code(), -1021);
    let server = c.public("/fapi/v1/time").await.body["serverTime"].as_i64().unwrap();
    assert_eq!(server, c.clock.now_ms() + 7_000);
    let ok = c.send(c.request(Method::GET, "/fapi/v3/balance", &[], server)).await.unwrap();
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(m.snapshot().counters.timestamp_rejections, 1);
    m.shutdown().await;
}

#[tokio::test]
async fn liquidation_at_leverage_20_on_a_big_wick() {
    let (m, c) = mock(&[(2, 100.0, 100.2, 90.0, 99.0)], |_| {}).await;
    c.signed(Method::POST, "/fapi/v1/marginType", &[("symbol", "BTCUSDT"), ("marginType", "ISOLATED")]).await;
    c.signed(Method::POST, "/fapi/v1/leverage", &[("symbol", "BTCUSDT"), ("leverage", "20")]).await;
    c.clock.advance_to(T0 + MIN + 10);
    assert_eq!(c.market("BUY", "10.000", &[]).await.status, 200);
    let risk = c.signed(Method::GET, "/fapi/v2/positionRisk", &[("symbol", "BTCUSDT")]).await;
    let liq: f64 = risk.body[0]["liquidationPrice"].as_str().unwrap().parse().unwrap();
    assert!(liq > 95.0 && liq < 96.0, "{liq}");
    c.clock.advance_to(T0 + 3 * MIN + 10);
    let risk = c.signed(Method::GET, "/fapi/v2/positionRisk", &[("symbol", "BTCUSDT")]).await;
    assert_eq!(risk.body[0]["positionAmt"], "0.000");
    let s = m.snapshot();
    assert!((s.wallet - (10_000.0 - 50.0 - 0.4)).abs() < 1e-9, "{}", s.wallet);
    assert_eq!(s.orders.last().unwrap().origin, OrderOrigin::Liquidation);
    assert_eq!(s.trades.last().unwrap().realized_pnl, -50.0);
    let bal = c.signed(Method::GET, "/fapi/v3/balance", &[]).await;
    assert_eq!(bal.body[0]["balance"].as_str().unwrap().parse::<f64>().unwrap(), s.wallet);
    m.shutdown().await;
}

#[tokio::test]
async fn parameters_in_the_query_of_a_post_and_a_given_listener() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let clock = Clock::stepped(T0 + 1000);
    let m = start_on(listener, MockConfig::new("BTCUSDT", MIN, candles(&[]), clock.clone())).unwrap();
    assert_eq!(m.url(), format!("http://127.0.0.1:{port}"));
    let c = Client { http: reqwest::Client::new(), url: m.url(), clock, key: "mock-key".into(), secret: Secret::new("mock-secret") };
    let q = signed_query(&c.secret, &[("symbol", "BTCUSDT".into()), ("leverage", "7".into())], c.clock.now_ms(), 5000);
    let r = c.send(c.http.post(format!("{}/fapi/v1/leverage?{q}", c.url))).await.unwrap();
    assert_eq!((r.status, r.body["leverage"].as_i64()), (200, Some(7)), "{}", r.body);
    assert_eq!(m.snapshot().position.leverage, 7);
    m.shutdown().await;
}
