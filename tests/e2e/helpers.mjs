// Shared set-up for the browser tests: our own server on a free port, Debian's Chromium via
// playwright-core, and a recorder that fails a test on any request that is not one of our own
// static files (or on any uncaught page error).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'target', 'release', 'bedside');
export const ARTIFACTS = join(ROOT, 'test-results');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Start `bedside serve --port 0` on `root` and resolve with { url, origin, stop }. */
export function startServer(root = ROOT) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['serve', '--port', '0', '--root', root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/[\d.]+:\d+\/www\//);
      if (m) {
        clearTimeout(timer);
        const url = m[0];
        resolve({ url, origin: new URL(url).origin, stop: () => proc.kill() });
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

export async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * A fresh page that records every request. `check()` asserts that each one went to our own
 * origin and to one of our static directories, and that the page threw nothing, broke no
 * Content-Security-Policy rule and did not panic.
 */
export async function recordedPage(browser, origin, viewport = { width: 1200, height: 1000 }, { serviceWorkers = 'block', others = [] } = {}) {
  // The service worker is blocked except where a test is about it (offline.test.mjs): it would
  // answer requests before `page.route` could see them.
  const context = await browser.newContext({ viewport, serviceWorkers });
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(e.message));
  // A blocked request or inline code shows up as a Content-Security-Policy console error; a
  // Rust panic as the panic hook's "Bedside: … panicked". Either fails the test.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|panicked/.test(m.text())) errors.push(m.text());
  });
  const check = () => {
    const foreign = requests.filter((u) => {
      if (u.startsWith('data:')) return false;
      const url = new URL(u);
      // `others`: origins a test also allows (an EHR launch's record system).
      if (others.includes(url.origin)) return false;
      return url.origin !== origin || !/^\/(www|pkg|static)\//.test(url.pathname);
    });
    assert.deepEqual(foreign, [], `requests that are not our own static files: ${foreign.join(', ')}`);
    assert.deepEqual(errors, [], `uncaught page errors: ${errors.join('; ')}`);
    assert.ok(requests.length > 0, 'no requests were recorded at all');
  };
  return { page, context, requests, check };
}

/** Rows of a CSV with a header, as objects of strings. */
export function readCsv(path) {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

/** What `bedside assess` prints for this patient. */
export function cliAssess(bundle, patient) {
  const out = execFileSync(BIN, ['assess', '--bundle', bundle, '--patient', '-'], { input: JSON.stringify(patient) });
  return JSON.parse(out.toString());
}

/**
 * For a test file: our server and one browser, started before its tests and stopped after.
 * Returns `{ server, browser }`, filled in once the `before` hook has run.
 */
export function serveAndLaunch() {
  const env = {};
  before(async () => {
    env.server = await startServer();
    env.browser = await launch();
  });
  after(async () => {
    await env.browser?.close();
    env.server?.stop();
  });
  return env;
}

/** What `bedside suggest` prints for this patient (treatment options and rules). */
export function cliSuggest(bundle, patient) {
  const out = execFileSync(BIN, ['suggest', '--bundle', bundle, '--patient', '-'], { input: JSON.stringify(patient) });
  return JSON.parse(out.toString());
}

/**
 * A portal page of another origin (a server of the test's own on a free loopback port; loopback,
 * since Chromium keeps public sites from framing loopback ones) that frames Bedside's iframe mode
 * once per entry of `frames` (`{ id, query(origin) }`) and records every message from each frame,
 * from the start, in `window.got[id]`. Resolves to `{ page, origin, errors, close }`.
 */
export async function framingPortal(browser, server, frames) {
  const embed = server.url.replace(/\/www\/$/, '/www/embed.html');
  let html = '';
  const host = createServer((req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(html));
  await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${host.address().port}`;
  const ids = JSON.stringify(frames.map((f) => f.id));
  html = `<!doctype html><title>portal</title>
    <script>window.got = Object.fromEntries(${ids}.map((id) => [id, []]));
      addEventListener('message', (e) => { for (const id of Object.keys(got)) if (e.source === document.getElementById(id)?.contentWindow) got[id].push(e.data); });</script>
    ${frames.map((f) => `<iframe id="${f.id}" src="${embed}?${f.query(origin)}" width="900" height="600"></iframe>`).join('\n')}`;
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/host.html`);
  return { page, origin, errors, close: async () => { await context.close(); host.close(); } };
}
