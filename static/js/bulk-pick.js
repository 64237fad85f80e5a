// The bulk form (the case list, the board's list): a "tick every case on this page" box, and the
// number ticked beside the buttons. Without this script each row's box still works alone.
(function () {
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var header = form.querySelector(".bulk-all");  // the table's header cell, or the board's bar
  var count = form.querySelector("[data-bulk-count]");
  var boxes = function () { return form.querySelectorAll("input.bulk-pick"); };
  var all = document.createElement("input");
  all.type = "checkbox";
  all.className = "form-check-input";
  all.setAttribute("aria-label", header.dataset.label);
  header.appendChild(all);
  if (header.tagName !== "TH") {  // in the board's bar, not a column header: say it in words
    all.id = "bulk-all";
    var words = document.createElement("label");
    words.htmlFor = all.id;
    words.className = "form-check-label small";
    words.textContent = header.dataset.label;
    header.appendChild(words);
  }
  var update = function () {
    var ticked = form.querySelectorAll("input.bulk-pick:checked").length;
    var total = boxes().length;
    all.checked = total > 0 && ticked === total;
    all.indeterminate = ticked > 0 && ticked < total;
    count.textContent = count.dataset.text.replace("{n}", ticked);
  };
  all.addEventListener("change", function () {
    boxes().forEach(function (box) { box.checked = all.checked; });
    update();
  });
  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("bulk-pick")) update();
  });
  update();
})();
