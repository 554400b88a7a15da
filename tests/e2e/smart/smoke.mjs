// Smoke test of the SMART test environment (servers.mjs) without a browser: plain fetch drives
// EHR launches, the authorization-code + PKCE flow (log-in and consent pages included, cookies
// carried by hand), the token exchange and the FHIR API, then each failure mode.
// Run: node tests/e2e/smart/smoke.mjs   (prints PASS/FAIL per check; exit 1 on any failure)
import crypto from 'node:crypto';
import { startSmart } from './servers.mjs';

const APP = 'http://127.0.0.1:1';
const REDIRECT = `${APP}/www/launch.html`;
const SCOPE = 'launch openid fhirUser patient/Patient.rs patient/Observation.rs patient/AllergyIntolerance.rs '
  + 'patient/Condition.rs patient/MedicationRequest.rs patient/RiskAssessment.c';
const LOINC = 'http://loinc.org';

let failures = 0;
let passes = 0;
async function check(name, fn) {
  try {
    await fn();
    passes++;
    console.log(`PASS ${name}`);
  } catch (err) {
    failures++;
    console.log(`FAIL ${name}: ${err.stack || err}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }
function equal(a, b, msg) { if (a !== b) throw new Error(`${msg}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`); }

/** A cookie jar for one "browser": name → value, for the one host all servers share. */
class Jar {
  cookies = new Map();
  store(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]) < new Date())
        || attrs.some((a) => /^\s*max-age=0/i.test(a));
      if (expired || value === '') this.cookies.delete(name); else this.cookies.set(name, value);
    }
  }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
}

const pkce = () => {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
};

/** Open the EHR launch page; return the launch id from the link it sends the browser to. */
async function ehrLaunch(smart, patient, opts) {
  const res = await fetch(smart.ehrLaunchUrl(patient, opts));
  equal(res.status, 200, 'EHR page status');
  const body = await res.text();
  const href = /<a id="launch" href="([^"]+)"/.exec(body)[1].replace(/&#38;/g, '&');
  const url = new URL(href);
  equal(`${url.origin}${url.pathname}`, REDIRECT, 'EHR link target');
  equal(url.searchParams.get('iss'), smart.iss, 'EHR link iss');
  assert(body.includes('location.assign('), 'the EHR page navigates by itself');
  return url.searchParams.get('launch');
}

/**
 * The browser side of an authorization request: follow redirects on the authorization server,
 * log in and consent (or deny) on its pages, stop at the redirect to the app. Returns the
 * redirect's query parameters.
 */
async function authorize(smart, { scope = SCOPE, launch, aud = smart.iss, challenge, state = crypto.randomUUID(), decision = 'allow', jar = new Jar(), extra = {} } = {}) {
  const { authorization_endpoint: endpoint } = await (await fetch(`${smart.iss}/.well-known/smart-configuration`)).json();
  const params = new URLSearchParams({
    response_type: 'code', client_id: 'bedside', redirect_uri: REDIRECT, scope, state, aud,
    ...(challenge ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
    ...(launch ? { launch } : {}), ...extra,
  });
  let url = `${endpoint}?${params}`;
  let init = { method: 'GET' };
  const pages = [];
  for (let i = 0; i < 12; i++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, cookie: jar.header() } });
    jar.store(res);
    if ([302, 303].includes(res.status)) {
      const next = new URL(res.headers.get('location'), url);
      if (next.href.startsWith(REDIRECT)) return { ...Object.fromEntries(next.searchParams), sentState: state, pages };
      url = next.href;
      init = { method: 'GET' };
      continue;
    }
    const body = await res.text();
    if (res.status !== 200) throw new Error(`authorization server answered ${res.status}: ${body.slice(0, 300)}`);
    const form = (id) => new RegExp(`<form id="${id}" method="post" action="([^"]+)"`).exec(body)?.[1];
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    if (form('login-form')) {
      pages.push('login');
      assert(body.includes('id="login"') && body.includes('id="login-submit"'), 'login page ids');
      url = new URL(form('login-form'), url).href;
      init = { method: 'POST', body: 'login=smoke-clinician', headers };
    } else if (form('consent-form')) {
      pages.push('consent');
      assert(body.includes('id="consent-allow"') && body.includes('id="consent-deny"'), 'consent page ids');
      url = new URL(form(decision === 'allow' ? 'consent-form' : 'deny-form'), url).href;
      init = { method: 'POST', body: '', headers };
    } else {
      throw new Error(`unexpected page: ${body.slice(0, 300)}`);
    }
  }
  throw new Error('too many steps');
}

