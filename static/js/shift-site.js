// Publish a shift: a tap on the map puts the site's pin there and fills the latitude and
// longitude fields (which stay editable: the form works without this script). With
// GCJ-02 tiles the map shows shifted coordinates, so the fields are left to typing.
(function () {
  var script = document.currentScript;
  var map = window[script.dataset.map];
  var form = document.getElementById("publish-shift");
  if (!map || !form || script.dataset.crs !== "wgs84") return;
  var lat = form.querySelector("[name=latitude]");
  var lon = form.querySelector("[name=longitude]");
  var marker = null;
  map.on("click", function (event) {
    if (marker) { marker.setLatLng(event.latlng); } else {
      marker = L.marker(event.latlng).addTo(map);
    }
    lat.value = event.latlng.lat.toFixed(6);
    lon.value = event.latlng.lng.toFixed(6);
  });
})();
