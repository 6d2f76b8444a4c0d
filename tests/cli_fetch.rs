//! End-to-end tests of `qm fetch` against a loopback mock of Binance.

mod mock_binance;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mock_binance::{extend_back, reference_rows, scaled, Fault, MockBinance, Row, HOUR};
use qm::lake::{Lake, Ohlcv};
use qm::timeframe::Timeframe;

fn qm_cmd(mock: &MockBinance, lake: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qm"));
    cmd.arg("fetch")
        .args(args)
        .arg("--lake")
        .arg(lake)
        .env("QM_BINANCE_SPOT_URL", mock.url())
        .env("QM_BINANCE_FUTURES_URL", mock.url())
        .env("QM_BINANCE_BACKOFF_MS", "10")
        .env_remove("QM_LAKE")
        .stdin(Stdio::null());
    cmd
}

fn qm(mock: &MockBinance, lake: &Path, args: &[&str]) -> Output {
    qm_cmd(mock, lake, args).output().expect("run qm")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn assert_ok(o: &Output) {
    assert!(o.status.success(), "qm failed: {}\nstderr:\n{}", o.status, stderr(o));
}

fn read(lake: &Path, symbol: &str) -> Option<Ohlcv> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { Lake::open(lake).unwrap().read_ohlcv(symbol, Timeframe::H1).await.unwrap() })
}

/// BTCUSDT 1h, the real reference candles.
fn btc() -> Vec<Row> {
    reference_rows("BTC_USDT-1h.parquet", HOUR)
}

/// A mock serving `rows` as BTCUSDT 1h with "now" 30 minutes into candle `forming`.
fn mock_with(rows: &[Row], forming: usize) -> MockBinance {
    let mock = MockBinance::start();
    mock.add_series("BTCUSDT", "1h", rows.to_vec());
    mock.set_now(rows[forming].open_time + HOUR / 2 + 123);
    mock
}

/// The stored series equals `expected` row for row, every column included.
#[track_caller]
fn assert_series(got: &Ohlcv, expected: &[Row]) {
    let c = &got.candles;
    assert_eq!(got.len(), expected.len(), "row count");
    assert!(c.open_time.windows(2).all(|w| w[0] < w[1]), "open times sorted and unique");
    let col = |f: fn(&Row) -> f64| expected.iter().map(f).collect::<Vec<_>>();
    assert_eq!(c.open_time, expected.iter().map(|r| r.open_time).collect::<Vec<_>>());
    assert_eq!(c.open, col(|r| r.open));
    assert_eq!(c.high, col(|r| r.high));
    assert_eq!(c.low, col(|r| r.low));
    assert_eq!(c.close, col(|r| r.close));
    assert_eq!(c.volume, col(|r| r.volume));
    assert_eq!(got.close_time.as_deref(), Some(&expected.iter().map(|r| r.close_time).collect::<Vec<_>>()[..]));
    assert_eq!(got.quote_volume.as_deref(), Some(&col(|r| r.quote_volume)[..]));
    assert_eq!(got.trades.as_deref(), Some(&expected.iter().map(|r| r.trades).collect::<Vec<_>>()[..]));
    assert_eq!(got.taker_buy_base.as_deref(), Some(&col(|r| r.taker_buy_base)[..]));
    assert_eq!(got.taker_buy_quote.as_deref(), Some(&col(|r| r.taker_buy_quote)[..]));
}

#[test]
fn full_fetch_stores_the_newest_closed_candles() {
    let rows = btc();
    let forming = 5000;
    let mock = mock_with(&rows, forming);
    let dir = tempfile::tempdir().unwrap();
    let out = qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--interval", "1h", "--limit", "2500"]);
    assert_ok(&out);
    let got = read(dir.path(), "BTCUSDT").expect("stored");
    // Exactly the 2500 candles before the forming one.
    assert_series(&got, &rows[forming - 2500..forming]);
    let reqs = mock.kline_requests();
    assert!(reqs.iter().all(|r| r.path == "/api/v3/klines" && r.param("limit").unwrap().parse::<usize>().unwrap() <= 1000));
    assert_eq!(reqs.len(), 3, "{reqs:?}");
    let err = stderr(&out);
    assert!(err.contains("BTCUSDT 1h: +2500 candles, 2500 stored") && err.contains("no gaps"), "{err}");
}

