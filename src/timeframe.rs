//! Binance kline intervals: parsing, duration and bars per day.

use std::fmt;
use std::str::FromStr;

/// A Binance kline interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timeframe {
    S1,
    M1,
    M3,
    M5,
    M15,
    M30,
    H1,
    H2,
    H4,
    H6,
    H8,
    H12,
    D1,
    D3,
    W1,
    Mo1,
}

const ALL: [(Timeframe, &str, i64); 16] = [
    (Timeframe::S1, "1s", 1_000),
    (Timeframe::M1, "1m", 60_000),
    (Timeframe::M3, "3m", 180_000),
    (Timeframe::M5, "5m", 300_000),
    (Timeframe::M15, "15m", 900_000),
    (Timeframe::M30, "30m", 1_800_000),
    (Timeframe::H1, "1h", 3_600_000),
    (Timeframe::H2, "2h", 7_200_000),
    (Timeframe::H4, "4h", 14_400_000),
    (Timeframe::H6, "6h", 21_600_000),
    (Timeframe::H8, "8h", 28_800_000),
    (Timeframe::H12, "12h", 43_200_000),
    (Timeframe::D1, "1d", 86_400_000),
    (Timeframe::D3, "3d", 259_200_000),
    (Timeframe::W1, "1w", 604_800_000),
    (Timeframe::Mo1, "1M", 2_592_000_000),
];

/// An interval name that Binance does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown interval `{0}`; valid intervals: {valid}", valid = Timeframe::valid_list())]
pub struct UnknownTimeframe(pub String);

impl Timeframe {
    pub fn all() -> impl Iterator<Item = Timeframe> {
        ALL.iter().map(|(t, _, _)| *t)
    }

    pub fn as_str(self) -> &'static str {
        ALL.iter().find(|(t, _, _)| *t == self).map(|(_, s, _)| *s).unwrap()
    }

    /// Nominal duration of one candle in milliseconds (a month counts as 30 days;
    /// month candles are aligned by the exchange, not by this number).
    pub fn millis(self) -> i64 {
        ALL.iter().find(|(t, _, _)| *t == self).map(|(_, _, m)| *m).unwrap()
    }

    /// Bars per day as the reference's metrics use them (1m 1440, 5m 288, 15m 96, 1h 24,
    /// 4h 6, 1d 1); intervals of a day or longer count one point per bar.
    pub fn bars_per_day(self) -> usize {
        ((86_400_000 / self.millis()) as usize).max(1)
    }

    pub fn valid_list() -> String {
        ALL.iter().map(|(_, s, _)| *s).collect::<Vec<_>>().join(", ")
    }
}

impl FromStr for Timeframe {
    type Err = UnknownTimeframe;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL.iter()
            .find(|(_, name, _)| *name == s)
            .map(|(t, _, _)| *t)
            .ok_or_else(|| UnknownTimeframe(s.to_string()))
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!("15m".parse::<Timeframe>().unwrap(), Timeframe::M15);
        assert_eq!("1M".parse::<Timeframe>().unwrap(), Timeframe::Mo1);
        let err = "7m".parse::<Timeframe>().unwrap_err().to_string();
        assert!(err.contains("`7m`") && err.contains("1h"), "{err}");
    }

    #[test]
    fn bars_per_day_matches_reference() {
        assert_eq!(Timeframe::M1.bars_per_day(), 1440);
        assert_eq!(Timeframe::M5.bars_per_day(), 288);
        assert_eq!(Timeframe::M15.bars_per_day(), 96);
        assert_eq!(Timeframe::H1.bars_per_day(), 24);
        assert_eq!(Timeframe::H4.bars_per_day(), 6);
        assert_eq!(Timeframe::D1.bars_per_day(), 1);
    }
}

impl serde::Serialize for Timeframe {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Timeframe {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timeframe, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
