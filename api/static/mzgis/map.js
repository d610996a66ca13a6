/* mzgis web maps: feature layers, popups, labels, legend and the "ready" flag, on Leaflet.
 *
 * Pages built by api/maps call, in order: mzgis.init(map, opts), mzgis.featureLayer(...) and
 * mzgis.labelLayer(...) for each layer, then mzgis.finish(map, opts). When every layer is
 * drawn, mzgis.ready is true and mzgis.counts() tells how many features each layer shows.
 */
(function (L) {
  "use strict";

  var WORDS = {
    zh: { yes: "是", no: "否", estimated: "估算", location: "位置" },
    en: { yes: "yes", no: "no", estimated: "estimated", location: "location" },
  };
  /* units read from the names of keys inside json fields (reference objects...) */
  var KEY_UNITS = [[/_m2$/, " m²"], [/_deg$/, "°"], [/_m$/, " m"], [/_s$/, " s"]];
  var LABEL_ZOOMS = [12, 13, 14, 15, 16];

  var state = { lang: "zh", entries: [], map: null, codeNames: {}, layerControls: [] };
  /* screens narrower than this start with the layer list, legend and panels folded */
  var NARROW = "(max-width: 700px)";
  L.Control.Layers.addInitHook(function () { state.layerControls.push(this); });
  var mzgis = {
    ready: false,
    readyMs: null,
    entries: state.entries,
  };

  function esc(value) {
    return String(value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  /* Words inside json fields (reference objects and the like), by key. */
  var KEY_WORDS = {
    zh: { name: "名称", kind: "类型", status: "状态", distance_m: "距离", bearing_deg: "方位角",
          found: "找到", intact: "完好", note: "备注" },
    en: {},
  };
  var NUMBER_LOCALE = { zh: "zh-CN", en: "en-US" };

  /* Digits a number keeps: none for whole units and metres (a metre is the precision people
     read a distance in), two otherwise. */
  function digitsFor(dtype, unit) {
    if (dtype === "int" || unit === "m" || unit === "m²" || unit === "米" || unit === "平方米") return 0;
    return 2;
  }

  /* A time as people here read it: 北京时间 (UTC+8), minutes. */
  function beijingTime(value) {
    var when = new Date(value);
    if (isNaN(when.getTime())) return String(value);
    var text = when.toLocaleString(NUMBER_LOCALE[state.lang], {
      timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit",
    });
    return text + (state.lang === "zh" ? "（北京时间）" : " (Beijing time)");
  }

  function formatValue(value, dtype, unit) {
    var words = WORDS[state.lang];
    if (dtype === "bool" || typeof value === "boolean") return value ? words.yes : words.no;
    if (dtype === "datetime" && typeof value === "string") return beijingTime(value);
    if (typeof value === "number") {
      return value.toLocaleString(NUMBER_LOCALE[state.lang], {
        maximumFractionDigits: digitsFor(dtype, unit),
      });
    }
    if (Array.isArray(value)) {
      return value.map(function (v) { return formatValue(v, "json"); }).join("；");
    }
    if (value !== null && typeof value === "object") {
      return Object.keys(value).map(function (key) {
        var v = value[key], keyUnit = "";
        KEY_UNITS.forEach(function (pair) { if (!keyUnit && pair[0].test(key)) keyUnit = pair[1]; });
        var label = KEY_WORDS[state.lang][key];
        var shown = typeof v === "object" && v !== null ? JSON.stringify(v)
          : formatValue(v, "", keyUnit.trim()) + keyUnit;
        return label ? label + " " + shown : shown;
      }).join(" ");
    }
    return value;
  }

  /* A stored value as people read it: its label in the page's language where the page was
     given one (spec.values), a division code with its name beside it. */
  function displayValue(name, value, dtype, unit, spec) {
    var labels = (spec.values || {})[name];
    if (labels && typeof value === "string" && labels[value] !== undefined) return labels[value];
    var shown = formatValue(value, dtype, unit);
    if (/_code$/.test(name) && state.codeNames[value]) shown += " " + state.codeNames[value];
    return shown;
  }

  function estimatedSet(props) {
    var text = props.estimated_fields;
    var out = {};
    if (typeof text === "string") {
      text.split(/[,;\s]+/).forEach(function (name) { if (name) out[name] = true; });
    }
    return out;
  }

  function popupHtml(own, spec) {
    var props = Object.assign({}, spec.common || {}, own);
    var estimated = estimatedSet(props);
    var words = WORDS[state.lang];
    var rows = [];
    spec.fields.forEach(function (f) {
      var name = f[0], label = f[1], unit = f[2], dtype = f[3];
      var value = props[name];
      if (value === null || value === undefined || value === "") return;
      var shown = esc(displayValue(name, value, dtype, unit, spec)) + (unit ? " " + esc(unit) : "");
      if (estimated[name]) shown += ' <span class="mzgis-est">(' + words.estimated + ")</span>";
      rows.push("<tr><th>" + esc(label) + "</th><td>" + shown + "</td></tr>");
    });
    if (estimated.geometry) {
      rows.push("<tr><th>" + words.location + '</th><td><span class="mzgis-est">(' +
        words.estimated + ")</span></td></tr>");
    }
    var title = spec.title && props[spec.title] != null ? esc(props[spec.title]) : "";
    return (
      '<div class="mzgis-popup"><div class="mzgis-popup-kind">' + esc(spec.label) + "</div>" +
      (title ? '<div class="mzgis-popup-title">' + title + "</div>" : "") +
      "<table>" + rows.join("") + "</table></div>"
    );
  }

  function categoryColor(cat, own, common) {
    var props = own[cat.field] === undefined ? common : own;
    var value = props[cat.field];
    if (value !== null && value !== undefined && cat.colors[value]) return cat.colors[value];
    if (cat.palette.length && value !== null && value !== undefined) {
      var text = String(value), hash = 0;
      for (var i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) >>> 0;
      return cat.palette[hash % cat.palette.length];
    }
    return cat.other_color;
  }

  function pathStyle(spec, feature) {
    var s = spec.style;
    var out = {
      color: s.color, fillColor: s.fillColor, weight: s.weight, opacity: s.opacity,
      fillOpacity: s.fillOpacity, dashArray: s.dashArray, fill: s.fill,
    };
    if (spec.category) {
      var c = categoryColor(spec.category, feature.properties || {}, spec.common || {});
      out.fillColor = c;
      var kind = feature.geometry && feature.geometry.type;
      if (kind !== "Point" && kind !== "MultiPoint") out.color = c;
    }
    return out;
  }

  function buildLayer(data, spec) {
    var options = {
      pane: spec.pane || "overlayPane",
      interactive: spec.interactive,
      attribution: spec.attribution || null,
      style: function (feature) { return pathStyle(spec, feature); },
      pointToLayer: function (feature, latlng) {
        var o = pathStyle(spec, feature);
        o.radius = spec.style.radius;
        o.pane = options.pane;
        o.interactive = spec.interactive;
        return L.circleMarker(latlng, o);
      },
    };
    var layer = L.geoJSON(data, options);
    if (spec.cluster) {
      var clusters = L.markerClusterGroup({
        chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50,
        disableClusteringAtZoom: 17,
      });
      clusters.addLayers(layer.getLayers());
      layer = clusters;
    }
    if (spec.interactive) layer.on("click", function (e) { openPopup(e, spec); });
    return layer;
  }

  /* One popup per click, built then: no popup objects for features never clicked. */
  function openPopup(e, spec) {
    state.clicked = e.originalEvent;
    var target = e.propagatedFrom || e.layer;
    if (!target || !target.feature) return;
    var at = target.getLatLng ? target.getLatLng() : e.latlng;
    L.popup({ maxWidth: 340 })
      .setLatLng(at)
      .setContent(popupHtml(target.feature.properties || {}, spec))
      .openOn(state.map);
  }

  /* {g: [geometries], p: [properties] | null} -> a GeoJSON FeatureCollection */
  mzgis.features = function (data) {
    var props = data.p;
    return {
      type: "FeatureCollection",
      features: data.g.map(function (geometry, i) {
        return { type: "Feature", geometry: geometry, properties: props ? props[i] : {} };
      }),
    };
  };

  /* A layer group that builds its features the first time it is shown; features come from
     the JSON block dataId or, when that holds null, from spec.url on the page's own server. */
  mzgis.featureLayer = function (dataId, spec) {
    var group = L.layerGroup([], { attribution: spec.attribution || null });
    var entry = { spec: spec, group: group, inner: null, total: spec.total };
    var make = function (loaded) {
      var start = performance.now();
      entry.inner = buildLayer(mzgis.features(loaded), spec);
      entry.buildMs = performance.now() - start;
      entry.total = loaded.g.length;
      group.addLayer(entry.inner);
      if (group._map) restack();
    };
    entry.build = function () {
      if (entry.inner || entry.loading) return;
      var start = performance.now();
      var data = JSON.parse(document.getElementById(dataId).textContent);
      entry.parseMs = performance.now() - start;
      if (data) return make(data);
      entry.loading = fetch(spec.url)
        .then(function (r) {
          if (!r.ok) throw new Error(spec.url + ": HTTP " + r.status);
          return r.json();
        })
        .then(make)
        .catch(function (err) { entry.loading = null; console.error("mzgis: " + err.message); });
    };
    if (spec.show) entry.build();
    else group.on("add", entry.build);
    state.entries.push(entry);
    return group;
  };

  /* Properties of a tiled feature as the popup reads them: json fields travel as text. */
  function tileProperties(props, spec) {
    var out = Object.assign({}, props);
    spec.fields.forEach(function (f) {
      if (f[3] === "json" && typeof out[f[0]] === "string") {
        try { out[f[0]] = JSON.parse(out[f[0]]); } catch (err) { /* shown as text */ }
      }
    });
    return out;
  }

  /* The feature of tiled layer `layer` under `latlng`, found in the tile drawn there (the
     page's one overlay canvas sits above the tiles, so clicks are tested here), or null. */
  function tiledFeatureAt(layer, latlng) {
    var z = layer._tileZoom;
    if (z === undefined || !layer._map) return null;
    var size = layer.getTileSize();
    var pixel = state.map.project(latlng, z);
    var coords = L.point(Math.floor(pixel.x / size.x), Math.floor(pixel.y / size.y));
    coords.z = z;
    var renderer = layer._vectorTiles[layer._tileCoordsToKey(coords)];
    if (!renderer || !renderer._features) return null;
    var local = pixel.subtract(coords.scaleBy(size));
    var found = null;
    Object.keys(renderer._features).forEach(function (id) {
      var f = renderer._features[id].feature;
      if (!f._pxBounds && f.makeInteractive) f.makeInteractive();
      if (f._containsPoint(local)) found = f; /* the last drawn is on top */
    });
    return found;
  }

  /* The popup of a tiled feature: its properties read from the layer's items by its id. */
  function openItemPopup(latlng, props, spec) {
    var id = spec.idField ? props[spec.idField] : null;
    var popup = L.popup({ maxWidth: 340 }).setLatLng(latlng);
    if (id === null || id === undefined) {
      popup.setContent(popupHtml(tileProperties(props, spec), spec)).openOn(state.map);
      return;
    }
    fetch(spec.items + encodeURIComponent(id), { headers: { Accept: "application/geo+json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(spec.items + id + ": HTTP " + r.status);
        return r.json();
      })
      .then(function (feature) {
        popup.setContent(popupHtml(feature.properties || {}, spec)).openOn(state.map);
      })
      .catch(function (err) { console.error("mzgis: " + err.message); });
  }

  function openTiledPopup(e) {
    if (state.clicked === e.originalEvent) return; /* an embedded feature took the click */
    for (var i = state.entries.length - 1; i >= 0; i--) {
      var entry = state.entries[i];
      if (!entry.spec.tiles || !entry.spec.interactive || !entry.group._map) continue;
      var hit = tiledFeatureAt(entry.group, e.latlng);
      if (hit) {
        openItemPopup(e.latlng, hit.properties || {}, entry.spec);
        return;
      }
    }
  }

  /* A large layer drawn from vector tiles of the page's own server (spec.tiles, an
     {z}/{x}/{y} URL template): styled like the other layers, with the same popups built from
     each feature's tile properties. */
  mzgis.tileLayer = function (spec) {
    var styles = {};
    styles[spec.tileLayer] = function (props) {
      var s = pathStyle(spec, { properties: props, geometry: null });
      s.radius = spec.style.radius;
      s.interactive = false; /* clicks are tested by openTiledPopup */
      return s;
    };
    var next = 0;
    var layer = L.vectorGrid.protobuf(spec.tiles, {
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: styles,
      interactive: false,
      getFeatureId: function () { next += 1; return next; }, /* keeps features for clicks */
      maxNativeZoom: spec.maxNativeZoom || 16,
      maxZoom: 19,
      pane: spec.pane || "overlayPane",
      attribution: spec.attribution || null,
    });
    var entry = { spec: spec, group: layer, inner: null, total: spec.total, tiles: 0 };
    layer.on("tileload", function () { entry.tiles += 1; });
    layer.on("load", function () { entry.loadedMs = performance.now(); });
    state.entries.push(entry);
    if (!state.tiledClicks && state.map) {
      state.tiledClicks = true;
      state.map.on("click", openTiledPopup);
    }
    return layer;
  };

  /* Tiles each tiled layer has drawn, and when its last visible tile arrived (ms). */
  mzgis.tileState = function () {
    var out = {};
    state.entries.forEach(function (e) {
      if (e.spec.tiles) out[e.spec.name] = { tiles: e.tiles, loadedMs: e.loadedMs || null };
    });
    return out;
  };

  mzgis.labelLayer = function (labels, spec) {
    var markers = labels.map(function (item) {
      return L.marker([item[0], item[1]], {
        pane: "mzgis-labels", interactive: false, keyboard: false,
        icon: L.divIcon({
          className: "mzgis-label mzgis-label-" + spec.cls,
          html: "<span>" + esc(item[2]) + "</span>",
          iconSize: null,
        }),
      });
    });
    var group = L.layerGroup(markers);
    state.entries.push({ spec: spec, group: group, inner: group, total: labels.length, label: true });
    return group;
  };

  function innerCount(entry) {
    if (!entry.inner || !entry.group._map) return 0;
    if (entry.inner.getLayers) return entry.inner.getLayers().length;
    return 0;
  }

  /* Features each (non-label) layer shows now: 0 for a layer switched off. */
  mzgis.counts = function () {
    var out = {};
    state.entries.forEach(function (e) { if (!e.label) out[e.spec.name] = innerCount(e); });
    return out;
  };

  /* Milliseconds each layer took to build (features to Leaflet layers). */
  mzgis.buildTimes = function () {
    var out = {};
    state.entries.forEach(function (e) {
      if (e.buildMs !== undefined) out[e.spec.name] = [e.parseMs || 0, e.buildMs];
    });
    return out;
  };

  mzgis.totals = function () {
    var out = {};
    state.entries.forEach(function (e) { if (!e.label) out[e.spec.name] = e.total; });
    return out;
  };

  /* The layer (a circle marker, line or polygon) of feature number i of a layer, or null. */
  mzgis.featureAt = function (name, i) {
    var entry = state.entries.filter(function (e) { return e.spec.name === name; })[0];
    if (!entry || !entry.inner) return null;
    return entry.inner.getLayers()[i] || null;
  };

  function restack() {
    var live = state.entries.filter(function (e) { return e.inner && e.group._map && !e.label; });
    live.sort(function (a, b) { return a.spec.style.z - b.spec.style.z; });
    live.forEach(function (e) {
      var inner = e.spec.cluster ? e.inner._featureGroup : e.inner;
      if (inner && inner.eachLayer) {
        inner.eachLayer(function (l) { if (l.bringToFront && l._map) l.bringToFront(); });
      }
    });
  }

  /* Layers of one spec.group are shown one at a time. The layer control adds and removes
     layers in its own order after a click, so the rule is applied once it is done: the layer
     the person ticked (else the one added last) stays, the others of its group go. */
  function exclusive(layer) {
    state.lastAdded = layer;
    if (state.exclusivePending) return;
    state.exclusivePending = true;
    setTimeout(function () {
      state.exclusivePending = false;
      var keep = state.entries.filter(function (e) {
        return e.group._map && (L.Util.stamp(e.group) === state.ticked || e.group === state.lastAdded);
      });
      keep.forEach(function (kept) {
        if (!kept.spec.group) return;
        state.entries.forEach(function (e) {
          if (e !== kept && e.spec.group === kept.spec.group && e.group._map &&
              keep.indexOf(e) < 0) state.map.removeLayer(e.group);
        });
      });
      state.ticked = null;
      restack();
    }, 0);
  }

  function setLegendState(layer, on) {
    state.entries.forEach(function (e) {
      if (e.group !== layer) return;
      var items = document.querySelectorAll('.mzgis-legend [data-layer="' + e.spec.name + '"]');
      items.forEach(function (el) { el.classList.toggle("mzgis-off", !on); });
    });
  }

  function zoomClasses(map) {
    var z = map.getZoom(), box = map.getContainer();
    LABEL_ZOOMS.forEach(function (level) { box.classList.toggle("mzgis-z" + level, z >= level); });
  }

  mzgis.init = function (map, opts) {
    mzgis.initMs = performance.now();
    state.map = mzgis.map = map;
    state.lang = opts.lang || "zh";
    state.codeNames = opts.codeNames || {};
    map.getContainer().classList.add("mzgis-map");
    if (opts.bounds) map.fitBounds(opts.bounds, { padding: [12, 12], maxZoom: 17, animate: false });
    else map.setView([39.9, 116.4], 11, { animate: false });
    var base = map.createPane("mzgis-base");
    base.style.zIndex = 250;
    base.style.pointerEvents = "none";
    var labels = map.createPane("mzgis-labels");
    labels.style.zIndex = 450;
    labels.style.pointerEvents = "none";
    L.control.scale({ imperial: false, position: "bottomleft", maxWidth: 160 }).addTo(map);
    map.attributionControl.setPrefix("Leaflet");
    map.on("zoomend", function () { zoomClasses(map); });
    map.getContainer().addEventListener("click", function (e) {
      var input = e.target;
      if (input && input.classList && input.classList.contains("leaflet-control-layers-selector")) {
        state.ticked = input.checked ? input.layerId : null;
      }
    }, true);
    map.on("overlayadd", function (e) {
      exclusive(e.layer);
      restack();
      setLegendState(e.layer, true);
    });
    map.on("overlayremove", function (e) { setLegendState(e.layer, false); });
  };

  function addBox(map, position, className, html) {
    var Box = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create("div", className);
        div.innerHTML = html;
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    new Box({ position: position }).addTo(map);
  }

  /* The map as a PNG file: what the page shows but the controls people click. */
  function exportPng(map, words) {
    var skip = ["leaflet-control-zoom", "leaflet-control-layers", "leaflet-control-fullscreen",
      "leaflet-control-measure", "mzgis-export"];
    var keep = function (node) {
      return !(node.classList && skip.some(function (c) { return node.classList.contains(c); }));
    };
    return window.htmlToImage.toPng(map.getContainer(), { filter: keep, pixelRatio: 1 })
      .then(function (url) {
        var link = document.createElement("a");
        link.href = url;
        link.download = (document.title || "map").replace(/[\\/:*?"<>|]+/g, "_") + ".png";
        document.body.appendChild(link);
        link.click();
        link.remove();
      })
      .catch(function (err) { console.error("mzgis: PNG export failed: " + err.message); });
  }

  /* What a printed map needs and a screen may show too: a north arrow, the date and the data
     notice (shown in print only), and the PNG export button. */
  function addPrintParts(map, words) {
    addBox(map, "topright", "mzgis-north", '<span aria-hidden="true">▲</span>' + esc(words.north));
    var made = new Date().toLocaleString(NUMBER_LOCALE[state.lang], {
      timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit",
    });
    addBox(map, "bottomleft", "mzgis-print-note",
      esc(words.madeAt) + " " + esc(made) + "　" + esc(words.notice));
    var Button = L.Control.extend({
      onAdd: function () {
        var box = L.DomUtil.create("div", "leaflet-bar mzgis-export");
        var button = L.DomUtil.create("a", "", box);
        button.href = "#";
        button.title = words.export;
        button.setAttribute("role", "button");
        button.setAttribute("aria-label", words.export);
        button.textContent = "PNG";
        L.DomEvent.on(button, "click", function (e) {
          L.DomEvent.preventDefault(e);
          exportPng(map, words);
        });
        L.DomEvent.disableClickPropagation(box);
        return box;
      },
    });
    new Button({ position: "topleft" }).addTo(map);
  }

  /* Wide screens show the layer list, legend and panels open; narrow ones (phones) fold
     them, each opened with a tap on its heading, so nothing covers the map's title. */
  function fold(map) {
    var narrow = window.matchMedia && window.matchMedia(NARROW).matches;
    state.layerControls.forEach(function (c) {
      if (c._layersLink) c._layersLink.title = state.lang === "zh" ? "图层" : "Layers";
      if (narrow || !c._container) return;
      /* stay open: without the hover and map-click handlers of the folded mode (Leaflet 1.9) */
      c.options.collapsed = false;
      L.DomEvent.off(c._container, { mouseenter: c._expandSafely, mouseleave: c.collapse }, c);
      if (c._map) c._map.off("click", c.collapse, c);
      c.expand();
    });
    var legend = map.getContainer().querySelector(".mzgis-legend");
    if (legend) {
      var head = legend.querySelector("h4");
      if (narrow) legend.classList.add("mzgis-folded");
      if (head) {
        head.setAttribute("role", "button");
        head.setAttribute("tabindex", "0");
        L.DomEvent.on(head, "click", function () { legend.classList.toggle("mzgis-folded"); });
      }
    }
    if (narrow) {
      document.querySelectorAll("details.mzgis-panel[open]").forEach(function (d) { d.open = false; });
    }
  }

  mzgis.finish = function (map, opts) {
    if (opts.print) addPrintParts(map, opts.print);
    if (opts.title) addBox(map, "topleft", "mzgis-title leaflet-bar", opts.title);
    if (opts.legend) addBox(map, "bottomright", "mzgis-legend leaflet-bar", opts.legend);
    fold(map);
    state.entries.forEach(function (e) { if (!e.group._map) setLegendState(e.group, false); });
    mzgis.finishMs = performance.now();
    zoomClasses(map);
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        mzgis.ready = true;
        mzgis.readyMs = performance.now();
        document.documentElement.setAttribute("data-mzgis-ready", "1");
      });
    });
  };

  mzgis.popupHtml = popupHtml;
  window.mzgis = mzgis;
})(window.L);
