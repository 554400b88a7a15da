// Layout, in Debian Chromium: Bedside is laid out by the width of its own box (CSS container
// queries on the app's root), so it fits wherever it is put. With a real patient on screen
// (an indo_rct trial patient with its treatment panel, a pima patient from a FHIR Bundle with
// its import report and a long patient banner, the model card open), nothing scrolls sideways:
// the sample portal at 1280×800, a widget in a 360 px column of a host page (every view), the
// standalone app on a 390×844 phone, and the portal on that phone (a todo until the portal's
// own stylesheet stacks its columns: see below). The standalone app keeps its two panels
// side by side at 1200 px and has one column at 390 px. Long hashes and FHIR references wrap;
// wide tables scroll inside their own box. Each case is saved as a screenshot in test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, readCsv } from './helpers.mjs';

const env = serveAndLaunch();
const MAN_FILE = join(ROOT, 'data', 'fhir', 'fhiry_afhir_bundle.json');
const MAN = JSON.parse(readFileSync(MAN_FILE, 'utf8'));
const PIMA_PATIENT = { npreg: 6, glu: 148, bp: 72, skin: 35, bmi: 33.6, ped: 0.627, age: 50 };
/** A real indo_rct patient (row 1 of the trial's data), as a host would pass it. */
function trialPatient() {
  const row = readCsv(join(ROOT, 'data', 'indo_rct.csv'))[0];
  return { age: Number(row.age), gender: row.gender, risk: Number(row.risk), sod: row.sod, pep: row.pep,
    recpanc: row.recpanc, psphinc: row.psphinc, difcan: row.difcan, pdstent: row.pdstent };
}
const PHONE = { width: 390, height: 844 };
const portalUrl = () => env.server.url.replace(/\/www\/$/, '/www/portal.html');

/**
 * How wide the page is against the window, and each widget host's content against its box;
 * with what sticks out past the window (in the page and in every shadow root; what is inside
 * a box that scrolls on its own is left out), to name it when an assertion fails.
 */
function measure(page, hosts = []) {
  return page.evaluate((hosts) => {
    const W = window.innerWidth;
    const roots = [document, ...[...document.querySelectorAll('*')].filter((e) => e.shadowRoot).map((e) => e.shadowRoot)];
    const scrollsOnItsOwn = (el) => {
      for (let p = el.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== 'visible') return true;
      return false;
    };
    const outside = [];
    for (const root of roots) {
      for (const el of root.querySelectorAll('*')) {
        const b = el.getBoundingClientRect();
        if (b.width > 0 && b.right > W + 0.5 && !scrollsOnItsOwn(el)) {
          outside.push(`${el.localName}${el.id ? `#${el.id}` : ''}${[...el.classList].map((c) => `.${c}`).join('')} (${Math.round(b.left)}–${Math.round(b.right)} px)`);
        }
      }
    }
    return {
      page: document.documentElement.scrollWidth,
      window: W,
      // The root's own width: narrower than the window by a reserved scrollbar gutter, which
      // would otherwise hide an overflow of up to its width.
      root: document.documentElement.getBoundingClientRect().width,
      hosts: hosts.map((sel) => {
        const h = document.querySelector(sel);
        return { sel, scroll: h.scrollWidth, client: h.clientWidth };
      }),
      outside: outside.slice(0, 8),
    };
  }, hosts);
}

/** The page does not scroll sideways, and no widget is wider than its host. */
async function assertFits(page, label, hosts = []) {
  const m = await measure(page, hosts);
  console.log(`${label}: page ${m.page} px in a ${m.window} px window (root ${m.root} px)${m.hosts.map((h) => `; ${h.sel} ${h.scroll}/${h.client} px`).join('')}`);
  assert.ok(m.page <= m.window, `${label}: the page is ${m.page} px wide in a ${m.window} px window; past the edge: ${m.outside.join(', ')}`);
  assert.ok(m.page <= Math.ceil(m.root), `${label}: the page is ${m.page} px wide, its root ${m.root} px; past the edge: ${m.outside.join(', ')}`);
  for (const h of m.hosts) {
    assert.ok(h.scroll <= h.client, `${label}: ${h.sel} holds ${h.scroll} px of content in ${h.client} px; past the window: ${m.outside.join(', ')}`);
  }
  return m;
}

/** `inner` lies within `outer`, horizontally (both selectors; they pierce shadow roots). */
async function assertWithin(page, inner, outer, label) {
  const [a, b] = await Promise.all([inner, outer].map((s) => page.locator(s).first().boundingBox()));
  assert.ok(a && b, `${label}: ${inner} and ${outer} are on screen`);
  assert.ok(a.x >= b.x - 0.5 && a.x + a.width <= b.x + b.width + 0.5,
    `${label}: ${inner} (${Math.round(a.x)}–${Math.round(a.x + a.width)} px) is not within ${outer} (${Math.round(b.x)}–${Math.round(b.x + b.width)} px)`);
}

/** The number of columns of the `.panels` grid under `scope` ('' for the page). */
function panelColumns(page, scope = '') {
  return page.locator(`${scope} .panels`.trim()).first()
    .evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
}

/** The portal with both widgets filled: pima from the portal's chart, then from a FHIR Bundle; indo_rct with a trial patient. */
async function fillPortal(page) {
  await page.goto(portalUrl());
  await page.locator('#w-diabetes #f-glu').waitFor();
  await page.locator('#w-ercp #f-age').waitFor();
  await page.click('#send-patient');
  await page.locator('#w-diabetes .prob').first().waitFor();
  await page.evaluate((b) => document.getElementById('w-diabetes').setPatient(b), MAN);
  await page.locator('#w-diabetes #fhir-report').waitFor();
  await page.evaluate((p) => document.getElementById('w-ercp').setPatient(p), trialPatient());
  await page.locator('#w-ercp #treatment-options > li').first().waitFor();
  await page.locator('#w-ercp #model-card summary').click();
  await page.locator('#w-ercp #card-metrics').waitFor();
}

test('the sample portal at 1280×800: both widgets fit their column, the page does not scroll sideways', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin, { width: 1280, height: 800 });
  await fillPortal(page);
  assert.match(await page.locator('#w-diabetes #patient-banner').getAttribute('data-subject'), /^Patient\//);
  await assertFits(page, 'portal 1280', ['#w-diabetes', '#w-ercp']);
  // Two panels side by side in a ~940 px widget.
  assert.equal(await panelColumns(page, '#w-diabetes'), 2);
  await assertWithin(page, '#w-diabetes #basis .hash', '#w-diabetes #basis', 'portal 1280');
  await page.screenshot({ path: join(ARTIFACTS, 'layout-portal-1280.png') });
  await page.locator('#w-ercp').screenshot({ path: join(ARTIFACTS, 'layout-portal-1280-ercp.png') });
  check();
  await context.close();
});

