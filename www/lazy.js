// The FHIR panel's, the Health tab's and the case-library reader's code in the page (loaded on
// first use by the small snippet in src/web/fhir_panel.rs, so the app's first download does
// not carry it). They need the widget build (pkg/widget), whose engine does the FHIR import
// and export, words the health check and reads CSV case libraries. ./dev.sh build minifies
// this file into pkg/ and, with WIDGET pointing at its own directory, into pkg/widget/.
//
// Trust follows the bytes: the engine is opened from the bytes the app already fetched and
// verified, under the trust the app used (`sources`, keyed by the bundle's SHA-256) — never
// from a second fetch, which could return other bytes, judged under other keys.
//
// Nothing about a patient is kept here: an import hands its result to the app, which makes it
// the patient on screen; the export reads the subject, the basis and the values of the patient
// on screen from the panel's data attributes at the moment of the click.
const WIDGET = new URL('./widget/bedside_widget.js', import.meta.url).href;
const engines = new Map();
function engine(sha, sources) {
  if (!engines.has(sha)) {
    const loading = (async () => {
      const source = sources && sources.get(sha);
      if (!source) throw new Error('the model bundle has not been verified on this page yet');
      const m = await import(WIDGET);
      await m.default();
      return m.Engine.open(source.bytes.slice(), source.options);
    })();
    loading.catch(() => engines.delete(sha));
    engines.set(sha, loading);
  }
  return engines.get(sha);
}
const esc = (t) => String(t).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const fail = (e) => '<p class="error" role="alert" id="fhir-error">' + esc(e && e.message ? e.message : e) + '</p>';
function today() {
  const d = new Date();
  return d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
}
async function run(section, text, done, sources) {
  const sha = section.dataset.sha;
  try {
    const out = (await engine(sha, sources)).fhirImport(text, today(), document.documentElement.lang);
    done(sha, out, null);
  } catch (e) {
    done(sha, null, fail(e));
  }
}
function exportRisk(section, done, sources) {
  // Read everything of the patient on screen now, in one go, before anything is awaited.
  const d = section.dataset;
  const sha = d.sha;
  const split = (v) => (v ? v.split('\u001f') : []);
  const inputs = split(d.inputs);
  const subject = d.subject || '';
  const basis = split(d.basis);
  (async () => {
    try {
      const json = (await engine(sha, sources)).riskAssessment(inputs, subject, basis, new Date().toISOString());
      const a = document.createElement('a');
      a.href = 'data:application/fhir+json;charset=utf-8,' + encodeURIComponent(json);
      a.download = 'bedside-riskassessment-' + d.id + '.json';
      a.click();
    } catch (e) {
      done(sha, null, fail(e));
    }
  })();
}
/** The health check's table, worded by the widget build (it is not in the app's own WASM). */
export async function health_fill(el, inputs, lang, si, sources) {
  try {
    el.innerHTML = (await engine(el.dataset.sha, sources)).healthHtml(inputs, lang, si);
  } catch (e) {
    el.innerHTML = fail(e).replace('fhir-error', 'health-error');
  }
}
/** A case-library CSV read against the bundle: postcard bytes, or a rejection with the reason. */
export async function library_parse(sha, name, text, lang, sources) {
  return (await engine(sha, sources)).libraryFromCsv(name, text, lang);
}
/** Wire the panel once: its controls are found by id inside it when they are used. */
export function fhir_attach(section, done, sources) {
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
    try { text = await file.text(); } catch (err) { done(section.dataset.sha, null, fail(file.name + ': ' + err)); return; }
    run(section, text, done, sources);
  });
  section.addEventListener('click', (e) => {
    if (e.target.id === 'fhir-import') run(section, section.querySelector('#fhir-text').value, done, sources);
    if (e.target.id === 'fhir-export' && section.dataset.ready === 'true') exportRisk(section, done, sources);
  });
}
