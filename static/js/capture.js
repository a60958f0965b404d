/* assetmap capture page: put a pin on a place (GPS or by hand), describe it, and submit it once.
 *
 * Each submission gets one client id (crypto.randomUUID) kept until it is answered, so a retry of
 * the same submission is recognised by the server and never makes a second asset. All text from
 * the server is set with textContent. See docs/capture.md.
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
  var clientId = null;
  var accuracy = null;

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
  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) {
      locateStatus.textContent = "This browser cannot tell where you are; tap the map instead.";
      return;
    }
    locateStatus.textContent = "Finding where you are…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
      var metres = Math.round(pos.coords.accuracy);
      if (accuracy) accuracy.remove();
      accuracy = L.circle(here, { radius: metres, interactive: false }).addTo(map);
      map.fitBounds(accuracy.getBounds(), { maxZoom: 18 });
      movePin(here);
      locateStatus.textContent = "Located to within " + metres + " m." +
        (metres > 50 ? " That is not very precise: drag the pin or tap the map on the place." : "");
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

  function body(extra) {
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
    return Object.assign(out, extra || {});
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

  function send(extra) {
    if (!clientId) clientId = crypto.randomUUID();
    say("Saving…");
    return fetch("/api/submissions", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
      body: JSON.stringify(body(extra)),
    }).then(function (response) {
      return response.json().then(function (data) { answer(response.status, data); });
    }).catch(function () {
      say("Could not reach the server; press Save again to retry (it will not be saved twice).");
    });
  }

  function answer(status, data) {
    candidates.hidden = true;
    if (status === 409 && data.candidates) {
      showCandidates(data.candidates);
      say("");
      return;
    }
    if (status >= 400) {
      say("Not saved: " + data.message);
      return;
    }
    clientId = null; // answered: the next place is a new submission
    var words = { created: "Saved as a new place, to be checked by an officer.",
      verified: "Recorded that you checked this place: it is now verified.",
      "seen by a connector": "Recorded that you saw this place.",
      "already verified": "This place is already verified; nothing more to record." };
    say((words[data.outcome] || "Saved.") + " ", { url: data.asset.url, text: "See " + data.asset.name });
  }

  function showCandidates(list) {
    candidateList.textContent = "";
    list.forEach(function (c) {
      var li = document.createElement("li");
      li.textContent = c.name + " (" + c.category + ", " + c.status + ", " + Math.round(c.distance_m) + " m away) ";
      var same = document.createElement("button");
      same.type = "button";
      same.textContent = "This is the same place";
      same.setAttribute("aria-label", "This is the same place as " + c.name);
      same.addEventListener("click", function () { send({ same_as: c.id }); });
      li.appendChild(same);
      candidateList.appendChild(li);
    });
    candidates.hidden = false;
    document.getElementById("candidates-heading").focus();
  }

  document.getElementById("confirm-new").addEventListener("click", function () {
    send({ confirm_new: true });
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
    send();
  });
})();
