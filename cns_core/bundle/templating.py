"""Jinja2 rendering of bundle documents (READMEs) from the ``cns_templates`` package."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

TEMPLATE_PACKAGE = "cns_templates"
TEMPLATE_DIR = "bundle"


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR),
        autoescape=False,  # Markdown, not HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    """Render ``templates/bundle/<name>`` with ``context`` (undefined names are errors)."""
    return _environment().get_template(name).render(**context)
