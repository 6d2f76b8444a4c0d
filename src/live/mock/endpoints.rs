//! What each endpoint does: parameters in, engine call, Binance-shaped JSON out.

use serde_json::{json, Value};

use super::algo::NewAlgo;
use super::engine::Engine;
use super::error::ApiError;
use super::params::Params;
use super::routes::Route;
use super::state::{AlgoType, Side};
use super::views;

/// Answer `route` at server time `now` (the engine has been advanced to `now`).
pub fn call(route: Route, e: &mut Engine, p: &Params, now: i64) -> Result<Value, ApiError> {
    match route {
        Route::Ping => Ok(json!({})),
        Route::Time => Ok(json!({ "serverTime": now })),
        Route::ExchangeInfo => Ok(views::exchange_info(e, now)),
        Route::Klines => klines(e, p, now),
        Route::Leverage => {
            e.check_symbol(p.req("symbol")?)?;
            let l = e.set_leverage(p.i64_req("leverage")?)?;
            Ok(json!({ "leverage": l, "maxNotionalValue": "1000000", "symbol": e.symbol }))
        }
        Route::MarginType => {
            e.check_symbol(p.req("symbol")?)?;
            e.set_margin_type(p.req("marginType")?, now)?;
            Ok(json!({ "code": 200, "msg": "success" }))
        }
        Route::DualGet => Ok(json!({ "dualSidePosition": false })),
        Route::DualPost => match p.req("dualSidePosition")? {
            "false" => Err(ApiError::new(-4059, "No need to change position side.")),
            "true" => Err(ApiError::new(-4068, "mock: hedge mode (dualSidePosition=true) is not supported; use one-way mode.")),
            _ => Err(ApiError::mandatory("dualSidePosition")),
        },
        Route::OrderNew => new_order(e, p, now),
        Route::OrderGet => {
            e.check_symbol(p.req("symbol")?)?;
            let o = e.find_order(p.i64_opt("orderId")?, p.get("origClientOrderId"))?;
            Ok(views::order(e, o))
        }
        Route::OrderCancel => {
            e.check_symbol(p.req("symbol")?)?;
            let o = e.cancel_order(p.i64_opt("orderId")?, p.get("origClientOrderId"), now)?;
            Ok(views::order(e, &o))
        }
        Route::OpenOrders => {
            if let Some(s) = p.get("symbol") {
                e.check_symbol(s)?;
            }
            Ok(Value::Array(e.open_orders().into_iter().map(|o| views::order(e, o)).collect()))
        }
        Route::AlgoNew => new_algo(e, p, now),
        Route::AlgoGet => {
            let a = e.find_algo(p.i64_opt("algoId")?, p.get("clientAlgoId"))?;
            Ok(views::algo(e, a))
        }
        Route::AlgoCancel => {
            let a = e.cancel_algo(p.i64_opt("algoId")?, p.get("clientAlgoId"), now)?;
            Ok(json!({ "algoId": a.algo_id, "clientAlgoId": a.client_algo_id, "code": "200", "msg": "success" }))
        }
        Route::OpenAlgos => {
            if let Some(s) = p.get("symbol") {
                e.check_symbol(s)?;
            }
            Ok(Value::Array(e.open_algos().into_iter().map(|a| views::algo(e, a)).collect()))
        }
        Route::PositionRisk => {
            if let Some(s) = p.get("symbol") {
                e.check_symbol(s)?;
            }
            Ok(json!([views::position(e, now)]))
        }
        Route::Balance => Ok(json!([views::balance(e, now)])),
        Route::UserTrades => user_trades(e, p),
    }
}

fn side(p: &Params) -> Result<Side, ApiError> {
    Side::parse(p.req("side")?).ok_or_else(|| ApiError::new(-1117, "Invalid side."))
}

fn one_way(p: &Params) -> Result<(), ApiError> {
    match p.get("positionSide") {
        None | Some("BOTH") => Ok(()),
        Some(_) => Err(ApiError::new(-4061, "Order's position side does not match user's setting.")),
    }
}

