// Steady under load (run with `./dev.sh bench-load`): in headless Chromium, the headless
// engine (pkg/engine) assesses patients at a paced 1,000 per second for 60 seconds per bundle
// (`LOAD_SECONDS`, `LOAD_RATE` change that). Each call is a full `Engine.assess` of a JS object:
// validation, model, calibration, explanation, flags, distance and counterfactual. Patients
// are real rows of the bundle's data set with every numeric value moved by a seeded ±5 % (kept
// inside the plausible range), 500 of them in turn, so no two calls in a row are the same.
//
// Reports the achieved rate, latency percentiles, and the WASM linear memory (and JS heap) at
// the start, every 10 s and at the end: memory must not grow. Writes test-results/load-bench.json.
// A benchmark, not a test: nothing here is asserted.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT, BIN, ARTIFACTS, startServer, launch, readCsv } from '../e2e/helpers.mjs';

const DATA = { 'pima.bdsx': 'pima_te.csv', 'wdbc.bdsx': 'wdbc.csv', 'biopsy.bdsx': 'biopsy.csv' };

/** 500 patients from the bundle's real data, numeric values moved by a seeded ±5 %. */
function patientsFor(bundle) {
  const info = JSON.parse(execFileSync(BIN, ['inspect', '--json', '--bundle', join(ROOT, 'static', 'bundles', bundle)]));
  const rows = readCsv(join(ROOT, 'data', DATA[bundle]));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const patients = [];
  for (let i = 0; patients.length < 500; i++) {
    const row = rows[i % rows.length];
    const p = {};
    for (const f of info.schema.features) {
      const text = row[f.column];
      if (text === undefined || text === '' || text === 'NA') continue;
      const num = f.kind.Numeric;
      if (num) {
        const v = Math.min(num.plausible.max, Math.max(num.plausible.min, Number(text) * (1 + (rand() - 0.5) * 0.1)));
        p[f.column] = num.integer ? Math.round(v) : v;
      } else if (f.kind.Boolean) {
        p[f.column] = text === f.kind.Boolean.true_code;
      } else {
        p[f.column] = text;
      }
    }
    patients.push(p);
  }
  return patients;
}

const SECONDS = Number(process.env.LOAD_SECONDS || 60);
const RATE = Number(process.env.LOAD_RATE || 1000);
const BUNDLES = (process.env.LOAD_BUNDLES || 'pima.bdsx,wdbc.bdsx').split(',');

const server = await startServer();
const browser = await launch();
const results = {};
try {
  for (const bundle of BUNDLES) {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(`${server.url}?bundle=none`);
    results[bundle] = await page.evaluate(async ({ bundle, seconds, rate, patients }) => {
      const { default: init, Engine } = await import('../pkg/engine/bedside_engine.js');
      const wasm = await init();
      const bytes = new Uint8Array(await (await fetch(`../static/bundles/${bundle}`)).arrayBuffer());
      const engine = new Engine(bytes);
      const memory = () => ({ wasm: wasm.memory.buffer.byteLength, heap: performance.memory?.usedJSHeapSize ?? null });
      // Warm up (first calls compile and size the allocator), then measure.
      for (let i = 0; i < 200; i++) engine.assess(patients[i % patients.length]);
      const start = memory();
      const samples = [start];
      const latencies = new Float64Array(Math.ceil(seconds * rate * 1.1) + 10);
      let done = 0;
      let errors = 0;
      const t0 = performance.now();
      const end = t0 + seconds * 1000;
      // Paced: every tick runs the calls that are due by the clock, so the rate is held even
      // when timers are late; a tick never runs more than 50 ms of backlog at once.
      await new Promise((resolve) => {
        let nextSample = t0 + 10000;
        const tick = () => {
          const now = performance.now();
          const due = Math.min(Math.floor(((Math.min(now, end) - t0) / 1000) * rate), done + rate / 20);
          while (done < due) {
            const p = patients[done % patients.length];
            const a = performance.now();
            try { engine.assess(p); } catch { errors += 1; }
            latencies[done] = performance.now() - a;
            done += 1;
          }
          if (now >= nextSample) { samples.push(memory()); nextSample += 10000; }
          if (now >= end) resolve(); else setTimeout(tick, 1);
        };
        tick();
      });
      const elapsed = (performance.now() - t0) / 1000;
      const sorted = Array.from(latencies.subarray(0, done)).sort((x, y) => x - y);
      const pct = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      const finish = memory();
      samples.push(finish);
      return {
        calls: done, errors, seconds: elapsed, rate: done / elapsed,
        p50_ms: pct(0.5), p99_ms: pct(0.99), p999_ms: pct(0.999), max_ms: sorted[sorted.length - 1],
        wasm_start: start.wasm, wasm_end: finish.wasm, heap_start: start.heap, heap_end: finish.heap, samples,
      };
    }, { bundle, seconds: SECONDS, rate: RATE, patients: patientsFor(bundle) });
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
}

const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores`;
const mb = (n) => (n == null ? '—' : `${(n / 1048576).toFixed(2)} MB`);
console.log(`\nLoad: ${RATE} assessments/s for ${SECONDS} s per bundle, headless Chromium, ${machine}\n`);
console.log('| bundle | calls | errors | achieved rate | p50 | p99 | p99.9 | max | WASM memory start → end | JS heap start → end |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [b, r] of Object.entries(results)) {
  console.log(`| ${b} | ${r.calls} | ${r.errors} | ${r.rate.toFixed(1)}/s | ${(r.p50_ms * 1000).toFixed(0)} µs | ${(r.p99_ms * 1000).toFixed(0)} µs | ${(r.p999_ms * 1000).toFixed(0)} µs | ${r.max_ms.toFixed(1)} ms | ${mb(r.wasm_start)} → ${mb(r.wasm_end)} | ${mb(r.heap_start)} → ${mb(r.heap_end)} |`);
  console.log(`|   memory every 10 s (WASM) | ${r.samples.map((s) => mb(s.wasm)).join(', ')} |`);
}
writeFileSync(join(ARTIFACTS, 'load-bench.json'), JSON.stringify({ machine, rate: RATE, seconds: SECONDS, results }, null, 2));
