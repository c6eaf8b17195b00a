"""``GET /docs``: Swagger UI for the OpenAPI document, served entirely by this service.

The page, its start-up script and the Swagger UI assets (from the pinned
``swagger-ui-bundle`` package) come from the installed package, so the page works
offline. Its Content-Security-Policy allows scripts, styles and fetches from this
origin only: no CDN, no inline script.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

PAGE_DIR = Path(__file__).resolve().parent.parent / "docs_ui"
ASSETS_DIR = Path(str(swagger_ui_path))
#: The Swagger UI files the page uses; anything else under /docs/swagger-ui/ is a 404.
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"})
#: The assets are versioned by the pinned package, so browsers may keep them for a day.
ASSET_MAX_AGE = 86400
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

bp = Blueprint("apidocs", __name__)


@bp.get("/docs")
def docs_page() -> Response:
    """The Swagger UI page, with its own Content-Security-Policy."""
    response = send_from_directory(PAGE_DIR, "index.html", max_age=0)
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


@bp.get("/docs/init.js")
def docs_script() -> Response:
    """The script that starts Swagger UI on /openapi.json."""
    return send_from_directory(PAGE_DIR, "init.js", max_age=0)


@bp.get("/docs/swagger-ui/<name>")
def docs_asset(name: str) -> Response:
    """A Swagger UI asset from the swagger-ui-bundle package."""
    if name not in ASSETS:
        abort(404)
    return send_from_directory(ASSETS_DIR, name, max_age=ASSET_MAX_AGE)
