// SMART App Launch 2.x for Bedside: EHR launch (`?iss=…&launch=…`) and standalone launch (a
// server chosen from the deployer's list), as a public client with PKCE (S256) and `state`,
// done by the SMART team's own client (npm fhirclient, `window.FHIR`, loaded on this page only).
//
// What this page promises:
// - Only the FHIR servers the deployer lists in ../static/smart.json are ever contacted; any
//   other `iss` is refused here, before any request or redirect (a launch link must not be able
//   to send the clinician's login, or a token, to someone else). Plain http only on loopback.
// - The token stays in this page's memory (fhirclient's client object). The state the redirect
//   needs lives in sessionStorage only from the authorization request until the code exchange,
//   and is cleared right after it; a reload forgets the launch.
// - The app (WebAssembly) asks for what each model uses; the record comes in, nothing goes out,
//   except a RiskAssessment when the clinician clicks "Save" and the granted scopes allow it.
import init, { mountPage } from '../pkg/bedside.js';

const RESOURCES = ['Patient', 'Observation', 'Condition', 'AllergyIntolerance', 'MedicationRequest'];
const KEPT = 'bedside:launch'; // our own transient state across the redirect (bundle, language)

const params = new URLSearchParams(window.location.search);
const $ = (id) => document.getElementById(id);
const wasm = init();

function status(text) {
  $('launch-status').textContent = text;
}

/** A clear message in place of the launch, and the app with an empty, usable form. */
async function failed(text) {
  const box = $('launch-error');
  box.textContent = text;
  box.hidden = false;
  status('Not connected to a record system. 未连接病历系统。');
  clearTransient();
  await wasm;
  mountPage();
}

