// Signed bundles in Debian Chromium: the app (built-in key, policy require), the widget (keys
// and policy from the host page) and the headless `Engine.open`, each with a genuine bundle and
// with a tampered, truncated, wrong-version, unsigned and stranger-signed one. Every refusal must
// say which check failed and why. Altered bundles are served by `page.route` at the genuine
// bundle's own URL, so the page sees exactly what a compromised server would send.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, BIN, ARTIFACTS, serveAndLaunch, recordedPage } from './helpers.mjs';

const env = serveAndLaunch();
const PIMA = readFileSync(join(ROOT, 'static', 'bundles', 'pima.bdsx'));
const DEV_KEY = readFileSync(join(ROOT, 'target', 'keys', 'dev.pub'), 'utf8').trim();
const DEV_ID = DEV_KEY.slice(0, 16);
const HEADER = 44;
const payloadLen = (b) => b.readUInt32LE(8);
const unsigned = PIMA.subarray(0, HEADER + payloadLen(PIMA));

// A second key, not trusted by the build, and the bundle signed with it.
const other = {};
before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'bedside-sig-'));
  execFileSync(BIN, ['keygen', '--out', join(dir, 'other')]);
  writeFileSync(join(dir, 'pima.bdsx'), PIMA);
  execFileSync(BIN, ['sign', '--key', join(dir, 'other.key'), join(dir, 'pima.bdsx')]);
  other.key = readFileSync(join(dir, 'other.pub'), 'utf8').trim();
  other.bundle = readFileSync(join(dir, 'pima.bdsx'));
});

/** The genuine signed bundle with one payload byte changed and the header hash recomputed:
 * only the signature can tell. */
function tampered() {
  const b = Buffer.from(PIMA);
  b[HEADER + 200] ^= 0x01;
  createHash('sha256').update(b.subarray(HEADER, HEADER + payloadLen(b))).digest().copy(b, 12);
  return b;
}

const CASES = [
  ['genuine', () => PIMA, null],
  ['tampered', tampered, `bundle signature by trusted key ${DEV_ID}… does not verify: the file was changed after it was signed`],
  ['truncated', () => PIMA.subarray(0, 20000), `bundle is truncated: 20000 bytes, expected ${HEADER + payloadLen(PIMA)}`],
  ['signature cut', () => PIMA.subarray(0, PIMA.length - 30), 'signature: the signature block is 70 bytes, expected 100: the file was cut short or extended after signing'],
  ['wrong version', () => { const b = Buffer.from(PIMA); b.writeUInt16LE(4, 4); return b; }, 'bundle format version 4 is not supported; this build reads version 12'],
  ['unsigned', () => unsigned, 'bundle is not signed, and only bundles signed by a trusted key are accepted (policy: require)'],
  ['stranger', () => other.bundle, () => `bundle is signed by key ${other.key.slice(0, 16)}…, which is not a trusted key (policy: require)`],
];

test('the app checks every bundle against its built-in key (policy require) and names each refusal', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  for (const [name, bytes, expected] of CASES) {
    await page.route('**/static/bundles/pima.bdsx', (route) => route.fulfill({ body: bytes(), contentType: 'application/octet-stream' }));
    await page.goto(`${env.server.url}?bundle=pima.bdsx`);
    if (expected === null) {
      await page.locator('#signature').waitFor();
      assert.equal(await page.locator('#signature').textContent(), `verified, signed by trusted key ${DEV_ID}…`);
      assert.equal(await page.locator('#signature-warning').count(), 0);
    } else {
      const want = typeof expected === 'function' ? expected() : expected;
      await page.locator('#bundle-error').waitFor();
      assert.equal(await page.locator('#bundle-error').textContent(), `The model could not be loaded: ${want}`, name);
      assert.equal(await page.locator('#f-glu').count(), 0, `${name}: no form for a refused bundle`);
    }
    await page.unroute('**/static/bundles/pima.bdsx');
  }
  // In 中文 too.
  await page.route('**/static/bundles/pima.bdsx', (route) => route.fulfill({ body: tampered() }));
  await page.goto(`${env.server.url}?bundle=pima.bdsx&lang=zh`);
  await page.locator('#bundle-error').waitFor();
  assert.match(await page.locator('#bundle-error').textContent(), new RegExp(`受信任密钥 ${DEV_ID}… 的签名验证失败：文件在签名后被改动过`));
  check();
  await context.close();
});

/** A host page on our own origin (served by `page.route`) with one widget. */
async function widgetPage(attrs) {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  const html = `<!doctype html><meta charset="utf-8"><script type="module" src="widget.js"></script>
    <bedside-widget id="w" bundle="pima.bdsx" ${attrs}></bedside-widget>`;
  await page.route('**/www/signed-host.html', (route) => route.fulfill({ body: html, contentType: 'text/html' }));
  await page.goto(`${env.server.url}signed-host.html`);
  return { page, context, check };
}

