//! Query-string parsing with errors that name the parameter: unknown names, repeated
//! names and values of the wrong type are all 400s.

use std::collections::BTreeMap;

use super::error::{ApiError, ApiResult};

/// The query string of one request, checked against the names the endpoint accepts.
#[derive(Debug, Default)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> ApiResult<Params> {
        let mut map = BTreeMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                let list = allowed.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
                return Err(ApiError::invalid(k.as_ref(), format!("unknown parameter `{k}`; allowed: {list}")));
            }
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(ApiError::invalid(k.as_ref(), format!("parameter `{k}` is given more than once")));
            }
        }
        Ok(Params(map))
    }

    /// A non-empty text value.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &str) -> ApiResult<&str> {
        self.text(name).ok_or_else(|| ApiError::invalid(name, format!("parameter `{name}` is required")))
    }

    /// An integer in `min..=max`, `default` when absent.
    pub fn int(&self, name: &str, default: i64, min: i64, max: i64) -> ApiResult<i64> {
        let Some(v) = self.text(name) else { return Ok(default) };
        match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(name, format!("`{name}` must be an integer from {min} to {max}, got `{}`", clip(v)))),
        }
    }

    /// A finite number, when present.
    pub fn number(&self, name: &str) -> ApiResult<Option<f64>> {
        let Some(v) = self.text(name) else { return Ok(None) };
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(ApiError::invalid(name, format!("`{name}` must be a finite number, got `{}`", clip(v)))),
        }
    }

    /// One of `choices`, `default` when absent.
    pub fn choice<'a>(&self, name: &str, choices: &[&'a str], default: &'a str) -> ApiResult<&'a str> {
        let Some(v) = self.text(name) else { return Ok(default) };
        choices.iter().copied().find(|c| c.eq_ignore_ascii_case(v)).ok_or_else(|| {
            ApiError::invalid(name, format!("`{name}` must be one of {}, got `{}`", choices.join(", "), clip(v)))
        })
    }
}

/// At most 80 characters of user input for an error message.
pub fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}
