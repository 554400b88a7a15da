// Similar-case search at scale, in headless Chromium (run with `./dev.sh bench-cases`):
// synthetic libraries drawn from the pima training cases' distribution (each case a real one
// with numeric values jittered by up to ±5 % of their range) at 1k, 10k, 100k and 1M cases.
//
// On the same library and with the same queries (cases of the library itself, left out of their
// own results), in the same benchmark page:
//   * Bedside: exact Gower top-10 (WASM SIMD), what the app uses;
//   * voy-search (npm): a k-d tree (kiddo) in Rust/WASM, Euclidean;
//   * hnswlib-wasm (npm): HNSW graphs (approximate) in C++/Emscripten, Euclidean.
// The vector indexes get the library as dense vectors scaled like the Gower distance
// (`Engine.libraryVectors`: value / range, missing → column mean). Recall@10 is measured against
// an exact Euclidean top-10 computed by brute force in JS on those vectors; Bedside's results are
// exact Gower (the property test `cases::tests::top_k_is_exact` checks that), so its row shows how
// far the two metrics agree, and each index also reports how much of Bedside's top-10 it finds.
//
// voy pads every vector to 768 dimensions with zeros (`KdTree<f32, u64, 768, 32, u16>` in its
// source) and its k-d tree splits the axes in turn, so with 7 real dimensions it panics ("Too
// many items with the same position on one axis") once the tree is deeper than 7 levels (a few
// thousand cases). It gets each vector repeated 4 times (28 dimensions): every Euclidean distance
// is scaled by 2, so the order of neighbours and the recall are unchanged. The same panic comes
// from ties: the synthetic library, like the clinical data, has many equal values (clamped at a
// range's end, or integers such as pregnancies), and kiddo 2.1 refuses more than 32 points at one
// position on the axis it splits. So voy's copy of each vector gets a deterministic nudge of at
// most 1e-6 per dimension (values are 0–1) to break ties; recall is still measured against the
// exact top-10 of the un-nudged vectors, so any effect of the nudge shows there. Its 768-float points
// take 3 KB per case: 1M cases (2.9 GiB of points) are attempted and fail in 32-bit WASM; sizes
// whose points alone pass 4 GiB are not attempted, and the table says so.
//
// Per size and library: p50 / p99 query latency, build time and WASM memory. Chromium coarsens
// performance.now() to 100 µs without cross-origin isolation, so queries are timed in batches of
// ≈ 2 ms and each batch's mean per query is one sample. Reported, never asserted.
//
// The page is a blank page on our server's origin, the vector libraries served from
// node_modules by request interception, with no Content-Security-Policy: hnswlib-wasm cannot
// start under the app's CSP (its Emscripten/embind glue needs 'unsafe-eval' and fetches its WASM
// from a data: URL). Bedside's code comes from target/bench-pkg, the app built with
// `--features bench` (the synthetic-library entry points are not in the shipped app). Each (size, library) runs in a fresh page so that one library running out
// of memory cannot take the others down.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, startServer, launch } from '../e2e/helpers.mjs';

const SIZES = (process.env.CASE_SIZES || '1000,10000,100000,1000000').split(',').map(Number);
const SAMPLES = Number(process.env.CASE_SAMPLES || 200);
const RECALL_QUERIES = Number(process.env.RECALL_QUERIES || 100);
const VOY_REPEAT = 4;
const VOY_MAX_BYTES = 2 ** 32;
const VENDOR = {
  '/bench-vendor/page.html': [null, 'text/html'],
  '/bench-vendor/voy/voy_search_bg.js': ['node_modules/voy-search/voy_search_bg.js', 'text/javascript'],
  '/bench-vendor/voy/voy_search_bg.wasm': ['node_modules/voy-search/voy_search_bg.wasm', 'application/wasm'],
  '/bench-vendor/hnswlib/hnswlib.js': ['node_modules/hnswlib-wasm/dist/hnswlib.js', 'text/javascript'],
  '/bench-vendor/hnswlib/hnswlib-317962d7.js': ['node_modules/hnswlib-wasm/dist/hnswlib-317962d7.js', 'text/javascript'],
};
const versionOf = (pkg) => JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;

