-- Best walk-forward results per timeframe: the top 10 (symbol, strategy, params, SL/TP level)
-- of each timeframe's latest runs, ranked as the reference ranks walk-forward tables:
-- OOS Sharpe mean, then consistency, then OOS return, all descending.
-- Runs with: qm sql -f sql/best_oos_sharpe.sql   or   duckdb lake/qm.duckdb < sql/best_oos_sharpe.sql
WITH runs AS (
    SELECT symbol, timeframe, run, max(created_at) AS created
    FROM wf
    GROUP BY symbol, timeframe, run
),
latest AS (
    SELECT symbol, timeframe, run
    FROM (
        SELECT symbol, timeframe, run,
               row_number() OVER (PARTITION BY symbol, timeframe ORDER BY created DESC NULLS LAST, run DESC NULLS LAST) AS k
        FROM runs
    ) r
    WHERE k = 1
),
ranked AS (
    SELECT w.timeframe, w.symbol, w.strategy, w.params, w.stop_loss, w.take_profit,
           w.oos_sharpe_mean, w.consistency, w.oos_return_mean, w.oos_sharpe_min,
           w.oos_trades_mean, w.is_sharpe_mean, w.sharpe_decay,
           row_number() OVER (
               PARTITION BY w.timeframe
               ORDER BY w.oos_sharpe_mean DESC NULLS LAST, w.consistency DESC NULLS LAST, w.oos_return_mean DESC NULLS LAST,
                        w.symbol, w.strategy, w.params, w.stop_loss
           ) AS rank
    FROM wf w
    JOIN latest l ON w.symbol = l.symbol AND w.timeframe = l.timeframe AND w.run = l.run
)
SELECT timeframe, rank, symbol, strategy, params, stop_loss, take_profit,
       round(oos_sharpe_mean, 4) AS oos_sharpe_mean,
       round(consistency, 4) AS consistency,
       round(oos_return_mean, 6) AS oos_return_mean,
       round(oos_sharpe_min, 4) AS oos_sharpe_min,
       oos_trades_mean,
       round(is_sharpe_mean, 4) AS is_sharpe_mean,
       round(sharpe_decay, 4) AS sharpe_decay
FROM ranked
WHERE rank <= 10
ORDER BY timeframe, rank;
