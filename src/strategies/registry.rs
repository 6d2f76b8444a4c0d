//! The strategy table: names, parameter schemas, grid order and constraints, and the
//! validation of user-supplied parameters.

use std::fmt;

use serde_json::Value;

use super::cache::IndicatorCache;
use super::combo::Combo;
use super::error::StrategyError;
use super::params::{Constraint, ParamKind, ParamSpec, ParamValue};
use super::{bands, moving_average, oscillator, trend, trend_following};

/// Writes one combination's signals (`-1/0/+1`, one per bar) into the buffer.
pub(crate) type Generator = fn(&Combo, &IndicatorCache<'_>, &mut [i8]);

/// One strategy of the reference engine.
pub struct StrategyDef {
    /// The reference's name (`RSI+EMA`, `Williams %R`).
    pub name: &'static str,
    /// Other accepted names.
    pub aliases: &'static [&'static str],
    /// Parameters in the reference's key order.
    pub params: &'static [ParamSpec],
    /// Nesting of the grid loops, outermost first, as indexes into `params`.
    pub grid_order: &'static [usize],
    /// Relations the parameters must satisfy (also the grid's filters).
    pub constraints: &'static [Constraint],
    pub(crate) generate: Generator,
}

impl StrategyDef {
    /// The schema of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Number of combinations of this strategy in the `quantmuse` grid.
    pub fn grid_size(&'static self) -> usize {
        super::grid::strategy_grid(self).len()
    }

    fn param_names(&self) -> String {
        self.params.iter().map(|p| format!("`{}`", p.name)).collect::<Vec<_>>().join(", ")
    }
}

impl PartialEq for StrategyDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl fmt::Debug for StrategyDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrategyDef").field("name", &self.name).finish_non_exhaustive()
    }
}

/// All strategies, in the reference's (and the grid's) order.
pub static STRATEGIES: [&StrategyDef; 29] = [
    &trend_following::MOMENTUM,
    &oscillator::MEAN_REVERSION,
    &trend_following::BREAKOUT,
    &oscillator::MULTI_FACTOR,
    &moving_average::EMA_CROSSOVER,
    &moving_average::MACD,
    &bands::BOLLINGER,
    &oscillator::STOCHASTIC,
    &bands::KELTNER,
    &oscillator::WILLIAMS_R,
    &oscillator::CCI,
    &moving_average::TRIPLE_EMA,
    &oscillator::RSI_EMA,
    &trend::SUPERTREND,
    &trend::ADX_TREND,
    &trend::PARABOLIC_SAR,
    &trend_following::HULL_MA,
    &trend_following::DONCHIAN_ATR,
    &oscillator::DOUBLE_RSI,
    &bands::VWAP_BANDS,
    &trend_following::ICHIMOKU,
    &moving_average::TRIX,
    &trend_following::AROON,
    &oscillator::MFI,
    &bands::SQUEEZE,
    &moving_average::ELDER_RAY,
    &bands::CMF,
    &oscillator::FISHER,
    &moving_average::KST,
];

/// The strategy called `name` (or one of its aliases, e.g. `Momentum Strategy`).
pub fn lookup(name: &str) -> Result<&'static StrategyDef, StrategyError> {
    STRATEGIES
        .iter()
        .copied()
        .find(|s| s.name == name || s.aliases.contains(&name))
        .ok_or_else(|| StrategyError::UnknownStrategy {
            name: name.to_string(),
            valid: STRATEGIES.iter().map(|s| format!("`{}`", s.name)).collect::<Vec<_>>().join(", "),
        })
}

/// Validate `params` (a JSON object) for `strategy`: every parameter present, no extra
/// ones, integers where integers are expected (a float parameter accepts an integer and
/// stores it as a float), values inside their range, and the strategy's constraints.
pub fn parse_combo(strategy: &str, params: &Value) -> Result<Combo, StrategyError> {
    let def = lookup(strategy)?;
    let obj = params
        .as_object()
        .ok_or_else(|| StrategyError::NotAnObject { strategy: def.name, got: params.to_string() })?;
    if let Some(extra) = obj.keys().find(|k| def.param(k).is_none()) {
        return Err(StrategyError::UnknownParam {
            strategy: def.name,
            param: extra.clone(),
            allowed: def.param_names(),
        });
    }
    let mut values = Vec::with_capacity(def.params.len());
    for spec in def.params {
        let raw = obj.get(spec.name).ok_or_else(|| StrategyError::MissingParam {
            strategy: def.name,
            param: spec.name,
            allowed: def.param_names(),
        })?;
        let value = parse_value(def, spec, raw)?;
        let v = value.as_f64();
        if !(v >= spec.min && v <= spec.max) {
            return Err(StrategyError::OutOfRange {
                strategy: def.name,
                param: spec.name,
                value: value.to_string(),
                min: spec.value(spec.min).to_string(),
                max: spec.value(spec.max).to_string(),
            });
        }
        values.push((spec.name, value));
    }
    let combo = Combo { strategy: def, params: values };
    check_constraints(&combo)?;
    Ok(combo)
}