/** In the page: the engine with the synthetic library, and helpers shared by all three runs. */
const PRELUDE = `
  const K = 10;
  const queryOf = (q) => (q * 7919) % n;
  const time = (run) => {
    for (let w = 0; w < 5; w++) run(queryOf(w));
    const probe = performance.now();
    let calls = 0;
    while (performance.now() - probe < 20) run(queryOf(calls++));
    const batch = Math.max(1, Math.ceil((2 * calls) / (performance.now() - probe)));
    const per = [];
    let q = 0;
    for (let s = 0; s < samples; s++) {
      const t0 = performance.now();
      for (let b = 0; b < batch; b++) run(queryOf(q++));
      per.push((performance.now() - t0) / batch);
    }
    per.sort((a, b) => a - b);
    const pick = (p) => per[Math.min(per.length - 1, Math.floor(p * per.length))];
    return { p50: pick(0.5), p99: pick(0.99), batch };
  };
  const m = await import('/pkg/bedside.js');
  const wasm = await m.default();
  const bytes = new Uint8Array(await (await fetch('/static/bundles/pima.bdsx')).arrayBuffer());
  const engine = new m.Engine(bytes);
  let t0 = performance.now();
  const libraryBytes = engine.useSyntheticLibrary(n, 42);
  const bedsideBuild = performance.now() - t0;
  const vectors = engine.libraryVectors();
  const d = vectors.length / n;
  const row = (i) => vectors.subarray(i * d, (i + 1) * d);
  const recallIds = Array.from({ length: Math.min(recallQueries, n - 1) }, (_, q) => queryOf(q));
  const overlap = (a, b) => a.filter((x) => b.includes(x)).length;
  const score = (found, reference) => found.reduce((s, f, q) => s + overlap(f, reference[q]), 0) / (K * found.length);
  const topOthers = (ids, self) => ids.filter((id) => id !== self).slice(0, K);
`;

