//! Candle columns by role: the names files give them, Binance's positional order, and the
//! per-file accumulator that turns parsed cells into an [`Ohlcv`].

use crate::candles::Candles;
use super::Ohlcv;

/// What a source column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    OpenTime,
    Open,
    High,
    Low,
    Close,
    Volume,
    CloseTime,
    QuoteVolume,
    Trades,
    TakerBuyBase,
    TakerBuyQuote,
}

/// Binance's kline column order, as headerless bulk dumps lay it out (a 12th `ignore`
/// column follows).
pub const BINANCE_ORDER: [Role; 11] = [
    Role::OpenTime,
    Role::Open,
    Role::High,
    Role::Low,
    Role::Close,
    Role::Volume,
    Role::CloseTime,
    Role::QuoteVolume,
    Role::Trades,
    Role::TakerBuyBase,
    Role::TakerBuyQuote,
];

/// The roles a file must have.
pub const REQUIRED: [Role; 6] = [Role::OpenTime, Role::Open, Role::High, Role::Low, Role::Close, Role::Volume];

impl Role {
    /// The lake's name for the column.
    pub fn name(self) -> &'static str {
        match self {
            Role::OpenTime => "open_time",
            Role::Open => "open",
            Role::High => "high",
            Role::Low => "low",
            Role::Close => "close",
            Role::Volume => "volume",
            Role::CloseTime => "close_time",
            Role::QuoteVolume => "quote_volume",
            Role::Trades => "trades",
            Role::TakerBuyBase => "taker_buy_base",
            Role::TakerBuyQuote => "taker_buy_quote",
        }
    }

    /// The role of a header name (case and spaces ignored; Binance's, pandas' and
    /// the lake's spellings).
    pub fn from_header(name: &str) -> Option<Role> {
        let n = name.trim().trim_start_matches('\u{feff}').to_ascii_lowercase().replace([' ', '-'], "_");
        let role = match n.as_str() {
            "open_time" | "opentime" | "timestamp" | "time" | "date" | "datetime" => Role::OpenTime,
            "open" => Role::Open,
            "high" => Role::High,
            "low" => Role::Low,
            "close" => Role::Close,
            "volume" => Role::Volume,
            "close_time" | "closetime" => Role::CloseTime,
            "quote_volume" | "quote_asset_volume" => Role::QuoteVolume,
            "trades" | "count" | "number_of_trades" | "num_trades" => Role::Trades,
            "taker_buy_base" | "taker_buy_volume" | "taker_buy_base_volume" | "taker_buy_base_asset_volume" => {
                Role::TakerBuyBase
            }
            "taker_buy_quote" | "taker_buy_quote_volume" | "taker_buy_quote_asset_volume" => Role::TakerBuyQuote,
            _ => return None,
        };
        Some(role)
    }
}

/// Source column index of each role, from header names (first match wins).
pub fn map_headers<S: AsRef<str>>(headers: &[S]) -> Vec<(Role, usize)> {
    let mut out: Vec<(Role, usize)> = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(role) = Role::from_header(h.as_ref()) {
            if !out.iter().any(|(r, _)| *r == role) {
                out.push((role, i));
            }
        }
    }
    out
}

/// The first required role `map` lacks.
pub fn missing_required(map: &[(Role, usize)]) -> Option<Role> {
    REQUIRED.into_iter().find(|r| !map.iter().any(|(m, _)| m == r))
}

/// Columns of one file as they are parsed; the optional ones exist only when the file has them.
#[derive(Debug, Default)]
pub struct Builder {
    pub candles: Candles,
    pub close_time: Option<Vec<i64>>,
    pub quote_volume: Option<Vec<f64>>,
    pub trades: Option<Vec<i64>>,
    pub taker_buy_base: Option<Vec<f64>>,
    pub taker_buy_quote: Option<Vec<f64>>,
}

