// A <select data-auto-submit> sends its form as soon as it changes (no inline handler:
// the Content-Security-Policy allows no inline script without the page's nonce).
document.querySelectorAll("select[data-auto-submit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
