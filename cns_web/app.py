"""The application factory: settings, logging, extensions, blueprints, error handlers, data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import middleware
from .blueprints import apidocs, bundle, discover, health, recipe, ui, validate
from .cache import LRUCache
from .config import Settings
from .errors import register_error_handlers
from .extensions import init_api
from .logs import AccessLog, configure_logging
from .metrics import METRICS_ENDPOINT, METRICS_OPERATION, init_metrics
from .ratelimit import init_rate_limit
from .state import ServiceState

#: Distinct query strings whose parsed criteria are remembered (validation runs once each).
QUERY_MEMO_SIZE = 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides environment settings (same ``CNS_*`` names).

    The recipe data is loaded here, once; ``/ready`` reports a load failure.
    """
    settings = Settings.from_env(config)
    log_handler = configure_logging(settings)
    app = Flask(__name__)
    app.config.update(
        CNS_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    state = ServiceState(
        settings=settings,
        metrics=init_metrics(app),
        recipes=LRUCache(settings.recipe_cache_size),
        queries=LRUCache(QUERY_MEMO_SIZE),
    )
    app.extensions["cns"] = state
    middleware.init_app(app, state, AccessLog.create(settings, log_handler))
    if settings.trusted_proxies:  # outermost: everything inside sees the client's address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    api = init_api(app)
    for blueprint in (recipe.bp, bundle.bp, validate.bp, discover.bp, health.bp):
        api.register_blueprint(blueprint)
    app.register_blueprint(apidocs.bp)  # the docs page is not part of the API document
    app.register_blueprint(ui.bp)  # the recipe explorer's pages: not in the API document either
    metrics_rule = next(app.url_map.iter_rules(endpoint=METRICS_ENDPOINT))
    api.spec.path(rule=metrics_rule, operations=METRICS_OPERATION)
    if settings.rate_limit_enabled:
        init_rate_limit(app, settings, state.metrics)
    register_error_handlers(app)
    state.load()
    return app
