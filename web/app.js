// qm dashboard: one ES module, Preact + htm (vendored), talking only to this server's /api.
import { html, render, useState, useEffect, useRef } from '/vendor/htm-preact-standalone.mjs';
import { equityChart, candleChart, sma, ema } from '/charts.js';

// ---------- token and API ----------

const TOKEN_KEY = 'qm-token';

/** A `#token=...` link stores the token and removes it from the address bar. */
function takeTokenFromHash() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    localStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
    return true;
  }
  return false;
}
const getToken = () => localStorage.getItem(TOKEN_KEY) || '';

/** GET (no body) or POST (body) against /api; throws an Error carrying the API's message and field. */
async function api(path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method: body === undefined ? 'GET' : 'POST', headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    const t = getToken();
    if (t) headers.Authorization = 'Bearer ' + t;
    init.body = JSON.stringify(body);
  }
  const r = await fetch(path, init);
  const j = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) {
    const e = new Error((j.error || `HTTP ${r.status}`) + (j.field ? ` (field: ${j.field})` : ''));
    e.status = r.status;
    throw e;
  }
  return j;
}

const qs = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== '' && v != null)).toString();

// ---------- formatting ----------

const num = (v, d = 4) => (v == null || Number.isNaN(v) ? '–' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(d)) : String(v));
const pct = (v) => (v == null ? '–' : (v * 100).toFixed(2) + '%');
const cls = (v) => (typeof v === 'number' ? (v > 0 ? 'pos' : v < 0 ? 'neg' : '') : '');
const secs = (iso) => Math.floor(Date.parse(iso) / 1000);

function useAsync(fn, deps) {
  const [state, set] = useState({ loading: true });
  useEffect(() => {
    let live = true;
    set((s) => ({ ...s, loading: true }));
    fn().then((data) => live && set({ data }), (error) => live && set({ error }));
    return () => { live = false; };
  }, deps);
  return state;
}

const ErrorBox = ({ error }) => (error ? html`<div class="error" role="alert">${error.message || String(error)}</div>` : null);

