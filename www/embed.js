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
import './widget.js';

const q = new URLSearchParams(location.search);
const allowed = new Set((q.get('allow') || location.origin).split(',').map((o) => o.trim()).filter(Boolean));
const widget = document.getElementById('embedded');
for (const [k, v] of [['bundle', q.get('bundle') || 'pima.bdsx'], ['lang', q.get('lang') || 'en'], ['mode', q.get('mode') || 'assess']]) {
  widget.setAttribute(k, v);
}

const post = (message) => {
  if (window.parent === window) return;
  for (const origin of allowed) window.parent.postMessage(message, origin);
};

widget.addEventListener('bedside:assessment', (e) => post({ type: 'bedside:assessment', assessment: e.detail.assessment, cards: e.detail.cards }));
widget.addEventListener('bedside:error', (e) => post({ type: 'bedside:error', message: String(e.detail) }));

window.addEventListener('message', async (e) => {
  if (!allowed.has(e.origin) || e.source !== window.parent) return;
  const { type, patient } = e.data || {};
  try {
    if (type === 'bedside:setPatient') await widget.setPatient(patient);
    if (type === 'bedside:getAssessment') post({ type: 'bedside:assessment', assessment: widget.assessment(), cards: widget.cards() });
  } catch (err) {
    post({ type: 'bedside:error', message: String(err.message ?? err) });
  }
});

widget.ready.then(() => post({ type: 'bedside:ready' }));
