// Iframe mode. The host frames embed.html?bundle=…&lang=…&mode=…&allow=<origin>,<origin> and
// talks to it with postMessage:
//   host → Bedside: { type: 'bedside:setPatient', patient }        (object or FHIR resource)
//                   { type: 'bedside:getAssessment' }
//   Bedside → host: { type: 'bedside:ready' }
//                   { type: 'bedside:assessment', assessment, cards }   (on every new estimate)
//                   { type: 'bedside:error', message }
// Messages from an origin that is not in `allow` are ignored, and Bedside posts only to the
// allowed origins (never to '*'), so patient data reaches no other page. Without `allow`,
// only Bedside's own origin is allowed.
//
// Each entry of `allow` must be an origin: `https://host[:port]` (or `http://` on loopback
// only), written as the browser writes origins (lower case, no default port, no path). An entry
// is normalised through URL() and refused when it is `*`, `null`, has a path, credentials, a
// query, or another scheme: then nothing is allowed at all and the page says why, because a
// host that meant to allow something must find out now, not by leaking to the wrong page.
import './widget.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** The origin an `allow` entry names, or an Error saying what is wrong with it. */
export function parseOrigin(entry) {
  const text = entry.trim();
  if (text === '*' || text === 'null') return new Error(`"${text}" is not an origin: name each host page's origin`);
  let url;
  try { url = new URL(text); } catch { return new Error(`"${text}" is not an origin (expected https://host[:port])`); }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    return new Error(`"${text}": only https origins are accepted (http only for loopback)`);
  }
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    return new Error(`"${text}" is not an origin: no path, query or credentials`);
  }
  return url.origin;
}

const q = new URLSearchParams(location.search);
const entries = (q.get('allow') ?? location.origin).split(',').filter((o) => o.trim());
const parsed = entries.map(parseOrigin);
const problems = parsed.filter((o) => o instanceof Error);
const allowed = new Set(problems.length ? [] : parsed);
const widget = document.getElementById('embedded');
if (problems.length) {
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.id = 'allow-error';
  p.textContent = 'Bedside will not talk to its host page: ' + problems.map((e) => e.message).join('; ');
  widget.before(p);
}
for (const [k, v] of [['bundle', q.get('bundle') || 'pima.bdsx'], ['lang', q.get('lang') || 'en'], ['mode', q.get('mode') || 'assess']]) {
  widget.setAttribute(k, v);
}

const post = (message) => {
  if (window.parent === window) return;
  for (const origin of allowed) window.parent.postMessage(message, origin);
};

widget.addEventListener('bedside:assessment', (e) => post({ type: 'bedside:assessment', assessment: e.detail.assessment, cards: e.detail.cards, patient: e.detail.patient, bundle: e.detail.bundle }));
widget.addEventListener('bedside:error', (e) => post({ type: 'bedside:error', message: String(e.detail) }));

window.addEventListener('message', async (e) => {
  if (!allowed.has(e.origin) || e.source !== window.parent) return;
  const { type, patient } = e.data || {};
  try {
    if (type === 'bedside:setPatient') await widget.setPatient(patient);
    if (type === 'bedside:getAssessment') post({ type: 'bedside:assessment', assessment: widget.assessment(), cards: widget.cards(), patient: widget.patient() });
  } catch (err) {
    post({ type: 'bedside:error', message: String(err.message ?? err) });
  }
});

widget.ready.then(() => post({ type: 'bedside:ready' }));
