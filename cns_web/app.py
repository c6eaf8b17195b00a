"""The application factory: settings, logging, extensions, blueprints, error handlers, data."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any, NoReturn

from flask import Flask, Request, request
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import RequestRedirect

from cns_core.lru import LRUCache

from . import errors, extensions, metrics, middleware, ratelimit, tracing
from .blueprints import apidocs, bundle, discover, health, recipe, ui, validate
from .config import Settings
from .logs import AccessLog, configure_logging
from .metrics import METRICS_ENDPOINT, METRICS_OPERATION
from .state import ServiceState

#: Distinct query strings whose parsed criteria are remembered (validation runs once each).
QUERY_MEMO_SIZE = 1024


class CNSFlask(Flask):
    """Flask that never redirects: a URL werkzeug would redirect (an empty path, a
    missing trailing slash) is a 404 in the JSON error body, not an HTML 308 whose
    ``Location`` is built from the client's Host header."""

    def raise_routing_exception(self, request: Request) -> NoReturn:
        if isinstance(request.routing_exception, RequestRedirect):
            raise NotFound()
        super().raise_routing_exception(request)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides environment settings (same ``CNS_*`` names).

    The recipe data is loaded here, once; ``/ready`` reports a load failure.
    """
    settings = Settings.from_env(config)
    log_handler = configure_logging(settings)
    app = CNSFlask(__name__, static_folder=None)  # no /static route: every route is ours
    app.config.update(
        CNS_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        PROVIDE_AUTOMATIC_OPTIONS=False,  # OPTIONS is a 405 in our error body, not Flask's HTML
    )
    # A path is matched as sent, or it is a 404 (werkzeug would redirect /v1//recipe).
    app.url_map.merge_slashes = False
    state = ServiceState(
        settings=settings,
        metrics=metrics.init_app(app),
        recipes=LRUCache(settings.recipe_cache_size),
        queries=LRUCache(QUERY_MEMO_SIZE),
    )
    app.extensions["cns"] = state
    api = extensions.init_app(app)
    for blueprint in (recipe.bp, bundle.bp, validate.bp, discover.bp, health.bp):
        api.register_blueprint(blueprint)
    app.register_blueprint(apidocs.bp)  # the docs page is not part of the API document
    app.register_blueprint(ui.bp)  # the recipe explorer's pages: not in the API document either
    metrics_rule = next(app.url_map.iter_rules(endpoint=METRICS_ENDPOINT))
    api.spec.path(rule=metrics_rule, operations=METRICS_OPERATION)
    gate = ratelimit.init_app(app, settings, state.metrics) if settings.rate_limit_enabled else None
    fast = (recipe.RECIPE_PATH, functools.partial(recipe.cached_answer, state))
    middleware.init_app(app, state, AccessLog.create(settings, log_handler), gate, fast)
    tracing.init_app(app, {**os.environ, **(config or {})})  # off unless OTEL_* ask for it
    if settings.trusted_proxies:  # outermost: everything inside sees the client's address
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    app.before_request(refuse_empty_segments)
    errors.init_app(app)
    state.load()
    return app


def refuse_empty_segments() -> None:
    """``//health``: werkzeug strips leading slashes before matching; we match as sent."""
    if "//" in request.environ.get("PATH_INFO", ""):
        raise NotFound()
