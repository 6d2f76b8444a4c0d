-- In-sample -> out-of-sample decay per timeframe and strategy, over every walk-forward
-- window: mean IS and OOS Sharpe, the decay 1 - OOS/IS of those means (1 when the IS mean
-- is 0, as the walk-forward table defines it), how often OOS beat IS, and the IS/OOS Sharpe
-- correlation (near 0 or negative: in-sample fit says nothing about the future).
SELECT timeframe, strategy,
       count(*) AS windows,
       round(avg(is_sharpe), 4) AS mean_is_sharpe,
       round(avg(oos_sharpe), 4) AS mean_oos_sharpe,
       round(CASE WHEN avg(is_sharpe) = 0 THEN 1.0 ELSE 1.0 - avg(oos_sharpe) / avg(is_sharpe) END, 4) AS sharpe_decay,
       round(avg(CASE WHEN oos_sharpe >= is_sharpe THEN 1.0 ELSE 0.0 END), 4) AS oos_beats_is,
       round(CASE WHEN stddev_samp(is_sharpe) > 0 AND stddev_samp(oos_sharpe) > 0 THEN corr(is_sharpe, oos_sharpe) END, 4)
           AS is_oos_correlation,
       round(avg(is_total_return), 6) AS mean_is_return,
       round(avg(oos_total_return), 6) AS mean_oos_return
FROM wf_windows
GROUP BY timeframe, strategy
ORDER BY timeframe, sharpe_decay, strategy;
