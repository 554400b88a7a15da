// The treatment panel in Debian Chromium: a real patient of the indomethacin trial gets every
// option ranked with its modelled risk, interval, difference to placebo, the trial arm's rate,
// case evidence and the cited guideline rule, exactly as `bedside suggest` computes them; a
// contraindication withholds the option; an override needs a reason; the report downloads with
// the decisions; both languages work; and nothing leaves the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, readCsv, cliSuggest } from './helpers.mjs';

const env = serveAndLaunch();
const INDO = join(ROOT, 'static', 'bundles', 'indo_rct.bdsx');
const NUMERIC = ['age', 'risk'];
const SELECTS = ['gender', 'sod', 'pep', 'recpanc', 'psphinc', 'difcan', 'pdstent'];
const YES_NO = { '1_yes': 'true', '0_no': 'false' };

async function fillTrialPatient(page, row) {
  for (const k of NUMERIC) await page.fill(`#f-${k}`, row[k]);
  for (const k of SELECTS) await page.selectOption(`#f-${k}`, YES_NO[row[k]] ?? row[k]);
}

const options = (page) => page.$$eval('#treatment-options > li', (els) => els.map((e) => ({
  code: e.dataset.code, rank: Number(e.dataset.rank), risk: Number(e.dataset.risk),
  withheld: e.classList.contains('withheld'), text: e.textContent,
})));

test('indo_rct: a real trial patient gets ranked options with their basis, exactly as the CLI computes them', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  const rows = readCsv(join(ROOT, 'data', 'indo_rct.csv'));
  const row = rows.find((r) => r.sod === '1_yes' && r.difcan === '1_yes' && r.gender === '1_female');
  await page.goto(`${env.server.url}?bundle=indo_rct.bdsx`);
  await page.locator('#f-age').waitFor();
  await fillTrialPatient(page, row);
  await page.locator('#treatment-options > li').first().waitFor();

  const patient = Object.fromEntries([...NUMERIC.map((k) => [k, Number(row[k])]), ...SELECTS.map((k) => [k, row[k]])]);
  const cli = cliSuggest(INDO, patient);
  const shown = await options(page);
  assert.deepEqual(shown.map((o) => o.code), cli.options.map((o) => o.code), 'same ranking as the CLI');
  shown.forEach((o, i) => assert.ok(Math.abs(o.risk - cli.options[i].risk.risk.value) <= 1e-12, `${o.code}: ${o.risk}`));
  assert.equal(shown[0].code, '1_indomethacin', 'lower modelled risk first');

  // Each option shows its basis: risk with interval, difference to placebo, the arm's observed
  // rate (the trial's 27/295 and 52/307), and what happened to similar trial patients.
  const indo = shown[0].text;
  const r = cli.options[0].risk;
  // The same denominator for both arms, the absolute difference before the relative one, and
  // the bootstrap interval called what it is.
  assert.match(indo, /of 100 patients like this one about \d+ would have post-ERCP pancreatitis with Rectal indomethacin 100 mg and about \d+ with Placebo \(no NSAID prophylaxis\)\./);
  assert.match(indo, /About \d+ fewer per 100 with Rectal indomethacin 100 mg than with Placebo \(no NSAID prophylaxis\) \(absolute difference\); relative risk \d\.\d\d\./);
  assert.ok(indo.indexOf('absolute difference') < indo.indexOf('relative risk'));
  assert.ok(indo.includes(`Per-arm model estimate ${(r.risk.value * 100).toFixed(1)} %; percentile bootstrap interval ${(r.risk.low * 100).toFixed(1)}–${(r.risk.high * 100).toFixed(1)} %`));
  assert.doesNotMatch(indo, /95 % interval/);
  assert.match(indo, /Observed in this trial arm: 27\/295 = 9\.2 %/);
  assert.match(shown[1].text, /52\/307 = 16\.9 %/);
  assert.match(indo, /Among the 40 most similar trial patients, \d+ had this option; \d+ of them had Post-ERCP pancreatitis\./);
  const evidence = cli.options.map((o) => o.evidence.cases).reduce((a, b) => a + b, 0);
  assert.equal(evidence, 40);
  // The guideline rule, with its strength and citation, and the unanswered contraindications.
  const rule = page.locator('#treatment-options [data-rule="esge-2020-rectal-nsaid"]');
  assert.equal(await rule.getAttribute('data-status'), 'fired');
  const ruleText = await rule.textContent();
  assert.match(ruleText, /Strong recommendation, moderate-quality evidence/);
  assert.match(ruleText, /Endoscopy 2020;52:127–149 \(2020\), Main recommendations, Prophylaxis, recommendation 1/);
  assert.match(ruleText, /Not yet checked \(question unanswered\):/);
  assert.match(await page.locator('#treatment').textContent(), /not a directive/);
  await page.click('#about-trial summary');
  assert.match(await page.locator('#about-trial').textContent(), /Randomization supports the average difference/);
  await page.screenshot({ path: join(ARTIFACTS, 'e2e-treatment-indo.png'), fullPage: true });

  // A contraindication withholds indomethacin and moves it last.
  await page.selectOption('#q-nsaid_hypersensitivity', 'yes');
  await page.locator('#treatment-options > li.withheld').waitFor();
  const after = await options(page);
  assert.deepEqual(after.map((o) => o.code), ['0_placebo', '1_indomethacin']);
  assert.equal(await rule.getAttribute('data-status'), 'suppressed');
  assert.match(after[1].text, /Contraindicated/);
  assert.match(after[1].text, /NSAID-induced asthma, urticaria, angioedema or rhinitis: indometacin is contraindicated\./);
  // The CLI agrees when given the same answer.
  const cliAfter = cliSuggest(INDO, { ...patient, nsaid_hypersensitivity: true });
  assert.deepEqual(cliAfter.options.map((o) => o.code), after.map((o) => o.code));

  // Agree / override: an override without a reason is refused; with one it is recorded.
  const box = page.locator('.decision[data-item="0_placebo"]');
  await box.locator('button.override').click();
  assert.equal(await box.locator('.recorded').count(), 0, 'no override without a reason');
  assert.equal(await box.locator('input.reason').evaluate((i) => i.validationMessage), 'Give a reason to override.');
  await box.locator('input.reason').fill('Patient prefers no premedication <b>');
  await box.locator('button.override').click();
  assert.match(await box.locator('.recorded').textContent(), /Recorded: you override — Patient prefers no premedication <b>/);
  await page.locator('.decision[data-item="1_indomethacin"] button.agree').click();
  assert.match(await page.locator('.decision[data-item="1_indomethacin"] .recorded').textContent(), /you agree/);

  // The report downloads (generated in the page; nothing is sent) with the decisions.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-report')]);
  assert.equal(download.suggestedFilename(), 'bedside-report-indo_rct.html');
  const report = readFileSync(await download.path(), 'utf8');
  assert.match(report, /Recorded: you override — Patient prefers no premedication &lt;b&gt;/);
  assert.match(report, /SHA-256 [0-9a-f]{64}/);
  assert.match(report, /Endoscopy 2020/);
  assert.match(report, /Asthma, urticaria, angioedema or rhinitis triggered by aspirin or another NSAID<\/td><td>Yes/);
  assert.ok(!/<script/i.test(report), 'the report has no scripts');

  // 简体中文: the panel, its rule and its numbers switch language.
  await page.click('#lang-toggle');
  await page.locator('#treatment-h', { hasText: '治疗选项' }).waitFor();
  const zh = await page.locator('#treatment').textContent();
  assert.match(zh, /直肠吲哚美辛 100 毫克组约 \d+ 人会发生“ERCP 术后胰腺炎”/);
  assert.match(zh, /强推荐，中等质量证据/);
  assert.match(zh, /已记录：您否决/);
  await page.screenshot({ path: join(ARTIFACTS, 'e2e-treatment-zh.png'), fullPage: true });
  check();
  await context.close();
});