test('a widget in a 360 px column of a host page: one column, every view fits, hashes and FHIR references wrap, tables scroll in their own box', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin, { width: 1280, height: 800 });
  await page.goto(portalUrl());
  await page.locator('#w-diabetes #f-glu').waitFor();
  // The host page's narrow column (styled through the CSSOM: the portal's CSP allows no inline
  // style), holding two widgets mounted with mount().
  await page.evaluate(async () => {
    const column = document.createElement('aside');
    column.id = 'column';
    Object.assign(column.style, { width: '360px', margin: '1rem', border: '1px solid #999' });
    document.body.prepend(column);
    const { mount } = await import('./widget.js');
    for (const [id, bundle] of [['w-col-ercp', 'indo_rct.bdsx'], ['w-col-pima', 'pima.bdsx']]) {
      const el = document.createElement('div');
      el.id = id;
      column.append(el);
      window[`handle_${id}`] = await mount(el, { bundle, lang: 'en' });
    }
  });
  const hosts = ['#w-col-ercp', '#w-col-pima'];
  await page.locator('#w-col-ercp #f-age').waitFor();
  await page.locator('#w-col-pima #f-glu').waitFor();
  await page.evaluate((p) => window['handle_w-col-ercp'].setPatient(p), trialPatient());
  await page.locator('#w-col-ercp #treatment-options > li').first().waitFor();
  await page.evaluate((b) => window['handle_w-col-pima'].setPatient(b), MAN);
  await page.locator('#w-col-pima #fhir-report').waitFor();
  // The clinician completes what the record could not give: an estimate with its explanation.
  for (const k of ['npreg', 'glu', 'ped']) await page.fill(`#w-col-pima #f-${k}`, String(PIMA_PATIENT[k]));
  await page.locator('#w-col-pima .prob').first().waitFor();
  await page.locator('#w-col-pima #fhir-report details summary').first().click();
  await page.locator('#w-col-ercp #model-card summary').click();
  await page.locator('#w-col-ercp #card-metrics').waitFor();
  await assertFits(page, '360 px column, assess', hosts);
  for (const id of hosts) assert.equal(await panelColumns(page, id), 1, `${id}: one column`);
  // The bundle's SHA-256 and the FHIR reference in the banner wrap inside their boxes.
  await assertWithin(page, '#w-col-pima #basis .hash', '#w-col-pima #basis', '360 px column');
  await assertWithin(page, '#w-col-pima #patient-banner', '#w-col-pima', '360 px column');
  assert.match(await page.locator('#w-col-pima #patient-banner').getAttribute('data-subject'), /^Patient\//);
  await assertWithin(page, '#w-col-ercp #treatment', '#w-col-ercp', '360 px column');
  // The model card's metrics table scrolls inside its wrapper, not the page.
  await assertWithin(page, '#w-col-ercp #card-metrics >> xpath=..', '#w-col-ercp', '360 px column');
  assert.equal(await page.locator('#w-col-ercp #card-metrics >> xpath=..').evaluate((el) => getComputedStyle(el).overflowX), 'auto');
  await page.locator('#w-col-ercp').screenshot({ path: join(ARTIFACTS, 'layout-column-360-ercp.png') });
  await page.locator('#w-col-pima').screenshot({ path: join(ARTIFACTS, 'layout-column-360-pima.png') });

  // Teach: the library table scrolls inside its own box.
  await page.click('#w-col-pima #tab-teach');
  await page.locator('#w-col-pima #library-table').waitFor();
  await assertFits(page, '360 px column, teach', hosts);
  const wrap = page.locator('#w-col-pima #library-table >> xpath=..');
  assert.equal(await wrap.evaluate((el) => getComputedStyle(el).overflowX), 'auto');
  assert.ok(await wrap.evaluate((el) => el.scrollWidth > el.clientWidth), 'the library is wider than the column: it scrolls in its box');
  await assertWithin(page, '#w-col-pima #library-table >> xpath=..', '#w-col-pima', '360 px column, teach');
  await page.locator('#w-col-pima').screenshot({ path: join(ARTIFACTS, 'layout-column-360-teach.png') });
  // Health check.
  await page.click('#w-col-pima #tab-health');
  await page.locator('#w-col-pima #health').waitFor();
  await page.click('#w-col-ercp #tab-health');
  await page.locator('#w-col-ercp #health').waitFor();
  await assertFits(page, '360 px column, health', hosts);
  await page.locator('#w-col-pima').screenshot({ path: join(ARTIFACTS, 'layout-column-360-health.png') });
  check();
  await context.close();
});

