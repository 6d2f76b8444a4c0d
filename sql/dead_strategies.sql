-- Dead strategies: parameter sets that never trade on any symbol, timeframe or SL/TP level,
-- or whose full-period return is never positive. Per strategy: how many of its parameter
-- sets are dead, and why. Strategies whose every parameter set is dead come first.
WITH per_params AS (
    SELECT strategy, params,
           max(trades) AS max_trades,
           max(total_return) AS best_return,
           count(*) AS results
    FROM mega
    GROUP BY strategy, params
),
per_strategy AS (
    SELECT strategy,
           count(*) AS param_sets,
           CAST(sum(CASE WHEN max_trades = 0 THEN 1 ELSE 0 END) AS BIGINT) AS never_trade,
           CAST(sum(CASE WHEN max_trades > 0 AND best_return <= 0 THEN 1 ELSE 0 END) AS BIGINT) AS always_negative,
           max(best_return) AS best_return,
           CAST(sum(results) AS BIGINT) AS results
    FROM per_params
    GROUP BY strategy
)
SELECT strategy, param_sets, results, never_trade, always_negative,
       round(CAST(never_trade + always_negative AS DOUBLE) / param_sets, 4) AS dead_share,
       round(best_return, 6) AS best_return,
       CASE
           WHEN never_trade = param_sets THEN 'never trades'
           WHEN never_trade + always_negative = param_sets THEN 'always negative'
           ELSE 'partly dead'
       END AS verdict
FROM per_strategy
WHERE never_trade + always_negative > 0
ORDER BY dead_share DESC NULLS LAST, strategy;
