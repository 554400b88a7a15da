// pkg/ as an npm package, the way a portal would use it: `npm pack`, install the tarball into a
// fresh project, check what it contains and how Node resolves it, then serve that project (its
// own static server and its own copy of a bundle) and mount the widget from node_modules in
// Debian Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { ROOT, launch, cliAssess } from './helpers.mjs';

const PATIENT = { npreg: 6, glu: 148, bp: 72, skin: 35, bmi: 33.6, ped: 0.627, age: 50 };

test('the npm package installs into a portal project and its widget works from node_modules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-portal-'));
  try {
    const pack = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: join(ROOT, 'pkg') }).toString())[0];
    assert.equal(pack.name, 'bedside-cds');
    const files = pack.files.map((f) => f.path);
    for (const f of ['package.json', 'README.md', 'widget.js', 'widget.d.ts', 'style.css', 'bedside.js', 'bedside_bg.wasm', 'engine/bedside_engine.js', 'engine/bedside_engine.d.ts']) {
      assert.ok(files.includes(f), `${f} is in the package`);
    }
    assert.ok(files.some((f) => f.startsWith('snippets/')), 'the UI build\'s JS snippets are packed');
    assert.ok(!files.some((f) => f.endsWith('.bdsx') || f === 'main.js' || f === 'precache.js'), 'no bundles and not the standalone page\'s own files');
    assert.equal(files.filter((f) => f.endsWith('.wasm')).length, 2, 'one UI build and one lean engine');

    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'portal', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(dir, pack.filename)], { cwd: dir, stdio: 'ignore' });
    const resolved = execFileSync('node', ['--input-type=module', '-e',
      "console.log(import.meta.resolve('bedside-cds')); console.log(import.meta.resolve('bedside-cds/engine'))"], { cwd: dir }).toString().trim().split('\n');
    assert.match(resolved[0], /node_modules\/bedside-cds\/widget\.js$/);
    assert.match(resolved[1], /node_modules\/bedside-cds\/engine\/bedside_engine\.js$/);
    const types = readFileSync(join(dir, 'node_modules', 'bedside-cds', 'widget.d.ts'), 'utf8');
    assert.match(types, /export function mount\(element: HTMLElement, options: MountOptions\): Promise<WidgetHandle>/);

    // The portal serves its own files: the package, a bundle of its own, a page.
    mkdirSync(join(dir, 'models'));
    copyFileSync(join(ROOT, 'static', 'bundles', 'pima.bdsx'), join(dir, 'models', 'pima.bdsx'));
    writeFileSync(join(dir, 'index.html'), `<!doctype html><title>portal</title><div id="slot"></div>
      <script type="module">
        import { mount } from '/node_modules/bedside-cds/widget.js';
        window.handle = await mount(document.getElementById('slot'), { bundle: '/models/pima.bdsx', lang: 'en' });
      </script>`);
    const types_ = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
    const server = createServer((req, res) => {
      const file = join(dir, normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)));
      if (!file.startsWith(dir) || !existsSync(file)) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': types_[extname(file)] || 'application/octet-stream' }).end(readFileSync(file));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
      await page.locator('#slot #f-glu').waitFor();
      await page.evaluate((p) => window.handle.setPatient(p), PATIENT);
      await page.locator('#slot .prob').first().waitFor();
      const p = await page.evaluate(() => window.handle.assessment().probabilities[1].probability);
      assert.ok(Math.abs(p - cliAssess(join(ROOT, 'static', 'bundles', 'pima.bdsx'), PATIENT).probabilities[1].probability) <= 1e-12);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
