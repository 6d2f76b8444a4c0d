//! A bot's TOML configuration: what it trades, how, and the limits that stop it.
//!
//! ```toml
//! name = "rsi-btc-1h"
//! strategy = "EMA Crossover"     # `qm strategies` lists the names and parameters
//! params = { fast_period = 10, slow_period = 30 }
//! symbol = "BTCUSDT"
//! interval = "1h"
//! mode = "paper"            # paper | demo | testnet | live
//! capital = 10000
//! leverage = 1
//! margin_type = "isolated"  # isolated | crossed
//! stop_loss = 0.01          # fractions of the entry price, 0 = off
//! take_profit = 0.03
//! max_drawdown = 0.25       # from the equity peak, 0 = off
//! daily_loss_limit = 0.05   # from the UTC day's first equity, 0 = off
//! lookback = 500            # closed candles fetched before the first decision
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::kernel::{CostModel, Risk};
use crate::live::exchange::MarginType;
use crate::strategies::{parse_combo, Combo};
use crate::timeframe::Timeframe;

/// Where orders go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Public futures candles, fills simulated with the kernel's cost model; no keys.
    Paper,
    /// Binance's futures Demo Trading (`demo-fapi.binance.com`).
    Demo,
    /// The older futures testnet (`testnet.binancefuture.com`).
    Testnet,
    /// Real money: needs keys and `--live`.
    Live,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Paper => "paper",
            Mode::Demo => "demo",
            Mode::Testnet => "testnet",
            Mode::Live => "live",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    pub name: String,
    pub strategy: String,
    pub params: serde_json::Value,
    pub symbol: String,
    pub interval: Timeframe,
    #[serde(default = "default_mode")]
    pub mode: Mode,
    #[serde(default = "default_capital")]
    pub capital: f64,
    #[serde(default = "one")]
    pub leverage: u32,
    #[serde(default = "default_margin")]
    pub margin_type: MarginType,
    #[serde(default)]
    pub stop_loss: f64,
    #[serde(default)]
    pub take_profit: f64,
    #[serde(default)]
    pub max_drawdown: f64,
    #[serde(default)]
    pub daily_loss_limit: f64,
    #[serde(default = "default_lookback")]
    pub lookback: usize,
    /// The kernel's cost model (decisions and sizing); real fills pay the exchange's fees.
    #[serde(default = "default_commission")]
    pub commission: f64,
    #[serde(default = "default_slippage")]
    pub slippage: f64,
    #[serde(default = "default_mm")]
    pub maintenance_margin: f64,
    /// Exchange base URL; default by mode, `QM_BINANCE_FUTURES_URL` overrides both.
    #[serde(default)]
    pub url: Option<String>,
}

fn default_mode() -> Mode {
    Mode::Paper
}
fn default_capital() -> f64 {
    CostModel::default().capital
}
fn one() -> u32 {
    1
}
fn default_margin() -> MarginType {
    MarginType::Isolated
}
fn default_lookback() -> usize {
    500
}
fn default_commission() -> f64 {
    CostModel::default().commission
}
fn default_slippage() -> f64 {
    CostModel::default().slippage
}
fn default_mm() -> f64 {
    CostModel::default().maintenance_margin
}

/// A config that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read bot config `{path}`: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("bot config `{path}`: {msg}")]
    Parse { path: String, msg: String },
    #[error("bot config `{path}`: `{key}` is `{value}`; {allowed}")]
    Invalid { path: String, key: &'static str, value: String, allowed: String },
}

