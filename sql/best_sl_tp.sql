-- Which SL/TP level works best: per timeframe and level, the full-period (mega) results
-- next to the walk-forward (wf) out-of-sample ones, over every symbol, strategy and
-- parameter set. Sorted by the mean OOS Sharpe of the level.
WITH full_period AS (
    SELECT timeframe, stop_loss, take_profit,
           count(*) AS results,
           avg(sharpe) AS mean_sharpe,
           median(sharpe) AS median_sharpe,
           avg(total_return) AS mean_return,
           avg(CASE WHEN total_return > 0 THEN 1.0 ELSE 0.0 END) AS profitable_share,
           avg(max_drawdown) AS mean_max_drawdown,
           avg(CAST(trades AS DOUBLE)) AS mean_trades
    FROM mega
    GROUP BY timeframe, stop_loss, take_profit
),
out_of_sample AS (
    SELECT timeframe, stop_loss, take_profit,
           count(*) AS wf_results,
           avg(oos_sharpe_mean) AS mean_oos_sharpe,
           avg(consistency) AS mean_consistency
    FROM wf
    GROUP BY timeframe, stop_loss, take_profit
)
SELECT f.timeframe, f.stop_loss, f.take_profit, f.results,
       round(f.mean_sharpe, 4) AS mean_sharpe,
       round(f.median_sharpe, 4) AS median_sharpe,
       round(f.mean_return, 6) AS mean_return,
       round(f.profitable_share, 4) AS profitable_share,
       round(f.mean_max_drawdown, 6) AS mean_max_drawdown,
       round(f.mean_trades, 1) AS mean_trades,
       o.wf_results,
       round(o.mean_oos_sharpe, 4) AS mean_oos_sharpe,
       round(o.mean_consistency, 4) AS mean_consistency
FROM full_period f
LEFT JOIN out_of_sample o
    ON f.timeframe = o.timeframe AND f.stop_loss = o.stop_loss AND f.take_profit = o.take_profit
ORDER BY timeframe, mean_oos_sharpe DESC NULLS LAST, mean_sharpe DESC NULLS LAST, stop_loss, take_profit;
