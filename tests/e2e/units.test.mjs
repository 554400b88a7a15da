// Conventional and SI units in Debian Chromium: where the schema declares a second unit (pima's
// glucose in mmol/L), the form, its ranges and errors, and the health check switch to it at
// runtime, and the estimate is the same patient's either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, cliAssess } from './helpers.mjs';

const env = serveAndLaunch();
const PIMA = join(ROOT, 'static', 'bundles', 'pima.bdsx');

const probability = (page) => page.getAttribute('.prob[data-code="Yes"]', 'data-probability').then(Number);

test('glucose switches between mg/dL and mmol/L without changing the patient', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  const patient = { npreg: 6, glu: 148, bp: 72, skin: 35, bmi: 33.6, ped: 0.627, age: 50 };
  for (const [k, v] of Object.entries(patient)) await page.fill(`#f-${k}`, String(v));
  await page.locator('.prob').first().waitFor();
  const before = await probability(page);
  assert.ok(Math.abs(before - cliAssess(PIMA, patient).probabilities[1].probability) <= 1e-9);

  const toggle = page.locator('#units-toggle');
  assert.equal(await toggle.textContent(), 'SI units (mmol/L)');
  assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
  assert.equal(await page.inputValue('#f-glu'), '8.214');
  assert.match(await page.locator('label[for="f-glu"]').textContent(), /\(mmol\/L\)/);
  assert.match(await page.locator('#f-glu-hint').textContent(), /accepted 1\.11–33\.3 mmol\/L · normal < 7\.77 mmol\/L/);
  assert.equal(await probability(page), before, 'the same patient, the same estimate');
  await page.screenshot({ path: join(ARTIFACTS, 'units-si.png') });

  // Typed in mmol/L: 8.325 mmol/L is 150 mg/dL, exactly what the model gets.
  await page.fill('#f-glu', '8.325');
  await page.waitForFunction((b) => Number(document.querySelector('.prob[data-code="Yes"]').dataset.probability) !== b, before);
  const cli150 = cliAssess(PIMA, { ...patient, glu: 150 }).probabilities[1].probability;
  assert.ok(Math.abs(await probability(page) - cli150) <= 1e-9);
  // An implausible value is refused in the unit it was typed in.
  await page.fill('#f-glu', '148');
  assert.match(await page.locator('[data-field="glu"] .field-error').textContent(), /148 mmol\/L is outside the plausible range 1\.11–33\.3 mmol\/L/);
  await page.fill('#f-glu', '8.325');
  // The health check follows the units.
  await page.click('#tab-health');
  assert.match(await page.locator('#health tr[data-field="glu"]').textContent(), /8\.325 mmol\/L.*< 7\.77 mmol\/L/);
  await page.click('#tab-assess');

  await toggle.click();
  assert.equal(await page.inputValue('#f-glu'), '150');
  assert.ok(Math.abs(await probability(page) - cli150) <= 1e-9);
  await page.click('#lang-toggle');
  assert.equal(await page.locator('#units-toggle').textContent(), '国际单位 (mmol/L)');
  check();
  await context.close();
});

test('?units=si opens in SI units, examples included; bundles without a second unit have no switch', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0&units=si`);
  await page.locator('.prob').first().waitFor();
  const glu = Number(await page.inputValue('#f-glu'));
  assert.ok(glu > 1 && glu < 34, `the example's glucose is shown in mmol/L (${glu})`);
  await page.selectOption('#bundle-select', 'wdbc.bdsx');
  await page.locator('[data-field="mean radius"]').waitFor();
  assert.equal(await page.locator('#units-toggle').count(), 0);
  check();
  await context.close();
});
