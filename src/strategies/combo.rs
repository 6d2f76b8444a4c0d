//! One strategy with concrete parameter values, and its canonical text.

use std::fmt;

use super::params::ParamValue;
use super::registry::StrategyDef;

/// A strategy and its parameters, in the strategy's reference parameter order.
/// Build it with [`super::parse_combo`] or take it from [`super::quantmuse_grid`]: the
/// signal generators trust that the values were validated.
#[derive(Clone, PartialEq)]
pub struct Combo {
    pub strategy: &'static StrategyDef,
    pub params: Vec<(&'static str, ParamValue)>,
}

impl Combo {
    /// The parameter `name`, if the strategy has one.
    pub fn param(&self, name: &str) -> Option<ParamValue> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The parameter `name` as `f64`. Panics if the strategy has no such parameter
    /// (a programming error: names come from the strategy's own schema).
    pub fn param_f64(&self, name: &str) -> f64 {
        match self.param(name) {
            Some(v) => v.as_f64(),
            None => panic!("strategy `{}` has no parameter `{name}`", self.strategy.name),
        }
    }

    /// An integer parameter used as a window length or offset.
    pub(crate) fn period(&self, name: &str) -> usize {
        match self.param(name) {
            Some(ParamValue::Int(v)) if v >= 0 => v as usize,
            other => panic!("parameter `{name}` of `{}` is not a non-negative integer: {other:?}", self.strategy.name),
        }
    }

    /// Exactly Python's `json.dumps(params, sort_keys=True)`: `{"a": 1, "b": 0.5}`.
    pub fn canonical_params(&self) -> String {
        let mut sorted: Vec<_> = self.params.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut s = String::from("{");
        for (k, (name, value)) in sorted.into_iter().enumerate() {
            if k > 0 {
                s.push_str(", ");
            }
            s.push_str(&serde_json::Value::from(*name).to_string());
            s.push_str(": ");
            s.push_str(&value.to_string());
        }
        s.push('}');
        s
    }

    /// The parameters as a JSON object in reference order.
    pub fn params_json(&self) -> serde_json::Value {
        let map = self.params.iter().map(|(n, v)| (n.to_string(), v.to_json())).collect();
        serde_json::Value::Object(map)
    }
}

impl fmt::Debug for Combo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.strategy.name, self.canonical_params())
    }
}

impl fmt::Display for Combo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.strategy.name, self.canonical_params())
    }
}
