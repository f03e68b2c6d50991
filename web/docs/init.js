// Renders the API reference from this server's own OpenAPI document with the Swagger UI
// bundle served beside it: nothing is fetched from anywhere else (no validator badge).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#reference",
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  deepLinking: true,
  validatorUrl: null,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
});
