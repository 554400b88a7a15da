// Published risk equations in Debian Chromium: the Pooled Cohort Equations reproduce the
// guideline's Table A worked example and PREVENT the preventr README example, each exactly as
// `bedside assess` prints it, in English and 简体中文; the explanation adds up; the basis and the
// model card are the paper's (no held-out metrics of ours); cholesterol switches to mmol/L
// without changing the estimate; the Health tab leads with the 10-year risk; values outside the
// paper's ranges are refused with the range; nothing is requested from elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, cliAssess } from './helpers.mjs';

const env = serveAndLaunch();
const PCE = join(ROOT, 'static', 'bundles', 'pce.bdsx');
const PREVENT = join(ROOT, 'static', 'bundles', 'prevent.bdsx');

/** Fill the form: numbers typed, categories and yes/no chosen (yes/no as 1/0 in `patient`). */
async function fill(page, patient, booleans) {
  for (const [k, v] of Object.entries(patient)) {
    if (booleans.includes(k)) await page.selectOption(`#f-${k}`, v ? 'true' : 'false');
    else if (typeof v === 'string') await page.selectOption(`#f-${k}`, v);
    else await page.fill(`#f-${k}`, String(v));
  }
}

const risk = (page) => page.getAttribute('.prob[data-code="1"]', 'data-probability').then(Number);

async function explanationAddsUp(page) {
  const e = await page.$eval('#explanation', (el) => ({
    baseline: Number(el.dataset.baseline),
    output: Number(el.dataset.output),
    sum: [...el.querySelectorAll('.contrib')].reduce((a, c) => a + Number(c.dataset.contribution), 0),
  }));
  assert.ok(Math.abs(e.baseline + e.sum - e.output) < 1e-9, `explanation ${JSON.stringify(e)}`);
}

async function audit(page, what) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), [], what);
}

const PCE_BOOLEANS = ['bp_treated', 'smoker', 'diabetes'];
const TABLE_A = { age: 55, tc: 213, hdl: 50, sbp: 120, bp_treated: 0, smoker: 0, diabetes: 0 };

for (const lang of ['en', 'zh']) {
  test(`PCE reproduces Table A for all four equations, as the CLI does (${lang})`, async () => {
    const { page, context, check } = await recordedPage(env.browser, env.server.origin);
    await page.goto(`${env.server.url}?bundle=pce.bdsx${lang === 'zh' ? '&lang=zh' : ''}`);
    await page.locator('#f-age').waitFor();
    // Goff et al. 2014, Table A: 2.1, 3.0, 5.3, 6.1 % (to 0.1 point).
    const published = [['female', 'white', 2.1], ['female', 'african_american', 3.0], ['male', 'white', 5.3], ['male', 'african_american', 6.1]];
    let previous = null;
    for (const [sex, race, percent] of published) {
      const patient = { ...TABLE_A, sex, race };
      await fill(page, patient, PCE_BOOLEANS);
      await page.waitForFunction((p) => {
        const el = document.querySelector('.prob[data-code="1"]');
        return el && el.dataset.probability !== p;
      }, previous);
      const shown = await risk(page);
      previous = String(shown);
      const cli = cliAssess(PCE, patient).probabilities[1].probability;
      assert.ok(Math.abs(shown - cli) <= 1e-9, `${sex} ${race}: page ${shown} vs CLI ${cli}`);
      assert.ok(Math.abs(shown * 100 - percent) <= 0.1, `${sex} ${race}: ${shown * 100} % vs Table A ${percent} %`);
      await explanationAddsUp(page);
    }
    // The basis is the paper's; no held-out metrics, curves, candidates, cases or teaching.
    assert.match(await page.locator('#published-source').textContent(), /Goff/);
    assert.match(await page.locator('#published-discrimination').textContent(), /0\.713/);
    assert.equal(await page.locator('#metrics').count(), 0);
    assert.equal(await page.locator('#tab-teach').count(), 0);
    assert.equal(await page.locator('#similar-assess, .similar').count(), 0);
    await page.locator('#model-card summary').click();
    await page.locator('#model-card[open]').waitFor();
    assert.equal(await page.locator('#card-metrics, #roc-chart, #candidates').count(), 0);
    assert.match(await page.locator('#model-card').textContent(), lang === 'zh' ? /高估/ : /overestimate/);
    // The comparison beside the estimate: optimal risk factors, not a training base rate.
    assert.match(await page.locator('#base-rate').textContent(), lang === 'zh' ? /理想水平/ : /optimal risk factors/);
    await audit(page, `${lang} PCE assess view and model card`);
    await page.screenshot({ path: join(ARTIFACTS, `pce-${lang}.png`), fullPage: true });

    // A value outside the paper's range is refused with the range, in the form's language.
    await page.fill('#f-age', '35');
    assert.match(await page.locator('[data-field="age"] .field-error').textContent(), /40–79/);
    check();
    await context.close();
  });
}