fn new_order(e: &mut Engine, p: &Params, now: i64) -> Result<Value, ApiError> {
    e.check_symbol(p.req("symbol")?)?;
    let side = side(p)?;
    match p.req("type")? {
        "MARKET" => {}
        "STOP_MARKET" | "TAKE_PROFIT_MARKET" | "STOP" | "TAKE_PROFIT" | "TRAILING_STOP_MARKET" => {
            return Err(ApiError::new(-4120, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."))
        }
        "LIMIT" => return Err(ApiError::new(-1116, "mock: only MARKET orders are supported.")),
        _ => return Err(ApiError::new(-1116, "Invalid orderType.")),
    }
    one_way(p)?;
    let ack = match p.get("newOrderRespType").unwrap_or("ACK") {
        "ACK" => true,
        "RESULT" => false,
        _ => return Err(ApiError::mandatory("newOrderRespType")),
    };
    let qty = p.f64_req("quantity")?;
    let id = e.market(side, qty, p.flag("reduceOnly")?, p.get("newClientOrderId").map(str::to_string), now)?;
    let o = e.find_order(Some(id), None)?;
    Ok(if ack { views::order_ack(e, o) } else { views::order(e, o) })
}

fn new_algo(e: &mut Engine, p: &Params, now: i64) -> Result<Value, ApiError> {
    if p.req("algoType")? != "CONDITIONAL" {
        return Err(ApiError::new(-1116, "Invalid algoType."));
    }
    e.check_symbol(p.req("symbol")?)?;
    let side = side(p)?;
    let algo_type = match p.req("type")? {
        "STOP_MARKET" => AlgoType::StopMarket,
        "TAKE_PROFIT_MARKET" => AlgoType::TakeProfitMarket,
        t @ ("STOP" | "TAKE_PROFIT" | "TRAILING_STOP_MARKET") => return Err(ApiError::new(-1116, format!("mock: algo type {t} is not supported."))),
        _ => return Err(ApiError::new(-1116, "Invalid orderType.")),
    };
    one_way(p)?;
    let a = NewAlgo {
        side,
        algo_type,
        trigger_price: p.f64_req("triggerPrice")?,
        close_position: p.flag("closePosition")?,
        quantity: p.f64_opt("quantity")?,
        reduce_only: p.flag("reduceOnly")?,
        working_type: p.get("workingType").unwrap_or("CONTRACT_PRICE").to_string(),
        price_protect: p.flag("priceProtect")?,
        client_algo_id: p.get("clientAlgoId").map(str::to_string),
    };
    let id = e.new_algo(a, now)?;
    Ok(views::algo(e, e.find_algo(Some(id), None)?))
}

fn klines(e: &Engine, p: &Params, now: i64) -> Result<Value, ApiError> {
    e.check_symbol(p.req("symbol")?)?;
    if Some(p.req("interval")?) != views::interval_text(e.interval_ms) {
        return Err(ApiError::new(-1120, "Invalid interval."));
    }
    let limit = p.i64_opt("limit")?.unwrap_or(500);
    if !(1..=1500).contains(&limit) {
        return Err(ApiError::new(-1130, "Data sent for parameter 'limit' is not valid."));
    }
    let (start, end) = (p.i64_opt("startTime")?, p.i64_opt("endTime")?);
    let rows: Vec<_> = e.visible(now).iter().filter(|c| start.is_none_or(|s| c.open_time >= s) && end.is_none_or(|t| c.open_time <= t)).collect();
    let limit = limit as usize;
    let picked = if start.is_some() { &rows[..rows.len().min(limit)] } else { &rows[rows.len().saturating_sub(limit)..] };
    Ok(Value::Array(picked.iter().map(|c| views::kline(c, e.interval_ms, c.open_time + e.interval_ms > now)).collect()))
}

fn user_trades(e: &Engine, p: &Params) -> Result<Value, ApiError> {
    e.check_symbol(p.req("symbol")?)?;
    let limit = p.i64_opt("limit")?.unwrap_or(500);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(-1130, "Data sent for parameter 'limit' is not valid."));
    }
    let (start, end, from) = (p.i64_opt("startTime")?, p.i64_opt("endTime")?, p.i64_opt("fromId")?);
    let rows: Vec<_> = e
        .state
        .trades
        .iter()
        .filter(|t| start.is_none_or(|s| t.time >= s) && end.is_none_or(|x| t.time <= x) && from.is_none_or(|f| t.id >= f))
        .collect();
    let limit = limit as usize;
    let picked = if start.is_some() || from.is_some() { &rows[..rows.len().min(limit)] } else { &rows[rows.len().saturating_sub(limit)..] };
    Ok(Value::Array(picked.iter().map(|t| views::trade(e, t)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::mock::engine::tests::{engine_with, MIN, T0};

    fn run(e: &mut Engine, r: Route, q: &str, now: i64) -> Result<Value, i64> {
        call(r, e, &Params::parse(q, ""), now).map_err(|x| x.code)
    }

    #[test]
    fn klines_windows() {
        let mut e = engine_with(&[]);
        let now = T0 + 5 * MIN + 10;
        let all = run(&mut e, Route::Klines, "symbol=BTCUSDT&interval=1m", now).unwrap();
        assert_eq!(all.as_array().unwrap().len(), 6);
        assert_eq!(all[5][2], "100"); // forming: high is the open
        assert_eq!(all[4][2], "100.5");
        let last2 = run(&mut e, Route::Klines, "symbol=BTCUSDT&interval=1m&limit=2", now).unwrap();
        assert_eq!(last2[0][0], T0 + 4 * MIN);
        let from = run(&mut e, Route::Klines, &format!("symbol=BTCUSDT&interval=1m&limit=2&startTime={}", T0 + MIN), now).unwrap();
        assert_eq!(from[0][0], T0 + MIN);
        assert_eq!(from.as_array().unwrap().len(), 2);
        assert_eq!(run(&mut e, Route::Klines, "symbol=BTCUSDT&interval=5m", now), Err(-1120));
        assert_eq!(run(&mut e, Route::Klines, "symbol=BTCUSDT&interval=1m&limit=1501", now), Err(-1130));
        assert_eq!(run(&mut e, Route::Klines, "symbol=ETHUSDT&interval=1m", now), Err(-1121));
    }

    #[test]
    fn orders_and_trades() {
        let mut e = engine_with(&[]);
        let t = T0 + 5;
        let r = run(&mut e, Route::OrderNew, "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.5&newClientOrderId=c1&newOrderRespType=RESULT", t).unwrap();
        assert_eq!((r["status"].as_str(), r["avgPrice"].as_str(), r["executedQty"].as_str()), (Some("FILLED"), Some("100"), Some("0.500")));
        let ack = run(&mut e, Route::OrderNew, "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.5&newClientOrderId=c2", t).unwrap();
        assert_eq!((ack["status"].as_str(), ack["executedQty"].as_str()), (Some("NEW"), Some("0.000")));
        let q = run(&mut e, Route::OrderGet, "symbol=BTCUSDT&origClientOrderId=c2", t).unwrap();
        assert_eq!(q["status"], "FILLED");
        assert_eq!(run(&mut e, Route::OrderNew, "symbol=BTCUSDT&side=SELL&type=STOP_MARKET&quantity=1", t), Err(-4120));
        assert_eq!(run(&mut e, Route::OrderNew, "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=1&positionSide=LONG", t), Err(-4061));
        let trades = run(&mut e, Route::UserTrades, "symbol=BTCUSDT&fromId=2", t).unwrap();
        assert_eq!(trades.as_array().unwrap().len(), 1);
        assert_eq!(trades[0]["id"], 2);
        let pos = run(&mut e, Route::PositionRisk, "symbol=BTCUSDT", t).unwrap();
        assert_eq!(pos[0]["positionAmt"], "1.000");
        assert_eq!(run(&mut e, Route::DualPost, "dualSidePosition=false", t), Err(-4059));
        assert_eq!(run(&mut e, Route::OpenOrders, "symbol=BTCUSDT", t).unwrap(), json!([]));
    }
}
