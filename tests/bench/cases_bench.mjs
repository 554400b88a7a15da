// Similar-case search at scale, in headless Chromium (run with `./dev.sh bench-cases`):
// synthetic libraries drawn from the pima training cases' distribution (each case a real one
// with numeric values jittered by up to ±5 % of their range) at 1k, 10k, 100k and 1M cases;
// exact top-10 (Gower, WASM SIMD). Per size: p50 / p99 query latency and the memory the
// library takes (and the WASM heap after building it). Chromium coarsens performance.now()
// to 100 µs on pages without cross-origin isolation, so small libraries are timed in batches
// (≥ 2 ms each) and each batch's mean per query is one sample. Timing is reported, not asserted.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startServer, launch } from '../e2e/helpers.mjs';

const SIZES = (process.env.CASE_SIZES || '1000,10000,100000,1000000').split(',').map(Number);
const SAMPLES = Number(process.env.CASE_SAMPLES || 200);

const server = await startServer();
const browser = await launch();
const results = [];
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  for (const n of SIZES) {
    const r = await page.evaluate(async ({ n, samples }) => {
      const m = await import('../pkg/bedside.js');
      const wasm = await m.default();
      const bytes = new Uint8Array(await (await fetch('../static/bundles/pima.bdsx')).arrayBuffer());
      const engine = new m.Engine(bytes);
      const libraryBytes = engine.useSyntheticLibrary(n, 42);
      const batch = Math.max(1, Math.ceil(200000 / n));
      const per = [];
      let q = 0;
      for (let w = 0; w < 5; w++) engine.similarToCase((q++ * 7919) % n, 10); // warm-up
      for (let s = 0; s < samples; s++) {
        const t0 = performance.now();
        for (let b = 0; b < batch; b++) {
          if (engine.similarToCase((q++ * 7919) % n, 10) !== 10) throw new Error('fewer than 10 neighbours');
        }
        per.push((performance.now() - t0) / batch);
      }
      per.sort((a, b) => a - b);
      const pick = (p) => per[Math.min(per.length - 1, Math.floor(p * per.length))];
      const heap = wasm.memory.buffer.byteLength;
      engine.free();
      return { n, batch, p50: pick(0.5), p99: pick(0.99), libraryBytes, heap };
    }, { n, samples: SAMPLES });
    results.push(r);
    console.error(`${n}: p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms`);
  }
} finally {
  await browser.close();
  server.stop();
}
const mb = (b) => (b < 1048576 ? `${(b / 1024).toFixed(0)} KB` : `${(b / 1048576).toFixed(1)} MB`);
console.log(`Machine: ${cpus()[0].model}, ${cpus().length} cores; ${SAMPLES} samples per size.\n`);
console.log('| cases | p50 (ms) | p99 (ms) | queries per sample | library memory | WASM heap after |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(`| ${r.n.toLocaleString('en')} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.batch} | ${mb(r.libraryBytes)} | ${mb(r.heap)} |`);
}
writeFileSync(join(ARTIFACTS, 'cases-bench.json'), JSON.stringify(results, null, 2));
