//! `/fapi/v1/algoOrder`: conditional STOP_MARKET / TAKE_PROFIT_MARKET orders, their queries
//! and cancels. Triggering happens in `Engine::advance`.

use super::engine::Engine;
use super::error::ApiError;
use super::orders::{is_multiple, valid_client_id};
use super::state::{AlgoOrder, AlgoStatus, AlgoType, Side};

/// A conditional order as the client sent it.
#[derive(Debug, Clone)]
pub struct NewAlgo {
    pub side: Side,
    pub algo_type: AlgoType,
    pub trigger_price: f64,
    pub close_position: bool,
    /// Quantity (only without closePosition).
    pub quantity: Option<f64>,
    pub reduce_only: bool,
    pub working_type: String,
    pub price_protect: bool,
    pub client_algo_id: Option<String>,
}

impl Engine {
    /// Accept a conditional order at `now`; returns its algoId.
    pub fn new_algo(&mut self, a: NewAlgo, now: i64) -> Result<i64, ApiError> {
        if a.close_position && a.quantity.is_some() {
            return Err(ApiError::new(-1106, "Parameter 'quantity' sent when not required."));
        }
        if a.close_position && a.reduce_only {
            return Err(ApiError::new(-1106, "Parameter 'reduceOnly' sent when not required."));
        }
        let quantity = match (a.close_position, a.quantity) {
            (true, _) => 0.0,
            (false, None) => return Err(ApiError::mandatory("quantity")),
            (false, Some(q)) => {
                let f = &self.filters;
                if !(q > 0.0) {
                    return Err(ApiError::new(-4003, "Quantity less than or equal to zero."));
                }
                if !is_multiple(q, f.lot_step) {
                    return Err(ApiError::new(-1111, "Precision is over the maximum defined for this asset."));
                }
                if q < f.lot_min - 1e-12 || (f.lot_max > 0.0 && q > f.lot_max + 1e-12) {
                    return Err(ApiError::new(-1013, "Filter failure: LOT_SIZE"));
                }
                q
            }
        };
        if !(a.trigger_price > 0.0) {
            return Err(ApiError::new(-4006, "Stop price less than zero."));
        }
        if !is_multiple(a.trigger_price, self.filters.tick_size) {
            return Err(ApiError::new(-4014, "Price not increased by tick size."));
        }
        if !matches!(a.working_type.as_str(), "CONTRACT_PRICE" | "MARK_PRICE") {
            return Err(ApiError::new(-1116, "Invalid workingType."));
        }
        let client_algo_id = match a.client_algo_id {
            Some(id) if !valid_client_id(&id) => return Err(ApiError::illegal("clientAlgoId")),
            Some(id) => id,
            None => self.generated_id("mock-algo-"),
        };
        if self.state.algo_orders.iter().any(|o| o.status == AlgoStatus::New && o.client_algo_id == client_algo_id) {
            return Err(ApiError::new(-4116, "ClientOrderId is duplicated."));
        }
        if let Some(last) = self.last_price(now) {
            let t = a.trigger_price;
            let immediate = match (a.algo_type, a.side) {
                (AlgoType::StopMarket, Side::Sell) | (AlgoType::TakeProfitMarket, Side::Buy) => t >= last,
                (AlgoType::StopMarket, Side::Buy) | (AlgoType::TakeProfitMarket, Side::Sell) => t <= last,
            };
            if immediate {
                return Err(ApiError::new(-2021, "Order would immediately trigger."));
            }
        }
        let algo_id = self.take_algo_id();
        self.state.algo_orders.push(AlgoOrder {
            algo_id,
            client_algo_id,
            algo_type: a.algo_type,
            side: a.side,
            trigger_price: a.trigger_price,
            close_position: a.close_position,
            quantity,
            reduce_only: a.reduce_only,
            working_type: a.working_type,
            price_protect: a.price_protect,
            status: AlgoStatus::New,
            create_time: now,
            update_time: now,
            actual_order_id: None,
            actual_price: None,
        });
        Ok(algo_id)
    }

