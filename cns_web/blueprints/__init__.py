"""The service's blueprints: recipe, bundle, validate, health (with the service-info root),
apidocs (/docs) and ui (the recipe explorer's pages under /ui)."""
