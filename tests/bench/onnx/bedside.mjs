// The Bedside stack of the ONNX comparison: the JS API build (pkg/engine) and a bundle trained
// by `bedside train`. `?model=ID&positive=CODE&patient=JSON`. Marks `first-result` when the
// first assessment is on the page, then exposes `window.stack` to the benchmark driver.
import init, { Engine } from '/bedside/bedside_engine.js';

const q = new URLSearchParams(location.search);
const model = q.get('model');
const first = JSON.parse(q.get('patient'));
// The bundle downloads while the module compiles.
const bundle = fetch(`/bedside/${model}.bdsx`).then((r) => {
  if (!r.ok) throw new Error(`bundle ${model}: HTTP ${r.status}`);
  return r.arrayBuffer();
});
await init();
performance.mark('runtime-ready');
const engine = new Engine(new Uint8Array(await bundle));
performance.mark('model-ready');
const shown = engine.assess(first);
const pos = shown.probabilities.findIndex((c) => c.code === q.get('positive'));
document.getElementById('out').textContent = shown.probabilities[pos].probability.toFixed(3);
performance.mark('first-result');

window.stack = {
  /** Per-call times (ms) of `calls` single-patient calls cycling through `patients`. */
  latency(patients, calls, kind) {
    const times = new Float64Array(calls);
    const call = kind === 'full' ? (p) => engine.assess(p) : (p) => engine.probabilities(p);
    let sink = 0;
    const t = performance.now();
    for (let i = 0; i < calls; i++) {
      const p = patients[i % patients.length];
      const t0 = performance.now();
      const r = call(p);
      times[i] = performance.now() - t0;
      sink += kind === 'full' ? r.probabilities[pos].probability : r[pos];
    }
    return { times: Array.from(times), total: performance.now() - t, sink };
  },
  /** Calibrated (shown) and raw model probability of the positive class for each patient. */
  predict(patients) {
    return patients.map((p) => {
      const c = engine.assess(p).probabilities[pos];
      return { shown: c.probability, raw: c.raw };
    });
  },
};
