// Accessibility and print, in Debian Chromium: axe-core finds no serious or critical WCAG 2.x
// A/AA violation (colour contrast included) on any view, in either language; the whole flow
// works from the keyboard alone; each new estimate is announced through a live region; and the
// assessment prints as one page with the inputs, the estimate, its explanation and its basis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage } from './helpers.mjs';

const env = serveAndLaunch();
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Run axe on the page as it is; fail on any serious or critical violation, naming it. */
async function audit(page, view) {
  const result = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  const minor = result.violations.filter((v) => v.impact !== 'serious' && v.impact !== 'critical');
  if (minor.length) console.log(`${view}: ${minor.map((v) => `${v.id} (${v.impact})`).join(', ')}`);
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(bad, [], `${view}: ${bad.join('\n')}`);
  assert.ok(result.passes.length > 10, `${view}: axe ran its checks`);
}

test('no serious or critical axe violations on any view, in English and 简体中文', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  // The audit can fail: an input without a label on the same page is caught.
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { id: 'axe-control' })));
  const control = await new AxeBuilder({ page }).withTags(TAGS).analyze();
  assert.ok(control.violations.some((v) => v.id === 'label' && v.impact === 'critical'), 'axe flags an unlabelled input');
  for (const lang of ['en', 'zh']) {
    const q = lang === 'zh' ? '&lang=zh' : '';
    // Assess: a real example, its estimate, explanation, flags, similar cases; the model card open.
    await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0${q}`);
    await page.locator('.prob').first().waitFor();
    await page.locator('#model-card summary').click();
    await audit(page, `${lang} assess (pima, example)`);
    // A field error.
    await page.fill('#f-glu', '900');
    await page.locator('[data-field="glu"] .field-error').waitFor();
    await audit(page, `${lang} assess with a field error`);
    // SI units and the health check.
    await page.click('#units-toggle');
    await page.click('#tab-health');
    await page.locator('#health').waitFor();
    await audit(page, `${lang} health check`);
    // Teach: browse the library, open a case, start the quiz.
    await page.click('#tab-teach');
    await page.locator('#browse').waitFor();
    await audit(page, `${lang} teach`);
    // The data team's page (www/validate.html): a labelled CSV's figures, charts, tables and
    // the recalibrated model.
    await page.goto(`${env.server.url}validate.html?bundle=pima.bdsx${q}`);
    await page.setInputFiles('#validate-file', join(ROOT, 'data', 'pima_te.csv'));
    await page.locator('#validate-summary').waitFor();
    await page.click('#validate-recalibrate');
    await page.locator('#validate-after').waitFor();
    await audit(page, `${lang} validate page`);
    // FHIR import report.
    await page.click('#tab-assess');
    await page.setInputFiles('#fhir-file', join(ROOT, 'data', 'fhir', 'fhiry_afhir_bundle.json'));
    await page.locator('#fhir-report').waitFor();
    await page.locator('#fhir-report details summary').click();
    await audit(page, `${lang} FHIR import report`);
    // A randomized trial: the treatment panel and the case map.
    await page.goto(`${env.server.url}?bundle=indo_rct.bdsx&example=0${q}`);
    await page.locator('#treatment .option').first().waitFor();
    await audit(page, `${lang} treatment panel (indo_rct)`);
    await page.goto(`${env.server.url}?bundle=wdbc.bdsx&example=0${q}`);
    await page.locator('.prob').first().waitFor();
    await audit(page, `${lang} 30-feature form (wdbc)`);
  }
  check();
  await context.close();
});

/** Press Tab until `selector` has the focus (at most `max` times). */
async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  assert.fail(`${selector} was not reachable with Tab`);
}

test('the whole flow by keyboard alone, with each estimate announced', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  const live = page.locator('#announce');
  assert.equal(await live.getAttribute('aria-live'), 'polite');
  assert.equal((await live.textContent()).trim(), '');
  // Choose another model and back with the keyboard.
  await tabTo(page, '#bundle-select');
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('#bundle-select').value !== 'pima.bdsx');
  await page.keyboard.press('ArrowUp');
  await page.locator('#f-glu').waitFor();
  // Fill in every field by typing.
  const patient = { npreg: '6', glu: '148', bp: '72', skin: '35', bmi: '33.6', ped: '0.627', age: '50' };
  for (const [field, value] of Object.entries(patient)) {
    await tabTo(page, `#f-${field}`);
    await page.keyboard.type(value);
  }
  await page.locator('.prob').first().waitFor();
  await page.waitForFunction(() => document.querySelector('#announce').textContent.includes('%'));
  const first = await live.textContent();
  assert.match(first, /Diabetes/);
  // Change a value: the new estimate is announced.
  await tabTo(page, '#f-glu');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('100');
  await page.waitForFunction((before) => document.querySelector('#announce').textContent !== before, first);
  // Views by keyboard: the tabs are buttons.
  await tabTo(page, '#tab-health');
  await page.keyboard.press('Enter');
  await page.locator('#health').waitFor();
  await tabTo(page, '#tab-teach');
  await page.keyboard.press('Enter');
  await page.locator('#browse').waitFor();
  check();
  await context.close();
});

test('print: the assessment on one page, with inputs, estimate, explanation and basis', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0`);
  await page.locator('.prob').first().waitFor();
  await page.emulateMedia({ media: 'print' });
  const shown = (s) => page.locator(s).first().isVisible();
  for (const s of ['#f-glu', '.prob', '#explanation', '#basis', '#disclaimer']) assert.ok(await shown(s), `${s} is printed`);
  for (const s of ['#lang-toggle', '#bundle-select', '.tabs', '#example-select', '.fhir', '#library', '#model-card']) {
    assert.equal(await shown(s), false, `${s} is not printed`);
  }
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) || []).length;
  assert.equal(pages, 1, `the report prints on ${pages} pages`);
  await page.screenshot({ path: join(ARTIFACTS, 'print.png'), fullPage: true });
  check();
  await context.close();
});
