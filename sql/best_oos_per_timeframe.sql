-- Best walk-forward result per (symbol, timeframe) by out-of-sample Sharpe, ties broken the
-- reference's way (consistency, OOS return, then grid and level order).
SELECT symbol, timeframe, strategy, params, stop_loss, take_profit,
       is_sharpe_mean, oos_sharpe_mean, oos_return_mean, oos_max_dd_mean, consistency, sharpe_decay
FROM (
  SELECT *, row_number() OVER (
           PARTITION BY symbol, timeframe
           ORDER BY oos_sharpe_mean DESC, consistency DESC, oos_return_mean DESC, combo, level) AS rnk
  FROM wf
) ranked
WHERE rnk = 1
ORDER BY timeframe, oos_sharpe_mean DESC;
