// The app in Debian Chromium, end to end: a real pima_te patient gives exactly what the CLI
// prints, bad input shows its accepted range, broken bundles say what is wrong, both languages
// work, and nothing is ever requested from anywhere but our own static files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, readCsv, cliAssess } from './helpers.mjs';

const env = serveAndLaunch();

const PIMA = join(ROOT, 'static', 'bundles', 'pima.bdsx');
const FEATURES = ['npreg', 'glu', 'bp', 'skin', 'bmi', 'ped', 'age'];

async function openPima(page, query = '') {
  await page.goto(`${env.server.url}?bundle=pima.bdsx${query}`);
  await page.locator('#f-glu').waitFor();
}

async function fill(page, patient) {
  for (const [k, v] of Object.entries(patient)) {
    await page.fill(`#f-${k}`, String(v));
  }
}

async function shownProbabilities(page) {
  await page.locator('.prob').first().waitFor();
  return page.$$eval('.prob', (els) => Object.fromEntries(els.map((e) => [e.dataset.code, Number(e.dataset.probability)])));
}

test('a real pima_te patient shows exactly the probability `bedside assess` prints', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  const rows = readCsv(join(ROOT, 'data', 'pima_te.csv'));
  // Several real test patients of both outcomes, not just one.
  for (const i of [0, 3, 17, 101, 250]) {
    const row = rows[i];
    const patient = Object.fromEntries(FEATURES.map((k) => [k, Number(row[k])]));
    if (i === 0) await openPima(page);
    else {
      await page.click('#clear-form');
      await page.locator('.prob').first().waitFor({ state: 'detached' });
    }
    await fill(page, patient);
    const shown = await shownProbabilities(page);
    const cli = cliAssess(PIMA, patient);
    for (const c of cli.probabilities) {
      assert.ok(Math.abs(shown[c.code] - c.probability) <= 1e-9,
        `row ${i + 1}, class ${c.code}: page ${shown[c.code]} vs CLI ${c.probability}`);
    }
    // The visible percentage agrees with the exact value.
    const top = cli.probabilities[cli.top];
    const pct = await page.locator(`.prob[data-code="${top.code}"] .pct`).textContent();
    assert.equal(pct, `${(top.probability * 100).toFixed(1)} %`);
    // The explanation shown is the CLI's, and it adds up exactly.
    const shownExp = await page.$eval('#explanation', (el) => ({
      baseline: Number(el.dataset.baseline),
      output: Number(el.dataset.output),
      contributions: Object.fromEntries([...el.querySelectorAll('.contrib')].map((c) => [c.dataset.field, Number(c.dataset.contribution)])),
    }));
    const sum = Object.values(shownExp.contributions).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(shownExp.baseline + sum - shownExp.output) <= 1e-9, 'contributions add up');
    FEATURES.forEach((f, j) => assert.ok(Math.abs(shownExp.contributions[f] - cli.explanation.contributions[j]) <= 1e-9, f));
    // Rows are sorted by size of contribution.
    const sizes = Object.values(shownExp.contributions).map(Math.abs);
    assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a));
  }
  // The basis is shown: model, test metrics, provenance, disclaimer.
  assert.match(await page.locator('#basis').textContent(), /logistic regression \(smartcore\)/);
  assert.match(await page.locator('#metrics').textContent(), /ROC AUC\s*0\.\d{3}/);
  assert.match(await page.locator('#basis').textContent(), /Pima\.tr/);
  assert.match(await page.locator('#disclaimer').textContent(), /not a diagnosis/);
  await page.screenshot({ path: join(ARTIFACTS, 'e2e-pima-result.png'), fullPage: true });
  check();
  await context.close();
});

test('an out-of-range value shows the accepted range and no estimate', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await openPima(page);
  await fill(page, { npreg: 2, glu: 900, bp: 70, skin: 30, bmi: 30, ped: 0.5, age: 40 });
  const err = page.locator('[data-field="glu"] .field-error');
  await err.waitFor();
  assert.equal(await err.textContent(),
    'Plasma glucose 2 h after 75 g oral glucose (OGTT): 900 mg/dL is outside the plausible range 20–600 mg/dL');
  assert.equal(await page.locator('#f-glu').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('.prob').count(), 0);
  // Correcting it brings the estimate back.
  await page.fill('#f-glu', '150');
  await page.locator('.prob').first().waitFor();
  assert.equal(await page.locator('.field-error').count(), 0);
  await page.fill('#f-age', '12');
  assert.match(await page.locator('[data-field="age"] .field-error').textContent(), /21–110/);
  await page.screenshot({ path: join(ARTIFACTS, 'e2e-out-of-range.png'), fullPage: true });
  check();
  await context.close();
});

