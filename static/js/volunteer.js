// Volunteer page: check-in sends the phone's position when it shares it (a far check-in
// is flagged, never refused; without a position the check-in still goes through), and
// "use my location" sorts the open wishes by distance from the phone.
(function () {
  document.querySelectorAll("form.checkin").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var lat = form.querySelector("[name$=latitude]");
      if (!navigator.geolocation || lat.value || form.dataset.asked) return;
      event.preventDefault();
      form.dataset.asked = "1";
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        form.querySelector("[name$=longitude]").value = position.coords.longitude.toFixed(6);
        form.submit();
      }, function () { form.submit(); }, { enableHighAccuracy: true, timeout: 8000 });
    });
  });
  var nearMe = document.getElementById("near-me");
  if (nearMe && navigator.geolocation) {
    nearMe.hidden = false;
    nearMe.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        window.location.search = "?lat=" + position.coords.latitude.toFixed(6) +
          "&lon=" + position.coords.longitude.toFixed(6);
      });
    });
  }
})();
