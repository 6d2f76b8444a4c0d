//! Bots as separate `qm` processes against the loopback mock exchange hosted by the test, on
//! a clock both share (`QM_SIM_CLOCK`: simulated time ~2 h per wall second). Checks what a
//! real exchange would punish: duplicate orders after `kill -9`, faults (429 then 418, 503
//! "Unknown error" and -1007 where the order did execute, a timeout after execution, clock
//! skew), the risk limits, paper trading without keys, and keys leaking anywhere.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use qm::live::bot::journal::Journal;
use qm::live::clock::{wall_ms, Clock};
use qm::live::filters::SymbolFilters;
use qm::live::mock::{self, Fault, FaultTarget, MockCandle, MockConfig, MockHandle};

const KEY: &str = "QMTESTKEY-4b1d9c0e7a";
const SECRET: &str = "QMTESTSECRET-93f2aa61c5d8";
const HOUR: i64 = 3_600_000;
/// Simulated ms per wall ms: one 1h candle every 0.6 s.
const SPEED: f64 = 6_000.0;

fn candles(file: &str) -> Vec<MockCandle> {
    let b = read_parquet(&reference_candles(file));
    let t = i64_column(&b, "open_time");
    let (o, h, l, c, v) = (f64_column(&b, "open"), f64_column(&b, "high"), f64_column(&b, "low"), f64_column(&b, "close"), f64_column(&b, "volume"));
    (0..t.len()).map(|i| MockCandle { open_time: t[i], open: o[i], high: h[i], low: l[i], close: c[i], volume: v[i] }).collect()
}

struct World {
    _dir: tempfile::TempDir,
    lake: PathBuf,
    dir: PathBuf,
    mock: MockHandle,
    clock: Clock,
}

/// A mock exchange over BTC 1h candles whose simulated time starts 300 bars in.
async fn world() -> World {
    let cs = candles("BTC_USDT-1h.parquet");
    let origin = cs[300].open_time + 1;
    let clock = Clock::Scaled { origin_ms: origin, wall_origin_ms: wall_ms(), speed: SPEED };
    let mut cfg = MockConfig::new("BTCUSDT", HOUR, cs, clock.clone());
    cfg.api_key = KEY.into();
    cfg.api_secret = SECRET.into();
    cfg.commission = 0.0004;
    cfg.slippage = 0.0002;
    cfg.filters = SymbolFilters { tick_size: 0.1, lot_step: 0.001, lot_min: 0.001, lot_max: 1000.0, market_step: 0.001, market_min: 0.001, market_max: 120.0, min_notional: 5.0 };
    cfg.weight_limit_1m = 1_000_000;
    let mock = mock::start(cfg).await.unwrap();
    let d = tempfile::tempdir().unwrap();
    let lake = d.path().join("lake");
    std::fs::create_dir_all(&lake).unwrap();
    World { lake, dir: d.path().to_path_buf(), _dir: d, mock, clock }
}

const EMA: &str = "strategy = \"EMA Crossover\"\nparams = { fast_period = 3, slow_period = 12 }\nsymbol = \"BTCUSDT\"\ninterval = \"1h\"\nlookback = 200\n";

impl World {
    fn config(&self, name: &str, extra: &str) -> PathBuf {
        write(&self.dir, &format!("{name}.toml"), &format!("name = \"{name}\"\n{EMA}{extra}"))
    }

    fn cmd(&self, with_keys: bool) -> Command {
        let mut c = qm_cmd(&self.lake);
        c.env("QM_SIM_CLOCK", self.clock.to_env().unwrap())
            .env("QM_BINANCE_FUTURES_URL", self.mock.url())
            .env("QM_BINANCE_TIMEOUT_MS", "1500")
            // Simulated time runs 6,000× faster: a millisecond of network is 6 s of it.
            .env("QM_BINANCE_RECV_WINDOW_MS", "60000")
            .current_dir(&self.dir)
            .env_remove("QM_BINANCE_API_KEY")
            .env_remove("QM_BINANCE_API_SECRET");
        if with_keys {
            c.env("QM_BINANCE_API_KEY", KEY).env("QM_BINANCE_API_SECRET", SECRET);
        }
        c
    }

