//! A loopback mock of Binance's public REST API for tests: klines with Binance's paging rules
//! (spot and USDⓈ-M futures), server time, a settable clock so the newest candle is still
//! forming, a request log, pacing, and injectable faults.
//!
//! Minimal HTTP/1.1 over `std::net`: one thread per connection, one request per connection
//! (`Connection: close`).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub const HOUR: i64 = 3_600_000;

/// One kline with every Binance column.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub open_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub close_time: i64,
    pub quote_volume: f64,
    pub trades: i64,
    pub taker_buy_base: f64,
    pub taker_buy_quote: f64,
}

/// A misbehaviour served instead of (or before) the next matching request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After` seconds.
    TooManyRequests { retry_after_s: u64 },
    /// HTTP 418 (IP ban) with `Retry-After` seconds.
    Banned { retry_after_s: u64 },
    /// HTTP 503 with an HTML body.
    Unavailable,
    /// HTTP 200 with a body that is not JSON.
    Malformed,
    /// HTTP 200 whose `Content-Length` promises more than is sent before the connection closes.
    Truncated,
    /// Wait this long before answering normally (for client timeouts).
    Stall { ms: u64 },
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub query: BTreeMap<String, String>,
}

impl Request {
    pub fn param(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }

    pub fn is_klines(&self) -> bool {
        self.path.ends_with("/klines")
    }
}

#[derive(Default)]
struct State {
    series: HashMap<(String, String), Arc<Vec<Row>>>,
    now: i64,
    faults: VecDeque<(Option<String>, Fault)>,
    log: Vec<Request>,
    delay: Duration,
    in_flight: usize,
    max_in_flight: usize,
    weight: u32,
    reported_weight: Option<u32>,
}

/// A running mock; stops when dropped.
pub struct MockBinance {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl MockBinance {
    pub fn start() -> MockBinance {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (Arc::clone(&state), Arc::clone(&stop));
        thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&st);
                thread::spawn(move || {
                    let _ = serve(conn, &st);
                });
            }
        });
        MockBinance { addr, state, stop }
    }

    /// Base URL for `QM_BINANCE_SPOT_URL` / `QM_BINANCE_FUTURES_URL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serve `rows` (oldest first) as `symbol` at `interval` on both markets.
    pub fn add_series(&self, symbol: &str, interval: &str, rows: Vec<Row>) {
        self.lock().series.insert((symbol.to_string(), interval.to_string()), Arc::new(rows));
    }

    /// The exchange clock (ms); rows opening after it do not exist yet.
    pub fn set_now(&self, ms: i64) {
        self.lock().now = ms;
    }

    /// Serve `fault` to the next request (for `symbol` only, when given).
    pub fn push_fault(&self, symbol: Option<&str>, fault: Fault) {
        self.lock().faults.push_back((symbol.map(str::to_string), fault));
    }

    /// Pause before every answer (a slow exchange).
    pub fn set_delay(&self, d: Duration) {
        self.lock().delay = d;
    }

    pub fn requests(&self) -> Vec<Request> {
        self.lock().log.clone()
    }

    pub fn kline_requests(&self) -> Vec<Request> {
        self.requests().into_iter().filter(Request::is_klines).collect()
    }

    pub fn clear_log(&self) {
        self.lock().log.clear();
    }

    /// Report this `X-MBX-USED-WEIGHT-1M` instead of the running count.
    pub fn set_reported_weight(&self, w: Option<u32>) {
        self.lock().reported_weight = w;
    }

    /// Most requests seen in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }
}

impl Drop for MockBinance {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

struct Reply {
    status: u16,
    reason: &'static str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Declared length when it differs from the body (a truncated reply).
    declared_len: Option<usize>,
}

impl Reply {
    fn json(status: u16, body: String) -> Reply {
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            _ => "Error",
        };
        Reply { status, reason, headers: vec![("Content-Type".into(), "application/json".into())], body: body.into_bytes(), declared_len: None }
    }