#[test]
fn incremental_fetch_is_one_request() {
    let rows = btc();
    let mock = mock_with(&rows, 4000);
    let dir = tempfile::tempdir().unwrap();
    assert_ok(&qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "1500"]));

    // Five more candles close.
    mock.set_now(rows[4005].open_time + 600_000);
    mock.clear_log();
    let out = qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "1500"]);
    assert_ok(&out);
    assert_eq!(mock.requests().len(), 1, "{:?}", mock.requests());
    assert_series(&read(dir.path(), "BTCUSDT").unwrap(), &rows[4000 - 1500..4005]);
    assert!(stderr(&out).contains("+5 candles, 1505 stored"), "{}", stderr(&out));

    // Nothing new: still one request, nothing written.
    mock.clear_log();
    let out = qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "1500"]);
    assert_ok(&out);
    assert_eq!(mock.requests().len(), 1);
    assert!(stderr(&out).contains("BTCUSDT 1h: up to date, 1505 stored"), "{}", stderr(&out));

    // A larger limit extends the stored range backwards.
    let out = qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "3000"]);
    assert_ok(&out);
    assert_series(&read(dir.path(), "BTCUSDT").unwrap(), &rows[4005 - 3000..4005]);
}

#[test]
fn the_forming_candle_is_never_stored() {
    let rows = btc();
    let mock = mock_with(&rows, 300);
    let dir = tempfile::tempdir().unwrap();
    // One millisecond before candle 300 closes it is still forming.
    mock.set_now(rows[300].close_time);
    assert_ok(&qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "50"]));
    assert_eq!(*read(dir.path(), "BTCUSDT").unwrap().candles.open_time.last().unwrap(), rows[299].open_time);
    // At its close it is stored (and candle 301, opening that instant, is not).
    mock.set_now(rows[301].open_time);
    assert_ok(&qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "50"]));
    let got = read(dir.path(), "BTCUSDT").unwrap();
    assert_series(&got, &rows[250..301]);
}

/// A fetch of 1200 candles (two spot pages) with `fault` served first recovers and stores the
/// same data as without it.
fn assert_recovers(fault: Fault, env: &[(&str, &str)]) -> (Duration, Vec<mock_binance::Request>) {
    let rows = btc();
    let mock = mock_with(&rows, 2000);
    mock.push_fault(Some("BTCUSDT"), fault.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = qm_cmd(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "1200"]);
    cmd.envs(env.iter().copied());
    let t = Instant::now();
    let out = cmd.output().unwrap();
    let took = t.elapsed();
    assert_ok(&out);
    assert_series(&read(dir.path(), "BTCUSDT").unwrap(), &rows[800..2000]);
    let reqs = mock.kline_requests();
    assert_eq!(reqs.len(), 3, "{fault:?}: two pages plus one retry: {reqs:?}");
    eprintln!("{fault:?} recovered in {took:?}");
    (took, reqs)
}

#[test]
fn rate_limit_429_waits_retry_after() {
    let (took, _) = assert_recovers(Fault::TooManyRequests { retry_after_s: 1 }, &[]);
    assert!(took >= Duration::from_secs(1), "Retry-After not honoured: {took:?}");
}

#[test]
fn ban_418_waits_retry_after() {
    let (took, _) = assert_recovers(Fault::Banned { retry_after_s: 1 }, &[]);
    assert!(took >= Duration::from_secs(1), "Retry-After not honoured: {took:?}");
}

#[test]
fn server_error_503_is_retried() {
    assert_recovers(Fault::Unavailable, &[]);
}

#[test]
fn malformed_body_is_retried() {
    assert_recovers(Fault::Malformed, &[]);
}

#[test]
fn truncated_body_is_retried() {
    assert_recovers(Fault::Truncated, &[]);
}

#[test]
fn timeout_is_retried() {
    assert_recovers(Fault::Stall { ms: 3_000 }, &[("QM_BINANCE_TIMEOUT_MS", "400")]);
}