test('a missing bundle (404) and a corrupt or truncated one each get a clear message', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=missing.bdsx`);
  const err = page.locator('#bundle-error');
  await err.waitFor();
  assert.equal(await err.textContent(), 'The model could not be loaded: the server answered 404');

  const good = readFileSync(PIMA);
  const corrupt = Buffer.from(good);
  corrupt[44 + 200] ^= 0xff; // inside the payload (the last 100 bytes are the signature)
  const cases = [
    [corrupt, 'The model could not be loaded: bundle is corrupt: payload SHA-256 does not match its header'],
    [good.subarray(0, 100), `The model could not be loaded: bundle is truncated: 100 bytes, expected ${44 + good.readUInt32LE(8)}`],
    [Buffer.from('<!doctype html><title>Not Found</title>'), 'The model could not be loaded: not a Bedside model bundle (the file does not start with the BDSX signature)'],
  ];
  for (const [body, message] of cases) {
    await page.route('**/static/bundles/pima.bdsx', (route) =>
      route.fulfill({ status: 200, contentType: 'application/octet-stream', body }));
    await page.goto(`${env.server.url}?bundle=pima.bdsx`);
    await err.waitFor();
    assert.equal(await err.textContent(), message);
    await page.unroute('**/static/bundles/pima.bdsx');
  }
  check();
  await context.close();
});

test('English and 简体中文 switch at runtime, labels and messages included', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await openPima(page);
  await fill(page, { npreg: 2, glu: 700, bp: 70, skin: 30, bmi: 30, ped: 0.5, age: 40 });
  await page.click('#lang-toggle');
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.match(await page.locator('label[for="f-glu"]').textContent(), /口服 75 克葡萄糖后 2 小时血浆葡萄糖/);
  assert.match(await page.locator('#disclaimer').textContent(), /不构成诊断/);
  assert.equal(await page.locator('[data-field="glu"] .field-error').textContent(),
    '口服 75 克葡萄糖后 2 小时血浆葡萄糖（OGTT）：700 mg/dL 超出可接受范围 20–600 mg/dL');
  await page.fill('#f-glu', '150');
  assert.match(await page.locator('#results-h').textContent(), /糖尿病（WHO 标准）/);
  await page.screenshot({ path: join(ARTIFACTS, 'e2e-zh.png'), fullPage: true });
  await page.click('#lang-toggle');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  check();
  await context.close();
});

test('biopsy: switching bundles rebuilds the form, and a blank optional value is imputed and disclosed', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin, { width: 390, height: 900 });
  await openPima(page);
  await page.selectOption('#bundle-select', 'biopsy.bdsx');
  await page.locator('#f-V1').waitFor();
  const patient = { V1: 8, V2: 7, V3: 8, V4: 5, V5: 5, V7: 7, V8: 9, V9: 1 };
  await fill(page, patient);
  const shown = await shownProbabilities(page);
  const cli = cliAssess(join(ROOT, 'static', 'bundles', 'biopsy.bdsx'), patient);
  assert.ok(Math.abs(shown.malignant - cli.probabilities[1].probability) <= 1e-9);
  assert.match(await page.locator('#imputed').textContent(), /Bare nuclei/);
  await page.screenshot({ path: join(ARTIFACTS, 'e2e-biopsy-narrow.png'), fullPage: true });
  check();
  await context.close();
});

test('a shipped real example fills the form and the first result is marked for the benchmark', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0`);
  await page.locator('.prob').first().waitFor();
  const marks = await page.evaluate(() => performance.getEntriesByName('bedside:first-result').length);
  assert.equal(marks, 1);
  const glu = await page.inputValue('#f-glu');
  assert.notEqual(glu, '');
  check();
  await context.close();
});

test('what would change it, the uncertainty band, and the model card with its curves', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await openPima(page);
  const patient = { npreg: 6, glu: 148, bp: 72, skin: 35, bmi: 33.6, ped: 0.627, age: 50 };
  await fill(page, patient);
  await page.locator('.prob').first().waitFor();
  const cli = cliAssess(PIMA, patient);
  assert.equal(cli.what_would_change.kind, 'found');
  const change = cli.what_would_change.changes[0];
  const text = await page.locator('#what-would-change').textContent();
  assert.match(text, new RegExp(`${change.from} mg/dL → ${change.to} mg/dL`));
  assert.match(text, /“Diabetes” \d+\.\d %.*not a treatment target/s);
  assert.match(await page.locator('#band').textContent(), /the 5 models fitted with one of 5 parts of the training data left out each give this patient between about \d+ and \d+ of 100/);
  await page.click('#model-card summary');
  const card = await page.locator('#model-card').textContent();
  for (const needle of ['Intended use', "Patients' self-use", 'Caveats and limitations', 'Models compared', 'Age (years) 30–<40']) {
    assert.ok(card.includes(needle), needle);
  }
  assert.ok(await page.locator('#roc-chart polyline.curve').count() >= 1);
  assert.ok(await page.locator('#calibration-chart circle').count() >= 2);
  assert.equal(await page.locator('#candidates tbody tr').count(), 7);
  await page.locator('#model-card').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'e2e-model-card.png'), fullPage: true });
  check();
  await context.close();
});

test('wdbc: a 30-feature form from a real example, an unusual patient flagged, nothing modifiable said plainly', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=wdbc.bdsx&example=1`);
  await page.locator('.prob').first().waitFor();
  assert.equal(await page.locator('.fields .field').count(), 30);
  assert.equal(await page.locator('#explanation .contrib').count(), 30);
  assert.match(await page.locator('#what-would-change').textContent(), /None of this model’s inputs/);
  assert.equal(await page.locator('#unusual').count(), 0);
  // Plausible but extreme: far from every training case.
  await page.fill('#f-mean_radius', '50');
  await page.fill('#f-worst_area', '8000');
  await page.locator('#unusual').waitFor();
  assert.match(await page.locator('#unusual').textContent(), /unlike every case the model was trained on/);
  assert.match(await page.locator('#flags').textContent(), /outside every value this model was trained on/);
  check();
  await context.close();
});

test('the server sends the CSP and the wasm MIME type, and serves nothing outside the site', async () => {
  const page = await fetch(env.server.url);
  assert.equal(page.status, 200);
  const csp = page.headers.get('content-security-policy');
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /connect-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  const wasm = await fetch(`${env.server.origin}/pkg/bedside_bg.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  for (const path of ['/Cargo.toml', '/src/lib.rs', '/data/pima_tr.csv', '/www/../Cargo.toml', '/.git/config']) {
    const r = await fetch(`${env.server.origin}${path}`);
    assert.equal(r.status, 404, path);
  }
});
