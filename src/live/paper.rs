//! The paper venue: live public futures candles, fills simulated in-process with the kernel's
//! cost model — market orders at the forming candle's open paying `commission + slippage` on
//! the notional, SL/TP at their trigger prices when a closed candle's low/high reaches them,
//! liquidation at the maintenance margin. No keys are needed and nothing is sent to the
//! exchange but public kline and exchangeInfo requests.

use std::sync::Mutex;

use crate::binance::Kline;
use crate::live::exchange::rest::FuturesRest;
use crate::live::exchange::{AlgoKind, AlgoOrder, Balance, ExchangeError, MarginType, Order, OrderSide, Position, UserTrade, Venue};
use crate::live::filters::SymbolFilters;
use crate::timeframe::Timeframe;

#[derive(Debug, Default)]
struct Book {
    wallet: f64,
    qty: f64,
    entry: f64,
    margin: f64,
    leverage: f64,
    orders: Vec<Order>,
    algos: Vec<AlgoOrder>,
    fills: Vec<UserTrade>,
    /// Open time of the newest closed candle applied to the book.
    processed: Option<i64>,
    /// The forming candle's open (the fill price of market orders).
    last_open: Option<f64>,
    next_id: i64,
}

/// Paper trading over a public REST client.
pub struct PaperVenue {
    public: FuturesRest,
    cost: f64,
    mm: f64,
    book: Mutex<Book>,
}

