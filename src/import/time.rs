//! Candle timestamps as files write them: epoch integers of unknown unit and ISO 8601 text,
//! normalised to milliseconds since the epoch (UTC).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

/// Epoch integers at or above this are microseconds (1e14 ms would be the year 5138).
const MICROS_FROM: i64 = 100_000_000_000_000;
/// Epoch integers at or above this are nanoseconds (1e17 µs would be the year 5138).
const NANOS_FROM: i64 = 100_000_000_000_000_000;

/// Milliseconds from an epoch integer whose unit is told by its magnitude: Binance's bulk
/// dumps switched from ms to µs in 2025, and nanoseconds come from pandas.
pub fn epoch_to_millis(v: i64) -> i64 {
    let a = v.unsigned_abs();
    if a >= NANOS_FROM as u64 {
        v.div_euclid(1_000_000)
    } else if a >= MICROS_FROM as u64 {
        v.div_euclid(1_000)
    } else {
        v
    }
}

/// Milliseconds from a text field: an epoch integer (any unit, see [`epoch_to_millis`]), an
/// integral float such as `1704067200000.0`, or ISO 8601 (`2024-01-01T00:00:00Z`,
/// `2024-01-01 00:00:00+00:00`, `2024-01-01T00:00:00.000`, `2024-01-01`); text without an
/// offset is UTC. `None` when the text is none of these.
pub fn parse_millis(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(v) = s.parse::<i64>() {
        return Some(epoch_to_millis(v));
    }
    if let Ok(f) = s.parse::<f64>() {
        // Only integral values that f64 and i64 both hold exactly are timestamps.
        let integral = f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15;
        return integral.then(|| epoch_to_millis(f as i64));
    }
    parse_iso(s)
}

fn parse_iso(s: &str) -> Option<i64> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.timestamp_millis());
        }
    }
    let naive = s.strip_suffix(" UTC").unwrap_or(s);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, fmt) {
            return Some(dt.and_utc().timestamp_millis());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_millis())
}

/// `2024-01-01T00:00:00Z` for people (milliseconds shown only when present).
pub fn format_millis(ms: i64) -> String {
    match DateTime::<Utc>::from_timestamp_millis(ms) {
        Some(dt) if ms.rem_euclid(1000) == 0 => dt.to_rfc3339_opts(SecondsFormat::Secs, true),
        Some(dt) => dt.to_rfc3339_opts(SecondsFormat::Millis, true),
        None => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN1: i64 = 1_704_067_200_000;

    #[test]
    fn epoch_units_by_magnitude() {
        assert_eq!(epoch_to_millis(JAN1), JAN1);
        assert_eq!(epoch_to_millis(JAN1 * 1_000), JAN1);
        assert_eq!(epoch_to_millis(JAN1 * 1_000 + 999), JAN1);
        assert_eq!(epoch_to_millis(JAN1 * 1_000_000), JAN1);
        assert_eq!(epoch_to_millis(0), 0);
        assert_eq!(epoch_to_millis(3_600_000), 3_600_000);
        // Binance's 2025 µs close_time floors to the ms close_time.
        assert_eq!(epoch_to_millis(1_735_693_199_999_999), 1_735_693_199_999);
    }

    #[test]
    fn text_forms() {
        for s in [
            "1704067200000",
            "1704067200000000",
            "1704067200000.0",
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.000Z",
            "2024-01-01T01:00:00+01:00",
            "2024-01-01 00:00:00+00:00",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00",
            "2024-01-01 00:00:00.000",
            "2024-01-01 00:00",
            "2024-01-01 00:00:00 UTC",
            "2024-01-01",
            " 2024-01-01T00:00:00Z ",
        ] {
            assert_eq!(parse_millis(s), Some(JAN1), "{s}");
        }
        assert_eq!(parse_millis("2024-01-01T00:00:00.250Z"), Some(JAN1 + 250));
        for s in ["", "abc", "1704067200000.5", "NaN", "2024-13-01", "2024-01-01T25:00:00Z"] {
            assert_eq!(parse_millis(s), None, "{s}");
        }
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_millis(JAN1), "2024-01-01T00:00:00Z");
        assert_eq!(format_millis(JAN1 + 5), "2024-01-01T00:00:00.005Z");
    }
}