/** Everything fhirclient and this page put into sessionStorage for the redirect. */
function clearTransient() {
  try { window.sessionStorage.clear(); } catch { /* storage disabled: nothing to clear */ }
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `https:`, or `http:` on a loopback host (local testing only). */
function safeScheme(url) {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

/** An issuer as compared: the URL without a trailing slash. */
const norm = (iss) => String(iss || '').replace(/\/+$/, '');

/** The deployer's configuration: { client_id, servers: [{ iss, name, origins }], save }. */
async function config() {
  let response;
  try {
    response = await fetch('../static/smart.json', { cache: 'no-store' });
  } catch {
    return { servers: [] };
  }
  if (response.status === 404) return { servers: [] };
  if (!response.ok) throw new Error(`the launch configuration (static/smart.json) could not be read: HTTP ${response.status}`);
  const cfg = await response.json();
  if (!cfg || !Array.isArray(cfg.servers) || typeof cfg.client_id !== 'string') {
    throw new Error('the launch configuration (static/smart.json) needs `client_id` and a list `servers`');
  }
  return cfg;
}

/** The configured server for `iss`, or why it may not be used. */
function trusted(cfg, iss) {
  let url;
  try { url = new URL(iss); } catch { return { why: `“${iss}” is not a URL` }; }
  // An entry ending in `/*` trusts every issuer under that path, on that origin (a test
  // launcher encodes each launch in the path); any other entry is matched exactly.
  const matches = (s) => {
    if (!s.iss.endsWith('/*')) return norm(s.iss) === norm(iss);
    const prefix = s.iss.slice(0, -1);
    return new URL(prefix).origin === url.origin && url.href.startsWith(prefix);
  };
  const found = cfg.servers.find(matches);
  const server = found && { ...found, iss: found.iss.endsWith('/*') ? norm(iss) : found.iss };
  if (!server) {
    const list = cfg.servers.map((s) => s.iss).join(', ') || 'none configured';
    return { why: `the record system ${iss} is not one this deployment of Bedside trusts, so nothing was sent to it (trusted: ${list}). Ask your administrator to add it to static/smart.json.` };
  }
  if (!safeScheme(url)) return { why: `${iss} is not https; plain http is accepted only for a loopback address (local testing)` };
  return { server };
}

/** Origins the server may send the browser to and fetch from (its own and the listed ones). */
function allowedOrigins(server) {
  return new Set([new URL(server.iss.replace(/\*$/, '')).origin, ...(server.origins || []).map((o) => new URL(o).origin)]);
}

/**
 * The server's SMART configuration, checked before any redirect: its endpoints on an allowed
 * origin and scheme, PKCE S256 supported. Returns { smart, v2 }.
 */
async function discover(server) {
  const url = `${norm(server.iss)}/.well-known/smart-configuration`;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' } });
  } catch (e) {
    throw new Error(`the record system could not be reached (${url}): ${e.message}`);
  }
  if (!response.ok) throw new Error(`the record system answered ${response.status} to ${url}`);
  const smart = await response.json();
  const origins = allowedOrigins(server);
  for (const key of ['authorization_endpoint', 'token_endpoint']) {
    let endpoint;
    try { endpoint = new URL(smart[key]); } catch { throw new Error(`the record system's ${key} is missing or not a URL`); }
    if (!origins.has(endpoint.origin) || !safeScheme(endpoint)) {
      throw new Error(`the record system's ${key} (${endpoint.origin}) is not an origin this deployment trusts for ${server.iss}`);
    }
  }
  if (!(smart.code_challenge_methods_supported || []).includes('S256')) {
    throw new Error('the record system does not support PKCE with S256, which Bedside requires');
  }
  const caps = smart.capabilities || [];
  const scopes = smart.scopes_supported || [];
  const v2 = caps.includes('permission-v2') || scopes.some((s) => /\.[cruds]+$/.test(s) && !/\.(read|write)$/.test(s));
  return { smart, v2 };
}

/** The scopes to ask for: read what the models use; create a RiskAssessment if the deployer allows saving. */
function scopeFor(v2, ehr, save) {
  const read = v2 ? 'rs' : 'read';
  const scopes = [ehr ? 'launch' : 'launch/patient', ...RESOURCES.map((r) => `patient/${r}.${read}`)];
  if (save) scopes.push(`patient/RiskAssessment.${v2 ? 'c' : 'write'}`);
  return scopes.join(' ');
}

/** Whether the granted scopes let us read `type` / create a RiskAssessment. */
function granted(scope, type, action) {
  // A v2 scope may carry a query (`patient/Observation.rs?category=laboratory`): the type and
  // permissions are what decide here; the server still limits what it returns.
  return String(scope || '').split(/\s+/).map((s) => s.split('?')[0]).some((s) => {
    const m = s.match(/^(patient|user)\/([A-Za-z*]+)\.(read|write|\*|[cruds]+)$/);
    if (!m || (m[2] !== type && m[2] !== '*')) return false;
    if (m[3] === '*') return true;
    if (action === 'read') return m[3] === 'read' || /[rs]/.test(m[3]) && m[3] !== 'write';
    return m[3] === 'write' || (m[3] !== 'read' && m[3].includes('c'));
  });
}

async function authorize(cfg, iss, launch) {
  const { server, why } = trusted(cfg, iss);
  if (!server) return failed(`Not opened: ${why}`);
  status(`Connecting to ${server.name || server.iss}… 正在连接…`);
  const { smart, v2 } = await discover(server);
  window.sessionStorage.setItem(KEPT, JSON.stringify({
    iss: norm(server.iss),
    issuer: smart.issuer || null,
    bundle: params.get('bundle'),
    lang: params.get('lang'),
  }));
  // fhirclient prefers URL parameters to its options (`clientId`, `patientId`,
  // `fhirServiceUrl`…): the page's URL keeps only what was checked, so a link cannot swap them.
  const clean = new URLSearchParams();
  clean.set('iss', server.iss);
  if (launch) clean.set('launch', launch);
  window.history.replaceState(null, '', `${window.location.pathname}?${clean.toString()}`);
  await window.FHIR.oauth2.authorize({
    clientId: server.client_id || cfg.client_id,
    scope: scopeFor(v2, Boolean(launch), cfg.save === true),
    redirectUri: new URL('launch.html', window.location.href).href,
    iss: server.iss,
    launch: launch || undefined,
    pkceMode: 'required',
  });
}

/** The app's own query (bundle, language) back in the URL, without the redirect's parameters. */
function restoreQuery(kept) {
  const query = new URLSearchParams();
  const bundle = kept?.bundle || params.get('bundle');
  const lang = kept?.lang || params.get('lang');
  if (bundle) query.set('bundle', bundle);
  if (lang) query.set('lang', lang);
  const text = query.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${text ? `?${text}` : ''}`);
}

/** The redirect back: the code exchange (fhirclient), then the app with the record. */
async function complete(cfg) {
  let kept = null;
  try { kept = JSON.parse(window.sessionStorage.getItem(KEPT) || 'null'); } catch { kept = null; }
  const fail = (text) => { restoreQuery(kept); return failed(text); };
  if (params.get('error')) {
    // Only an answer to our own request (its `state`) may put the server's words on the page.
    let ours = null;
    try { ours = JSON.parse(window.sessionStorage.getItem('SMART_KEY') || 'null'); } catch { ours = null; }
    if (!ours || params.get('state') !== ours) {
      return fail('The sign-in to the record system could not be completed: this answer is not to a request this page made. Nothing was read; open Bedside again from the record.');
    }
    const reason = params.get('error_description') || params.get('error');
    return fail(`The record system did not authorize Bedside: ${reason} (${params.get('error')}). Nothing was read.`);
  }
  // RFC 9207: the authorization server names itself; a different one is a mix-up.
  if (kept?.issuer && params.get('iss') && norm(params.get('iss')) !== norm(kept.issuer)) {
    return fail(`The answer came from ${params.get('iss')}, not from the authorization server of ${kept.iss}; nothing was read.`);
  }
  let client;
  try {
    client = await window.FHIR.oauth2.ready();
  } catch (e) {
    return fail(`The sign-in to the record system could not be completed: ${e.message}. Nothing was read; open Bedside again from the record.`);
  } finally {
    clearTransient(); // the token is in `client`, in memory; nothing stays in storage
  }
  // Without its storage key the client never writes its state (with the tokens) back, e.g. on
  // a token refresh.
  delete client.state.key;
  const serverUrl = client.state.serverUrl;
  const { server, why } = trusted(cfg, serverUrl);
  if (!server || (kept && norm(kept.iss) !== norm(serverUrl))) {
    return fail(`Not opened: ${why || 'the server answering is not the one the launch started with'}`);
  }
  const patient = client.patient.id;
  if (!patient) return fail('The record system did not say which patient to open (no `patient` in the launch context).');
  const token = client.state.tokenResponse || {};
  const scope = token.scope || '';
  const ehrBanner = token.need_patient_banner === false;
  // The app reads its bundle and language from the query, as on the main page.
  restoreQuery(kept);
  $('launch').hidden = true;

  // Every page of a search, following `next` links only on the server's trusted origins: a
  // link elsewhere would carry the token there.
  const origins = allowedOrigins(server);
  const readAll = async (path) => {
    const out = [];
    let url = path;
    for (let pages = 0; url && pages < 100; pages += 1) {
      const page = await client.request(url);
      for (const e of page?.entry || []) if (e?.resource) out.push(e.resource);
      const next = (page?.link || []).find((l) => l.relation === 'next')?.url;
      if (next && !origins.has(new URL(next, serverUrl).origin)) {
        throw new Error(`the server's next page of results is on ${new URL(next, serverUrl).origin}, which this deployment does not trust`);
      }
      url = next;
    }
    return out;
  };
  const read = async (queriesJson) => {
    const q = JSON.parse(queriesJson);
    const entries = [await request(() => client.request(`Patient/${encodeURIComponent(patient)}`), 'the Patient')];
    if (q.observation_codes.length) {
      if (!granted(scope, 'Observation', 'read')) throw new Error('the granted scopes do not allow reading Observations');
      const codes = encodeURIComponent(q.observation_codes.join(','));
      entries.push(...await request(() => readAll(`Observation?patient=${encodeURIComponent(patient)}&code=${codes}&_count=100`), 'the Observations'));
    }
    for (const type of q.resources) {
      // Without the scope the questions stay unanswered (not asked), never "no".
      if (!granted(scope, type, 'read')) continue;
      entries.push(...await request(() => readAll(`${type}?patient=${encodeURIComponent(patient)}&_count=100`), `the ${type} list`));
    }
    // A searchset may carry an OperationOutcome (search mode "outcome"): only resources go on.
    const resources = entries.filter((r) => r && typeof r === 'object' && r.resourceType && r.resourceType !== 'OperationOutcome');
    return JSON.stringify({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) });
  };
  const save = cfg.save === true && granted(scope, 'RiskAssessment', 'create')
    ? async (json) => {
      const resource = JSON.parse(json);
      const wanted = `Patient/${patient}`;
      if (resource?.subject?.reference !== wanted) throw new Error(`the assessment is not about ${wanted}; not sent`);
      const created = await request(() => client.create(resource, { includeResponse: true }), 'the RiskAssessment');
      const body = created?.body;
      const location = created?.response?.headers?.get('location');
      return body?.id ? `RiskAssessment/${body.id}` : (location || 'RiskAssessment');
    }
    : undefined;
  await wasm;
  mountPage({ server: serverUrl, patient, ehrBanner, read, save });
}

