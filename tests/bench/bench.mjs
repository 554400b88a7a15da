// Benchmarks for BENCHMARKS.md (run with `./dev.sh bench`): sizes, navigation → first result
// in headless Chromium (fresh context each run, so nothing is cached), and per-assessment
// latency of the WASM engine in the page. Prints a Markdown table and writes
// test-results/bench.json. Figures are medians of several runs; timing is not asserted.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startServer, launch } from '../e2e/helpers.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 7);
const CALLS = Number(process.env.BENCH_CALLS || 1000);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const size = (path) => { const b = readFileSync(path); return { raw: b.length, gzip: gzipSync(b, { level: 9 }).length }; };

const sizes = {
  wasm: size(join(ROOT, 'pkg', 'bedside_bg.wasm')),
  js: size(join(ROOT, 'pkg', 'bedside.js')),
  engineWasm: size(join(ROOT, 'pkg', 'engine', 'bedside_engine_bg.wasm')),
  engineJs: size(join(ROOT, 'pkg', 'engine', 'bedside_engine.js')),
  www: [...['index.html', 'manifest.webmanifest', 'icon.svg'].map((f) => join(ROOT, 'www', f)), join(ROOT, 'pkg', 'main.js'), join(ROOT, 'pkg', 'style.css'),
    ...readdirSync(join(ROOT, 'pkg', 'snippets')).flatMap((d) => readdirSync(join(ROOT, 'pkg', 'snippets', d)).map((f) => join(ROOT, 'pkg', 'snippets', d, f)))]
    .map(size).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip })),
  bundles: Object.fromEntries(readdirSync(join(ROOT, 'static', 'bundles')).filter((f) => f.endsWith('.bdsx')).map((f) => [f, size(join(ROOT, 'static', 'bundles', f))])),
};
const app = { raw: sizes.wasm.raw + sizes.js.raw + sizes.www.raw, gzip: sizes.wasm.gzip + sizes.js.gzip + sizes.www.gzip };
// The budgets count the UI build as it travels: its wasm, its JS glue and snippets, and the
// stylesheet (the page's own html, main.js, manifest and icon are listed beside it).
const snippets = readdirSync(join(ROOT, 'pkg', 'snippets')).flatMap((d) => readdirSync(join(ROOT, 'pkg', 'snippets', d)).map((f) => size(join(ROOT, 'pkg', 'snippets', d, f))));
const css = size(join(ROOT, 'pkg', 'style.css'));
const ui = [sizes.wasm, sizes.js, css, ...snippets].reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }));
const engine = { raw: sizes.engineWasm.raw + sizes.engineJs.raw, gzip: sizes.engineWasm.gzip + sizes.engineJs.gzip };