    fn spawn(&self, cfg: &Path, with_keys: bool) -> Child {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("bot.out")).unwrap();
        self.cmd(with_keys).args(["bot", "run", s(cfg)]).stdout(log.try_clone().unwrap()).stderr(log).stdin(Stdio::null()).spawn().unwrap()
    }

    fn out(&self) -> String {
        std::fs::read_to_string(self.dir.join("bot.out")).unwrap_or_default()
    }

    fn journal(&self) -> Journal {
        Journal::open_in(&self.lake).unwrap()
    }

    /// Wait (wall time) until `f` holds.
    async fn wait_for(&self, what: &str, secs: u64, mut f: impl FnMut(&World) -> bool) {
        let t = Instant::now();
        while !f(self) {
            assert!(t.elapsed() < Duration::from_secs(secs), "timed out waiting for {what}; bot output:\n{}", self.out());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn closed_trades(&self, bot: &str) -> usize {
        self.journal().trades(bot).map(|t| t.iter().filter(|t| t.exit_time.is_some()).count()).unwrap_or(0)
    }

    /// No client id was ever executed twice, and the exchange agrees with the journal.
    fn assert_reconciled(&self, bot: &str) {
        let st = self.mock.snapshot();
        for (id, n) in &st.orders_per_client_id {
            assert!(*n <= 1, "client id `{id}` executed {n} times");
        }
        let j = self.journal();
        let open = j.trades(bot).unwrap().into_iter().filter(|t| t.exit_time.is_none()).collect::<Vec<_>>();
        assert!(open.len() <= 1, "{open:?}");
        let side = open.first().map(|t| if t.side == "long" { 1.0 } else { -1.0 }).unwrap_or(0.0);
        assert_eq!(st.position.qty.signum() * (st.position.qty != 0.0) as i32 as f64, side, "exchange position {:?} vs journal {open:?}", st.position);
        // Every executed market order of the exchange is journaled as filled.
        for o in &st.orders {
            if matches!(o.origin, mock::OrderOrigin::Client) {
                let row = j.order(bot, &o.client_order_id).unwrap().unwrap_or_else(|| panic!("order `{}` not journaled", o.client_order_id));
                assert_eq!(row.status, "filled", "{row:?}");
            }
        }
    }
}

fn kill9(child: &mut Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

fn stop(w: &World, name: &str, flatten: bool) {
    let mut args = vec!["bot", "stop", name];
    if flatten {
        args.push("--flatten");
    }
    let o = w.cmd(false).args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn wait_exit(child: &mut Child, secs: u64) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(t.elapsed() < Duration::from_secs(secs), "bot did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_never_duplicates_an_order() {
    let w = world().await;
    let cfg = w.config("ema-kill", "mode = \"demo\"\nleverage = 3\nstop_loss = 0.01\ntake_profit = 0.02\n");
    // A fixed pseudo-random schedule of kill points (wall ms after start).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..6 {
        let mut child = w.spawn(&cfg, true);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ms = 400 + x % 1_800;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        kill9(&mut child);
        w.assert_reconciled_after_restart_gap(round);
    }
    let mut child = w.spawn(&cfg, true);
    let before = w.closed_trades("ema-kill");
    w.wait_for("two more closed trades", 60, |w| w.closed_trades("ema-kill") >= before + 2).await;
    stop(&w, "ema-kill", false);
    assert!(wait_exit(&mut child, 30).success(), "{}", w.out());
    w.assert_reconciled("ema-kill");
    let st = w.mock.snapshot();
    assert!(st.orders.len() >= 4, "{:?}", st.orders.len());
    assert!(w.out().contains("resuming"), "{}", w.out());
}

impl World {
    /// After a kill nothing may be executed twice; the journal may lag the exchange until the
    /// next start reconciles, so only the exchange side is checked here.
    fn assert_reconciled_after_restart_gap(&self, _round: usize) {
        for (id, n) in &self.mock.snapshot().orders_per_client_id {
            assert!(*n <= 1, "client id `{id}` executed {n} times");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_survived_without_duplicates() {
    let w = world().await;
    let cfg = w.config("ema-faults", "mode = \"demo\"\n");
    let mut child = w.spawn(&cfg, true);
    w.wait_for("a first fill", 30, |w| !w.mock.snapshot().orders.is_empty()).await;
    let faults = [
        (FaultTarget::NewOrder, Fault::Unknown503AfterExecute),
        (FaultTarget::NewOrder, Fault::Code1007AfterExecute),
        (FaultTarget::NewOrder, Fault::DelayAfterExecute { ms: 3_000 }),
        (FaultTarget::Any, Fault::RateLimited { retry_after_s: 1 }),
        (FaultTarget::Query, Fault::Banned { retry_after_s: 1 }),
        (FaultTarget::Any, Fault::ClockSkew { ms: 120_000 }),
    ];
    for (target, fault) in faults {
        let n = w.mock.snapshot().orders.len();
        w.mock.inject(target, fault);
        w.wait_for("the next order after a fault", 60, |w| w.mock.snapshot().orders.len() > n).await;
    }
    let before = w.closed_trades("ema-faults");
    w.wait_for("another closed trade", 60, |w| w.closed_trades("ema-faults") > before).await;
    stop(&w, "ema-faults", false);
    assert!(wait_exit(&mut child, 30).success(), "{}", w.out());
    w.assert_reconciled("ema-faults");
    let o = w.cmd(false).args(["bot", "log", "ema-faults", "--limit", "100000"]).output().unwrap();
    let log = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(log.contains("querying it by client id") && log.contains("not sent again"), "{log}");
    let c = w.mock.snapshot().counters;
    assert!(c.rate_limited >= 1 && c.banned >= 1 && c.timestamp_rejections >= 1, "{c:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_risk_limit_flattens_and_stops() {
    let w = world().await;
    let cfg = w.config("ema-risk", "mode = \"demo\"\nleverage = 5\nmax_drawdown = 0.004\n");
    let mut child = w.spawn(&cfg, true);
    let st = wait_exit(&mut child, 90);
    assert!(st.success(), "{}", w.out());
    let j = w.journal();
    let b = j.bot("ema-risk").unwrap();
    assert_eq!(b.status, "stopped");
    assert!(b.reason.contains("max drawdown reached"), "{b:?}");
    let snap = w.mock.snapshot();
    assert_eq!(snap.position.qty, 0.0, "{:?}", snap.position);
    assert!(snap.algo_orders.iter().all(|a| !matches!(a.status, mock::AlgoStatus::New)), "{:?}", snap.algo_orders);
    w.assert_reconciled("ema-risk");
    assert!(w.out().contains("flattening and stopping"), "{}", w.out());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_bot_runs_without_keys_and_is_controlled_from_the_cli() {
    let w = world().await;
    let cfg = w.config("ema-paper", "mode = \"paper\"\nstop_loss = 0.01\ntake_profit = 0.03\n");
    let mut child = w.spawn(&cfg, false);
    w.wait_for("two closed paper trades", 60, |w| w.closed_trades("ema-paper") >= 2).await;
    // Paper trading sends nothing to the exchange.
    assert!(w.mock.snapshot().orders.is_empty());
    let o = w.cmd(false).args(["bot", "pause", "ema-paper"]).output().unwrap();
    assert!(o.status.success());
    let o = w.cmd(false).args(["bot", "status", "ema-paper", "--format", "csv"]).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("ema-paper,paper,BTCUSDT 1h,EMA Crossover,running,paused"), "{text}");
    let o = w.cmd(false).args(["bot", "resume", "ema-paper"]).output().unwrap();
    assert!(o.status.success());
    stop(&w, "ema-paper", true);
    assert!(wait_exit(&mut child, 30).success(), "{}", w.out());
    let o = w.cmd(false).args(["bot", "trades", "ema-paper", "--format", "csv"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() >= 3);
    // The lake has the bot's tables.
    let sql = qm(&w.lake, &["sql", "SELECT count(*) FROM bot_equity WHERE bot = 'ema-paper'", "--format", "csv"]).success().stdout_text();
    assert!(csv_rows(&sql)[1][0].parse::<usize>().unwrap() > 0, "{sql}");
    // A demo bot without keys is refused with the variable's name.
    let demo = w.config("ema-nokeys", "mode = \"demo\"\n");
    let o = w.cmd(false).args(["bot", "run", s(&demo)]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("QM_BINANCE_API_KEY"), "{}", String::from_utf8_lossy(&o.stderr));
    // Live needs --live.
    let live = w.config("ema-live", "mode = \"live\"\n");
    let o = w.cmd(true).args(["bot", "run", s(&live)]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("pass `--live`"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Keys appear nowhere: not in the journal, the lake, the logs or any output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_leave_the_environment() {
    let w = world().await;
    let cfg = w.config("ema-secret", "mode = \"demo\"\n");
    // A .env file is read too; its values must not leak either.
    write(&w.dir, ".env", &format!("QM_BINANCE_API_KEY={KEY}\nQM_BINANCE_API_SECRET={SECRET}\n"));
    let mut child = w.spawn(&cfg, false);
    w.wait_for("a fill", 30, |w| !w.mock.snapshot().orders.is_empty()).await;
    w.mock.inject(FaultTarget::NewOrder, Fault::Unknown503AfterExecute);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop(&w, "ema-secret", false);
    assert!(wait_exit(&mut child, 30).success(), "{}", w.out());
    let mut outputs = w.out();
    for args in [vec!["bot", "status", "ema-secret"], vec!["bot", "log", "ema-secret"], vec!["bot", "trades", "ema-secret"]] {
        let o = w.cmd(false).args(&args).output().unwrap();
        outputs += &String::from_utf8_lossy(&o.stdout);
        outputs += &String::from_utf8_lossy(&o.stderr);
    }
    for needle in [KEY, SECRET] {
        assert!(!outputs.contains(needle), "`{needle}` printed");
        for (path, bytes) in snapshot(&w.lake) {
            assert!(!bytes.windows(needle.len()).any(|x| x == needle.as_bytes()), "`{needle}` in {}", path.display());
        }
    }
}
