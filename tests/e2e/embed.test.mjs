// Embedding, in Debian Chromium: the sample portal (www/portal.html) with two independent
// <bedside-widget>s in shadow roots (no style leaks either way, nothing added to window), the
// handle API and the `bedside:assessment` event with CDS Hooks cards, and the iframe mode whose
// postMessage bridge answers only the origins it is allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, cliAssess, readCsv, framingPortal } from './helpers.mjs';

const env = serveAndLaunch();
const PIMA = join(ROOT, 'static', 'bundles', 'pima.bdsx');
const PATIENT = { npreg: 6, glu: 148, bp: 72, skin: 35, bmi: 33.6, ped: 0.627, age: 50 };

test('two widgets on a portal page: isolated styles, no globals, independent state, events and cards', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.addInitScript(() => { window.__before = Object.keys(window); });
  const portal = env.server.url.replace(/\/www\/$/, '/www/portal.html');
  await page.goto(portal);
  await page.locator('#w-diabetes #f-glu').waitFor();
  await page.locator('#w-ercp #f-age').waitFor();
  // Nothing added to window by Bedside (the custom element registry is the only trace).
  const added = await page.evaluate(() => Object.keys(window).filter((k) => !window.__before.includes(k) && k !== '__before'));
  assert.deepEqual(added, []);
  assert.ok(await page.evaluate(() => customElements.get('bedside-widget') !== undefined));
  // Styles: the portal's h2 keeps its colour; the widget's headings and buttons keep Bedside's.
  const color = (sel) => page.locator(sel).first().evaluate((el) => getComputedStyle(el).color);
  assert.equal(await color('body > main h2'), 'rgb(122, 31, 61)');
  assert.equal(await color('#w-diabetes h2'), 'rgb(27, 31, 36)');
  const bg = (sel) => page.locator(sel).first().evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(await bg('#w-diabetes #clear-form'), 'rgb(122, 31, 61)');
  assert.equal(await page.locator('#w-diabetes').evaluate((el) => el.shadowRoot !== null), true);
  // The 中文 widget is in Chinese, the other in English.
  assert.match(await page.locator('#w-ercp #disclaimer').textContent(), /不构成诊断/);
  assert.match(await page.locator('#w-diabetes #disclaimer').textContent(), /not a diagnosis/);

  // The portal sends its chart: the estimate, the event and the cards reach the portal.
  const event = page.evaluate(() => new Promise((resolve) => document.getElementById('w-diabetes')
    .addEventListener('bedside:assessment', (e) => { if (e.detail.assessment) resolve(e.detail); })));
  await page.click('#send-patient');
  const detail = await event;
  const cli = cliAssess(PIMA, PATIENT);
  assert.ok(Math.abs(detail.assessment.probabilities[1].probability - cli.probabilities[1].probability) <= 1e-12);
  assert.ok(detail.cards.cards.length >= 1 && detail.cards.cards.every((c) => c.summary.length <= 140));
  await page.locator('#portal-cards li[data-indicator]').first().waitFor();
  assert.match(await page.locator('#portal-cards').textContent(), /Diabetes: 69 %/);
  assert.equal(Number(await page.locator('#w-diabetes .prob[data-code="Yes"]').getAttribute('data-probability')), cli.probabilities[1].probability);
  // The other widget is untouched.
  assert.equal(await page.locator('#w-ercp .prob').count(), 0);
  assert.equal(await page.inputValue('#w-ercp #f-age'), '');

  // The handle: assessment(), cards(), a bad patient refused with the reason, a FHIR Bundle.
  const api = await page.evaluate(async () => {
    const w = document.getElementById('w-diabetes');
    const out = { assessment: w.assessment()?.probabilities?.[1]?.probability, cards: w.cards()?.cards?.length };
    try { await w.setPatient({ glu: 948 }); } catch (e) { out.error = e.message; }
    return out;
  });
  assert.equal(api.assessment, cli.probabilities[1].probability);
  assert.ok(api.cards >= 1);
  assert.equal(api.error, 'field `glu`: 948 mg/dL is outside the plausible range 20–600 mg/dL');
  const bundle = JSON.parse(readFileSync(join(ROOT, 'data', 'fhir', 'fhiry_afhir_bundle.json'), 'utf8'));
  await page.evaluate((b) => document.getElementById('w-diabetes').setPatient(b), bundle);
  await page.locator('#w-diabetes #fhir-report').waitFor();
  assert.match(await page.locator('#w-diabetes #fhir-report').textContent(), /trained on female patients only/);
  assert.notEqual(await page.inputValue('#w-diabetes #f-bmi'), '');
  assert.equal(await page.inputValue('#w-diabetes #f-glu'), '', 'a new patient replaces the old one');
  await page.screenshot({ path: join(ARTIFACTS, 'portal.png'), fullPage: true });

  // The trial widget (a real indo_rct patient, row 1): its cards carry the guideline rule
  // and the trial's options as suggestions.
  const row = readCsv(join(ROOT, 'data', 'indo_rct.csv'))[0];
  const trialPatient = { age: Number(row.age), gender: row.gender, risk: Number(row.risk), sod: row.sod, pep: row.pep,
    recpanc: row.recpanc, psphinc: row.psphinc, difcan: row.difcan, pdstent: row.pdstent };
  const trial = await page.evaluate(async (p) => {
    const w = document.getElementById('w-ercp');
    const cards = new Promise((r) => w.addEventListener('bedside:assessment', (e) => { if (e.detail.cards) r(e.detail.cards); }));
    await w.setPatient(p);
    return cards;
  }, trialPatient);
  assert.ok(trial.cards.some((c) => /ESGE/.test(c.source.label)), JSON.stringify(trial));
  assert.equal(trial.cards.at(-1).suggestions.length, 2, 'both arms offered as suggestions');
  // indo_rct has not been shown to tell patients apart (held-out AUC interval includes 0.5): its card gives the
  // base rate and says so, as a warning.
  assert.match(trial.cards[0].summary, /基础率每 100 人中约 \d+ 人 — 尚未证明该模型能区分患者/);
  assert.equal(trial.cards[0].indicator, 'warning');

  // mode="teach" opens on the teaching view.
  await page.evaluate(() => {
    const w = document.createElement('bedside-widget');
    w.id = 'w-teach';
    for (const [k, v] of [['bundle', 'biopsy.bdsx'], ['mode', 'teach']]) w.setAttribute(k, v);
    document.querySelector('.widgets').append(w);
  });
  await page.locator('#w-teach #browse').waitFor();
  assert.equal(await page.locator('#w-teach #tab-teach').getAttribute('aria-selected'), 'true');

  // destroy(): removing the element unmounts it and empties its shadow root.
  const emptied = await page.evaluate(() => {
    const w = document.getElementById('w-ercp');
    w.remove();
    return w.shadowRoot.childElementCount;
  });
  assert.equal(emptied, 0, 'removing the element unmounts the app');
  check();
  await context.close();
});

