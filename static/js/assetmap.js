/* assetmap: the map layers of the city and ward pages, in one place.
 *
 * The page holds a Leaflet map built by folium (a global variable named in the settings) and its
 * settings as JSON in <script id="page-data"> (class breaks, colours, symbols, API addresses). This
 * script fetches wards, small areas and assets from the API and draws them: the ward choropleth
 * with its metric switch (city page), small areas by gap score, the most under-served areas and the
 * programme wards outlined, assets by category (clustered, one layer each, with popups), and the
 * ward/postcode search. Text from data is only ever set with textContent, or escaped where Leaflet
 * wants HTML (layer control labels); never innerHTML.
 */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("page-data").textContent);
  var map = window[settings.map];
  var statusLine = document.getElementById("map-status");
  var NO_DATA = "#d9d9d9";

  // -- small helpers -------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function hiddenText(text) {
    return el("span", "visually-hidden", text);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function format(value, kind) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    switch (kind) {
      case "share":
        return Math.round(value * 100) + "%";
      case "rate":
      case "minutes":
        return value.toFixed(1);
      case "score":
        return value.toFixed(2);
      default:
        return Math.round(value).toLocaleString("en-GB");
    }
  }

  // The class colour of a value: the first class whose upper bound is at least the value.
  function classColour(value, scale) {
    if (value === null || value === undefined || !isFinite(value) || !scale.breaks.length) return NO_DATA;
    for (var i = 0; i < scale.breaks.length; i++) {
      if (value <= scale.breaks[i] + 1e-9 * Math.abs(scale.breaks[i])) return scale.colours[i];
    }
    return scale.colours[scale.colours.length - 1];
  }

  function wardUrl(code) {
    return settings.wardUrl.replace("CODE", encodeURIComponent(code));
  }

  function apiUrl(path, params) {
    var url = new URL(path, window.location.href);
    Object.keys(params || {}).forEach(function (key) {
      url.searchParams.set(key, params[key]);
    });
    return url.toString();
  }

  function fetchJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || "HTTP " + response.status);
        return body;
      });
    });
  }

  // Every page of /api/assets, following "next".
  function fetchAssets(params) {
    var features = [];
    function page(url) {
      return fetchJSON(url).then(function (body) {
        features = features.concat(body.features);
        return body.next ? page(body.next) : features;
      });
    }
    return page(apiUrl(settings.api.assets, Object.assign({ per_page: 5000 }, params)));
  }

  function setStatus(text) {
    if (statusLine) statusLine.textContent = text;
  }

  // A popup body: a heading and a list of label/value rows.
  function card(title, rows, link) {
    var box = el("div", "popup");
    box.appendChild(el("h3", "", title));
    var list = el("dl");
    rows.forEach(function (row) {
      list.appendChild(el("dt", "", row[0]));
      list.appendChild(el("dd", "", row[1]));
    });
    box.appendChild(list);
    if (link) {
      var a = el("a", "", link[0]);
      a.href = link[1];
      box.appendChild(a);
    }
    return box;
  }

  // -- symbols and assets --------------------------------------------------------------------

  var symbols = {};
  settings.symbols.forEach(function (s) {
    symbols[s.id] = s;
  });

  function symbolElement(sym, extraClass) {
    var node = el("span", "sym sym-" + sym.shape + (extraClass ? " " + extraClass : ""));
    node.style.setProperty("--fill", sym.colour);
    node.style.setProperty("--ink", sym.text);
    var glyph = el("span", "glyph", sym.glyph);
    glyph.setAttribute("aria-hidden", "true");
    node.appendChild(glyph);
    return node;
  }

  function symbolHtml(sym) {
    return (
      '<span class="sym sym-' + escapeHtml(sym.shape) + '" style="--fill: ' + escapeHtml(sym.colour) +
      "; --ink: " + escapeHtml(sym.text) + '" aria-hidden="true"><span class="glyph">' +
      escapeHtml(sym.glyph) + "</span></span>"
    );
  }

  function yesNo(value) {
    return value === true ? "yes" : value === false ? "no" : null;
  }

  function assetPopup(p) {
    var sym = symbols[p.category] || { label: p.category, subcategories: {} };
    var sub = (sym.subcategories || {})[p.subcategory];
    var rows = [["Category", sub && sub !== sym.label ? sym.label + ": " + sub : sym.label]];
    rows.push(["Status", p.status]);
    rows.push(["Last verified", p.last_verified_at ? p.last_verified_at.slice(0, 10) : "never"]);
    if (p.address || p.postcode) rows.push(["Address", [p.address, p.postcode].filter(Boolean).join(", ")]);
    if (p.opening_times) rows.push(["Opening times", p.opening_times]);
    var access = settings.access.filter(function (name) {
      return yesNo(p[name]) !== null;
    }).map(function (name) {
      var words = name.replace(/_/g, " ");
      return words.charAt(0).toUpperCase() + words.slice(1) + ": " + yesNo(p[name]);
    });
    rows.push(["Access", access.length ? access.join("; ") : "not recorded"]);
    rows.push(["Source", p.source_dataset || "not recorded"]);
    rows.push(["Licence", p.licence || "not recorded"]);
    return card(p.name, rows, ["Details and history", settings.assetUrl.replace("ID", encodeURIComponent(p.id))]);
  }

  function assetMarker(feature) {
    var p = feature.properties;
    var sym = symbols[p.category];
    // Reported assets (not yet checked by an officer) get a dashed outline and say so in words.
    var reported = p.status === "reported";
    var words = sym.label + ": " + p.name + (reported ? " (reported, not yet verified)" : "");
    var icon = symbolElement(sym, reported ? "sym-marker sym-reported" : "sym-marker");
    icon.appendChild(hiddenText(words));
    var coords = feature.geometry.coordinates; // GeoJSON [lon, lat]
    var marker = L.marker(L.latLng(coords[1], coords[0]), {
      icon: L.divIcon({ html: icon, className: "asset-icon", iconSize: [22, 22], iconAnchor: [11, 11] }),
      title: words,
      riseOnHover: true,
      category: sym.id,
    });
    marker.bindPopup(function () {
      return assetPopup(p);
    });
    return marker;
  }

  // A cluster of any categories: its size, and what it holds in words (for the tooltip and readers).
  function clusterIcon(cluster) {
    var n = cluster.getChildCount();
    var byLabel = {};
    cluster.getAllChildMarkers().forEach(function (m) {
      var name = symbols[m.options.category].label;
      byLabel[name] = (byLabel[name] || 0) + 1;
    });
    var parts = Object.keys(byLabel).sort(function (a, b) {
      return byLabel[b] - byLabel[a];
    }).map(function (name) {
      return byLabel[name] + " " + name;
    });
    var words = n + " assets: " + parts.join(", ") + ". Zoom in to see them.";
    var size = n < 10 ? 28 : n < 100 ? 34 : 40;
    var node = el("span", "cluster");
    node.title = words;
    var count = el("span", "", n);
    count.setAttribute("aria-hidden", "true");
    node.appendChild(count);
    node.appendChild(hiddenText(words));
    return L.divIcon({ html: node, className: "asset-cluster", iconSize: [size, size] });
  }

  // All assets share one cluster group; each category is a layer of the layer control that adds its
  // markers to the group or takes them out. Counted categories are fetched and shown at once;
  // context layers (bus stops) are fetched the first time they are ticked.
  function addAssets(control, params) {
    var cluster = L.markerClusterGroup({
      chunkedLoading: true,
      showCoverageOnHover: false,
      maxClusterRadius: function (zoom) {
        return zoom >= 15 ? 25 : 50;
      },
      disableClusteringAtZoom: 17,
      iconCreateFunction: clusterIcon,
    }).addTo(map);
    var query = Object.assign({ status: settings.statuses }, params);
    var counted = settings.symbols.filter(function (s) {
      return s.layer === "asset";
    });
    var ids = counted.map(function (s) {
      return s.id;
    });

    function categoryLayer(sym, markers) {
      var layer = L.layerGroup(); // stays empty: it stands for the category's markers in the group
      layer.on("add", function () {
        if (markers) {
          cluster.addLayers(markers);
          return;
        }
        fetchAssets(Object.assign({ category: sym.id }, query)).then(function (features) {
          markers = features.map(assetMarker);
          if (map.hasLayer(layer)) cluster.addLayers(markers);
        });
      });
      layer.on("remove", function () {
        if (markers) cluster.removeLayers(markers);
      });
      return layer;
    }

    return fetchAssets(Object.assign({ category: ids.join(",") }, query)).then(function (features) {
      var byCategory = {};
      features.forEach(function (f) {
        (byCategory[f.properties.category] = byCategory[f.properties.category] || []).push(f);
      });
      settings.symbols.forEach(function (sym) {
        var name = symbolHtml(sym) + " " + escapeHtml(sym.label);
        if (sym.layer === "asset") {
          var list = (byCategory[sym.id] || []).map(assetMarker);
          var layer = categoryLayer(sym, list);
          control.addOverlay(layer, name + " (" + list.length + ")");
          if (list.length) layer.addTo(map);
        } else {
          control.addOverlay(categoryLayer(sym, null), name + " (context, not counted)");
        }
      });
      return features.length;
    });
  }

  // -- polygons ------------------------------------------------------------------------------

  map.createPane("fills").style.zIndex = 410;
  map.createPane("outlines").style.zIndex = 450;
  map.getContainer().classList.add("assetmap-map");

  // A white casing under a dark line, so the outline reads on light and dark fills alike.
  function outlineLayer(collection, codes, dash) {
    var keep = { type: "FeatureCollection", features: collection.features.filter(function (f) {
      return codes.indexOf(f.properties.code) >= 0;
    }) };
    var common = { pane: "outlines", interactive: false, fill: false };
    return L.layerGroup([
      L.geoJSON(keep, { style: Object.assign({ color: "#ffffff", weight: 6, opacity: 0.9 }, common) }),
      L.geoJSON(keep, { style: Object.assign({ color: "#000000", weight: 3, dashArray: dash }, common) }),
    ]);
  }

  function areaPopup(p) {
    return card(p.name + " (" + p.code + ")", [
      ["Gap score", format(p.gap_score, "score") + (p.gap_rank ? " (rank " + p.gap_rank + " in the city)" : "")],
      ["Why", p.why || "–"],
      ["Walk to the nearest asset", format(p.walk_min_any, "minutes") + " min"],
      ["Assets within " + settings.minutes + " minutes", String(p.n_within_any)],
      ["Need index", format(p.need_index, "score")],
      ["Residents aged 50+", format(p.residents_50plus, "people")],
    ]);
  }

  function areaLayer(collection) {
    return L.geoJSON(collection, {
      pane: "fills",
      style: function (f) {
        return { fillColor: classColour(f.properties.gap_score, settings.areaScale), fillOpacity: 0.8,
          color: "#ffffff", weight: 0.8, opacity: 0.9 };
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(function () {
          return areaPopup(f.properties);
        });
      },
    });
  }

  function wardPopup(p) {
    var rows = settings.metrics.map(function (m) {
      return [m.label, format(p[m.key], m.kind)];
    });
    rows.push(["Gap rank", p.gap_rank ? String(p.gap_rank) : "–"]);
    rows.push(["Why", p.why || "–"]);
    rows.push(["Residents aged 50+", format(p.residents_50plus, "people")]);
    return card(p.name, rows, ["Open the ward page", wardUrl(p.code)]);
  }

  function label(layer, text) {
    layer.bindTooltip(el("span", "", text), { permanent: true, direction: "center", className: "ward-label" });
  }

  // -- streets walked on patch walks -----------------------------------------------------------

  // A colour no asset symbol or choropleth class uses, over a white casing.
  var WALKED = "#e6007e";
  var WALKED_LABEL = "Streets walked on patch walks (surveyed)";

  function walkedLegend() {
    var legend = document.querySelector(".legend");
    if (!legend || legend.querySelector(".key-walked")) return;
    var key = el("span", "key key-walked");
    key.style.borderTopColor = WALKED;
    key.style.borderTopWidth = "4px";
    key.setAttribute("aria-hidden", "true");
    var item = el("li");
    item.appendChild(key);
    item.appendChild(document.createTextNode(" " + WALKED_LABEL));
    var list = el("ul", "legend-keys");
    list.appendChild(item);
    legend.appendChild(list);
  }

  // The public layer of /api/walks/streets: lines with the month walked, no names, no times.
  function addWalkedStreets(control, params) {
    walkedLegend();
    var url = settings.api.walkStreets;
    return fetchJSON(apiUrl(url, params)).then(function (collection) {
      var casing = L.geoJSON(collection, {
        pane: "outlines",
        interactive: false,
        style: { color: "#ffffff", weight: 7, opacity: 0.9 },
      });
      var lines = L.geoJSON(collection, {
        pane: "outlines",
        style: { color: WALKED, weight: 4, opacity: 1 },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          layer.bindTooltip(el("span", "", "Walked in " + p.month + " (" + p.walks + " patch walk" +
            (p.walks === 1 ? "" : "s") + " that month)"), { sticky: true });
        },
      });
      var layer = L.layerGroup([casing, lines]).addTo(map);
      control.addOverlay(layer, escapeHtml(WALKED_LABEL));
      return collection.features.length;
    });
  }

  // -- the pages -----------------------------------------------------------------------------

  // The layer control lives in the page's "Map layers" box when there is one, not over the map.
  function layerControl() {
    var box = document.getElementById("layers");
    var control = L.control.layers(null, null, { collapsed: !box, position: "topright" });
    control.addTo(map);
    if (box) box.appendChild(control.getContainer());
    map.attributionControl.addAttribution(escapeHtml(settings.attribution));
    return control;
  }

  function cityPage() {
    var control = layerControl();
    var metricSelect = document.getElementById("metric");
    var metric = settings.metrics[0];
    var wards;
    var counts = {};

    function wardStyle(f) {
      return { fillColor: classColour(f.properties[metric.key], metric), fillOpacity: 0.8,
        color: "#1a1a1a", weight: 1.2 };
    }

    function chooseMetric(key) {
      metric = settings.metrics.filter(function (m) {
        return m.key === key;
      })[0] || settings.metrics[0];
      if (wards) wards.setStyle(wardStyle);
      settings.metrics.forEach(function (m) {
        document.getElementById("legend-" + m.key).hidden = m.key !== metric.key;
      });
    }
    metricSelect.addEventListener("change", function () {
      chooseMetric(metricSelect.value);
      var url = new URL(window.location.href);
      url.searchParams.set("metric", metric.key);
      window.history.replaceState(null, "", url.toString()); // the address opens this view again
    });
    chooseMetric(metricSelect.value);

    var loadWards = fetchJSON(settings.api.wards).then(function (collection) {
      wards = L.geoJSON(collection, {
        pane: "fills",
        style: wardStyle,
        onEachFeature: function (f, layer) {
          layer.bindPopup(function () {
            return wardPopup(f.properties);
          });
          label(layer, f.properties.name);
        },
      }).addTo(map);
      control.addOverlay(wards, "Wards (shaded by the chosen measure)");
      var programme = outlineLayer(collection, settings.connector, "8 6").addTo(map);
      control.addOverlay(programme, "Community Connectors' wards (dashed outline)");
      counts.wards = collection.features.length;
    });
    var loadAreas = fetchJSON(settings.api.areas).then(function (collection) {
      control.addOverlay(areaLayer(collection), "Small areas: gap score");
      var top = outlineLayer(collection, settings.highlight, null).addTo(map);
      control.addOverlay(top, "Most under-served small areas (outlined)");
      counts.areas = collection.features.length;
    });
    var loadAssets = addAssets(control, {}).then(function (n) {
      counts.assets = n;
    });
    var loadWalked = addWalkedStreets(control, {});
    report([loadWards, loadAreas, loadAssets, loadWalked], counts);
    search();
  }

  // Ward boundaries, named, over the fills, and the programme wards dashed: two overlays.
  function wardOutlines(control, collection, style) {
    var all = L.geoJSON(collection, {
      pane: "outlines",
      interactive: false,
      style: style,
      onEachFeature: function (f, layer) {
        label(layer, f.properties.name);
      },
    }).addTo(map);
    control.addOverlay(all, "Ward boundaries");
    var programme = outlineLayer(collection, settings.connector, "8 6").addTo(map);
    control.addOverlay(programme, "Community Connectors' wards (dashed outline)");
  }

  function wardPage() {
    var control = layerControl();
    var counts = {};
    var loadWards = fetchJSON(settings.api.wards).then(function (collection) {
      wardOutlines(control, collection, function (f) {
        var mine = f.properties.code === settings.ward;
        return { fill: false, color: mine ? "#000000" : "#595959", weight: mine ? 3.5 : 1 };
      });
      counts.wards = collection.features.length;
    });
    var loadAreas = fetchJSON(apiUrl(settings.api.areas, { ward: settings.ward })).then(function (collection) {
      var areas = areaLayer(collection).addTo(map);
      control.addOverlay(areas, "Small areas: gap score");
      var top = outlineLayer(collection, settings.highlight, null).addTo(map);
      control.addOverlay(top, "Most under-served small areas (outlined)");
      counts.areas = collection.features.length;
    });
    var loadAssets = addAssets(control, { bbox: settings.assetsBbox }).then(function (n) {
      counts.assets = n;
    });
    var loadWalked = addWalkedStreets(control, { bbox: settings.assetsBbox });
    report([loadWards, loadAreas, loadAssets, loadWalked], counts);
  }

  function report(loads, counts) {
    Promise.allSettled(loads).then(function (results) {
      var failed = results.filter(function (r) {
        return r.status === "rejected";
      });
      var shown = [];
      if (counts.wards !== undefined) shown.push(counts.wards + " wards");
      if (counts.areas !== undefined) shown.push(counts.areas + " small areas");
      if (counts.assets !== undefined) shown.push(counts.assets.toLocaleString("en-GB") + " assets");
      var text = shown.length ? "Showing " + shown.join(", ") + "." : "";
      failed.forEach(function (r) {
        console.error(r.reason);
      });
      if (failed.length) text += " Some layers could not be loaded: " + String(failed[0].reason.message || failed[0].reason);
      setStatus(text.trim());
    });
  }

  // -- search (city page) --------------------------------------------------------------------

  function search() {
    var form = document.getElementById("search-form");
    if (!form) return;
    var input = document.getElementById("search-q");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-list");
    var pin = null;

    function item(text, href) {
      var li = el("li");
      var a = el("a", "", text);
      a.href = href;
      li.appendChild(a);
      return li;
    }

    function show(body) {
      list.textContent = "";
      if (body.postcode) {
        var pc = body.postcode;
        var where = L.latLng(pc.lat, pc.lon); // the API gives lon and lat separately
        if (pin) pin.remove();
        pin = L.circleMarker(where, { radius: 9, color: "#000000", weight: 3, fillColor: "#ffffff", fillOpacity: 1,
          pane: "markerPane" }).addTo(map);
        pin.bindTooltip(el("span", "", pc.postcode), { permanent: true, direction: "top", offset: [0, -8] });
        map.setView(where, Math.max(map.getZoom(), 15));
        var li = el("li", "", pc.postcode + (pc.ward ? " is in " : " is outside the city's wards"));
        if (pc.ward) {
          var a = el("a", "", pc.ward.name);
          a.href = pc.ward.url;
          li.appendChild(a);
        }
        list.appendChild(li);
      }
      body.wards.forEach(function (w) {
        list.appendChild(item(w.name + " ward", w.url));
      });
      var n = body.wards.length;
      status.textContent = body.message ||
        (body.postcode ? "Postcode found and shown on the map." : n + (n === 1 ? " ward matches." : " wards match."));
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "Searching…";
      fetchJSON(apiUrl(form.getAttribute("action"), { q: input.value }))
        .then(show)
        .catch(function (error) {
          list.textContent = "";
          status.textContent = error.message;
        });
    });
  }

  // The planner page: wards outlined and named, small areas by gap score, programme wards; its own
  // script (planner.js) draws the plan on top, with the helpers and the layers handed over here.
  function plannerPage() {
    var control = layerControl();
    var loadWards = fetchJSON(settings.api.wards).then(function (collection) {
      wardOutlines(control, collection, { fill: false, color: "#595959", weight: 1 });
      return collection;
    });
    var loadAreas = fetchJSON(settings.api.areas).then(function (collection) {
      var areas = areaLayer(collection).addTo(map);
      control.addOverlay(areas, "Small areas: gap score");
      return collection;
    });
    var counts = {};
    loadWards.then(function (c) {
      counts.wards = c.features.length;
    });
    loadAreas.then(function (c) {
      counts.areas = c.features.length;
    });
    report([loadWards, loadAreas], counts);
    return { control: control, wards: loadWards, areas: loadAreas };
  }

  window.assetmap = {
    settings: settings,
    map: map,
    el: el,
    card: card,
    format: format,
    fetchJSON: fetchJSON,
    apiUrl: apiUrl,
    setStatus: setStatus,
    symbols: symbols,
    symbolElement: symbolElement,
  };
  if (settings.page === "city") cityPage();
  else if (settings.page === "planner") window.assetmap.layers = plannerPage();
  else wardPage();
})();
