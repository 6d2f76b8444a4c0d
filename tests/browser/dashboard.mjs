// Browser test of the qm dashboard: every tab renders with data, no console errors, no
// request leaves the server's origin, a backtest runs from the form and draws, and
// mutations need the token. Run by tests/serve_browser.rs (env: QM_URL, QM_TOKEN, CHROMIUM).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.env.QM_URL;
const token = process.env.QM_TOKEN;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!base || !token) throw new Error('QM_URL and QM_TOKEN must be set');
const origin = new URL(base).origin;

const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); };

const profile = mkdtempSync(join(tmpdir(), 'qm-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 1000 },
});
const page = ctx.pages()[0] || (await ctx.newPage());
page.setDefaultTimeout(30000);

const foreign = [];
let phase = 'no-token';
const consoleErrors = [];
page.on('request', (r) => {
  const u = r.url();
  if (!(u.startsWith(origin + '/') || u === origin || u.startsWith('data:'))) foreign.push(u);
});
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push({ phase, text: m.text() }); });
page.on('pageerror', (e) => consoleErrors.push({ phase, text: 'page error: ' + e.message }));

const count = (sel) => page.locator(sel).count();
const tab = async (id, ready) => {
  await page.click(`[data-tab=${id}]`);
  await page.waitForSelector(ready);
};

try {
  // Without a token: reads work, a backtest (POST) is refused with the API's message.
  await page.goto(base + '/');
  await page.waitForSelector('[data-testid=mega-table] tbody tr');
  check((await count('[data-testid=mega-table] tbody tr')) > 0, 'sweeps table has rows (no token)');
  await tab('backtest', '[data-testid=bt-form]');
  await page.click('[data-testid=bt-form] button[type=submit]');
  await page.waitForSelector('[data-testid=tab-backtest] .error');
  const msg = await page.textContent('[data-testid=tab-backtest] .error');
  check(/Bearer/.test(msg), `backtest without a token is refused (${msg.trim().slice(0, 80)})`);

  // With the token link.
  phase = 'token';
  await page.goto(base + '/?tab=sweeps#token=' + encodeURIComponent(token));
  await page.waitForSelector('[data-testid=mega-table] tbody tr');
  check(!page.url().includes('token='), 'token removed from the address bar');

  // Sweeps: ranking, deep dive (a backtest of the row), best per strategy.
  await page.selectOption('select[name=sort]', 'total_return');
  await page.waitForFunction(() => document.querySelector('[data-testid=pager]')?.textContent.includes('of'));
  await page.click('[data-testid=mega-table] tbody tr:first-child');
  await page.waitForSelector('[data-testid=deep-dive] [data-testid=metrics]');
  await page.waitForSelector('[data-testid=deep-equity] canvas');
  check(true, 'sweeps deep dive draws the equity chart');
  await page.waitForSelector('[data-testid=best-table] tbody tr');
  check((await count('[data-testid=best-table] tbody tr')) > 1, 'best per strategy lists strategies');

  // Walk-forward: table, per-window bars, heatmap.
  await tab('wf', '[data-testid=wf-table] tbody tr');
  await page.click('[data-testid=wf-table] tbody tr:first-child');
  await page.waitForSelector('[data-testid=oos-bars] .bar-row');
  check((await count('[data-testid=oos-bars] .bar-row')) > 0, 'walk-forward windows drawn as bars');
  await page.waitForSelector('[data-testid=heatmap] tbody td');
  check((await count('[data-testid=heatmap] tbody td')) > 0, 'parameter heatmap has cells');
  await page.fill('input[name=min_consistency]', '0.6');
  await page.waitForTimeout(1500);
  const cons = await page.$$eval('[data-testid=wf-table] tbody tr td:nth-child(10)', (tds) => tds.map((t) => parseFloat(t.textContent)));
  check(cons.every((c) => c >= 60), `min consistency filter applied (${cons.length} rows)`);

  // Backtest from the form.
  await tab('backtest', '[data-testid=bt-form]');
  await page.selectOption('[data-testid=bt-form] select[name=strategy]', 'Momentum');
  await page.fill('input[name=param-lookback]', '20');
  await page.fill('input[name=sl]', '0.01');
  await page.fill('input[name=tp]', '0.03');
  await page.click('[data-testid=bt-form] button[type=submit]');
  await page.waitForSelector('[data-testid=bt-result]');
  await page.waitForSelector('[data-testid=bt-equity] canvas');
  await page.waitForSelector('[data-testid=bt-candles] canvas');
  const trades = await count('[data-testid=trades-table] tbody tr');
  check(trades > 0, `backtest draws equity + candles and lists ${trades} trades`);

  // Market.
  await tab('market', '[data-testid=market-chart] canvas');
  const summary = await page.textContent('[data-testid=market-summary]');
  check(/500 candles/.test(summary), `market chart (${summary.trim()})`);

  // System.
  await tab('system', '[data-testid=tables-table] tbody tr');
  check((await count('[data-testid=tables-table] tbody tr')) >= 4, 'system lists the lake tables');

  // Analysis.
  await tab('analysis', '[data-testid=corr-table] tbody tr');
  check((await count('[data-testid=corr-table] tbody td')) >= 4, 'analysis correlation matrix');

  // Live.
  await tab('live', '[data-testid=bots-notice]');
  await page.waitForFunction(() => /bot\(s\) in the lake's journal/.test(document.querySelector('[data-testid=bots-notice]').textContent));
  check(true, 'live tab lists the journal\'s bots');
  await page.waitForSelector('[data-testid=presets-table], [data-testid=presets-empty]');
  check(true, 'live tab lists presets (or says there are none)');
} catch (e) {
  failures.push('exception: ' + e.message);
  console.log('FAIL exception: ' + e.message);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}

// The only console errors allowed are the browser's own notes on the 401 of phase one.
const unexpected = consoleErrors.filter((e) => !(e.phase === 'no-token' && /401/.test(e.text)));
check(unexpected.length === 0, `no console errors ${unexpected.length ? JSON.stringify(unexpected) : ''}`);
check(foreign.length === 0, `no request leaves ${origin} ${foreign.length ? JSON.stringify(foreign) : ''}`);
if (failures.length) {
  console.log(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log('all browser checks passed');
