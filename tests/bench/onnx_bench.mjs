// Bedside against scikit-learn → ONNX → ONNX Runtime Web, in one headless Chromium
// (`./dev.sh bench-onnx`, which first runs tests/bench/onnx_models.py).
//
// Both stacks are served by the same static server from target/onnx-bench/site, with no
// compression and `Cache-Control: no-store`; every page load is in a fresh browser context, so
// nothing is cached. The server sends COOP/COEP only so that `performance.now()` has its 5 µs
// resolution instead of 100 µs; ONNX Runtime is held to one thread, as it must be on a page
// without those headers (Bedside is single-threaded anyway).
//
// Measured per data set × model family × stack:
//   bytes: every response of a page load (raw), and gzip -9 of the same bodies;
//   navigation → first result: the page's `first-result` mark, median of RUNS loads;
//   latency: 10,000 single-patient calls cycling through the test patients, p50/p99;
//   memory: JS heap (CDP, sampled after the first result and after every 1,000 calls; the
//     peak) plus WebAssembly memory (every Memory the page created or got from an instance);
//   agreement: each stack's probability for every test patient against scikit-learn natively.
// Prints Markdown tables and writes test-results/onnx-bench.json. Nothing is asserted.
import { readFileSync, writeFileSync, copyFileSync, cpSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join, extname, normalize } from 'node:path';
import { ROOT, ARTIFACTS, launch } from '../e2e/helpers.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 11);
// BENCH_SMOKE (./dev.sh test): one chunk of calls, to prove the script runs; no figures.
const CALLS = process.env.BENCH_SMOKE ? 1_000 : 10_000;
const CHUNK = 1_000;
const SITE = join(ROOT, 'target', 'onnx-bench', 'site');
const ORT_DIST = join(ROOT, 'target', 'onnx-bench', 'npm', 'node_modules', 'onnxruntime-web', 'dist');
const DATASETS = ['pima', 'wdbc'];
const FAMILIES = ['logistic', 'forest'];

// Lay out the site: the Bedside JS API build, ONNX Runtime Web's smallest browser build (the
// WASM execution provider only, glue bundled in), and the two pages. Models and data are
// already there (onnx_models.py).
for (const d of ['bedside', 'ort', 'pages']) mkdirSync(join(SITE, d), { recursive: true });
for (const f of ['bedside_engine.js', 'bedside_engine_bg.wasm']) copyFileSync(join(ROOT, 'pkg', 'engine', f), join(SITE, 'bedside', f));
// The glue imports its JS snippets (inline_js) from ./snippets/.
if (existsSync(join(ROOT, 'pkg', 'engine', 'snippets'))) cpSync(join(ROOT, 'pkg', 'engine', 'snippets'), join(SITE, 'bedside', 'snippets'), { recursive: true });
for (const f of ['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm']) copyFileSync(join(ORT_DIST, f), join(SITE, 'ort', f));
for (const f of ['bedside.html', 'bedside.mjs', 'ort.html', 'ort.mjs', 'blank.html', 'blank.mjs']) copyFileSync(join(ROOT, 'tests', 'bench', 'onnx', f), join(SITE, 'pages', f));
const ortVersion = JSON.parse(readFileSync(join(ORT_DIST, '..', 'package.json'), 'utf8')).version;

const TYPES = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
const server = createServer((req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
  const file = join(SITE, path);
  if (!file.startsWith(SITE + '/') || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

// Every WebAssembly.Memory a page makes or receives, so both stacks' WASM memory can be read
// the same way.
const MEMORY_PROBE = () => {
  const Memory = WebAssembly.Memory;
  const seen = new Set();
  const keep = (m) => { if (m instanceof Memory) seen.add(m); };
  const fromResult = (r) => { const inst = r.instance || r; if (inst && inst.exports) Object.values(inst.exports).forEach(keep); return r; };
  WebAssembly.Memory = function (desc) { const m = new Memory(desc); seen.add(m); return m; };
  WebAssembly.Memory.prototype = Memory.prototype;
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (...a) => instantiate(...a).then(fromResult);
  const streaming = WebAssembly.instantiateStreaming;
  if (streaming) WebAssembly.instantiateStreaming = (...a) => streaming(...a).then(fromResult);
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function (m, i) { return fromResult(new Instance(m, i)); };
  WebAssembly.Instance.prototype = Instance.prototype;
  window.__wasmBytes = () => [...seen].reduce((s, m) => s + m.buffer.byteLength, 0);
};

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const kb = (n) => (n / 1024 >= 1024 ? `${(n / 1048576).toFixed(2)} MB` : `${(n / 1024).toFixed(1)} KB`);
const us = (ms) => `${(ms * 1000).toFixed(1)}`;

const data = Object.fromEntries(DATASETS.map((ds) => [ds, JSON.parse(readFileSync(join(SITE, 'data', `${ds}.json`), 'utf8'))]));
const pageUrl = (stack, ds, family) => {
  const d = data[ds];
  if (stack === 'blank') return `${origin}/pages/blank.html`;
  const q = new URLSearchParams({ model: `${ds}-${family}`, patient: JSON.stringify(strip(d.patients[0])) });
  if (stack === 'bedside') q.set('positive', d.positive);
  else q.set('features', JSON.stringify(d.features));
  return `${origin}/pages/${stack}.html?${q}`;
};
// A missing value is an absent field, as a form leaves it.
const strip = (p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null));

const browser = await launch();
async function load(stack, ds, family, { bodies = false } = {}) {
  const context = await browser.newContext();
  await context.addInitScript(MEMORY_PROBE);
  const page = await context.newPage();
  const responses = [];
  page.on('response', (r) => responses.push(r));
  const missing = new Promise((_, reject) => page.on('response', (r) => { if (r.status() >= 400) reject(new Error(`${stack} ${ds}-${family}: ${r.url()} answered ${r.status()}`)); }));
  await page.goto(pageUrl(stack, ds, family));
  const failed = new Promise((_, reject) => page.on('pageerror', (e) => reject(new Error(`${stack} ${ds}-${family}: ${e.message}`))));
  await Promise.race([page.waitForFunction(() => performance.getEntriesByName('first-result').length > 0, null, { timeout: 60_000 }), failed, missing]);
  const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])));
  const firstResult = marks['first-result'];
  let bytes = null;
  if (bodies) {
    bytes = { raw: 0, gzip: 0, files: {} };
    for (const r of responses) {
      const body = await r.body();
      const name = new URL(r.url()).pathname;
      const gz = gzipSync(body, { level: 9 }).length;
      bytes.raw += body.length;
      bytes.gzip += gz;
      bytes.files[name] = { raw: body.length, gzip: gz };
    }
  }
  return { context, page, firstResult, marks, bytes };
}

