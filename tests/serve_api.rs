//! `qm serve` REST API against the real binary over a demo lake, with real HTTP.

mod mock_binance;
mod serve_support;

use serde_json::Value;
use serve_support::*;

fn rows(v: &Value) -> &Vec<Value> {
    v["rows"].as_array().unwrap_or_else(|| panic!("no rows: {v}"))
}

fn key(r: &Value) -> (String, i64, i64) {
    (r["symbol"].as_str().unwrap().to_string(), r["combo"].as_i64().unwrap(), r["level"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn health_system_strategies_and_openapi() {
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let c = client();
    let (st, h) = get(&c, &s.url("/api/health")).await;
    assert_eq!((st, h["status"].as_str()), (200, Some("ok")));

    let (st, sys) = get(&c, &s.url("/api/system")).await;
    assert_eq!(st, 200, "{sys}");
    let tables: Vec<&str> = sys["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for t in ["mega", "ohlcv", "wf", "wf_windows"] {
        assert!(tables.contains(&t), "{tables:?}");
    }
    for t in sys["tables"].as_array().unwrap() {
        assert!(t["files"].as_u64().unwrap() > 0 && t["bytes"].as_u64().unwrap() > 0, "{t}");
    }
    let wf = sys["tables"].as_array().unwrap().iter().find(|t| t["name"] == "wf").unwrap();
    assert_eq!(wf["runs"], serde_json::json!(["demo"]));
    assert_eq!(wf["symbols"], serde_json::json!(["DEMOUSDT", "TESTUSDT"]));
    assert_eq!(sys["version"].as_str(), Some(env!("CARGO_PKG_VERSION")));

    // Strategies agree with `qm strategies`.
    let (st, strat) = get(&c, &s.url("/api/strategies")).await;
    assert_eq!(st, 200);
    let list = strat["strategies"].as_array().unwrap();
    assert_eq!(list.len(), 29);
    let cli: Vec<Value> = serde_json::from_str(&qm_ok(lake, &["strategies", "--format", "json"])).unwrap();
    for (a, b) in list.iter().zip(&cli) {
        assert_eq!(a["name"], b["strategy"]);
        assert_eq!(a["grid_size"].as_u64(), b["grid_size"].as_u64(), "{}", a["name"]);
        assert!(!a["params"].as_array().unwrap().is_empty());
        assert_eq!(a["defaults"].as_object().unwrap().len(), a["params"].as_array().unwrap().len());
    }

    let (st, bots) = get(&c, &s.url("/api/bots")).await;
    assert_eq!((st, bots["bots"].as_array().map(Vec::len), bots["available"].as_bool()), (200, Some(0), Some(true)));

    // The OpenAPI document names every route; each GET without required inputs answers 200.
    let (st, doc) = get(&c, &s.url("/api/openapi.json")).await;
    assert_eq!(st, 200);
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/health", "/api/system", "/api/strategies", "/api/candles", "/api/backtest", "/api/results/mega", "/api/results/wf",
        "/api/results/mega/best", "/api/results/wf/best", "/api/wf/windows", "/api/heatmap", "/api/jobs/pipeline", "/api/jobs",
        "/api/jobs/{id}", "/api/bots", "/api/openapi.json",
    ] {
        assert!(paths.contains_key(p), "openapi lacks {p}");
    }
    for (path, ops) in paths {
        let Some(op) = ops.get("get") else { continue };
        let needs = op["parameters"].as_array().unwrap().iter().any(|p| p["required"] == true);
        if !needs {
            let (st, body) = get(&c, &s.url(path)).await;
            assert_eq!(st, 200, "{path}: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn results_paging_sorting_filtering_agree_with_sql() {
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let c = client();
    let tie = "symbol, timeframe, run, combo, level";

    // mega: filter by symbol and min trades, sort by total_return, page 2.
    let (st, page) = get(&c, &s.url("/api/results/mega?symbol=DEMOUSDT&min_trades=10&sort=total_return&order=desc&limit=7&offset=7")).await;
    assert_eq!(st, 200, "{page}");
    let want = sql_json(
        lake,
        &format!("SELECT symbol, combo, level, total_return FROM mega WHERE symbol = 'DEMOUSDT' AND trades >= 10 ORDER BY total_return DESC NULLS LAST, {tie} LIMIT 7 OFFSET 7"),
    );
    let got: Vec<_> = rows(&page).iter().map(key).collect();
    assert_eq!(got, want.iter().map(key).collect::<Vec<_>>());
    assert_eq!(got.len(), 7);
    let total = sql_json(lake, "SELECT count(*) AS n FROM mega WHERE symbol = 'DEMOUSDT' AND trades >= 10")[0]["n"].as_i64().unwrap();
    assert_eq!(page["total"].as_i64(), Some(total));
    for (r, w) in rows(&page).iter().zip(&want) {
        assert_eq!(r["total_return"].as_f64(), w["total_return"].as_f64());
        assert!(r["trades"].as_i64().unwrap() >= 10);
    }

    // Consecutive pages do not overlap and cover the same rows as one big page.
    let (_, p1) = get(&c, &s.url("/api/results/mega?strategy=Momentum&sort=sharpe&limit=5")).await;
    let (_, p2) = get(&c, &s.url("/api/results/mega?strategy=Momentum&sort=sharpe&limit=5&offset=5")).await;
    let (_, all) = get(&c, &s.url("/api/results/mega?strategy=Momentum&sort=sharpe&limit=10")).await;
    let joined: Vec<_> = rows(&p1).iter().chain(rows(&p2)).map(key).collect();
    assert_eq!(joined, rows(&all).iter().map(key).collect::<Vec<_>>());
    assert!(rows(&all).iter().all(|r| r["strategy"] == "Momentum"));

    // wf: min_consistency, ascending sort.
    let (st, wf) = get(&c, &s.url("/api/results/wf?min_consistency=0.6&sort=sharpe_decay&order=asc&limit=20")).await;
    assert_eq!(st, 200, "{wf}");
    let want = sql_json(lake, &format!("SELECT symbol, combo, level FROM wf WHERE consistency >= 0.6 ORDER BY sharpe_decay ASC NULLS LAST, {tie} LIMIT 20"));
    assert_eq!(rows(&wf).iter().map(key).collect::<Vec<_>>(), want.iter().map(key).collect::<Vec<_>>());
    assert!(rows(&wf).iter().all(|r| r["consistency"].as_f64().unwrap() >= 0.6));

    // Best per strategy: one row per strategy, each the top of its own ranking.
    let (st, best) = get(&c, &s.url("/api/results/wf/best?symbol=TESTUSDT")).await;
    assert_eq!(st, 200, "{best}");
    let b = rows(&best);
    let mut names: Vec<_> = b.iter().map(|r| r["strategy"].as_str().unwrap().to_string()).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n);
    let first = &b[0];
    let (_, top) = get(&c, &s.url(&format!("/api/results/wf?symbol=TESTUSDT&strategy={}&limit=1", url_escape(first["strategy"].as_str().unwrap())))).await;
    assert_eq!(key(&rows(&top)[0]), key(first));

    // A filter value with a quote is a literal, not SQL.
    let (st, none) = get(&c, &s.url("/api/results/mega?strategy=x%27%20OR%20%271%27%3D%271")).await;
    assert_eq!((st, none["total"].as_i64()), (200, Some(0)));
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_heatmap_and_candles() {
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let c = client();
    let (_, wf) = get(&c, &s.url("/api/results/wf?limit=1")).await;
    let top = &rows(&wf)[0];
    let q = format!(
        "/api/wf/windows?symbol={}&timeframe={}&run={}&strategy={}&combo={}&level={}",
        top["symbol"].as_str().unwrap(),
        top["timeframe"].as_str().unwrap(),
        top["run"].as_str().unwrap(),
        url_escape(top["strategy"].as_str().unwrap()),
        top["combo"],
        top["level"]
    );
    let (st, w) = get(&c, &s.url(&q)).await;
    assert_eq!(st, 200, "{w}");
    let windows = w["windows"].as_array().unwrap();
    assert_eq!(windows.len() as i64, top["n_windows"].as_i64().unwrap());
    let idx: Vec<i64> = windows.iter().map(|x| x["window"].as_i64().unwrap()).collect();
    let mut sorted = idx.clone();
    sorted.sort();
    assert_eq!(idx, sorted);

    // Heatmap over the two parameters of a two-parameter strategy: every cell is the mean of
    // the matching wf rows (checked for one cell against SQL).
    let (_, strat) = get(&c, &s.url("/api/strategies")).await;
    let two = strat["strategies"].as_array().unwrap().iter().find(|d| d["params"].as_array().unwrap().len() == 2).unwrap();
    let name = two["name"].as_str().unwrap();
    let (st, h) = get(&c, &s.url(&format!("/api/heatmap?strategy={}&symbol=DEMOUSDT", url_escape(name)))).await;
    assert_eq!(st, 200, "{h}");
    let (xs, ys, cells) = (h["xs"].as_array().unwrap(), h["ys"].as_array().unwrap(), h["cells"].as_array().unwrap());
    assert!(!xs.is_empty() && !ys.is_empty());
    assert_eq!(cells.len(), ys.len());
    assert!(cells.iter().all(|r| r.as_array().unwrap().len() == xs.len()));
    let all = sql_json(lake, &format!("SELECT params, oos_sharpe_mean FROM wf WHERE symbol = 'DEMOUSDT' AND strategy = '{name}'"));
    let (x, y) = (h["x"].as_str().unwrap(), h["y"].as_str().unwrap());
    let (x0, y0) = (&xs[0], &ys[0]);
    let matching: Vec<f64> = all
        .iter()
        .filter(|r| {
            let p: Value = serde_json::from_str(r["params"].as_str().unwrap()).unwrap();
            p[x] == *x0 && p[y] == *y0
        })
        .map(|r| r["oos_sharpe_mean"].as_f64().unwrap())
        .collect();
    if !matching.is_empty() {
        let mean = matching.iter().sum::<f64>() / matching.len() as f64;
        assert!((cells[0][0].as_f64().unwrap() - mean).abs() < 1e-4, "{} vs {mean}", cells[0][0]);
    }

    let (st, cd) = get(&c, &s.url("/api/candles?symbol=DEMOUSDT&interval=1h&limit=100")).await;
    assert_eq!(st, 200);
    assert_eq!(cd["time"].as_array().unwrap().len(), 100);
    assert_eq!(cd["close"].as_array().unwrap().len(), 100);
    let last = sql_json(lake, "SELECT close FROM ohlcv WHERE symbol = 'DEMOUSDT' AND timeframe = '1h' ORDER BY open_time DESC LIMIT 1");
    assert_eq!(cd["close"][99].as_f64(), last[0]["close"].as_f64());
}

fn url_escape(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn backtest_matches_the_cli() {
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let c = client();
    let body = r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Momentum","params":{"lookback":20},"sl":0.01,"tp":0.03,"leverage":2}"#;
    let (st, r) = post(&c, &s.url("/api/backtest"), Some(TOKEN), body).await;
    assert_eq!(st, 200, "{r}");
    let cli = qm_ok(
        lake,
        &["backtest", "--symbol", "DEMOUSDT", "--interval", "1h", "--strategy", "Momentum", "--params", r#"{"lookback":20}"#, "--sl", "0.01", "--tp", "0.03", "--leverage", "2", "--format", "json", "--name", "api-check"],
    );
    let cli: Vec<Value> = serde_json::from_str(cli.trim()).unwrap();
    let m = &r["metrics"];
    for k in ["total_return", "sharpe", "sortino", "max_drawdown", "trades", "win_rate", "profit_factor", "final_equity", "gross_profit", "gross_loss", "liquidations", "candles"] {
        assert_eq!(m[k], cli[0][k], "metric {k}");
    }
    let trades = r["trades"].as_array().unwrap();
    assert!(trades.len() as i64 >= m["trades"].as_i64().unwrap());
    let n = r["equity"]["time"].as_array().unwrap().len();
    assert_eq!(n as i64, m["candles"].as_i64().unwrap());
    assert_eq!(r["equity"]["equity"].as_array().unwrap().len(), n);
    assert_eq!(r["equity"]["drawdown"].as_array().unwrap().len(), n);
    // The stored ledger of the CLI run has the same trades.
    let stored = sql_json(lake, "SELECT count(*) AS n FROM trades WHERE run = 'api-check'");
    assert_eq!(stored[0]["n"].as_i64(), Some(trades.len() as i64));
}

#[tokio::test(flavor = "multi_thread")]
async fn mutations_need_the_token_and_hosts_must_be_loopback() {
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let c = client();
    let body = r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Momentum","params":{"lookback":20}}"#;
    for path in ["/api/backtest", "/api/jobs/pipeline"] {
        let (st, e) = post(&c, &s.url(path), None, body).await;
        assert_eq!(st, 401, "{path}: {e}");
        assert!(e["error"].as_str().unwrap().contains("Bearer"), "{e}");
        let (st, _) = post(&c, &s.url(path), Some("wrong-token-0123456789abcdef"), body).await;
        assert_eq!(st, 401, "{path}");
    }
    // A foreign Host header (DNS rebinding) is refused, even for reads.
    let (st, b) = raw_http(&s.addr, "GET /api/health HTTP/1.1\r\nHost: evil.example:9000\r\nConnection: close\r\n\r\n");
    assert_eq!(st, 403, "{b}");
    assert!(b.contains("\"error\""), "{b}");
    let (st, _) = raw_http(&s.addr, "GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert_eq!(st, 200);
    // No CORS headers unless --cors-origin is given.
    let r = c.get(s.url("/api/health")).header("origin", "http://evil.example").send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    assert!(r.headers().get("content-security-policy").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_a_4xx_json_error_naming_the_field() {
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    let c = client();
    let gets = [
        ("/api/results/mega?sort=nope", 400, Some("sort")),
        ("/api/results/mega?sort=params%3B%20DROP", 400, Some("sort")),
        ("/api/results/wf?sort=oos_window_sharpe", 400, Some("sort")),
        ("/api/results/mega?limit=0", 400, Some("limit")),
        ("/api/results/mega?limit=abc", 400, Some("limit")),
        ("/api/results/mega?offset=-1", 400, Some("offset")),
        ("/api/results/mega?order=sideways", 400, Some("order")),
        ("/api/results/mega?min_trades=NaN", 400, Some("min_trades")),
        ("/api/results/mega?min_consistency=0.5", 400, Some("min_consistency")),
        ("/api/results/mega?colour=red", 400, Some("colour")),
        ("/api/results/mega?limit=1&limit=2", 400, Some("limit")),
        ("/api/results/nope", 404, Some("table")),
        ("/api/candles?interval=1h", 400, Some("symbol")),
        ("/api/candles?symbol=bad%20sym&interval=1h", 400, Some("symbol")),
        ("/api/candles?symbol=DEMOUSDT&interval=7x", 400, Some("interval")),
        ("/api/candles?symbol=NOSUCHUSDT&interval=1h", 404, Some("symbol")),
        ("/api/heatmap?strategy=Nope", 400, Some("strategy")),
        ("/api/heatmap?strategy=Momentum&x=lookback&y=nope", 400, Some("y")),
        ("/api/wf/windows?symbol=DEMOUSDT", 400, Some("timeframe")),
        ("/api/jobs/abc", 400, Some("id")),
        ("/api/jobs/999", 404, Some("id")),
        ("/api/nothing-here", 404, None),
    ];
    for (path, status, field) in gets {
        let (st, e) = get(&c, &s.url(path)).await;
        assert_eq!(st, status, "{path}: {e}");
        assert!(e["error"].is_string(), "{path}: {e}");
        assert_eq!(e["field"].as_str(), field, "{path}: {e}");
    }
    let posts = [
        ("/api/backtest", "not json", 400, Some("body")),
        ("/api/backtest", "[1,2]", 400, Some("body")),
        ("/api/backtest", r#"{"interval":"1h","strategy":"Momentum","params":{"lookback":20}}"#, 400, Some("symbol")),
        ("/api/backtest", r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Nope","params":{}}"#, 400, Some("strategy")),
        ("/api/backtest", r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Momentum","params":{"lookback":-5}}"#, 400, Some("params")),
        ("/api/backtest", r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Momentum","params":{"nope":1}}"#, 400, Some("params")),
        ("/api/backtest", r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Momentum","params":{"lookback":20},"sl":-1}"#, 400, Some("sl")),
        ("/api/backtest", r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Momentum","params":{"lookback":20},"leverage":"x"}"#, 400, Some("leverage")),
        ("/api/backtest", r#"{"symbol":"DEMOUSDT","interval":"1h","strategy":"Momentum","params":{"lookback":20},"extra":1}"#, 400, Some("extra")),
        ("/api/backtest", r#"{"symbol":"NOSUCHUSDT","interval":"1h","strategy":"Momentum","params":{"lookback":20}}"#, 404, Some("symbol")),
        ("/api/jobs/pipeline", r#"{"file":"../etc/passwd"}"#, 400, Some("file")),
        ("/api/jobs/pipeline", r#"{"file":"no-such-pipeline"}"#, 404, Some("file")),
        ("/api/jobs/pipeline", r#"{"toml":"this is not toml"}"#, 400, Some("toml")),
        ("/api/jobs/pipeline", r#"{}"#, 400, Some("file")),
    ];
    for (path, body, status, field) in posts {
        let (st, e) = post(&c, &s.url(path), Some(TOKEN), body).await;
        assert_eq!(st, status, "{path} {body}: {e}");
        assert_eq!(e["field"].as_str(), field, "{path} {body}: {e}");
    }
    // A body over the limit is refused as JSON, not read.
    let big = format!(r#"{{"symbol":"{}"}}"#, "A".repeat(2 << 20));
    // The server closes a connection whose body it did not read: no pooled connections here.
    let c = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let (st, e) = post(&c, &s.url("/api/backtest"), Some(TOKEN), &big).await;
    assert_eq!(st, 413, "{e}");
    assert!(e["error"].is_string());
    // Wrong method: 405 as JSON.
    let r = c.delete(s.url("/api/health")).header("authorization", format!("Bearer {TOKEN}")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let e: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert!(e["error"].is_string());
}

#[test]
fn non_loopback_bind_needs_a_token_and_the_generated_token_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let err = Server::try_start(&lake, None, "0.0.0.0:0", &[]).err().expect("a public bind without a token is refused");
    assert!(err.contains("QM_API_TOKEN"), "{err}");
    let public = Server::try_start(&lake, Some(TOKEN), "0.0.0.0:0", &[]).expect("a public bind with a token starts");
    assert!(public.stderr_head.iter().any(|l| l.starts_with("warning:")), "{:?}", public.stderr_head);
    assert!(!public.stderr_head.join("\n").contains(TOKEN), "the user's token is never printed");
    drop(public);

    // Without QM_API_TOKEN a token is generated into the lake (mode 0600), printed as a link
    // and reused by the next start.
    let s = Server::start(&lake, None, &[]);
    let file = lake.join(".qm-token");
    let token = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert_eq!(token.len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert!(s.stderr_head.iter().any(|l| l.contains(&format!("/#token={token}"))), "{:?}", s.stderr_head);
    drop(s);
    let again = Server::start(&lake, None, &[]);
    assert_eq!(std::fs::read_to_string(&file).unwrap().trim(), token);
    drop(again);
    // A token file others can read is refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Server::try_start(&lake, None, "127.0.0.1:0", &[]).err().expect("an exposed token file is refused");
        assert!(err.contains("chmod 600"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pipeline_job_runs_in_the_background_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let grid = dir.path().join("grid.json");
    std::fs::write(&grid, r#"[{"strategy":"Momentum","params":{"lookback":20}},{"strategy":"Momentum","params":{"lookback":30}}]"#).unwrap();
    let s = Server::start(&lake, Some(TOKEN), &[]);
    let c = client();
    let toml = format!(
        "[pipeline]\nname = \"jobtest\"\n[data]\nsource = \"synthetic\"\nsymbols = [\"AAAUSDT\", \"BBBUSDT\"]\ninterval = \"1h\"\nbars = 1500\nseed = 3\n[sweep]\ngrid = {:?}\nsl_tp = [[0.01, 0.03]]\nmin_trades = 1\n[walkforward]\nwindows = 3\ntrain_pct = 0.7\n",
        grid.to_str().unwrap()
    );
    let body = serde_json::json!({ "toml": toml }).to_string();
    let (st, job) = post(&c, &s.url("/api/jobs/pipeline"), Some(TOKEN), &body).await;
    assert_eq!(st, 202, "{job}");
    let id = job["id"].as_u64().unwrap();
    assert_eq!(job["total"].as_u64(), Some(2));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let done = loop {
        let (st, j) = get(&c, &s.url(&format!("/api/jobs/{id}"))).await;
        assert_eq!(st, 200);
        if j["state"] != "running" {
            break j;
        }
        assert!(std::time::Instant::now() < deadline, "job did not finish: {j}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(done["state"], "succeeded", "{done}");
    assert_eq!(done["done"].as_u64(), Some(2));
    let (_, list) = get(&c, &s.url("/api/jobs")).await;
    assert_eq!(list["jobs"].as_array().unwrap().len(), 1);
    // The new tables are visible right away.
    let (st, page) = get(&c, &s.url("/api/results/wf?run=jobtest")).await;
    assert_eq!(st, 200, "{page}");
    assert!(page["total"].as_i64().unwrap() > 0, "{page}");
    let (st, m) = get(&c, &s.url("/api/results/mega?run=jobtest&symbol=BBBUSDT")).await;
    assert_eq!(st, 200);
    assert_eq!(m["total"].as_i64(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_only_for_the_given_origin() {
    let lake = demo_lake();
    let bad = Server::try_start(lake, Some(TOKEN), "127.0.0.1:0", &["--cors-origin", "not an origin"]);
    assert!(bad.err().expect("a malformed origin is refused").contains("--cors-origin"));
    let s = Server::start(lake, Some(TOKEN), &["--cors-origin", "http://localhost:5173"]);
    let c = client();
    let preflight = |origin: &'static str| {
        c.request(reqwest::Method::OPTIONS, s.url("/api/backtest"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization,content-type")
            .send()
    };
    let ok = preflight("http://localhost:5173").await.unwrap();
    assert_eq!(ok.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()), Some("http://localhost:5173"));
    let other = preflight("http://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn candles_are_fetched_on_demand_into_the_lake() {
    use mock_binance::{reference_rows, MockBinance, HOUR};
    let rows = reference_rows("BTC_USDT-1h.parquet", HOUR);
    let mock = MockBinance::start();
    mock.add_series("BTCUSDT", "1h", rows.clone());
    // Half an hour into the last candle: it is still forming, so it is not fetched.
    mock.set_now(rows.last().unwrap().open_time + HOUR / 2);
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    let url = mock.url();
    let s = Server::try_start_env(&lake, Some(TOKEN), "127.0.0.1:0", &[], &[("QM_BINANCE_FUTURES_URL", &url), ("QM_BINANCE_BACKOFF_MS", "10")])
        .unwrap_or_else(|e| panic!("{e}"));
    let c = client();
    let (st, e) = get(&c, &s.url("/api/candles?symbol=BTCUSDT&interval=1h")).await;
    assert_eq!((st, e["field"].as_str()), (404, Some("symbol")), "{e}");
    let body = r#"{"symbol": "BTCUSDT", "interval": "1h", "limit": 500}"#;
    let (st, _) = post(&c, &s.url("/api/candles/fetch"), None, body).await;
    assert_eq!(st, 401);
    let (st, e) = post(&c, &s.url("/api/candles/fetch"), Some(TOKEN), r#"{"symbol": "BTCUSDT", "interval": "1h", "market": "options"}"#).await;
    assert_eq!((st, e["field"].as_str()), (400, Some("market")), "{e}");
    let (st, r) = post(&c, &s.url("/api/candles/fetch"), Some(TOKEN), body).await;
    assert_eq!(st, 200, "{r}");
    assert_eq!((r["added"].as_u64(), r["total"].as_u64(), r["market"].as_str()), (Some(500), Some(500), Some("futures")), "{r}");
    let (st, got) = get(&c, &s.url("/api/candles?symbol=BTCUSDT&interval=1h&limit=1000")).await;
    assert_eq!(st, 200, "{got}");
    let closed = &rows[rows.len() - 501..rows.len() - 1];
    let closes: Vec<f64> = got["close"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(closes, closed.iter().map(|r| r.close).collect::<Vec<_>>());
    assert_eq!(got["time"][0].as_i64(), Some(closed[0].open_time / 1000));
    // Again: nothing new to add.
    let (st, r) = post(&c, &s.url("/api/candles/fetch"), Some(TOKEN), body).await;
    assert_eq!((st, r["added"].as_u64()), (200, Some(0)), "{r}");
    drop(mock);
}
