// Risk as clinicians are taught to read it, in Debian Chromium: a binary model leads with the
// risk of the outcome of interest (the schema's positive class), drawn as an icon array of 100
// with a natural-frequency sentence and the base rate on the same denominator; a model that
// cannot tell patients apart (indo_rct) says so and shows the base rate; values are shown as
// labels, not data codes; the next most useful measurement is the CLI's; both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, cliAssess } from './helpers.mjs';

const env = serveAndLaunch();
const bundle = (id) => join(ROOT, 'static', 'bundles', `${id}.bdsx`);

/** The form's values as patient JSON (blank fields left out), as the CLI takes them. */
async function formPatient(page) {
  return page.$$eval('.fields .field', (fields) => Object.fromEntries(fields.flatMap((f) => {
    const el = f.querySelector('input, select');
    if (!el || el.value === '') return [];
    const v = el.value;
    return [[f.dataset.field, v === 'true' ? true : v === 'false' ? false : (Number.isNaN(Number(v)) ? v : Number(v))]];
  })));
}

test('pima: the risk of diabetes leads, with its icon array, natural frequency and base rate', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0`);
  await page.locator('#risk').waitFor();
  const cli = cliAssess(bundle('pima'), await formPatient(page));
  // The estimate and its explanation are about the positive class, whichever is more probable.
  assert.equal(cli.focus, 1);
  assert.equal(cli.explanation.class, 1);
  assert.equal(cli.discrimination.better_than_chance, true);
  const risk = await page.locator('#risk');
  assert.equal(await risk.getAttribute('data-focus'), 'Yes');
  assert.equal(Number(await risk.getAttribute('data-probability')), cli.probabilities[1].probability);
  assert.equal(await risk.getAttribute('data-chance'), 'false');
  const n = Math.round(cli.probabilities[1].probability * 100);
  assert.equal(await page.locator('#risk-pct').textContent(), `${(cli.probabilities[1].probability * 100).toFixed(1)} %`);
  // The icon array fills exactly n of 100, and says so to a screen reader.
  assert.equal(await page.locator('#icon-array rect').count(), 100);
  assert.equal(await page.locator('#icon-array rect.on').count(), n);
  assert.equal(await page.locator('#icon-array').getAttribute('aria-label'), await page.locator('#frequency').textContent());
  assert.equal(await page.locator('#frequency').textContent(),
    `Of 100 patients like this one, about ${n}: Diabetes; the other ${100 - n}: No diabetes.`);
  const base = Math.round(cli.base_rate * 100);
  assert.match(await page.locator('#base-rate').textContent(), new RegExp(`about ${base} of 100 \\(the base rate\\)`));
  assert.match(await page.locator('#band').textContent(), /between about \d+ and \d+ of 100/);
  assert.equal(await page.locator('#chance').count(), 0, 'pima tells patients apart');
  assert.equal(await page.locator('#explanation').getAttribute('data-class'), '1');
  // A diagnostic model's "what would change" is its sensitivity, not a treatment target.
  assert.match(await page.locator('#what-would-change').textContent(), /How sensitive the model is.*not a treatment target/s);
  await page.locator('#results').screenshot({ path: join(ARTIFACTS, 'risk-card-pima.png') });
  // 简体中文: the same numbers in words.
  await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0&lang=zh`);
  await page.locator('#risk').waitFor();
  assert.match(await page.locator('#frequency').textContent(), new RegExp(`与该患者相似的每 100 人中，约 ${n} 人：糖尿病；其余 ${100 - n} 人：无糖尿病。`));
  assert.match(await page.locator('#base-rate').textContent(), new RegExp(`每 100 人中约 ${base} 人（基础率）`));
  assert.equal(await page.locator('#icon-array').getAttribute('aria-label'), await page.locator('#frequency').textContent());
  await page.locator('#results').screenshot({ path: join(ARTIFACTS, 'risk-card-pima-zh.png') });
  check();
  await context.close();
});

