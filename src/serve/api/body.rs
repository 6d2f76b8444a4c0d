//! JSON request bodies read field by field, so a bad value is a 400 that names its field.

use serde_json::{Map, Value};

use crate::serve::error::{ApiError, ApiResult};

pub struct Body(Map<String, Value>);

impl Body {
    /// Parse `bytes` as a JSON object whose keys are all in `allowed`.
    pub fn parse(bytes: &[u8], allowed: &[&str]) -> ApiResult<Body> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| ApiError::invalid("body", format!("the request body must be a JSON object: {e}")))?;
        let Value::Object(map) = v else {
            return Err(ApiError::invalid("body", "the request body must be a JSON object"));
        };
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let list = allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
            return Err(ApiError::invalid(k.as_str(), format!("unknown field `{}`; allowed: {list}", crate::serve::params::clip(k))));
        }
        Ok(Body(map))
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn text(&self, name: &str) -> ApiResult<Option<&str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(name, format!("`{name}` must be a string"))),
        }
    }

    pub fn required_text(&self, name: &str) -> ApiResult<&str> {
        self.text(name)?.ok_or_else(|| ApiError::invalid(name, format!("field `{name}` is required")))
    }

    /// A finite number, `default` when absent.
    pub fn number(&self, name: &str, default: f64) -> ApiResult<f64> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| ApiError::invalid(name, format!("`{name}` must be a finite number, got {}", crate::serve::params::clip(&v.to_string())))),
        }
    }

    /// A whole number in `1..=max`, when present.
    pub fn count(&self, name: &str, max: u64) -> ApiResult<Option<usize>> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 && n <= max => Ok(Some(n as usize)),
                _ => Err(ApiError::invalid(name, format!("`{name}` must be an integer from 1 to {max}"))),
            },
        }
    }
}
