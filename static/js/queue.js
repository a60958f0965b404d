/* assetmap capture outbox: what the capture page has to send, kept in IndexedDB until the server
 * has answered, and the one function that sends it.
 *
 * Loaded by the capture page (static/js/capture.js) and by its service worker
 * (static/js/capture-sw.js, for Background Sync), so both send the same way. Every item carries
 * the id the server uses to recognise a repeat (a submission's or photo's client id, a walk's id
 * with the points' times), and a retry sends the same id again: a lost answer never makes a
 * second place, photo or point. What each answer does to an item:
 *
 *   2xx                          sent: the item is removed (a photo waiting for it learns its asset id)
 *   no answer, 5xx, 408, 429     kept "queued"; tried again later, waiting longer each time
 *   401, or 400 about CSRF       kept, state "login": the session ended; sent after logging in again
 *   409 with candidates          kept, state "duplicates": the person chooses one or says it is new
 *   any other 4xx                kept, state "attention" with the server's message
 *
 * Nothing is removed without a 2xx answer except by the person pressing Discard. See docs/offline.md.
 */
(function (global) {
  "use strict";

  var DB_NAME = "assetmap-capture";
  var DB_VERSION = 1;
  var OUTBOX = "outbox"; // keyPath "id"
  var WALKS = "walks"; // keyPath "owner": the walk each account is recording now
  var LOCK = "assetmap-outbox";
  var CHANNEL = "assetmap-outbox";
  var SYNC_TAG = "assetmap-outbox";
  var FIRST_WAIT_MS = 2000;
  var LONGEST_WAIT_MS = 5 * 60 * 1000;

  var opening = null;
  var counter = 0;
  var listeners = [];
  var channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
  var chain = Promise.resolve(); // used only where the Web Locks API is missing

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains(OUTBOX)) db.createObjectStore(OUTBOX, { keyPath: "id" });
          if (!db.objectStoreNames.contains(WALKS)) db.createObjectStore(WALKS, { keyPath: "owner" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () {
          opening = null;
          reject(request.error || new Error("this browser cannot keep an outbox (IndexedDB)"));
        };
      });
    }
    return opening;
  }

  /* Run work(store) in one transaction; resolve with the result of the request it returns. */
  function transact(name, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(name, mode);
        var request = work(t.objectStore(name));
        t.oncomplete = function () { resolve(request ? request.result : undefined); };
        t.onabort = t.onerror = function () { reject(t.error || new Error("IndexedDB transaction failed")); };
      });
    });
  }

  /* Tell every listener here, in other tabs and in the service worker that the outbox changed;
   * news is null, or {sent: {id, kind, name}, data} when an item arrived (data: the server's answer). */
  function changed(news) {
    var message = news || null;
    listeners.forEach(function (fn) { fn(message); });
    if (channel) channel.postMessage(message);
  }

  /* Call fn(news) whenever the outbox changes, here or in another tab or the service worker. */
  function subscribe(fn) {
    listeners.push(fn);
    if (channel) channel.addEventListener("message", function (event) { fn(event.data); });
  }

  function get(id) {
    return transact(OUTBOX, "readonly", function (s) { return s.get(id); });
  }

  /* Every item, oldest first. */
  function list() {
    return transact(OUTBOX, "readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.sort(function (a, b) { return a.seq - b.seq; });
    });
  }

  /* Queue an item: {id, kind, owner, csrf, body, ...}; it starts "queued", to be sent at once. */
  function add(item) {
    var now = Date.now();
    var full = Object.assign({ state: "queued", message: "", attempts: 0, nextTry: 0, queuedAt: now },
      item, { seq: now * 1000 + (counter++ % 1000) });
    return transact(OUTBOX, "readwrite", function (s) { return s.add(full); }).then(function () {
      changed(null);
      return full;
    });
  }

  /* Change some fields of an item (if it is still there); resolves with the new item or undefined. */
  function update(id, fields) {
    var out;
    return transact(OUTBOX, "readwrite", function (s) {
      var request = s.get(id);
      request.onsuccess = function () {
        if (!request.result) return;
        out = Object.assign(request.result, fields);
        s.put(out);
      };
      return null;
    }).then(function () {
      changed(null);
      return out;
    });
  }

  /* Remove an item and every item waiting for it (a place's photo), as the person asked. */
  function discard(id) {
    return list().then(function (items) {
      var gone = [id];
      for (var grew = true; grew;) {
        grew = false;
        items.forEach(function (item) {
          if (item.after && gone.indexOf(item.after) !== -1 && gone.indexOf(item.id) === -1) {
            gone.push(item.id);
            grew = true;
          }
        });
      }
      return transact(OUTBOX, "readwrite", function (s) {
        gone.forEach(function (key) { s.delete(key); });
        return null;
      });
    }).then(function () { changed(null); });
  }

  function getWalk(owner) {
    return transact(WALKS, "readonly", function (s) { return s.get(owner); });
  }

  function putWalk(walk) {
    return transact(WALKS, "readwrite", function (s) { return s.put(walk); });
  }

  function endWalk(owner) {
    return transact(WALKS, "readwrite", function (s) { return s.delete(owner); });
  }

  function waitAfter(attempts) {
    return Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * Math.pow(2, attempts));
  }

  /* What an answer means for the item: "sent", "retry", "login", "duplicates" or "attention". */
  function classify(status, data) {
    if (status === 0 || status >= 500 || status === 408 || status === 429) return "retry";
    if (status === 401 || (status === 400 && /csrf/i.test(data.message || ""))) return "login";
    if (status >= 200 && status < 300) return "sent";
    if (status === 409 && Array.isArray(data.candidates)) return "duplicates";
    return "attention";
  }

  function jsonInit(method, csrf, body) {
    return {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    };
  }

  /* The request that sends an item, as [url, init]. */
  function requestFor(item, csrf) {
    var walk = "/api/walks/" + encodeURIComponent(item.walkId || "");
    switch (item.kind) {
      case "submission":
        return ["/api/submissions", jsonInit("POST", csrf, item.body)];
      case "photo": {
        var form = new FormData();
        form.append("photo", item.blob, item.filename || "photo");
        form.append("client_id", item.id);
        return ["/api/assets/" + encodeURIComponent(item.assetId) + "/photos", {
          method: "POST", credentials: "same-origin",
          headers: { Accept: "application/json", "X-CSRFToken": csrf }, body: form,
        }];
      }
      case "walk-start":
        return [walk, jsonInit("PUT", csrf, item.body)];
      case "walk-points":
        return [walk + "/points", jsonInit("POST", csrf, item.body)];
      case "walk-stop":
        return [walk + "/stop", jsonInit("POST", csrf, item.body)];
      default:
        throw new Error("unknown outbox item kind " + item.kind);
    }
  }

  /* Send one item; resolves with {status, data}, status 0 when there was no answer. */
  function send(item, csrf) {
    var parts = requestFor(item, csrf);
    return fetch(parts[0], parts[1]).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data || {} };
      });
    }, function () {
      return { status: 0, data: {} };
    });
  }

  function retryMessage(status) {
    return status === 0
      ? "No connection: it will be sent when the signal returns."
      : "The server could not take it just now (HTTP " + status + "); it will be tried again.";
  }

  /* Record what the answer means; resolves with the kind of answer. */
  function settle(item, answer) {
    var kind = classify(answer.status, answer.data);
    var message = typeof answer.data.message === "string" ? answer.data.message : "";
    if (kind === "sent") {
      return record(item, answer).then(function () { return kind; });
    }
    var fields;
    if (kind === "retry") {
      fields = { attempts: item.attempts + 1, nextTry: Date.now() + waitAfter(item.attempts),
        lastStatus: answer.status, message: retryMessage(answer.status) };
      if (item.state !== "login") fields.state = "queued";
    } else if (kind === "login") {
      fields = { state: "login", message: "Your session has ended: log in again to send this. It is kept here." };
    } else if (kind === "duplicates") {
      fields = { state: "duplicates", candidates: answer.data.candidates,
        message: message || "Places like this are already on the map nearby." };
    } else {
      fields = { state: "attention", message: message || "The server refused it (HTTP " + answer.status + ")." };
    }
    return update(item.id, fields).then(function () { return kind; });
  }

  /* A sent item leaves the outbox; a photo waiting for a sent place learns the place's id. */
  function record(item, answer) {
    var assetId = item.kind === "submission" && answer.data.asset ? answer.data.asset.id : null;
    return transact(OUTBOX, "readwrite", function (s) {
      s.delete(item.id);
      if (assetId) {
        var request = s.getAll();
        request.onsuccess = function () {
          request.result.forEach(function (other) {
            if (other.kind === "photo" && other.after === item.id) {
              other.assetId = assetId;
              s.put(other);
            }
          });
        };
      }
      return null;
    }).then(function () {
      changed({ sent: { id: item.id, kind: item.kind, name: item.body ? item.body.name : "" }, data: answer.data });
    });
  }

  function whenReady(item, now, options) {
    if (options.owner && item.owner !== options.owner) return false; // another account's: never
    if (item.state === "attention" || item.state === "duplicates") return false; // the person decides
    if (options.force) return true;
    return item.state === "queued" && item.nextTry <= now;
  }

  /* One round through the outbox, oldest first. options: csrf (the page's token; the worker uses
   * each item's own), owner (send only this account's items), force (ignore the waiting times),
   * onEvent(type, item, answer) with type "sending" or "answer". Resolves with
   * {sent, offline, login}; stops at the first item that got no answer at all. */
  function round(options) {
    var summary = { sent: 0, offline: false, login: false };
    var now = Date.now();
    var onEvent = options.onEvent || function () {};
    return list().then(function (items) {
      var ids = items.map(function (item) { return item.id; });
      function next(i) {
        if (i >= ids.length || summary.offline || summary.login) return summary;
        return get(ids[i]).then(function (item) {
          if (!item || !whenReady(item, now, options)) return null;
          return (item.after ? get(item.after) : Promise.resolve(null)).then(function (waitingFor) {
            if (waitingFor) return null; // sent after the item it needs (a photo after its place)
            if (item.kind === "photo" && !item.assetId) {
              return update(item.id, { state: "attention", message: "The place this photo belongs to was not saved." });
            }
            var csrf = options.csrf || item.csrf;
            onEvent("sending", item, null);
            return send(item, csrf).then(function (answer) {
              return settle(item, answer).then(function (kind) {
                if (kind === "sent") summary.sent += 1;
                if (kind === "retry" && answer.status === 0) summary.offline = true;
                if (kind === "login") summary.login = true;
                if (kind === "sent" || !options.csrf || options.csrf === item.csrf) return answer;
                return update(item.id, { csrf: options.csrf }).then(function () { return answer; });
              }).then(function (answered) { onEvent("answer", item, answered); });
            });
          });
        }).then(function () { return next(i + 1); });
      }
      return next(0);
    });
  }

  /* Send what is ready, one round at a time across tabs and the service worker. */
  function flush(options) {
    var opts = options || {};
    if (global.navigator && global.navigator.locks) {
      return global.navigator.locks.request(LOCK, function () { return round(opts); });
    }
    var run = chain.then(function () { return round(opts); });
    chain = run.catch(function () {});
    return run;
  }

  global.AssetmapQueue = {
    SYNC_TAG: SYNC_TAG,
    add: add,
    update: update,
    discard: discard,
    list: list,
    get: get,
    subscribe: subscribe,
    flush: flush,
    classify: classify,
    getWalk: getWalk,
    putWalk: putWalk,
    endWalk: endWalk,
  };
})(self);
