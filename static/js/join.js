// The volunteer's application: "use my location" fills the base position (optional; the
// place named is looked up without it).
(function () {
  var button = document.getElementById("join-locate");
  var form = document.getElementById("join-form");
  if (!navigator.geolocation || !button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("[name=lat]").value = position.coords.latitude.toFixed(6);
      form.querySelector("[name=lon]").value = position.coords.longitude.toFixed(6);
      document.getElementById("join-located").textContent = button.dataset.set;
    }, function () {}, { timeout: 10000 });
  });
})();
