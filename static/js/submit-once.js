// A second tap on a submit button does nothing while the first is on its way.
// (The server also files one case per form, whatever the browser does.)
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  var button = form.querySelector("button[type=submit][data-busy]");
  if (button) {
    button.textContent = button.dataset.busy;
    button.setAttribute("aria-busy", "true");
  }
});