/** A request's error in words: what was asked for and how the server answered. */
async function request(run, what) {
  try {
    return await run();
  } catch (e) {
    const code = e.status || e.statusCode;
    const words = { 401: 'not authorized (401)', 403: 'forbidden (403)', 404: 'not found (404)' }[code]
      || (code ? `an error (${code})` : e.message);
    throw new Error(`the record system answered ${words} when asked for ${what}`);
  }
}

/** Standalone launch: the configured servers as buttons (or the reason there are none). */
async function chooseServer(cfg) {
  if (!cfg.servers.some((s) => !s.iss.endsWith('/*'))) {
    return failed('No record system is configured for a standalone launch in this deployment (static/smart.json), so there is nothing to open from here; open Bedside from your record system instead. The app below works without one.');
  }
  const list = $('launch-server-list');
  for (const server of cfg.servers.filter((s) => !s.iss.endsWith('/*'))) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'launch-server';
    button.textContent = server.name || server.iss;
    button.dataset.iss = server.iss;
    button.addEventListener('click', () => authorize(cfg, server.iss, null).catch((e) => failed(`Not opened: ${e.message}`)));
    li.append(button);
    list.append(li);
  }
  $('launch-servers').hidden = false;
  status('Not connected yet. 尚未连接。');
  await wasm;
  mountPage();
}

async function start() {
  let cfg;
  try {
    cfg = await config();
  } catch (e) {
    return failed(`Not opened: ${e.message}`);
  }
  if (params.has('code') || params.has('error')) return complete(cfg);
  if (params.has('iss')) return authorize(cfg, params.get('iss'), params.get('launch'));
  return chooseServer(cfg);
}

start().catch((e) => failed(`Not opened: ${e.message}`));
