"""What one app instance holds: settings, the recipe store, the recipe cache, metrics, readiness."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from flask import Flask, current_app

from cns_core.errors import CNSError
from cns_core.lru import LRUCache
from cns_core.recipes import RecipeStore, load_store

from .cache import CachedBody
from .config import Settings
from .metrics import Metrics
from .query import RecipeQuery

log = logging.getLogger("cns_web.state")
#: What /ready and 503 bodies say when the data failed to load (the log says why).
LOAD_FAILED = "recipe data failed to load (the service log has the reason)"


@dataclass
class ServiceState:
    """Per-app state, kept in ``app.extensions["cns"]``."""

    settings: Settings
    metrics: Metrics
    recipes: LRUCache[CachedBody]
    queries: LRUCache[RecipeQuery]
    store: RecipeStore | None = None
    #: OpenTelemetry traces the requests (cns_web.tracing): every request goes through Flask.
    tracing: bool = False
    load_error: str | None = None
    _shutting_down: threading.Event = field(default_factory=threading.Event)

    def load(self) -> None:
        """Load the recipe data once; a failure is kept (readiness reports it) rather than raised.

        Clients see only that it failed: the reason names the server's paths (and may
        quote its files), so it goes to the log alone.
        """
        try:
            self.store = load_store(self.settings.data_dir)
        except CNSError as exc:
            self.load_error = LOAD_FAILED
            log.error("recipe data failed to load: %s", exc)

    @property
    def not_ready_reason(self) -> str | None:
        """Why the service should not receive traffic, or None when it is ready."""
        if self._shutting_down.is_set():
            return "shutting down"
        if self.store is None:
            return self.load_error or "recipe data is not loaded yet"
        return None

    def begin_shutdown(self) -> None:
        """From now on ``/ready`` answers 503 (in-flight requests still complete)."""
        self._shutting_down.set()


def service_state(app: Flask | None = None) -> ServiceState:
    """The state of ``app`` (default: the current app)."""
    state = (app or current_app).extensions["cns"]
    assert isinstance(state, ServiceState)
    return state


def mark_not_ready_on_sigterm(app: Any, previous: Callable[[int, FrameType | None], Any]) -> None:
    """Install a SIGTERM handler that flips readiness, then calls ``previous`` (gunicorn's)."""
    state = app.extensions.get("cns") if isinstance(app, Flask) else None
    if not isinstance(state, ServiceState):
        return

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        state.begin_shutdown()
        previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.siginterrupt(signal.SIGTERM, False)  # as gunicorn does: no EINTR in active requests
