// The FHIR panel's, the Health tab's and the case-library reader's code in the page (loaded on first use by the small
// snippet in src/web/fhir_panel.rs, so the app's first download does not carry it). Both need
// the widget build (pkg/widget), whose engine does the FHIR import and export, words the
// health check and reads CSV case libraries. ./dev.sh build minifies this file into pkg/ and,
// with WIDGET pointing at its own directory, into pkg/widget/.
const WIDGET = new URL('./widget/bedside_widget.js', import.meta.url).href;
const engines = new Map();
const imported = new Map();
function engine(bundleUrl) {
  if (!engines.has(bundleUrl)) {
    const loading = (async () => {
      const m = await import(WIDGET);
      await m.default();
      const r = await fetch(bundleUrl);
      // Checked again as the app checked it (same built-in keys and policy): this is a second fetch.
      if (!r.ok) throw new Error('the model bundle could not be fetched: HTTP ' + r.status);
      return m.Engine.open(new Uint8Array(await r.arrayBuffer()), {});
    })();
    loading.catch(() => engines.delete(bundleUrl));
    engines.set(bundleUrl, loading);
  }
  return engines.get(bundleUrl);
}
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const fail = (e) => '<p class="error" role="alert" id="fhir-error">' + esc(e && e.message ? e.message : e) + '</p>';
function today() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}
async function run(section, text, done) {
  const url = section.dataset.bundle;
  try {
    const out = (await engine(url)).fhirImport(text, today(), document.documentElement.lang);
    imported.set(url, out);
    done(out.inputs, out.html);
  } catch (e) {
    done(null, fail(e));
  }
}
async function exportRisk(section, done) {
  const url = section.dataset.bundle;
  try {
    const last = imported.get(url);
    const inputs = section.dataset.inputs.split('\u001f');
    const json = (await engine(url)).riskAssessment(inputs, last?.subject ?? '', last?.basis ?? [], new Date().toISOString());
    const a = document.createElement('a');
    a.href = 'data:application/fhir+json;charset=utf-8,' + encodeURIComponent(json);
    a.download = 'bedside-riskassessment-' + section.dataset.id + '.json';
    a.click();
  } catch (e) {
    done(null, fail(e));
  }
}
/** The health check's table, worded by the widget build (it is not in the app's own WASM). */
export async function health_fill(el, inputs, lang, si) {
  try {
    el.innerHTML = (await engine(el.dataset.bundle)).healthHtml(inputs, lang, si);
  } catch (e) {
    el.innerHTML = fail(e).replace('fhir-error', 'health-error');
  }
}
/** A case-library CSV read against the bundle: postcard bytes, or a rejection with the reason. */
export async function library_parse(bundleUrl, name, text, lang) {
  return (await engine(bundleUrl)).libraryFromCsv(name, text, lang);
}
/** Wire the panel once: its controls are found by id inside it when they are used. */
export function fhir_attach(section, done) {
  if (section.dataset.wired) return;
  section.dataset.wired = '1';
  // Export is possible once there is an estimate; the app says so in data-ready.
  const sync = () => {
    const b = section.querySelector('#fhir-export');
    if (b) b.disabled = section.dataset.ready !== 'true';
  };
  new MutationObserver(sync).observe(section, { attributes: true, attributeFilter: ['data-ready'], childList: true });
  sync();
  section.addEventListener('change', async (e) => {
    if (e.target.id !== 'fhir-file' || !e.target.files[0]) return;
    const file = e.target.files[0];
    let text;
    try { text = await file.text(); } catch (err) { done(null, fail(file.name + ': ' + err)); return; }
    run(section, text, done);
  });
  section.addEventListener('click', (e) => {
    if (e.target.id === 'fhir-import') run(section, section.querySelector('#fhir-text').value, done);
    if (e.target.id === 'fhir-export' && section.dataset.ready === 'true') exportRisk(section, done);
  });
}
