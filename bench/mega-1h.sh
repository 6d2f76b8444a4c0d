#!/usr/bin/env bash
# Pipeline benchmark: the 10-coin 1h mega walk-forward (full grid, 3 SL/TP levels, 5 windows)
# on synthetic candles (no network), reporting wall time, combinations/s, bar-steps/s and peak
# memory. Usage: bench/mega-1h.sh [BARS] [COINS]   (defaults 15000 and 10)
set -euo pipefail
cd "$(dirname "$0")/.."
BARS="${1:-15000}"
COINS="${2:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/qm-target}"
cargo build --release --locked --quiet
QM="$CARGO_TARGET_DIR/release/qm"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ALL=(BTCUSDT ETHUSDT BNBUSDT SOLUSDT XRPUSDT DOGEUSDT ADAUSDT AVAXUSDT LINKUSDT DOTUSDT)
SYMS=("${ALL[@]:0:$COINS}")
LIST=$(printf '"%s", ' "${SYMS[@]}"); LIST="[${LIST%, }]"
cat > "$WORK/bench.toml" <<TOML
[pipeline]
name = "bench-mega-1h"
[data]
source = "synthetic"
symbols = $LIST
interval = "1h"
bars = $BARS
seed = 11
[sweep]
grid = "quantmuse"
sl_tp = [[0.005, 0.015], [0.01, 0.03], [0.02, 0.06]]
[walkforward]
windows = 5
train_pct = 0.70
[report]
top = 5
TOML
start=$(date +%s.%N)
/usr/bin/env time -v "$QM" --lake "$WORK/lake" --quiet pipeline run "$WORK/bench.toml" >"$WORK/out.txt" 2>"$WORK/time.txt" || { cat "$WORK/time.txt"; exit 1; }
end=$(date +%s.%N)
secs=$(echo "$end - $start" | bc -l)
rss_kb=$(grep "Maximum resident" "$WORK/time.txt" | awk '{print $NF}')
combos=$((17273 * 3 * COINS))
# Bar-steps: each combination-level backtests the full period plus every window's train and test
# slices (about twice the series).
steps=$(python3 -c "
b=$BARS; n=5; tp=0.70; mt=100
test=max(int(b*(1-tp)/n), mt); train=int(test*tp/(1-tp))
w=0
for k in range(n):
    te=b-(n-1-k)*test; ts=te-test; tr=max(0, ts-train)
    if ts-tr >= mt: w += te-tr
print((b + w) * $combos)")
printf 'coins=%s bars=%s wall=%.2fs combination-levels/s=%.0f bar-steps/s=%.3g peak_rss=%.0fMB\n' \
  "$COINS" "$BARS" "$secs" "$(echo "$combos / $secs" | bc -l)" "$(echo "$steps / $secs" | bc -l)" "$(echo "$rss_kb / 1024" | bc -l)"
