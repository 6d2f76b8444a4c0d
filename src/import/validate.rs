//! Row checks on parsed candles before anything reaches the lake: time order and spacing,
//! finite positive prices inside each bar's range, finite non-negative volume.

use super::time::format_millis;
use super::ImportError;
use crate::candles::Candles;
use crate::timeframe::Timeframe;

/// Smallest distance between two open times of `tf` (months are 28 to 31 days long).
pub fn min_step(tf: Timeframe) -> i64 {
    match tf {
        Timeframe::Mo1 => 28 * 86_400_000,
        _ => tf.millis(),
    }
}

/// Check every row of one file; the error names the first bad row (1-based) and value.
pub fn validate_candles(path: &str, c: &Candles, tf: Timeframe) -> Result<(), ImportError> {
    let err = |i: usize, problem: String| ImportError::Row { path: path.to_string(), row: i + 1, problem };
    let step = min_step(tf);
    for i in 0..c.len() {
        if i > 0 {
            check_step(c.open_time[i - 1], c.open_time[i], step, tf, &format!("row {i}"))
                .map_err(|p| err(i, p))?;
        }
        let (o, h, l, cl, v) = (c.open[i], c.high[i], c.low[i], c.close[i], c.volume[i]);
        for (name, x) in [("open", o), ("high", h), ("low", l), ("close", cl)] {
            if !(x.is_finite() && x > 0.0) {
                return Err(err(i, format!("`{name}` is `{x}`; prices must be finite and above 0")));
            }
        }
        if h < l {
            return Err(err(i, format!("`high` `{h}` is below `low` `{l}`")));
        }
        for (name, x) in [("open", o), ("close", cl)] {
            if x < l || x > h {
                return Err(err(i, format!("`{name}` `{x}` is outside the bar's range [low `{l}`, high `{h}`]")));
            }
        }
        if !(v.is_finite() && v >= 0.0) {
            return Err(err(i, format!("`volume` is `{v}`; volume must be finite and at least 0")));
        }
    }
    Ok(())
}

/// Whether `next` may follow `prev` in a `tf` series; `prev_at` says where `prev` is.
pub fn check_step(prev: i64, next: i64, step: i64, tf: Timeframe, prev_at: &str) -> Result<(), String> {
    if next == prev {
        return Err(format!("duplicate open_time `{}` ({next}), same as {prev_at}", format_millis(next)));
    }
    if next < prev {
        return Err(format!(
            "open_time `{}` ({next}) is before {prev_at}'s `{}` ({prev}); rows must be in time order",
            format_millis(next),
            format_millis(prev)
        ));
    }
    if next - prev < step {
        return Err(format!(
            "open_time `{}` is {} ms after {prev_at}'s; `{tf}` bars are at least {step} ms apart; hint: check `--interval`",
            format_millis(next),
            next - prev
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn bars(n: usize) -> Candles {
        Candles {
            open_time: (0..n as i64).map(|i| 1_704_067_200_000 + i * H).collect(),
            open: vec![10.0; n],
            high: vec![12.0; n],
            low: vec![9.0; n],
            close: vec![11.0; n],
            volume: vec![0.0; n],
        }
    }

    fn problem(c: &Candles) -> String {
        validate_candles("f.csv", c, Timeframe::H1).unwrap_err().to_string()
    }

    #[test]
    fn accepts_valid_and_gappy_series() {
        let mut c = bars(4);
        c.open_time[3] += 5 * H;
        c.high[1] = 10.0;
        c.low[1] = 10.0;
        c.open[1] = 10.0;
        c.close[1] = 10.0;
        validate_candles("f.csv", &c, Timeframe::H1).unwrap();
    }

    #[test]
    fn names_row_and_value() {
        let mut c = bars(4);
        c.open_time[2] = c.open_time[1];
        assert_eq!(
            problem(&c),
            "`f.csv` row 3: duplicate open_time `2024-01-01T01:00:00Z` (1704070800000), same as row 2"
        );
        let mut c = bars(4);
        c.open_time[3] = c.open_time[0];
        let p = problem(&c);
        assert!(p.starts_with("`f.csv` row 4: open_time `2024-01-01T00:00:00Z`") && p.contains("before row 3"), "{p}");
        let mut c = bars(3);
        c.open_time[2] = c.open_time[1] + 60_000;
        assert!(problem(&c).contains("60000 ms after row 2"));
        let mut c = bars(3);
        c.close[1] = f64::NAN;
        assert_eq!(problem(&c), "`f.csv` row 2: `close` is `NaN`; prices must be finite and above 0");
        let mut c = bars(3);
        c.low[0] = -1.0;
        assert!(problem(&c).starts_with("`f.csv` row 1: `low` is `-1`"));
        let mut c = bars(3);
        c.high[2] = 8.5;
        assert_eq!(problem(&c), "`f.csv` row 3: `high` `8.5` is below `low` `9`");
        let mut c = bars(3);
        c.open[1] = 12.5;
        assert_eq!(problem(&c), "`f.csv` row 2: `open` `12.5` is outside the bar's range [low `9`, high `12`]");
        let mut c = bars(3);
        c.close[1] = 8.0;
        assert!(problem(&c).contains("`close` `8` is outside"));
        let mut c = bars(3);
        c.volume[2] = f64::INFINITY;
        assert_eq!(problem(&c), "`f.csv` row 3: `volume` is `inf`; volume must be finite and at least 0");
        let mut c = bars(3);
        c.volume[0] = -0.5;
        assert!(problem(&c).contains("`volume` is `-0.5`"));
    }

    #[test]
    fn months_may_be_short() {
        let day = 86_400_000;
        assert!(check_step(0, 28 * day, min_step(Timeframe::Mo1), Timeframe::Mo1, "row 1").is_ok());
        assert!(check_step(0, 27 * day, min_step(Timeframe::Mo1), Timeframe::Mo1, "row 1").is_err());
    }
}