async function inPage(browser, origin, body, args) {
  const page = await browser.newPage();
  try {
    await page.route('**/bench-vendor/**', (route) => {
      const hit = VENDOR[new URL(route.request().url()).pathname];
      if (!hit) return route.fulfill({ status: 404, body: 'not a vendored file' });
      const file = hit[0] ? readFileSync(join(ROOT, hit[0])) : '<!doctype html><title>case search benchmark</title>';
      return route.fulfill({ status: 200, contentType: hit[1], body: file });
    });
    // The app's code with the benchmark-only entry points (`./dev.sh bench-cases` builds it).
    await page.route('**/pkg/**', (route) => {
      const name = new URL(route.request().url()).pathname.replace(/^\/pkg\//, '');
      // The module, its WASM and its JS snippets (wasm-bindgen's inline_js files).
      if (!/^(bedside(_bg)?\.(js|wasm)|snippets\/[\w.-]+\/[\w.-]+\.js)$/.test(name)) return route.fulfill({ status: 404, body: 'not in the benchmark build' });
      const type = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      return route.fulfill({ status: 200, contentType: type, body: readFileSync(join(ROOT, 'target', 'bench-pkg', name)) });
    });
    await page.goto(`${origin}/bench-vendor/page.html`);
    // eslint-disable-next-line no-new-func
    const fn = `async ({ n, samples, recallQueries, truth, gower, repeat }) => { ${PRELUDE} ${body} }`;
    return await page.evaluate(`(${fn})(${JSON.stringify(args)})`);
  } catch (e) {
    return { error: String(e.message || e).split('\n')[0] };
  } finally {
    await page.close().catch(() => {});
  }
}

const BEDSIDE = `
  const bedside = time((i) => {
    if (engine.similarToCase(i, K).length !== K) throw new Error('fewer than 10 neighbours');
  });
  const exact = recallIds.map((qi) => {
    const best = [];
    const qv = row(qi);
    for (let i = 0; i < n; i++) {
      if (i === qi) continue;
      let s = 0;
      for (let j = 0; j < d; j++) { const t = vectors[i * d + j] - qv[j]; s += t * t; }
      if (best.length < K || s < best[best.length - 1][0]) {
        best.push([s, i]);
        best.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        if (best.length > K) best.pop();
      }
    }
    return best.map((b) => b[1]);
  });
  const ours = recallIds.map((qi) => Array.from(engine.similarToCase(qi, K)));
  return { ...bedside, build: bedsideBuild, libraryBytes, heap: wasm.memory.buffer.byteLength, d,
    recall: score(ours, exact), sharesGower: 1, truth: exact, gower: ours };
`;

const VOY = `
  engine.free();
  const bg = await import('/bench-vendor/voy/voy_search_bg.js');
  const { instance } = await WebAssembly.instantiateStreaming(
    fetch('/bench-vendor/voy/voy_search_bg.wasm'), { './voy_search_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  const padded = (v) => { const out = new Float32Array(v.length * repeat); for (let r = 0; r < repeat; r++) out.set(v, r * v.length); return out; };
  // Tie-breaking nudge: a fixed pseudo-random value in [-1e-6, 1e-6] per (case, dimension).
  const nudge = (i, j) => ((((i + 1) * 2654435761 + (j + 1) * 40503) >>> 0) / 4294967295 - 0.5) * 2e-6;
  const embeddings = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = Array.from(padded(row(i)), (x, j) => x + nudge(i, j));
    embeddings[i] = { id: String(i), title: '', url: '', embeddings: v };
  }
  t0 = performance.now();
  const index = new bg.Voy({ embeddings });
  const build = performance.now() - t0;
  embeddings.length = 0;
  const search = (i) => index.search(padded(row(i)), K + 1).neighbors.map((x) => Number(x.id));
  const timing = time((i) => { if (search(i).length < K) throw new Error('fewer than 10 neighbours'); });
  const found = recallIds.map((qi) => topOthers(search(qi), qi));
  return { ...timing, build, heap: instance.exports.memory.buffer.byteLength, recall: score(found, truth), sharesGower: score(found, gower) };
`;

const HNSW = `
  engine.free();
  const { loadHnswlib } = await import('/bench-vendor/hnswlib/hnswlib.js');
  const lib = await loadHnswlib();
  const index = new lib.HierarchicalNSW('l2', d, '');
  t0 = performance.now();
  index.initIndex(n, 16, 200, 100);
  index.setEfSearch(50);
  for (let s = 0; s < n; s += 10000) {
    const items = [];
    const labels = [];
    for (let i = s; i < Math.min(n, s + 10000); i++) { items.push(row(i)); labels.push(i); }
    index.addPoints(items, labels, false);
  }
  const build = performance.now() - t0;
  const search = (i) => Array.from(index.searchKnn(row(i), K + 1, undefined).neighbors);
  const timing = time((i) => { if (search(i).length < K) throw new Error('fewer than 10 neighbours'); });
  const found = recallIds.map((qi) => topOthers(search(qi), qi));
  return { ...timing, build, heap: lib.HEAP8.buffer.byteLength, recall: score(found, truth), sharesGower: score(found, gower) };
`;

const server = await startServer();
const browser = await launch();
const results = [];
try {
  for (const n of SIZES) {
    const args = { n, samples: SAMPLES, recallQueries: RECALL_QUERIES, repeat: VOY_REPEAT };
    const bedside = await inPage(browser, server.origin, BEDSIDE, args);
    if (bedside.error) throw new Error(`Bedside at ${n}: ${bedside.error}`);
    const withTruth = { ...args, truth: bedside.truth, gower: bedside.gower };
    const hnsw = await inPage(browser, server.origin, HNSW, withTruth);
    const voyPoints = n * 768 * 4;
    const voy = voyPoints >= VOY_MAX_BYTES
      ? { error: `not attempted: voy stores every point as 768 f32 (${(voyPoints / 2 ** 30).toFixed(1)} GiB for ${n} cases), past 32-bit WASM's 4 GiB` }
      : await inPage(browser, server.origin, VOY, withTruth);
    delete bedside.truth;
    delete bedside.gower;
    results.push({ n, bedside, voy, hnsw });
    const line = (name, x) => (x.error ? `${name}: ${x.error}`
      : `${name} p50 ${x.p50.toFixed(4)} ms p99 ${x.p99.toFixed(4)} ms build ${x.build.toFixed(0)} ms recall ${x.recall.toFixed(3)}`);
    console.error(`${n}: ${line('bedside', bedside)}; ${line('hnswlib', hnsw)}; ${line('voy', voy)}`);
  }
} finally {
  await browser.close();
  server.stop();
}

const mb = (b) => (b < 1048576 ? `${(b / 1024).toFixed(0)} KB` : `${(b / 1048576).toFixed(1)} MB`);
const ms = (x) => (x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(3) : x.toFixed(1));
const cell = (x, f) => (x.error ? '—' : f(x));
console.log(`Machine: ${cpus()[0].model}, ${cpus().length} cores; ${SAMPLES} samples per size; recall over ${RECALL_QUERIES} queries;`
  + ` voy-search ${versionOf('voy-search')}, hnswlib-wasm ${versionOf('hnswlib-wasm')} (M 16, efConstruction 200, efSearch 50).\n`);
console.log('| cases | library | p50 (ms) | p99 (ms) | build (ms) | recall@10 vs exact Euclidean | finds of Bedside\'s Gower top-10 | WASM memory |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  for (const [name, x] of [['Bedside (exact Gower, SIMD)', r.bedside], ['hnswlib-wasm (HNSW)', r.hnsw], ['voy-search (k-d tree)', r.voy]]) {
    console.log(`| ${r.n.toLocaleString('en')} | ${name} | ${cell(x, (v) => ms(v.p50))} | ${cell(x, (v) => ms(v.p99))} | ${cell(x, (v) => v.build.toFixed(0))}`
      + ` | ${cell(x, (v) => v.recall.toFixed(3))} | ${cell(x, (v) => v.sharesGower.toFixed(3))} | ${cell(x, (v) => mb(v.heap))} |`);
  }
}
console.log('\n| cases | Bedside library memory | hnswlib p50 ÷ Bedside p50 | voy p50 ÷ Bedside p50 |');
console.log('| ---: | ---: | ---: | ---: |');
for (const r of results) {
  const ratio = (x) => (x.error ? '—' : `${(x.p50 / r.bedside.p50).toFixed(2)}×`);
  console.log(`| ${r.n.toLocaleString('en')} | ${mb(r.bedside.libraryBytes)} | ${ratio(r.hnsw)} | ${ratio(r.voy)} |`);
}
for (const r of results) {
  for (const [name, x] of [['hnswlib-wasm', r.hnsw], ['voy-search', r.voy]]) if (x.error) console.log(`\n* ${r.n.toLocaleString('en')} cases, ${name}: ${x.error}`);
}
writeFileSync(join(ARTIFACTS, 'cases-bench.json'), JSON.stringify(results, null, 2));