async function token(smart, code, verifier, { omitVerifier = false } = {}) {
  const { token_endpoint: endpoint } = await (await fetch(`${smart.iss}/.well-known/smart-configuration`)).json();
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'bedside' });
  if (!omitVerifier) body.set('code_verifier', verifier);
  const res = await fetch(endpoint, { method: 'POST', body, headers: { origin: APP, 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: res.status, cors: res.headers.get('access-control-allow-origin'), json: await res.json() };
}

/** A full EHR (or standalone, without `patient`) launch: returns the token response. */
async function fullLaunch(smart, { patient, banner = true, scope = SCOPE } = {}) {
  const launch = patient ? await ehrLaunch(smart, patient, { banner }) : undefined;
  const { verifier, challenge } = pkce();
  const r = await authorize(smart, { scope, launch, challenge });
  assert(r.code, `no code: ${JSON.stringify(r)}`);
  const t = await token(smart, r.code, verifier);
  equal(t.status, 200, `token status ${JSON.stringify(t.json)}`);
  return t.json;
}

const fhir = async (smart, path, accessToken, init = {}) => {
  const url = path.startsWith('http') ? path : `${smart.iss}/${path}`;
  const res = await fetch(url, {
    ...init,
    headers: { accept: 'application/fhir+json', origin: APP, ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}), ...init.headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
};

/** Every page of a search: [bundles, entries]. */
async function allPages(smart, path, accessToken) {
  const bundles = [];
  let url = path;
  while (url) {
    const r = await fhir(smart, url, accessToken);
    equal(r.status, 200, `search ${url} ${JSON.stringify(r.json)}`);
    bundles.push(r.json);
    url = r.json.link.find((l) => l.relation === 'next')?.url;
    assert(!url || url.startsWith(smart.iss), 'next link on the FHIR server');
    assert(bundles.length < 50, 'paging loop');
  }
  return [bundles, bundles.flatMap((b) => b.entry ?? []).map((e) => e.resource)];
}

const codeOf = (r) => r.code.coding[0].code;

const smart = await startSmart({ appOrigin: APP });
const { patients } = smart;
let main; // the main EHR launch's token response (allergic patient)
try {
  await check('smart-configuration', async () => {
    const r = await fhir(smart, '.well-known/smart-configuration');
    equal(r.status, 200, 'status');
    const c = r.json;
    equal(c.issuer, smart.authOrigin, 'issuer');
    assert(c.authorization_endpoint.startsWith(smart.authOrigin) && c.token_endpoint.startsWith(smart.authOrigin), 'endpoints');
    equal(JSON.stringify(c.code_challenge_methods_supported), '["S256"]', 'PKCE methods');
    equal(JSON.stringify(c.token_endpoint_auth_methods_supported), '["none"]', 'auth methods');
    equal(JSON.stringify(c.grant_types_supported), '["authorization_code"]', 'grant types');
    for (const cap of ['launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient', 'context-standalone-patient', 'permission-patient', 'permission-v2', 'context-banner']) {
      assert(c.capabilities.includes(cap), `capability ${cap}`);
    }
    assert(c.scopes_supported.includes('patient/Observation.rs'), 'v2 scopes listed');
    equal(r.headers.get('access-control-allow-origin'), APP, 'CORS');
  });

  await check('metadata: CapabilityStatement with the SMART oauth-uris extension', async () => {
    const r = await fhir(smart, 'metadata');
    equal(r.status, 200, 'status');
    equal(r.json.resourceType, 'CapabilityStatement', 'type');
    assert(r.headers.get('content-type').startsWith('application/fhir+json'), `content type ${r.headers.get('content-type')}`);
    const ext = r.json.rest[0].security.extension.find((e) => e.url.endsWith('/oauth-uris'));
    const uris = Object.fromEntries(ext.extension.map((e) => [e.url, e.valueUri]));
    assert(uris.authorize.startsWith(smart.authOrigin) && uris.token.startsWith(smart.authOrigin), JSON.stringify(uris));
    const types = r.json.rest[0].resource.map((x) => x.type);
    for (const t of ['Patient', 'Observation', 'RiskAssessment']) assert(types.includes(t), `resource ${t}`);
  });

  await check('CORS preflight allows the Authorization header', async () => {
    const res = await fetch(`${smart.iss}/Observation?patient=x`, {
      method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    equal(res.status, 204, 'status');
    equal(res.headers.get('access-control-allow-origin'), APP, 'origin');
    assert(/authorization/i.test(res.headers.get('access-control-allow-headers')), 'headers');
  });

  await check('EHR launch + authorization code + PKCE: token carries the launch context', async () => {
    const launch = await ehrLaunch(smart, patients.allergic, { banner: false });
    const { verifier, challenge } = pkce();
    const r = await authorize(smart, { launch, challenge });
    equal(JSON.stringify(r.pages), '["login","consent"]', 'pages seen');
    equal(r.state, r.sentState, 'state');
    equal(r.iss, smart.authOrigin, 'RFC 9207 iss in the redirect');
    assert(r.code, 'code');
    const t = await token(smart, r.code, verifier);
    equal(t.status, 200, `token ${JSON.stringify(t.json)}`);
    equal(t.cors, APP, 'CORS on /token');
    equal(t.json.patient, patients.allergic, 'patient');
    equal(t.json.need_patient_banner, false, 'need_patient_banner');
    equal(t.json.token_type, 'Bearer', 'token_type');
    for (const s of SCOPE.split(' ')) assert(t.json.scope.split(' ').includes(s), `granted ${s}: ${t.json.scope}`);
    assert(t.json.id_token, 'id_token');
    const claims = JSON.parse(Buffer.from(t.json.id_token.split('.')[1], 'base64url'));
    assert(claims.fhirUser?.startsWith(`${smart.iss}/Practitioner/`), `fhirUser ${claims.fhirUser}`);
    main = t.json;
  });

  await check('a code is single-use; reusing it revokes the tokens issued from it', async () => {
    const launch = await ehrLaunch(smart, patients.allergic);
    const { verifier, challenge } = pkce();
    const r = await authorize(smart, { launch, challenge });
    const first = await token(smart, r.code, verifier);
    equal((await fhir(smart, `Patient/${patients.allergic}`, first.json.access_token)).status, 200, 'token works');
    equal((await token(smart, r.code, verifier)).json.error, 'invalid_grant', 'code reuse');
    equal((await fhir(smart, `Patient/${patients.allergic}`, first.json.access_token)).status, 401, 'token revoked');
  });

  await check('EHR launch with banner=1 → need_patient_banner true', async () => {
    const t = await fullLaunch(smart, { patient: patients.fhiry, banner: true });
    equal(t.patient, patients.fhiry, 'patient');
    equal(t.need_patient_banner, true, 'banner');
  });

  await check('standalone launch (launch/patient) → patients.synthea, banner true', async () => {
    const t = await fullLaunch(smart, { scope: SCOPE.replace(/^launch /, 'launch/patient ') });
    equal(t.patient, patients.synthea, 'patient');
    equal(t.need_patient_banner, true, 'banner');
  });

  await check('Patient read', async () => {
    const r = await fhir(smart, `Patient/${patients.allergic}`, main.access_token);
    equal(r.status, 200, 'status');
    assert(r.headers.get('content-type').startsWith('application/fhir+json'), 'content type');
    equal(r.json.gender, 'female', 'gender');
    equal(r.json.birthDate, '1976-03-08', 'birthDate');
    equal(r.headers.get('access-control-allow-origin'), APP, 'CORS');
  });

  await check('fhirUser Practitioner read; unknown Patient → 404 OperationOutcome', async () => {
    const claims = JSON.parse(Buffer.from(main.id_token.split('.')[1], 'base64url'));
    const r = await fhir(smart, claims.fhirUser, main.access_token);
    equal(r.status, 200, 'Practitioner');
    equal(r.json.resourceType, 'Practitioner', 'type');
    const missing = await fhir(smart, 'Patient/does-not-exist', main.access_token);
    equal(missing.status, 404, 'status');
    equal(missing.json.resourceType, 'OperationOutcome', 'outcome');
  });

  await check('Observation search by code, 3 pages followed by next links', async () => {
    const q = `Observation?patient=${patients.allergic}&code=${encodeURIComponent(`${LOINC}|2339-0,${LOINC}|85354-9`)}`;
    const [bundles, obs] = await allPages(smart, q, main.access_token);
    assert(bundles.length >= 3, `pages ${bundles.length}`);
    equal(bundles[0].type, 'searchset', 'type');
    equal(bundles[0].total, obs.length, 'total');
    assert(bundles.slice(0, -1).every((b) => b.entry.length === 20), 'page size 20');
    assert(obs.every((o) => ['2339-0', '85354-9'].includes(codeOf(o))), 'only the asked codes');
    equal(new Set(obs.map((o) => o.id)).size, obs.length, 'no duplicates across pages');
    const latest = (c) => obs.filter((o) => codeOf(o) === c).sort((a, b) => a.effectiveDateTime.localeCompare(b.effectiveDateTime)).at(-1);
    equal(latest('2339-0').valueQuantity.value, 148, 'latest glucose');
    equal(latest('85354-9').component.find((x) => x.code.coding[0].code === '8462-4').valueQuantity.value, 72, 'latest diastolic');
    assert(bundles.at(-1).entry.some((e) => e.resource.valueQuantity?.value === 148), 'the latest glucose is on the last page');
  });

  await check('code matches Observation.code only; combo-code also matches components', async () => {
    const base = `Observation?patient=${patients.allergic}`;
    const code = await fhir(smart, `${base}&code=8480-6`, main.access_token);
    equal(code.json.total, 0, 'code=8480-6 (a component only)');
    const combo = await fhir(smart, `${base}&combo-code=${encodeURIComponent(`${LOINC}|8480-6`)}`, main.access_token);
    equal(combo.json.total, 24, 'combo-code=8480-6');
    const bmi = await fhir(smart, `${base}&code=39156-5&_sort=-date&_count=1`, main.access_token);
    equal(bmi.json.entry[0].resource.valueQuantity.value, 33.6, 'latest BMI first with _sort=-date');
    equal(bmi.json.entry.length, 1, '_count=1');
  });

  await check('AllergyIntolerance, Condition, MedicationRequest searches', async () => {
    const a = await fhir(smart, `AllergyIntolerance?patient=${patients.allergic}`, main.access_token);
    equal(a.json.total, 1, 'allergies');
    equal(a.json.entry[0].resource.code.coding[0].code, '293585002', 'salicylate allergy');
    equal(a.json.entry[0].resource.clinicalStatus.coding[0].code, 'active', 'active');
    const c = await fhir(smart, `Condition?subject=Patient/${patients.allergic}`, main.access_token);
    assert(c.json.entry.some((e) => e.resource.code.coding[0].code === '13200003'), 'peptic ulcer');
    const m = await fhir(smart, `MedicationRequest?patient=${patients.allergic}`, main.access_token);
    equal(m.json.entry[0].resource.status, 'active', 'medication');
  });

  await check('POST RiskAssessment → 201, Location, body with id; stored in saved', async () => {
    const ra = { resourceType: 'RiskAssessment', status: 'final', subject: { reference: `Patient/${patients.allergic}` }, prediction: [{ probabilityDecimal: 0.42 }] };
    const r = await fhir(smart, 'RiskAssessment', main.access_token, { method: 'POST', body: JSON.stringify(ra), headers: { 'content-type': 'application/fhir+json' } });
    equal(r.status, 201, `status ${JSON.stringify(r.json)}`);
    assert(r.json.id, 'id');
    assert(r.headers.get('location').startsWith(`${smart.iss}/RiskAssessment/${r.json.id}`), `location ${r.headers.get('location')}`);
    equal(smart.saved.length, 1, 'saved');
    equal(smart.saved[0].id, r.json.id, 'saved id');
    // Plain application/json bodies are accepted too (as fhirclient sends them).
    const r2 = await fhir(smart, 'RiskAssessment', main.access_token, { method: 'POST', body: JSON.stringify(ra), headers: { 'content-type': 'application/json' } });
    equal(r2.status, 201, 'application/json body');
    const other = await fhir(smart, 'RiskAssessment', main.access_token, {
      method: 'POST', body: JSON.stringify({ ...ra, subject: { reference: `Patient/${patients.fhiry}` } }), headers: { 'content-type': 'application/fhir+json' },
    });
    equal(other.status, 403, 'create for another patient');
    equal(smart.saved.length, 2, 'nothing saved for the other patient');
  });

  await check('a token for patient A cannot read patient B', async () => {
    equal((await fhir(smart, `Patient/${patients.synthea}`, main.access_token)).status, 403, 'Patient read');
    equal((await fhir(smart, `Observation?patient=${patients.synthea}`, main.access_token)).status, 403, 'Observation search');
    equal((await fhir(smart, 'Observation?code=2339-0', main.access_token)).status, 403, 'search without patient');
    const someoneElses = [...(await fhir(smart, `Observation?patient=${patients.fhiry}`, (await fullLaunch(smart, { patient: patients.fhiry })).access_token)).json.entry][0].resource.id;
    equal((await fhir(smart, `Observation/${someoneElses}`, main.access_token)).status, 403, 'Observation read');
  });

  await check('401 without a token or with an unknown one', async () => {
    const none = await fhir(smart, `Patient/${patients.allergic}`);
    equal(none.status, 401, 'no token');
    equal(none.json.resourceType, 'OperationOutcome', 'outcome');
    assert(/^Bearer/.test(none.headers.get('www-authenticate')), 'WWW-Authenticate');
    equal((await fhir(smart, `Patient/${patients.allergic}`, 'not-a-token')).status, 401, 'unknown token');
  });

  await check('scopes are enforced (no Observation scope → 403)', async () => {
    const t = await fullLaunch(smart, { patient: patients.allergic, scope: 'launch openid patient/Patient.rs' });
    equal(t.scope, 'launch openid patient/Patient.rs', 'scope');
    equal((await fhir(smart, `Patient/${patients.allergic}`, t.access_token)).status, 200, 'Patient read');
    equal((await fhir(smart, `Observation?patient=${patients.allergic}`, t.access_token)).status, 403, 'Observation search');
    const ra = { resourceType: 'RiskAssessment', status: 'final', subject: { reference: `Patient/${patients.allergic}` } };
    equal((await fhir(smart, 'RiskAssessment', t.access_token, { method: 'POST', body: JSON.stringify(ra), headers: { 'content-type': 'application/fhir+json' } })).status, 403, 'create');
  });

  await check('missing code_verifier is refused', async () => {
    const launch = await ehrLaunch(smart, patients.allergic);
    const { verifier, challenge } = pkce();
    const r = await authorize(smart, { launch, challenge });
    const t = await token(smart, r.code, verifier, { omitVerifier: true });
    equal(t.status, 400, 'status');
    equal(t.json.error, 'invalid_grant', 'error');
    const wrong = await authorize(smart, { launch, challenge });
    equal((await token(smart, wrong.code, pkce().verifier)).json.error, 'invalid_grant', 'wrong verifier');
  });

  await check('PKCE is required at /authorize', async () => {
    const r = await authorize(smart, { launch: await ehrLaunch(smart, patients.allergic) });
    equal(r.error, 'invalid_request', `error ${JSON.stringify(r)}`);
    assert(/PKCE/.test(r.error_description), r.error_description);
  });

  await check('wrong aud is refused (invalid_request)', async () => {
    const r = await authorize(smart, { launch: await ehrLaunch(smart, patients.allergic), challenge: pkce().challenge, aud: 'http://127.0.0.1:9/fhir' });
    equal(r.error, 'invalid_request', `error ${JSON.stringify(r)}`);
    equal(r.state, r.sentState, 'state');
    assert(!r.code, 'no code');
  });

  await check('deny → access_denied with state', async () => {
    const r = await authorize(smart, { launch: await ehrLaunch(smart, patients.allergic), challenge: pkce().challenge, decision: 'deny' });
    equal(r.error, 'access_denied', `error ${JSON.stringify(r)}`);
    equal(r.state, r.sentState, 'state');
  });

  await check("fault 'observation-401'", async () => {
    smart.fault('observation-401');
    const r = await fhir(smart, `Observation?patient=${patients.allergic}&code=2339-0`, main.access_token);
    equal(r.status, 401, 'status');
    equal(r.json.resourceType, 'OperationOutcome', 'outcome');
    equal(r.headers.get('access-control-allow-origin'), APP, 'CORS on the error');
    equal((await fhir(smart, `Patient/${patients.allergic}`, main.access_token)).status, 200, 'other reads still work');
  });

  await check("fault 'observation-500'", async () => {
    smart.fault('observation-500');
    const r = await fhir(smart, `Observation?patient=${patients.allergic}&code=2339-0`, main.access_token);
    equal(r.status, 500, 'status');
    equal(r.json.resourceType, 'OperationOutcome', 'outcome');
  });

  await check("fault 'ignore-code'", async () => {
    smart.fault('ignore-code');
    const [bundles, obs] = await allPages(smart, `Observation?patient=${patients.allergic}&code=${encodeURIComponent(`${LOINC}|2339-0`)}`, main.access_token);
    assert(obs.some((o) => codeOf(o) === '8867-4'), 'heart rates returned');
    assert(bundles.length >= 4, `pages ${bundles.length}`);
    assert(obs.every((o) => o.subject.reference === `Patient/${patients.allergic}`), 'still one patient');
  });

  await check("fault 'ignore-patient'", async () => {
    smart.fault('ignore-patient');
    const r = await fhir(smart, `Observation?patient=${patients.allergic}&code=${encodeURIComponent(`${LOINC}|39156-5`)}&_count=20`, main.access_token);
    equal(r.status, 200, 'status');
    const subjects = new Set(r.json.entry.map((e) => e.resource.subject.reference));
    assert(subjects.size > 1, `several patients: ${[...subjects]}`);
    equal((await fhir(smart, `Patient/${patients.synthea}`, main.access_token)).status, 403, 'Patient reads still checked');
  });

  await check("fault 'token-error'", async () => {
    smart.fault(null);
    const launch = await ehrLaunch(smart, patients.allergic);
    const { verifier, challenge } = pkce();
    const r = await authorize(smart, { launch, challenge });
    smart.fault('token-error');
    const t = await token(smart, r.code, verifier);
    equal(t.status, 400, 'status');
    equal(t.json.error, 'invalid_grant', 'error');
    equal(t.cors, APP, 'CORS');
    smart.fault(null);
    equal((await token(smart, r.code, verifier)).status, 200, 'the code was not consumed by the fault');
  });

  await check("fault 'v1-only': v2 scopes not granted, v1 scopes work", async () => {
    smart.fault('v1-only');
    const c = (await fhir(smart, '.well-known/smart-configuration')).json;
    assert(c.capabilities.includes('permission-v1') && !c.capabilities.includes('permission-v2'), 'capabilities');
    assert(!c.scopes_supported.some((s) => s.endsWith('.rs')), 'no v2 scopes listed');
    const v2 = await fullLaunch(smart, { patient: patients.allergic });
    assert(!v2.scope.split(' ').some((s) => /\.(rs|c)$/.test(s)), `v2 scopes granted: ${v2.scope}`);
    equal((await fhir(smart, `Patient/${patients.allergic}`, v2.access_token)).status, 403, 'a v2-only request gives no access');
    const v1 = await fullLaunch(smart, { patient: patients.allergic, scope: 'launch openid fhirUser patient/Patient.read patient/Observation.read patient/RiskAssessment.write' });
    assert(v1.scope.includes('patient/Observation.read'), `v1 scope ${v1.scope}`);
    equal((await fhir(smart, `Observation?patient=${patients.allergic}&code=2339-0`, v1.access_token)).status, 200, 'v1 read');
    smart.fault(null);
  });

  await check('requests are recorded for all three servers', async () => {
    for (const s of ['fhir', 'auth', 'ehr']) assert(smart.requests.some((r) => r.server === s), s);
    assert(smart.requests.some((r) => r.server === 'fhir' && r.authorization), 'authorization flag');
    assert(smart.requests.every((r) => /^http:\/\/127\.0\.0\.1:\d+\//.test(r.url)), 'absolute loopback URLs');
  });

  await check('config object', async () => {
    equal(smart.config.client_id, 'bedside', 'client_id');
    equal(smart.config.servers[0].iss, smart.iss, 'iss');
    equal(smart.config.servers[0].origins[0], smart.authOrigin, 'origins');
    equal(smart.config.save, true, 'save');
  });
} finally {
  await smart.close();
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
