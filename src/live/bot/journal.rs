//! The bots' durable journal: SQLite in WAL mode at `<lake>/bots.sqlite`.
//!
//! Tables: `bots` (config, desired and actual state, heartbeat), `orders` (every order and
//! conditional order by client id, written *before* it is sent and updated with the
//! exchange's answer), `fills` (the exchange's fills with real commission), `trades` (closed
//! and open positions as the bot saw them), `equity` (a snapshot per cycle), `log`. Every
//! write is one transaction; a `kill -9` loses at most the cycle in flight, which the next
//! start reconciles with the exchange. Keys never reach this file: configs hold none.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

/// File name under the lake root.
pub const FILE: &str = "bots.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("bot journal `{path}`: {error}")]
    Sql { path: String, error: rusqlite::Error },
    #[error("no bot named `{0}` in the journal (`qm bot list` shows them)")]
    UnknownBot(String),
}

/// What the user asked a bot to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desired {
    Running,
    Paused,
    Stopped,
    /// Stop after closing the position and cancelling its orders.
    StopFlatten,
}

impl Desired {
    pub fn as_str(self) -> &'static str {
        match self {
            Desired::Running => "running",
            Desired::Paused => "paused",
            Desired::Stopped => "stopped",
            Desired::StopFlatten => "stop_flatten",
        }
    }

    pub fn parse(s: &str) -> Desired {
        match s {
            "paused" => Desired::Paused,
            "stopped" => Desired::Stopped,
            "stop_flatten" => Desired::StopFlatten,
            _ => Desired::Running,
        }
    }
}

/// One row of `bots`.
#[derive(Debug, Clone, PartialEq)]
pub struct BotRow {
    pub name: String,
    pub config: String,
    pub mode: String,
    pub desired: Desired,
    pub status: String,
    pub reason: String,
    pub pid: Option<i64>,
    pub heartbeat: Option<i64>,
    /// Open time of the first bar the bot's account steps.
    pub anchor_time: Option<i64>,
    /// Open time of the first candle of its history (warm-up included).
    pub history_start: Option<i64>,
    pub last_bar: Option<i64>,
    pub last_fill_id: Option<i64>,
    pub peak_equity: Option<f64>,
    pub day: Option<i64>,
    pub day_start_equity: Option<f64>,
}

/// One order as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub client_id: String,
    /// `market` or `algo`.
    pub kind: String,
    pub action: String,
    pub bar: i64,
    pub side: String,
    pub qty: String,
    pub trigger: String,
    /// `intent` (about to be sent), `sent`, `unknown`, `filled`, `new`, `rejected`,
    /// `canceled`, `triggered`, `expired`.
    pub status: String,
    pub exchange_id: Option<i64>,
    pub avg_price: Option<f64>,
    pub executed_qty: Option<f64>,
    pub reason: String,
    pub error: String,
}

/// One position as the bot traded it.
#[derive(Debug, Clone, PartialEq)]
pub struct TradeRow {
    pub seq: i64,
    pub side: String,
    pub entry_time: i64,
    pub entry_price: f64,
    pub qty: f64,
    pub entry_order_id: i64,
    pub exit_order_id: Option<i64>,
    pub exit_time: Option<i64>,
    pub exit_price: Option<f64>,
    pub reason: Option<String>,
    pub pnl: Option<f64>,
    pub fees: f64,
}

/// One fill.
#[derive(Debug, Clone, PartialEq)]
pub struct FillRow {
    pub trade_id: i64,
    pub order_id: i64,
    pub side: String,
    pub price: f64,
    pub qty: f64,
    pub realized_pnl: f64,
    pub commission: f64,
    pub commission_asset: String,
    pub time: i64,
}

/// One equity snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct EquityRow {
    pub time: i64,
    pub equity: f64,
    pub model_equity: f64,
    pub position: f64,
    pub price: f64,
}

