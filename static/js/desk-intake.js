// The desk's intake form: click the map to put the pin, type a place name to pick from
// the project's places, see open look-alikes within 150 m as soon as the category and the
// place are known, and show only the field the chosen next step needs. Without this
// script the form still works: the server resolves the typed name and lists the
// look-alikes on submit.
(function () {
  var script = document.currentScript;
  var map = window[script.dataset.map];
  var form = document.getElementById("intake-form");
  var lat = form.querySelector("[name=lat]");
  var lon = form.querySelector("[name=lon]");
  var crs = form.querySelector("[name=crs]");
  var seen = form.querySelector("[name=seen]");
  var category = form.querySelector("[name=category]");
  var place = form.querySelector("[name=place]");
  var address = form.querySelector("[name=address]");
  var matches = document.getElementById("place-matches");
  var state = document.getElementById("pin-state");
  var panel = document.getElementById("lookalikes");
  var marker = null;

  function pin(latlng) {
    if (marker) { marker.setLatLng(latlng); } else {
      marker = L.marker(latlng, { draggable: true }).addTo(map);
      marker.on("dragend", function () { record(marker.getLatLng(), "display"); });
    }
  }

  function record(latlng, system) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    crs.value = system;
    state.textContent = state.dataset.set;
    lookalikes();
  }

  function text(tag, value, css) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (css) { node.className = css; }
    return node;
  }

  function lookalikes() {
    if (!category.value || !lat.value || !lon.value) { return; }
    var url = form.dataset.lookalikes + "?category=" + encodeURIComponent(category.value) +
      "&lat=" + lat.value + "&lon=" + lon.value + "&crs=" + crs.value;
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (cases) {
        panel.textContent = "";
        seen.value = cases.map(function (c) { return c.id; }).join(",");
        if (!cases.length) {
          panel.appendChild(text("p", panel.dataset.none, "small text-muted mb-2"));
          return;
        }
        var box = text("div", "", "alert alert-warning py-2 mb-2");
        box.dataset.testid = "lookalikes";
        box.appendChild(text("div", panel.dataset.title, "fw-semibold small mb-1"));
        var list = text("ul", "", "small mb-0");
        cases.forEach(function (c) {
          var item = document.createElement("li");
          var link = text("a", c.code + " · " + c.title);
          link.href = c.url; link.target = "_blank"; link.rel = "noopener";
          item.appendChild(link);
          item.appendChild(document.createTextNode(" · " + c.status + " · " + c.distance_m + " m"));
          list.appendChild(item);
        });
        box.appendChild(list);
        panel.appendChild(box);
      }).catch(function () {});
  }

  var timer = null;
  place.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var query = place.value.trim();
      if (!query) { matches.textContent = ""; return; }
      fetch(form.dataset.places + "?q=" + encodeURIComponent(query))
        .then(function (r) { return r.json(); }).then(function (found) {
          matches.textContent = "";
          found.forEach(function (m) {
            var option = text("button", "", "list-group-item list-group-item-action py-1");
            option.type = "button";
            option.appendChild(text("b", m.name));
            option.appendChild(document.createTextNode(" "));
            option.appendChild(text("small", m.detail, "text-muted"));
            option.addEventListener("click", function () {
              if (!address.value) { address.value = m.name; }
              place.value = m.name;
              matches.textContent = "";
              var here = L.latLng(m.lat, m.lon);
              pin(here);
              map.setView(here, 17);
              record(here, "wgs84");
            });
            matches.appendChild(option);
          });
        }).catch(function () {});
    }, 250);
  });

  if (lat.value && lon.value) { pin(L.latLng(parseFloat(lat.value), parseFloat(lon.value))); }
  map.on("click", function (event) { pin(event.latlng); record(event.latlng, "display"); });
  category.addEventListener("change", lookalikes);

  // Only the field the chosen next step needs.
  var steps = form.querySelectorAll("[name=then]");
  function showStep() {
    var chosen = form.querySelector("[name=then]:checked");
    form.querySelectorAll("[data-when]").forEach(function (block) {
      block.hidden = !chosen || block.dataset.when !== chosen.value;
    });
  }
  steps.forEach(function (radio) { radio.addEventListener("change", showStep); });
  showStep();
})();
