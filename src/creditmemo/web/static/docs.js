// /docs: Swagger UI over /openapi.json, from the files the package ships (static/swagger-ui/), so the
// API reference works offline and with a Content-Security-Policy that forbids inline script.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
