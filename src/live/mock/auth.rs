//! Checks of signed endpoints, in Binance's terms: the API key header (-2015), `timestamp`
//! and `recvWindow` against the server's time (-1102, -1131, -1021) and the HMAC-SHA256
//! signature over the raw query string followed directly by the raw body (-1022).

use super::error::ApiError;
use super::params::Params;
use crate::live::credentials::Secret;
use crate::live::sign::signature;

/// `raw` (`a=1&b=2&signature=..`) without its `signature` parameter, and that parameter's value.
pub fn split_signature(raw: &str) -> (String, Option<String>) {
    let mut sig = None;
    let kept: Vec<&str> = raw
        .split('&')
        .filter(|part| match part.strip_prefix("signature=") {
            Some(v) => {
                sig = Some(v.to_string());
                false
            }
            None => true,
        })
        .collect();
    (kept.join("&"), sig)
}

/// Verify a signed request received at server time `now`.
pub fn verify(api_key: Option<&str>, query: &str, body: &str, params: &Params, key: &str, secret: &Secret, now: i64) -> Result<(), ApiError> {
    if api_key != Some(key) {
        return Err(ApiError::new(-2015, "Invalid API-key, IP, or permissions for action.").with_status(401));
    }
    let timestamp = params.i64_req("timestamp")?;
    let recv_window = params.i64_opt("recvWindow")?.unwrap_or(5000);
    if recv_window > 60_000 {
        return Err(ApiError::new(-1131, "recvWindow must be less than 60000"));
    }
    if timestamp > now + 1000 || now - timestamp > recv_window {
        return Err(ApiError::new(-1021, "Timestamp for this request is outside of the recvWindow."));
    }
    let (q, q_sig) = split_signature(query);
    let (b, b_sig) = split_signature(body);
    let sent = b_sig.or(q_sig).ok_or_else(|| ApiError::mandatory("signature"))?;
    let payload = format!("{q}{b}");
    if signature(secret, &payload) != sent.to_ascii_lowercase() {
        return Err(ApiError::new(-1022, "Signature for this request is not valid."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::sign::signed_query;

    #[test]
    fn accepts_what_signed_query_produces_in_query_or_body() {
        let secret = Secret::new("s");
        let now = 1_700_000_000_000;
        let q = signed_query(&secret, &[("symbol", "BTCUSDT".into())], now, 5000);
        let ok = |query: &str, body: &str| verify(Some("k"), query, body, &Params::parse(query, body), "k", &secret, now);
        ok(&q, "").unwrap();
        ok("", &q).unwrap();
        // Split between query and body: the payload is the direct concatenation.
        let (head, tail) = q.split_at(q.find("timestamp").unwrap());
        let payload = format!("{head}{}", tail.split("&signature=").next().unwrap());
        let sig = signature(&secret, &payload);
        let body = format!("{}&signature={sig}", tail.split("&signature=").next().unwrap());
        ok(head, &body).unwrap();
        assert_eq!(ok(&q.replace("BTCUSDT", "ETHUSDT"), "").unwrap_err().code, -1022);
        let e = verify(Some("x"), &q, "", &Params::parse(&q, ""), "k", &secret, now).unwrap_err();
        assert_eq!((e.status, e.code), (401, -2015));
    }

    #[test]
    fn the_time_window() {
        let secret = Secret::new("s");
        let now = 1_700_000_000_000;
        let at = |ts: i64, rw: u64| {
            let q = signed_query(&secret, &[], ts, rw);
            verify(Some("k"), &q, "", &Params::parse(&q, ""), "k", &secret, now).map_err(|e| e.code)
        };
        assert_eq!(at(now - 5000, 5000), Ok(()));
        assert_eq!(at(now - 5001, 5000), Err(-1021));
        assert_eq!(at(now + 1000, 5000), Ok(()));
        assert_eq!(at(now + 1001, 5000), Err(-1021));
        assert_eq!(at(now - 30_000, 60_000), Ok(()));
        assert_eq!(at(now, 60_001), Err(-1131));
        let e = verify(Some("k"), "a=1", "", &Params::parse("a=1", ""), "k", &secret, now).unwrap_err();
        assert_eq!(e.code, -1102);
    }
}
