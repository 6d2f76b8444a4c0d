-- Strategies that hold up on every coin: per strategy and timeframe, how many coins have at
-- least one walk-forward row with positive mean OOS Sharpe and consistency >= 0.6.
SELECT strategy, timeframe,
       count(DISTINCT symbol) AS coins_robust,
       (SELECT count(DISTINCT symbol) FROM wf) AS coins_total,
       max(oos_sharpe_mean) AS best_oos_sharpe
FROM wf
WHERE oos_sharpe_mean > 0 AND consistency >= 0.6
GROUP BY strategy, timeframe
ORDER BY coins_robust DESC, best_oos_sharpe DESC;
