/* The dispatch board: loads the filtered open cases as GeoJSON into the map's marker cluster,
 * and the heat map's points into its layer group.
 *
 * Case text is put on the page only through textContent and DOM nodes, never parsed as HTML: the
 * GeoJSON carries residents' words as they wrote them. Markers are cheap divIcons (one per
 * status and overdue flag, shared), and a popup is built only when it is opened, so tens of
 * thousands of cases load quickly. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("board-config").textContent);
  var map = window[config.map];
  var cluster = window[config.cluster];
  var heatGroup = window[config.heat];
  var statusLine = document.getElementById("board-status");
  if (!map || !cluster) { return; }

  function say(text) { statusLine.textContent = text; }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var icons = {};
  function iconFor(status, overdue) {
    var key = status + (overdue ? ":late" : "");
    if (!icons[key]) {
      icons[key] = L.divIcon({
        className: "board-dot s-" + status.replace(/[^a-z_]/g, "") + (overdue ? " overdue" : ""),
        iconSize: [24, 24]  // WCAG 2.2 target size: 24 px at least
      });
    }
    return icons[key];
  }

  /* A cluster shows how many cases it holds and, in a red badge, how many are overdue. */
  cluster.options.iconCreateFunction = function (group) {
    var late = 0;
    group.getAllChildMarkers().forEach(function (marker) { if (marker.options.late) { late += 1; } });
    var count = group.getChildCount();
    var box = el("div", "board-cluster", count);
    if (late) { box.appendChild(el("span", "board-cluster-late", late)); }
    var size = count < 100 ? 34 : count < 1000 ? 40 : 46;
    return L.divIcon({ html: box, className: "board-cluster-icon" + (late ? " has-late" : ""),
                       iconSize: [size, size] });
  };

  function popupFor(props, categories) {
    var box = el("div", "board-popup");
    box.appendChild(el("div", "fw-semibold", props.title));
    var line = el("div", "small");
    line.appendChild(el("span", "board-dot s-" + props.status + (props.overdue ? " overdue" : "")));
    line.appendChild(document.createTextNode(" " + (config.statuses[props.status] || props.status)));
    if (props.overdue) {
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(el("span", "text-danger fw-semibold", "⚠ " + config.text.overdue));
    }
    box.appendChild(line);
    box.appendChild(el("div", "small text-muted",
      (categories[props.category] || "") + " · " + (config.kinds[props.kind] || props.kind)));
    var link = el("a", "small", config.text.open + " →");
    link.href = config.caseUrl + encodeURIComponent(props.id);
    box.appendChild(link);
    return box;
  }

  function load(collection) {
    var categories = collection.categories || {};
    var markers = [];
    var late = 0;
    var bounds = L.latLngBounds([]);
    collection.features.forEach(function (feature) {
      var props = feature.properties;
      var xy = feature.geometry.coordinates;
      if (props.overdue) { late += 1; }
      bounds.extend([xy[1], xy[0]]);
      var marker = L.marker([xy[1], xy[0]], {
        icon: iconFor(props.status, props.overdue), late: props.overdue,
        zIndexOffset: props.overdue ? 1000 : 0, title: props.title, alt: props.title
      });
      marker.bindPopup(function () { return popupFor(props, categories); });
      markers.push(marker);
    });
    /* Show what the filter found, however far from the studio; zoom before clustering,
     * since a zoom while the cluster is still loading in chunks starts it over and over. */
    if (markers.length) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16, animate: false });
    }
    cluster.addLayers(markers);
    say(config.text.shown.replace("{n}", markers.length) +
        (late ? " · " + config.text.overdueShown.replace("{n}", late) : ""));
    map.getContainer().setAttribute("data-loaded", String(markers.length));
  }

  say(config.text.loading);
  fetch(config.cases, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(load)
    .catch(function () { say(config.text.failed); });

  if (heatGroup && L.heatLayer) {
    fetch(config.heatUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (points) {
        var max = points.reduce(function (m, p) { return Math.max(m, p[2]); }, 1);
        heatGroup.addLayer(L.heatLayer(points, { radius: 22, blur: 18, max: max, minOpacity: 0.3 }));
      })
      .catch(function () { /* the heat map is optional; the cases matter */ });
  }
})();