impl PaperVenue {
    /// `cost` = commission + slippage (the kernel's); `capital` the paper wallet.
    pub fn new(public: FuturesRest, capital: f64, leverage: u32, cost: f64, maintenance_margin: f64) -> PaperVenue {
        PaperVenue {
            public,
            cost,
            mm: maintenance_margin,
            book: Mutex::new(Book { wallet: capital, leverage: leverage.max(1) as f64, next_id: 1, ..Book::default() }),
        }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Book {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Fill `q` (signed: `> 0` buys) at `px`, charging `cost` on the notional.
    fn fill(&mut self, order_id: i64, q: f64, px: f64, cost: f64, time: i64) -> f64 {
        let fee = cost * px * q.abs();
        let mut realized = 0.0;
        if self.qty != 0.0 && self.qty.signum() != q.signum() {
            let closed = q.abs().min(self.qty.abs());
            realized = (px - self.entry) * closed * self.qty.signum();
            let frac = closed / self.qty.abs();
            self.margin -= self.margin * frac;
            self.qty += closed * q.signum();
            if self.qty.abs() < 1e-12 {
                self.qty = 0.0;
                self.entry = 0.0;
                self.margin = 0.0;
            }
        } else {
            let n = self.qty.abs() + q.abs();
            self.entry = (self.entry * self.qty.abs() + px * q.abs()) / n;
            self.qty += q;
            self.margin += px * q.abs() / self.leverage;
        }
        self.wallet += realized - fee;
        let id = self.id();
        self.fills.push(UserTrade {
            id,
            order_id,
            side: if q > 0.0 { OrderSide::Buy } else { OrderSide::Sell },
            price: px,
            qty: q.abs(),
            realized_pnl: realized,
            commission: fee,
            commission_asset: "USDT".into(),
            time,
        });
        realized
    }

    /// Apply closed candles: liquidation, then SL before TP.
    fn apply(&mut self, k: &Kline, cost: f64, mm: f64, interval_ms: i64) {
        if self.processed.is_some_and(|p| k.open_time <= p) {
            return;
        }
        self.processed = Some(k.open_time);
        if self.qty == 0.0 {
            return;
        }
        let long = self.qty > 0.0;
        let aq = self.qty.abs();
        let worst = if long { k.low } else { k.high };
        let u = if long { (worst - self.entry) * aq } else { (self.entry - worst) * aq };
        let t = k.open_time + interval_ms / 2;
        if self.leverage > 1.0 && self.margin + u <= aq * worst * mm {
            let id = self.id();
            let loss = -self.margin;
            self.wallet += loss;
            self.fills.push(UserTrade { id, order_id: id, side: if long { OrderSide::Sell } else { OrderSide::Buy }, price: worst, qty: aq, realized_pnl: loss, commission: 0.0, commission_asset: "USDT".into(), time: t });
            self.qty = 0.0;
            self.entry = 0.0;
            self.margin = 0.0;
            return;
        }
        let mut hit: Option<usize> = None;
        for kind in [AlgoKind::StopMarket, AlgoKind::TakeProfitMarket] {
            if let Some(i) = self.algos.iter().position(|a| {
                a.is_open()
                    && a.kind == kind
                    && a.create_time < k.open_time + interval_ms
                    && match (a.kind, a.side) {
                        (AlgoKind::StopMarket, OrderSide::Sell) | (AlgoKind::TakeProfitMarket, OrderSide::Buy) => k.low <= a.trigger_price,
                        _ => k.high >= a.trigger_price,
                    }
            }) {
                hit = Some(i);
                break;
            }
        }
        if let Some(i) = hit {
            let oid = self.id();
            let px = self.algos[i].trigger_price;
            let q = -self.qty;
            self.fill(oid, q, px, cost, t);
            let a = &mut self.algos[i];
            a.status = "FINISHED".into();
            a.actual_order_id = Some(oid);
        }
    }
}

impl Venue for PaperVenue {
    fn now_ms(&self) -> i64 {
        self.public.now_ms()
    }

    async fn sync_time(&self) -> Result<(), ExchangeError> {
        self.public.sync_time().await
    }

    async fn filters(&self, symbol: &str) -> Result<SymbolFilters, ExchangeError> {
        self.public.filters(symbol).await
    }

    async fn klines(&self, symbol: &str, tf: Timeframe, start: Option<i64>, limit: usize) -> Result<Vec<Kline>, ExchangeError> {
        let rows = self.public.klines(symbol, tf, start, limit).await?;
        let now = self.now_ms();
        let iv = tf.millis();
        let mut b = self.book();
        for k in &rows {
            if k.open_time + iv <= now {
                b.apply(k, self.cost, self.mm, iv);
            } else if k.open_time <= now {
                b.last_open = Some(k.open);
            }
        }
        Ok(rows)
    }

    async fn prepare(&self, _symbol: &str, leverage: u32, _margin: MarginType) -> Result<(), ExchangeError> {
        self.book().leverage = leverage.max(1) as f64;
        Ok(())
    }

    async fn market_order(&self, _symbol: &str, side: OrderSide, qty: &str, reduce_only: bool, client_id: &str) -> Result<Order, ExchangeError> {
        let q: f64 = qty.parse().map_err(|_| ExchangeError::Config(format!("quantity `{qty}` is not a number")))?;
        let now = self.now_ms();
        let mut b = self.book();
        let px = b.last_open.ok_or_else(|| ExchangeError::Config("paper venue: no forming candle seen yet".into()))?;
        let signed = if side == OrderSide::Buy { q } else { -q };
        if reduce_only && (b.qty == 0.0 || b.qty.signum() == signed.signum()) {
            return Err(ExchangeError::Api { path: "paper".into(), status: 400, code: -2022, msg: "ReduceOnly Order is rejected.".into() });
        }
        let signed = if reduce_only { signed.signum() * signed.abs().min(b.qty.abs()) } else { signed };
        let id = b.id();
        b.fill(id, signed, px, self.cost, now);
        let o = Order { order_id: id, client_id: client_id.into(), status: "FILLED".into(), side, avg_price: px, executed_qty: signed.abs(), orig_qty: q, reduce_only, update_time: now };
        b.orders.push(o.clone());
        Ok(o)
    }

    async fn order_by_client_id(&self, _symbol: &str, client_id: &str) -> Result<Option<Order>, ExchangeError> {
        Ok(self.book().orders.iter().rev().find(|o| o.client_id == client_id).cloned())
    }

    async fn algo_order(&self, _symbol: &str, kind: AlgoKind, side: OrderSide, trigger: &str, client_id: &str) -> Result<AlgoOrder, ExchangeError> {
        let px: f64 = trigger.parse().map_err(|_| ExchangeError::Config(format!("trigger `{trigger}` is not a number")))?;
        let now = self.now_ms();
        let mut b = self.book();
        if let Some(last) = b.last_open {
            let immediate = match (kind, side) {
                (AlgoKind::StopMarket, OrderSide::Sell) | (AlgoKind::TakeProfitMarket, OrderSide::Buy) => last <= px,
                _ => last >= px,
            };
            if immediate {
                return Err(ExchangeError::Api { path: "paper".into(), status: 400, code: -2021, msg: "Order would immediately trigger.".into() });
            }
        }
        let id = b.id();
        let a = AlgoOrder { algo_id: id, client_id: client_id.into(), kind, side, trigger_price: px, status: "NEW".into(), actual_order_id: None, create_time: now };
        b.algos.push(a.clone());
        Ok(a)
    }

    async fn algo_by_client_id(&self, _symbol: &str, client_id: &str) -> Result<Option<AlgoOrder>, ExchangeError> {
        Ok(self.book().algos.iter().rev().find(|a| a.client_id == client_id).cloned())
    }

    async fn cancel_algo(&self, _symbol: &str, client_id: &str) -> Result<bool, ExchangeError> {
        let mut b = self.book();
        match b.algos.iter_mut().rev().find(|a| a.client_id == client_id && a.is_open()) {
            Some(a) => {
                a.status = "CANCELED".into();
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn open_algo_orders(&self, _symbol: &str) -> Result<Vec<AlgoOrder>, ExchangeError> {
        Ok(self.book().algos.iter().filter(|a| a.is_open()).cloned().collect())
    }

    async fn position(&self, _symbol: &str) -> Result<Position, ExchangeError> {
        let b = self.book();
        let mark = b.last_open.unwrap_or(b.entry);
        Ok(Position { qty: b.qty, entry_price: b.entry, mark_price: mark, unrealized: (mark - b.entry) * b.qty, leverage: Some(b.leverage) })
    }

    async fn user_trades(&self, _symbol: &str, after_id: Option<i64>) -> Result<Vec<UserTrade>, ExchangeError> {
        Ok(self.book().fills.iter().filter(|f| after_id.is_none_or(|a| f.id > a)).cloned().collect())
    }

    async fn balance(&self) -> Result<Balance, ExchangeError> {
        let b = self.book();
        Ok(Balance { balance: b.wallet, available: b.wallet - b.margin, unrealized: 0.0 })
    }
}