    /// The algo order with `algo_id`, else the latest with `client_id` (-2013 when none).
    pub fn find_algo(&self, algo_id: Option<i64>, client_id: Option<&str>) -> Result<&AlgoOrder, ApiError> {
        let found = match (algo_id, client_id) {
            (Some(id), _) => self.state.algo_orders.iter().find(|o| o.algo_id == id),
            (None, Some(c)) => self.state.algo_by_client_id(c),
            (None, None) => return Err(ApiError::new(-1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!")),
        };
        found.ok_or_else(|| ApiError::new(-2013, "Order does not exist."))
    }

    /// Cancel a NEW algo order (-2011 when there is none like that).
    pub fn cancel_algo(&mut self, algo_id: Option<i64>, client_id: Option<&str>, now: i64) -> Result<AlgoOrder, ApiError> {
        let id = match self.find_algo(algo_id, client_id) {
            Ok(o) if o.status == AlgoStatus::New => o.algo_id,
            Err(e) if e.code == -1102 => return Err(e),
            _ => return Err(ApiError::new(-2011, "Unknown order sent.")),
        };
        let o = self.state.algo_orders.iter_mut().find(|o| o.algo_id == id).expect("found above");
        o.status = AlgoStatus::Canceled;
        o.update_time = now;
        Ok(o.clone())
    }

    /// NEW algo orders.
    pub fn open_algos(&self) -> Vec<&AlgoOrder> {
        self.state.algo_orders.iter().filter(|o| o.status == AlgoStatus::New).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::mock::engine::tests::{engine_with, MIN, T0};

    fn stop(side: Side, t: AlgoType, trigger: f64, id: &str) -> NewAlgo {
        NewAlgo {
            side,
            algo_type: t,
            trigger_price: trigger,
            close_position: true,
            quantity: None,
            reduce_only: false,
            working_type: "CONTRACT_PRICE".into(),
            price_protect: false,
            client_algo_id: Some(id.into()),
        }
    }

    #[test]
    fn checks() {
        let mut e = engine_with(&[]);
        let t = T0 + 5;
        let code = |e: &mut Engine, a: NewAlgo| e.new_algo(a, t).unwrap_err().code;
        assert_eq!(code(&mut e, stop(Side::Sell, AlgoType::StopMarket, 100.0, "a")), -2021);
        assert_eq!(code(&mut e, stop(Side::Sell, AlgoType::TakeProfitMarket, 99.9, "a")), -2021);
        assert_eq!(code(&mut e, stop(Side::Buy, AlgoType::StopMarket, 99.0, "a")), -2021);
        assert_eq!(code(&mut e, stop(Side::Buy, AlgoType::TakeProfitMarket, 101.0, "a")), -2021);
        assert_eq!(code(&mut e, stop(Side::Sell, AlgoType::StopMarket, 95.05, "a")), -4014);
        assert_eq!(code(&mut e, NewAlgo { quantity: Some(1.0), ..stop(Side::Sell, AlgoType::StopMarket, 95.0, "a") }), -1106);
        assert_eq!(code(&mut e, NewAlgo { reduce_only: true, ..stop(Side::Sell, AlgoType::StopMarket, 95.0, "a") }), -1106);
        let id = e.new_algo(stop(Side::Sell, AlgoType::StopMarket, 95.0, "a"), t).unwrap();
        assert_eq!(code(&mut e, stop(Side::Sell, AlgoType::StopMarket, 96.0, "a")), -4116);
        assert_eq!(e.open_algos().len(), 1);
        assert_eq!(e.find_algo(None, Some("a")).unwrap().algo_id, id);
        assert_eq!(e.cancel_algo(None, Some("a"), t).unwrap().status, AlgoStatus::Canceled);
        assert_eq!(e.cancel_algo(Some(id), None, t).unwrap_err().code, -2011);
        assert_eq!(e.find_algo(Some(7), None).unwrap_err().code, -2013);
        // Once canceled, the client id may be used again.
        e.new_algo(stop(Side::Sell, AlgoType::StopMarket, 95.0, "a"), t).unwrap();
    }

    #[test]
    fn a_quantity_stop_without_position_expires_when_reduce_only() {
        let mut e = engine_with(&[(2, 100.0, 100.0, 90.0, 95.0)]);
        let a = NewAlgo { close_position: false, quantity: Some(1.0), reduce_only: true, ..stop(Side::Sell, AlgoType::StopMarket, 95.0, "q") };
        let id = e.new_algo(a, T0 + 1).unwrap();
        e.advance(T0 + 3 * MIN);
        assert_eq!(e.find_algo(Some(id), None).unwrap().status, AlgoStatus::Expired);
        assert!(e.state.trades.is_empty());
    }
}
