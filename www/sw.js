// Bedside's service worker. After one visit the app and every shipped model bundle work with
// the network off: all of them are cached at install, and requests for our own files are
// answered from that cache first.
//
// A new version (any cached file changed, so pkg/precache.js changed) installs beside the old
// one and waits. The page then shows "a new version is available", and switches only when the
// user accepts: a clinician in the middle of an assessment never has the app swapped under them.
importScripts('../pkg/precache.js');

const { version, files } = self.BEDSIDE_PRECACHE;
const CACHE = `bedside-${version}`;

self.addEventListener('install', (event) => {
  // `cache: 'reload'` skips the HTTP cache, so a new version never precaches an old file.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(files.map((f) => new Request(f, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('bedside-') && key !== CACHE) await caches.delete(key);
    }
    // The first visit's page is controlled at once, so it works offline without a reload.
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const type = event.data && event.data.type;
  if (type === 'bedside:activate') self.skipWaiting();
  if (type === 'bedside:version' && event.source) event.source.postMessage({ type: 'bedside:version', version });
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // A page address carries its bundle and language in the query; the page is the same. So
    // does the app module re-imported by "Restart" (main.js: `bedside.js?restart=N`).
    const restart = new URL(request.url).searchParams.has('restart');
    const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate' || restart });
    return hit || fetch(request);
  })());
});
