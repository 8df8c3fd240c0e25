// Participa: the tablet app's service worker. It keeps the app's shell (page, styles, script,
// manifest, icon) so the app opens with no network; it never keeps API answers: votes live in
// IndexedDB until the server acknowledges them, and the sync call goes to the network.
"use strict";

const CACHE = "participa-facilitacion-v1";
const SCOPE = new URL(self.registration.scope);
const SHELL = [
  "./",
  "./manifest.webmanifest",
  "../static/css/site.css",
  "../static/facilitacion/app.css",
  "../static/facilitacion/app.js",
  "../static/facilitacion/icon.svg",
].map((path) => new URL(path, SCOPE).href);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

// The shell: the network first (a newer version when there is one), the kept copy otherwise.
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const kept = await cache.match(request, { ignoreSearch: true });
    if (kept) return kept;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const shell = request.mode === "navigate" && url.href.startsWith(SCOPE.href) ? SCOPE.href : url.href;
  if (SHELL.includes(shell) && !url.pathname.includes("/api/")) {
    event.respondWith(networkFirst(request.mode === "navigate" ? new Request(SCOPE.href) : request));
  }
});
