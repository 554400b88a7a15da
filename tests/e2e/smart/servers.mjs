// A real SMART-on-FHIR (App Launch 2.x) environment on loopback, started inside a test:
//
// - an OAuth 2.0 / OpenID Connect authorization server: npm `oidc-provider` (a certified
//   implementation), one public client, PKCE (S256) required, SMART scopes, and the SMART launch
//   context (`patient`, `need_patient_banner`) in the token response;
// - a FHIR R4 server built on npm `@asymmetrik/node-fhir-server-core` (routing, parameter
//   sanitising, CapabilityStatement, OperationOutcome errors) with in-memory services holding the
//   Synthea Bundles of data/fhir/ and two patients of our own (see data.mjs); it checks each
//   access token against the provider's own store and enforces the patient context and scopes;
// - a tiny "EHR" page that creates a launch context and sends the browser to the app.
//
// Each listens on 127.0.0.1 on a free port. Nothing here talks to anything but loopback.
//
// ## What a Playwright test does on the authorization server's pages
//
// After the app redirects the browser to `${authOrigin}/auth?...`:
//   1. Log-in page (`/interaction/<uid>`): `await page.fill('#login', 'dr-test')` (optional: the
//      input `#login`, name="login", is pre-filled with "clinician"; any non-empty login works,
//      there is no password), then `await page.click('#login-submit')`.
//   2. Consent page (same URL, now showing the requested scopes in `#scopes li`, the patient in
//      `#patient`): `await page.click('#consent-allow')` to allow, or
//      `await page.click('#consent-deny')` to deny. Deny ends with a redirect to
//      `${appOrigin}/www/launch.html?error=access_denied&error_description=...&state=...&iss=...`.
//   Allow ends with `${appOrigin}/www/launch.html?code=...&state=...&iss=<authOrigin>`: note the
//   `iss` parameter (RFC 9207, always added by oidc-provider) that names the AUTHORIZATION
//   server, not the FHIR server; the app must treat code+state as the redirect, not as a launch.
//   The browser keeps the provider's session cookie: a second authorization in the same browser
//   context for the same scopes skips both pages (already logged in, already consented).
//   Login and consent pages have the ids `#login-form` and `#consent-form` to wait on.
//
// ## Use
//   const smart = await startSmart({ appOrigin: 'http://127.0.0.1:8123' });
//   await page.goto(smart.ehrLaunchUrl(smart.patients.allergic));   // EHR launch
//   … smart.fault('observation-500'); … smart.requests; smart.saved; await smart.close();
import http from 'node:http';
import crypto from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import fhirCore from '@asymmetrik/node-fhir-server-core';
import { loadData } from './data.mjs';

const { Server: FhirServer, ServerError, constants: FHIR_CONSTANTS, loggers: fhirLoggers } = fhirCore;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FHIR_DIR = join(ROOT, 'data', 'fhir');

/** Resource types the app may be granted access to (SMART patient/ scopes). */
const TYPES = ['Patient', 'Observation', 'Condition', 'AllergyIntolerance', 'MedicationRequest', 'RiskAssessment'];
const BASE_SCOPES = ['openid', 'fhirUser', 'launch', 'launch/patient', 'online_access'];
const V2_SCOPES = TYPES.flatMap((t) => [`patient/${t}.rs`, `patient/${t}.c`]);
const V1_SCOPES = TYPES.flatMap((t) => [`patient/${t}.read`, `patient/${t}.write`]);
const FAULTS = new Set([null, 'observation-401', 'observation-500', 'token-error', 'ignore-code', 'ignore-patient', 'v1-only']);

/** Default and largest page size of a search: small, so that paging is always exercised. */
const PAGE_SIZE = 20;

const isV2Scope = (s) => /^patient\/[^.]+\.[cruds]+$/.test(s);

// ---------------------------------------------------------------------------------------------
// Small HTTP helpers (plain node:http: each server is a request handler we can see through).

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = typeof body === 'string' ? 'text/html; charset=utf-8'
    : body.resourceType ? 'application/fhir+json; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:2rem auto}button{margin:.5rem .5rem 0 0}</style>
