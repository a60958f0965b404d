/* assetmap capture service worker: /capture opens without signal, and the outbox is sent by
 * Background Sync when the connection returns.
 *
 * Served at /capture-sw.js by assetmap/web/offline.py. It keeps, in one versioned cache, the
 * capture page of the account that last opened it and the files that page loads (the list below);
 * both are fetched from the network first and taken from the cache only when there is no answer.
 * It never caches API answers or any other page, and forgets the cached page when someone logs in
 * or out on this device (or when /capture answers with a redirect to the log-in page). Raise
 * VERSION when the list changes: old caches are deleted when the new worker takes over.
 * See docs/offline.md.
 */
/* global AssetmapQueue */
"use strict";

importScripts("/static/js/queue.js");

var VERSION = "assetmap-capture-v1";
var PREFIX = "assetmap-capture-";
var PAGE = "/capture";
var SHELL = [
  "/static/css/app.css",
  "/static/css/print.css",
  "/static/js/capture.js",
  "/static/js/queue.js",
  "/vendor/leaflet.js",
  "/vendor/leaflet.css",
  "/vendor/leaflet.markercluster.js",
  "/vendor/MarkerCluster.css",
  "/vendor/MarkerCluster.Default.css",
  "/vendor/images/marker-icon.png",
  "/vendor/images/marker-icon-2x.png",
  "/vendor/images/marker-shadow.png",
  "/vendor/images/layers.png",
  "/vendor/images/layers-2x.png",
];
var FORGET_ON = ["/login", "/logout"];

/* Keep a fresh copy of the page, or forget it when it is no longer this account's to see. */
function keepPage(cache, response) {
  if (response.ok && !response.redirected && response.type === "basic") {
    return cache.put(PAGE, response.clone());
  }
  if (response.type === "opaqueredirect" || response.redirected || response.status === 401 || response.status === 403) {
    return cache.delete(PAGE);
  }
  return Promise.resolve();
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(VERSION).then(function (cache) {
    return cache.addAll(SHELL).then(function () {
      return fetch(PAGE, { credentials: "same-origin" }).then(function (response) {
        return keepPage(cache, response);
      });
    });
  }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PREFIX) === 0 && name !== VERSION;
    }).map(function (name) {
      return caches.delete(name);
    }));
  }).then(function () {
    return self.clients.claim();
  }));
});

function pageFromNetwork(request) {
  return caches.open(VERSION).then(function (cache) {
    return fetch(request).then(function (response) {
      return keepPage(cache, response).then(function () { return response; });
    }, function (error) {
      return cache.match(PAGE).then(function (cached) {
        if (cached) return cached;
        throw error;
      });
    });
  });
}

function fileFromNetwork(request) {
  return caches.open(VERSION).then(function (cache) {
    return fetch(request).then(function (response) {
      if (!response.ok) return response;
      return cache.put(request, response.clone()).then(function () { return response; });
    }, function (error) {
      return cache.match(request).then(function (cached) {
        if (cached) return cached;
        throw error;
      });
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && FORGET_ON.indexOf(url.pathname) !== -1) {
    // Someone logs in or out: the cached page (name, form token) was the previous session's.
    event.waitUntil(caches.open(VERSION).then(function (cache) { return cache.delete(PAGE); }));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(pageFromNetwork(request));
  } else if (!url.search && SHELL.indexOf(url.pathname) !== -1) {
    event.respondWith(fileFromNetwork(request));
  }
  // Anything else (the API above all) goes to the network as if there were no worker.
});

self.addEventListener("sync", function (event) {
  if (event.tag !== AssetmapQueue.SYNC_TAG) return;
  event.waitUntil(AssetmapQueue.flush({ force: true }).then(function (summary) {
    if (summary.offline) throw new Error("still no connection: the browser will try again");
  }));
});
