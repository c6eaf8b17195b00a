"""The service's blueprints: recipe, bundle, health (with the service-info root) and apidocs (/docs)."""