const results = {};
try {
  for (const ds of DATASETS) {
    for (const family of FAMILIES) {
      const key = `${ds}-${family}`;
      const r = (results[key] = { bedside: { firstResult: [], marks: [] }, ort: { firstResult: [], marks: [] }, blank: { firstResult: [], marks: [] } });
      // Navigation → first result: fresh context each time, the stacks alternating, with the
      // empty baseline page among them.
      for (let i = 0; i <= RUNS; i++) {
        for (const stack of ['bedside', 'ort', 'blank']) {
          const { context, firstResult, marks, bytes } = await load(stack, ds, family, { bodies: i === 0 });
          if (i === 0) r[stack].bytes = bytes; // the first load of each is a warm-up for timing
          else {
            r[stack].firstResult.push(firstResult);
            r[stack].marks.push(marks);
          }
          await context.close();
        }
      }
      // Latency, memory and agreement, one page per stack.
      const patients = data[ds].patients.map(strip);
      for (const stack of ['bedside', 'ort']) {
        const { context, page } = await load(stack, ds, family);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Performance.enable');
        const heap = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'JSHeapUsedSize').value;
        const s = r[stack];
        s.heapSamples = [await heap()];
        s.wasmStart = await page.evaluate(() => window.__wasmBytes());
        for (const kind of stack === 'bedside' ? ['probabilities', 'full'] : ['probabilities']) {
          const times = [];
          let total = 0;
          for (let c = 0; c < CALLS / CHUNK; c++) {
            const out = await page.evaluate(({ patients, n, kind }) => window.stack.latency(patients, n, kind), { patients, n: CHUNK, kind });
            times.push(...out.times);
            total += out.total;
            s.heapSamples.push(await heap());
          }
          s[kind] = { p50: pct(times, 0.5), p99: pct(times, 0.99), mean: total / CALLS };
        }
        s.wasmEnd = await page.evaluate(() => window.__wasmBytes());
        s.heapPeak = Math.max(...s.heapSamples);
        s.predictions = await page.evaluate((patients) => window.stack.predict(patients), patients);
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  server.close();
}

// Agreement with scikit-learn natively: same class at 0.5 and |Δp| ≤ 0.02.
function agree(a, b) {
  let both = 0;
  let cls = 0;
  let maxDiff = 0;
  a.forEach((p, i) => {
    const d = Math.abs(p - b[i]);
    const same = (p >= 0.5) === (b[i] >= 0.5);
    maxDiff = Math.max(maxDiff, d);
    if (same) cls++;
    if (same && d <= 0.02) both++;
  });
  return { n: a.length, share: both / a.length, classShare: cls / a.length, maxDiff };
}

const chromium = execSync('/usr/bin/chromium --version 2>/dev/null').toString().trim();
const machine = `${cpus()[0].model}, ${cpus().length} cores; ${chromium}; Node ${process.version}`;
const versions = { ...data.pima.versions, 'onnxruntime-web': ortVersion };
const table = [];
const agreement = [];
for (const [key, r] of Object.entries(results)) {
  const [ds, family] = key.split('-');
  const fam = data[ds].families[family];
  const b = r.bedside;
  const o = r.ort;
  for (const s of [b, o, r.blank]) {
    s.firstResultMedian = median(s.firstResult);
    s.markMedians = Object.fromEntries(Object.keys(s.marks[0]).map((m) => [m, median(s.marks.map((x) => x[m]))]));
  }
  for (const s of [b, o]) s.memoryPeak = s.heapPeak + s.wasmEnd;
  table.push({ key, b, o, blank: r.blank });
  const sk = fam.sklearn;
  agreement.push({
    key,
    ortWeb: agree(o.predictions.map((p) => p.shown), sk),
    ortWebVsPython: agree(o.predictions.map((p) => p.shown), fam.onnxruntime_python),
    bedsideRaw: agree(b.predictions.map((p) => p.raw), sk),
    bedsideShown: agree(b.predictions.map((p) => p.shown), sk),
    seedToSeed: fam.sklearn_seed1 ? agree(fam.sklearn_seed1, sk) : null,
    params: { bedside: fam.bedside_params, sklearn: fam.sklearn_params },
    native: fam.native_latency,
  });
  delete b.predictions;
  delete o.predictions;
}
writeFileSync(join(ARTIFACTS, 'onnx-bench.json'), JSON.stringify({ date: new Date().toISOString(), machine, versions, runs: RUNS, calls: CALLS, results, agreement }, null, 2));

const ratio = (x, y) => `${(x / y).toFixed(1)}×`;
console.log(`Machine: ${machine}. ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
console.log(`First result: median of ${RUNS} page loads per stack (fresh context, after one warm-up load). Latency: ${CALLS.toLocaleString('en')} single-patient calls.\n`);
console.log('| model | stack | bytes raw | bytes gzip | navigation → first result (ms) | per call p50 / p99 (µs) | mean (µs) | peak JS heap + WASM memory |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const { key, b, o } of table) {
  console.log(`| ${key} | Bedside | ${kb(b.bytes.raw)} | ${kb(b.bytes.gzip)} | ${b.firstResultMedian.toFixed(1)} | ${us(b.probabilities.p50)} / ${us(b.probabilities.p99)} | ${us(b.probabilities.mean)} | ${kb(b.heapPeak)} + ${kb(b.wasmEnd)} = ${kb(b.memoryPeak)} |`);
  console.log(`| ${key} | Bedside, full assessment¹ | | | | ${us(b.full.p50)} / ${us(b.full.p99)} | ${us(b.full.mean)} | |`);
  console.log(`| ${key} | ONNX Runtime Web | ${kb(o.bytes.raw)} | ${kb(o.bytes.gzip)} | ${o.firstResultMedian.toFixed(1)} | ${us(o.probabilities.p50)} / ${us(o.probabilities.p99)} | ${us(o.probabilities.mean)} | ${kb(o.heapPeak)} + ${kb(o.wasmEnd)} = ${kb(o.memoryPeak)} |`);
  console.log(`| ${key} | **ratio ORT / Bedside** | ${ratio(o.bytes.raw, b.bytes.raw)} | **${ratio(o.bytes.gzip, b.bytes.gzip)}** | **${ratio(o.firstResultMedian, b.firstResultMedian)}** | **${ratio(o.probabilities.p50, b.probabilities.p50)}** / ${ratio(o.probabilities.p99, b.probabilities.p99)} | ${ratio(o.probabilities.mean, b.probabilities.mean)} | ${ratio(o.memoryPeak, b.memoryPeak)} |`);
}
console.log('\nWhere the start-up goes (medians, ms from navigation): the empty baseline page, the runtime compiled and instantiated, the model decoded, the first result on the page.\n');
console.log('| model | baseline page | Bedside: runtime / model / first result | ORT: model (runtime inside) / first result | ratio after the baseline |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const { key, b, o, blank } of table) {
  const m = b.markMedians;
  const n = o.markMedians;
  const base = blank.firstResultMedian;
  console.log(`| ${key} | ${base.toFixed(1)} | ${m['runtime-ready'].toFixed(1)} / ${m['model-ready'].toFixed(1)} / ${m['first-result'].toFixed(1)} | ${n['model-ready'].toFixed(1)} / ${n['first-result'].toFixed(1)} | ${ratio(o.firstResultMedian - base, b.firstResultMedian - base)} |`);
}
console.log('\n¹ `Engine.assess`: probability plus the exact explanation, flags, distance to the training cases and the counterfactual, which the ONNX stack does not compute. The rows above it are `Engine.probabilities`: validation, preprocessing, model and calibration.');
const pc = (a) => `${(a.share * 100).toFixed(1)} % (class ${(a.classShare * 100).toFixed(1)} %, max Δ ${a.maxDiff.toPrecision(2)})`;
console.log('\nAgreement with scikit-learn natively on the test patients: same class at 0.5 and |Δp| ≤ 0.02.\n');
console.log('| model | n | ONNX Runtime Web | Bedside, model probability | Bedside, calibrated (shown) | sklearn seed 0 vs seed 1 | native sklearn / onnxruntime p50 (µs) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const a of agreement) {
  console.log(`| ${a.key} | ${a.ortWeb.n} | ${pc(a.ortWeb)} | ${pc(a.bedsideRaw)} | ${pc(a.bedsideShown)} | ${a.seedToSeed ? pc(a.seedToSeed) : '–'} | ${a.native.sklearn.p50_us.toFixed(0)} / ${a.native.onnxruntime_python.p50_us.toFixed(0)} |`);
}
