// Loads the WebAssembly app. Kept in its own file so the Content-Security-Policy needs no
// 'unsafe-inline'. The module mounts nothing by itself: `mountPage` puts the app into
// #bedside-app (the same build serves the widget, which must not mount a page app).
import init, { mountPage } from '../pkg/bedside.js';

// First paint first: the page's static header and disclaimer (www/index.html) are on screen
// before the 300 KB of WebAssembly and the model start to download, so a slow connection
// shows the page at once; then the module, the list of models and a bundle named in the URL
// download side by side (the app's own requests for them are served from these preloads).
// (A hidden tab paints nothing and runs no animation frames: it starts at once.)
const painted = new Promise((resolve) => (document.visibilityState === 'hidden'
  ? setTimeout(resolve, 0) : requestAnimationFrame(() => setTimeout(resolve, 0))));
const preload = (href, type) => {
  const link = document.createElement('link');
  link.rel = 'preload';
  link.as = 'fetch';
  link.crossOrigin = 'anonymous';
  if (type) link.type = type;
  link.href = href;
  document.head.append(link);
};
const bundle = new URLSearchParams(window.location.search).get('bundle');

const fatal = document.getElementById('bedside-fatal');
const started = painted.then(() => {
  preload('../static/bundles/index.json', 'application/json');
  if (bundle && /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.bdsx$/.test(bundle)) preload(`../static/bundles/${bundle}`);
  performance.mark('bedside:init-start');
  return init();
}).then(() => {
  performance.mark('bedside:init-done');
  mountPage();
});
started.catch((err) => {
  fatal.hidden = false;
  console.error('Bedside failed to start:', err);
});

// A panic in the WebAssembly (the Rust panic hook logs it and shows the notice) leaves the
// module trapped: the page stays, but the app no longer answers. Any trap shows the notice;
// "Restart" starts a fresh instance of the module in the same page and types back what the
// form held, so nothing entered is lost and nothing is written anywhere in between.
const trapped = (e) => e instanceof WebAssembly.RuntimeError;
window.addEventListener('error', (e) => { if (trapped(e.error)) fatal.hidden = false; });
window.addEventListener('unhandledrejection', (e) => { if (trapped(e.reason)) fatal.hidden = false; });
let restarts = 0;
document.getElementById('bedside-restart').addEventListener('click', async () => {
  const root = document.getElementById('bedside-app');
  // The model first (its form is what the values go back into), then the form's fields.
  const kept = [...root.querySelectorAll('#bundle-select, input[id^="f-"], select[id^="f-"]')]
    .filter((el) => el.value !== '')
    .map((el) => [el.id, el.value]);
  root.replaceChildren();
  root.removeAttribute('data-bedside-mounted');
  fatal.hidden = true;
  restarts += 1;
  // A new URL is a new module instance, with its own memory.
  const fresh = await import(`../pkg/bedside.js?restart=${restarts}`);
  await fresh.default();
  fresh.mountPage();
  for (const [id, value] of kept) {
    const el = await appear(root, `#${CSS.escape(id)}`);
    if (!el) continue;
    el.value = value;
    el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
  }
});
/** The element once the app has rendered it (or null after 10 s). */
function appear(root, selector) {
  return new Promise((resolve) => {
    const now = root.querySelector(selector);
    if (now) return resolve(now);
    const watch = new MutationObserver(() => {
      const el = root.querySelector(selector);
      if (el) { watch.disconnect(); resolve(el); }
    });
    watch.observe(root, { childList: true, subtree: true });
    setTimeout(() => { watch.disconnect(); resolve(root.querySelector(selector)); }, 10000);
  });
}

// Offline: the service worker (sw.js) caches the app and the bundles on the first visit. A new
// version waits until the user accepts it here; it is never swapped in silently.
if ('serviceWorker' in navigator) {
  let accepted = false;
  const banner = document.getElementById('bedside-update');
  const offer = (worker) => {
    banner.hidden = false;
    document.getElementById('bedside-update-reload').onclick = () => {
      accepted = true;
      worker.postMessage({ type: 'bedside:activate' });
    };
  };
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    // The first visit's worker also takes control; only an accepted update reloads.
    if (accepted) window.location.reload();
  });
  // Registered once the app is up and the page idle, so precaching every bundle never
  // competes with the first result for the network or the CPU.
  const register = () => navigator.serviceWorker.register('sw.js').then((reg) => {
    if (reg.waiting && navigator.serviceWorker.controller) offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      worker?.addEventListener('statechange', () => {
        if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
      });
    });
  }).catch((err) => console.warn('Bedside works online only: the offline cache could not be set up:', err));
  started.then(() => (window.requestIdleCallback || setTimeout)(register, { timeout: 3000 }));
}
