//! The JSON Binance answers with, built from the mock's state (numbers as strings, like
//! Binance; f64 printed with `{}` so they parse back to the same value).

use serde_json::{json, Value};

use super::config::MockCandle;
use super::engine::Engine;
use super::state::{AlgoOrder, MarginType, Order, Trade};
use crate::live::filters::decimals;

/// `x` printed so that it parses back bit-exactly (`-0` as `0`).
pub fn num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x}")
    }
}

/// Binance's name of an interval of `ms`.
pub fn interval_text(ms: i64) -> Option<&'static str> {
    const M: i64 = 60_000;
    const H: i64 = 60 * M;
    Some(match ms {
        x if x == M => "1m",
        x if x == 3 * M => "3m",
        x if x == 5 * M => "5m",
        x if x == 15 * M => "15m",
        x if x == 30 * M => "30m",
        x if x == H => "1h",
        x if x == 2 * H => "2h",
        x if x == 4 * H => "4h",
        x if x == 6 * H => "6h",
        x if x == 8 * H => "8h",
        x if x == 12 * H => "12h",
        x if x == 24 * H => "1d",
        x if x == 72 * H => "3d",
        x if x == 168 * H => "1w",
        _ => return None,
    })
}

/// An order of `/fapi/v1/order` (RESULT and queries).
pub fn order(e: &Engine, o: &Order) -> Value {
    json!({
        "orderId": o.order_id,
        "clientOrderId": o.client_order_id,
        "symbol": e.symbol,
        "status": o.status.as_str(),
        "avgPrice": num(o.avg_price),
        "executedQty": e.filters.qty_text(o.executed_qty),
        "origQty": e.filters.qty_text(o.orig_qty),
        "cumQuote": num(o.cum_quote),
        "price": "0",
        "stopPrice": "0",
        "side": o.side.as_str(),
        "type": "MARKET",
        "origType": "MARKET",
        "timeInForce": "GTC",
        "reduceOnly": o.reduce_only,
        "closePosition": o.close_position,
        "positionSide": "BOTH",
        "workingType": "CONTRACT_PRICE",
        "priceProtect": false,
        "time": o.time,
        "updateTime": o.update_time,
    })
}

/// The ACK answer of a new order: accepted, fill not reported.
pub fn order_ack(e: &Engine, o: &Order) -> Value {
    let mut v = order(e, o);
    v["status"] = json!("NEW");
    v["executedQty"] = json!(e.filters.qty_text(0.0));
    v["avgPrice"] = json!("0");
    v["cumQuote"] = json!("0");
    v["updateTime"] = json!(o.time);
    v
}

/// An algo order of `/fapi/v1/algoOrder`.
pub fn algo(e: &Engine, a: &AlgoOrder) -> Value {
    let mut v = json!({
        "algoId": a.algo_id,
        "clientAlgoId": a.client_algo_id,
        "algoType": "CONDITIONAL",
        "orderType": a.algo_type.as_str(),
        "symbol": e.symbol,
        "side": a.side.as_str(),
        "positionSide": "BOTH",
        "timeInForce": "GTC",
        "quantity": e.filters.qty_text(a.quantity),
        "algoStatus": a.status.as_str(),
        "triggerPrice": e.filters.price_text(a.trigger_price),
        "price": "0",
        "closePosition": a.close_position,
        "reduceOnly": a.reduce_only,
        "workingType": a.working_type,
        "priceProtect": a.price_protect,
        "createTime": a.create_time,
        "updateTime": a.update_time,
    });
    if let Some(id) = a.actual_order_id {
        v["actualOrderId"] = json!(id.to_string());
        v["triggerTime"] = json!(a.update_time);
    }
    if let Some(p) = a.actual_price {
        v["actualPrice"] = json!(num(p));
    }
    v
}

/// The one row of `/fapi/v2/positionRisk`.
pub fn position(e: &Engine, now: i64) -> Value {
    let p = &e.state.position;
    let mark = e.last_price(now).unwrap_or(p.entry_price);
    json!({
        "symbol": e.symbol,
        "positionAmt": e.filters.qty_text(p.qty),
        "entryPrice": num(p.entry_price),
        "breakEvenPrice": num(p.entry_price),
        "markPrice": num(mark),
        "unRealizedProfit": num(e.unrealized(mark)),
        "liquidationPrice": num(e.liquidation_price().unwrap_or(0.0)),
        "leverage": p.leverage.to_string(),
        "maxNotionalValue": "1000000",
        "marginType": p.margin_type.risk_text(),
        "isolatedMargin": num(if p.margin_type == MarginType::Isolated { p.isolated_margin } else { 0.0 }),
        "isAutoAddMargin": "false",
        "positionSide": "BOTH",
        "notional": num(p.qty * mark),
        "isolatedWallet": num(if p.margin_type == MarginType::Isolated { p.isolated_margin } else { 0.0 }),
        "updateTime": p.update_time,
    })
}