impl BotConfig {
    pub fn load(path: &Path) -> Result<BotConfig, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read { path: p.clone(), error })?;
        BotConfig::parse(&text, &p)
    }

    /// Parse and validate `text` (`origin` names it in errors).
    pub fn parse(text: &str, origin: &str) -> Result<BotConfig, ConfigError> {
        let cfg: BotConfig = toml::from_str(text).map_err(|e| ConfigError::Parse { path: origin.to_string(), msg: one_line(&e.to_string()) })?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &'static str, value: String, allowed: &str| ConfigError::Invalid { path: origin.into(), key, value, allowed: allowed.into() };
        if self.name.is_empty() || self.name.len() > 64 || !self.name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            return Err(bad("name", self.name.clone(), "use 1 to 64 of `A-Z a-z 0-9 - _ .`"));
        }
        crate::lake::validate_symbol(&self.symbol).map_err(|e| bad("symbol", self.symbol.clone(), &e.to_string()))?;
        self.combo().map_err(|e| bad("params", self.params.to_string(), &e.to_string()))?;
        if !(1..=125).contains(&self.leverage) {
            return Err(bad("leverage", self.leverage.to_string(), "it must be a whole number from 1 to 125"));
        }
        self.risk().map_err(|e| bad("stop_loss/take_profit", format!("{}/{}", self.stop_loss, self.take_profit), &e.to_string()))?;
        self.cost().validate().map_err(|e| bad("capital/commission/slippage/maintenance_margin", String::new(), &e.to_string()))?;
        for (key, v) in [("max_drawdown", self.max_drawdown), ("daily_loss_limit", self.daily_loss_limit)] {
            if !(v.is_finite() && (0.0..1.0).contains(&v)) {
                return Err(bad(key, v.to_string(), "it must be a fraction in [0, 1) (0 = off)"));
            }
        }
        if self.lookback > 100_000 {
            return Err(bad("lookback", self.lookback.to_string(), "at most 100000 candles"));
        }
        Ok(())
    }

    pub fn combo(&self) -> Result<Combo, crate::strategies::StrategyError> {
        parse_combo(&self.strategy, &self.params)
    }

    pub fn risk(&self) -> Result<Risk, crate::kernel::KernelError> {
        Risk::new(self.stop_loss, self.take_profit, self.leverage as f64)
    }

    pub fn cost(&self) -> CostModel {
        CostModel { capital: self.capital, commission: self.commission, slippage: self.slippage, maintenance_margin: self.maintenance_margin }
    }

    /// The config as canonical JSON (stored in the journal).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a bot config serialises")
    }

    pub fn from_json(text: &str) -> Result<BotConfig, ConfigError> {
        let cfg: BotConfig = serde_json::from_str(text).map_err(|e| ConfigError::Parse { path: "journal".into(), msg: e.to_string() })?;
        cfg.validate("journal")?;
        Ok(cfg)
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).filter(|l| !l.is_empty() && !l.chars().all(|c| c == '|' || c == '^' || c == ' ')).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
name = "sma-eth"
strategy = "EMA Crossover"
params = { fast_period = 10, slow_period = 30 }
symbol = "ETHUSDT"
interval = "1h"
stop_loss = 0.01
take_profit = 0.03
leverage = 5
"#;

    #[test]
    fn parses_and_round_trips() {
        let c = BotConfig::parse(OK, "t.toml");
        let c = match c {
            Ok(c) => c,
            Err(e) => {
                // The strategy's parameter names come from the registry; show them.
                panic!("{e}")
            }
        };
        assert_eq!((c.mode, c.leverage, c.lookback), (Mode::Paper, 5, 500));
        assert_eq!(BotConfig::from_json(&c.to_json()).unwrap(), c);
    }

    #[test]
    fn errors_name_the_key() {
        let e = BotConfig::parse(&OK.replace("leverage = 5", "leverage = 500"), "t.toml").unwrap_err().to_string();
        assert!(e.contains("`leverage` is `500`"), "{e}");
        let e = BotConfig::parse(&OK.replace("interval = \"1h\"", "interval = \"7x\""), "t.toml").unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("7x"), "{e}");
        let e = BotConfig::parse(&format!("{OK}\nbogus = 1\n"), "t.toml").unwrap_err().to_string();
        assert!(e.contains("bogus"), "{e}");
        let e = BotConfig::parse(&OK.replace("mode", "x").replace("stop_loss = 0.01", "mode = \"moon\""), "t.toml").unwrap_err().to_string();
        assert!(e.contains("moon"), "{e}");
    }
}
