//! Pipeline files: raw TOML parsed with spans, then validated into a `PipelinePlan`.
//! Every error names the line, the key, the value and what is allowed.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::lake::validate_symbol;
use crate::sweep::spec::{check_level, CostSpec, GridSpec, Level, SweepSpec, WalkForwardSpec};
use crate::timeframe::Timeframe;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read pipeline `{path}`: {err}")]
    Read { path: String, err: std::io::Error },
    #[error("{path}:{line}: {message}")]
    Invalid { path: String, line: usize, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    pipeline: RawPipeline,
    data: RawData,
    sweep: Option<RawSweep>,
    walkforward: Option<Spanned<RawWalkForward>>,
    report: Option<RawReport>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    name: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    source: Spanned<String>,
    symbols: Spanned<Vec<Spanned<String>>>,
    interval: Spanned<String>,
    limit: Option<Spanned<i64>>,
    bars: Option<Spanned<i64>>,
    seed: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    grid: Option<Spanned<String>>,
    sl_tp: Option<Spanned<Vec<Spanned<Vec<f64>>>>>,
    leverage: Option<Spanned<f64>>,
    min_trades: Option<Spanned<i64>>,
    capital: Option<Spanned<f64>>,
    commission: Option<Spanned<f64>>,
    slippage: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWalkForward {
    windows: Option<Spanned<i64>>,
    train_pct: Option<Spanned<f64>>,
    min_test: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    top: Option<Spanned<i64>>,
    record: Option<Spanned<i64>>,
}

/// Where a pipeline's candles come from.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    Binance { futures: bool },
    Lake,
    Synthetic { bars: usize, seed: u64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataPlan {
    pub source: DataSource,
    pub symbols: Vec<String>,
    pub interval: Timeframe,
    /// Newest candles used (and fetched); `None` = all stored.
    pub limit: Option<usize>,
}

/// A validated pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelinePlan {
    pub name: String,
    pub data: DataPlan,
    pub sweep: SweepSpec,
    pub top: usize,
    /// Best results of each series replayed with trades and equity curve (`trades`, `equity`).
    pub record: usize,
}

struct Ctx<'a> {
    path: String,
    text: &'a str,
}

impl Ctx<'_> {
    fn err<T>(&self, span: std::ops::Range<usize>, key: &str, value: impl std::fmt::Display, allowed: &str) -> Result<T, ConfigError> {
        Err(ConfigError::Invalid {
            path: self.path.clone(),
            line: line_of(self.text, span.start),
            message: format!("invalid `{key}` = `{value}`: {allowed}"),
        })
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

/// Read and validate a pipeline file. Relative grid paths resolve against the file's folder.
pub fn load(path: &Path) -> Result<PipelinePlan, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| ConfigError::Read { path: path.display().to_string(), err })?;
    parse(&text, path)
}