test('the widget takes trusted keys and the policy from its host page', async () => {
  // warn: an unsigned bundle is used, with a visible warning on every view.
  let { page, context, check } = await widgetPage('signature-policy="warn"');
  await page.route('**/static/bundles/pima.bdsx', (route) => route.fulfill({ body: unsigned }));
  await page.reload();
  await page.locator('#w #signature-warning').waitFor();
  assert.equal(await page.locator('#w #signature-warning').textContent(), 'Warning: this model is not signed; its origin cannot be checked.');
  await page.locator('#w #f-glu').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'signature-warn.png') });
  // …but a signature that does not verify is refused under warn as well.
  await page.unroute('**/static/bundles/pima.bdsx');
  await page.route('**/static/bundles/pima.bdsx', (route) => route.fulfill({ body: tampered() }));
  await page.reload();
  await page.locator('#w #bundle-error').waitFor();
  assert.match(await page.locator('#w #bundle-error').textContent(), /does not verify: the file was changed after it was signed/);
  check();
  await context.close();

  // A host that trusts the other key: the stranger's bundle is verified by it.
  ({ page, context, check } = await widgetPage(`trusted-keys="${other.key}" signature-policy="require"`));
  await page.route('**/static/bundles/pima.bdsx', (route) => route.fulfill({ body: other.bundle }));
  await page.reload();
  await page.locator('#w #signature').waitFor();
  assert.equal(await page.locator('#w #signature').textContent(), `verified, signed by trusted key ${other.key.slice(0, 16)}…`);
  check();
  await context.close();

  // off: nothing is checked, and the basis says so.
  ({ page, context, check } = await widgetPage('signature-policy="off"'));
  await page.route('**/static/bundles/pima.bdsx', (route) => route.fulfill({ body: other.bundle }));
  await page.reload();
  await page.locator('#w #signature').waitFor();
  assert.equal(await page.locator('#w #signature').textContent(), 'not checked (signature policy: off)');
  check();
  await context.close();

  // A host's bad setting is refused at once, with the reason.
  ({ page, context, check } = await widgetPage(''));
  const errors = await page.evaluate(async () => {
    const { mount } = await import('./widget.js');
    const out = [];
    for (const options of [{ signaturePolicy: 'maybe' }, { trustedKeys: 'abc' }, { trustedKeys: [42] }]) {
      const el = document.createElement('div');
      document.body.append(el);
      try { await mount(el, { bundle: 'pima.bdsx', ...options }); out.push('mounted'); } catch (e) { out.push(e.message); }
    }
    return out;
  });
  assert.deepEqual(errors, [
    'mount: signature: signature policy `maybe` is not one of require, warn, off',
    'mount: signature: `abc` is not an Ed25519 public key (64 hex digits)',
    'mount: signature: trustedKeys must hold strings of hex',
  ]);
  check();
  await context.close();
});

test('Engine.open (UI build) and signedMessage + openChecked (headless build) check signatures', async () => {
  const { page, context, check } = await recordedPage(env.browser, env.server.origin);
  await page.goto(`${env.server.url}?bundle=none`);
  const b64 = (b) => Buffer.from(b).toString('base64');
  const results = await page.evaluate(async ([signed, bad, plain, strangerKey, stranger]) => {
    const widget = await import('../pkg/bedside.js');
    await widget.default();
    const lean = await import('../pkg/engine/bedside_engine.js');
    await lean.default();
    const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    // The headless build's two steps, with the browser's Ed25519.
    const openLean = async (b, options) => {
      const m = lean.Engine.signedMessage(b, options);
      let ok = false;
      if (m) {
        const key = await crypto.subtle.importKey('raw', m.key, { name: 'Ed25519' }, false, ['verify']);
        ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, m.signature, m.message);
      }
      return lean.Engine.openChecked(b, options, ok);
    };
    const out = [];
    for (const open of [(b, o) => widget.Engine.open(b, o), openLean]) {
      const tryOpen = async (b, options) => {
        try { return (await open(bytes(b), options)).provenance(); } catch (e) { return `error: ${e.message}`; }
      };
      out.push([
        await tryOpen(signed, {}),
        await tryOpen(bad, {}),
        await tryOpen(plain, {}),
        await tryOpen(plain, { signaturePolicy: 'warn' }),
        await tryOpen(stranger, { trustedKeys: [strangerKey] }),
        await tryOpen(stranger, { signaturePolicy: 'warn' }),
      ]);
    }
    out.push(new lean.Engine(bytes(plain)).provenance());
    return out;
  }, [b64(PIMA), b64(tampered()), b64(unsigned), other.key, b64(other.bundle)]);
  const want = [
    `verified:${DEV_ID}`,
    `error: bundle signature by trusted key ${DEV_ID}… does not verify: the file was changed after it was signed`,
    'error: bundle is not signed, and only bundles signed by a trusted key are accepted (policy: require)',
    'unsigned',
    `verified:${other.key.slice(0, 16)}`,
    `unknown-signer:${other.key.slice(0, 16)}`,
  ];
  assert.deepEqual(results, [want, want, 'not-checked']);
  check();
  await context.close();
});
