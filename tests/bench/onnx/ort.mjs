// The ONNX Runtime Web stack of the comparison: onnxruntime-web (WASM execution provider, its
// smallest build, one thread) and the scikit-learn pipeline exported by skl2onnx.
// `?model=ID&features=JSON&patient=JSON`. Marks `first-result` like bedside.mjs.
import * as ort from '/ort/ort.wasm.bundle.min.mjs';

const q = new URLSearchParams(location.search);
const model = q.get('model');
const features = JSON.parse(q.get('features'));
const first = JSON.parse(q.get('patient'));
ort.env.wasm.numThreads = 1;
// Only the .wasm's address: the JS glue is the one bundled into ort.wasm.bundle.min.mjs.
ort.env.wasm.wasmPaths = { wasm: '/ort/ort-wasm-simd-threaded.wasm' };
// The model downloads while the runtime compiles.
const bytes = fetch(`/ort/${model}.onnx`).then((r) => {
  if (!r.ok) throw new Error(`model ${model}: HTTP ${r.status}`);
  return r.arrayBuffer();
});
const session = await ort.InferenceSession.create(new Uint8Array(await bytes), { executionProviders: ['wasm'] });
performance.mark('model-ready'); // the runtime starts inside `create`

/** One patient (field → value; absent means missing) → P(positive), as an app would call it. */
async function probability(patient) {
  const x = new Float32Array(features.length);
  features.forEach((f, i) => { x[i] = patient[f] ?? NaN; });
  const out = await session.run({ input: new ort.Tensor('float32', x, [1, x.length]) });
  return out.probabilities.data[1];
}

document.getElementById('out').textContent = (await probability(first)).toFixed(3);
performance.mark('first-result');

window.stack = {
  async latency(patients, calls) {
    const times = new Float64Array(calls);
    let sink = 0;
    const t = performance.now();
    for (let i = 0; i < calls; i++) {
      const p = patients[i % patients.length];
      const t0 = performance.now();
      sink += await probability(p);
      times[i] = performance.now() - t0;
    }
    return { times: Array.from(times), total: performance.now() - t, sink };
  },
  async predict(patients) {
    const out = [];
    for (const p of patients) out.push({ shown: await probability(p) });
    return out;
  },
};