impl Builder {
    /// A builder with the optional columns `map` names.
    pub fn for_roles(map: &[(Role, usize)]) -> Builder {
        let has = |r: Role| map.iter().any(|(m, _)| *m == r);
        Builder {
            candles: Candles::default(),
            close_time: has(Role::CloseTime).then(Vec::new),
            quote_volume: has(Role::QuoteVolume).then(Vec::new),
            trades: has(Role::Trades).then(Vec::new),
            taker_buy_base: has(Role::TakerBuyBase).then(Vec::new),
            taker_buy_quote: has(Role::TakerBuyQuote).then(Vec::new),
        }
    }

    /// Append one float cell to its role's column.
    pub fn push_f64(&mut self, role: Role, v: f64) {
        let c = &mut self.candles;
        match role {
            Role::Open => c.open.push(v),
            Role::High => c.high.push(v),
            Role::Low => c.low.push(v),
            Role::Close => c.close.push(v),
            Role::Volume => c.volume.push(v),
            Role::QuoteVolume => self.quote_volume.get_or_insert_with(Vec::new).push(v),
            Role::TakerBuyBase => self.taker_buy_base.get_or_insert_with(Vec::new).push(v),
            Role::TakerBuyQuote => self.taker_buy_quote.get_or_insert_with(Vec::new).push(v),
            Role::OpenTime | Role::CloseTime | Role::Trades => unreachable!("{role:?} is an integer column"),
        }
    }

    /// Append one integer cell (times in ms, trade counts) to its role's column.
    pub fn push_i64(&mut self, role: Role, v: i64) {
        match role {
            Role::OpenTime => self.candles.open_time.push(v),
            Role::CloseTime => self.close_time.get_or_insert_with(Vec::new).push(v),
            Role::Trades => self.trades.get_or_insert_with(Vec::new).push(v),
            _ => unreachable!("{role:?} is a float column"),
        }
    }

    pub fn finish(self) -> Ohlcv {
        Ohlcv {
            candles: self.candles,
            close_time: self.close_time,
            quote_volume: self.quote_volume,
            trades: self.trades,
            taker_buy_base: self.taker_buy_base,
            taker_buy_quote: self.taker_buy_quote,
        }
    }
}

/// An integer count, also when written as an integral float (`12.0`).
pub fn parse_count(cell: &str) -> Option<i64> {
    let s = cell.trim();
    s.parse::<i64>().ok().or_else(|| {
        let f: f64 = s.parse().ok()?;
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

/// Whether a role's cells are timestamps.
pub fn is_time(role: Role) -> bool {
    matches!(role, Role::OpenTime | Role::CloseTime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_source_map() {
        let binance_um = [
            "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
            "taker_buy_volume", "taker_buy_quote_volume", "ignore",
        ];
        let m = map_headers(&binance_um);
        assert_eq!(m.len(), 11);
        assert!(missing_required(&m).is_none());
        assert!(m.contains(&(Role::Trades, 8)));

        let pandas = ["\u{feff}Timestamp", "Open", "High", "Low", "Close", "Volume"];
        let m = map_headers(&pandas);
        assert_eq!(m[0], (Role::OpenTime, 0));
        assert!(missing_required(&m).is_none());

        let m = map_headers(&["open_time", "open", "high", "close", "volume"]);
        assert_eq!(missing_required(&m), Some(Role::Low));
    }

    #[test]
    fn builder_keeps_only_present_extras() {
        let map = map_headers(&["open_time", "open", "high", "low", "close", "volume", "trades"]);
        let mut b = Builder::for_roles(&map);
        b.push_i64(Role::OpenTime, 1);
        for r in [Role::Open, Role::High, Role::Low, Role::Close, Role::Volume] {
            b.push_f64(r, 2.0);
        }
        b.push_i64(Role::Trades, 7);
        let o = b.finish();
        assert_eq!(o.trades, Some(vec![7]));
        assert!(o.close_time.is_none() && o.quote_volume.is_none());
        assert_eq!(o.candles.high, vec![2.0]);
    }
}
