// A place's settings page: the pin shows the typed latitude and longitude (and a studio's
// served area as a circle); a click on the map moves the pin there and fills the fields,
// which stay editable: the form works without this script. With GCJ-02 tiles the map
// shows shifted coordinates, so the fields are left to typing.
(function () {
  var script = document.currentScript;
  var map = window[script.dataset.map];
  var form = document.getElementById(script.dataset.form);
  if (!map || !form) return;
  var lat = form.querySelector("[name=latitude]");
  var lon = form.querySelector("[name=longitude]");
  var radius = form.querySelector("[name=service_radius_km]");
  var marker = null;
  var circle = null;

  function draw(fit) {
    var point = [parseFloat(lat.value), parseFloat(lon.value)];
    if (!isFinite(point[0]) || !isFinite(point[1]) || Math.abs(point[0]) > 90 ||
        Math.abs(point[1]) > 180) { return; }
    if (marker) { marker.setLatLng(point); } else { marker = L.marker(point).addTo(map); }
    var km = radius ? parseFloat(radius.value) : NaN;
    if (isFinite(km) && km > 0 && km <= 50) {
      if (circle) { circle.setLatLng(point).setRadius(km * 1000); } else {
        circle = L.circle(point, { radius: km * 1000, color: "#fa9d3b", fillOpacity: 0.1 })
          .addTo(map);
      }
      if (fit) { map.fitBounds(circle.getBounds()); }
    }
  }

  if (script.dataset.crs === "wgs84") {
    draw(true);
    [lat, lon, radius].forEach(function (field) {
      if (field) { field.addEventListener("change", function () { draw(false); }); }
    });
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lon.value = event.latlng.lng.toFixed(6);
      draw(false);
    });
  }
})();
