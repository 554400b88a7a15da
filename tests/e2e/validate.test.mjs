// The Validate view in Debian Chromium: a data team's labelled CSV checked against the loaded
// model in the page (the same figures as `bedside evaluate --json`, to 1e-9), its charts and
// tables, a recalibrated bundle saved on this device; bad rows listed and left out, a file
// without the outcome refused with the column named, in English and 简体中文. Nothing is sent
// and nothing is stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, BIN, ARTIFACTS, serveAndLaunch, recordedPage } from './helpers.mjs';

const env = serveAndLaunch();
const BUNDLE = join(ROOT, 'static', 'bundles', 'pima.bdsx');
const DATA = join(ROOT, 'data', 'pima_te.csv');
const CSV = readFileSync(DATA, 'utf8');

/** What `bedside evaluate --json` reports for this file. */
function cliEvaluate(data) {
  return JSON.parse(execFileSync(BIN, ['evaluate', '--bundle', BUNDLE, '--data', data, '--json']).toString());
}

async function openValidate(page, lang = 'en') {
  // The clinician's page links to the data team's page for the same model (the view is not in
  // the clinician's build); that page opens on the Validate view.
  await page.goto(`${env.server.url}?bundle=pima.bdsx${lang === 'zh' ? '&lang=zh' : ''}`);
  await page.locator('#f-glu').waitFor();
  assert.equal(await page.locator('#tab-validate').count(), 0);
  assert.equal(await page.getAttribute('#validate-link', 'href'), 'validate.html?bundle=pima.bdsx');
  await page.goto(`${env.server.url}validate.html?bundle=pima.bdsx${lang === 'zh' ? '&lang=zh' : ''}`);
  await page.locator('#validate-file').waitFor();
  assert.equal(await page.getAttribute('#tab-validate', 'aria-selected'), 'true');
}

const num = async (page, selector, attr) => Number(await page.getAttribute(selector, attr));
const near = (a, b, what, tol = 1e-9) => assert.ok(Math.abs(a - b) < tol, `${what}: page ${a}, CLI ${b}`);

/** Nothing kept in the page's storage, and only our own static files requested. */
async function nothingKept(page, requests, check) {
  const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length }));
  assert.deepEqual(stored, { local: 0, session: 0 });
  // The recalibrated file is saved through an object URL made in the page (`blob:`): not a
  // request that leaves it.
  for (let i = requests.length - 1; i >= 0; i--) {
    if (requests[i].startsWith(`blob:${env.server.origin}/`)) requests.splice(i, 1);
  }
  check();
}

