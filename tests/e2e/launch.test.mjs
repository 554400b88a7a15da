// Opened from the EHR (SMART App Launch 2.x), in Debian Chromium, against real components on
// loopback: an OAuth 2.0 / OpenID authorization server (npm oidc-provider) that requires PKCE and
// adds the launch context, a FHIR R4 server (npm @asymmetrik/node-fhir-server-core) holding the
// Synthea records of data/fhir/ and two patients of our own, and a small EHR page that starts
// the launch (tests/e2e/smart/). Each test uses a fresh browser context (a new login).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, ARTIFACTS, launch, recordedPage, cliAssess } from './helpers.mjs';
import { startSmart } from './smart/servers.mjs';

const env = {};

/** A free loopback port (the app's origin must be known before the client is registered). */
function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** `bedside serve --smart <file>` on `port`. */
function serve(port, smartFile) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['serve', '--port', String(port), '--root', ROOT, '--smart', smartFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (/SMART launch page/.test(out)) { clearTimeout(timer); resolve(proc); }
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

before(async () => {
  const port = await freePort();
  env.origin = `http://127.0.0.1:${port}`;
  env.smart = await startSmart({ appOrigin: env.origin });
  const dir = mkdtempSync(join(tmpdir(), 'bedside-smart-'));
  env.smartFile = join(dir, 'smart.json');
  writeFileSync(env.smartFile, JSON.stringify(env.smart.config));
  env.server = await serve(port, env.smartFile);
  env.browser = await launch();
});

after(async () => {
  await env.browser?.close();
  env.server?.kill();
  await env.smart?.close();
});

/**
 * A fresh context and page that records every request and error (helpers.mjs), allowing our
 * own static files and the configured record system (FHIR server, authorization server, EHR
 * page) and nothing else; `check()` also asserts that nothing was left in any storage.
 */
async function openPage() {
  const others = [new URL(env.smart.iss).origin, env.smart.authOrigin, env.smart.ehrOrigin];
  const recorded = await recordedPage(env.browser, env.origin, undefined, { others });
  const { page } = recorded;
  const check = async () => {
    recorded.check();
    if (new URL(page.url()).origin === env.origin) {
      const stored = await page.evaluate(async () => ({
        session: sessionStorage.length,
        local: localStorage.length,
        idb: (await indexedDB.databases()).length,
        caches: (await caches.keys()).length,
      }));
      assert.deepEqual(stored, { session: 0, local: 0, idb: 0, caches: 0 }, 'nothing stays in storage after the launch');
    }
  };
  return { ...recorded, check };
}

/** Log in and answer the consent page of the authorization server. */
async function signIn(page, { deny = false } = {}) {
  await page.locator('#login-form').waitFor();
  await page.click('#login-submit');
  await page.locator('#consent-form').waitFor();
  await page.click(deny ? '#consent-deny' : '#consent-allow');
}

const value = (page, field) => page.inputValue(`#f-${field}`);

/** Every input of the form is empty (no half-filled form). */
async function formIsEmpty(page) {
  await page.locator('#f-bmi').waitFor();
  const values = await page.locator('input[id^="f-"]').evaluateAll((els) => els.map((e) => e.value));
  assert.ok(values.length > 3 && values.every((v) => v === ''), `form: ${values.join('|')}`);
  assert.equal(await page.locator('.estimate').count(), 0, 'no estimate for an empty form');
}

test('an EHR launch fills the form from the record with sources, the estimate appears, the save sends one RiskAssessment, and another model re-reads the record with its questions pre-answered', async () => {
  const { page, context, check } = await openPage();
  const { smart } = env;
  smart.fault(null);
  const before = smart.requests.length;
  await page.goto(smart.ehrLaunchUrl(smart.patients.allergic, { banner: true, query: 'bundle=pima.bdsx' }));
  await signIn(page);
  await page.locator('#record[data-state="read"]').waitFor();
  // Grace Okafor's latest values: diastolic 72 inside a 85354-9 panel, BMI 33.6, on 2026-10-15;
  // her age on that date (born 1976-03-08): 50.
  assert.equal(Number(await value(page, 'bp')), 72);
  assert.equal(Number(await value(page, 'bmi')), 33.6);
  assert.equal(Number(await value(page, 'age')), 50);
  const used = await page.locator('#fhir-used').textContent();
  assert.match(used, /8462-4/, 'the diastolic pressure cites its panel component');
  assert.match(used, /2026-10-15/, 'each value shows its date');
  assert.match(await page.locator('#fhir-skipped').textContent(), /2339-0/, 'the random glucose is listed as not used, with why');
  assert.match(await page.locator('#patient-banner').textContent(), /Grace Adaeze Okafor/);
  assert.equal(await page.locator('#patient-banner').isVisible(), true);
  assert.equal(await page.locator('#record').getAttribute('data-subject'), `Patient/${smart.patients.allergic}`);
  // The clinician completes what the record could not give; the estimate appears.
  for (const [k, v] of Object.entries({ npreg: 2, glu: 150, skin: 30, ped: 0.5 })) await page.fill(`#f-${k}`, String(v));
  await page.locator('.estimate').waitFor();
  // Paged search results were followed to the end (three pages of 20 at the test server).
  const fhirRequests = smart.requests.slice(before).filter((r) => r.server === 'fhir' && r.method !== 'OPTIONS' && /Observation/.test(r.url));
  assert.ok(fhirRequests.length >= 3, `Observation pages read: ${fhirRequests.length}`);
  assert.ok(fhirRequests.every((r) => r.authorization), 'every FHIR request carries the token');
  await page.screenshot({ path: join(ARTIFACTS, 'launch-pima.png'), fullPage: true });

  // Save: one RiskAssessment about this patient, to this server, on the click only.
  assert.equal(smart.saved.length, 0, 'nothing saved before the click');
  assert.match(await page.locator('#record-save-what').textContent(), /RiskAssessment/);
  await page.click('#record-save');
  await page.locator('#record-saved').waitFor();
  assert.equal(smart.saved.length, 1);
  assert.equal(smart.saved[0].subject.reference, `Patient/${smart.patients.allergic}`);
  assert.match(await page.locator('#record-saved').textContent(), /RiskAssessment\//);

  // Another model: a new patient context, read again; the NSAID question answered from the
  // AllergyIntolerance, the peptic ulcer from the Condition, each citing its entry.
  const serial = await page.locator('#record').getAttribute('data-patient');
  await page.selectOption('#bundle-select', 'indo_rct.bdsx');
  await page.locator('#q-nsaid_hypersensitivity').waitFor();
  await page.locator('#record[data-state="read"]').waitFor();
  assert.notEqual(await page.locator('#record').getAttribute('data-patient'), serial);
  // This model's inputs the record can give are the Patient's: age (today, no observation
  // dates the record) and sex; the rest are findings of the procedure.
  assert.ok(Number(await value(page, 'age')) >= 50);
  assert.equal(await page.inputValue('#f-gender'), '1_female');
  assert.equal(await page.locator('#record-empty').count(), 0);
  assert.equal(await page.inputValue('#q-nsaid_hypersensitivity'), 'yes');
  assert.equal(await page.inputValue('#q-peptic_ulcer'), 'yes');
  const source = await page.locator('label[for="q-nsaid_hypersensitivity"] .answer-source').textContent();
  assert.match(source, /AllergyIntolerance/);
  assert.match(await page.locator('label[for="q-peptic_ulcer"] .answer-source').textContent(), /Condition/);
  assert.equal(await page.inputValue('#q-third_trimester'), '', 'nothing in the record: not asked');
  assert.equal(await page.inputValue('#q-heart_failure'), '');
  await page.screenshot({ path: join(ARTIFACTS, 'launch-indo-questions.png'), fullPage: true });
  // The clinician can change a record's answer; its citation goes.
  await page.selectOption('#q-nsaid_hypersensitivity', 'no');
  assert.equal(await page.locator('label[for="q-nsaid_hypersensitivity"] .answer-source').count(), 0);
  await check();
  await context.close();
});

test('an EHR launch fills every input of a published equation (PREVENT) from Observations, a Condition and MedicationRequests, with sources, and the risk is the CLI\'s', async () => {
  const { page, context, check } = await openPage();
  const { smart } = env;
  smart.fault(null);
  await page.goto(smart.ehrLaunchUrl(smart.patients.prevent, { query: 'bundle=prevent.bdsx' }));
  await signIn(page);
  await page.locator('#record[data-state="read"]').waitFor();
  // Maria Lindqvist (data.mjs): 52 on 2026-10-01; every input comes from her record.
  const want = { age: '52', sex: 'female', tc: '200', hdl: '45', sbp: '160', bp_treated: 'true', diabetes: 'true', smoker: 'false', egfr: '90', statin: 'true' };
  for (const [k, v] of Object.entries(want)) assert.equal(await value(page, k), v, k);
  const used = await page.locator('#fhir-used').textContent();
  for (const cited of ['44054006', '314076', 'C10AA05', '72166-2', '98979-8']) assert.match(used, new RegExp(cited), `${cited} is cited`);
  assert.doesNotMatch(used, /197361/, 'a stopped prescription is not a treatment now');
  await page.locator('.estimate').waitFor();
  const patient = { age: 52, sex: 'female', tc: 200, hdl: 45, sbp: 160, bp_treated: 1, diabetes: 1, smoker: 0, egfr: 90, statin: 1 };
  const cli = cliAssess(join(ROOT, 'static', 'bundles', 'prevent.bdsx'), patient).probabilities[1].probability;
  const shown = Number(await page.getAttribute('.prob[data-code="1"]', 'data-probability'));
  assert.ok(Math.abs(shown - cli) <= 1e-9, `page ${shown} vs CLI ${cli}`);
  await page.screenshot({ path: join(ARTIFACTS, 'launch-prevent.png'), fullPage: true });
  await check();
  await context.close();
});

test('standalone launch from the configured list; an EHR that shows its own banner hides ours', async () => {
  const { smart } = env;
  smart.fault(null);
  {
    const { page, context, check } = await openPage();
    await page.goto(`${env.origin}/www/launch.html?bundle=pima.bdsx`);
    await page.locator('button.launch-server').click();
    await signIn(page);
    await page.locator('#record[data-state="read"]').waitFor();
    assert.equal(await page.locator('#record').getAttribute('data-subject'), `Patient/${smart.patients.synthea}`);
    assert.ok(await value(page, 'bmi'), 'the BMI from the Synthea record');
    await check();
    await context.close();
  }
  {
    const { page, context, check } = await openPage();
    await page.goto(smart.ehrLaunchUrl(smart.patients.allergic, { banner: false, query: 'bundle=pima.bdsx' }));
    await signIn(page);
    await page.locator('#record[data-state="read"]').waitFor();
    assert.equal(await page.locator('#patient-banner').isVisible(), false);
    assert.equal(Number(await value(page, 'bmi')), 33.6);
    await check();
    await context.close();
  }
});

test('an unknown iss is refused before any request or redirect, and the app still works', async () => {
  const { page, context, requests, check } = await openPage();
  await page.goto(`${env.origin}/www/launch.html?iss=${encodeURIComponent('https://ehr.attacker.example/fhir')}&launch=abc`);
  await page.locator('#launch-error:not([hidden])').waitFor();
  assert.match(await page.locator('#launch-error').textContent(), /not one this deployment of Bedside trusts/);
  assert.ok(!requests.some((u) => new URL(u).hostname.includes('attacker')), 'nothing was sent to the unknown server');
  assert.equal(new URL(page.url()).origin, env.origin, 'no redirect');
  await page.locator('#bundle-select').waitFor();
  await check();
  await context.close();
});

test('denied consent, a wrong state, a token error, a 401 or 500 from the FHIR server and a patient with nothing usable each end in a clear message and an empty form', async () => {
  const { smart } = env;
  const cases = [
    { name: 'denied', fault: null, deny: true, where: '#launch-error', says: /did not authorize Bedside: .*access_denied/ },
    { name: 'token error', fault: 'token-error', where: '#launch-error', says: /could not be completed/ },
    { name: '401', fault: 'observation-401', where: '#record-error', says: /not authorized \(401\)/ },
    { name: '500', fault: 'observation-500', where: '#record-error', says: /an error \(500\)/ },
    { name: 'nothing usable', fault: null, patient: smart.patients.empty, where: '#record-empty', says: /no observation this model uses, so nothing was filled in/ },
  ];
  for (const c of cases) {
    smart.fault(c.fault);
    const { page, context, check } = await openPage();
    await page.goto(smart.ehrLaunchUrl(c.patient || smart.patients.allergic, { query: 'bundle=pima.bdsx' }));
    await signIn(page, { deny: c.deny });
    await page.locator(c.where).waitFor();
    assert.match(await page.locator(c.where).textContent(), c.says, c.name);
    await formIsEmpty(page);
    // A usable form: typing works.
    await page.fill('#f-bmi', '30');
    assert.equal(await value(page, 'bmi'), '30', c.name);
    smart.fault(null);
    await check();
    await context.close();
  }
  // An error "answer" this page never asked for: its words are not shown as the server's.
  {
    const { page, context, check } = await openPage();
    await page.goto(`${env.origin}/www/launch.html?error=access_denied&error_description=${encodeURIComponent('Call 555-0100 now')}&state=not-ours&bundle=pima.bdsx`);
    await page.locator('#launch-error:not([hidden])').waitFor();
    const text = await page.locator('#launch-error').textContent();
    assert.match(text, /not to a request this page made/);
    assert.doesNotMatch(text, /555/);
    await formIsEmpty(page);
    await check();
    await context.close();
  }
  // A redirect with a state this page never issued.
  const { page, context, check } = await openPage();
  await page.goto(`${env.origin}/www/launch.html?code=forged&state=not-ours&bundle=pima.bdsx`);
  await page.locator('#launch-error:not([hidden])').waitFor();
  assert.match(await page.locator('#launch-error').textContent(), /could not be completed/);
  await formIsEmpty(page);
  await check();
  await context.close();
});

test('a server that ignores the patient or code parameter, or offers only v1 scopes, still gives only this patient\'s values', async () => {
  const { smart } = env;
  for (const fault of ['ignore-patient', 'ignore-code', 'v1-only']) {
    smart.fault(fault);
    const { page, context, check } = await openPage();
    await page.goto(smart.ehrLaunchUrl(smart.patients.allergic, { query: 'bundle=pima.bdsx' }));
    await signIn(page);
    await page.locator('#record[data-state="read"]').waitFor();
    assert.equal(Number(await value(page, 'bp')), 72, fault);
    assert.equal(Number(await value(page, 'bmi')), 33.6, fault);
    assert.equal(await page.locator('#record').getAttribute('data-subject'), `Patient/${smart.patients.allergic}`, fault);
    smart.fault(null);
    await check();
    await context.close();
  }
});
