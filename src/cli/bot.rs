//! `qm bot`: run, control and inspect futures bots; replay one against the mock exchange.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use std::sync::Arc;

use super::common::{load_candles, open_lake, runtime};
use super::Globals;
use crate::import::time::parse_millis;
use crate::live::bot::journal::{Desired, Journal};
use crate::live::bot::runner::fmt_time;
use crate::live::bot::tables::export;
use crate::live::bot::{Bot, BotConfig, Exit, Mode, RunOptions};
use crate::live::clock::Clock;
use crate::live::credentials;
use crate::live::exchange::rest::{FuturesRest, RestConfig, DEMO_URL, LIVE_URL, TESTNET_URL, URL_VAR};
use crate::live::exchange::Venue;
use crate::live::paper::PaperVenue;
use crate::live::replay::{quantile, replay};
use crate::output::{emit, Format};

#[derive(Debug, clap::Args)]
#[command(after_help = "Bots decide with the backtest kernel on closed futures candles and keep a journal \
in `<lake>/bots.sqlite`. Keys come from QM_BINANCE_API_KEY / QM_BINANCE_API_SECRET (environment or `.env`); \
QM_BINANCE_FUTURES_URL overrides the exchange URL.")]
pub struct BotArgs {
    #[command(subcommand)]
    pub command: BotCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum BotCommand {
    /// Run bots in the foreground (one task each) until stopped or Ctrl-C.
    Run(RunArgs),
    /// Start a bot in a background process (its output goes to `<lake>/bots/<name>.log`).
    Start(RunArgs),
    /// Ask a running bot to stop (optionally closing its position first).
    Stop {
        name: String,
        /// Close the position and cancel its orders before stopping.
        #[arg(long)]
        flatten: bool,
    },
    /// Ask a running bot to pause (it follows the candles but sends no order).
    Pause { name: String },
    /// Resume a paused bot.
    Resume { name: String },
    /// One bot's state.
    Status {
        name: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// All bots in the journal.
    List {
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A bot's trades.
    Trades {
        name: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A bot's equity snapshots.
    Equity {
        name: String,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// A bot's log.
    Log {
        name: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The exchange account a config trades on: wallet and position.
    Account {
        config: PathBuf,
        /// Needed for `mode = "live"`.
        #[arg(long)]
        live: bool,
    },
    /// Write the journal's trades and equity to the lake tables `bot_trades` and `bot_equity`.
    Export { name: Option<String> },
    /// Replay a bot over lake candles against the mock exchange and compare with the backtest.
    Replay(ReplayArgs),
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Bot config files (TOML).
    #[arg(required = true)]
    pub configs: Vec<PathBuf>,
    /// Allow `mode = "live"` (real money).
    #[arg(long)]
    pub live: bool,
    /// Forget the journaled run of these bots and start afresh.
    #[arg(long)]
    pub fresh: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    pub config: PathBuf,
    /// First candle (ms or ISO 8601); default: the first in the lake.
    #[arg(long)]
    pub from: Option<String>,
    /// Last candle (inclusive); default: the last in the lake.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

pub fn run(args: BotArgs, g: &Globals) -> anyhow::Result<()> {
    match args.command {
        BotCommand::Run(a) => run_bots(a, g),
        BotCommand::Start(a) => start_background(a, g),
        BotCommand::Stop { name, flatten } => control(g, &name, if flatten { Desired::StopFlatten } else { Desired::Stopped }),
        BotCommand::Pause { name } => control(g, &name, Desired::Paused),
        BotCommand::Resume { name } => control(g, &name, Desired::Running),
        BotCommand::Status { name, format } => status(g, Some(&name), format),
        BotCommand::List { format } => status(g, None, format),
        BotCommand::Trades { name, format } => trades(g, &name, format),
        BotCommand::Equity { name, format } => equity(g, &name, format),
        BotCommand::Log { name, limit } => log(g, &name, limit),
        BotCommand::Account { config, live } => account(g, &config, live),
        BotCommand::Export { name } => export_cmd(g, name.as_deref()),
        BotCommand::Replay(a) => replay_cmd(a, g),
    }
}

fn journal(g: &Globals) -> anyhow::Result<Journal> {
    Ok(Journal::open_in(&g.lake)?)
}

/// The exchange URL of a mode: the config's `url`, else `QM_BINANCE_FUTURES_URL`, else the mode's host.
fn base_url(cfg: &BotConfig) -> String {
    if let Some(u) = &cfg.url {
        return u.clone();
    }
    if let Ok(u) = std::env::var(URL_VAR) {
        if !u.trim().is_empty() {
            return u;
        }
    }
    match cfg.mode {
        Mode::Paper | Mode::Live => LIVE_URL,
        Mode::Demo => DEMO_URL,
        Mode::Testnet => TESTNET_URL,
    }
    .to_string()
}

fn check_mode(cfg: &BotConfig, live: bool, path: &Path) -> anyhow::Result<()> {
    if cfg.mode == Mode::Live && !live {
        bail!("bot config `{}` has `mode = \"live\"`, which trades real money: pass `--live` to confirm", path.display());
    }
    Ok(())
}

fn rest_for(cfg: &BotConfig, clock: Clock) -> anyhow::Result<FuturesRest> {
    let rc = RestConfig::new(&base_url(cfg))?.with_env()?;
    let creds = if cfg.mode == Mode::Paper { None } else { Some(credentials::load(Some(Path::new(".env")))?) };
    Ok(FuturesRest::new(rc, creds, clock)?)
}

async fn run_one(cfg: BotConfig, lake: PathBuf, clock: Clock) -> anyhow::Result<Exit> {
    let j = Journal::open_in(&lake)?;
    let rest = rest_for(&cfg, clock.clone())?;
    let opts = RunOptions { recv_window_ms: rest.config().recv_window_ms as i64, prepare_account: cfg.mode != Mode::Paper, ..RunOptions::default() };
    let name = cfg.name.clone();
    let exit = if cfg.mode == Mode::Paper {
        let paper = PaperVenue::new(rest, cfg.capital, cfg.leverage, cfg.commission + cfg.slippage, cfg.maintenance_margin);
        let mut bot = Bot::start(cfg.clone(), paper, j, clock, opts).await?;
        bot.run().await?
    } else {
        let mut bot = Bot::start(cfg.clone(), rest, j, clock, opts).await?;
        bot.run().await?
    };
    // Bot tables in the lake once the bot stops.
    let j = Journal::open_in(&lake)?;
    if let Ok(l) = crate::lake::Lake::open(&lake) {
        export(&l, &cfg, &j.trades(&name)?, &j.equity(&name)?).await?;
    }
    Ok(exit)
}

fn run_bots(a: RunArgs, g: &Globals) -> anyhow::Result<()> {
    let mut cfgs = Vec::new();
    for p in &a.configs {
        let cfg = BotConfig::load(p)?;
        check_mode(&cfg, a.live, p)?;
        cfgs.push(cfg);
    }
    let j = journal(g)?;
    for c in &cfgs {
        j.upsert_bot(&c.name, &c.to_json(), c.mode.as_str())?;
        if a.fresh {
            j.reset_run(&c.name)?;
        }
        j.set_desired(&c.name, Desired::Running)?;
    }
    let clock = Clock::from_env()?;
    let rt = runtime()?;
    rt.block_on(async {
        // The manager: one task per bot; Ctrl-C asks every bot to stop at its next tick.
        let mut set = tokio::task::JoinSet::new();
        for c in cfgs.clone() {
            let (lake, clock) = (g.lake.clone(), clock.clone());
            set.spawn(async move {
                let name = c.name.clone();
                (name, run_one(c, lake, clock).await)
            });
        }
        let names: Vec<String> = cfgs.iter().map(|c| c.name.clone()).collect();
        let lake = g.lake.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                if let Ok(j) = Journal::open_in(&lake) {
                    for n in &names {
                        let _ = j.set_desired(n, Desired::Stopped);
                    }
                }
            }
        });
        let mut failed = None;
        while let Some(r) = set.join_next().await {
            let (name, r) = r.context("a bot task panicked")?;
            match r {
                Ok(Exit::RiskLimit(why)) => eprintln!("bot `{name}` stopped by a risk limit: {why}"),
                Ok(e) => eprintln!("bot `{name}`: {e:?}"),
                Err(e) => {
                    if let Ok(j) = Journal::open_in(&g.lake) {
                        let _ = j.set_status(&name, "failed", &format!("{e:#}"), None);
                        let _ = j.log(&name, "error", &format!("{e:#}"));
                    }
                    eprintln!("bot `{name}` failed: {e:#}");
                    failed = Some(e.context(format!("bot `{name}` failed")));
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

fn start_background(a: RunArgs, g: &Globals) -> anyhow::Result<()> {
    let dir = g.lake.join("bots");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let exe = std::env::current_exe().context("cannot find the qm executable")?;
    for p in &a.configs {
        let cfg = BotConfig::load(p)?;
        check_mode(&cfg, a.live, p)?;
        let log_path = dir.join(format!("{}.log", cfg.name));
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).with_context(|| format!("cannot open `{}`", log_path.display()))?;
        let mut cmd = std::process::Command::new(&exe);
        cmd.arg("--lake").arg(&g.lake).arg("bot").arg("run").arg(p);
        if a.live {
            cmd.arg("--live");
        }
        if a.fresh {
            cmd.arg("--fresh");
        }
        cmd.stdin(std::process::Stdio::null()).stdout(out.try_clone()?).stderr(out);
        let child = cmd.spawn().context("cannot start the bot process")?;
        println!("started bot `{}` (pid {}); log: {}", cfg.name, child.id(), log_path.display());
    }
    Ok(())
}

fn control(g: &Globals, name: &str, d: Desired) -> anyhow::Result<()> {
    let j = journal(g)?;
    j.set_desired(name, d)?;
    j.log(name, "info", &format!("requested: {}", d.as_str()))?;
    println!("bot `{name}`: {} requested", d.as_str());
    Ok(())
}

fn strs(v: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}

fn opt_ts(v: Option<i64>) -> String {
    v.map(fmt_time).unwrap_or_default()
}

fn status(g: &Globals, name: Option<&str>, format: Format) -> anyhow::Result<()> {
    let j = journal(g)?;
    let rows = match name {
        Some(n) => vec![j.bot(n)?],
        None => j.bots()?,
    };
    let mut cols: Vec<Vec<String>> = vec![Vec::new(); 10];
    for b in &rows {
        let cfg = BotConfig::from_json(&b.config).ok();
        let (trades, eq) = (j.trades(&b.name)?, j.equity(&b.name)?);
        let last = eq.last();
        let vals = [
            b.name.clone(),
            b.mode.clone(),
            cfg.as_ref().map(|c| format!("{} {}", c.symbol, c.interval)).unwrap_or_default(),
            cfg.as_ref().map(|c| c.strategy.clone()).unwrap_or_default(),
            b.status.clone(),
            b.desired.as_str().to_string(),
            trades.iter().filter(|t| t.exit_time.is_some()).count().to_string(),
            last.map(|e| format!("{:.2}", e.equity)).unwrap_or_default(),
            opt_ts(b.last_bar),
            b.reason.clone(),
        ];
        for (c, v) in cols.iter_mut().zip(vals) {
            c.push(v);
        }
    }
    let names = ["name", "mode", "market", "strategy", "status", "desired", "closed_trades", "equity", "last_bar", "reason"];
    let fields: Vec<Field> = names.iter().map(|n| Field::new(*n, DataType::Utf8, false)).collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), cols.into_iter().map(strs).collect())?;
    emit(&batch.schema(), &[batch], format, None)?;
    Ok(())
}

/// Print one bot's journal table (`bot_trades` or `bot_equity` rows), built by `table`.
fn journal_table(g: &Globals, name: &str, format: Format, table: impl Fn(&Journal, &BotConfig) -> anyhow::Result<RecordBatch>) -> anyhow::Result<()> {
    let j = journal(g)?;
    let cfg = BotConfig::from_json(&j.bot(name)?.config)?;
    let batch = table(&j, &cfg)?;
    emit(&batch.schema(), &[batch], format, None)?;
    Ok(())
}

fn trades(g: &Globals, name: &str, format: Format) -> anyhow::Result<()> {
    journal_table(g, name, format, |j, cfg| Ok(crate::live::bot::tables::trades_batch(cfg, &j.trades(name)?)))
}

fn equity(g: &Globals, name: &str, format: Format) -> anyhow::Result<()> {
    journal_table(g, name, format, |j, cfg| Ok(crate::live::bot::tables::equity_batch(cfg, &j.equity(name)?)))
}

fn log(g: &Globals, name: &str, limit: usize) -> anyhow::Result<()> {
    let j = journal(g)?;
    j.bot(name)?;
    for (t, level, msg) in j.logs(name, limit)? {
        println!("{} {level:5} {msg}", crate::import::time::format_millis(t));
    }
    Ok(())
}

fn account(g: &Globals, path: &Path, live: bool) -> anyhow::Result<()> {
    let _ = g;
    let cfg = BotConfig::load(path)?;
    check_mode(&cfg, live, path)?;
    if cfg.mode == Mode::Paper {
        bail!("bot config `{}` is a paper bot: it has no exchange account (`qm bot status {}` shows its paper equity)", path.display(), cfg.name);
    }
    let rt = runtime()?;
    let rest = rest_for(&cfg, Clock::from_env()?)?;
    let (bal, pos) = rt.block_on(async {
        rest.sync_time().await?;
        Ok::<_, crate::live::exchange::ExchangeError>((rest.balance().await?, rest.position(&cfg.symbol).await?))
    })?;
    let f = |v: f64| Arc::new(Float64Array::from(vec![v])) as ArrayRef;
    let schema = Schema::new(vec![
        Field::new("wallet", DataType::Float64, false),
        Field::new("available", DataType::Float64, false),
        Field::new("symbol", DataType::Utf8, false),
        Field::new("position", DataType::Float64, false),
        Field::new("entry_price", DataType::Float64, false),
        Field::new("unrealized", DataType::Float64, false),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![f(bal.balance), f(bal.available), strs(vec![cfg.symbol.clone()]), f(pos.qty), f(pos.entry_price), f(pos.unrealized)])?;
    emit(&batch.schema(), &[batch], Format::Table, None)?;
    Ok(())
}

fn export_cmd(g: &Globals, name: Option<&str>) -> anyhow::Result<()> {
    let j = journal(g)?;
    let lake = open_lake(g)?;
    let rows = match name {
        Some(n) => vec![j.bot(n)?],
        None => j.bots()?,
    };
    let rt = runtime()?;
    for b in rows {
        let cfg = BotConfig::from_json(&b.config)?;
        let (t, e) = (j.trades(&b.name)?, j.equity(&b.name)?);
        rt.block_on(export(&lake, &cfg, &t, &e))?;
        eprintln!("bot `{}`: {} trades, {} equity rows written to `bot_trades` / `bot_equity`", b.name, t.len(), e.len());
    }
    Ok(())
}

fn replay_cmd(a: ReplayArgs, g: &Globals) -> anyhow::Result<()> {
    let cfg = BotConfig::load(&a.config)?;
    let lake = open_lake(g)?;
    let rt = runtime()?;
    let all = rt.block_on(load_candles(&lake, &cfg.symbol, cfg.interval, None))?;
    let bound = |s: &Option<String>, flag: &str| -> anyhow::Result<Option<i64>> {
        s.as_deref().map(|v| parse_millis(v).with_context(|| format!("`{flag}` is `{v}`; expected epoch ms or ISO 8601 such as 2024-01-01T00:00:00Z"))).transpose()
    };
    let (from, to) = (bound(&a.from, "--from")?, bound(&a.to, "--to")?);
    let lo = from.map(|f| all.open_time.partition_point(|&t| t < f)).unwrap_or(0);
    let hi = to.map(|t| all.open_time.partition_point(|&x| x <= t)).unwrap_or(all.len());
    anyhow::ensure!(hi > lo + 1, "the range selects {} candles of `{}` `{}`; a replay needs at least 2", hi.saturating_sub(lo), cfg.symbol, cfg.interval);
    let candles = all.slice(lo, hi);
    let j = journal(g)?;
    let report = rt.block_on(replay(&cfg, &candles, j))?;
    let j = journal(g)?;
    rt.block_on(export(&lake, &cfg, &j.trades(&cfg.name)?, &j.equity(&cfg.name)?))?;
    // The comparison, one row per pair of trades.
    let (mut idx, mut bs, mut bt, mut verdict) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let leg = |l: &Option<crate::live::replay::Leg>| {
        l.as_ref().map(|l| format!("{} {}→{} {} qty {}", l.side, fmt_time(l.entry_time), opt_ts(l.exit_time), l.reason, l.qty)).unwrap_or_else(|| "-".into())
    };
    for (i, p) in report.pairs.iter().enumerate() {
        idx.push(i as i64 + 1);
        bs.push(leg(&p.bot));
        bt.push(leg(&p.backtest));
        verdict.push(format!("{:?}", p.verdict).to_ascii_lowercase());
    }
    let schema = Schema::new(vec![
        Field::new("trade", DataType::Int64, false),
        Field::new("bot", DataType::Utf8, false),
        Field::new("backtest", DataType::Utf8, false),
        Field::new("verdict", DataType::Utf8, false),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(Int64Array::from(idx)), strs(bs), strs(bt), strs(verdict)])?;
    emit(&batch.schema(), &[batch], a.format, None)?;
    let lat = &report.wake_to_order_ms;
    eprintln!(
        "replay `{}`: {} bars in {:.2} s, {} bot trades vs {} backtest trades: {} ({} kernel look-ahead bar(s), {} trade(s) sized down to the wallet); decision latency (wake→order) median {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} orders",
        cfg.name,
        report.bars,
        report.wall_s,
        report.bot.len(),
        report.backtest.len(),
        match report.first_mismatch {
            None => "PARITY".to_string(),
            Some(i) => format!("first difference at row {}", i + 1),
        },
        report.lookahead,
        report.capped,
        quantile(lat, 0.5),
        quantile(lat, 0.99),
        quantile(lat, 1.0),
        lat.len()
    );
    if !report.parity() {
        bail!("replay of `{}` differs from the backtest (first at row {})", cfg.name, report.first_mismatch.unwrap_or(0) + 1);
    }
    Ok(())
}
