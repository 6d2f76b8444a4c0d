//! `qm sweep`: one (symbol, timeframe) over a grid × SL/TP levels, optionally walk-forward.

use super::common::{open_lake, runtime};
use super::sweeping::{print_ranking, sweep_one};
use super::Globals;
use crate::output::Format;
use crate::sweep::exec::SweepParams;
use crate::sweep::spec::{parse_levels, CostSpec, GridSpec, SweepSpec, WalkForwardSpec};
use crate::timeframe::Timeframe;

#[derive(Debug, clap::Args)]
#[command(after_help = "Writes lake tables `mega` (full period; rows with at least --min-trades trades) and, \
with --walkforward, `wf` and `wf_windows`, under partition symbol/timeframe/run. Re-running a run name \
replaces that run's rows of this symbol and timeframe. Prints the top of the ranking.")]
pub struct SweepArgs {
    /// Symbol in the lake, e.g. BTCUSDT.
    #[arg(long)]
    pub symbol: String,
    /// Candle interval.
    #[arg(long)]
    pub interval: Timeframe,
    /// `quantmuse` (the 17,273 combinations) or a JSON grid file of {"strategy", "params"} objects.
    #[arg(long, default_value = "quantmuse")]
    pub grid: String,
    /// SL:TP levels as fractions, comma-separated; `0:0` = none.
    #[arg(long = "sl-tp", default_value = "0.005:0.015,0.01:0.03,0.02:0.06")]
    pub sl_tp: String,
    #[arg(long, default_value_t = 1.0)]
    pub leverage: f64,
    /// Keep full-period rows with at least this many trades.
    #[arg(long = "min-trades", default_value_t = 3)]
    pub min_trades: u64,
    /// Use only the newest N candles.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Also run walk-forward validation.
    #[arg(long)]
    pub walkforward: bool,
    #[arg(long, default_value_t = 5, requires = "walkforward")]
    pub windows: usize,
    #[arg(long = "train-pct", default_value_t = 0.70, requires = "walkforward")]
    pub train_pct: f64,
    /// Run name (partition `run=`).
    #[arg(long, default_value = "sweep")]
    pub name: String,
    #[arg(long, default_value_t = 10_000.0)]
    pub capital: f64,
    #[arg(long, default_value_t = 0.001)]
    pub commission: f64,
    #[arg(long, default_value_t = 0.0002)]
    pub slippage: f64,
    #[arg(long = "maintenance-margin", default_value_t = 0.005)]
    pub maintenance_margin: f64,
    /// Rows of the ranking to print (0: none).
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(a: SweepArgs, g: &Globals) -> anyhow::Result<()> {
    crate::tables::validate_run(&a.name)?;
    let walkforward = a.walkforward.then_some(WalkForwardSpec { windows: a.windows, train_pct: a.train_pct, ..Default::default() });
    let spec = SweepSpec {
        run: a.name.clone(),
        grid: GridSpec::parse(&a.grid),
        levels: parse_levels(&a.sl_tp)?,
        leverage: a.leverage,
        min_trades: a.min_trades,
        cost: CostSpec { capital: a.capital, commission: a.commission, slippage: a.slippage, maintenance_margin: a.maintenance_margin },
        walkforward,
    };
    spec.validate()?;
    let params = SweepParams { symbol: a.symbol.clone(), timeframe: a.interval, limit: a.limit, spec };
    params.combos()?; // a bad grid file fails before any work
    let lake = open_lake(g)?;
    runtime()?.block_on(async {
        sweep_one(&lake, &params, g.quiet).await?;
        if a.top > 0 {
            print_ranking(&lake, &a.name, Some((&a.symbol, a.interval.as_str())), a.walkforward, a.top, a.format).await?;
        }
        Ok(())
    })
}
