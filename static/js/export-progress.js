/* Ledger export page: ask the server every second how far the job is and move the bar;
   show the download button when the file is ready. Without JavaScript the page reloads. */
(function () {
  "use strict";

  function start() {
    var card = document.querySelector(".export-card[data-status-url]");
    if (!card) { return; }
    var state = card.getAttribute("data-state");
    if (state === "done" || state === "failed") { return; }
    var bar = card.querySelector("[data-bar]");
    var progress = card.querySelector("[data-progress]");
    var stateText = card.querySelector("[data-state-text]");
    var reload = card.querySelector("[data-reload]");
    if (reload) { reload.classList.add("d-none"); }

    function show(data) {
      var percent = Math.max(0, Math.min(100, Number(data.percent) || 0));
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
      progress.setAttribute("aria-valuenow", String(percent));
      card.querySelector("[data-written]").textContent = String(data.written);
      card.querySelector("[data-total]").textContent = String(data.total);
      var text = stateText.getAttribute("data-text-" + data.state);
      if (text) { stateText.textContent = text; }
      card.setAttribute("data-state", data.state);
      var requeue = card.querySelector("[data-requeue]");
      if (requeue && data.state !== "queued") { requeue.classList.add("d-none"); }
      if (data.state === "done" || data.state === "failed") {
        bar.classList.remove("progress-bar-striped", "progress-bar-animated");
        bar.classList.add(data.state === "done" ? "bg-success" : "bg-danger");
      }
      if (data.state === "done" && data.download_url) {
        var link = card.querySelector("[data-download]");
        link.setAttribute("href", data.download_url);
        link.classList.remove("d-none");
      }
      if (data.state === "failed") {
        var error = card.querySelector("[data-error]");
        error.textContent = data.error;
        error.classList.remove("d-none");
        window.location.reload();  /* the page offers "queue again" */
      }
      return data.state === "done" || data.state === "failed";
    }

    function poll() {
      fetch(card.getAttribute("data-status-url"), { headers: { "Accept": "application/json" },
                                                   credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) { if (!show(data)) { window.setTimeout(poll, 1000); } })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