/** A plain DOM table: columns [{key, label, fmt, text}], rows of objects. */
function Table({ columns, rows, onRow, selected, testid }) {
  return html`<div class="scroll"><table class="data" data-testid=${testid}>
    <thead><tr>${columns.map((c) => html`<th>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map((r, i) => html`<tr class=${(onRow ? 'clickable ' : '') + (selected === i ? 'selected' : '')} onClick=${onRow ? () => onRow(r, i) : null}>
      ${columns.map((c) => {
        const v = c.get ? c.get(r, i) : r[c.key];
        return html`<td class=${(c.text ? 'text ' : '') + (c.color ? cls(v) : '')} title=${c.text ? String(v ?? '') : null}>${c.fmt ? c.fmt(v) : num(v)}</td>`;
      })}</tr>`)}</tbody></table></div>`;
}

function Chart({ draw, deps, testid }) {
  const ref = useRef(null);
  useEffect(() => {
    if (!ref.current) return undefined;
    try { return draw(ref.current); } catch (e) { ref.current.textContent = 'chart failed: ' + e.message; return undefined; }
  }, deps);
  return html`<div class="chart" ref=${ref} data-testid=${testid}></div>`;
}

function Select({ label, value, options, onChange, name }) {
  return html`<label>${label}<select name=${name} value=${value} onChange=${(e) => onChange(e.target.value)}>
    ${options.map((o) => (typeof o === 'string' ? html`<option value=${o}>${o || 'any'}</option>` : html`<option value=${o.value}>${o.label}</option>`))}
  </select></label>`;
}

function Input({ label, value, onInput, type = 'text', name, step, min, max }) {
  return html`<label>${label}<input name=${name} type=${type} step=${step} min=${min} max=${max} value=${value} onInput=${(e) => onInput(e.target.value)} /></label>`;
}

// ---------- shared lake facts ----------

function tableInfo(system, name) {
  return (system && system.tables.find((t) => t.name === name)) || { symbols: [], timeframes: [], runs: [] };
}

function Pager({ page, total, limit, setOffset }) {
  const from = total ? page.offset + 1 : 0;
  const to = Math.min(page.offset + limit, total);
  return html`<div class="pager"><button disabled=${page.offset === 0} onClick=${() => setOffset(Math.max(0, page.offset - limit))}>‹ prev</button>
    <span data-testid="pager">${from}–${to} of ${total}</span>
    <button disabled=${to >= total} onClick=${() => setOffset(page.offset + limit)}>next ›</button></div>`;
}

// ---------- Sweeps ----------

const MEGA_SORTS = ['sharpe', 'total_return', 'sortino', 'max_drawdown', 'win_rate', 'profit_factor', 'trades', 'final_equity'];

function Backtest({ row, symbol, timeframe }) {
  const st = useAsync(
    () => api('/api/backtest', {
      symbol, interval: timeframe, strategy: row.strategy, params: JSON.parse(row.params),
      sl: row.stop_loss, tp: row.take_profit, leverage: row.leverage,
    }),
    [row, symbol, timeframe],
  );
  if (st.loading) return html`<p class="muted">Backtesting…</p>`;
  if (st.error) return html`<${ErrorBox} error=${st.error} />`;
  const r = st.data;
  return html`<div>
    <${Metrics} m=${r.metrics} />
    <${Chart} testid="deep-equity" deps=${[r]} draw=${(el) => equityChart(el, r.equity.time, r.equity.equity, r.equity.drawdown)} />
  </div>`;
}

function Metrics({ m }) {
  const keys = ['total_return', 'sharpe', 'sortino', 'max_drawdown', 'trades', 'win_rate', 'profit_factor', 'final_equity', 'liquidations'];
  return html`<div class="kv" data-testid="metrics">${keys.filter((k) => k in m).map((k) => html`<span class="muted">${k}</span><span class=${cls(m[k])}>${num(m[k])}</span>`)}</div>`;
}

function Sweeps({ system, strategies }) {
  const info = tableInfo(system, 'mega');
  const [f, setF] = useState({ symbol: '', timeframe: '', strategy: '', run: '', min_trades: '', sort: 'sharpe', order: 'desc' });
  const [offset, setOffset] = useState(0);
  const [sel, setSel] = useState(null);
  const limit = 25;
  const set = (k) => (v) => { setOffset(0); setSel(null); setF({ ...f, [k]: v }); };
  const page = useAsync(() => api('/api/results/mega?' + qs({ ...f, limit, offset })), [f, offset]);
  const best = useAsync(() => api('/api/results/mega/best?' + qs({ ...f, limit: 50 })), [f]);
  if (!info.symbols.length) return html`<section class="card"><p>No sweep results in the lake yet: run <code>qm pipeline run pipelines/demo.toml</code> or start a pipeline in the System tab.</p></section>`;
  const cols = [
    { label: '#', get: (_, i) => offset + i + 1 },
    { key: 'symbol', label: 'symbol', text: true, fmt: String },
    { key: 'timeframe', label: 'tf', fmt: String },
    { key: 'strategy', label: 'strategy', text: true, fmt: String },
    { key: 'params', label: 'params', text: true, fmt: String },
    { key: 'stop_loss', label: 'SL' }, { key: 'take_profit', label: 'TP' },
    { key: 'sharpe', label: 'Sharpe', color: true }, { key: 'total_return', label: 'return', fmt: pct, color: true },
    { key: 'max_drawdown', label: 'max DD', fmt: pct }, { key: 'trades', label: 'trades' },
    { key: 'win_rate', label: 'win rate', fmt: pct }, { key: 'profit_factor', label: 'PF' },
  ];
  const rows = page.data ? page.data.rows : [];
  return html`<div data-testid="tab-sweeps">
    <section class="card"><h2>Sweep results (mega)</h2>
      <div class="filters">
        <${Select} label="symbol" name="symbol" value=${f.symbol} options=${['', ...info.symbols]} onChange=${set('symbol')} />
        <${Select} label="timeframe" value=${f.timeframe} options=${['', ...info.timeframes]} onChange=${set('timeframe')} />
        <${Select} label="strategy" name="strategy" value=${f.strategy} options=${['', ...strategies.map((s) => s.name)]} onChange=${set('strategy')} />
        <${Select} label="run" value=${f.run} options=${['', ...(info.runs || [])]} onChange=${set('run')} />
        <${Input} label="min trades" type="number" value=${f.min_trades} onInput=${set('min_trades')} />
        <${Select} label="rank by" name="sort" value=${f.sort} options=${MEGA_SORTS} onChange=${set('sort')} />
        <${Select} label="order" value=${f.order} options=${['desc', 'asc']} onChange=${set('order')} />
      </div>
      <${ErrorBox} error=${page.error} />
      <${Table} testid="mega-table" columns=${cols} rows=${rows} selected=${sel && sel.i} onRow=${(r, i) => setSel({ r, i })} />
      ${page.data && html`<${Pager} page=${page.data} total=${page.data.total} limit=${limit} setOffset=${(o) => { setSel(null); setOffset(o); }} />`}
    </section>
    ${sel && html`<section class="card" data-testid="deep-dive"><h2>Deep dive: ${sel.r.strategy} ${sel.r.params} on ${sel.r.symbol} ${sel.r.timeframe} (SL ${sel.r.stop_loss}, TP ${sel.r.take_profit})</h2>
      <${Backtest} row=${sel.r} symbol=${sel.r.symbol} timeframe=${sel.r.timeframe} /></section>`}
    <section class="card"><h2>Best per strategy (by ${f.sort})</h2>
      <${ErrorBox} error=${best.error} />
      ${best.data && html`<${Table} testid="best-table" columns=${cols.slice(1)} rows=${best.data.rows} />`}
    </section>
  </div>`;
}

// ---------- Walk-forward ----------

const WF_SORTS = ['oos_sharpe_mean', 'consistency', 'is_sharpe_mean', 'sharpe_decay', 'oos_return_mean', 'oos_sharpe_min', 'oos_max_dd_mean', 'oos_trades_mean', 'oos_profit_factor_mean'];

function Bars({ items, testid }) {
  const max = Math.max(1e-9, ...items.map((x) => Math.abs(x.value ?? 0)));
  return html`<div class="bars" data-testid=${testid}>${items.map((x) => {
    const w = (Math.abs(x.value ?? 0) / max) * 50;
    const left = x.value >= 0 ? 50 : 50 - w;
    return html`<div class="bar-row"><span class="bar-label">${x.label}</span><span class="bar-track"><span class="bar-zero"></span>
      <span class=${'bar ' + (x.value >= 0 ? 'pos' : 'neg')} style=${`left:${left}%;width:${w}%`}></span></span><span>${num(x.value)}</span></div>`;
  })}</div>`;
}

function Windows({ row }) {
  const st = useAsync(() => api('/api/wf/windows?' + qs({ symbol: row.symbol, timeframe: row.timeframe, run: row.run, strategy: row.strategy, combo: row.combo, level: row.level })), [row]);
  if (st.loading) return html`<p class="muted">Loading windows…</p>`;
  if (st.error) return html`<${ErrorBox} error=${st.error} />`;
  const w = st.data.windows;
  return html`<div class="grid2">
    <div><h3>OOS Sharpe per window</h3><${Bars} testid="oos-bars" items=${w.map((x) => ({ label: 'window ' + x.window, value: x.oos_sharpe }))} /></div>
    <div><h3>IS vs OOS</h3><${Table} testid="windows-table" rows=${w} columns=${[
      { key: 'window', label: 'window' }, { key: 'test_start', label: 'test start', fmt: (v) => String(v).slice(0, 10) },
      { key: 'is_sharpe', label: 'IS Sharpe', color: true }, { key: 'oos_sharpe', label: 'OOS Sharpe', color: true },
      { key: 'oos_total_return', label: 'OOS return', fmt: pct, color: true }, { key: 'oos_trades', label: 'OOS trades' },
    ]} /></div></div>`;
}

function Heatmap({ strategies, filters, rows }) {
  const withTwo = strategies.filter((s) => s.params.length >= 2);
  const [picked, setStrategy] = useState('');
  // Until one is picked: the best-ranked strategy on screen that has two parameters.
  const ranked = (rows || []).map((r) => r.strategy).find((n) => withTwo.some((s) => s.name === n));
  const strategy = picked || ranked || (withTwo.length ? withTwo[0].name : '');
  const def = withTwo.find((s) => s.name === strategy);
  const [axes, setAxes] = useState({ x: '', y: '' });
  const x = axes.x || (def ? def.params[0].name : '');
  const y = axes.y || (def ? def.params[1].name : '');
  const st = useAsync(() => (def ? api('/api/heatmap?' + qs({ strategy, x, y, symbol: filters.symbol, timeframe: filters.timeframe, run: filters.run })) : Promise.resolve(null)), [strategy, x, y, filters.symbol, filters.timeframe, filters.run]);
  const names = def ? def.params.map((p) => p.name) : [];
  const h = st.data;
  const vals = h ? h.cells.flat().filter((v) => v != null) : [];
  const lim = Math.max(1e-9, ...vals.map(Math.abs));
  const color = (v) => (v == null ? '#fafafa' : v >= 0 ? `rgba(46,125,50,${0.15 + 0.75 * (v / lim)})` : `rgba(198,40,40,${0.15 + 0.75 * (-v / lim)})`);
  return html`<section class="card"><h2>Parameter heatmap (mean OOS Sharpe)</h2>
    <div class="filters">
      <${Select} label="strategy" name="heat-strategy" value=${strategy} options=${withTwo.map((s) => s.name)} onChange=${(v) => { setStrategy(v); setAxes({ x: '', y: '' }); }} />
      <${Select} label="x" value=${x} options=${names} onChange=${(v) => setAxes({ ...axes, x: v })} />
      <${Select} label="y" value=${y} options=${names} onChange=${(v) => setAxes({ ...axes, y: v })} />
    </div>
    <${ErrorBox} error=${st.error} />
    ${h && (h.rows === 0 ? html`<p class="muted">No walk-forward rows for ${strategy} with these filters.</p>` : html`<div class="scroll"><table class="data heatmap" data-testid="heatmap">
      <thead><tr><th>${y} \\ ${x}</th>${h.xs.map((v) => html`<th>${num(v)}</th>`)}</tr></thead>
      <tbody>${h.ys.map((yv, i) => html`<tr><th>${num(yv)}</th>${h.cells[i].map((v) => html`<td style=${'background:' + color(v)}>${num(v, 3)}</td>`)}</tr>`)}</tbody>
    </table></div>`)}
  </section>`;
}

function WalkForward({ system, strategies }) {
  const info = tableInfo(system, 'wf');
  const [f, setF] = useState({ symbol: '', timeframe: '', strategy: '', run: '', min_trades: '', min_consistency: '', sort: 'oos_sharpe_mean', order: 'desc' });
  const [offset, setOffset] = useState(0);
  const [sel, setSel] = useState(null);
  const limit = 25;
  const set = (k) => (v) => { setOffset(0); setSel(null); setF({ ...f, [k]: v }); };
  const page = useAsync(() => api('/api/results/wf?' + qs({ ...f, limit, offset })), [f, offset]);
  if (!info.symbols.length) return html`<section class="card"><p>No walk-forward results in the lake yet.</p></section>`;
  const cols = [
    { label: '#', get: (_, i) => offset + i + 1 },
    { key: 'symbol', label: 'symbol', text: true, fmt: String }, { key: 'strategy', label: 'strategy', text: true, fmt: String },
    { key: 'params', label: 'params', text: true, fmt: String }, { key: 'stop_loss', label: 'SL' }, { key: 'take_profit', label: 'TP' },
    { key: 'is_sharpe_mean', label: 'IS Sharpe', color: true }, { key: 'oos_sharpe_mean', label: 'OOS Sharpe', color: true },
    { key: 'sharpe_decay', label: 'decay' }, { key: 'consistency', label: 'consistency', fmt: pct },
    { key: 'oos_return_mean', label: 'OOS return', fmt: pct, color: true }, { key: 'n_windows', label: 'windows' },
  ];
  return html`<div data-testid="tab-wf">
    <section class="card"><h2>Walk-forward results (wf)</h2>
      <div class="filters">
        <${Select} label="symbol" value=${f.symbol} options=${['', ...info.symbols]} onChange=${set('symbol')} />
        <${Select} label="timeframe" value=${f.timeframe} options=${['', ...info.timeframes]} onChange=${set('timeframe')} />
        <${Select} label="strategy" value=${f.strategy} options=${['', ...strategies.map((s) => s.name)]} onChange=${set('strategy')} />
        <${Select} label="run" value=${f.run} options=${['', ...(info.runs || [])]} onChange=${set('run')} />
        <${Input} label="min OOS trades" type="number" value=${f.min_trades} onInput=${set('min_trades')} />
        <${Input} label="min consistency" name="min_consistency" type="number" step="0.1" value=${f.min_consistency} onInput=${set('min_consistency')} />
        <${Select} label="rank by" value=${f.sort} options=${WF_SORTS} onChange=${set('sort')} />
        <${Select} label="order" value=${f.order} options=${['desc', 'asc']} onChange=${set('order')} />
      </div>
      <${ErrorBox} error=${page.error} />
      ${page.data && html`<${Table} testid="wf-table" columns=${cols} rows=${page.data.rows} selected=${sel && sel.i} onRow=${(r, i) => setSel({ r, i })} />
        <${Pager} page=${page.data} total=${page.data.total} limit=${limit} setOffset=${(o) => { setSel(null); setOffset(o); }} />`}
    </section>
    ${sel && html`<section class="card" data-testid="wf-detail"><h2>${sel.r.strategy} ${sel.r.params} on ${sel.r.symbol}: IS ${num(sel.r.is_sharpe_mean)} → OOS ${num(sel.r.oos_sharpe_mean)} (decay ${num(sel.r.sharpe_decay)})</h2><${Windows} row=${sel.r} /></section>`}
    <${Heatmap} strategies=${strategies} filters=${f} rows=${page.data ? page.data.rows : null} />
  </div>`;
}

// ---------- Backtest ----------

function BacktestTab({ system, strategies }) {
  const info = tableInfo(system, 'ohlcv');
  const [form, setForm] = useState({ symbol: info.symbols[0] || '', interval: info.timeframes[0] || '1h', strategy: strategies[0] ? strategies[0].name : '', sl: '0', tp: '0', leverage: '1' });
  const def = strategies.find((s) => s.name === form.strategy);
  const [params, setParams] = useState(def ? { ...def.defaults } : {});
  const [run, setRun] = useState({});
  const set = (k) => (v) => setForm({ ...form, [k]: v });
  const pickStrategy = (name) => { const d = strategies.find((s) => s.name === name); setForm({ ...form, strategy: name }); setParams(d ? { ...d.defaults } : {}); };
  const submit = async (e) => {
    e.preventDefault();
    setRun({ loading: true });
    try {
      const typed = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Number(v)]));
      const body = { symbol: form.symbol, interval: form.interval, strategy: form.strategy, params: typed, sl: Number(form.sl), tp: Number(form.tp), leverage: Number(form.leverage) };
      const [result, candles] = await Promise.all([api('/api/backtest', body), api('/api/candles?' + qs({ symbol: form.symbol, interval: form.interval, limit: 100000 }))]);
      setRun({ result, candles });
    } catch (error) { setRun({ error }); }
  };
  const r = run.result;
  const markers = r ? r.trades.flatMap((t) => {
    const long = String(t.side).toLowerCase().startsWith('l');
    const m = [{ time: secs(t.entry_time), up: long, text: long ? 'L' : 'S' }];
    if (t.exit_time) m.push({ time: secs(t.exit_time), up: !long, text: 'x', color: '#555' });
    return m;
  }) : [];
  return html`<div data-testid="tab-backtest">
    <section class="card"><h2>Backtest</h2>
      <form class="bt filters" onSubmit=${submit} data-testid="bt-form">
        <${Select} label="symbol" name="symbol" value=${form.symbol} options=${info.symbols} onChange=${set('symbol')} />
        <${Select} label="interval" name="interval" value=${form.interval} options=${info.timeframes} onChange=${set('interval')} />
        <${Select} label="strategy" name="strategy" value=${form.strategy} options=${strategies.map((s) => s.name)} onChange=${pickStrategy} />
        ${def && def.params.map((p) => html`<${Input} label=${`${p.name} (${p.kind} ${p.min}–${p.max})`} name=${'param-' + p.name} type="number"
          step=${p.kind === 'int' ? 1 : 'any'} min=${p.min} max=${p.max} value=${params[p.name] ?? ''} onInput=${(v) => setParams({ ...params, [p.name]: v })} />`)}
        <${Input} label="stop-loss" name="sl" type="number" step="any" value=${form.sl} onInput=${set('sl')} />
        <${Input} label="take-profit" name="tp" type="number" step="any" value=${form.tp} onInput=${set('tp')} />
        <${Input} label="leverage" name="leverage" type="number" step="any" value=${form.leverage} onInput=${set('leverage')} />
        <button class="primary" type="submit" disabled=${run.loading}>${run.loading ? 'Running…' : 'Run backtest'}</button>
      </form>
      ${!getToken() && html`<p class="muted">Backtests are POST requests and need the API token (open the link <code>qm serve</code> printed, or paste the token above).</p>`}
      <${ErrorBox} error=${run.error} />
    </section>
    ${r && html`<section class="card" data-testid="bt-result"><h2>Result</h2><${Metrics} m=${r.metrics} />
      <div class="grid2">
        <div><h3>Equity and drawdown</h3><${Chart} testid="bt-equity" deps=${[r]} draw=${(el) => equityChart(el, r.equity.time, r.equity.equity, r.equity.drawdown)} /></div>
        <div><h3>Candles with entries and exits</h3><${Chart} testid="bt-candles" deps=${[r]} draw=${(el) => candleChart(el, run.candles, { markers })} /></div>
      </div>
      <h3>Trades (${r.trades.length})</h3>
      <${Table} testid="trades-table" rows=${r.trades} columns=${Object.keys(r.trades[0] || {}).map((k) => ({ key: k, label: k, text: typeof (r.trades[0] || {})[k] === 'string', fmt: (v) => (typeof v === 'number' ? num(v) : String(v ?? '–')) }))} />
    </section>`}
  </div>`;
}

// ---------- Market ----------

function Market({ system }) {
  const info = tableInfo(system, 'ohlcv');
  const [f, setF] = useState({ symbol: info.symbols[0] || '', interval: info.timeframes[0] || '1h', limit: '500', sma: '20', ema: '50' });
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const st = useAsync(() => (f.symbol ? api('/api/candles?' + qs({ symbol: f.symbol, interval: f.interval, limit: f.limit })) : Promise.resolve(null)), [f.symbol, f.interval, f.limit]);
  const c = st.data;
  const last = c && c.close.length ? c.close[c.close.length - 1] : null;
  return html`<div data-testid="tab-market"><section class="card"><h2>Market</h2>
    <div class="filters">
      <${Select} label="symbol" value=${f.symbol} options=${info.symbols} onChange=${set('symbol')} />
      <${Select} label="interval" value=${f.interval} options=${info.timeframes} onChange=${set('interval')} />
      <${Input} label="candles" type="number" value=${f.limit} onInput=${set('limit')} />
      <${Input} label="SMA" type="number" value=${f.sma} onInput=${set('sma')} />
      <${Input} label="EMA" type="number" value=${f.ema} onInput=${set('ema')} />
    </div>
    <${ErrorBox} error=${st.error} />
    ${c && html`<p data-testid="market-summary">${c.time.length} candles of ${c.symbol} ${c.interval}; last close ${num(last, 2)}</p>
      <${Chart} testid="market-chart" deps=${[c, f.sma, f.ema]} draw=${(el) => candleChart(el, c, { volume: true, overlays: [
        { name: 'SMA ' + f.sma, values: sma(c.close, Math.max(1, Number(f.sma) || 20)), color: '#ff9800' },
        { name: 'EMA ' + f.ema, values: ema(c.close, Math.max(1, Number(f.ema) || 50)), color: '#7b1fa2' },
      ] })} />`}
  </section></div>`;
}

// ---------- System ----------

function SystemTab({ system, reload }) {
  const [file, setFile] = useState('demo');
  const [msg, setMsg] = useState(null);
  const jobs = useAsync(() => api('/api/jobs'), [system]);
  const start = async () => {
    setMsg(null);
    try { const j = await api('/api/jobs/pipeline', { file }); setMsg({ ok: `job ${j.id} started` }); reload(); } catch (error) { setMsg({ error }); }
  };
  const s = system;
  return html`<div data-testid="tab-system">
    <section class="card"><h2>Server</h2><div class="kv" data-testid="system-kv">
      <span class="muted">version</span><span>${s.version}</span><span class="muted">lake</span><span>${s.lake}</span>
      <span class="muted">uptime</span><span>${s.uptime_s} s</span><span class="muted">CPUs</span><span>${s.cpus}</span>
      <span class="muted">running jobs</span><span>${s.jobs.running}</span><span class="muted">bots</span><span>not available in this build</span>
    </div></section>
    <section class="card"><h2>Lake tables</h2><${Table} testid="tables-table" rows=${s.tables} columns=${[
      { key: 'name', label: 'table', text: true, fmt: String }, { key: 'files', label: 'files' },
      { key: 'bytes', label: 'size', fmt: (b) => (b / 1048576).toFixed(2) + ' MiB' },
      { key: 'partitions', label: 'partitions', text: true, fmt: (p) => p.join(', ') },
      { key: 'symbols', label: 'symbols', text: true, fmt: (p) => p.join(', ') },
      { key: 'runs', label: 'runs', text: true, fmt: (p) => (p ? p.join(', ') : '–') },
    ]} /></section>
    <section class="card"><h2>Jobs</h2>
      <div class="filters"><${Input} label="pipeline file (pipelines/)" name="pipeline-file" value=${file} onInput=${setFile} />
        <button class="primary" onClick=${start}>Run pipeline</button><button onClick=${reload}>Refresh</button></div>
      ${msg && msg.error && html`<${ErrorBox} error=${msg.error} />`}${msg && msg.ok && html`<p>${msg.ok}</p>`}
      ${jobs.data && (jobs.data.jobs.length ? html`<${Table} testid="jobs-table" rows=${jobs.data.jobs} columns=${[
        { key: 'id', label: 'id' }, { key: 'pipeline', label: 'pipeline', text: true, fmt: String }, { key: 'state', label: 'state', fmt: String },
        { label: 'progress', get: (j) => `${j.done}/${j.total}`, fmt: String }, { key: 'error', label: 'error', text: true, fmt: (v) => v || '' },
      ]} />` : html`<p class="muted">No jobs yet.</p>`)}
    </section>
  </div>`;
}

// ---------- Analysis ----------

function pearson(a, b) {
  const n = Math.min(a.length, b.length);
  if (n < 3) return null;
  const ma = a.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const mb = b.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

function Analysis({ system }) {
  const symbols = tableInfo(system, 'wf').symbols;
  // The best walk-forward combination of each coin, then the correlation of their OOS
  // window returns: do the coins' best strategies win and lose in the same windows?
  const st = useAsync(() => Promise.all(symbols.map((s) => api('/api/results/wf?' + qs({ symbol: s, limit: 3, sort: 'oos_sharpe_mean' })))), [system]);
  if (!symbols.length) return html`<section class="card"><p>No walk-forward results to analyse yet.</p></section>`;
  if (st.loading) return html`<p class="muted">Loading…</p>`;
  if (st.error) return html`<${ErrorBox} error=${st.error} />`;
  const series = st.data.flatMap((page) => page.rows).map((r) => ({ label: `${r.symbol} ${r.strategy} ${r.params} L${r.level}`, symbol: r.symbol, returns: r.oos_window_return || [], row: r }));
  return html`<div data-testid="tab-analysis">
    <section class="card"><h2>Correlation of OOS window returns across coins (top 3 per coin by OOS Sharpe)</h2>
      <p class="muted">Pearson correlation of the per-window out-of-sample returns. Low or negative values between coins mean their best strategies diversify each other.</p>
      <div class="scroll"><table class="data heatmap" data-testid="corr-table"><thead><tr><th></th>${series.map((_, j) => html`<th title=${series[j].label}>${j + 1}</th>`)}</tr></thead>
        <tbody>${series.map((a, i) => html`<tr><th class="text" title=${a.label}>${i + 1}. ${a.label.slice(0, 60)}</th>${series.map((b) => {
          const c = pearson(a.returns, b.returns);
          return html`<td style=${c == null ? '' : `background:${c >= 0 ? `rgba(41,98,255,${0.1 + 0.6 * c})` : `rgba(229,57,53,${0.1 - 0.6 * c})`}`}>${num(c, 2)}</td>`;
        })}</tr>`)}</tbody></table></div>
    </section>
    <section class="card"><h2>Per-coin summary</h2><${Table} testid="analysis-summary" rows=${series.map((s) => s.row)} columns=${[
      { key: 'symbol', label: 'symbol', text: true, fmt: String }, { key: 'strategy', label: 'strategy', text: true, fmt: String },
      { key: 'oos_sharpe_mean', label: 'OOS Sharpe', color: true }, { key: 'consistency', label: 'consistency', fmt: pct },
      { label: 'OOS return (sum of windows)', get: (r) => (r.oos_window_return || []).reduce((a, b) => a + b, 0), fmt: pct },
    ]} /></section>
  </div>`;
}

// ---------- Live ----------

function Live({ system }) {
  const bots = useAsync(() => api('/api/bots'), []);
  const hasWf = tableInfo(system, 'wf').symbols.length > 0;
  const presets = useAsync(() => (hasWf ? api('/api/results/wf?' + qs({ limit: 5, sort: 'oos_sharpe_mean', min_consistency: 0.6 })) : Promise.resolve({ rows: [] })), [system]);
  return html`<div data-testid="tab-live">
    <section class="card"><h2>Live trading</h2>
      <p class="notice" data-testid="bots-notice">${bots.data ? `${bots.data.bots.length} bot(s) in the lake's journal. Bots are run and controlled with \`qm bot\`; this page only reads them` : 'Loading…'}. Nothing here places orders.</p>
      <${ErrorBox} error=${bots.error} />
      ${bots.data && bots.data.bots.length > 0 && html`<${Table} testid="bots-table" rows=${bots.data.bots} columns=${[
        { key: 'name', label: 'bot', text: true, fmt: String }, { key: 'mode', label: 'mode', fmt: String },
        { key: 'symbol', label: 'symbol', text: true, fmt: String }, { key: 'interval', label: 'tf', fmt: String },
        { key: 'strategy', label: 'strategy', text: true, fmt: String }, { key: 'status', label: 'status', fmt: String },
        { key: 'closed_trades', label: 'trades' }, { key: 'equity', label: 'equity' },
      ]} />`}
    </section>
    <section class="card"><h2>Presets from the best walk-forward results (consistency ≥ 60%)</h2>
      <${ErrorBox} error=${presets.error} />
      ${presets.data && (presets.data.rows.length ? html`<${Table} testid="presets-table" rows=${presets.data.rows} columns=${[
        { key: 'symbol', label: 'symbol', text: true, fmt: String }, { key: 'timeframe', label: 'tf', fmt: String },
        { key: 'strategy', label: 'strategy', text: true, fmt: String }, { key: 'params', label: 'params', text: true, fmt: String },
        { key: 'stop_loss', label: 'SL' }, { key: 'take_profit', label: 'TP' }, { key: 'oos_sharpe_mean', label: 'OOS Sharpe', color: true },
        { key: 'consistency', label: 'consistency', fmt: pct },
      ]} />` : html`<p class="muted" data-testid="presets-empty">No walk-forward combination reaches 60% consistency yet.</p>`)}
    </section>
  </div>`;
}

// ---------- shell ----------

const TABS = [
  ['sweeps', 'Sweeps', Sweeps], ['wf', 'Walk-forward', WalkForward], ['backtest', 'Backtest', BacktestTab],
  ['market', 'Market', Market], ['system', 'System', SystemTab], ['analysis', 'Analysis', Analysis], ['live', 'Live', Live],
];

function TokenBox({ onChange }) {
  const [t, setT] = useState(getToken());
  const save = () => { localStorage.setItem(TOKEN_KEY, t.trim()); onChange(); };
  return html`<span class="token">${getToken() ? 'token set' : 'no token (read-only)'}
    <input type="password" name="token" placeholder="API token" value=${t} onInput=${(e) => setT(e.target.value)} /><button onClick=${save}>save</button></span>`;
}

function App() {
  const [tab, setTab] = useState(location.search.match(/tab=(\w+)/)?.[1] || 'sweeps');
  const [tick, setTick] = useState(0);
  const [, setTokenTick] = useState(0);
  const system = useAsync(() => api('/api/system'), [tick]);
  const strategies = useAsync(() => api('/api/strategies'), []);
  useEffect(() => {
    // Follow running jobs until they finish.
    if (!system.data || !system.data.jobs.running) return undefined;
    const t = setTimeout(() => setTick((x) => x + 1), 2000);
    return () => clearTimeout(t);
  }, [system.data]);
  const Tab = (TABS.find((t) => t[0] === tab) || TABS[0])[2];
  const ready = system.data && strategies.data;
  return html`<header><h1>qm</h1><nav>${TABS.map(([id, label]) => html`<button class=${id === tab ? 'active' : ''} data-tab=${id} onClick=${() => setTab(id)}>${label}</button>`)}</nav>
      <${TokenBox} onChange=${() => setTokenTick((x) => x + 1)} /></header>
    <main>
      <${ErrorBox} error=${system.error || strategies.error} />
      ${ready ? html`<${Tab} key=${tab} system=${system.data} strategies=${strategies.data.strategies} reload=${() => setTick((x) => x + 1)} />` : html`<p class="muted">Loading…</p>`}
    </main>`;
}

takeTokenFromHash();
// A token link opened in a tab that already shows the dashboard is a hash change, not a load.
window.addEventListener('hashchange', () => { if (takeTokenFromHash()) location.reload(); });
const root = document.getElementById('app');
root.textContent = ''; // drop the static "Loading…" placeholder
render(html`<${App} />`, root);
