//! Klines (candles): one page from `/api/v3/klines` or `/fapi/v1/klines`, and paged downloads
//! of the newest closed candles into an [`Ohlcv`].

use crate::candles::Candles;
use crate::lake::Ohlcv;
use crate::timeframe::Timeframe;

use super::paging::{Pager, Stored};
use super::ratelimit::now_ms;
use super::{BinanceError, Client};

/// One kline row with every column Binance sends (the trailing "ignore" dropped).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(try_from = "RawKline")]
pub struct Kline {
    pub open_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub close_time: i64,
    pub quote_volume: f64,
    pub trades: i64,
    pub taker_buy_base: f64,
    pub taker_buy_quote: f64,
}

/// `[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume", trades,
/// "takerBuyBase", "takerBuyQuote", "ignore"]`
#[derive(serde::Deserialize)]
struct RawKline(
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    i64,
    String,
    String,
    serde::de::IgnoredAny,
);

impl TryFrom<RawKline> for Kline {
    type Error = String;
    fn try_from(r: RawKline) -> Result<Kline, String> {
        fn num(field: &str, s: &str) -> Result<f64, String> {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("kline `{field}` is not a finite number: `{s}`"))
        }
        Ok(Kline {
            open_time: r.0,
            open: num("open", &r.1)?,
            high: num("high", &r.2)?,
            low: num("low", &r.3)?,
            close: num("close", &r.4)?,
            volume: num("volume", &r.5)?,
            close_time: r.6,
            quote_volume: num("quoteVolume", &r.7)?,
            trades: r.8,
            taker_buy_base: num("takerBuyBase", &r.9)?,
            taker_buy_quote: num("takerBuyQuote", &r.10)?,
        })
    }
}

/// One klines reply.
#[derive(Debug, Clone, PartialEq)]
pub struct KlinePage {
    /// Rows as sent (oldest first; the newest may still be forming).
    pub rows: Vec<Kline>,
    /// Server clock from the reply's `Date` header, when present.
    pub server_time: Option<i64>,
}

impl Client {
    /// One klines request. Without `start_time` Binance answers the newest `limit` rows up to
    /// `end_time` (or now).
    pub async fn klines_page(
        &self,
        symbol: &str,
        tf: Timeframe,
        start_time: Option<i64>,
        end_time: Option<i64>,
        limit: usize,
    ) -> Result<KlinePage, BinanceError> {
        let max = self.market().max_klines_limit();
        if limit == 0 || limit > max {
            return Err(BinanceError::Config {
                name: "klines limit",
                value: limit.to_string(),
                reason: format!("{} allows 1 to {max}", self.market()),
            });
        }
        let mut query = vec![
            ("symbol", symbol.to_string()),
            ("interval", tf.as_str().to_string()),
            ("limit", limit.to_string()),
        ];
        if let Some(t) = start_time {
            query.push(("startTime", t.to_string()));
        }
        if let Some(t) = end_time {
            query.push(("endTime", t.to_string()));
        }
        match self.get_json::<Vec<Kline>>(self.market().klines_path(), &query).await {
            Ok((rows, meta)) => Ok(KlinePage { rows, server_time: meta.server_time }),
            Err(BinanceError::Api { code: -1121, msg, .. }) => {
                Err(BinanceError::UnknownSymbol { symbol: symbol.to_string(), msg })
            }
            Err(e) => Err(e),
        }
    }

    /// At least the newest `limit` closed candles of `symbol` that `stored` (what the caller
    /// already has) lacks, oldest first; see [`Pager`] for the paging rules.
    pub async fn fetch_closed(
        &self,
        symbol: &str,
        tf: Timeframe,
        limit: usize,
        stored: Option<Stored>,
    ) -> Result<Ohlcv, BinanceError> {
        self.fetch_closed_with_progress(symbol, tf, limit, stored, &|_| {}).await
    }

    /// [`Client::fetch_closed`], calling `progress` with the number of new candles per page.
    pub async fn fetch_closed_with_progress(
        &self,
        symbol: &str,
        tf: Timeframe,
        limit: usize,
        stored: Option<Stored>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<Ohlcv, BinanceError> {
        let page_max = self.market().max_klines_limit();
        let hint = stored.map(|s| expected_new_rows(s.last, tf, now_ms()));
        let mut pager = Pager::new(limit, page_max, stored, hint);
        let mut clock = None;
        while let Some(req) = pager.next_request() {
            let page = self.klines_page(symbol, tf, None, req.end_time, req.limit).await?;
            // Without a `Date` header ask the clock once; older pages are closed anyway.
            let now = match page.server_time.or(clock) {
                Some(t) => t,
                None => self.server_time().await?,
            };
            clock = Some(now);
            let before = pager.collected();
            pager.accept(req, page.rows, now);
            progress(pager.collected() - before);
        }
        Ok(to_ohlcv(&pager.finish()))
    }
}

/// Rows a reply must hold to reach back to `last` (forming candle and one spare included),
/// judged by the local clock; a wrong clock only costs extra pages.
fn expected_new_rows(last: i64, tf: Timeframe, now: i64) -> usize {
    let behind = (now - last).max(0) / tf.millis();
    usize::try_from(behind).unwrap_or(usize::MAX).saturating_add(2)
}

/// Rows (oldest first) as lake columns, every Binance extra column filled.
pub fn to_ohlcv(rows: &[Kline]) -> Ohlcv {
    let col = |f: fn(&Kline) -> f64| rows.iter().map(f).collect::<Vec<f64>>();
    let candles = Candles {
        open_time: rows.iter().map(|k| k.open_time).collect(),
        open: col(|k| k.open),
        high: col(|k| k.high),
        low: col(|k| k.low),
        close: col(|k| k.close),
        volume: col(|k| k.volume),
    };
    let mut o = Ohlcv::from_candles(candles);
    o.close_time = Some(rows.iter().map(|k| k.close_time).collect());
    o.quote_volume = Some(col(|k| k.quote_volume));
    o.trades = Some(rows.iter().map(|k| k.trades).collect());
    o.taker_buy_base = Some(col(|k| k.taker_buy_base));
    o.taker_buy_quote = Some(col(|k| k.taker_buy_quote));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_parse_with_every_column() {
        let body = br#"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"]]"#;
        let rows: Vec<Kline> = serde_json::from_slice(body).unwrap();
        assert_eq!(rows[0].open_time, 1499040000000);
        assert_eq!(rows[0].high, 0.8);
        assert_eq!(rows[0].close_time, 1499644799999);
        assert_eq!(rows[0].trades, 308);
        assert_eq!(rows[0].taker_buy_quote, 28.46694368);
        let o = to_ohlcv(&rows);
        assert_eq!(o.candles.close, vec![0.015771]);
        assert_eq!(o.trades, Some(vec![308]));
    }

    #[test]
    fn bad_rows_are_errors() {
        for body in [
            &br#"[[1,"x","1","1","1","1",2,"1",3,"1","1","0"]]"#[..],
            br#"[[1,"1","1","1","1","1",2,"1",3,"1","1"]]"#,
            br#"[[1,"1","1","1","1","1",2,"1",3,"1","1","0"]"#,
            br#"{"code":0}"#,
        ] {
            assert!(serde_json::from_slice::<Vec<Kline>>(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn expected_rows_cover_the_forming_candle() {
        let h = 3_600_000;
        assert_eq!(expected_new_rows(10 * h, Timeframe::H1, 15 * h + 5), 7);
        assert_eq!(expected_new_rows(10 * h, Timeframe::H1, 9 * h), 2);
    }
}