/// The USDT row of `/fapi/v3/balance`.
pub fn balance(e: &Engine, now: i64) -> Value {
    let p = &e.state.position;
    let unrealized = e.last_price(now).map(|m| e.unrealized(m)).unwrap_or(0.0);
    let (cross_wallet, cross_un) = match p.margin_type {
        MarginType::Isolated => (e.state.wallet - p.isolated_margin, 0.0),
        MarginType::Crossed => (e.state.wallet, unrealized),
    };
    let available = (e.available() + cross_un.min(0.0)).max(0.0);
    json!({
        "accountAlias": "mock",
        "asset": "USDT",
        "balance": num(e.state.wallet),
        "crossWalletBalance": num(cross_wallet),
        "crossUnPnl": num(cross_un),
        "availableBalance": num(available),
        "maxWithdrawAmount": num(available),
        "marginAvailable": true,
        "updateTime": p.update_time,
    })
}

/// A fill of `/fapi/v1/userTrades`.
pub fn trade(e: &Engine, t: &Trade) -> Value {
    json!({
        "id": t.id,
        "orderId": t.order_id,
        "symbol": e.symbol,
        "side": t.side.as_str(),
        "price": num(t.price),
        "qty": e.filters.qty_text(t.qty),
        "quoteQty": num(t.quote_qty),
        "realizedPnl": num(t.realized_pnl),
        "commission": num(t.commission),
        "commissionAsset": "USDT",
        "marginAsset": "USDT",
        "time": t.time,
        "buyer": t.side == super::state::Side::Buy,
        "maker": false,
        "positionSide": "BOTH",
    })
}

/// A kline row; the forming bar shows only its open (o=h=l=c, no volume).
pub fn kline(c: &MockCandle, interval_ms: i64, forming: bool) -> Value {
    let (h, l, cl, v) = if forming { (c.open, c.open, c.open, 0.0) } else { (c.high, c.low, c.close, c.volume) };
    let quote = v * (c.open + cl) / 2.0;
    json!([
        c.open_time,
        num(c.open),
        num(h),
        num(l),
        num(cl),
        num(v),
        c.open_time + interval_ms - 1,
        num(quote),
        if forming { 0 } else { 100 },
        num(v / 2.0),
        num(quote / 2.0),
        "0"
    ])
}

/// `/fapi/v1/exchangeInfo` with the one symbol.
pub fn exchange_info(e: &Engine, now: i64) -> Value {
    let f = &e.filters;
    let base = e.symbol.strip_suffix("USDT").unwrap_or(&e.symbol);
    json!({
        "timezone": "UTC",
        "serverTime": now,
        "rateLimits": [],
        "assets": [],
        "symbols": [{
            "symbol": e.symbol,
            "pair": e.symbol,
            "contractType": "PERPETUAL",
            "status": "TRADING",
            "baseAsset": base,
            "quoteAsset": "USDT",
            "marginAsset": "USDT",
            "pricePrecision": decimals(f.tick_size),
            "quantityPrecision": decimals(f.market_step),
            "orderTypes": ["MARKET"],
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": num(f.tick_size), "maxPrice": "10000000", "tickSize": num(f.tick_size)},
                {"filterType": "LOT_SIZE", "stepSize": num(f.lot_step), "minQty": num(f.lot_min), "maxQty": num(f.lot_max)},
                {"filterType": "MARKET_LOT_SIZE", "stepSize": num(f.market_step), "minQty": num(f.market_min), "maxQty": num(f.market_max)},
                {"filterType": "MIN_NOTIONAL", "notional": num(f.min_notional)},
            ],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::mock::engine::tests::{engine_with, T0};

    #[test]
    fn numbers_round_trip_and_shapes() {
        assert_eq!(num(0.1 + 0.2).parse::<f64>().unwrap(), 0.1 + 0.2);
        assert_eq!(num(-0.0), "0");
        assert_eq!(interval_text(3_600_000), Some("1h"));
        assert_eq!(interval_text(7), None);
        let e = engine_with(&[]);
        let info = exchange_info(&e, T0);
        assert_eq!(info["symbols"][0]["filters"][0]["tickSize"], "0.1");
        assert_eq!(info["symbols"][0]["baseAsset"], "BTC");
        assert_eq!(info["symbols"][0]["quantityPrecision"], 3);
        let row = kline(&e.candles[0], 60_000, true);
        assert_eq!(row[2], "100");
        assert_eq!(row[5], "0");
        assert_eq!(row[6], T0 + 59_999);
        let p = position(&e, T0);
        assert_eq!((p["positionAmt"].as_str(), p["marginType"].as_str()), (Some("0.000"), Some("cross")));
    }
}