test('indo_rct: a model that cannot tell patients apart says so and shows the base rate; labels, not codes', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=indo_rct.bdsx&example=0`);
  await page.locator('#risk').waitFor();
  const cli = cliAssess(bundle('indo_rct'), await formPatient(page));
  assert.equal(cli.focus, 1, 'the risk of pancreatitis, not the most probable class');
  assert.equal(cli.explanation.class, 1);
  assert.equal(cli.discrimination.better_than_chance, false);
  assert.ok(cli.discrimination.low <= 0.5, `AUC interval ${cli.discrimination.low}–${cli.discrimination.high}`);
  assert.equal(await page.locator('#risk').getAttribute('data-chance'), 'true');
  const chance = await page.locator('#chance').textContent();
  assert.match(chance, /has not been shown to tell patients apart better than chance/);
  const base = Math.round(cli.base_rate * 100);
  // The headline and the icon array show the base rate, not this patient's ranking.
  assert.equal(await page.locator('#risk-pct').textContent(), `about ${base} of 100 (base rate)`);
  assert.equal(await page.locator('#icon-array rect.on').count(), base);
  assert.match(await page.locator('#demoted').textContent(), new RegExp(`${(cli.probabilities[1].probability * 100).toFixed(1)} %`));
  assert.match(await page.locator('#frequency').textContent(), /^Of 100 patients in the population the model was trained on, about \d+: Post-ERCP pancreatitis; the other \d+: No pancreatitis\.$/);
  assert.equal(await page.locator('#icon-array').getAttribute('aria-label'), await page.locator('#frequency').textContent());
  // Nothing here invites reading the model's ranking: no what-would-change, no next measurement.
  assert.equal(await page.locator('#what-would-change').count(), 0);
  assert.equal(await page.locator('#next-measurement').count(), 0);
  assert.match(await page.locator('#announce').textContent(), new RegExp(`about ${base} of 100 \\(base rate\\)`));
  // The pooled estimate says it pools both arms, so the per-arm risks cannot read as a contradiction.
  assert.match(await page.locator('#pooled').textContent(), /pools both arms of the trial.*differs from this pooled figure by design/s);
  // Labels everywhere: the explanation shows "Female"/"Male", never the data code.
  const sex = await page.locator('#explanation .contrib[data-field="gender"] .val').textContent();
  assert.match(sex, /= (Female|Male)/);
  assert.doesNotMatch(await page.locator('#explanation').textContent(), /1_female|2_male|0_no|1_yes/);
  await page.locator('#results').screenshot({ path: join(ARTIFACTS, 'risk-card-indo_rct.png') });
  await page.goto(`${env.server.url}?bundle=indo_rct.bdsx&example=0&lang=zh`);
  await page.locator('#chance').waitFor();
  assert.match(await page.locator('#chance').textContent(), /尚未证明该模型区分患者的能力优于随机/);
  assert.match(await page.locator('#risk-pct').textContent(), new RegExp(`每 100 人中约 ${base} 人（基础率）`));
  check();
  await context.close();
});

test('wdbc and biopsy: the probability of malignancy; the most useful missing measurement is the CLI\'s', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=wdbc.bdsx&example=0`);
  await page.locator('#risk').waitFor();
  assert.equal(await page.locator('#risk').getAttribute('data-focus'), 'malignant');
  assert.match(await page.locator('#risk .kind').textContent(), /Estimated probability/);
  await page.locator('#results').screenshot({ path: join(ARTIFACTS, 'risk-card-wdbc.png') });
  // Biopsy with bare nuclei not yet measured: the ranking of what to measure next.
  await page.goto(`${env.server.url}?bundle=biopsy.bdsx`);
  await page.locator('#f-V1').waitFor();
  const patient = { V1: 5, V2: 3, V3: 3, V4: 3, V5: 2, V7: 3, V8: 3, V9: 1 };
  for (const [k, v] of Object.entries(patient)) await page.fill(`#f-${k}`, String(v));
  await page.locator('#risk').waitFor();
  const cli = cliAssess(bundle('biopsy'), patient);
  assert.ok(cli.next_measurements.length >= 1, 'a missing input that matters is ranked');
  await page.locator('#next-measurement li').first().waitFor();
  const shown = await page.$$eval('#next-measurement li', (els) => els.map((e) => e.dataset.field));
  assert.deepEqual(shown, cli.next_measurements.map((m) => m.field));
  const first = cli.next_measurements[0];
  const up = Math.round(Math.max(first.high - first.current, first.current - first.low) * 100);
  assert.match(await page.locator('#next-measurement li').first().textContent(), new RegExp(`^Measuring Bare nuclei \\(score 1–10\\) could change this estimate by up to ${up} points`));
  check();
  await context.close();
});
