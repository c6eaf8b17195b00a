"""What this cns is built from: its version, the Python and platform it runs on, and the
versions of the libraries that shape its output (``cns version``)."""

from __future__ import annotations

import platform
import sys
from typing import Any

from . import API_VERSION, __version__

#: Distributions whose versions matter when comparing two cns installations.
KEY_LIBRARIES = (
    "click",
    "ruamel.yaml",
    "PyYAML",
    "Jinja2",
    "marshmallow",
    "Flask",
    "flask-smorest",
    "gunicorn",
    "kubernetes",
    "nvidia-ml-py",
    "oras",
)


def build_info() -> dict[str, Any]:
    """The facts as one document (``None`` for a library that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    libraries: dict[str, str | None] = {}
    for name in KEY_LIBRARIES:
        try:
            libraries[name] = version(name)
        except PackageNotFoundError:
            libraries[name] = None
    return {
        "version": __version__,
        "apiVersion": API_VERSION,
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
        },
        "libraries": libraries,
    }