    fn api_error(status: u16, code: i64, msg: &str) -> Reply {
        Reply::json(status, format!(r#"{{"code":{code},"msg":"{msg}"}}"#))
    }
}

fn serve(conn: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
    }
    let (path, query) = parse_target(&target);
    let req = Request { path, query };

    let (fault, delay, now) = {
        let mut s = state.lock().unwrap();
        s.log.push(req.clone());
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        let sym = req.param("symbol").map(str::to_string);
        let pos = s.faults.iter().position(|(only, _)| only.is_none() || *only == sym);
        let fault = pos.and_then(|i| s.faults.remove(i)).map(|(_, f)| f);
        (fault, s.delay, s.now)
    };
    if !delay.is_zero() {
        thread::sleep(delay);
    }
    let reply = match fault {
        Some(Fault::TooManyRequests { retry_after_s }) => {
            let mut r = Reply::api_error(429, -1003, "Too many requests; current limit is 6000 request weight per 1 MINUTE.");
            r.reason = "Too Many Requests";
            r.headers.push(("Retry-After".into(), retry_after_s.to_string()));
            r
        }
        Some(Fault::Banned { retry_after_s }) => {
            let mut r = Reply::api_error(418, -1003, "Way too many requests; IP banned.");
            r.reason = "I'm a teapot";
            r.headers.push(("Retry-After".into(), retry_after_s.to_string()));
            r
        }
        Some(Fault::Unavailable) => Reply {
            status: 503,
            reason: "Service Unavailable",
            headers: vec![("Content-Type".into(), "text/html".into())],
            body: b"<html><body>503 Service Temporarily Unavailable</body></html>".to_vec(),
            declared_len: None,
        },
        Some(Fault::Malformed) => Reply::json(200, r#"[[1704067200000,"42283.58","42554.57",<html>"#.into()),
        Some(Fault::Truncated) => {
            let mut r = route(&req, state, now);
            r.body.truncate(r.body.len() / 2);
            r.declared_len = Some(r.body.len() * 2 + 100);
            r
        }
        Some(Fault::Stall { ms }) => {
            thread::sleep(Duration::from_millis(ms));
            route(&req, state, now)
        }
        None => route(&req, state, now),
    };
    let weight = {
        let mut s = state.lock().unwrap();
        s.weight += if req.is_klines() { 2 } else { 1 };
        // Done before the reply is written: once the client has the reply it may send its
        // next request, possibly before this thread runs again, which would count both.
        s.in_flight -= 1;
        s.reported_weight.unwrap_or(s.weight)
    };
    write_reply(&conn, reply, now, weight)
}

fn write_reply(mut conn: &TcpStream, r: Reply, now: i64, weight: u32) -> std::io::Result<()> {
    let date = chrono::DateTime::from_timestamp_millis(now).unwrap().format("%a, %d %b %Y %H:%M:%S GMT");
    let mut head = format!("HTTP/1.1 {} {}\r\nDate: {date}\r\nX-MBX-USED-WEIGHT-1M: {weight}\r\n", r.status, r.reason);
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", r.declared_len.unwrap_or(r.body.len())));
    conn.write_all(head.as_bytes())?;
    conn.write_all(&r.body)?;
    conn.flush()?;
    conn.shutdown(std::net::Shutdown::Both)
}

fn parse_target(target: &str) -> (String, BTreeMap<String, String>) {
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    (path.to_string(), query)
}

fn route(req: &Request, state: &Mutex<State>, now: i64) -> Reply {
    match req.path.as_str() {
        "/api/v3/time" | "/fapi/v1/time" => Reply::json(200, format!(r#"{{"serverTime":{now}}}"#)),
        "/api/v3/klines" => klines(req, state, now, 1000),
        "/fapi/v1/klines" => klines(req, state, now, 1500),
        _ => Reply::api_error(404, -1, "not found"),
    }
}

/// Binance's rules: default limit 500, at most `max`; with `startTime` the oldest rows from
/// it (up to `endTime`), otherwise the newest rows up to `endTime` (or now).
fn klines(req: &Request, state: &Mutex<State>, now: i64, max: usize) -> Reply {
    let Some(symbol) = req.param("symbol") else {
        return Reply::api_error(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    };
    let Some(interval) = req.param("interval") else {
        return Reply::api_error(400, -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
    };
    let num = |k: &str| req.param(k).map(|v| v.parse::<i64>());
    let limit = match num("limit") {
        None => 500,
        Some(Ok(n)) if n >= 1 && n as usize <= max => n as usize,
        Some(_) => return Reply::api_error(400, -1130, "Data sent for parameter 'limit' is not valid."),
    };
    let (start, end) = match (num("startTime").transpose(), num("endTime").transpose()) {
        (Ok(s), Ok(e)) => (s, e),
        _ => return Reply::api_error(400, -1100, "Illegal characters found in a parameter."),
    };
    let rows = {
        let s = state.lock().unwrap();
        let by_symbol = s.series.keys().any(|(sym, _)| sym == symbol);
        match s.series.get(&(symbol.to_string(), interval.to_string())) {
            Some(r) => Arc::clone(r),
            None if by_symbol => return Reply::api_error(400, -1120, "Invalid interval."),
            None => return Reply::api_error(400, -1121, "Invalid symbol."),
        }
    };
    // Rows that exist by now: the last one is still forming.
    let upto = rows.partition_point(|r| r.open_time <= now);
    let rows = &rows[..upto];
    let hi = match end {
        Some(e) => rows.partition_point(|r| r.open_time <= e),
        None => rows.len(),
    };
    let selected = match start {
        Some(s) => {
            let lo = rows.partition_point(|r| r.open_time < s);
            &rows[lo.min(hi)..hi.min(lo + limit)]
        }
        None => &rows[hi.saturating_sub(limit)..hi],
    };
    Reply::json(200, kline_json(selected))
}

fn kline_json(rows: &[Row]) -> String {
    let mut out = String::with_capacity(rows.len() * 160 + 2);
    out.push('[');
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"[{},"{}","{}","{}","{}","{}",{},"{}",{},"{}","{}","0"]"#,
            r.open_time, r.open, r.high, r.low, r.close, r.volume, r.close_time, r.quote_volume, r.trades, r.taker_buy_base, r.taker_buy_quote
        ));
    }
    out.push(']');
    out
}

// ---- candle data -------------------------------------------------------------------------

/// `$QM_REFERENCE_DIR` (default `/work/shared/reference`).
pub fn reference_dir() -> PathBuf {
    std::env::var_os("QM_REFERENCE_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/work/shared/reference"))
}

/// Real candles from `candles/<file>` (e.g. `BTC_USDT-1h.parquet`) as full kline rows; the
/// columns Binance adds are derived deterministically. Panics when the file is missing.
pub fn reference_rows(file: &str, interval_ms: i64) -> Vec<Row> {
    use arrow::array::{Array, Float64Array, Int64Array};
    let path = reference_dir().join("candles").join(file);
    let f = std::fs::File::open(&path).unwrap_or_else(|e| panic!("reference candles {}: {e}", path.display()));
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f).unwrap().build().unwrap();
    let mut rows = Vec::new();
    for batch in reader {
        let b = batch.unwrap();
        let col = |n: &str| b.column_by_name(n).unwrap_or_else(|| panic!("column {n}")).clone();
        let t = col("open_time");
        let t = t.as_any().downcast_ref::<Int64Array>().expect("open_time int64");
        let f64s = |n: &str| col(n).as_any().downcast_ref::<Float64Array>().expect("f64 column").clone();
        let (o, h, l, c, v) = (f64s("open"), f64s("high"), f64s("low"), f64s("close"), f64s("volume"));
        for i in 0..b.num_rows() {
            rows.push(row(t.value(i), o.value(i), h.value(i), l.value(i), c.value(i), v.value(i), interval_ms));
        }
    }
    assert!(!rows.is_empty(), "no candles in {}", path.display());
    rows
}

pub fn row(open_time: i64, open: f64, high: f64, low: f64, close: f64, volume: f64, interval_ms: i64) -> Row {
    let quote_volume = volume * close;
    Row {
        open_time,
        open,
        high,
        low,
        close,
        volume,
        close_time: open_time + interval_ms - 1,
        quote_volume,
        trades: (volume * 7.0) as i64 + 1,
        taker_buy_base: volume * 0.5,
        taker_buy_quote: quote_volume * 0.5,
    }
}

/// `n` rows ending with `rows`' last candle: older history is earlier copies of `rows`
/// shifted back by whole series lengths.
pub fn extend_back(rows: &[Row], n: usize, interval_ms: i64) -> Vec<Row> {
    let len = rows.len();
    let span = len as i64 * interval_ms;
    (0..n)
        .map(|k| {
            // k-th row from the end.
            let back = n - 1 - k;
            let mut r = rows[len - 1 - back % len].clone();
            let shift = (back / len) as i64 * span;
            r.open_time -= shift;
            r.close_time -= shift;
            r
        })
        .collect()
}

/// The same candles with every price multiplied by `factor` (a synthetic symbol).
pub fn scaled(rows: &[Row], factor: f64) -> Vec<Row> {
    rows.iter()
        .map(|r| Row {
            open: r.open * factor,
            high: r.high * factor,
            low: r.low * factor,
            close: r.close * factor,
            quote_volume: r.quote_volume * factor,
            taker_buy_quote: r.taker_buy_quote * factor,
            ..r.clone()
        })
        .collect()
}