test('iframe mode talks by postMessage only with the allowed origins', async () => {
  // A portal on another origin framing Bedside twice: once allowing the portal's origin, once
  // allowing some other origin only.
  const { page, errors, close } = await framingPortal(env.browser, env.server, [
    { id: 'ok', query: (origin) => `bundle=pima.bdsx&allow=${origin}` },
    { id: 'no', query: () => 'bundle=pima.bdsx&allow=https://other.test' },
  ]);
  await page.waitForFunction(() => window.got.ok.some((m) => m.type === 'bedside:ready'));
  // Both frames have their model once the allowed one does; give the other a moment more.
  await page.frameLocator('#no').locator('#f-glu').waitFor();
  await page.evaluate((patient) => {
    for (const id of ['ok', 'no']) document.getElementById(id).contentWindow.postMessage({ type: 'bedside:setPatient', patient }, '*');
  }, PATIENT);
  await page.waitForFunction(() => window.got.ok.some((m) => m.type === 'bedside:assessment' && m.assessment));
  await page.waitForTimeout(1000);
  const replies = await page.evaluate(() => window.got);
  // The frame that does not allow this origin received the patient but acted on nothing.
  assert.equal(await page.frameLocator('#no').locator('.prob').count(), 0);
  const estimate = replies.ok.filter((m) => m.type === 'bedside:assessment' && m.assessment).at(-1);
  assert.ok(Math.abs(estimate.assessment.probabilities[1].probability - cliAssess(PIMA, PATIENT).probabilities[1].probability) <= 1e-12);
  assert.ok(estimate.cards.cards.length >= 1);
  assert.deepEqual(replies.no, [], 'a frame that does not allow this origin tells it nothing');
  assert.deepEqual(errors, []);
  await close();
});
