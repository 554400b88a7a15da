// FHIR R4 in and out, in Debian Chromium: a real Synthea Bundle (file or pasted) fills in the
// form, with what was used and what was not (and why) listed; the assessment downloads as a
// RiskAssessment that a real FHIR model (fhir.resources) accepts and that matches the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, cliAssess } from './helpers.mjs';

const env = serveAndLaunch();
const PIMA = join(ROOT, 'static', 'bundles', 'pima.bdsx');
const MAN = join(ROOT, 'data', 'fhir', 'fhiry_afhir_bundle.json');
const GIRL = join(ROOT, 'data', 'fhir', 'Johnnie679_Hermiston71_2cd30bd6-3a87-4191-af90-6daa70f58f55.json');
const PYTHON = join(ROOT, 'target', 'fhir-venv', 'bin', 'python');

/**
 * The man's latest BMI and diastolic pressure, and his age on the date of the latest of those
 * readings (an age is taken on the data's date, not on today's), read straight from the file.
 */
function expected() {
  const entries = JSON.parse(readFileSync(MAN, 'utf8')).entry.map((e) => e.resource);
  const readings = (pick) => entries.filter((r) => r.resourceType === 'Observation' && r.status === 'final')
    .map((r) => [r.effectiveDateTime, pick(r)]).filter(([, v]) => v !== undefined).sort();
  const latest = (pick) => readings(pick).at(-1)[1];
  const code = (c) => (r) => (r.code.coding.some((x) => x.code === c) ? r.valueQuantity?.value : undefined);
  const diastolic = (r) => r.component?.find((c) => c.code.coding.some((x) => x.code === '8462-4'))?.valueQuantity.value;
  const on = [readings(code('39156-5')).at(-1)[0], readings(diastolic).at(-1)[0]].sort().at(-1).slice(0, 10);
  const [y, m, d] = on.split('-').map(Number);
  const [by, bm, bd] = entries.find((r) => r.resourceType === 'Patient').birthDate.split('-').map(Number);
  const age = y - by - ((m < bm || (m === bm && d < bd)) ? 1 : 0);
  return { bmi: latest(code('39156-5')), bp: latest(diastolic), age };
}

test('a Synthea Bundle file fills in the form, says what it could not use, and exports a valid RiskAssessment', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  assert.equal(await page.locator('#fhir-export').isDisabled(), true, 'nothing to export before an estimate');
  await page.setInputFiles('#fhir-file', MAN);
  await page.locator('#fhir-report').waitFor();
  const want = expected();
  for (const [field, value] of Object.entries(want)) {
    assert.equal(Number(await page.inputValue(`#f-${field}`)), value, field);
    assert.equal(await page.locator(`#fhir-used li[data-field="${field}"]`).count(), 1, field);
  }
  const report = await page.locator('#fhir-report').textContent();
  assert.match(report, /the patient is recorded as male; this model was trained on female patients only/);
  assert.match(await page.locator('#fhir-skipped').textContent(),
    /Glucose \(2339-0\): a random plasma glucose, not the 2-hour value of a 75 g oral glucose tolerance test/);
  assert.match(await page.locator('#fhir-skipped').textContent(), /Diabetes pedigree function: this model has no FHIR source for it; enter it by hand/);
  await page.screenshot({ path: join(ARTIFACTS, 'fhir-import.png'), fullPage: true });

  // The clinician completes what FHIR could not give.
  const typed = { npreg: 1, glu: 120, skin: 25, ped: 0.4 };
  for (const [k, v] of Object.entries(typed)) await page.fill(`#f-${k}`, String(v));
  await page.locator('.prob').first().waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#fhir-export')]);
  assert.equal(download.suggestedFilename(), 'bedside-riskassessment-pima.json');
  const path = await download.path();
  const ra = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(ra.resourceType, 'RiskAssessment');
  assert.equal(ra.subject.reference, 'Patient/5cbc121b-cd71-4428-b8b7-31e53eba8184');
  assert.equal(ra.basis[0].identifier.value, (await page.locator('code.hash').textContent()).trim(), 'the bundle shown under Basis');
  assert.equal(ra.basis.length, 3, 'the bundle and the two observations used');
  const cli = cliAssess(PIMA, { ...typed, ...want });
  cli.probabilities.forEach((c, i) => assert.ok(Math.abs(ra.prediction[i].probabilityDecimal - c.probability) <= 1e-12));
  // A real FHIR model accepts it.
  const out = execFileSync(PYTHON, [join(ROOT, 'tests', 'fhir', 'validate.py'), path]).toString();
  assert.match(out, /^ok /);
  check();
  await context.close();
});

test('pasted FHIR: a value outside the range is refused with the range; bad JSON says so; 简体中文', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  await page.fill('#fhir-text', '{"resourceType": ');
  await page.click('#fhir-import');
  assert.match(await page.locator('#fhir-error').textContent(), /^FHIR: not JSON: /);
  await page.fill('#fhir-text', '{"resourceType": "Claim"}');
  await page.click('#fhir-import');
  assert.equal(await page.locator('#fhir-error').textContent(), 'FHIR: expected a FHIR Bundle, Patient or Observation, got a Claim');

  // A girl born in 2009: 9 on the date of her latest reading, below the ages the model accepts (21–110).
  // A large paste, set at once (typing 680 KB would only test Playwright).
  await page.$eval('#fhir-text', (el, text) => { el.value = text; }, readFileSync(GIRL, 'utf8'));
  await page.click('#fhir-import');
  await page.locator('#fhir-report').waitFor();
  assert.equal(await page.inputValue('#f-age'), '');
  assert.match(await page.locator('#fhir-skipped li[data-what="age"]').textContent(), /Age \(years\): .*9.* outside the plausible range 21–110/);
  assert.notEqual(await page.inputValue('#f-bmi'), '');

  // In 简体中文 the panel and the import's report are Chinese.
  await page.click('#lang-toggle');
  assert.equal(await page.locator('#fhir-h').textContent(), 'FHIR R4 导入与导出');
  await page.setInputFiles('#fhir-file', MAN);
  await page.waitForFunction(() => document.querySelector('#fhir-skipped')?.textContent.includes('本模型没有它的 FHIR 来源'));
  assert.match(await page.locator('#fhir-report .warning').textContent(), /患者记录的性别为 male；本模型仅用 female 患者训练/);
  await page.screenshot({ path: join(ARTIFACTS, 'fhir-zh.png'), fullPage: true });
  check();
  await context.close();
});
