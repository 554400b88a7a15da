// Offline and updates, in Debian Chromium: after one visit the app and every shipped bundle
// work with the network off (the service worker's precache), the web app manifest is served,
// and a new version is offered with a visible prompt instead of being swapped in silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, ARTIFACTS, serveAndLaunch, recordedPage, startServer } from './helpers.mjs';

const env = serveAndLaunch();

/** Wait until the service worker has precached everything and controls the page. */
async function controlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
}

/** The precache version of the worker controlling the page. */
function version(page) {
  return page.evaluate(() => new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('message', (e) => resolve(e.data.version), { once: true });
    navigator.serviceWorker.controller.postMessage({ type: 'bedside:version' });
  }));
}

test('after one visit the app and every bundle work with the network off', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin, undefined, { serviceWorkers: 'allow' });
  await page.goto(`${env.server.url}?bundle=pima.bdsx`);
  await page.locator('#f-glu').waitFor();
  await controlled(page);
  const manifest = await page.evaluate(async () => (await fetch(document.querySelector('link[rel=manifest]').href)).json());
  assert.equal(manifest.short_name, 'Bedside');
  assert.equal(manifest.start_url, './');

  await context.setOffline(true);
  try {
    // Proof that the network really is off: a file that was never cached cannot be fetched.
    const uncached = await page.evaluate(() => fetch('/www/not-cached.txt').then(() => 'fetched', () => 'failed'));
    assert.equal(uncached, 'failed');
    await page.reload();
    await page.locator('#f-glu').waitFor();
    const patient = { npreg: 6, glu: 148, bp: 72, skin: 35, bmi: 33.6, ped: 0.627, age: 50 };
    for (const [k, v] of Object.entries(patient)) await page.fill(`#f-${k}`, String(v));
    await page.locator('.prob').first().waitFor();
    // The FHIR import runs offline too (it is part of the UI build the worker precached).
    await page.setInputFiles('#fhir-file', join(ROOT, 'data', 'fhir', 'fhiry_afhir_bundle.json'));
    await page.locator('#fhir-report').waitFor();
    // The health check too, and a restart after a trap (the module re-imported from the cache).
    await page.click('#tab-health');
    await page.locator('#health').waitFor();
    await page.click('#tab-assess');
    const fields = () => page.$$eval('#bedside-app input[id^="f-"]', (els) => els.map((e) => [e.id, e.value]));
    const typed = await fields();
    await page.evaluate(() => window.dispatchEvent(new ErrorEvent('error', { error: new WebAssembly.RuntimeError('unreachable') })));
    await page.click('#bedside-restart');
    await page.locator('#bedside-fatal').waitFor({ state: 'hidden' });
    await page.waitForFunction((want) => want.every(([id, v]) => document.getElementById(id)?.value === v), typed);
    // A bundle this page never opened online, with one of its real examples.
    await page.goto(`${env.server.url}?bundle=wdbc.bdsx&example=0`);
    await page.locator('.prob').first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'offline-wdbc.png') });
    for (const bundle of ['biopsy', 'colon', 'gbsg', 'indo_rct']) {
      await page.goto(`${env.server.url}?bundle=${bundle}.bdsx&example=0`);
      await page.locator('.prob').first().waitFor();
    }
  } finally {
    await context.setOffline(false);
  }
  check();
  await context.close();
});

test('a new version is offered with a prompt, and only taken when the user accepts', async () => {
  // A site of our own whose precache list this test can change: the real www/ and static/
  // (linked whole: a served directory may itself be a link) and a copy of pkg/ (the server
  // refuses links inside a served directory that lead out of it).
  const root = mkdtempSync(join(tmpdir(), 'bedside-update-'));
  symlinkSync(join(ROOT, 'www'), join(root, 'www'));
  symlinkSync(join(ROOT, 'static'), join(root, 'static'));
  mkdirSync(join(root, 'pkg'));
  for (const f of readdirSync(join(ROOT, 'pkg'))) {
    if (f !== 'precache.js') cpSync(join(ROOT, 'pkg', f), join(root, 'pkg', f), { recursive: true });
  }
  const precache = readFileSync(join(ROOT, 'pkg', 'precache.js'), 'utf8');
  writeFileSync(join(root, 'pkg', 'precache.js'), precache);
  const server = await startServer(root);
  const { page, context, check } = await recordedPage(env.browser, server.origin, undefined, { serviceWorkers: 'allow' });
  try {
    await page.goto(`${server.url}?bundle=pima.bdsx`);
    await page.locator('#f-glu').waitFor();
    await controlled(page);
    const first = await version(page);
    assert.match(first, /^[0-9a-f]{16}$/);
    assert.equal(await page.locator('#bedside-update').isVisible(), false);

    // A new build: a changed precache version.
    writeFileSync(join(root, 'pkg', 'precache.js'), precache.replace(first, 'next-version'));
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
    const banner = page.locator('#bedside-update');
    await banner.waitFor({ state: 'visible' });
    assert.match(await banner.textContent(), /A new version of Bedside is available/);
    await page.screenshot({ path: join(ARTIFACTS, 'update-prompt.png') });
    // Waiting, not swapped: the page is still served by the old version.
    assert.equal(await version(page), first);

    await Promise.all([page.waitForEvent('load'), banner.locator('button').click()]);
    await page.locator('#f-glu').waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    assert.equal(await version(page), 'next-version');
    assert.equal(await page.locator('#bedside-update').isVisible(), false);
    check();
  } finally {
    await context.close();
    server.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
