"""The bare-Flask ceiling: one route answering a constant ~1.5 KB JSON body, no middleware.

Served under the same gunicorn configuration as cns (``-c gunicorn.conf.py``), it
is the yardstick for the targets in DESIGN.md (">= 0.85x the ceiling's req/s").
"""

from __future__ import annotations

import json

from flask import Flask, Response

BODY = (
    json.dumps(
        {
            "kind": "recipeResult",
            "apiVersion": "cns.nvidia.com/v1alpha1",
            "componentRefs": [
                {
                    "name": f"component-{i}",
                    "type": "Helm",
                    "version": f"v1.{i}.0",
                    "source": "https://helm.example.com/charts",
                    "valuesFile": f"components/component-{i}/values.yaml",
                }
                for i in range(8)
            ],
        },
        indent=2,
    )
    + "\n"
).encode()

app = Flask(__name__)


@app.get("/v1/recipe")
def recipe() -> Response:
    return Response(BODY, mimetype="application/json")


@app.get("/ready")
def ready() -> Response:
    return Response(b'{"status":"ready"}\n', mimetype="application/json")
