// Volunteer pages: register the service worker, say plainly when the page is an offline
// copy, and refuse actions while offline instead of letting them get lost.
(function () {
  var banner = document.getElementById("offline-banner");
  function show() { if (banner) banner.hidden = navigator.onLine; }
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  show();

  document.addEventListener("submit", function (event) {
    if (!navigator.onLine) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (banner) {
        banner.hidden = false;
        banner.textContent = banner.dataset.refused;
        banner.scrollIntoView();
      }
    }
  }, true);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" });
    document.querySelectorAll("form[data-sign-out]").forEach(function (form) {
      form.addEventListener("submit", function () {
        if (navigator.serviceWorker.controller) {
          navigator.serviceWorker.controller.postMessage("sign-out");
        }
      });
    });
  }
})();
