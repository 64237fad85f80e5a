// The interactive API page: Swagger UI on /api/v1/openapi.json. Requests made with
// "Try it out" use the signed-in session, so a state-changing one carries the page's
// CSRF token in the X-CSRFToken header, as the API asks of session callers.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || !window.SwaggerUIBundle) { return; }
  var csrf = root.getAttribute("data-csrf");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    requestInterceptor: function (request) {
      if (request.method && request.method.toUpperCase() !== "GET") {
        request.headers["X-CSRFToken"] = csrf;
      }
      return request;
    }
  });
})();
