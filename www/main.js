// Loads the WebAssembly app. Kept in its own file so the Content-Security-Policy needs no
// 'unsafe-inline'. The app mounts itself into #bedside-app when the module starts.
import init from '../pkg/bedside.js';

init().catch((err) => {
  const el = document.getElementById('bedside-fatal');
  if (el) {
    el.hidden = false;
  }
  console.error('Bedside failed to start:', err);
});