const PREVENT_BOOLEANS = ['bp_treated', 'diabetes', 'smoker', 'statin'];
// The preventr README's example (Mayer, preventr on CRAN): 10-year total CVD 0.147.
const MAYER = { age: 50, sex: 'female', tc: 200, hdl: 45, sbp: 160, bp_treated: 1, diabetes: 1, smoker: 0, egfr: 90, statin: 0 };

test('PREVENT: the published example, units switch, the Health tab, both languages', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  // The published example is offered in the form, named as the paper's, not as a test-set row.
  await page.goto(`${env.server.url}?bundle=prevent.bdsx&example=0`);
  await page.locator('.prob').first().waitFor();
  assert.equal(Math.round((await risk(page)) * 1000) / 1000, 0.147);
  assert.match(await page.locator('#patient-banner').textContent(), /Worked example of the paper: preventr README/);
  await page.click('#clear-form');
  await page.locator('.prob').first().waitFor({ state: 'detached' });
  await fill(page, MAYER, PREVENT_BOOLEANS);
  await page.locator('.prob').first().waitFor();
  const shown = await risk(page);
  const cli = cliAssess(PREVENT, MAYER).probabilities[1].probability;
  assert.ok(Math.abs(shown - cli) <= 1e-9, `page ${shown} vs CLI ${cli}`);
  assert.equal(Math.round(shown * 1000) / 1000, 0.147);
  await explanationAddsUp(page);
  // What clinicians use the equation for: each treatment target changed, as the CLI computes it.
  const targets = cliAssess(PREVENT, MAYER).targets;
  assert.deepEqual(targets.changes.map((c) => c.field), ['tc', 'sbp']);
  assert.match(await page.locator('#targets li[data-field="sbp"]').textContent(), /160 mmHg → 110 mmHg: about \d+ of 100 \(now about 15 of 100\)/);
  assert.ok(await page.locator('#targets li[data-field="together"]').count() === 1);
  assert.equal(await page.locator('#what-would-change').count(), 0);

  // Cholesterol in mmol/L: the same patient, the same estimate.
  await page.click('#units-toggle');
  assert.equal(await page.inputValue('#f-tc'), '5.172');
  assert.match(await page.locator('label[for="f-tc"]').textContent(), /mmol\/L/);
  assert.ok(Math.abs(await risk(page) - cli) <= 1e-9, 'same estimate in mmol/L');
  // Typed in mmol/L: 6.465 mmol/L is 250 mg/dL.
  await page.fill('#f-tc', '6.465');
  const cli250 = cliAssess(PREVENT, { ...MAYER, tc: 250 }).probabilities[1].probability;
  await page.waitForFunction((c) => Math.abs(Number(document.querySelector('.prob[data-code="1"]').dataset.probability) - c) <= 1e-9, cli250);
  await page.click('#units-toggle');
  assert.equal(await page.inputValue('#f-tc'), '250');

  // The Health tab leads with the 10-year risk, then each value against its normal range.
  await page.click('#tab-health');
  await page.locator('#health-risk-value').waitFor();
  assert.ok(Math.abs(Number(await page.getAttribute('#health-risk-value', 'data-probability')) - cli250) <= 1e-9);
  assert.match(await page.locator('#health-risk').textContent(), /optimal risk factors/);
  assert.equal(await page.getAttribute('#health tr[data-field="sbp"]', 'data-status'), 'high');
  await audit(page, 'en PREVENT health tab');
  await page.screenshot({ path: join(ARTIFACTS, 'prevent-health.png'), fullPage: true });

  await page.click('#lang-toggle');
  await page.locator('#health-risk-value').waitFor();
  assert.match(await page.locator('#health-risk').textContent(), /理想水平/);
  await audit(page, 'zh PREVENT health tab');
  await page.click('#tab-assess');
  await page.locator('.prob').first().waitFor();
  await audit(page, 'zh PREVENT assess view');
  await page.screenshot({ path: join(ARTIFACTS, 'prevent-zh.png'), fullPage: true });
  // eGFR below the paper's range is refused with the range.
  await page.fill('#f-egfr', '10');
  assert.match(await page.locator('[data-field="egfr"] .field-error').textContent(), /15–140/);
  check();
  await context.close();
});
