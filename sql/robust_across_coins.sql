-- Strategies robust across all coins: (strategy, params, SL/TP level) that the latest
-- walk-forward run of EVERY symbol of a timeframe kept, with a positive mean OOS return on
-- each symbol. Ranked by their worst symbol's OOS Sharpe.
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
coins AS (
    SELECT timeframe, count(DISTINCT symbol) AS n_symbols
    FROM latest
    GROUP BY timeframe
),
per_combo AS (
    SELECT w.timeframe, w.strategy, w.params, w.stop_loss, w.take_profit,
           count(DISTINCT w.symbol) AS symbols,
           min(w.oos_return_mean) AS worst_oos_return,
           min(w.oos_sharpe_mean) AS worst_oos_sharpe,
           avg(w.oos_sharpe_mean) AS mean_oos_sharpe,
           min(w.consistency) AS worst_consistency
    FROM wf w
    JOIN latest l ON w.symbol = l.symbol AND w.timeframe = l.timeframe AND w.run = l.run
    GROUP BY w.timeframe, w.strategy, w.params, w.stop_loss, w.take_profit
)
SELECT p.timeframe, p.strategy, p.params, p.stop_loss, p.take_profit, p.symbols,
       round(p.worst_oos_sharpe, 4) AS worst_oos_sharpe,
       round(p.mean_oos_sharpe, 4) AS mean_oos_sharpe,
       round(p.worst_oos_return, 6) AS worst_oos_return,
       round(p.worst_consistency, 4) AS worst_consistency
FROM per_combo p
JOIN coins c ON p.timeframe = c.timeframe
WHERE p.symbols = c.n_symbols AND p.worst_oos_return > 0
ORDER BY timeframe, worst_oos_sharpe DESC NULLS LAST, mean_oos_sharpe DESC NULLS LAST, strategy, params, stop_loss, take_profit;
