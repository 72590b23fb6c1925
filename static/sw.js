/*
 * houqin (后勤) service worker.
 *
 * Must be served from the site root as /sw.js (scope '/').
 *
 * Rules:
 *  - install: precache the offline page and the app shell assets listed in
 *    PRECACHE, then skipWaiting().
 *  - activate: delete every cache whose name is not VERSION, then
 *    clients.claim().
 *  - fetch: only same-origin GET requests are handled at all.
 *      * /static/...            -> cache-first; a successful (200, same-origin)
 *                                  network response is stored in the cache.
 *      * navigations            -> network-only; if the network fails, answer
 *                                  with the precached '/offline' page.
 *      * everything else        -> not handled (plain network), NEVER cached.
 *    Personal pages, /api, /me, /admin, ... are therefore never stored.
 *
 * Static files are served cache-first, so bump VERSION whenever an
 * unversioned file (houqin.css, app.js, ...) changes.
 */
'use strict';

const VERSION = 'houqin-v5';

const PRECACHE = [
  '/offline',
  '/static/css/houqin.css',
  '/static/js/app.js',
  '/static/vendor/htmx-2.0.11.min.js',
  '/static/vendor/tabler-icons-3.52.0/sprite.svg',
  '/static/icons/favicon.svg',
  '/static/icons/icon-192.png',
  '/static/icons/icon-512.png',
  '/static/icons/maskable-512.png',
  '/static/icons/apple-touch-icon.png'
];

const OFFLINE_URL = '/offline';

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(VERSION)
      // cache: 'reload' bypasses the HTTP cache so we store fresh copies.
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name !== VERSION).map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

function cacheFirst(request) {
  return caches.open(VERSION).then((cache) =>
    cache.match(request).then((cached) => {
      if (cached) {
        return cached;
      }
      return fetch(request).then((response) => {
        // Only store complete, successful, same-origin responses.
        if (response.status === 200 && response.type === 'basic') {
          cache.put(request, response.clone());
        }
        return response;
      });
    })
  );
}

function networkOnlyWithOfflineFallback(request) {
  return fetch(request).catch(() =>
    caches.match(OFFLINE_URL, { cacheName: VERSION }).then((cached) =>
      cached || new Response('Offline', {
        status: 503,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' }
      })
    )
  );
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(cacheFirst(request));
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(networkOnlyWithOfflineFallback(request));
  }
  // Anything else: not intercepted, goes to the network, never cached.
});
