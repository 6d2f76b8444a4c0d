//! A bounded load test of `qm serve`: 200 concurrent clients on the results endpoint, no
//! errors allowed; latency percentiles are printed (`cargo test --release --test serve_load -- --nocapture`).

mod serve_support;

use std::time::{Duration, Instant};

use serve_support::*;

const CLIENTS: usize = 200;
const REQUESTS_PER_CLIENT: usize = 5;

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_concurrent_clients_on_results() {
    let lake = demo_lake();
    let s = Server::start(lake, Some(TOKEN), &[]);
    // Warm the server's session once so the test measures steady-state queries.
    let (st, _) = get(&client(), &s.url("/api/results/mega?limit=1")).await;
    assert_eq!(st, 200);

    let sorts = ["sharpe", "total_return", "max_drawdown", "win_rate", "trades"];
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let base = s.url("/api/results/");
        tasks.push(tokio::spawn(async move {
            // One client (one connection) per simulated user.
            let c = reqwest::Client::builder().timeout(Duration::from_secs(120)).pool_max_idle_per_host(1).build().unwrap();
            let mut times = Vec::new();
            for k in 0..REQUESTS_PER_CLIENT {
                let table = if (i + k) % 3 == 0 { "wf" } else { "mega" };
                let sort = if table == "wf" { "oos_sharpe_mean" } else { sorts[(i + k) % sorts.len()] };
                let symbol = if i % 2 == 0 { "DEMOUSDT" } else { "TESTUSDT" };
                let url = format!("{base}{table}?symbol={symbol}&sort={sort}&limit=20&offset={}", (i * 7 + k) % 200);
                let t = Instant::now();
                let r = c.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
                let status = r.status();
                let body = r.bytes().await.map_err(|e| format!("{url}: {e}"))?;
                if !status.is_success() {
                    return Err(format!("{url}: {status}: {}", String::from_utf8_lossy(&body)));
                }
                times.push(t.elapsed());
            }
            Ok::<_, String>(times)
        }));
    }
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(times) => all.extend(times),
            Err(e) => errors.push(e),
        }
    }
    let wall = started.elapsed();
    assert!(errors.is_empty(), "{} of {CLIENTS} clients failed; first: {}", errors.len(), errors[0]);
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p).ceil() as usize).saturating_sub(1).min(all.len() - 1)];
    println!(
        "serve load: {} requests from {CLIENTS} concurrent clients in {:.2} s ({:.0} req/s); p50 {:?}, p99 {:?}, max {:?}",
        all.len(),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        all[all.len() - 1]
    );
    assert_eq!(all.len(), CLIENTS * REQUESTS_PER_CLIENT);
}