test('the figures are the CLI’s, the charts are drawn, and the recalibrated model downloads', async () => {
  const { page, context, requests, check } = await recordedPage(env.browser, env.server.origin);
  await openValidate(page);
  assert.match(await page.textContent('#validate'), /never uploaded/);
  assert.match(await page.textContent('#validate'), /`type`.*`No`.*`Yes`/);
  assert.match(await page.textContent('#validate'), /not a diagnosis for any one patient/);
  await page.setInputFiles('#validate-file', DATA);
  await page.locator('#validate-summary').waitFor();

  const cli = cliEvaluate(DATA);
  const s = '#validate-summary';
  assert.equal(await num(page, s, 'data-n'), cli.n);
  assert.equal(await num(page, s, 'data-refused'), cli.refused);
  assert.equal(await num(page, s, 'data-events'), cli.events);
  assert.equal(cli.n, 332);
  near(await num(page, s, 'data-auc'), cli.auc, 'AUC');
  near(await num(page, s, 'data-auc-lo'), cli.auc_ci[0], 'AUC lower');
  near(await num(page, s, 'data-auc-hi'), cli.auc_ci[1], 'AUC upper');
  near(await num(page, s, 'data-brier'), cli.brier, 'Brier');
  assert.ok(cli.calibration, 'the CLI fits a calibration line');
  near(await num(page, s, 'data-intercept'), cli.calibration.intercept, 'intercept');
  near(await num(page, s, 'data-slope'), cli.calibration.slope, 'slope');
  const rows = page.locator('#validate-net-benefit tbody tr');
  assert.equal(await rows.count(), cli.net_benefit.length);
  for (let i = 0; i < cli.net_benefit.length; i++) {
    const row = rows.nth(i);
    near(Number(await row.getAttribute('data-threshold')), cli.net_benefit[i].threshold, `threshold ${i}`);
    near(Number(await row.getAttribute('data-model')), cli.net_benefit[i].model, `net benefit ${i}`);
    near(Number(await row.getAttribute('data-treat-all')), cli.net_benefit[i].treat_all, `treat all ${i}`);
  }
  // 109 events and 223 non-events: not "few".
  assert.equal(await page.locator('#validate-few-events').count(), cli.events < 100 || cli.n - cli.events < 100 ? 1 : 0);
  assert.equal(await page.locator('#validate-refused').count(), 0);
  for (const id of ['#validate-roc', '#validate-calibration', '#validate-decision']) {
    assert.ok(await page.locator(`${id} svg polyline`).count() >= 2, `${id} is drawn`);
  }
  assert.equal(await page.locator('#validate-calibration polygon.band').count(), 1);
  assert.equal(await page.locator('#validate-drift tbody tr').count(), cli.drift.length);
  const flagged = cli.drift.filter((d) => Math.abs(d.std_diff) >= 0.1).length;
  assert.equal(await page.locator('#validate-drift tbody tr.flag').count(), flagged);
  assert.equal(await page.locator('#validate-subgroups tbody tr').count(), cli.subgroups.length);
  await page.screenshot({ path: join(ARTIFACTS, 'validate.png'), fullPage: true });

  await page.click('#validate-recalibrate');
  await page.locator('#validate-after').waitFor();
  const slope = await num(page, '#validate-after', 'data-slope');
  const intercept = await num(page, '#validate-after', 'data-intercept');
  assert.ok(Math.abs(slope - 1) < 0.05, `slope after ${slope}`);
  assert.ok(Math.abs(intercept) < 0.05, `intercept after ${intercept}`);
  // The ranking is kept: the AUC does not move.
  near(await num(page, '#validate-after', 'data-auc'), cli.auc, 'AUC after', 1e-9);
  assert.match(await page.textContent('#validate-after'), /optimistic/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#validate-download')]);
  assert.equal(download.suggestedFilename(), 'pima-recalibrated.bdsx');
  const bytes = readFileSync(await download.path());
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'BDSX');
  assert.ok(bytes.length > 1000, `${bytes.length} bytes`);
  await nothingKept(page, requests, check);
  await context.close();
});

