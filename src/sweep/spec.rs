//! What a sweep computes, as plain serialisable data: the same spec drives `qm sweep`,
//! pipelines and (later) the distributed operator, so it must round-trip through serde.

use serde::{Deserialize, Serialize};

/// Where the combinations come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GridSpec {
    /// The 17,273 combinations of QuantMuse's study.
    Quantmuse,
    /// A JSON file holding a list of `{"strategy", "params"}`.
    File(std::path::PathBuf),
}

impl GridSpec {
    /// `quantmuse` or a path.
    pub fn parse(s: &str) -> GridSpec {
        if s == "quantmuse" {
            GridSpec::Quantmuse
        } else {
            GridSpec::File(s.into())
        }
    }

    pub fn label(&self) -> String {
        match self {
            GridSpec::Quantmuse => "quantmuse".into(),
            GridSpec::File(p) => p.display().to_string(),
        }
    }
}

/// One stop-loss / take-profit level (fractions of the entry price; 0 = off).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub stop_loss: f64,
    pub take_profit: f64,
}

/// The reference's three mega-sweep levels.
pub const DEFAULT_LEVELS: [Level; 3] = [
    Level { stop_loss: 0.005, take_profit: 0.015 },
    Level { stop_loss: 0.01, take_profit: 0.03 },
    Level { stop_loss: 0.02, take_profit: 0.06 },
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    #[error("invalid SL/TP level `{0}`: use `SL:TP` fractions such as `0.01:0.03` (`0:0` = none), comma-separated")]
    BadLevel(String),
    #[error("invalid {name} `{value}`: {allowed}")]
    OutOfRange { name: &'static str, value: String, allowed: &'static str },
}

/// Parse `0.005:0.015,0.01:0.03`.
pub fn parse_levels(s: &str) -> Result<Vec<Level>, SpecError> {
    s.split(',')
        .map(|part| {
            let bad = || SpecError::BadLevel(part.trim().to_string());
            let (a, b) = part.trim().split_once(':').ok_or_else(bad)?;
            let sl: f64 = a.trim().parse().map_err(|_| bad())?;
            let tp: f64 = b.trim().parse().map_err(|_| bad())?;
            check_level(sl, tp).map_err(|_| bad())
        })
        .collect()
}

/// A level must be two finite fractions in [0, 1).
pub fn check_level(stop_loss: f64, take_profit: f64) -> Result<Level, SpecError> {
    for x in [stop_loss, take_profit] {
        if !(x.is_finite() && (0.0..1.0).contains(&x)) {
            return Err(SpecError::BadLevel(format!("{stop_loss}:{take_profit}")));
        }
    }
    Ok(Level { stop_loss, take_profit })
}

/// Walk-forward settings (spec §5).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WalkForwardSpec {
    pub windows: usize,
    pub train_pct: f64,
    pub min_test: usize,
}

impl Default for WalkForwardSpec {
    fn default() -> Self {
        WalkForwardSpec { windows: 5, train_pct: 0.70, min_test: 100 }
    }
}

impl WalkForwardSpec {
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.windows < 1 || self.windows > 100 {
            return Err(SpecError::OutOfRange { name: "windows", value: self.windows.to_string(), allowed: "an integer from 1 to 100" });
        }
        if !(self.train_pct > 0.0 && self.train_pct < 1.0) {
            return Err(SpecError::OutOfRange { name: "train_pct", value: self.train_pct.to_string(), allowed: "a fraction strictly between 0 and 1" });
        }
        Ok(())
    }
}

/// Costs and account settings of every backtest in a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostSpec {
    pub capital: f64,
    pub commission: f64,
    pub slippage: f64,
    pub maintenance_margin: f64,
}

impl Default for CostSpec {
    fn default() -> Self {
        CostSpec { capital: 10_000.0, commission: 0.001, slippage: 0.0002, maintenance_margin: 0.005 }
    }
}

impl CostSpec {
    /// The kernel's cost model of these settings.
    pub fn model(&self) -> crate::kernel::CostModel {
        crate::kernel::CostModel {
            capital: self.capital,
            commission: self.commission,
            slippage: self.slippage,
            maintenance_margin: self.maintenance_margin,
        }
    }
}

/// A whole sweep of one (symbol, timeframe) partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    pub run: String,
    pub grid: GridSpec,
    pub levels: Vec<Level>,
    pub leverage: f64,
    pub min_trades: u64,
    pub cost: CostSpec,
    pub walkforward: Option<WalkForwardSpec>,
}

impl SweepSpec {
    pub fn validate(&self) -> Result<(), SpecError> {
        if !(self.leverage.is_finite() && (1.0..=125.0).contains(&self.leverage)) {
            return Err(SpecError::OutOfRange { name: "leverage", value: self.leverage.to_string(), allowed: "a number from 1 to 125" });
        }
        if self.levels.is_empty() {
            return Err(SpecError::BadLevel(String::new()));
        }
        if !(self.cost.capital.is_finite() && self.cost.capital > 0.0) {
            return Err(SpecError::OutOfRange { name: "capital", value: self.cost.capital.to_string(), allowed: "a positive number" });
        }
        for (name, v) in [("commission", self.cost.commission), ("slippage", self.cost.slippage), ("maintenance_margin", self.cost.maintenance_margin)] {
            if !(v.is_finite() && (0.0..0.5).contains(&v)) {
                return Err(SpecError::OutOfRange { name, value: v.to_string(), allowed: "a fraction from 0 to 0.5" });
            }
        }
        if let Some(wf) = &self.walkforward {
            wf.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_reject() {
        assert_eq!(parse_levels("0.005:0.015,0.01:0.03,0.02:0.06").unwrap(), DEFAULT_LEVELS.to_vec());
        assert_eq!(parse_levels("0:0").unwrap(), vec![Level { stop_loss: 0.0, take_profit: 0.0 }]);
        assert_eq!(parse_levels("0.01").unwrap_err(), SpecError::BadLevel("0.01".into()));
        assert!(parse_levels("0.01:x").is_err());
        assert!(parse_levels("-1:0.2").is_err());
    }

    #[test]
    fn spec_roundtrips_through_json() {
        let s = SweepSpec {
            run: "r".into(),
            grid: GridSpec::Quantmuse,
            levels: DEFAULT_LEVELS.to_vec(),
            leverage: 1.0,
            min_trades: 3,
            cost: CostSpec::default(),
            walkforward: Some(WalkForwardSpec::default()),
        };
        let j = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<SweepSpec>(&j).unwrap(), s);
        assert!(s.validate().is_ok());
    }
}
