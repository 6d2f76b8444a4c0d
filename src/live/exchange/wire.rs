//! Binance's JSON shapes (numbers as strings) and their conversion into [`super::types`].

use serde::Deserialize;

use super::types::{AlgoKind, AlgoOrder, Balance, Order, OrderSide, Position, UserTrade};
use crate::live::filters::SymbolFilters;

/// A number Binance may send as a string or as JSON number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Num {
    S(String),
    F(f64),
}

impl Num {
    pub fn get(&self, field: &str) -> Result<f64, String> {
        match self {
            Num::F(v) => Ok(*v),
            Num::S(s) => s.trim().parse::<f64>().map_err(|_| format!("`{field}` is not a number: `{s}`")),
        }
    }
}

/// An integer id Binance may send as a string or as JSON number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Id {
    S(String),
    I(i64),
}

impl Id {
    pub fn get(&self, field: &str) -> Result<i64, String> {
        match self {
            Id::I(v) => Ok(*v),
            Id::S(s) => s.trim().parse::<i64>().map_err(|_| format!("`{field}` is not an integer: `{s}`")),
        }
    }
}

fn side(s: &str) -> Result<OrderSide, String> {
    OrderSide::parse(s).ok_or_else(|| format!("unknown side `{s}`"))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireOrder {
    order_id: Id,
    client_order_id: String,
    status: String,
    side: String,
    #[serde(default)]
    avg_price: Option<Num>,
    #[serde(default)]
    executed_qty: Option<Num>,
    #[serde(default)]
    orig_qty: Option<Num>,
    #[serde(default)]
    reduce_only: bool,
    #[serde(default)]
    update_time: i64,
}

impl WireOrder {
    pub fn decode(self) -> Result<Order, String> {
        let n = |v: &Option<Num>, f: &str| v.as_ref().map(|x| x.get(f)).transpose().map(|x| x.unwrap_or(0.0));
        Ok(Order {
            order_id: self.order_id.get("orderId")?,
            client_id: self.client_order_id,
            status: self.status,
            side: side(&self.side)?,
            avg_price: n(&self.avg_price, "avgPrice")?,
            executed_qty: n(&self.executed_qty, "executedQty")?,
            orig_qty: n(&self.orig_qty, "origQty")?,
            reduce_only: self.reduce_only,
            update_time: self.update_time,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireAlgo {
    algo_id: Id,
    client_algo_id: String,
    #[serde(alias = "type")]
    order_type: String,
    side: String,
    trigger_price: Num,
    algo_status: String,
    #[serde(default)]
    actual_order_id: Option<Id>,
    #[serde(default)]
    create_time: i64,
}

impl WireAlgo {
    pub fn decode(self) -> Result<AlgoOrder, String> {
        let actual = match &self.actual_order_id {
            Some(Id::S(s)) if s.is_empty() => None,
            Some(id) => Some(id.get("actualOrderId")?),
            None => None,
        };
        Ok(AlgoOrder {
            algo_id: self.algo_id.get("algoId")?,
            client_id: self.client_algo_id,
            kind: AlgoKind::parse(&self.order_type).ok_or_else(|| format!("unknown algo order type `{}`", self.order_type))?,
            side: side(&self.side)?,
            trigger_price: self.trigger_price.get("triggerPrice")?,
            status: self.algo_status,
            actual_order_id: actual,
            create_time: self.create_time,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WirePosition {
    symbol: String,
    position_amt: Num,
    entry_price: Num,
    #[serde(default)]
    mark_price: Option<Num>,
    #[serde(default)]
    un_realized_profit: Option<Num>,
    #[serde(default)]
    leverage: Option<Num>,
    #[serde(default)]
    position_side: Option<String>,
}

/// The one-way (`BOTH`) position of `symbol` among `rows` (flat when absent).
pub fn position(rows: Vec<WirePosition>, symbol: &str) -> Result<Position, String> {
    for r in rows {
        if r.symbol != symbol || r.position_side.as_deref().is_some_and(|s| s != "BOTH") {
            continue;
        }
        let opt = |v: &Option<Num>, f: &str| v.as_ref().map(|x| x.get(f)).transpose();
        return Ok(Position {
            qty: r.position_amt.get("positionAmt")?,
            entry_price: r.entry_price.get("entryPrice")?,
            mark_price: opt(&r.mark_price, "markPrice")?.unwrap_or(0.0),
            unrealized: opt(&r.un_realized_profit, "unRealizedProfit")?.unwrap_or(0.0),
            leverage: opt(&r.leverage, "leverage")?,
        });
    }
    Ok(Position { qty: 0.0, entry_price: 0.0, mark_price: 0.0, unrealized: 0.0, leverage: None })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireTrade {
    id: Id,
    order_id: Id,
    side: String,
    price: Num,
    qty: Num,
    #[serde(default)]
    realized_pnl: Option<Num>,
    commission: Num,
    #[serde(default)]
    commission_asset: String,
    time: i64,
}

impl WireTrade {
    pub fn decode(self) -> Result<UserTrade, String> {
        Ok(UserTrade {
            id: self.id.get("id")?,
            order_id: self.order_id.get("orderId")?,
            side: side(&self.side)?,
            price: self.price.get("price")?,
            qty: self.qty.get("qty")?,
            realized_pnl: self.realized_pnl.as_ref().map(|v| v.get("realizedPnl")).transpose()?.unwrap_or(0.0),
            commission: self.commission.get("commission")?,
            commission_asset: self.commission_asset,
            time: self.time,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireBalance {
    asset: String,
    balance: Num,
    #[serde(default)]
    available_balance: Option<Num>,
    #[serde(default)]
    cross_un_pnl: Option<Num>,
}

/// The USDT row of `/fapi/v3/balance`.
pub fn balance(rows: Vec<WireBalance>) -> Result<Balance, String> {
    let r = rows.into_iter().find(|r| r.asset == "USDT").ok_or("no USDT balance")?;
    let b = r.balance.get("balance")?;
    Ok(Balance {
        balance: b,
        available: r.available_balance.as_ref().map(|v| v.get("availableBalance")).transpose()?.unwrap_or(b),
        unrealized: r.cross_un_pnl.as_ref().map(|v| v.get("crossUnPnl")).transpose()?.unwrap_or(0.0),
    })
}

#[derive(Debug, Deserialize)]
pub struct WireExchangeInfo {
    symbols: Vec<WireSymbol>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSymbol {
    symbol: String,
    #[serde(default)]
    status: String,
    filters: Vec<serde_json::Value>,
}

/// The filters of `symbol` from `/fapi/v1/exchangeInfo`; `Ok(None)` when it is not listed.
pub fn filters(info: WireExchangeInfo, symbol: &str) -> Result<Option<SymbolFilters>, String> {
    let Some(s) = info.symbols.into_iter().find(|s| s.symbol == symbol) else { return Ok(None) };
    if !s.status.is_empty() && s.status != "TRADING" {
        return Err(format!("symbol `{symbol}` is `{}`, not TRADING", s.status));
    }
    let get = |ty: &str, key: &str| -> Result<Option<f64>, String> {
        let Some(f) = s.filters.iter().find(|f| f.get("filterType").and_then(|t| t.as_str()) == Some(ty)) else { return Ok(None) };
        match f.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(v)) => v.parse().map(Some).map_err(|_| format!("{ty}.{key} is not a number: `{v}`")),
            Some(serde_json::Value::Number(v)) => Ok(v.as_f64()),
            Some(v) => Err(format!("{ty}.{key} is not a number: `{v}`")),
        }
    };
    let need = |ty: &str, key: &str| get(ty, key)?.ok_or_else(|| format!("exchangeInfo of `{symbol}` lacks {ty}.{key}"));
    let lot_step = need("LOT_SIZE", "stepSize")?;
    let lot_min = need("LOT_SIZE", "minQty")?;
    let lot_max = need("LOT_SIZE", "maxQty")?;
    let f = SymbolFilters {
        tick_size: need("PRICE_FILTER", "tickSize")?,
        lot_step,
        lot_min,
        lot_max,
        market_step: get("MARKET_LOT_SIZE", "stepSize")?.unwrap_or(lot_step),
        market_min: get("MARKET_LOT_SIZE", "minQty")?.unwrap_or(lot_min),
        market_max: get("MARKET_LOT_SIZE", "maxQty")?.unwrap_or(lot_max),
        min_notional: get("MIN_NOTIONAL", "notional")?.unwrap_or(0.0),
    };
    f.validate().map_err(|e| e.to_string())?;
    Ok(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_binance_shapes() {
        let o: WireOrder = serde_json::from_str(
            r#"{"orderId":22542179,"clientOrderId":"qm-a-b-o","status":"FILLED","side":"BUY","avgPrice":"43000.10","executedQty":"0.010","origQty":"0.010","reduceOnly":false,"updateTime":1}"#,
        )
        .unwrap();
        let o = o.decode().unwrap();
        assert!(o.is_filled() && o.avg_price == 43000.1 && o.executed_qty == 0.01);
        let a: WireAlgo = serde_json::from_str(
            r#"{"algoId":3000,"clientAlgoId":"x","algoType":"CONDITIONAL","orderType":"STOP_MARKET","symbol":"BTCUSDT","side":"SELL","triggerPrice":"41000.0","algoStatus":"FINISHED","actualOrderId":"77","createTime":5}"#,
        )
        .unwrap();
        let a = a.decode().unwrap();
        assert_eq!((a.kind, a.actual_order_id, a.has_triggered(), a.is_open()), (AlgoKind::StopMarket, Some(77), true, false));
        let info: WireExchangeInfo = serde_json::from_str(
            r#"{"symbols":[{"symbol":"BTCUSDT","status":"TRADING","filters":[
            {"filterType":"PRICE_FILTER","tickSize":"0.10"},{"filterType":"LOT_SIZE","stepSize":"0.001","minQty":"0.001","maxQty":"1000"},
            {"filterType":"MARKET_LOT_SIZE","stepSize":"0.001","minQty":"0.001","maxQty":"120"},{"filterType":"MIN_NOTIONAL","notional":"100"}]}]}"#,
        )
        .unwrap();
        let f = filters(info, "BTCUSDT").unwrap().unwrap();
        assert_eq!((f.tick_size, f.market_max, f.min_notional), (0.1, 120.0, 100.0));
        let p: Vec<WirePosition> =
            serde_json::from_str(r#"[{"symbol":"BTCUSDT","positionAmt":"-0.5","entryPrice":"100","positionSide":"BOTH"}]"#).unwrap();
        assert_eq!(position(p, "BTCUSDT").unwrap().side(), -1);
    }
}