/// Validate pipeline text; `path` names it in errors and anchors relative paths.
pub fn parse(text: &str, path: &Path) -> Result<PipelinePlan, ConfigError> {
    let cx = Ctx { path: path.display().to_string(), text };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        ConfigError::Invalid { path: cx.path.clone(), line, message: e.message().trim().replace('\n', " ") }
    })?;

    let name = raw.pipeline.name;
    if name.get_ref().is_empty() || !name.get_ref().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
        return cx.err(name.span(), "pipeline.name", name.get_ref(), "use letters, digits, `-`, `_` and `.`");
    }

    let d = raw.data;
    let interval: Timeframe = match d.interval.get_ref().parse() {
        Ok(t) => t,
        Err(_) => return cx.err(d.interval.span(), "data.interval", d.interval.get_ref(), &format!("one of {}", Timeframe::valid_list())),
    };
    let positive = |v: &Option<Spanned<i64>>, key: &str, max: i64| -> Result<Option<usize>, ConfigError> {
        match v {
            None => Ok(None),
            Some(s) if (1..=max).contains(s.get_ref()) => Ok(Some(*s.get_ref() as usize)),
            Some(s) => cx.err(s.span(), key, s.get_ref(), &format!("an integer from 1 to {max}")),
        }
    };
    let limit = positive(&d.limit, "data.limit", 10_000_000)?;
    let source = match d.source.get_ref().as_str() {
        "binance" => DataSource::Binance { futures: false },
        "binance-futures" => DataSource::Binance { futures: true },
        "lake" => DataSource::Lake,
        "synthetic" => {
            let bars = positive(&d.bars, "data.bars", 10_000_000)?.unwrap_or(5_000);
            let seed = match &d.seed {
                None => 42,
                Some(s) if *s.get_ref() >= 0 => *s.get_ref() as u64,
                Some(s) => return cx.err(s.span(), "data.seed", s.get_ref(), "a non-negative integer"),
            };
            DataSource::Synthetic { bars, seed }
        }
        other => return cx.err(d.source.span(), "data.source", other, "one of binance, binance-futures, lake, synthetic"),
    };
    if d.symbols.get_ref().is_empty() {
        return cx.err(d.symbols.span(), "data.symbols", "[]", "at least one symbol such as `BTCUSDT`");
    }
    let mut symbols = Vec::new();
    for s in d.symbols.get_ref() {
        if validate_symbol(s.get_ref()).is_err() {
            return cx.err(s.span(), "data.symbols", s.get_ref(), "upper-case exchange symbols such as `BTCUSDT`");
        }
        if !symbols.contains(s.get_ref()) {
            symbols.push(s.get_ref().clone());
        }
    }

    let base = path.parent().unwrap_or(Path::new("."));
    let mut sweep = SweepSpec {
        run: name.get_ref().clone(),
        grid: GridSpec::Quantmuse,
        levels: crate::sweep::spec::DEFAULT_LEVELS.to_vec(),
        leverage: 1.0,
        min_trades: 3,
        cost: CostSpec::default(),
        walkforward: None,
    };
    if let Some(s) = raw.sweep {
        if let Some(g) = s.grid {
            sweep.grid = match GridSpec::parse(g.get_ref()) {
                GridSpec::File(p) => {
                    let p: PathBuf = if p.is_absolute() { p } else { base.join(p) };
                    if !p.is_file() {
                        return cx.err(g.span(), "sweep.grid", g.get_ref(), "`quantmuse` or an existing grid JSON file");
                    }
                    GridSpec::File(p)
                }
                q => q,
            };
        }
        if let Some(levels) = s.sl_tp {
            let mut out: Vec<Level> = Vec::new();
            for l in levels.get_ref() {
                let v = l.get_ref();
                let lv = if v.len() == 2 { check_level(v[0], v[1]).ok() } else { None };
                match lv {
                    Some(lv) => out.push(lv),
                    None => return cx.err(l.span(), "sweep.sl_tp", format!("{v:?}"), "pairs `[stop_loss, take_profit]` of fractions in [0, 1), e.g. [0.01, 0.03]; [0, 0] = none"),
                }
            }
            if out.is_empty() {
                return cx.err(levels.span(), "sweep.sl_tp", "[]", "at least one `[stop_loss, take_profit]` pair");
            }
            sweep.levels = out;
        }
        if let Some(l) = s.leverage {
            if !(1.0..=125.0).contains(l.get_ref()) {
                return cx.err(l.span(), "sweep.leverage", l.get_ref(), "a number from 1 to 125");
            }
            sweep.leverage = *l.get_ref();
        }
        if let Some(m) = s.min_trades {
            if *m.get_ref() < 0 {
                return cx.err(m.span(), "sweep.min_trades", m.get_ref(), "a non-negative integer");
            }
            sweep.min_trades = *m.get_ref() as u64;
        }
        if let Some(c) = s.capital {
            if !(*c.get_ref() > 0.0 && c.get_ref().is_finite()) {
                return cx.err(c.span(), "sweep.capital", c.get_ref(), "a positive number");
            }
            sweep.cost.capital = *c.get_ref();
        }
        for (v, key, slot) in [(s.commission, "sweep.commission", &mut sweep.cost.commission), (s.slippage, "sweep.slippage", &mut sweep.cost.slippage)] {
            if let Some(v) = v {
                if !(0.0..0.5).contains(v.get_ref()) {
                    return cx.err(v.span(), key, v.get_ref(), "a fraction from 0 to 0.5");
                }
                *slot = *v.get_ref();
            }
        }
    }
    if let Some(wf) = raw.walkforward {
        let span = wf.span();
        let wf = wf.into_inner();
        let mut spec = WalkForwardSpec::default();
        if let Some(w) = wf.windows {
            if !(1..=100).contains(w.get_ref()) {
                return cx.err(w.span(), "walkforward.windows", w.get_ref(), "an integer from 1 to 100");
            }
            spec.windows = *w.get_ref() as usize;
        }
        if let Some(t) = wf.train_pct {
            if !(*t.get_ref() > 0.0 && *t.get_ref() < 1.0) {
                return cx.err(t.span(), "walkforward.train_pct", t.get_ref(), "a fraction strictly between 0 and 1");
            }
            spec.train_pct = *t.get_ref();
        }
        if let Some(m) = wf.min_test {
            if !(1..=1_000_000).contains(m.get_ref()) {
                return cx.err(m.span(), "walkforward.min_test", m.get_ref(), "an integer from 1 to 1000000");
            }
            spec.min_test = *m.get_ref() as usize;
        }
        let _ = span;
        sweep.walkforward = Some(spec);
    }
    let (raw_top, raw_record) = raw.report.map_or((None, None), |r| (r.top, r.record));
    let top = match raw_top {
        None => 20,
        Some(t) if (1..=10_000).contains(t.get_ref()) => *t.get_ref() as usize,
        Some(t) => return cx.err(t.span(), "report.top", t.get_ref(), "an integer from 1 to 10000"),
    };
    let record = match raw_record {
        None => 1,
        Some(r) if (0..=100).contains(r.get_ref()) => *r.get_ref() as usize,
        Some(r) => return cx.err(r.span(), "report.record", r.get_ref(), "an integer from 0 to 100 (best results per series to record; 0 = none)"),
    };
    Ok(PipelinePlan { name: name.into_inner(), data: DataPlan { source, symbols, interval, limit }, sweep, top, record })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[pipeline]
