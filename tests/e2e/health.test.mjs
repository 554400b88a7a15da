// The health-check view in Debian Chromium: the values typed on the Assess tab against the
// schema's cited normal ranges, abnormal ones marked in words, in English and 简体中文.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ARTIFACTS, serveAndLaunch, recordedPage } from './helpers.mjs';

const env = serveAndLaunch();

test('entered values against their normal ranges, abnormal ones marked, in both languages', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  // glu normal < 140 mg/dL, bp < 80 mmHg, bmi ≥ 18.5 and < 25 (pima.schema.toml, each bound as
  // its source states it); skin left blank.
  const patient = { npreg: 2, glu: 150, bp: 79.5, bmi: 33.6, ped: 0.5, age: 40 };
  for (const [k, v] of Object.entries(patient)) await page.fill(`#f-${k}`, String(v));
  await page.click('#tab-health');
  const status = (field) => page.getAttribute(`#health tr[data-field="${field}"]`, 'data-status');
  assert.equal(await status('glu'), 'high');
  assert.equal(await status('bp'), 'normal'); // 79.5 is under the exclusive bound < 80
  assert.equal(await status('bmi'), 'high');
  assert.equal(await status('skin'), 'not-entered');
  assert.equal(await status('npreg'), 'no-range');
  assert.match(await page.locator('#health tr[data-field="glu"]').textContent(), /150 mg\/dL.*< 140 mg\/dL.*ADA Standards of Care.*▲ above the normal range/);
  assert.match(await page.locator('#health tr[data-field="bmi"]').textContent(), /33\.6 kg\/m².*≥ 18\.5 and < 25 kg\/m².*WHO/);
  assert.equal(await page.locator('#health-summary').textContent(), '2 of 6 entered values are outside the normal range.');
  await page.screenshot({ path: join(ARTIFACTS, 'health.png'), fullPage: true });

  // Back on Assess, change a value: the view follows the form.
  await page.click('#tab-assess');
  await page.fill('#f-glu', '120');
  await page.click('#tab-health');
  assert.equal(await status('glu'), 'normal');

  await page.click('#lang-toggle');
  assert.match(await page.locator('#health tr[data-field="bmi"]').textContent(), /≥ 18\.5 且 < 25 kg\/m².*▲ 高于正常范围/);
  assert.equal(await page.locator('#health-summary').textContent(), '已填写的 6 项中，1 项超出正常范围。');
  assert.equal(await page.locator('#tab-health').textContent(), '健康指标');
  await page.screenshot({ path: join(ARTIFACTS, 'health-zh.png'), fullPage: true });
  check();
  await context.close();
});
