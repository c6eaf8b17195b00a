"""Jinja2 rendering of bundle documents (READMEs, scripts) from the ``cns_templates`` package.

The ``shquote`` filter quotes a word for a POSIX shell.
"""

from __future__ import annotations

import functools
import shlex
from typing import Any

import jinja2

TEMPLATE_PACKAGE = "cns_templates"
TEMPLATE_DIR = "bundle"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_DIR),
        autoescape=False,  # Markdown and shell, not HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["shquote"] = shlex.quote
    return env


def render(name: str, **context: Any) -> str:
    """Render ``templates/bundle/<name>`` with ``context`` (undefined names are errors)."""
    return _environment().get_template(name).render(**context)
