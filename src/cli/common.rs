//! Helpers shared by subcommands: the async runtime and loading candles with a useful hint.

use anyhow::Context;

use crate::candles::Candles;
use crate::lake::Lake;
use crate::timeframe::Timeframe;

/// A multi-threaded tokio runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

/// Open the lake named by `--lake` / `QM_LAKE`.
pub fn open_lake(g: &super::Globals) -> anyhow::Result<Lake> {
    Lake::open(&g.lake).with_context(|| format!("cannot open the lake at `{}`", g.lake.display()))
}

/// The newest `limit` candles of (symbol, timeframe), or an error that says how to get them.
pub async fn load_candles(lake: &Lake, symbol: &str, tf: Timeframe, limit: Option<usize>) -> anyhow::Result<Candles> {
    let stored = lake.read_ohlcv(symbol, tf).await?;
    let Some(o) = stored.filter(|o| !o.is_empty()) else {
        anyhow::bail!(
            "the lake at `{}` has no `{symbol}` `{tf}` candles; hint: `qm fetch --symbols {symbol} --interval {tf}` or `qm data synth --symbols {symbol} --interval {tf}`",
            lake.root().display()
        );
    };
    Ok(match limit {
        Some(n) => o.candles.tail(n),
        None => o.candles,
    })
}

/// Parse `--interval` with the list of valid values in the error.
pub fn parse_timeframe(s: &str) -> anyhow::Result<Timeframe> {
    Ok(s.parse::<Timeframe>()?)
}