</head><body><h1>${html(title)}</h1>${body}</body></html>`;
}

function operationOutcome(code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics: text, details: { text } }] };
}

// ---------------------------------------------------------------------------------------------

/**
 * Start the authorization server, the FHIR server and a tiny EHR page, each on 127.0.0.1 with a
 * free port.
 *
 * `scopesVersion`: 'v2' (default) grants SMART v1 and v2 scopes; 'v1' makes the server a
 * v1-only one for its whole life (like the 'v1-only' fault, which can be switched off).
 *
 * Returns { iss, authOrigin, ehrOrigin, config, ehrLaunchUrl(patientId, { banner }), fault(kind),
 * requests, saved, patients, provider, close() } (see the end of this function).
 */
export async function startSmart({ appOrigin, clientId = 'bedside', scopesVersion = 'v2' } = {}) {
  if (!appOrigin) throw new Error('startSmart: appOrigin is required');
  const { store, patients, practitionerId } = loadData(FHIR_DIR);
  const requests = [];
  const saved = [];
  let fault = null;
  const launches = new Map(); // EHR launch id → { patient, need_patient_banner }
  const codeContext = new Map(); // authorization code (its jti) → { patient, need_patient_banner }
  const log = (server, req, origin) => requests.push({
    server, method: req.method, url: new URL(req.url, origin).href, authorization: Boolean(req.headers.authorization),
  });

  // The three servers are created first so that their origins are known before configuring.
  const authHttp = http.createServer();
  const fhirHttp = http.createServer();
  const ehrHttp = http.createServer();
  const [authOrigin, fhirOrigin, ehrOrigin] = await Promise.all([listen(authHttp), listen(fhirHttp), listen(ehrHttp)]);
  const iss = `${fhirOrigin}/fhir`;
  const redirectUri = `${appOrigin}/www/launch.html`;
  const fhirUser = `${iss}/Practitioner/${practitionerId}`;

  // ===========================================================================================
  // Authorization server (oidc-provider)

  /** The SMART launch context of an authorization request (its params), or undefined. */
  function launchContextFor(params) {
    if (params.launch) return launches.get(params.launch);
    // Standalone launch: the "patient picker" always picks the Synthea girl.
    if (String(params.scope || '').split(' ').includes('launch/patient')) {
      return { patient: patients.synthea, need_patient_banner: true };
    }
    return undefined;
  }

  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(authOrigin, {
    clients: [{
      client_id: clientId,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
    }],
    // Our own signing key and cookie key (the built-in ones are for development and warn).
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'smart-test', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    // Every scope this server knows. Scopes not listed here are dropped from a request; those
    // listed are granted only if the consent step grants them (see the 'v1-only' fault).
    scopes: [...BASE_SCOPES, ...V2_SCOPES, ...V1_SCOPES],
    claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
    // SMART wants fhirUser in the id_token of a code flow, so ID Token claims are not limited
    // to `sub` (oidc-provider's default keeps End-User claims for the userinfo endpoint only).
    conformIdTokenClaims: false,
    async findAccount(ctx, sub) {
      return { accountId: sub, async claims() { return { sub, fhirUser }; } };
    },
    // SMART's two authorization parameters: `launch` (an EHR launch id) and `aud` (the FHIR base
    // URL the token is for). An `aud` other than our FHIR server is refused, as SMART requires.
    extraParams: {
      async launch(ctx, value) {
        if (value !== undefined && !launches.has(value)) throw new oidcErrors.InvalidRequest('unknown launch');
      },
      async aud(ctx, value) {
        if (value === undefined) throw new oidcErrors.InvalidRequest('missing required parameter "aud"');
        if (value.replace(/\/$/, '') !== iss) throw new oidcErrors.InvalidRequest(`aud must be the FHIR server's base URL ${iss}`);
      },
    },
    // PKCE is required of every client; oidc-provider 9 only implements S256 (no `plain`).
    pkce: { required: () => true },
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false }, // our own pages below, with stable ids
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
    },
    // The public client calls /token from the browser: allow the app's origin only.
    clientBasedCORS: (ctx, origin) => origin === appOrigin,
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // The launch context of the code being exchanged is stored with the access token (`extra`),
    // which is how the FHIR server learns the token's patient.
    async extraTokenClaims(ctx) {
      const code = ctx.oidc.entities.AuthorizationCode;
      return code ? codeContext.get(code.jti) : undefined;
    },
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600,
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Authorization error', `<p id="error">${html(out.error)}: ${html(out.error_description || '')}</p>`);
    },
  });

  // Pre-middleware: the 'token-error' fault answers /token with invalid_grant before the
  // provider sees the request (so the code is not consumed).
  provider.use(async (ctx, next) => {
    if (fault === 'token-error' && ctx.method === 'POST' && ctx.path === '/token') {
      ctx.status = 400;
      ctx.set('Cache-Control', 'no-store');
      if (ctx.get('Origin') === appOrigin) ctx.set('Access-Control-Allow-Origin', appOrigin);
      ctx.body = { error: 'invalid_grant', error_description: 'token endpoint fault injected by the test' };
      return;
    }
    await next();
  });

  // Post-middleware: the provider has done its work; we only read what it decided.
  provider.use(async (ctx, next) => {
    await next();
    const route = ctx.oidc?.route;
    // An authorization code has just been issued (on /auth directly, or on /auth/<uid> after the
    // interactions): remember the launch context of the request that produced it, keyed by the
    // code itself, since nothing else of the request reaches /token.
    const code = ctx.oidc?.entities?.AuthorizationCode;
    if ((route === 'authorization' || route === 'resume') && code) {
      codeContext.set(code.jti, launchContextFor(ctx.oidc.params));
    }
    // A token response: add the SMART launch context of the exchanged code.
    if (route === 'token' && ctx.status === 200 && ctx.body?.access_token) {
      const context = code ? codeContext.get(code.jti) : undefined;
      if (context) Object.assign(ctx.body, context);
    }
  });

  /** Our login and consent pages (oidc-provider's interaction API). */
  async function interaction(req, res) {
    const [, , uid, action] = new URL(req.url, authOrigin).pathname.split('/');
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, page('Error', '<p id="error">interaction mismatch</p>'));
    const { prompt, params } = details;
    const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : null;

    if (action === 'login' && form) {
      const login = (form.get('login') || '').trim();
      if (!login) return send(res, 200, loginPage(uid, 'Enter a login.'));
      return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
    }
    if (action === 'abort' && form) {
      return provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'The user denied access to the app.',
      }, { mergeWithLastSubmission: false });
    }
    if (action === 'confirm' && form) {
      if (prompt.name !== 'consent') return send(res, 400, page('Error', '<p id="error">nothing to consent to</p>'));
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      const requested = prompt.details.missingOIDCScope || [];
      // In 'v1-only' mode this server does not know SMART v2 scopes: they are refused (marked
      // rejected, so the consent prompt does not come back for them) and never granted.
      const refused = fault === 'v1-only' || scopesVersion === 'v1' ? requested.filter(isV2Scope) : [];
      const granted = requested.filter((s) => !refused.includes(s));
      if (granted.length) grant.addOIDCScope(granted.join(' '));
      if (refused.length) grant.rejectOIDCScope(refused.join(' '));
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (req.method !== 'GET') return send(res, 405, page('Error', '<p id="error">method not allowed</p>'));
    if (prompt.name === 'login') return send(res, 200, loginPage(uid));
    const context = launchContextFor(params);
    const patient = context && store.get('Patient').get(context.patient);
    const who = patient ? `${patient.name?.[0]?.given?.join(' ')} ${patient.name?.[0]?.family} (${patient.id})` : 'none';
    const v1Only = fault === 'v1-only' || scopesVersion === 'v1';
    const scopes = (prompt.details.missingOIDCScope || [])
      .map((s) => `<li>${html(s)}${v1Only && isV2Scope(s) ? ' <i>(not granted: this server knows SMART v1 scopes only)</i>' : ''}</li>`).join('');
    return send(res, 200, page('Allow access?', `
<p>The app <b id="client">${html(params.client_id)}</b> asks for access.</p>
<p>Patient: <span id="patient">${html(who)}</span></p>
<ul id="scopes">${scopes}</ul>
<form id="consent-form" method="post" action="/interaction/${uid}/confirm"><button id="consent-allow" type="submit">Allow</button></form>
<form id="deny-form" method="post" action="/interaction/${uid}/abort"><button id="consent-deny" type="submit">Deny</button></form>`));
  }

  function loginPage(uid, error = '') {
    return page('Sign in to the Test EHR', `${error ? `<p id="login-error">${html(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${uid}/login">
<label>Login <input id="login" name="login" value="clinician" autocomplete="off"></label>
<button id="login-submit" type="submit">Sign in</button></form>`);
  }

  const providerCallback = provider.callback();
  authHttp.on('request', (req, res) => {
    log('auth', req, authOrigin);
    if (req.url.startsWith('/interaction/')) {
      interaction(req, res).catch((err) => send(res, 400, page('Error', `<p id="error">${html(err.message)}</p>`)));
      return;
    }
    providerCallback(req, res);
  });

  // The provider's own discovery document is the source of its endpoint URLs.
  const discovery = await (await fetch(`${authOrigin}/.well-known/openid-configuration`)).json();
  requests.length = 0; // that look-up is set-up, not something a test should see

  // ===========================================================================================
  // FHIR server (node-fhir-server-core with in-memory services)

  const patientOf = (r) => {
    if (r.resourceType === 'Patient') return r.id;
    const ref = r.subject?.reference ?? r.patient?.reference;
    return typeof ref === 'string' && ref.startsWith('Patient/') ? ref.slice('Patient/'.length) : undefined;
  };
  const stripPatient = (v) => String(v).replace(/^.*Patient\//, '');
  const codingsOf = (r) => (r.code ?? r.medicationCodeableConcept)?.coding ?? [];
  /** Does one of `codings` match a token list "sys|code,code,|code,sys|"? */
  function matchesToken(codings, tokens) {
    return tokens.split(',').some((token) => {
      const bar = token.indexOf('|');
      const [system, code] = bar < 0 ? [undefined, token] : [token.slice(0, bar), token.slice(bar + 1)];
      return codings.some((c) => (system === undefined || (system === '' ? !c.system : c.system === system))
        && (code === '' || c.code === code));
    });
  }
  const effective = (r) => r.effectiveDateTime ?? r.effectivePeriod?.start ?? r.issued ?? r.recordedDate ?? r.authoredOn ?? '';

  /** A searchset Bundle of one page of `matches`, with self and next links. */
  function searchBundle(type, matches, req) {
    const query = new URLSearchParams(new URL(req.fhirUrl, fhirOrigin).search);
    const asked = Number.parseInt(query.get('_count'), 10);
    const count = Number.isFinite(asked) && asked > 0 ? Math.min(asked, PAGE_SIZE) : PAGE_SIZE;
    const offset = Math.max(0, Number.parseInt(query.get('_getpagesoffset'), 10) || 0);
    const entries = matches.slice(offset, offset + count);
    const link = [{ relation: 'self', url: `${fhirOrigin}${req.fhirUrl}` }];
    if (offset + count < matches.length) {
      // The next page is the same search on this server, from the next offset.
      query.set('_count', String(count));
      query.set('_getpagesoffset', String(offset + count));
      link.push({ relation: 'next', url: `${iss}/${type}?${query}` });
    }
    return {
      resourceType: 'Bundle',
      id: crypto.randomUUID(),
      meta: { lastUpdated: new Date().toISOString() },
      type: 'searchset',
      total: matches.length,
      link,
      entry: entries.map((resource) => ({ fullUrl: `${iss}/${type}/${resource.id}`, resource, search: { mode: 'match' } })),
    };
  }

  function notFound(type, id) {
    return new ServerError(`${type}/${id} not found`, {
      statusCode: 404,
      issue: [{ severity: 'error', code: 'not-found', details: { text: `${type}/${id} is not known` } }],
    });
  }

  /** The in-memory service of one resource type, in node-fhir-server-core's service shape. */
  function service(type) {
    const all = () => [...(store.get(type) ?? new Map()).values()];
    const svc = {
      async searchById(args) {
        const found = store.get(type)?.get(args.id);
        if (!found) throw notFound(type, args.id);
        return found;
      },
      async search(args, { req }) {
        let matches = all();
        if (type === 'Patient') {
          if (args._id) matches = matches.filter((r) => r.id === args._id);
          return searchBundle(type, matches, req);
        }
        const sloppyPatient = type === 'Observation' && fault === 'ignore-patient';
        const who = args.patient ?? args.subject;
        if (who && !sloppyPatient) matches = matches.filter((r) => patientOf(r) === stripPatient(who));
        const sloppyCode = type === 'Observation' && fault === 'ignore-code';
        if (args.code && !sloppyCode) matches = matches.filter((r) => matchesToken(codingsOf(r), args.code));
        if (type === 'Observation') {
          const componentCodings = (r) => (r.component ?? []).flatMap((c) => c.code?.coding ?? []);
          // combo-code: the Observation's code OR a component's code; component-code: components.
          if (args['combo-code']) matches = matches.filter((r) => matchesToken([...codingsOf(r), ...componentCodings(r)], args['combo-code']));
          if (args['component-code']) matches = matches.filter((r) => matchesToken(componentCodings(r), args['component-code']));
        }
        // Oldest first unless the client sorts by date (as real servers, only when asked).
        const sort = new URLSearchParams(new URL(req.fhirUrl, fhirOrigin).search).get('_sort');
        matches.sort((a, b) => effective(a).localeCompare(effective(b)));
        if (sort === '-date') matches.reverse();
        return searchBundle(type, matches, req);
      },
    };
    if (type === 'RiskAssessment') {
      svc.create = async (args, { req }) => {
        const resource = { ...req.body, id: crypto.randomUUID(), meta: { versionId: '1', lastUpdated: new Date().toISOString() } };
        store.get('RiskAssessment').set(resource.id, resource);
        saved.push(resource);
        req.created = resource; // the response body is added in the dispatcher (see below)
        return { id: resource.id, resource_version: '1' };
      };
    }
    return svc;
  }
  if (!store.has('RiskAssessment')) store.set('RiskAssessment', new Map());

  const version = FHIR_CONSTANTS.VERSIONS['4_0_1'];
  // Served under the core's versioned routes (/4_0_1/Observation…), which the dispatcher maps
  // /fhir onto: with a custom base URL (`baseUrls: ['/']`) core 2.2.5 drops every search
  // parameter in its sanitiser (it compares each parameter's version with an absent route one).
  const profile = (type) => ({ service: service(type), versions: [version] });
  const core = new FhirServer({
    profiles: Object.fromEntries([...TYPES, 'Practitioner'].map((t) => [t, profile(t)])),
    // The CapabilityStatement's rest.security: SMART's oauth-uris extension.
    security: [
      { url: 'authorize', valueUri: discovery.authorization_endpoint },
      { url: 'token', valueUri: discovery.token_endpoint },
    ],
    // The core's per-route CORS would answer `*`; it is told the app's origin instead (the
    // dispatcher also sets it on the answers the core never sees: 401, 403, faults).
    server: { corsOptions: { origin: appOrigin, exposedHeaders: ['Location', 'Content-Location', 'ETag', 'WWW-Authenticate'] } },
    logging: { level: 'error' },
  });
  // Only routes and error handlers: CORS, authentication, body parsing and content type are done
  // by the dispatcher below (the core's own CORS and body parser only know application/fhir+json
  // and would not cover our 401/403 answers).
  core.setProfileRoutes().setErrorRoutes();
  fhirLoggers.get('default').silent = true; // the core logs every 404 at 'error' level

  function smartConfiguration() {
    const v1 = fault === 'v1-only' || scopesVersion === 'v1';
    return {
      issuer: discovery.issuer,
      jwks_uri: discovery.jwks_uri,
      authorization_endpoint: discovery.authorization_endpoint,
      token_endpoint: discovery.token_endpoint,
      userinfo_endpoint: discovery.userinfo_endpoint,
      token_endpoint_auth_methods_supported: ['none'],
      grant_types_supported: ['authorization_code'],
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
      scopes_supported: [...BASE_SCOPES, ...(v1 ? V1_SCOPES : [...V2_SCOPES, ...V1_SCOPES])],
      capabilities: [
        'launch-ehr', 'launch-standalone', 'client-public', 'context-ehr-patient',
        'context-standalone-patient', 'permission-patient', v1 ? 'permission-v1' : 'permission-v2',
        'context-banner', 'sso-openid-connect',
      ],
    };
  }

  /** Does a granted scope list allow `perm` (c r u d s) on `type`? v1 and v2 syntaxes. */
  function allows(scopes, type, perm) {
    return scopes.some((s) => {
      const m = /^patient\/(\*|[A-Za-z]+)\.([a-z*]+)(\?.*)?$/.exec(s);
      if (!m || (m[1] !== '*' && m[1] !== type)) return false;
      const p = m[2];
      if (p === '*') return true;
      if (p === 'read') return perm === 'r' || perm === 's';
      if (p === 'write') return perm === 'c' || perm === 'u' || perm === 'd';
      return /^c?r?u?d?s?$/.test(p) && p.includes(perm);
    });
  }

  /**
   * Authentication and SMART authorization of one request. Returns undefined when allowed, or
   * [status, OperationOutcome, headers] to answer with.
   */
  async function authorize(req, type, id, query) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization || '')?.[1];
    const token = bearer && await provider.AccessToken.find(bearer);
    const challenge = { 'WWW-Authenticate': `Bearer realm="${iss}"${bearer ? ', error="invalid_token"' : ''}` };
    if (!token) return [401, operationOutcome('login', bearer ? 'unknown or expired access token' : 'an access token is required'), challenge];
    const scopes = String(token.scope || '').split(' ');
    const patient = token.extra?.patient;
    const forbidden = (text) => [403, operationOutcome('forbidden', text), {}];
    if (type === 'Practitioner') {
      // The signed-in user's own resource (fhirUser), for a token with openid fhirUser.
      return scopes.includes('fhirUser') && `${iss}/Practitioner/${id}` === fhirUser ? undefined : forbidden('not your Practitioner resource');
    }
    const perm = req.method === 'POST' ? 'c' : id ? 'r' : 's';
    if (!allows(scopes, type, perm)) return forbidden(`the token's scopes do not allow '${perm}' on ${type}`);
    if (!patient) return forbidden('the token has no patient context');
    if (perm === 'c') {
      return patientOf(req.body ?? {}) === patient ? undefined : forbidden(`a ${type} may only be created for Patient/${patient}`);
    }
    if (perm === 'r') {
      const found = store.get(type)?.get(id);
      return !found || patientOf(found) === patient ? undefined : forbidden(`${type}/${id} is not Patient/${patient}'s`);
    }
    // A search must be limited to the token's patient, except on the sloppy server that
    // ignores the patient parameter of Observation searches (fault 'ignore-patient').
    if (type === 'Observation' && fault === 'ignore-patient') return undefined;
    const who = type === 'Patient' ? query.get('_id') : query.get('patient') ?? query.get('subject');
    return who && stripPatient(who) === patient ? undefined : forbidden(`a search must be limited to Patient/${patient}`);
  }

  fhirHttp.on('request', async (req, res) => {
    log('fhir', req, fhirOrigin);
    try {
      const url = new URL(req.url, fhirOrigin);
      // CORS for the app's origin, on every answer (errors included, so the app can read them).
      if (req.headers.origin === appOrigin) {
        res.setHeader('Access-Control-Allow-Origin', appOrigin);
        res.setHeader('Access-Control-Expose-Headers', 'Location, Content-Location, ETag, WWW-Authenticate');
        res.setHeader('Vary', 'Origin');
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Prefer',
          'Access-Control-Max-Age': '600',
        });
        return res.end();
      }
      if (!url.pathname.startsWith('/fhir/')) return send(res, 404, operationOutcome('not-found', 'the FHIR base is /fhir'));
      const rest = url.pathname.slice('/fhir'.length);
      if (rest === '/.well-known/smart-configuration' && req.method === 'GET') return send(res, 200, smartConfiguration());

      const [, type, id, ...more] = rest.split('/');
      const isMetadata = rest === '/metadata';
      if (!isMetadata) {
        if (![...TYPES, 'Practitioner'].includes(type) || more.length || (req.method === 'POST' && id) || !['GET', 'POST'].includes(req.method)) {
          return send(res, 404, operationOutcome('not-supported', `${req.method} ${rest} is not supported here`));
        }
        if (type === 'Observation' && !id && req.method === 'GET') {
          if (fault === 'observation-401') return send(res, 401, operationOutcome('login', 'session expired (fault injected)'), { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
          if (fault === 'observation-500') return send(res, 500, operationOutcome('exception', 'database unavailable (fault injected)'));
        }
        if (req.method === 'POST') {
          try {
            req.body = JSON.parse(await readBody(req));
            req._body = true; // tells express' body parsers the body is already read
          } catch {
            return send(res, 400, operationOutcome('structure', 'the body is not JSON'));
          }
          if (req.body?.resourceType !== type) return send(res, 400, operationOutcome('invalid', `the body must be a ${type}`));
        }
        const denied = await authorize(req, type, id, url.searchParams);
        if (denied) return send(res, denied[0], denied[1], denied[2]);
      }

      // Hand the request to node-fhir-server-core: /fhir/X is its /4_0_1/X.
      req.fhirUrl = req.url;
      req.url = `/${version}${rest}${url.search}`;
      // FHIR's JSON media type on every JSON answer (the core says application/json for R4).
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => setHeader(name, name.toLowerCase() === 'content-type' && String(value).startsWith('application/json')
        ? 'application/fhir+json; charset=utf-8' : value);
      // The core answers a create with 201, a relative Location and no body; FHIR's default
      // (Prefer: return=representation) is the resource, which the app may read back.
      const end = res.end.bind(res);
      res.end = (chunk, ...args) => {
        if (req.created && res.statusCode === 201 && !chunk) {
          const body = JSON.stringify(req.created);
          res.setHeader('Location', `${iss}/${type}/${req.created.id}/_history/1`);
          res.removeHeader('Content-Location');
          res.setHeader('Content-Type', 'application/fhir+json');
          res.setHeader('Content-Length', Buffer.byteLength(body));
          return end(body);
        }
        return end(chunk, ...args);
      };
      core.app(req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, operationOutcome('exception', err.message));
    }
  });

  // ===========================================================================================
  // EHR launch page

  ehrHttp.on('request', (req, res) => {
    log('ehr', req, ehrOrigin);
    const url = new URL(req.url, ehrOrigin);
    if (url.pathname !== '/launch' || req.method !== 'GET') return send(res, 404, page('Not found', ''));
    const patient = url.searchParams.get('patient');
    if (!patient || !store.get('Patient').has(patient)) return send(res, 404, page('No such patient', `<p id="error">${html(patient)}</p>`));
    const launch = crypto.randomBytes(16).toString('base64url'); // opaque to the app
    launches.set(launch, { patient, need_patient_banner: url.searchParams.get('banner') !== '0' });
    // The launch URL the EHR has registered may carry a query of its own (`?bundle=pima.bdsx`);
    // the EHR appends `iss` and `launch` to it.
    const registered = url.searchParams.get('app');
    const target = `${appOrigin}/www/launch.html?${registered ? `${registered}&` : ''}iss=${encodeURIComponent(iss)}&launch=${encodeURIComponent(launch)}`;
    return send(res, 200, page('Test EHR', `<p>Opening Bedside for patient <span id="patient">${html(patient)}</span>…</p>
<p><a id="launch" href="${html(target)}">Open Bedside</a></p>
<script>location.assign(${JSON.stringify(target)});</script>`));
  });

  return {
    iss,
    authOrigin,
    ehrOrigin,
    config: { client_id: clientId, servers: [{ iss, name: 'Test EHR', origins: [authOrigin] }], save: true },
    ehrLaunchUrl(patientId, { banner = true, query = '' } = {}) {
      const app = query ? `&app=${encodeURIComponent(query)}` : '';
      return `${ehrOrigin}/launch?patient=${encodeURIComponent(patientId)}&banner=${banner ? 1 : 0}${app}`;
    },
    fault(kind) {
      if (!FAULTS.has(kind ?? null)) throw new Error(`unknown fault ${kind}`);
      fault = kind ?? null;
    },
    requests,
    saved,
    patients,
    // Not in the brief, for tests that need them: the provider (e.g. to look a token up).
    provider,
    async close() {
      for (const s of [authHttp, fhirHttp, ehrHttp]) s.closeAllConnections();
      await Promise.all([authHttp, fhirHttp, ehrHttp].map((s) => new Promise((r) => s.close(() => r()))));
    },
  };
}
