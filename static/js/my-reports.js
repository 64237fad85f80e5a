// "My reports": tracking codes filed from this browser, kept in localStorage only.
(function () {
  var KEY = "dispatch.myReports";
  var SECRETS = "dispatch.myReportKeys";  // code -> the feedback key of its private link

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; }
  }

  function loadKeys() {
    try { return JSON.parse(localStorage.getItem(SECRETS)) || {}; } catch (e) { return {}; }
  }

  // On a case page just filed, remember its code.
  var filed = document.querySelector("[data-remember-code]");
  if (filed) {
    var codes = load().filter(function (c) { return c !== filed.dataset.rememberCode; });
    codes.unshift(filed.dataset.rememberCode);
    localStorage.setItem(KEY, JSON.stringify(codes.slice(0, 30)));
    if (filed.dataset.rememberKey) {
      var keys = loadKeys();
      keys[filed.dataset.rememberCode] = filed.dataset.rememberKey;
      localStorage.setItem(SECRETS, JSON.stringify(keys));
    }
  }

  // A replied case opened without its key (the text message's link): this phone filed it,
  // so it knows the key; open the page with it, which shows the feedback form.
  var waiting = document.querySelector("[data-feedback-code]");
  if (waiting && !/[?&]k=/.test(location.search)) {
    var known = loadKeys()[waiting.dataset.feedbackCode];
    if (known) {
      location.replace(location.pathname + "?k=" + encodeURIComponent(known));
      return;
    }
  }

  var list = document.getElementById("my-reports");
  if (!list) return;
  // A list holds only items: a message goes in an item of its own, not as bare text.
  function say(text) {
    var item = document.createElement("li");
    item.className = "my-reports-note";
    item.textContent = text;
    list.replaceChildren(item);
  }
  var codes = load();
  if (!codes.length) {
    say(list.dataset.empty);
    return;
  }
  fetch("/api/cases/status?codes=" + encodeURIComponent(codes.join(",")))
    .then(function (response) { return response.json(); })
    .then(function (cases) {
      cases.sort(function (a, b) { return codes.indexOf(a.code) - codes.indexOf(b.code); });
      cases.forEach(function (c) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        var secret = loadKeys()[c.code];
        link.href = secret ? c.url + "?k=" + encodeURIComponent(secret) : c.url;
        var title = document.createElement("b");
        title.textContent = c.title;  // textContent: a title is user text
        var status = document.createElement("span");
        status.className = "status status-" + c.status;
        status.textContent = c.status_label;
        var code = document.createElement("small");
        code.textContent = c.code;
        link.append(title, status, code);
        item.append(link);
        list.append(item);
      });
    })
    .catch(function () { say(list.dataset.error); });
})();
