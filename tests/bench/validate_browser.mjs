// The Validate view at scale, in headless Chromium: a labelled CSV of 10,000 rows (drawn with
// replacement from a shipped data set, seeded) set on the view's file input, timed until the
// figures are on screen (read, checked, scored, validated and drawn, all in the page). Medians
// of BENCH_RUNS runs (default 5), each in a fresh page. Run by `./dev.sh bench-validate`;
// BENCH_SMOKE=1 uses 500 rows and one run. Timing is not asserted.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT, startServer, launch } from '../e2e/helpers.mjs';

const SMOKE = Boolean(process.env.BENCH_SMOKE);
const ROWS = SMOKE ? 500 : Number(process.env.BENCH_ROWS || 10000);
const RUNS = SMOKE ? 1 : Number(process.env.BENCH_RUNS || 5);
const DATASETS = [['pima', ['data/pima_tr2.csv', 'data/pima_te.csv']], ['wdbc', ['data/wdbc.csv']]];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** `rows` lines drawn with replacement (a small LCG, seeded) under the first file's header. */
function grow(files, rows) {
  const texts = files.map((f) => readFileSync(join(ROOT, f), 'utf8').trim().split('\n'));
  const header = texts[0][0];
  const body = texts.flatMap((t) => t.slice(1));
  let seed = 20261126;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  const out = [header];
  for (let i = 0; i < rows; i++) out.push(body[next() % body.length]);
  return Buffer.from(out.join('\n') + '\n');
}

const server = await startServer();
const browser = await launch();
console.log(`Validate view, ${ROWS.toLocaleString('en')} rows, headless Chromium, ${cpus()[0].model}, ${cpus().length} cores`);
console.log('| bundle | rows | file chosen → figures on screen (median) | runs |');
console.log('|---|---|---|---|');
try {
  for (const [id, files] of DATASETS) {
    const buffer = grow(files, ROWS);
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.goto(`${server.url}validate.html?bundle=${id}.bdsx`);
      await page.locator('#validate-file').waitFor();
      const t0 = Date.now();
      await page.setInputFiles('#validate-file', { name: `${id}.csv`, mimeType: 'text/csv', buffer });
      await page.locator('#validate-summary').waitFor({ timeout: 120000 });
      times.push(Date.now() - t0);
      const n = Number(await page.getAttribute('#validate-summary', 'data-n'));
      if (n <= 0) throw new Error(`${id}: no rows validated`);
      await context.close();
    }
    console.log(`| ${id} | ${ROWS.toLocaleString('en')} | ${(median(times) / 1000).toFixed(2)} s | ${RUNS} |`);
  }
} finally {
  await browser.close();
  server.stop();
}
