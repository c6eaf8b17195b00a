"""The service's blueprints: recipe, bundle and health (with the service-info root)."""
