// Report step 1: tap the map to drop the pin, drag it, or use the phone's location.
// The pin's coordinates go into the form's hidden lat/lon fields; the server converts
// them from the map's coordinate system to WGS-84 for storage.
(function () {
  var script = document.currentScript;
  var map = window[script.dataset.map];
  var form = document.getElementById("report-place");
  var lat = form.querySelector("[name=lat]");
  var lon = form.querySelector("[name=lon]");
  var crs = form.querySelector("[name=crs]");
  var state = document.getElementById("pin-state");
  var marker = null;

  function place(latlng) {
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = L.marker(latlng, { draggable: true }).addTo(map);
      marker.on("dragend", function () { record(marker.getLatLng()); });
    }
    record(latlng);
  }

  function record(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    crs.value = "display";
    state.textContent = state.dataset.set;
    state.classList.add("is-set");
  }

  if (lat.value && lon.value) {
    place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
  }
  map.on("click", function (event) { place(event.latlng); });

  var locate = document.getElementById("locate");
  if (navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        // GPS speaks WGS-84: let the server convert and redraw the map around it.
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        crs.value = "wgs84";
        form.submit();
      }, function () {
        state.textContent = locate.dataset.denied;
      }, { enableHighAccuracy: true, timeout: 10000 });
    });
  }
})();