name = "mega-1h"
[data]
source = "binance"
symbols = ["BTCUSDT", "ETHUSDT"]
interval = "1h"
limit = 15000
[sweep]
grid = "quantmuse"
sl_tp = [[0.005, 0.015], [0.01, 0.03], [0.02, 0.06]]
leverage = 1
min_trades = 3
[walkforward]
windows = 5
train_pct = 0.70
"#;

    fn p(t: &str) -> Result<PipelinePlan, ConfigError> {
        parse(t, Path::new("x.toml"))
    }

    #[test]
    fn parses_the_issue_example() {
        let plan = p(GOOD).unwrap();
        assert_eq!(plan.data.symbols, vec!["BTCUSDT", "ETHUSDT"]);
        assert_eq!(plan.data.limit, Some(15000));
        assert_eq!(plan.sweep.levels.len(), 3);
        assert_eq!(plan.sweep.walkforward.unwrap().windows, 5);
        assert_eq!(plan.sweep.run, "mega-1h");
    }

    #[test]
    fn errors_name_line_key_and_allowed() {
        let e = p(&GOOD.replace("interval = \"1h\"", "interval = \"7m\"")).unwrap_err().to_string();
        assert!(e.starts_with("x.toml:7:") && e.contains("data.interval") && e.contains("`7m`") && e.contains("15m"), "{e}");
        let e = p(&GOOD.replace("leverage = 1\n", "leverage = 500\n")).unwrap_err().to_string();
        assert!(e.contains("x.toml:12:") && e.contains("sweep.leverage"), "{e}");
        let e = p(&GOOD.replace("min_trades = 3", "min_trade = 3")).unwrap_err().to_string();
        assert!(e.contains("x.toml:13") && e.contains("min_trade"), "{e}");
        let e = p(&GOOD.replace("source = \"binance\"", "source = \"kraken\"")).unwrap_err().to_string();
        assert!(e.contains("data.source") && e.contains("synthetic"), "{e}");
        let e = p(&GOOD.replace("[0.01, 0.03],", "[0.01],")).unwrap_err().to_string();
        assert!(e.contains("sweep.sl_tp"), "{e}");
        let e = p("[pipeline]\nname = \"x\"\n[data\n").unwrap_err().to_string();
        assert!(e.contains("x.toml:3"), "{e}");
    }
}
