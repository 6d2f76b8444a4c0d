//! Exchange filters of one symbol (`/fapi/v1/exchangeInfo`): quantities rounded down to the
//! lot step, prices to the tick, and orders below the minimum notional refused before they
//! are sent, so the exchange never rejects an order qm could have checked.
//!
//! Arithmetic is on integer multiples of the step, so `0.1 + 0.2`-style float residue never
//! produces a quantity that is one step too many or a string with a long tail.

/// The filters qm applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolFilters {
    /// `PRICE_FILTER.tickSize`.
    pub tick_size: f64,
    /// `LOT_SIZE.stepSize` / `minQty` / `maxQty` (limit and conditional orders).
    pub lot_step: f64,
    pub lot_min: f64,
    pub lot_max: f64,
    /// `MARKET_LOT_SIZE.stepSize` / `minQty` / `maxQty` (market orders).
    pub market_step: f64,
    pub market_min: f64,
    pub market_max: f64,
    /// `MIN_NOTIONAL.notional` (reduce-only orders are exempt).
    pub min_notional: f64,
}

/// An order the filters refuse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    #[error("quantity `{qty}` rounds to `{rounded}`, below the minimum `{min}` for this symbol")]
    BelowMinQty { qty: f64, rounded: f64, min: f64 },
    #[error("notional `{notional}` (quantity × price) is below the symbol's minimum `{min}`")]
    BelowMinNotional { notional: f64, min: f64 },
    #[error("filter `{name}` is `{value}`; it must be a finite number > 0")]
    BadFilter { name: &'static str, value: f64 },
}

/// Whole steps in `x` (rounded down), tolerating float residue of a millionth of a step.
fn steps_down(x: f64, step: f64) -> f64 {
    (x / step + 1e-6).floor()
}

/// The step's decimal places (at most 12), for printing multiples of it exactly.
pub fn decimals(step: f64) -> usize {
    (0..=12).find(|&d| {
        let scaled = step * 10f64.powi(d as i32);
        (scaled - scaled.round()).abs() < 1e-9 * scaled.max(1.0)
    })
    .unwrap_or(12)
}

impl SymbolFilters {
    pub fn validate(&self) -> Result<(), FilterError> {
        for (name, value) in [("tickSize", self.tick_size), ("LOT_SIZE.stepSize", self.lot_step), ("MARKET_LOT_SIZE.stepSize", self.market_step)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(FilterError::BadFilter { name, value });
            }
        }
        Ok(())
    }

    /// `qty` rounded down to the market lot step and capped at its maximum; errors when the
    /// result is below the minimum quantity or, unless `reduce_only`, the notional at
    /// `price` is below the minimum notional.
    pub fn market_qty(&self, qty: f64, price: f64, reduce_only: bool) -> Result<f64, FilterError> {
        let capped = if self.market_max > 0.0 { qty.min(self.market_max) } else { qty };
        let n = steps_down(capped, self.market_step);
        let d = decimals(self.market_step);
        let rounded: f64 = format!("{:.*}", d, n * self.market_step).parse().expect("a formatted float parses");
        if rounded <= 0.0 || rounded < self.market_min {
            return Err(FilterError::BelowMinQty { qty, rounded, min: self.market_min });
        }
        if !reduce_only && rounded * price < self.min_notional {
            return Err(FilterError::BelowMinNotional { notional: rounded * price, min: self.min_notional });
        }
        Ok(rounded)
    }

    /// `price` rounded to the nearest tick (trigger prices of stop orders).
    pub fn price(&self, price: f64) -> f64 {
        let d = decimals(self.tick_size);
        let n = (price / self.tick_size).round();
        format!("{:.*}", d, n * self.tick_size).parse().expect("a formatted float parses")
    }

    /// A quantity as the exchange expects it: exactly the step's decimals.
    pub fn qty_text(&self, qty: f64) -> String {
        format!("{:.*}", decimals(self.market_step), qty)
    }

    /// A price as the exchange expects it: exactly the tick's decimals.
    pub fn price_text(&self, price: f64) -> String {
        format!("{:.*}", decimals(self.tick_size), price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btc() -> SymbolFilters {
        SymbolFilters {
            tick_size: 0.1,
            lot_step: 0.001,
            lot_min: 0.001,
            lot_max: 1000.0,
            market_step: 0.001,
            market_min: 0.001,
            market_max: 120.0,
            min_notional: 100.0,
        }
    }

    #[test]
    fn quantities_round_down_to_the_step() {
        let f = btc();
        assert_eq!(f.market_qty(0.2199, 60_000.0, false).unwrap(), 0.219);
        // 0.3 is 0.299999... in binary: still three whole steps of 0.1.
        let g = SymbolFilters { market_step: 0.1, market_min: 0.1, ..btc() };
        assert_eq!(g.market_qty(0.1 + 0.2, 1000.0, false).unwrap(), 0.3);
        assert_eq!(f.market_qty(500.0, 60_000.0, false).unwrap(), 120.0);
        assert_eq!(f.qty_text(0.219), "0.219");
    }

    #[test]
    fn small_orders_are_refused_before_sending() {
        let f = btc();
        assert!(matches!(f.market_qty(0.0004, 60_000.0, false), Err(FilterError::BelowMinQty { .. })));
        let e = f.market_qty(0.001, 60_000.0, false).unwrap_err();
        assert!(e.to_string().contains("below the symbol's minimum `100`"), "{e}");
        // Reduce-only (closing) orders are exempt from the notional minimum.
        assert_eq!(f.market_qty(0.001, 60_000.0, true).unwrap(), 0.001);
    }

    #[test]
    fn prices_round_to_the_tick() {
        let f = btc();
        assert_eq!(f.price(43_221.823), 43_221.8);
        assert_eq!(f.price_text(f.price(43_221.87)), "43221.9");
        assert_eq!(decimals(0.00001), 5);
        assert_eq!(decimals(1.0), 0);
        assert!(SymbolFilters { tick_size: 0.0, ..btc() }.validate().is_err());
    }
}