test('bad rows are listed and left out; too few events are said; no outcome column is refused', async () => {
  const { page, context, requests, check } = await recordedPage(env.browser, env.server.origin);
  await openValidate(page);
  // Two bad rows after the 332 good ones: a glucose that is not a number, a BMI of 900.
  const bad = join(ARTIFACTS, 'validate-bad-rows.csv');
  writeFileSync(bad, `${CSV.trimEnd()}\n2,abc,70,30,30.1,0.5,40,No\n2,120,70,30,900,0.5,40,Yes\n`);
  await page.setInputFiles('#validate-file', bad);
  await page.locator('#validate-refused').waitFor();
  assert.equal(await page.getAttribute('#validate-summary', 'data-n'), '332');
  assert.equal(await page.getAttribute('#validate-summary', 'data-refused'), '2');
  const listed = page.locator('#validate-refused li');
  assert.equal(await listed.count(), 2);
  assert.match(await listed.nth(0).textContent(), /row 333.*glu/);
  assert.match(await listed.nth(1).textContent(), /row 334.*900/);
  assert.match(await page.textContent('#validate-refused'), /^2 rows could not be used/);

  // 60 patients: too few events and non-events for reliable figures.
  const few = join(ARTIFACTS, 'validate-few.csv');
  writeFileSync(few, CSV.split('\n').slice(0, 61).join('\n') + '\n');
  await page.setInputFiles('#validate-file', few);
  await page.locator('#validate-few-events').waitFor();
  assert.equal(await page.getAttribute('#validate-summary', 'data-n'), '60');
  assert.match(await page.textContent('#validate-few-events'), /100/);

  // No outcome column: refused, naming it; nothing shown from before.
  const unlabelled = join(ARTIFACTS, 'validate-no-outcome.csv');
  writeFileSync(unlabelled, CSV.split('\n').map((l) => l.split(',').slice(0, 7).join(',')).join('\n'));
  await page.setInputFiles('#validate-file', unlabelled);
  await page.locator('#validate-error').waitFor();
  assert.equal(await page.getAttribute('#validate-error', 'role'), 'alert');
  assert.match(await page.textContent('#validate-error'), /validate-no-outcome\.csv: .*`type`/);
  assert.equal(await page.locator('#validate-summary').count(), 0);

  // 简体中文: the tab, the refusal named in Chinese (the column still named).
  await openValidate(page, 'zh');
  assert.equal(await page.textContent('#tab-validate'), '验证');
  assert.match(await page.textContent('#validate'), /不会上传/);
  await page.setInputFiles('#validate-file', unlabelled);
  await page.locator('#validate-error').waitFor();
  assert.match(await page.textContent('#validate-error'), /无法进行本地验证.*`type`/);
  await page.setInputFiles('#validate-file', DATA);
  await page.locator('#validate-summary').waitFor();
  assert.match(await page.textContent('#validate'), /校准斜率/);
  await page.screenshot({ path: join(ARTIFACTS, 'validate-zh.png'), fullPage: true });
  await nothingKept(page, requests, check);
  await context.close();
});

test('another model forgets the file and its figures', async () => {
  const { page, context, requests, check } = await recordedPage(env.browser, env.server.origin);
  await openValidate(page);
  await page.setInputFiles('#validate-file', DATA);
  await page.locator('#validate-summary').waitFor();
  await page.selectOption('#bundle-select', 'wdbc.bdsx');
  // The view stays on Validate, now for wdbc (its outcome column named), with nothing of pima's.
  await page.locator('#validate', { hasText: '`diagnosis`' }).waitFor();
  assert.equal(await page.locator('#validate-summary').count(), 0);
  assert.equal(await page.inputValue('#validate-file'), '');
  await nothingKept(page, requests, check);
  await context.close();
});

test('a recalibrated bundle signed by a trusted key shows its local validation on the model card', async () => {
  // The data team's path: `bedside recalibrate` with the site's key (here this machine's
  // development key, the one this build trusts), then the bundle is served beside the others.
  const file = 'e2e-recalibrated.bdsx';
  const out = join(ROOT, 'static', 'bundles', file);
  execFileSync(BIN, ['recalibrate', '--bundle', BUNDLE, '--data', DATA, '--out', out,
    '--key', join(ROOT, 'target', 'keys', 'dev.key'), '--site', 'Test clinic', '--period', '1990s']);
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  try {
    await page.goto(`${env.server.url}?bundle=${file}&example=0`);
    await page.locator('.prob').first().waitFor();
    await page.click('#model-card summary');
    const card = await page.locator('#model-card').textContent();
    assert.match(card, /Local validation/);
    assert.match(card, /Test clinic/);
    assert.match(card, /n = 332 \(109 events/);
    assert.match(card, /After recalibration/);
    assert.match(card, /signed by key [0-9a-f]{16}…/);
    // The development metrics are still there, beside it.
    assert.equal(await page.locator('#card-metrics').count(), 1);
    check();
  } finally {
    await context.close();
    rmSync(out, { force: true });
  }
});
