// The same environment driven by a real browser (Debian's Chromium via playwright-core) and a
// stub SMART app, to prove the log-in/consent selectors, the redirects, the cookies and CORS
// (the /token POST and the FHIR calls with an Authorization header, preflight included) work
// as a browser sees them. The stub app is a few lines of script in /www/launch.html: EHR launch
// (iss + launch) → authorize with PKCE → code → token → read, search, create.
// Run: node tests/e2e/smart/browser-smoke.mjs   (PASS/FAIL per check; exit 1 on any failure)
import http from 'node:http';
import { chromium } from 'playwright-core';
import { startSmart } from './servers.mjs';

const STUB_APP = `<!doctype html><meta charset="utf-8"><title>stub app</title><pre id="result">working</pre>
<script type="module">
const out = (v) => { document.getElementById('result').textContent = JSON.stringify(v); };
const q = new URLSearchParams(location.search);
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
try {
  if (q.get('error')) {
    out({ error: q.get('error'), stateOk: q.get('state') === sessionStorage.state });
  } else if (q.get('code')) {
    const s = JSON.parse(sessionStorage.smart);
    const body = new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code'), redirect_uri: location.origin + location.pathname, client_id: 'bedside', code_verifier: s.verifier });
    const t = await (await fetch(s.token, { method: 'POST', body })).json();
    const h = { authorization: 'Bearer ' + t.access_token, accept: 'application/fhir+json' };
    const patient = await (await fetch(s.iss + '/Patient/' + t.patient, { headers: h })).json();
    let url = s.iss + '/Observation?patient=' + t.patient + '&code=' + encodeURIComponent('http://loinc.org|2339-0,http://loinc.org|85354-9');
    let pages = 0, n = 0;
    while (url) { const b = await (await fetch(url, { headers: h })).json(); pages++; n += b.entry.length; url = b.link.find((l) => l.relation === 'next')?.url; }
    const created = await fetch(s.iss + '/RiskAssessment', { method: 'POST', headers: { ...h, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'RiskAssessment', status: 'final', subject: { reference: 'Patient/' + t.patient } }) });
    out({ stateOk: q.get('state') === sessionStorage.state, patient: t.patient, banner: t.need_patient_banner, birthDate: patient.birthDate,
      pages, n, created: created.status, location: created.headers.get('location') });
  } else {
    const iss = q.get('iss');
    const c = await (await fetch(iss + '/.well-known/smart-configuration')).json();
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    sessionStorage.smart = JSON.stringify({ iss, token: c.token_endpoint, verifier });
    sessionStorage.state = crypto.randomUUID();
    location.assign(c.authorization_endpoint + '?' + new URLSearchParams({
      response_type: 'code', client_id: 'bedside', redirect_uri: location.origin + location.pathname, state: sessionStorage.state,
      scope: 'launch openid fhirUser patient/Patient.rs patient/Observation.rs patient/RiskAssessment.c', aud: iss, launch: q.get('launch'),
      code_challenge: challenge, code_challenge_method: 'S256' }));
  }
} catch (e) { out({ exception: String(e) }); }
</script>`;

let failures = 0;
let passes = 0;
async function check(name, fn) {
  try { await fn(); passes++; console.log(`PASS ${name}`); } catch (err) { failures++; console.log(`FAIL ${name}: ${err.stack || err}`); }
}
function equal(a, b, msg) { if (a !== b) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`); }

const app = http.createServer((req, res) => {
  if (new URL(req.url, 'http://x').pathname !== '/www/launch.html') { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(STUB_APP);
});
await new Promise((r) => app.listen(0, '127.0.0.1', r));
const appOrigin = `http://127.0.0.1:${app.address().port}`;
const smart = await startSmart({ appOrigin });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
const result = async (page) => {
  await page.waitForFunction(() => document.getElementById('result')?.textContent !== 'working', null, { timeout: 15000 });
  return JSON.parse(await page.textContent('#result'));
};
try {
  await check('EHR launch in Chromium: log in, allow, token, read, 3 pages, create', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(smart.ehrLaunchUrl(smart.patients.allergic, { banner: false }));
    await page.waitForSelector('#login');
    await page.fill('#login', 'dr-browser');
    await page.click('#login-submit');
    await page.waitForSelector('#consent-allow');
    await page.click('#consent-allow');
    await page.waitForURL(`${appOrigin}/www/launch.html?code=*`);
    const r = await result(page);
    equal(r.exception, undefined, 'no exception');
    equal(r.stateOk, true, 'state');
    equal(r.patient, smart.patients.allergic, 'patient');
    equal(r.banner, false, 'need_patient_banner');
    equal(r.birthDate, '1976-03-08', 'Patient read');
    equal(r.pages, 3, 'pages');
    equal(r.n, 48, 'observations');
    equal(r.created, 201, 'created');
    equal(smart.saved.length, 1, 'saved');
    // Same browser context, second launch: already logged in and consented, no page shown.
    await page.goto(smart.ehrLaunchUrl(smart.patients.allergic));
    await page.waitForURL(`${appOrigin}/www/launch.html?code=*`);
    equal((await result(page)).banner, true, 'second launch goes straight through');
    await context.close();
  });

  await check('deny in Chromium → access_denied back at the app with its state', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(smart.ehrLaunchUrl(smart.patients.fhiry));
    await page.click('#login-submit');
    await page.click('#consent-deny');
    await page.waitForURL(`${appOrigin}/www/launch.html?error=*`);
    const r = await result(page);
    equal(r.error, 'access_denied', 'error');
    equal(r.stateOk, true, 'state');
    await context.close();
  });
} finally {
  await browser.close();
  await smart.close();
  app.close();
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
