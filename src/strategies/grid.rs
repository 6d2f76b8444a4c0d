//! The `quantmuse` grid, generated from each strategy's grid values, loop order and
//! constraints, and grid files (JSON lists of `{"strategy", "params"}`).

use std::path::Path;

use serde_json::Value;

use super::combo::Combo;
use super::error::StrategyError;
use super::registry::{check_constraints, parse_combo, StrategyDef, STRATEGIES};

/// The combinations of one strategy: the product of its grid values, nested in
/// `grid_order` (last index fastest), keeping those that satisfy its constraints.
pub fn strategy_grid(def: &'static StrategyDef) -> Vec<Combo> {
    let order = def.grid_order;
    let lists: Vec<&[f64]> = order.iter().map(|&p| def.params[p].grid).collect();
    let mut out = Vec::new();
    if lists.iter().any(|l| l.is_empty()) {
        return out;
    }
    let mut digits = vec![0usize; order.len()];
    loop {
        let mut params: Vec<_> = def.params.iter().map(|p| (p.name, p.value(p.min))).collect();
        for (slot, &p) in order.iter().enumerate() {
            let spec = &def.params[p];
            params[p] = (spec.name, spec.value(lists[slot][digits[slot]]));
        }
        let combo = Combo { strategy: def, params };
        if check_constraints(&combo).is_ok() {
            out.push(combo);
        }
        // Odometer step, innermost loop first.
        let mut k = order.len();
        loop {
            if k == 0 {
                return out;
            }
            k -= 1;
            digits[k] += 1;
            if digits[k] < lists[k].len() {
                break;
            }
            digits[k] = 0;
        }
    }
}

/// The 17,273 combinations of the reference's `quantmuse` preset, in its order.
pub fn quantmuse_grid() -> Vec<Combo> {
    STRATEGIES.iter().flat_map(|s| strategy_grid(s)).collect()
}

/// Parse a grid: a JSON list of `{"strategy": name, "params": {...}}`, each validated.
pub fn parse_grid(value: &Value, path: &str) -> Result<Vec<Combo>, StrategyError> {
    let list = value.as_array().ok_or_else(|| StrategyError::GridNotAList { path: path.to_string() })?;
    list.iter()
        .enumerate()
        .map(|(index, entry)| {
            let (Some(strategy), Some(params)) = (entry.get("strategy").and_then(Value::as_str), entry.get("params")) else {
                return Err(StrategyError::GridShape { index, got: entry.to_string() });
            };
            parse_combo(strategy, params).map_err(|e| StrategyError::GridEntry { index, source: Box::new(e) })
        })
        .collect()
}

/// Read and validate a grid file.
pub fn load_grid_file(path: impl AsRef<Path>) -> Result<Vec<Combo>, StrategyError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| StrategyError::GridIo { path: shown.clone(), source })?;
    let value: Value = serde_json::from_str(&text).map_err(|source| StrategyError::GridJson { path: shown.clone(), source })?;
    parse_grid(&value, &shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategies::registry::lookup;

    #[test]
    fn grid_size_and_order_follow_the_loops() {
        assert_eq!(quantmuse_grid().len(), 17_273);
        let adx = strategy_grid(lookup("ADX Trend").unwrap());
        // Loops: adx_period, threshold, di_period (innermost) while keys stay in reference order.
        assert_eq!(adx[1].canonical_params(), r#"{"adx_period": 5, "di_period": 7, "threshold": 15}"#);
        assert_eq!(adx[1].params[0].0, "adx_period");
        let ema = strategy_grid(lookup("EMA Crossover").unwrap());
        assert!(ema.iter().all(|c| c.param_f64("fast_period") < c.param_f64("slow_period")));
        assert_eq!(ema.len(), 145);
    }

    #[test]
    fn grid_files_are_validated_entry_by_entry() {
        let ok = serde_json::json!([{"strategy": "Momentum", "params": {"lookback": 3}}]);
        assert_eq!(parse_grid(&ok, "g.json").unwrap().len(), 1);
        let bad = serde_json::json!([{"strategy": "Momentum", "params": {"lookback": 3}}, {"strategy": "Momentum", "params": {}}]);
        let e = parse_grid(&bad, "g.json").unwrap_err().to_string();
        assert!(e.starts_with("grid entry 1: missing parameter `lookback`"), "{e}");
        let e = parse_grid(&serde_json::json!({"a": 1}), "g.json").unwrap_err().to_string();
        assert!(e.contains("`g.json`"), "{e}");
        let e = load_grid_file("/nonexistent/grid.json").unwrap_err().to_string();
        assert!(e.contains("cannot read grid file"), "{e}");
    }
}
