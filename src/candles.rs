//! In-memory OHLCV series: the plain slices every pure stage (indicators, strategies,
//! kernel) works on.

/// One (symbol, timeframe) series of candles, oldest first, `open_time` in ms since epoch (UTC).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candles {
    pub open_time: Vec<i64>,
    pub open: Vec<f64>,
    pub high: Vec<f64>,
    pub low: Vec<f64>,
    pub close: Vec<f64>,
    pub volume: Vec<f64>,
}

impl Candles {
    pub fn len(&self) -> usize {
        self.open_time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open_time.is_empty()
    }

    /// The bars `[start, end)` as an owned series.
    pub fn slice(&self, start: usize, end: usize) -> Candles {
        Candles {
            open_time: self.open_time[start..end].to_vec(),
            open: self.open[start..end].to_vec(),
            high: self.high[start..end].to_vec(),
            low: self.low[start..end].to_vec(),
            close: self.close[start..end].to_vec(),
            volume: self.volume[start..end].to_vec(),
        }
    }

    /// Keep only the newest `n` bars.
    pub fn tail(&self, n: usize) -> Candles {
        let len = self.len();
        self.slice(len.saturating_sub(n), len)
    }
}
