/* assetmap capture page: put a pin on a place (GPS or by hand), describe it, and submit it once;
 * add a photo; record a patch walk; keep all of it on the phone until the server has it.
 *
 * Everything to send goes into the outbox first (IndexedDB, static/js/queue.js) with its client id
 * (crypto.randomUUID), then is sent; without signal it stays there and is sent again, with the same
 * id, on the "online" event, on the next page load, on a timer that waits longer each time, and by
 * the service worker's Background Sync (static/js/capture-sw.js). A retry is recognised by the
 * server and never makes a second place. The "Still queued" list shows each item and its state.
 * All text from the server or the person is set with textContent. See docs/capture.md and
 * docs/offline.md.
 */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("page-data").textContent);
  var map = window[settings.map];
  var form = document.getElementById("capture-form");
  var category = document.getElementById("category");
  var subcategory = document.getElementById("subcategory");
  var locateStatus = document.getElementById("locate-status");
  var pinStatus = document.getElementById("pin-status");
  var candidates = document.getElementById("candidates");
  var candidateList = document.getElementById("candidate-list");
  var result = document.getElementById("result");
  var Queue = window.AssetmapQueue;
  var owner = form.dataset.owner;
  var accuracy = null;
  var current = null; // id of the submission made with the form, whose answer is shown in #result

  // Ward boundaries and names for context, as the map has no basemap by default. Not clickable,
  // so a tap on the map always moves the pin.
  fetch("/api/wards", { headers: { Accept: "application/json" } }).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (collection) {
    if (!collection) return;
    L.geoJSON(collection, {
      interactive: false,
      style: { fill: false, color: "#595959", weight: 1.5 },
      onEachFeature: function (f, layer) {
        var name = document.createElement("span");
        name.textContent = f.properties.name;
        layer.bindTooltip(name, { permanent: true, direction: "center", className: "ward-label" });
      },
    }).addTo(map);
  }).catch(function () {
    // The boundaries are only context: the page works without them.
  });

  var pin = L.marker(L.latLng(settings.centre[0], settings.centre[1]), {
    draggable: true, title: "The place", keyboard: true,
  }).addTo(map);
  var placed = false;

  function showPin() {
    var at = pin.getLatLng();
    pinStatus.textContent = "Pin at " + at.lat.toFixed(5) + ", " + at.lng.toFixed(5) + ".";
  }

  function movePin(latlng) {
    pin.setLatLng(latlng);
    placed = true;
    showPin();
  }

  pin.on("dragend", function () {
    placed = true;
    showPin();
  });
  map.on("click", function (e) {
    movePin(e.latlng);
  });

  // -- GPS ---------------------------------------------------------------------------------------
  var FRESH_MS = 30000;

  function located(lat, lon, within) {
    var here = L.latLng(lat, lon);
    var metres = Math.round(within);
    if (accuracy) accuracy.remove();
    accuracy = L.circle(here, { radius: metres, interactive: false }).addTo(map);
    map.fitBounds(accuracy.getBounds(), { maxZoom: 18 });
    movePin(here);
    locateStatus.textContent = "Located to within " + metres + " m." +
      (metres > 50 ? " That is not very precise: drag the pin or tap the map on the place." : "");
  }

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) {
      locateStatus.textContent = "This browser cannot tell where you are; tap the map instead.";
      return;
    }
    // While walking, the walk's own fix is used if it is fresh (the GPS is already following).
    if (walk && walk.last && Date.now() - Date.parse(walk.last.t) < FRESH_MS) {
      located(walk.last.lat, walk.last.lon, walk.last.accuracy);
      return;
    }
    locateStatus.textContent = "Finding where you are…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      located(pos.coords.latitude, pos.coords.longitude, pos.coords.accuracy);
    }, function (err) {
      locateStatus.textContent = "Could not find where you are (" + err.message + "); tap the map instead.";
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  });

  // -- the form ----------------------------------------------------------------------------------
  function fillSubcategories() {
    subcategory.textContent = "";
    var chosen = settings.categories.filter(function (c) { return c.id === category.value; })[0];
    (chosen ? chosen.subcategories : []).forEach(function (pair) {
      var option = document.createElement("option");
      option.value = pair[0];
      option.textContent = pair[1];
      subcategory.appendChild(option);
    });
  }
  category.addEventListener("change", fillSubcategories);
  fillSubcategories();

  function yesNo(name) {
    var checked = form.querySelector("input[name='" + name + "']:checked");
    return !checked || checked.value === "" ? null : checked.value === "true";
  }

  function body(clientId) {
    var at = pin.getLatLng();
    var out = {
      client_id: clientId, lon: at.lng, lat: at.lat,
      category: category.value, subcategory: subcategory.value || null,
      name: form.elements.name.value, description: form.elements.description.value,
      opening_times: form.elements.opening_times.value, contact: form.elements.contact.value,
      languages: form.elements.languages.value.split(",").map(function (s) { return s.trim(); })
        .filter(function (s) { return s; }),
    };
    ["step_free", "seating", "toilets", "hearing_loop", "free_to_use"].forEach(function (k) {
      out[k] = yesNo(k);
    });
    return out;
  }

  function say(text, link) {
    result.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.url;
      a.textContent = link.text;
      result.appendChild(document.createTextNode(" "));
      result.appendChild(a);
    }
  }

  // -- the outbox -------------------------------------------------------------------------------
  var running = null;
  var again = null; // null, or whether the next round ignores the waiting times
  var timer = null;
  var sending = null; // id of the item on its way
  var outboxList = document.getElementById("outbox-list");
  var outboxCount = document.getElementById("outbox-count");
  var outboxStatus = document.getElementById("outbox-status");
  var sentList = document.getElementById("sent-list");
  var OUTCOMES = {
    created: "Saved as a new place, to be checked by an officer.",
    verified: "Recorded that you checked this place: it is now verified.",
    "seen by a connector": "Recorded that you saw this place.",
    "re-verified by a connector": "Recorded that this place is still there: it counts as checked today.",
  };

  function categoryLabel(id) {
    var found = settings.categories.filter(function (c) { return c.id === id; })[0];
    return found ? found.label : id;
  }

  function clock(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  /* Send what is ready (force: everything not waiting for the person, now). One round at a time. */
  function kick(force) {
    if (running) {
      again = again || !!force;
      return running;
    }
    running = Queue.flush({ csrf: form.dataset.csrf, owner: owner, force: !!force, onEvent: onEvent })
      .then(afterRound, function (error) {
        outboxStatus.textContent = "Could not read the queue on this phone: " + error.message;
      }).then(function () {
        running = null;
        if (again !== null) {
          var force2 = again;
          again = null;
          kick(force2);
        }
      });
    return running;
  }

  function afterRound(summary) {
    if (summary.offline && "serviceWorker" in navigator) {
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.sync) return registration.sync.register(Queue.SYNC_TAG);
        return null;
      }).catch(function () {});
    }
    return refresh();
  }

  function onEvent(type, item, answer) {
    sending = type === "sending" ? item.id : null;
    if (type === "answer" && item.id === current && Queue.classify(answer.status, answer.data) !== "sent") {
      Queue.get(item.id).then(function (now) { if (now) explain(now); });
    }
    refresh();
  }

  /* The outbox changed (here, in another tab or in the service worker): redraw, and say what arrived. */
  function onNews(news) {
    if (news && news.sent && news.sent.kind === "submission" && news.data.asset) announce(news.sent, news.data);
    refresh();
  }

  /* A place arrived: say so (in #result for the form's own, in the sent list for queued ones). */
  function announce(item, data) {
    var words = (OUTCOMES[data.outcome] || "Saved.") + " ";
    var link = { url: data.asset.url, text: "See " + data.asset.name };
    if (item.id === current) {
      current = null;
      candidates.hidden = true;
      say(words, link);
      return;
    }
    var li = document.createElement("li");
    li.textContent = item.name + ": " + words;
    var a = document.createElement("a");
    a.href = link.url;
    a.textContent = link.text;
    li.appendChild(a);
    sentList.appendChild(li);
    document.getElementById("sent-heading").hidden = false;
  }

  /* What the state of the form's own submission means, in #result. */
  function explain(item) {
    if (item.state === "duplicates") {
      showCandidates(item);
      say("");
    } else if (item.state === "attention") {
      say("Not saved: " + item.message + " It is kept in the list below.");
    } else if (item.state === "login") {
      say("Not sent yet: your session has ended. Log in again; the place is kept on this phone.",
        { url: "/login?next=/capture", text: "Log in again" });
    } else if (item.lastStatus) {
      say("Not sent yet: " + item.message + " The place is kept on this phone.");
    } else {
      say("No connection: the place is kept on this phone and will be sent when the signal returns.");
    }
  }

  function label(item) {
    switch (item.kind) {
      case "submission":
        return item.body.name + " (" + categoryLabel(item.body.category) + "), queued at " + clock(item.queuedAt);
      case "photo":
        return "Photo for " + item.placeName + ", queued at " + clock(item.queuedAt);
      case "walk-start":
        return "Walk started at " + clock(item.queuedAt);
      case "walk-points":
        return "Walk route: " + positions(item.body.points.length) + ", queued at " + clock(item.queuedAt);
      default:
        return "Walk stopped at " + clock(item.queuedAt);
    }
  }

  function stateText(item) {
    if (item.owner !== owner) return "saved by " + item.owner + ": log in as " + item.owner + " to send it";
    if (item.id === sending) return "sending…";
    switch (item.state) {
      case "attention": return "needs attention: " + item.message;
      case "duplicates": return "may already be on the map: choose below";
      case "login": return "waiting for you to log in again";
      default: return item.attempts ? "waiting to be sent (" + item.message + ")" : "waiting to be sent";
    }
  }

  function button(text, aria, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.setAttribute("aria-label", aria);
    b.addEventListener("click", onClick);
    return b;
  }

  function itemActions(item, li) {
    var what = item.kind === "submission" ? item.body.name : label(item);
    if (item.state === "duplicates") {
      li.appendChild(button("Choose", "Choose for " + what, function () { showCandidates(item); }));
    }
    if (item.state === "attention") {
      li.appendChild(button("Try again", "Try again: " + what, function () {
        Queue.update(item.id, { state: "queued", message: "", nextTry: 0 }).then(function () { kick(true); });
      }));
    }
    if (item.state === "attention" || item.state === "duplicates") {
      li.appendChild(button("Discard", "Discard " + what, function () {
        if (current === item.id) candidates.hidden = true;
        Queue.discard(item.id);
      }));
    }
    if (item.state === "login") {
      var a = document.createElement("a");
      a.href = "/login?next=/capture";
      a.textContent = "Log in again";
      li.appendChild(a);
    }
  }

  /* Redraw the "Still queued" list from the outbox, and wake up for the next retry. */
  function refresh() {
    return Queue.list().then(function (items) {
      outboxList.textContent = "";
      var due = null;
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox-item outbox-" + (item.id === sending ? "sending" : item.state);
        var text = document.createElement("span");
        text.textContent = label(item) + ": " + stateText(item) + " ";
        li.appendChild(text);
        if (item.owner === owner) itemActions(item, li);
        outboxList.appendChild(li);
        // Items never tried (nextTry 0) go in the next round anyway, after what they wait for.
        if (item.owner === owner && item.state === "queued" && item.nextTry && (due === null || item.nextTry < due)) {
          due = item.nextTry;
        }
      });
      outboxCount.textContent = String(items.length);
      outboxStatus.textContent = items.length
        ? (navigator.onLine ? "Sending when ready; each item is sent once, however often it is tried."
          : "No connection: these are kept on this phone and sent when the signal returns.")
        : "Nothing waiting to be sent.";
      if (timer) clearTimeout(timer);
      timer = due === null ? null : setTimeout(function () { kick(false); }, Math.max(1000, due - Date.now()));
    });
  }

  // -- saving ------------------------------------------------------------------------------------
  function save() {
    var id = crypto.randomUUID();
    var submission = body(id);
    var item = { id: id, kind: "submission", owner: owner, csrf: form.dataset.csrf, body: submission };
    if (walk) {
      submission.walk_id = walk.id;
      item.after = walk.startItem;
    }
    var photo = chosenPhoto;
    current = id;
    candidates.hidden = true;
    say("Saving…");
    return Queue.add(item).then(function () {
      if (!photo) return null;
      return Queue.add({ id: crypto.randomUUID(), kind: "photo", owner: owner, csrf: form.dataset.csrf,
        after: id, placeName: submission.name, blob: photo, filename: photo.name });
    }).then(function () {
      clearPhoto();
      return kick(true); // onEvent says what became of it
    }, function (error) {
      say("Could not keep the place on this phone (" + error.message + "); nothing was saved.");
    });
  }

  function showCandidates(item) {
    current = item.id;
    candidateList.textContent = "";
    item.candidates.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = c.name + " (" + c.category + ", " + c.status + ", " + Math.round(c.distance_m) + " m away) ";
      li.appendChild(button("This is the same place", "This is the same place as " + c.name, function () {
        decide(item, { same_as: c.id });
      }));
      candidateList.appendChild(li);
    });
    candidates.hidden = false;
    document.getElementById("candidates-heading").focus();
  }

  /* The person's answer to "Is it one of these?": the same submission (same id) is sent again. */
  function decide(item, extra) {
    var changed = Object.assign({}, item.body, extra);
    candidates.hidden = true;
    say("Saving…");
    return Queue.update(item.id, { body: changed, state: "queued", candidates: null, message: "", nextTry: 0 })
      .then(function () { return kick(true); });
  }

  document.getElementById("confirm-new").addEventListener("click", function () {
    if (!current) return;
    Queue.get(current).then(function (item) { if (item) decide(item, { confirm_new: true }); });
  });

  // -- photo -------------------------------------------------------------------------------------
  var photoInput = document.getElementById("photo");
  var photoStatus = document.getElementById("photo-status");
  var photoPreview = document.getElementById("photo-preview");
  var photoClear = document.getElementById("photo-clear");
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  var photoMax = Number(form.dataset.photoMax);
  var chosenPhoto = null;

  function megabytes(bytes, rounding) {
    return (rounding(bytes / 1048576 * 10) / 10) + " MB";
  }

  function clearPhoto() {
    chosenPhoto = null;
    photoInput.value = "";
    if (photoPreview.src) URL.revokeObjectURL(photoPreview.src);
    photoPreview.removeAttribute("src");
    photoPreview.hidden = true;
    photoClear.hidden = true;
  }

  photoInput.addEventListener("change", function () {
    var file = photoInput.files[0];
    clearPhoto();
    if (!file) {
      photoStatus.textContent = "";
      return;
    }
    if (PHOTO_TYPES.indexOf(file.type) === -1) {
      photoStatus.textContent = "That file is not a JPEG, PNG or WebP photo; choose another.";
      return;
    }
    if (file.size > photoMax) {
      photoStatus.textContent = "That photo is " + megabytes(file.size, Math.ceil) + "; at most " +
        megabytes(photoMax, Math.floor) +
        " can be sent. Choose a smaller one.";
      return;
    }
    chosenPhoto = file;
    photoPreview.src = URL.createObjectURL(file);
    photoPreview.hidden = false;
    photoClear.hidden = false;
    photoStatus.textContent = "Photo chosen (" + megabytes(file.size, Math.ceil) + "); it is sent after the place.";
  });

  photoClear.addEventListener("click", function () {
    clearPhoto();
    photoStatus.textContent = "No photo.";
  });

  // -- patch walk --------------------------------------------------------------------------------
  var walk = null; // {owner, id, startItem, startedAt, points, metres, last, buffer, batchedAt}
  var watchId = null;
  var batchTimer = null;
  var walkStart = document.getElementById("walk-start");
  var walkStop = document.getElementById("walk-stop");
  var walkStatus = document.getElementById("walk-status");
  var BATCH_POINTS = 20;
  var BATCH_MS = 30000;
  var TRUSTED_M = 50; // positions less precise than this are kept but not counted in the distance

  function positions(n) {
    return n + (n === 1 ? " position" : " positions");
  }

  function showWalk() {
    walkStart.hidden = !!walk;
    walkStop.hidden = !walk;
    walkStatus.textContent = walk
      ? "Walking since " + clock(Date.parse(walk.startedAt)) + ": " + positions(walk.points) + " recorded, " +
        (walk.metres / 1000).toFixed(2) + " km."
      : "Not walking.";
  }

  /* Great-circle distance in metres (for the walker's display only; the server measures in BNG). */
  function metresBetween(a, b) {
    var r = 6371008.8;
    var rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad;
    var dLon = (b.lon - a.lon) * rad;
    var h = Math.pow(Math.sin(dLat / 2), 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.pow(Math.sin(dLon / 2), 2);
    return 2 * r * Math.asin(Math.sqrt(h));
  }

  /* Move the recorded positions into the outbox as one batch. */
  /* Move the buffered points into the outbox as one item; they leave the buffer only once the
   * outbox holds them (points that arrive meanwhile stay buffered for the next batch). */
  function batch() {
    if (!walk || !walk.buffer.length) return Promise.resolve();
    var batching = walk;
    var points = batching.buffer.slice();
    batching.batchedAt = Date.now();
    return Queue.add({ id: crypto.randomUUID(), kind: "walk-points", owner: owner, csrf: form.dataset.csrf,
      walkId: batching.id, after: batching.startItem, body: { points: points } })
      .then(function () {
        batching.buffer = batching.buffer.slice(points.length);
        return Queue.putWalk(batching);
      })
      .then(function () { return kick(false); });
  }

  /* The phone could not keep the walk's points (IndexedDB failed): say so; nothing is dropped. */
  function walkTrouble(error) {
    walkStatus.textContent = "Could not keep the walk on this phone: " + error.message +
      ". Its points are kept in this page and tried again.";
  }

  function onPosition(pos) {
    if (!walk) return;
    var point = { lon: pos.coords.longitude, lat: pos.coords.latitude, t: new Date(pos.timestamp).toISOString(),
      accuracy: Math.round(pos.coords.accuracy * 10) / 10 };
    var last = walk.last;
    if (last && last.t === point.t) return;
    if (last && last.accuracy <= TRUSTED_M && point.accuracy <= TRUSTED_M) walk.metres += metresBetween(last, point);
    walk.last = point;
    walk.points += 1;
    walk.buffer.push(point);
    showWalk();
    if (walk.buffer.length >= BATCH_POINTS || Date.now() - walk.batchedAt >= BATCH_MS) {
      batch().catch(walkTrouble);
    } else {
      Queue.putWalk(walk).catch(walkTrouble);
    }
  }

  function follow() {
    if (!navigator.geolocation) {
      walkStatus.textContent = "This browser cannot tell where you are, so it cannot record a walk.";
      return;
    }
    watchId = navigator.geolocation.watchPosition(onPosition, function (err) {
      walkStatus.textContent = "Could not follow where you are (" + err.message + "); the walk is still on.";
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
    batchTimer = setInterval(function () { batch().catch(walkTrouble); }, BATCH_MS);
  }

  function resumeWalk() {
    return Queue.getWalk(owner).then(function (kept) {
      walk = kept || null;
      if (walk) follow();
      showWalk();
    }).catch(function () {});
  }

  walkStart.addEventListener("click", function () {
    var startItem = crypto.randomUUID();
    var started = { owner: owner, id: crypto.randomUUID(), startItem: startItem, startedAt: new Date().toISOString(),
      points: 0, metres: 0, last: null, buffer: [], batchedAt: Date.now() };
    Queue.add({ id: startItem, kind: "walk-start", owner: owner, csrf: form.dataset.csrf, walkId: started.id,
      body: { started_at: started.startedAt } })
      .then(function () { return Queue.putWalk(started); })
      .then(function () {
        walk = started;
        follow();
        showWalk();
        return kick(true);
      }, function (error) {
        walkStatus.textContent = "Could not start the walk on this phone: " + error.message;
      });
  });

  walkStop.addEventListener("click", function () {
    if (!walk) return;
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    clearInterval(batchTimer);
    watchId = null;
    var ending = walk;
    batch().then(function () {
      return Queue.add({ id: crypto.randomUUID(), kind: "walk-stop", owner: owner, csrf: form.dataset.csrf,
        walkId: ending.id, after: ending.startItem, body: { stopped_at: new Date().toISOString() } });
    }).then(function () { return Queue.endWalk(owner); }).then(function () {
      walk = null;
      showWalk();
      walkStatus.textContent = "Walk stopped: " + positions(ending.points) + ", " +
        (ending.metres / 1000).toFixed(2) + " km. It is sent with the rest of the queue.";
      return kick(true);
    }, function (error) {
      walkStatus.textContent = "Could not stop the walk on this phone: " + error.message + ". Press Stop again.";
    });
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!placed) {
      say("Put the pin on the place first: use your location, or tap the map.");
      return;
    }
    if (!form.elements.name.value.trim()) {
      say("Give the place a name.");
      form.elements.name.focus();
      return;
    }
    save();
  });

  Queue.subscribe(onNews);
  window.addEventListener("online", function () { kick(true); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(form.dataset.worker, { scope: "/" }).catch(function () {
      // Without the worker the page still queues and sends; it just cannot open offline.
    });
  }
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
  resumeWalk().then(function () { return kick(true); });
})();
