//! Request parameters from the query string and an `application/x-www-form-urlencoded`
//! body, with Binance's -1102 for missing or malformed values.

use super::error::ApiError;

/// Decoded `name=value` pairs in the order sent (query first, then body).
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(query: &str, body: &str) -> Params {
        let pairs = url::form_urlencoded::parse(query.as_bytes())
            .chain(url::form_urlencoded::parse(body.as_bytes()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Params { pairs }
    }

    /// The first non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, v)| k == name && !v.is_empty()).map(|(_, v)| v.as_str())
    }

    /// `name`, or -1102.
    pub fn req(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::mandatory(name))
    }

    pub fn f64_opt(&self, name: &str) -> Result<Option<f64>, ApiError> {
        self.get(name).map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| ApiError::mandatory(name))).transpose()
    }

    pub fn f64_req(&self, name: &str) -> Result<f64, ApiError> {
        self.f64_opt(name)?.ok_or_else(|| ApiError::mandatory(name))
    }

    pub fn i64_opt(&self, name: &str) -> Result<Option<i64>, ApiError> {
        self.get(name).map(|v| v.parse::<i64>().map_err(|_| ApiError::mandatory(name))).transpose()
    }

    pub fn i64_req(&self, name: &str) -> Result<i64, ApiError> {
        self.i64_opt(name)?.ok_or_else(|| ApiError::mandatory(name))
    }

    /// `true` / `false` (any case); absent is `false`.
    pub fn flag(&self, name: &str) -> Result<bool, ApiError> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(ApiError::mandatory(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_body_both_count() {
        let p = Params::parse("symbol=BTCUSDT&newClientOrderId=qm%3Aa%2Fb", "quantity=0.5&reduceOnly=TRUE&x=&n=abc");
        assert_eq!(p.get("symbol"), Some("BTCUSDT"));
        assert_eq!(p.get("newClientOrderId"), Some("qm:a/b"));
        assert_eq!(p.f64_req("quantity").unwrap(), 0.5);
        assert!(p.flag("reduceOnly").unwrap());
        assert!(!p.flag("closePosition").unwrap());
        assert_eq!(p.req("x").unwrap_err().code, -1102);
        assert_eq!(p.f64_opt("n").unwrap_err().code, -1102);
        assert_eq!(p.i64_opt("none").unwrap(), None);
    }
}
