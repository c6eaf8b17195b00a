// Swagger UI for cns, started from a file (the page's Content-Security-Policy allows no
// inline script). Everything is fetched from this server: no CDN, no validator badge.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json", // relative to /docs, so it also works behind a path prefix
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