fn parse_value(def: &'static StrategyDef, spec: &'static ParamSpec, raw: &Value) -> Result<ParamValue, StrategyError> {
    let wrong = |expected| StrategyError::WrongType { strategy: def.name, param: spec.name, expected, got: raw.to_string() };
    match spec.kind {
        ParamKind::Int => raw.as_i64().map(ParamValue::Int).ok_or_else(|| wrong("an integer")),
        ParamKind::Float => match raw {
            Value::Number(n) => match n.as_i64() {
                Some(i) => Ok(ParamValue::Float(i as f64)),
                None => n.as_f64().map(ParamValue::Float).ok_or_else(|| wrong("a number")),
            },
            _ => Err(wrong("a number")),
        },
    }
}

/// Check the strategy's `lesser < greater` relations.
pub(crate) fn check_constraints(combo: &Combo) -> Result<(), StrategyError> {
    for c in combo.strategy.constraints {
        let (a, b) = (combo.param_f64(c.lesser), combo.param_f64(c.greater));
        if !(a < b) {
            return Err(StrategyError::Constraint {
                strategy: combo.strategy.name,
                lesser: c.lesser,
                greater: c.greater,
                lesser_value: combo.param(c.lesser).map(|v| v.to_string()).unwrap_or_default(),
                greater_value: combo.param(c.greater).map(|v| v.to_string()).unwrap_or_default(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_by_name_and_alias() {
        assert_eq!(lookup("RSI+EMA").unwrap().name, "RSI+EMA");
        assert_eq!(lookup("Momentum Strategy").unwrap().name, "Momentum");
        let err = lookup("Nope").unwrap_err().to_string();
        assert!(err.contains("`Nope`") && err.contains("`Williams %R`"), "{err}");
    }

    #[test]
    fn names_are_unique_and_grid_orders_are_permutations() {
        for (i, s) in STRATEGIES.iter().enumerate() {
            assert!(STRATEGIES[..i].iter().all(|t| t.name != s.name), "{}", s.name);
            let mut order = s.grid_order.to_vec();
            order.sort_unstable();
            assert_eq!(order, (0..s.params.len()).collect::<Vec<_>>(), "{}", s.name);
            for c in s.constraints {
                assert!(s.param(c.lesser).is_some() && s.param(c.greater).is_some(), "{}", s.name);
            }
            for p in s.params {
                assert!(p.grid.iter().all(|&v| v >= p.min && v <= p.max), "{} {}", s.name, p.name);
            }
        }
    }

    #[test]
    fn parse_validates_names_types_ranges_and_constraints() {
        let c = parse_combo("MACD", &json!({"slow": 26, "fast": 12, "signal_period": 9})).unwrap();
        assert_eq!(c.params.iter().map(|p| p.0).collect::<Vec<_>>(), ["fast", "slow", "signal_period"]);
        assert_eq!(c.canonical_params(), r#"{"fast": 12, "signal_period": 9, "slow": 26}"#);

        let e = parse_combo("MACD", &json!({"fast": 12, "slow": 26})).unwrap_err().to_string();
        assert!(e.contains("missing parameter `signal_period`"), "{e}");
        let e = parse_combo("MACD", &json!({"fast": 12, "slow": 26, "signal_period": 9, "x": 1})).unwrap_err().to_string();
        assert!(e.contains("unknown parameter `x`"), "{e}");
        let e = parse_combo("MACD", &json!({"fast": 12.0, "slow": 26, "signal_period": 9})).unwrap_err().to_string();
        assert!(e.contains("`fast`") && e.contains("an integer") && e.contains("`12.0`"), "{e}");
        let e = parse_combo("MACD", &json!({"fast": 30, "slow": 26, "signal_period": 9})).unwrap_err().to_string();
        assert!(e.contains("`fast` < `slow`") && e.contains("`30`"), "{e}");
        let e = parse_combo("Momentum", &json!({"lookback": 0})).unwrap_err().to_string();
        assert!(e.contains("`lookback`") && e.contains("`0`") && e.contains("1..="), "{e}");
        let e = parse_combo("Momentum", &json!([3])).unwrap_err().to_string();
        assert!(e.contains("JSON object"), "{e}");
    }

    #[test]
    fn float_parameters_accept_integers_as_floats() {
        let c = parse_combo("Bollinger Bands", &json!({"period": 20, "num_std": 2})).unwrap();
        assert_eq!(c.param("num_std"), Some(ParamValue::Float(2.0)));
        assert_eq!(c.canonical_params(), r#"{"num_std": 2.0, "period": 20}"#);
    }
}
