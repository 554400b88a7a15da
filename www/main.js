// Loads the WebAssembly app. Kept in its own file so the Content-Security-Policy needs no
// 'unsafe-inline'. The app mounts itself into #bedside-app when the module starts.
import init from '../pkg/bedside.js';

// A bundle named in the URL starts downloading now, alongside the app, instead of after it;
// the app's own request for it is then served from this preload.
const bundle = new URLSearchParams(window.location.search).get('bundle');
if (bundle && /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.bdsx$/.test(bundle)) {
  const link = document.createElement('link');
  link.rel = 'preload';
  link.as = 'fetch';
  link.crossOrigin = 'anonymous';
  link.href = `../static/bundles/${bundle}`;
  document.head.append(link);
}

performance.mark('bedside:init-start');
const started = init().then(() => performance.mark('bedside:init-done'));
started.catch((err) => {
  const el = document.getElementById('bedside-fatal');
  if (el) {
    el.hidden = false;
  }
  console.error('Bedside failed to start:', err);
});

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
