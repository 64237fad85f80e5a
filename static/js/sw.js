// Service worker for the volunteer pages: when the network drops, the last loaded
// "My work" page is shown from the cache. Actions (POST) are never cached or queued here:
// the page itself refuses them clearly while offline (see offline.js).
const PAGES = "dispatch-pages-v1";
const ASSETS = "dispatch-assets-v1";

self.addEventListener("install", (event) => { self.skipWaiting(); });
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((k) => k !== PAGES && k !== ASSETS).map((k) => caches.delete(k)))));
  self.clients.claim();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;  // map tiles go to the network only
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.open(ASSETS).then((cache) => cache.match(request).then(
      (hit) => hit || fetch(request).then((response) => {
        if (response.ok) cache.put(request, response.clone());
        return response;
      }))));
    return;
  }
  if (request.mode === "navigate" && url.pathname.startsWith("/v/")) {
    // Network first; keep the last good copy of each volunteer page for offline use.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(PAGES).then((cache) => cache.put(url.pathname, copy));
      }
      return response;
    }).catch(() => caches.open(PAGES).then((cache) => cache.match(url.pathname)).then(
      (hit) => hit || new Response("<h1>离线 · Offline</h1>", {
        status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }))));
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "sign-out") {  // a shared phone must not keep someone's work
    caches.delete(PAGES);
  }
});
