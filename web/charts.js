// Chart helpers over the vendored libraries: uPlot for lines, Lightweight Charts for candles.
import uPlot from '/vendor/uPlot.esm.js';
import { createChart, CandlestickSeries, HistogramSeries, LineSeries, createSeriesMarkers } from '/vendor/lightweight-charts.standalone.production.mjs';

/** Equity (left axis) and drawdown (right axis, %) over epoch-second times. Returns a disposer. */
export function equityChart(el, time, equity, drawdown) {
  el.innerHTML = '';
  const dd = drawdown.map((d) => (d == null ? null : d * 100));
  const opts = {
    width: Math.max(el.clientWidth, 320),
    height: 280,
    scales: { x: { time: true }, eq: { auto: true }, dd: { auto: true } },
    series: [
      {},
      { label: 'equity', stroke: '#2962ff', width: 1.5, scale: 'eq' },
      { label: 'drawdown %', stroke: '#e53935', fill: 'rgba(229,57,53,0.12)', width: 1, scale: 'dd' },
    ],
    axes: [{}, { scale: 'eq', size: 70 }, { scale: 'dd', side: 1, size: 50, grid: { show: false } }],
  };
  const plot = new uPlot(opts, [time, equity, dd], el);
  return () => plot.destroy();
}

/** Simple moving average of `values` over `n` (null until enough values). */
export function sma(values, n) {
  const out = new Array(values.length).fill(null);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    if (i >= n) sum -= values[i - n];
    if (i >= n - 1) out[i] = sum / n;
  }
  return out;
}

/** Exponential moving average seeded with the first value. */
export function ema(values, n) {
  const k = 2 / (n + 1);
  const out = [];
  let prev = null;
  for (const v of values) {
    prev = prev == null ? v : v * k + prev * (1 - k);
    out.push(prev);
  }
  return out;
}

/**
 * Candlesticks of column-wise candles `c` ({time, open, high, low, close, volume}), with an
 * optional volume pane, line overlays [{name, values, color}] and markers [{time, up, text}].
 */
export function candleChart(el, c, { volume = false, overlays = [], markers = [] } = {}) {
  el.innerHTML = '';
  const chart = createChart(el, {
    width: Math.max(el.clientWidth, 320),
    height: 380,
    layout: { background: { color: '#ffffff' }, textColor: '#333' },
    grid: { vertLines: { color: '#f0f0f0' }, horzLines: { color: '#f0f0f0' } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  const series = chart.addSeries(CandlestickSeries, {});
  series.setData(c.time.map((t, i) => ({ time: t, open: c.open[i], high: c.high[i], low: c.low[i], close: c.close[i] })));
  if (volume) {
    const vol = chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'vol' });
    vol.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    vol.setData(c.time.map((t, i) => ({ time: t, value: c.volume[i], color: c.close[i] >= c.open[i] ? 'rgba(38,166,154,0.5)' : 'rgba(239,83,80,0.5)' })));
  }
  for (const o of overlays) {
    const line = chart.addSeries(LineSeries, { color: o.color, lineWidth: 1, title: o.name, priceLineVisible: false, lastValueVisible: false });
    line.setData(c.time.map((t, i) => (o.values[i] == null ? { time: t } : { time: t, value: o.values[i] })));
  }
  if (markers.length) {
    const sorted = [...markers].sort((a, b) => a.time - b.time);
    createSeriesMarkers(series, sorted.map((m) => ({
      time: m.time,
      position: m.up ? 'belowBar' : 'aboveBar',
      color: m.color || (m.up ? '#2e7d32' : '#c62828'),
      shape: m.up ? 'arrowUp' : 'arrowDown',
      text: m.text || '',
    })));
  }
  chart.timeScale().fitContent();
  return () => chart.remove();
}
