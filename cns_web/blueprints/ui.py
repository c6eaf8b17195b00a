"""The recipe explorer in the browser: ``/ui`` pages rendered on the server (Jinja2).

Every page works without JavaScript (GET forms carry the criteria in the URL, the
snapshot upload is a plain multipart POST); ``ui.js`` adds validation as you type,
drag and drop, and the bundle download through ``POST /v1/bundle``. Nothing is
loaded from anywhere but this server: the assets ship in the package, and the
Content-Security-Policy allows no inline script or style. Errors are shown as
messages on the page, with the API's own wording and the request id.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cns_templates
from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import HTTPException

from cns_core import __version__
from cns_core.bundle import Deployer
from cns_core.criteria import ENUM_FIELDS, Criteria
from cns_core.errors import CNSError, ErrorCode, InvalidRequestError, UnavailableError
from cns_core.recipes import RecipeStore
from cns_core.serialize import Format, dump_json, load

from ..errors import handle_cns_error, handle_http_exception, handle_unexpected
from ..middleware import check_deadline, current_request_id
from ..state import ServiceState, service_state
from ..ui import forms, pages
from ..ui.highlight import highlight_json
from .validate import ValidateRequest, parse_validate_request, run_check

log = logging.getLogger("cns_web.ui")

ASSETS = Path(__file__).resolve().parent.parent / "assets"
TEMPLATES = Path(cns_templates.__file__).resolve().parent
#: Pages load only this server's files; no inline script or style, no frames, no plugins.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
JSON_ENDPOINTS = frozenset({"ui.validate_options"})
EXAMPLES = (
    ("EKS · H100 · inference · Ubuntu", Criteria("eks", "h100", "inference", "ubuntu")),
    ("EKS · GB200 · training · Ubuntu", Criteria("eks", "gb200", "training", "ubuntu")),
    ("GKE · H100 · training · COS", Criteria("gke", "h100", "training", "cos")),
    ("AKS · inference", Criteria(service="aks", intent="inference")),
)

bp = Blueprint(
    "ui",
    __name__,
    url_prefix="/ui",
    static_folder=str(ASSETS),
    static_url_path="/static",
    template_folder=str(TEMPLATES),
)


def prefers_html() -> bool:
    """Whether the client's Accept header ranks HTML above JSON (a browser, not an API client)."""
    best = request.accept_mimetypes.best_match(("application/json", "text/html"))
    return best == "text/html"


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A rendered page with the page security policy; never cached (forms, uploads)."""
    state = service_state()
    html = render_template(
        f"ui/{template}",
        version=__version__,
        request_id=current_request_id(),
        allowlists=state.settings.allowlists,
        enum_fields=ENUM_FIELDS,
        labels=forms.LABELS,
        choices=forms.choices,
        **context,
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return response


def _store(state: ServiceState) -> RecipeStore:
    if state.store is None:
        raise UnavailableError(f"service not ready: {state.not_ready_reason}")
    return state.store


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def explore_page() -> Response:
    """The explorer (also ``GET /`` for browsers): criteria form and, once chosen, the recipe."""
    state = service_state()
    form = forms.read_criteria(request.args, state.settings.allowlists)
    view = None
    if form.criteria is not None:
        view = pages.explore(form.criteria, _store(state))
        check_deadline("building the recipe page")
    return page(
        "explore.html",
        400 if form.error else 200,
        nav="explore",
        form=form,
        view=view,
        examples=[(label, _query(**forms.criteria_query(c))) for label, c in EXAMPLES],
        query=_query(**form.query()),
    )


@bp.route("", methods=["GET"])
def explore() -> Response:
    """Explore a recipe."""
    return explore_page()


@bp.route("/compare", methods=["GET"])
def compare() -> Response:
    """Compare the recipes of two sets of criteria."""
    state = service_state()
    allow = state.settings.allowlists
    form_a = forms.read_criteria(request.args, allow, what="first recipe")
    form_b = forms.read_criteria(request.args, allow, prefix="b-", what="second recipe")
    result = None
    if form_a.criteria is not None and form_b.criteria is not None:
        result = pages.compare(form_a.criteria, form_b.criteria, _store(state))
        check_deadline("comparing the recipes")
    return page(
        "compare.html",
        400 if form_a.error or form_b.error else 200,
        nav="compare",
        form=form_a,
        form_b=form_b,
        result=result,
        show=pages.show,
        query=_query(**form_a.query()),
        query_b=_query(**forms.criteria_query(form_b.criteria)) if form_b.criteria else "",
    )


@bp.route("/bundle", methods=["GET"])
def bundle() -> Response:
    """Bundle options for a recipe; without JavaScript, submitting checks them on the server."""
    state = service_state()
    form = forms.read_criteria(request.args, state.settings.allowlists)
    criteria = form.criteria or Criteria()
    view = pages.explore(criteria, _store(state)) if not form.error else None
    names = [ref.name for ref in view.recipe.component_refs] if view else []
    options = forms.read_bundle_form(request.args, names)
    check = None
    if view is not None and options.submitted:
        check = forms.check_bundle_form(options, view.recipe, _store(state), check_deadline)
    recipe_query = _query(**forms.criteria_query(criteria))
    return page(
        "bundle.html",
        400 if form.error or (check is not None and not check.ok) else 200,
        nav="bundle",
        form=form,
        view=view,
        options=options,
        check=check,
        deployers=[d.value for d in Deployer],
        gitops=forms.gitops,
        list_options=forms.LIST_OPTIONS,
        query=recipe_query,
        recipe_url=f"/v1/recipe?{recipe_query}",
        bundle_url=f"/v1/bundle?{options.api_query_string()}",
    )


@bp.route("/validate-options", methods=["GET"])
def validate_options() -> Response:
    """JSON: the bundle options of the query checked against the recipe of its criteria."""
    state = service_state()
    form = forms.read_criteria(request.args, state.settings.allowlists)
    if form.error:
        raise InvalidRequestError(form.error)
    criteria = form.criteria or Criteria()
    view = pages.explore(criteria, _store(state))
    names = [ref.name for ref in view.recipe.component_refs]
    options = forms.read_bundle_form(request.args, names)
    check = forms.check_bundle_form(options, view.recipe, _store(state), check_deadline)
    body = {
        **check.to_dict(),
        "recipeUrl": f"/v1/recipe?{_query(**forms.criteria_query(criteria))}",
        "bundleUrl": f"/v1/bundle?{options.api_query_string()}",
    }
    return Response(
        dump_json(body), mimetype="application/json", headers={"Cache-Control": "no-store"}
    )


#: The criteria a person may pin on the check page (blank: detected from the snapshot).
CHECK_FIELDS = (*ENUM_FIELDS, "nodes")


@bp.route("/check", methods=["GET", "POST"])
def check() -> Response:
    """Check a node: upload a snapshot, see the detected criteria, its recipe and the report."""
    state = service_state()
    context: dict[str, Any] = {"nav": "check", "form": forms.CriteriaForm(), "result": None}
    if request.method == "GET":
        return page("check.html", **context)
    pinned = {f: request.form.get(f, "").strip() for f in CHECK_FIELDS}
    context["form"] = forms.CriteriaForm(raw={k: v for k, v in pinned.items() if v})
    upload = request.files.get("snapshot")
    if upload is None or not upload.filename:
        context["error"] = "choose a snapshot file (YAML or JSON, as cns snapshot writes it)"
        return page("check.html", 400, **context)
    name = Path(upload.filename).name
    try:
        parsed = _read_check_request(upload.read(), name, pinned)
        result = run_check(state, parsed, snapshot_source=name)
        view = pages.recipe_view(result.recipe, _store(state), []) if result.recipe else None
    except InvalidRequestError as exc:
        context["error"] = exc.message
        return page("check.html", 400, **context)
    context.update(
        result=result,
        view=view,
        file_name=name,
        report_json=highlight_json(dump_json(result.report.to_dict())),
        query=_query(**forms.criteria_query(result.criteria)) if result.criteria else "",
    )
    return page("check.html", **context)


def _read_check_request(data: bytes, name: str, pinned: dict[str, str]) -> ValidateRequest:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestError(
            f"{name}: not UTF-8 text: upload a YAML or JSON snapshot"
        ) from None
    if not text.strip():
        raise InvalidRequestError(f"{name}: the file is empty")
    fmt = Format.JSON if text.lstrip().startswith("{") else Format.YAML
    doc = load(text, fmt, source=name)
    criteria = {k: v for k, v in pinned.items() if v}
    return parse_validate_request({"snapshot": doc, "criteria": criteria or None})


# Errors: a page with the message (the JSON route keeps the API's JSON body) -------------


def _error_page(response: Response) -> Response:
    """The API's error response for this failure, shown as a page with the same status."""
    if request.endpoint in JSON_ENDPOINTS:
        return response
    body = response.get_json(silent=True) or {}
    out = page(
        "error.html",
        response.status_code,
        nav="",
        code=body.get("code", ErrorCode.INTERNAL.value),
        message=body.get("message", "internal server error"),
    )
    for header in ("Allow", "Retry-After"):
        if header in response.headers:
            out.headers[header] = response.headers[header]
    return out


@bp.errorhandler(CNSError)
def _cns_error(exc: CNSError) -> Response:
    return _error_page(handle_cns_error(exc))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _error_page(handle_http_exception(exc))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    return _error_page(handle_unexpected(exc))
