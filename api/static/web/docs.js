// Starts Swagger UI or ReDoc on the API documentation pages (no inline script: CSP).
(function () {
  "use strict";
  var host = document.getElementById("api-docs");
  if (!host) return;
  var url = host.dataset.openapi;
  if (host.dataset.viewer === "redoc") {
    window.Redoc.init(url, { hideDownloadButton: false }, host);
  } else {
    window.ui = window.SwaggerUIBundle({ url: url, domNode: host, deepLinking: true });
  }
})();