/// An open journal (one connection; cheap to open per task).
pub struct Journal {
    /// Behind a mutex so a journal can be shared by the tasks of one bot.
    conn: std::sync::Mutex<Connection>,
    path: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bots (
  name TEXT PRIMARY KEY, config TEXT NOT NULL, mode TEXT NOT NULL,
  desired TEXT NOT NULL DEFAULT 'running', status TEXT NOT NULL DEFAULT 'created', reason TEXT NOT NULL DEFAULT '',
  pid INTEGER, heartbeat INTEGER, anchor_time INTEGER, history_start INTEGER, last_bar INTEGER, last_fill_id INTEGER,
  peak_equity REAL, day INTEGER, day_start_equity REAL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  bot TEXT NOT NULL, client_id TEXT NOT NULL, kind TEXT NOT NULL, action TEXT NOT NULL, bar INTEGER NOT NULL,
  side TEXT NOT NULL, qty TEXT NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL, exchange_id INTEGER,
  avg_price REAL, executed_qty REAL, reason TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0, sent_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (bot, client_id));
CREATE TABLE IF NOT EXISTS fills (
  bot TEXT NOT NULL, trade_id INTEGER NOT NULL, order_id INTEGER NOT NULL, side TEXT NOT NULL, price REAL NOT NULL,
  qty REAL NOT NULL, realized_pnl REAL NOT NULL, commission REAL NOT NULL, commission_asset TEXT NOT NULL,
  time INTEGER NOT NULL, PRIMARY KEY (bot, trade_id));
CREATE TABLE IF NOT EXISTS trades (
  bot TEXT NOT NULL, seq INTEGER NOT NULL, side TEXT NOT NULL, entry_time INTEGER NOT NULL, entry_price REAL NOT NULL,
  qty REAL NOT NULL, entry_order_id INTEGER NOT NULL, exit_order_id INTEGER, exit_time INTEGER, exit_price REAL, reason TEXT, pnl REAL,
  fees REAL NOT NULL DEFAULT 0, PRIMARY KEY (bot, seq));
CREATE TABLE IF NOT EXISTS equity (
  bot TEXT NOT NULL, time INTEGER NOT NULL, equity REAL NOT NULL, model_equity REAL NOT NULL, position REAL NOT NULL,
  price REAL NOT NULL, PRIMARY KEY (bot, time));
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY AUTOINCREMENT, bot TEXT NOT NULL, time INTEGER NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS log_bot ON log (bot, id);
";

fn now() -> i64 {
    crate::live::clock::wall_ms()
}

impl Journal {
    /// Open (creating) `<lake>/bots.sqlite`.
    pub fn open_in(lake_root: &Path) -> Result<Journal, JournalError> {
        Journal::open(&lake_root.join(FILE))
    }

    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let sql = |error| JournalError::Sql { path: path.display().to_string(), error };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(sql)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        Ok(Journal { conn: std::sync::Mutex::new(conn), path: path.to_path_buf() })
    }

    fn c(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
        move |error| JournalError::Sql { path: self.path.display().to_string(), error }
    }