// The portal's own grid (www/portal.css) is one column below 700 px, so its widgets get the
// phone's width; Bedside lays itself out by that width.
test('the sample portal on a 390×844 phone: the page does not scroll sideways', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin, PHONE);
  await fillPortal(page);
  await page.screenshot({ path: join(ARTIFACTS, 'layout-portal-390.png') });
  await assertFits(page, 'portal 390', ['#w-diabetes', '#w-ercp']);
  check();
  await context.close();
});

test('the standalone app on a 390×844 phone: one column, every view fits', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin, PHONE);
  await page.goto(`${env.server.url}?bundle=indo_rct.bdsx&example=0`);
  await page.locator('#treatment-options > li').first().waitFor();
  await page.locator('#model-card summary').click();
  await page.locator('#card-metrics').waitFor();
  await assertFits(page, 'app 390, indo_rct');
  assert.equal(await panelColumns(page), 1);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, 'layout-app-390.png') });
  await page.locator('#treatment').screenshot({ path: join(ARTIFACTS, 'layout-app-390-treatment.png') });

  // pima from a FHIR Bundle: the import report and a long banner; the hash wraps.
  await page.goto(`${env.server.url}?bundle=pima.bdsx&example=0`);
  await page.locator('.prob').first().waitFor();
  await page.setInputFiles('#fhir-file', MAN_FILE);
  await page.locator('#fhir-report').waitFor();
  await page.locator('#fhir-report details summary').first().click();
  for (const [k, v] of Object.entries(PIMA_PATIENT)) if (!(await page.inputValue(`#f-${k}`))) await page.fill(`#f-${k}`, String(v));
  await page.locator('.prob').first().waitFor();
  await page.locator('#model-card summary').click();
  await assertFits(page, 'app 390, pima from FHIR');
  await assertWithin(page, '#basis .hash', '#basis', 'app 390');
  await assertWithin(page, '#patient-banner', '#bedside-app', 'app 390');
  await page.locator('#basis').screenshot({ path: join(ARTIFACTS, 'layout-app-390-basis.png') });
  await page.click('#tab-teach');
  await page.locator('#library-table').waitFor();
  await assertFits(page, 'app 390, teach');
  await page.click('#tab-health');
  await page.locator('#health').waitFor();
  await assertFits(page, 'app 390, health');
  await page.screenshot({ path: join(ARTIFACTS, 'layout-app-390-health.png') });
  check();
  await context.close();
});

test('the standalone app at 1200 px: the two panels side by side, nothing wider than the window', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin, { width: 1200, height: 900 });
  await page.goto(`${env.server.url}?bundle=indo_rct.bdsx&example=0`);
  await page.locator('#treatment-options > li').first().waitFor();
  await page.locator('#model-card summary').click();
  await assertFits(page, 'app 1200');
  assert.equal(await panelColumns(page), 2, 'two panels side by side');
  const [form, side] = await Promise.all(['.panels > .form', '.panels > .side'].map((s) => page.locator(s).boundingBox()));
  assert.ok(side.x >= form.x + form.width && Math.abs(side.y - form.y) < 1, 'the estimate is beside the form');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, 'layout-app-1200.png') });
  check();
  await context.close();
});
