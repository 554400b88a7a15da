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
init().then(() => performance.mark('bedside:init-done')).catch((err) => {
  const el = document.getElementById('bedside-fatal');
  if (el) {
    el.hidden = false;
  }
  console.error('Bedside failed to start:', err);
});
