"""cns_web: the HTTP API (Flask), compatible with upstream ``cnsd`` clients.

``create_app()`` builds a ready-to-serve app from ``CNS_*`` settings; ``wsgi.py``
exposes one for gunicorn (see ``gunicorn.conf.py``). Importing this package is
cheap on purpose: ``cns_web.gunicorn_config`` must set ``PROMETHEUS_MULTIPROC_DIR``
before Flask or prometheus_client is imported, so the factory loads lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides environment settings (same ``CNS_*`` names)."""
    from .app import create_app as build

    return build(config)