    /// Register (or update the config of) a bot; its run state is kept.
    pub fn upsert_bot(&self, name: &str, config_json: &str, mode: &str) -> Result<(), JournalError> {
        let t = now();
        self.c()
            .execute(
                "INSERT INTO bots (name, config, mode, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT(name) DO UPDATE SET config = excluded.config, mode = excluded.mode, updated_at = excluded.updated_at",
                params![name, config_json, mode, t],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn bot(&self, name: &str) -> Result<BotRow, JournalError> {
        self.try_bot(name)?.ok_or_else(|| JournalError::UnknownBot(name.to_string()))
    }

    pub fn try_bot(&self, name: &str) -> Result<Option<BotRow>, JournalError> {
        self.c()
            .query_row(&format!("SELECT {BOT_COLS} FROM bots WHERE name = ?1"), [name], bot_row)
            .optional()
            .map_err(self.err())
    }

    pub fn bots(&self) -> Result<Vec<BotRow>, JournalError> {
        let c = self.c();
        let mut st = c.prepare(&format!("SELECT {BOT_COLS} FROM bots ORDER BY name")).map_err(self.err())?;
        let rows = st.query_map([], bot_row).map_err(self.err())?.collect::<Result<Vec<_>, _>>().map_err(self.err())?;
        Ok(rows)
    }

    pub fn set_desired(&self, name: &str, d: Desired) -> Result<(), JournalError> {
        let n = self.c().execute("UPDATE bots SET desired = ?2, updated_at = ?3 WHERE name = ?1", params![name, d.as_str(), now()]).map_err(self.err())?;
        if n == 0 {
            return Err(JournalError::UnknownBot(name.to_string()));
        }
        Ok(())
    }

    pub fn set_status(&self, name: &str, status: &str, reason: &str, pid: Option<i64>) -> Result<(), JournalError> {
        self.c()
            .execute("UPDATE bots SET status = ?2, reason = ?3, pid = ?4, heartbeat = ?5, updated_at = ?5 WHERE name = ?1", params![name, status, reason, pid, now()])
            .map_err(self.err())?;
        Ok(())
    }

    pub fn heartbeat(&self, name: &str) -> Result<(), JournalError> {
        self.c().execute("UPDATE bots SET heartbeat = ?2 WHERE name = ?1", params![name, now()]).map_err(self.err())?;
        Ok(())
    }

    /// The bar anchors, set once at the first start.
    pub fn set_anchor(&self, name: &str, anchor_time: i64, history_start: i64) -> Result<(), JournalError> {
        self.c()
            .execute("UPDATE bots SET anchor_time = ?2, history_start = ?3 WHERE name = ?1 AND anchor_time IS NULL", params![name, anchor_time, history_start])
            .map_err(self.err())?;
        Ok(())
    }

    /// Forget a bot's run (anchors, progress, orders, fills, trades, equity, log): a fresh start.
    pub fn reset_run(&self, name: &str) -> Result<(), JournalError> {
        let c = self.c();
        let tx = c.unchecked_transaction().map_err(self.err())?;
        for t in ["orders", "fills", "trades", "equity", "log"] {
            tx.execute(&format!("DELETE FROM {t} WHERE bot = ?1"), [name]).map_err(self.err())?;
        }
        tx.execute(
            "UPDATE bots SET anchor_time = NULL, history_start = NULL, last_bar = NULL, last_fill_id = NULL, peak_equity = NULL, day = NULL, day_start_equity = NULL, desired = 'running', status = 'created', reason = '' WHERE name = ?1",
            [name],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    /// Progress after a cycle.
    pub fn set_progress(&self, name: &str, last_bar: i64, peak: f64, day: i64, day_start: f64) -> Result<(), JournalError> {
        self.c()
            .execute(
                "UPDATE bots SET last_bar = ?2, peak_equity = ?3, day = ?4, day_start_equity = ?5, heartbeat = ?6 WHERE name = ?1",
                params![name, last_bar, peak, day, day_start, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn order(&self, bot: &str, client_id: &str) -> Result<Option<OrderRow>, JournalError> {
        self.c()
            .query_row(&format!("SELECT {ORDER_COLS} FROM orders WHERE bot = ?1 AND client_id = ?2"), [bot, client_id], order_row)
            .optional()
            .map_err(self.err())
    }

    pub fn orders(&self, bot: &str) -> Result<Vec<OrderRow>, JournalError> {
        let c = self.c();
        let mut st = c.prepare(&format!("SELECT {ORDER_COLS} FROM orders WHERE bot = ?1 ORDER BY created_at, rowid")).map_err(self.err())?;
        let rows = st.query_map([bot], order_row).map_err(self.err())?.collect::<Result<Vec<_>, _>>().map_err(self.err())?;
        Ok(rows)
    }

    /// Record the intent to send an order (before sending). An existing row is kept.
    pub fn order_intent(&self, bot: &str, o: &OrderRow) -> Result<(), JournalError> {
        let t = now();
        self.c()
            .execute(
                "INSERT INTO orders (bot, client_id, kind, action, bar, side, qty, trigger, status, reason, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'intent', ?9, ?10, ?10) ON CONFLICT(bot, client_id) DO NOTHING",
                params![bot, o.client_id, o.kind, o.action, o.bar, o.side, o.qty, o.trigger, o.reason, t],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn order_sent(&self, bot: &str, client_id: &str) -> Result<(), JournalError> {
        self.c()
            .execute(
                "UPDATE orders SET status = 'sent', attempts = attempts + 1, sent_at = ?3, updated_at = ?3 WHERE bot = ?1 AND client_id = ?2",
                params![bot, client_id, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Update an order with what the exchange said.
    #[allow(clippy::too_many_arguments)]
    pub fn order_result(
        &self,
        bot: &str,
        client_id: &str,
        status: &str,
        exchange_id: Option<i64>,
        avg_price: Option<f64>,
        executed_qty: Option<f64>,
        error: &str,
    ) -> Result<(), JournalError> {
        self.c()
            .execute(
                "UPDATE orders SET status = ?3, exchange_id = COALESCE(?4, exchange_id), avg_price = COALESCE(?5, avg_price),
                 executed_qty = COALESCE(?6, executed_qty), error = ?7, updated_at = ?8 WHERE bot = ?1 AND client_id = ?2",
                params![bot, client_id, status, exchange_id, avg_price, executed_qty, error, now()],
            )
            .map_err(self.err())?;
        Ok(())
    }

    /// Store new fills and the new last fill id in one transaction.
    pub fn add_fills(&self, bot: &str, fills: &[FillRow]) -> Result<(), JournalError> {
        if fills.is_empty() {
            return Ok(());
        }
        let c = self.c();
        let tx = c.unchecked_transaction().map_err(self.err())?;
        for f in fills {
            tx.execute(
                "INSERT OR IGNORE INTO fills (bot, trade_id, order_id, side, price, qty, realized_pnl, commission, commission_asset, time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![bot, f.trade_id, f.order_id, f.side, f.price, f.qty, f.realized_pnl, f.commission, f.commission_asset, f.time],
            )
            .map_err(self.err())?;
        }
        let last = fills.iter().map(|f| f.trade_id).max();
        tx.execute("UPDATE bots SET last_fill_id = MAX(COALESCE(last_fill_id, 0), ?2) WHERE name = ?1", params![bot, last]).map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    pub fn fills(&self, bot: &str) -> Result<Vec<FillRow>, JournalError> {
        let c = self.c();
        let mut st = c
            .prepare("SELECT trade_id, order_id, side, price, qty, realized_pnl, commission, commission_asset, time FROM fills WHERE bot = ?1 ORDER BY trade_id")
            .map_err(self.err())?;
        let rows = st
            .query_map([bot], |r| {
                Ok(FillRow {
                    trade_id: r.get(0)?,
                    order_id: r.get(1)?,
                    side: r.get(2)?,
                    price: r.get(3)?,
                    qty: r.get(4)?,
                    realized_pnl: r.get(5)?,
                    commission: r.get(6)?,
                    commission_asset: r.get(7)?,
                    time: r.get(8)?,
                })
            })
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        Ok(rows)
    }

    /// Totals of the fills: (realized pnl, commission).
    pub fn fill_totals(&self, bot: &str) -> Result<(f64, f64), JournalError> {
        self.c()
            .query_row("SELECT COALESCE(SUM(realized_pnl), 0), COALESCE(SUM(commission), 0) FROM fills WHERE bot = ?1", [bot], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())
    }

    pub fn open_trade(&self, bot: &str) -> Result<Option<TradeRow>, JournalError> {
        self.c()
            .query_row(&format!("SELECT {TRADE_COLS} FROM trades WHERE bot = ?1 AND exit_time IS NULL ORDER BY seq DESC LIMIT 1"), [bot], trade_row)
            .optional()
            .map_err(self.err())
    }

    pub fn trades(&self, bot: &str) -> Result<Vec<TradeRow>, JournalError> {
        let c = self.c();
        let mut st = c.prepare(&format!("SELECT {TRADE_COLS} FROM trades WHERE bot = ?1 ORDER BY seq")).map_err(self.err())?;
        let rows = st.query_map([bot], trade_row).map_err(self.err())?.collect::<Result<Vec<_>, _>>().map_err(self.err())?;
        Ok(rows)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn start_trade(&self, bot: &str, side: &str, entry_time: i64, entry_price: f64, qty: f64, entry_order_id: i64, fees: f64) -> Result<(), JournalError> {
        self.c()
            .execute(
                "INSERT INTO trades (bot, seq, side, entry_time, entry_price, qty, entry_order_id, fees)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM trades WHERE bot = ?1), ?2, ?3, ?4, ?5, ?6, ?7)",
                params![bot, side, entry_time, entry_price, qty, entry_order_id, fees],
            )
            .map_err(self.err())?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn close_trade(&self, bot: &str, seq: i64, exit_order_id: Option<i64>, exit_time: i64, exit_price: f64, reason: &str, pnl: f64, fees: f64) -> Result<(), JournalError> {
        self.c()
            .execute(
                "UPDATE trades SET exit_order_id = ?3, exit_time = ?4, exit_price = ?5, reason = ?6, pnl = ?7, fees = ?8 WHERE bot = ?1 AND seq = ?2",
                params![bot, seq, exit_order_id, exit_time, exit_price, reason, pnl, fees],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn add_equity(&self, bot: &str, e: &EquityRow) -> Result<(), JournalError> {
        self.c()
            .execute(
                "INSERT OR REPLACE INTO equity (bot, time, equity, model_equity, position, price) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![bot, e.time, e.equity, e.model_equity, e.position, e.price],
            )
            .map_err(self.err())?;
        Ok(())
    }

    pub fn equity(&self, bot: &str) -> Result<Vec<EquityRow>, JournalError> {
        let c = self.c();
        let mut st = c.prepare("SELECT time, equity, model_equity, position, price FROM equity WHERE bot = ?1 ORDER BY time").map_err(self.err())?;
        let rows = st
            .query_map([bot], |r| Ok(EquityRow { time: r.get(0)?, equity: r.get(1)?, model_equity: r.get(2)?, position: r.get(3)?, price: r.get(4)? }))
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        Ok(rows)
    }

    pub fn log(&self, bot: &str, level: &str, message: &str) -> Result<(), JournalError> {
        self.c()
            .execute("INSERT INTO log (bot, time, level, message) VALUES (?1, ?2, ?3, ?4)", params![bot, now(), level, message])
            .map_err(self.err())?;
        Ok(())
    }

    /// The newest `limit` log lines, oldest first: (time, level, message).
    pub fn logs(&self, bot: &str, limit: usize) -> Result<Vec<(i64, String, String)>, JournalError> {
        let c = self.c();
        let mut st = c
            .prepare("SELECT time, level, message FROM (SELECT id, time, level, message FROM log WHERE bot = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id")
            .map_err(self.err())?;
        let rows = st
            .query_map(params![bot, limit as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        Ok(rows)
    }
}

const BOT_COLS: &str = "name, config, mode, desired, status, reason, pid, heartbeat, anchor_time, history_start, last_bar, last_fill_id, peak_equity, day, day_start_equity";

fn bot_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BotRow> {
    Ok(BotRow {
        name: r.get(0)?,
        config: r.get(1)?,
        mode: r.get(2)?,
        desired: Desired::parse(&r.get::<_, String>(3)?),
        status: r.get(4)?,
        reason: r.get(5)?,
        pid: r.get(6)?,
        heartbeat: r.get(7)?,
        anchor_time: r.get(8)?,
        history_start: r.get(9)?,
        last_bar: r.get(10)?,
        last_fill_id: r.get(11)?,
        peak_equity: r.get(12)?,
        day: r.get(13)?,
        day_start_equity: r.get(14)?,
    })
}

const ORDER_COLS: &str = "client_id, kind, action, bar, side, qty, trigger, status, exchange_id, avg_price, executed_qty, reason, error";

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderRow> {
    Ok(OrderRow {
        client_id: r.get(0)?,
        kind: r.get(1)?,
        action: r.get(2)?,
        bar: r.get(3)?,
        side: r.get(4)?,
        qty: r.get(5)?,
        trigger: r.get(6)?,
        status: r.get(7)?,
        exchange_id: r.get(8)?,
        avg_price: r.get(9)?,
        executed_qty: r.get(10)?,
        reason: r.get(11)?,
        error: r.get(12)?,
    })
}

const TRADE_COLS: &str = "seq, side, entry_time, entry_price, qty, entry_order_id, exit_order_id, exit_time, exit_price, reason, pnl, fees";

fn trade_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TradeRow> {
    Ok(TradeRow {
        seq: r.get(0)?,
        side: r.get(1)?,
        entry_time: r.get(2)?,
        entry_price: r.get(3)?,
        qty: r.get(4)?,
        entry_order_id: r.get(5)?,
        exit_order_id: r.get(6)?,
        exit_time: r.get(7)?,
        exit_price: r.get(8)?,
        reason: r.get(9)?,
        pnl: r.get(10)?,
        fees: r.get(11)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trips_and_survives_reopen() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open_in(d.path()).unwrap();
        j.upsert_bot("b1", "{}", "paper").unwrap();
        j.set_anchor("b1", 100, 50).unwrap();
        j.set_anchor("b1", 200, 60).unwrap();
        let o = OrderRow {
            client_id: "qm-b1-x-o".into(),
            kind: "market".into(),
            action: "open".into(),
            bar: 100,
            side: "BUY".into(),
            qty: "0.010".into(),
            trigger: String::new(),
            status: String::new(),
            exchange_id: None,
            avg_price: None,
            executed_qty: None,
            reason: "signal".into(),
            error: String::new(),
        };
        j.order_intent("b1", &o).unwrap();
        j.order_sent("b1", &o.client_id).unwrap();
        j.order_result("b1", &o.client_id, "filled", Some(7), Some(101.5), Some(0.01), "").unwrap();
        drop(j);
        let j = Journal::open_in(d.path()).unwrap();
        let b = j.bot("b1").unwrap();
        assert_eq!((b.anchor_time, b.history_start, b.desired), (Some(100), Some(50), Desired::Running));
        let got = j.order("b1", &o.client_id).unwrap().unwrap();
        assert_eq!((got.status.as_str(), got.exchange_id, got.avg_price), ("filled", Some(7), Some(101.5)));
        j.set_desired("b1", Desired::Paused).unwrap();
        assert_eq!(j.bot("b1").unwrap().desired, Desired::Paused);
        assert!(j.set_desired("nope", Desired::Paused).unwrap_err().to_string().contains("`nope`"));
        let mode: String = j.c().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }
}