#[test]
fn used_weight_near_the_limit_slows_requests() {
    let rows = btc();
    let mock = mock_with(&rows, 3000);
    // 4600 of spot's 6000 per minute: past the 75 % mark where requests are paced.
    mock.set_reported_weight(Some(4600));
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    assert_ok(&qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "2500"]));
    let took = t.elapsed();
    assert_eq!(mock.kline_requests().len(), 3);
    // Two paced requests; a minute boundary in between may reset one of them.
    assert!(took >= Duration::from_millis(250), "not paced: {took:?}");
    assert!(took < Duration::from_secs(10), "paced far too long: {took:?}");
    eprintln!("3 pages at weight 4600/6000 took {took:?}");
}

#[test]
fn persistent_failure_leaves_the_lake_untouched() {
    let rows = btc();
    let mock = mock_with(&rows, 2000);
    let dir = tempfile::tempdir().unwrap();
    assert_ok(&qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "100"]));
    let before = read(dir.path(), "BTCUSDT").unwrap();
    mock.set_now(rows[2010].open_time + 1);
    for _ in 0..3 {
        mock.push_fault(None, Fault::Unavailable);
    }
    let mut cmd = qm_cmd(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "100"]);
    cmd.env("QM_BINANCE_MAX_ATTEMPTS", "3");
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("giving up after 3 attempts") && err.contains("503"), "{err}");
    assert_eq!(mock.kline_requests().len(), 4);
    assert_eq!(read(dir.path(), "BTCUSDT").unwrap(), before);
}

#[test]
fn unknown_symbol_fails_cleanly_and_others_complete() {
    let rows = btc();
    let mock = mock_with(&rows, 2000);
    let dir = tempfile::tempdir().unwrap();
    let out = qm(&mock, dir.path(), &["--symbols", "NOPEUSDT,BTCUSDT", "--limit", "100", "--format", "csv"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("`NOPEUSDT`") && err.contains("Invalid symbol."), "{err}");
    assert!(err.contains("1 of 2 symbols failed"), "{err}");
    assert!(read(dir.path(), "NOPEUSDT").is_none());
    assert_series(&read(dir.path(), "BTCUSDT").unwrap(), &rows[1900..2000]);
    // The summary table still lists both, in the order asked.
    let csv = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("symbol,interval,market,added,total,first,last,gaps,missing,error"), "{csv}");
    assert!(lines[1].starts_with("NOPEUSDT,1h,spot,,,,,,,") && lines[1].contains("Invalid symbol."), "{csv}");
    assert!(lines[2].starts_with("BTCUSDT,1h,spot,100,100,"), "{csv}");
}

#[test]
fn futures_market_uses_fapi_pages() {
    let rows = btc();
    let mock = MockBinance::start();
    mock.add_series("ETHUSDT", "1h", reference_rows("ETH_USDT-1h.parquet", HOUR));
    mock.set_now(rows[5000].open_time + 1);
    let dir = tempfile::tempdir().unwrap();
    let out = qm(&mock, dir.path(), &["--symbols", "ETHUSDT", "--limit", "3000", "--market", "futures"]);
    assert_ok(&out);
    let reqs = mock.kline_requests();
    assert!(reqs.iter().all(|r| r.path == "/fapi/v1/klines"), "{reqs:?}");
    let limits: Vec<&str> = reqs.iter().filter_map(|r| r.param("limit")).collect();
    assert_eq!(limits, vec!["1500", "1500", "1"]);
    assert_eq!(read(dir.path(), "ETHUSDT").unwrap().len(), 3000);
}

