/* assetmap: the pilot planner's map and its what-if and suggest-sites panels.
 *
 * assetmap.js draws the wards, small areas and programme wards and hands over its helpers and
 * layers (window.assetmap). This script outlines and numbers the chosen portfolio's pilots, shades
 * what they reach, lets people place hypothetical places (map click or postcode) and shows what
 * changes (POST /api/whatif), and asks for the best new sites (/api/sites). Text from data is only
 * set with textContent.
 */
(function () {
  "use strict";

  var A = window.assetmap;
  var settings = A.settings;
  var map = A.map;
  var el = A.el;
  var format = A.format;
  var labels = {};
  settings.categories.forEach(function (c) {
    labels[c.key] = c.label;
  });

  // -- the plan on the map ---------------------------------------------------------------------

  // Pilots' numbers, suggested sites and places to try sit above the ward names (tooltips, 650).
  map.createPane("picks").style.zIndex = 660;
  var planLayer = L.layerGroup().addTo(map);

  function byCode(collection) {
    var out = {};
    collection.features.forEach(function (f) {
      out[f.properties.code] = f;
    });
    return out;
  }

  // Where Leaflet puts a polygon's permanent label: the centroid of its first ring.
  function labelPoint(layer) {
    var ring = layer.getLatLngs();
    while (!L.LineUtil.isFlat(ring)) ring = ring[0];
    return L.PolyUtil.polygonCenter(ring, map.options.crs);
  }

  function drawPortfolio(rank, areas, wards) {
    planLayer.clearLayers();
    var portfolio = settings.portfolios.filter(function (p) {
      return p.rank === rank;
    })[0];
    if (!portfolio) return;
    var places = settings.level === "ward" ? byCode(wards) : byCode(areas);
    var areaShapes = byCode(areas);
    var reached = [];
    portfolio.picks.concat(settings.fixed).forEach(function (p) {
      p.areas.forEach(function (code) {
        if (areaShapes[code]) reached.push(areaShapes[code]);
      });
    });
    L.geoJSON({ type: "FeatureCollection", features: reached }, {
      pane: "outlines",
      interactive: false,
      style: { fill: true, fillColor: "#ffffff", fillOpacity: 0.35, color: "#ffffff", weight: 1.5 },
    }).addTo(planLayer);
    settings.fixed.forEach(function (p) {
      if (!places[p.code]) return;
      L.geoJSON(places[p.code], { pane: "outlines", interactive: false,
        style: { fill: false, color: "#000000", weight: 3, dashArray: "4 4" } }).addTo(planLayer);
    });
    portfolio.picks.forEach(function (p, i) {
      var shape = places[p.code];
      if (!shape) return;
      L.geoJSON(shape, { pane: "outlines", interactive: false,
        style: { fill: false, color: "#ffffff", weight: 7, opacity: 0.9 } }).addTo(planLayer);
      var outline = L.geoJSON(shape, { pane: "outlines", interactive: false,
        style: { fill: false, color: "#000000", weight: 3.5 } }).addTo(planLayer);
      var number = el("span", "pick-number", i + 1);
      number.setAttribute("aria-hidden", "true");
      // A ward's number stands just above its name, which is at the same point; an area's is on it.
      var anchor = settings.level === "ward" ? [13, 36] : [13, 13];
      var icon = L.divIcon({ html: number, className: "pick-icon", iconSize: [26, 26], iconAnchor: anchor });
      L.marker(labelPoint(outline.getLayers()[0]), { icon: icon, title: "Pilot " + (i + 1) + ": " + p.name,
        keyboard: false, interactive: false, pane: "picks" }).addTo(planLayer);
    });
  }

  // -- what if ---------------------------------------------------------------------------------

  var whatifLayer = L.layerGroup().addTo(map);
  var points = [];
  var pointList = document.getElementById("whatif-points");
  var whatifResult = document.getElementById("whatif-result");
  var categorySelect = document.getElementById("whatif-category");

  function renderPoints() {
    whatifLayer.clearLayers();
    pointList.textContent = "";
    points.forEach(function (p, i) {
      var sym = A.symbols[p.category];
      var marker = L.marker(L.latLng(p.lat, p.lon), {
        icon: L.divIcon({ html: A.symbolElement(sym, "sym-marker sym-new"), className: "asset-icon",
          iconSize: [22, 22], iconAnchor: [11, 11] }),
        title: "New " + labels[p.category] + " " + (i + 1),
        draggable: true,
        pane: "picks",
      }).addTo(whatifLayer);
      marker.on("dragend", function () {
        var at = marker.getLatLng();
        p.lon = at.lng;
        p.lat = at.lat;
        renderPoints();
      });
      var li = el("li", "", (i + 1) + ". " + labels[p.category] + (p.where ? " at " + p.where : "") +
        " (" + p.lat.toFixed(4) + ", " + p.lon.toFixed(4) + ")");
      var remove = el("button", "link-button", "Remove");
      remove.type = "button";
      remove.setAttribute("aria-label", "Remove place " + (i + 1));
      remove.addEventListener("click", function () {
        points.splice(i, 1);
        renderPoints();
      });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(remove);
      pointList.appendChild(li);
    });
  }

  function addPoint(lon, lat, where) {
    if (points.length >= 50) {
      whatifResult.textContent = "At most 50 places at a time.";
      return;
    }
    points.push({ lon: lon, lat: lat, category: categorySelect.value, where: where || "" });
    renderPoints();
  }

  // While placing, clicks go to the map itself, not to the small areas' popups. A toggle button
  // keeps its name; aria-pressed (and its look) says whether it is on.
  var placeButton = document.getElementById("whatif-place");
  var placing = false;
  function setPlacing(on) {
    placing = on;
    placeButton.setAttribute("aria-pressed", on ? "true" : "false");
    map.getContainer().classList.toggle("placing", on);
    if (on) map.closePopup();
  }
  placeButton.addEventListener("click", function () {
    setPlacing(!placing);
  });
  map.on("click", function (event) {
    if (placing) addPoint(event.latlng.lng, event.latlng.lat, "");
  });

  document.getElementById("whatif-add").addEventListener("click", function () {
    var input = document.getElementById("whatif-postcode");
    whatifResult.textContent = "Looking up the postcode…";
    A.fetchJSON(A.apiUrl(settings.search, { q: input.value })).then(function (body) {
      if (!body.postcode) {
        whatifResult.textContent = body.message || "That postcode was not found.";
        return;
      }
      addPoint(body.postcode.lon, body.postcode.lat, body.postcode.postcode);
      whatifResult.textContent = "Added " + body.postcode.postcode + ".";
      input.value = "";
    }).catch(function (error) {
      whatifResult.textContent = error.message;
    });
  });

  document.getElementById("whatif-clear").addEventListener("click", function () {
    points = [];
    renderPoints();
    whatifResult.textContent = "";
  });

  function table(caption, head, rows) {
    var t = el("table", "whatif-table");
    t.appendChild(el("caption", "", caption));
    var thead = el("thead");
    var tr = el("tr");
    head.forEach(function (h) {
      var th = el("th", "", h);
      th.scope = "col";
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    t.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (r) {
      var row = el("tr");
      r.forEach(function (cell, i) {
        var td = el(i === 0 ? "th" : "td", i === 0 ? "" : "num", cell);
        if (i === 0) td.scope = "row";
        row.appendChild(td);
      });
      body.appendChild(row);
    });
    t.appendChild(body);
    return t;
  }

  function showChange(body) {
    whatifResult.textContent = "";
    var c = body.city;
    var placed = body.categories.map(function (k) {
      return labels[k];
    }).join(", ");
    var byKind = body.categories.map(function (k) {
      return labels[k] + ": " + format(c["new_50plus_" + k], "people") + " more";
    }).join("; ");
    whatifResult.appendChild(el("p", "", "With " + body.points.length + " new " + (body.points.length === 1 ? "place" : "places") +
      " (" + placed + "), residents aged 50+ in Leicester newly within " + body.minutes + " minutes' walk: " + byKind +
      "; any kind of place: " + format(c.new_50plus_any, "people") + " more (" +
      format(c.share_within_any_before, "share") + " → " + format(c.share_within_any_after, "share") +
      " of all aged 50+). City gap score " + format(c.gap_before, "score") + " → " + format(c.gap_after, "score") + "."));
    if (!body.wards.length) {
      whatifResult.appendChild(el("p", "", "No ward's figures change visibly."));
      return;
    }
    var head = ["Ward"].concat(body.categories.map(function (k) {
      return "Aged 50+ newly near a " + labels[k];
    }), ["Gap score"]);
    var rows = body.wards.map(function (w) {
      return [w.name].concat(body.categories.map(function (k) {
        return format(w["new_50plus_" + k], "people");
      }), [format(w.gap_before, "score") + " → " + format(w.gap_after, "score")]);
    });
    whatifResult.appendChild(table("Wards that change", head, rows));
  }

  document.getElementById("whatif-form").addEventListener("submit", function (event) {
    event.preventDefault();
    if (!points.length) {
      whatifResult.textContent = "Add a place first: click the map or give a postcode.";
      return;
    }
    whatifResult.textContent = "Working out the change…";
    var payload = { points: points.map(function (p) {
      return { lon: p.lon, lat: p.lat, category: p.category };
    }) };
    fetch(settings.planner.whatif, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || "HTTP " + response.status);
        return body;
      });
    }).then(showChange).catch(function (error) {
      whatifResult.textContent = error.message;
    });
  });

  // -- suggest sites ---------------------------------------------------------------------------

  var sitesForm = document.getElementById("sites-form");
  var sitesResult = document.getElementById("sites-result");
  var sitesLayer = L.layerGroup().addTo(map);

  sitesForm.addEventListener("submit", function (event) {
    event.preventDefault();
    sitesResult.textContent = "Searching for the best sites…";
    var query = {
      category: document.getElementById("sites-category").value,
      k: document.getElementById("sites-k").value,
      candidates: document.getElementById("sites-candidates").value,
    };
    A.fetchJSON(A.apiUrl(settings.planner.sites, query)).then(function (body) {
      sitesResult.textContent = "";
      sitesLayer.clearLayers();
      var what = labels[body.category];
      if (!body.sites.length) {
        sitesResult.appendChild(el("p", "", "No site would bring anyone new within reach of a " + what + "."));
        return;
      }
      sitesResult.appendChild(el("p", "", body.status.charAt(0).toUpperCase() + body.status.slice(1) + " among " +
        body.n_candidates + " candidates: these " + body.sites.length + " sites would put a " + what + " within " +
        body.minutes + " minutes' walk of " + format(body.residents_50plus, "people") + " more residents aged 50+ (of " +
        format(body.residents_without, "people") + " who have none that near now)."));
      var list = el("ol", "sites-list");
      body.sites.forEach(function (s, i) {
        list.appendChild(el("li", "", s.name + (s.ward_name ? " (" + s.ward_name + ")" : "") + ": " + s.why));
        var number = el("span", "pick-number site-number", i + 1);
        number.setAttribute("aria-hidden", "true");
        L.marker(L.latLng(s.lat, s.lon), {
          icon: L.divIcon({ html: number, className: "pick-icon", iconSize: [24, 24], iconAnchor: [12, 12] }),
          title: "Suggested site " + (i + 1) + ": " + s.name,
          pane: "picks",
        }).addTo(sitesLayer);
      });
      sitesResult.appendChild(list);
      var use = el("button", "", "Try these in the what-if");
      use.type = "button";
      use.addEventListener("click", function () {
        categorySelect.value = body.category;
        body.sites.forEach(function (s) {
          addPoint(s.lon, s.lat, s.name);
        });
        document.getElementById("whatif-run").focus();
      });
      sitesResult.appendChild(use);
    }).catch(function (error) {
      sitesResult.textContent = error.message;
    });
  });

  // -- start -----------------------------------------------------------------------------------

  // The plan's layers are listed after the city's (assetmap.js reports a layer that failed to load).
  Promise.allSettled([A.layers.areas, A.layers.wards]).then(function (loaded) {
    var select = document.getElementById("portfolio");
    var areas = loaded[0].value;
    var wards = loaded[1].value;
    if (select && areas && wards) {
      drawPortfolio(1, areas, wards);
      A.layers.control.addOverlay(planLayer, "The plan's pilots (numbered)");
      select.addEventListener("change", function () {
        drawPortfolio(Number(select.value), areas, wards);
      });
    }
    A.layers.control.addOverlay(whatifLayer, "Places to try (what-if)");
    A.layers.control.addOverlay(sitesLayer, "Suggested sites");
  });
})();