test('pima: guideline rules fire at their cited thresholds, and a missing value is named, not guessed', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  for (const [k, v] of Object.entries({ npreg: 2, glu: 200, bp: 90, skin: 30, bmi: 30, ped: 0.5, age: 40 })) {
    await page.fill(`#f-${k}`, String(v));
  }
  const rules = () => page.$$eval('#guideline-rules [data-rule]', (els) => Object.fromEntries(els.map((e) => [e.dataset.rule, e.dataset.status])));
  await page.locator('#guideline-rules [data-rule]').first().waitFor();
  assert.deepEqual(await rules(), {
    'ada-2h-pg-diabetes': 'fired', 'who-bmi-obesity': 'fired', 'acc-aha-dbp-stage-2': 'fired',
  });
  assert.match(await page.locator('[data-rule="ada-2h-pg-diabetes"]').textContent(),
    /Fired by: Plasma glucose 2 h after 75 g oral glucose \(OGTT\) = 200 mg\/dL \(≥ 200 mg\/dL\)/);
  // Just below each threshold, the neighbouring category instead.
  await page.fill('#f-glu', '199');
  await page.fill('#f-bp', '89');
  await page.fill('#f-bmi', '29.9');
  await page.locator('[data-rule="ada-2h-pg-igt"]').waitFor();
  assert.deepEqual(await rules(), { 'ada-2h-pg-igt': 'fired', 'acc-aha-dbp-stage-1': 'fired' });
  // Blood pressure left blank is imputed for the model, but the rules do not use a guess.
  await page.fill('#f-bp', '');
  await page.locator('[data-rule="acc-aha-dbp-stage-1"][data-status="unchecked"]').waitFor();
  assert.match(await page.locator('[data-rule="acc-aha-dbp-stage-1"]').textContent(), /Could not be checked; missing: Diastolic blood pressure/);
  check();
  await context.close();
});
