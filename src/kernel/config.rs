//! Backtest configuration: the cost model and the per-run risk settings, with validation.

use super::KernelError;

/// Account and exchange costs. `Default` is the reference's: capital 10,000, commission 0.001,
/// slippage 0.0002, maintenance margin rate 0.005.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostModel {
    pub capital: f64,
    pub commission: f64,
    pub slippage: f64,
    pub maintenance_margin: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel { capital: 10_000.0, commission: 0.001, slippage: 0.0002, maintenance_margin: 0.005 }
    }
}

impl CostModel {
    /// The cost rate charged on every fill's notional: `commission + slippage` in float64
    /// (`0.0012000000000000001` for the defaults, as the reference computes it).
    #[inline]
    pub fn cost(&self) -> f64 {
        self.commission + self.slippage
    }

    /// Reject values the kernel cannot give a meaning to.
    pub fn validate(&self) -> Result<(), KernelError> {
        check("capital", self.capital, self.capital.is_finite() && self.capital > 0.0, "a finite number > 0")?;
        check("commission", self.commission, finite_non_negative(self.commission), "a finite number >= 0")?;
        check("slippage", self.slippage, finite_non_negative(self.slippage), "a finite number >= 0")?;
        check(
            "maintenance_margin",
            self.maintenance_margin,
            finite_non_negative(self.maintenance_margin) && self.maintenance_margin < 1.0,
            "a number in [0, 1)",
        )
    }
}

/// Per-run risk settings: stop-loss and take-profit as fractions of the entry price
/// (`0` = off) and the leverage (values below 1 are treated as 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Risk {
    pub stop_loss: f64,
    pub take_profit: f64,
    pub leverage: f64,
}

impl Default for Risk {
    fn default() -> Self {
        Risk { stop_loss: 0.0, take_profit: 0.0, leverage: 1.0 }
    }
}

impl Risk {
    pub fn new(stop_loss: f64, take_profit: f64, leverage: f64) -> Result<Risk, KernelError> {
        let r = Risk { stop_loss, take_profit, leverage };
        r.validate()?;
        Ok(r)
    }

    /// The leverage the kernel applies: `max(1, leverage)`.
    #[inline]
    pub fn effective_leverage(&self) -> f64 {
        if self.leverage > 1.0 {
            self.leverage
        } else {
            1.0
        }
    }

    pub fn validate(&self) -> Result<(), KernelError> {
        check("stop_loss", self.stop_loss, finite_non_negative(self.stop_loss) && self.stop_loss < 1.0, "a number in [0, 1)")?;
        check("take_profit", self.take_profit, finite_non_negative(self.take_profit), "a finite number >= 0")?;
        check("leverage", self.leverage, self.leverage.is_finite() && self.leverage > 0.0, "a finite number > 0")
    }
}

fn finite_non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

fn check(name: &'static str, value: f64, ok: bool, allowed: &'static str) -> Result<(), KernelError> {
    if ok {
        Ok(())
    } else {
        Err(KernelError::Invalid { name, value, allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_cost_is_the_float_sum() {
        let c = CostModel::default();
        assert_eq!(c.cost(), 0.0012000000000000001);
        assert_ne!(c.cost(), 0.0012);
        c.validate().unwrap();
    }

    #[test]
    fn rejects_bad_values_with_their_name() {
        let err = Risk::new(-0.01, 0.0, 1.0).unwrap_err().to_string();
        assert!(err.contains("stop_loss") && err.contains("`-0.01`"), "{err}");
        let err = Risk::new(0.0, 0.0, f64::NAN).unwrap_err().to_string();
        assert!(err.contains("leverage"), "{err}");
        let err = CostModel { capital: 0.0, ..CostModel::default() }.validate().unwrap_err().to_string();
        assert!(err.contains("capital") && err.contains("> 0"), "{err}");
    }

    #[test]
    fn leverage_below_one_is_one() {
        assert_eq!(Risk::new(0.0, 0.0, 0.5).unwrap().effective_leverage(), 1.0);
        assert_eq!(Risk::new(0.0, 0.0, 10.0).unwrap().effective_leverage(), 10.0);
    }
}