#[test]
fn invalid_arguments_are_explained() {
    let mock = MockBinance::start();
    let dir = tempfile::tempdir().unwrap();
    let out = qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--interval", "7m"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("`7m`") && err.contains("1m, 3m, 5m") && err.contains("1h"), "{err}");
    let out = qm(&mock, dir.path(), &["--symbols", "BTCUSDT", "--limit", "0"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("at least 1"), "{}", stderr(&out));
    let out = qm(&mock, dir.path(), &["--symbols", "BTC-USDT"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("`BTC-USDT`"), "{}", stderr(&out));
    assert!(mock.requests().is_empty());
}

/// Ten symbols of `n` hourly candles: BTC/ETH/SOL extended back in time, and seven scaled
/// copies; all end at the same hour.
fn ten_symbols(mock: &MockBinance, n: usize) -> (Vec<String>, Vec<Vec<Row>>, i64) {
    let bases = [
        btc(),
        reference_rows("ETH_USDT-1h.parquet", HOUR),
        reference_rows("SOL_USDT-1h.parquet", HOUR),
    ];
    // Align every series to end at BTC's last candle.
    let end = bases[0].last().unwrap().open_time;
    let mut names = Vec::new();
    let mut all = Vec::new();
    for i in 0..10 {
        let base = &bases[i % 3];
        let base: Vec<Row> = base.iter().filter(|r| r.open_time <= end).cloned().collect();
        let rows = extend_back(&base, n, HOUR);
        let (name, rows) = match i {
            0 => ("BTCUSDT".to_string(), rows),
            1 => ("ETHUSDT".to_string(), rows),
            2 => ("SOLUSDT".to_string(), rows),
            _ => (format!("SYN{i}USDT"), scaled(&rows, 1.0 + i as f64 / 100.0)),
        };
        mock.add_series(&name, "1h", rows.clone());
        names.push(name);
        all.push(rows);
    }
    (names, all, end)
}

#[test]
fn ten_symbols_of_15000_candles_in_seconds() {
    let mock = MockBinance::start();
    let (names, all, end) = ten_symbols(&mock, 15_001);
    mock.set_now(end + HOUR / 2);
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let out = qm(&mock, dir.path(), &["--symbols", &names.join(","), "--limit", "15000", "--format", "json"]);
    let took = t.elapsed();
    assert_ok(&out);
    eprintln!("fetched 10 x 15000 1h candles in {took:?} ({} requests)", mock.kline_requests().len());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary.as_array().unwrap().len(), 10);
    for (i, name) in names.iter().enumerate() {
        assert_eq!(summary[i]["symbol"], name.as_str());
        assert_eq!(summary[i]["added"], 15000);
        assert_eq!(summary[i]["gaps"], 0);
        assert_series(&read(dir.path(), name).unwrap(), &all[i][..15_000]);
    }
    assert!(mock.max_in_flight() <= 4, "at most 4 symbols in flight, saw {}", mock.max_in_flight());
}

/// Every `.parquet` file under `root`.
fn parquet_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out
}

/// Read every row of a Parquet file; panics on a torn file.
fn read_fully(path: &Path) -> usize {
    let f = std::fs::File::open(path).unwrap();
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap_or_else(|e| panic!("torn parquet {}: {e}", path.display()));
    let declared = builder.metadata().file_metadata().num_rows() as usize;
    let read: usize = builder.build().unwrap().map(|b| b.unwrap_or_else(|e| panic!("torn parquet {}: {e}", path.display())).num_rows()).sum();
    assert_eq!(read, declared, "{}", path.display());
    read
}

#[test]
fn killed_fetch_leaves_no_torn_files_and_a_rerun_converges() {
    let mock = MockBinance::start();
    let (names, all, end) = ten_symbols(&mock, 12_001);
    mock.set_now(end + HOUR / 2);
    let symbols = names.join(",");
    let args = ["--symbols", symbols.as_str(), "--limit", "12000", "--concurrency", "2"];
    // A slow exchange stretches a run over a second or so; each kill lands somewhere else in
    // it (while pages arrive, or while a symbol's file is being written).
    mock.set_delay(Duration::from_millis(5));
    let mut lakes = Vec::new();
    let mut partial = 0;
    for kill_after_ms in [40, 90, 150, 220, 300, 390, 490, 600, 720, 850] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = qm_cmd(&mock, dir.path(), &args).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        let was_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        let files = parquet_files(dir.path());
        for f in &files {
            read_fully(f);
        }
        let mut stored = 0;
        for name in &names {
            if let Some(o) = read(dir.path(), name) {
                assert!(o.candles.open_time.windows(2).all(|w| w[0] < w[1]));
                stored += 1;
            }
        }
        if was_running && stored > 0 {
            partial += 1;
        }
        eprintln!("killed after {kill_after_ms} ms (running: {was_running}): {} parquet files, {stored} symbols readable", files.len());
        lakes.push(dir);
    }
    assert!(partial > 0, "no kill landed after a first symbol was stored; the test did not test anything");
    mock.set_delay(Duration::ZERO);
    for dir in &lakes {
        assert_ok(&qm(&mock, dir.path(), &args));
        for (i, name) in names.iter().enumerate() {
            assert_series(&read(dir.path(), name).unwrap(), &all[i][..12_000]);
        }
        for f in parquet_files(dir.path()) {
            read_fully(&f);
        }
    }
}