const server = await startServer();
const browser = await launch();
const firstResult = {};
const latency = {};
const whatIf = {};
try {
  for (const bundle of Object.keys(sizes.bundles)) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      // First visits, as before the service worker: it registers only once the page is idle,
      // but its precaching would then compete with the what-if and latency runs below.
      const context = await browser.newContext({ serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.goto(`${server.url}?bundle=${bundle}&example=0`);
      await page.locator('.prob').first().waitFor();
      times.push(await page.evaluate(() => performance.getEntriesByName('bedside:first-result')[0].startTime));
      if (i === 0) {
        // What-if: one edit of the first numeric input → the estimate, explanation and
        // counterfactual re-rendered (MutationObserver fires after Yew has patched the DOM).
        whatIf[bundle] = await page.evaluate(async (edits) => {
          const input = document.querySelector('.fields input[inputmode=decimal]');
          const results = document.getElementById('results');
          const base = Number(input.value);
          const times = [];
          for (let k = 0; k < edits; k++) {
            // Small steps around a real example's value stay inside the plausible range.
            const v = base + ((k % 2) ? 1 : -1) * (1 + (k % 5));
            const done = new Promise((resolve) => {
              const obs = new MutationObserver(() => { obs.disconnect(); resolve(performance.now()); });
              obs.observe(results, { subtree: true, childList: true, characterData: true, attributes: true });
            });
            const t0 = performance.now();
            input.value = String(v);
            input.dispatchEvent(new InputEvent('input', { bubbles: true }));
            times.push((await done) - t0);
          }
          return times;
        }, 60);
        // Per-assessment latency through the JS API (pkg/engine: the same code as the app,
        // plus the API's entry points).
        latency[bundle] = await page.evaluate(async ({ bundle, calls, runs }) => {
          const engineModule = await import('/pkg/engine/bedside_engine.js');
          await engineModule.default();
          const { Engine } = engineModule;
          const bytes = new Uint8Array(await (await fetch(`/static/bundles/${bundle}`)).arrayBuffer());
          const engine = new Engine(bytes);
          // The example the app filled in, read back from the form.
          const patient = {};
          for (const el of document.querySelectorAll('.fields input, .fields select')) {
            if (el.value === '') continue;
            // Numeric fields are text boxes (what was typed is kept); the API takes numbers. A
            // yes/no select holds "true"/"false"; the API takes booleans.
            patient[el.name] = el.tagName === 'INPUT' ? Number(el.value) : ({ true: true, false: false })[el.value] ?? el.value;
          }
          const text = JSON.stringify(patient);
          const perCallObj = [];
          const perCallText = [];
          const perCallTreatment = [];
          for (let r = 0; r < runs; r++) {
            let t0 = performance.now();
            for (let i = 0; i < calls; i++) engine.assess(patient);
            perCallObj.push((performance.now() - t0) / calls);
            t0 = performance.now();
            for (let i = 0; i < calls; i++) engine.assessJson(text);
            perCallText.push((performance.now() - t0) / calls);
            // Treatment suggestions: rules, and for trial bundles per-arm risk with bootstrap
            // intervals and the case evidence search.
            t0 = performance.now();
            for (let i = 0; i < calls; i++) engine.treatment(text);
            perCallTreatment.push((performance.now() - t0) / calls);
          }
          return { perCallObj, perCallText, perCallTreatment };
        }, { bundle, calls: CALLS, runs: RUNS });
      }
      await context.close();
    }
    firstResult[bundle] = times;
  }
} finally {
  await browser.close();
  server.stop();
}

const chromium = execSync('/usr/bin/chromium --version 2>/dev/null').toString().trim();
const machine = `${cpus()[0].model}, ${cpus().length} cores; ${chromium}; Node ${process.version}`;
const result = { date: new Date().toISOString(), machine, runs: RUNS, sizes, app, ui, engine, firstResult, latency, whatIf };
writeFileSync(join(ARTIFACTS, 'bench.json'), JSON.stringify(result, null, 2));

console.log(`Machine: ${machine}; ${RUNS} runs each, medians.\n`);
console.log('| what | raw | gzip | budget |');
console.log('| --- | ---: | ---: | --- |');
console.log(`| UI wasm (pkg/bedside_bg.wasm) | ${kb(sizes.wasm.raw)} | ${kb(sizes.wasm.gzip)} | |`);
console.log(`| UI JS glue (pkg/bedside.js) | ${kb(sizes.js.raw)} | ${kb(sizes.js.gzip)} | |`);
console.log(`| **UI build** (wasm, glue, snippets, pkg/style.css): the page, the widget, the iframe | ${kb(ui.raw)} | **${kb(ui.gzip)}** | ≤ 400 KB gzip |`);
console.log(`| **headless engine** (pkg/engine: wasm + glue), not loaded by the page | ${kb(engine.raw)} | **${kb(engine.gzip)}** | ≤ 145 KB gzip |`);
console.log(`| page total (UI build + index.html, main.js, manifest, icon) | ${kb(app.raw)} | ${kb(app.gzip)} | |`);
for (const [f, s] of Object.entries(sizes.bundles)) console.log(`| bundle ${f} | ${kb(s.raw)} | ${kb(s.gzip)} | ≤ 150 KB gzip |`);
const p = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
console.log('\n| bundle | navigation → first result (median, ms) | min–max (ms) | per assessment, JS object (median µs) | per assessment, JSON text (median µs) | treatment suggestions, JSON text (median µs) | what-if edit → re-rendered (median / p95 ms) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const b of Object.keys(firstResult)) {
  const t = firstResult[b];
  const l = latency[b];
  const w = whatIf[b];
  console.log(`| ${b} | ${median(t).toFixed(1)} | ${Math.min(...t).toFixed(1)}–${Math.max(...t).toFixed(1)} | ${(median(l.perCallObj) * 1000).toFixed(1)} | ${(median(l.perCallText) * 1000).toFixed(1)} | ${(median(l.perCallTreatment) * 1000).toFixed(1)} | ${median(w).toFixed(1)} / ${p(w, 0.95).toFixed(1)} |`);
}
