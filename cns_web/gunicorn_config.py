"""gunicorn settings for cns: the Procfile (via gunicorn.conf.py) and ``cns serve`` both use these.

Environment: ``PORT`` (default 8080), ``WEB_CONCURRENCY`` (workers, default one
per CPU), ``CNS_THREADS`` (threads per worker with ``-k gthread``), ``CNS_GRACEFUL_TIMEOUT`` (seconds
to finish in-flight requests after SIGTERM), plus every ``CNS_*`` app setting,
validated here so that a bad value stops the master before any worker starts.
Command-line flags (``--bind``, ``-w``, ``-k``) still override these values.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from typing import Any

from cns_core.errors import CNSError
from cns_web.config import EnvReader, Settings
from cns_web.tracing import requested_exporter

__all__ = [
    "access_log_format",
    "accesslog",
    "bind",
    "child_exit",
    "control_socket_disable",
    "errorlog",
    "graceful_timeout",
    "keepalive",
    "logger_class",
    "loglevel",
    "on_exit",
    "post_fork",
    "post_worker_init",
    "preload_app",
    "threads",
    "timeout",
    "worker_class",
    "worker_connections",
    "worker_tmp_dir",
    "workers",
]

# prometheus multiprocess mode: every worker writes its samples to files in this
# directory and /metrics sums them. It must be set before the app (and with it
# prometheus_client) is imported, which is why this happens at config load time.
# A directory given by the environment must start empty (e.g. a tmpfs/emptyDir).
_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_OWN_METRICS_DIR = not os.environ.get(_MULTIPROC_ENV)
if _OWN_METRICS_DIR:
    os.environ[_MULTIPROC_ENV] = tempfile.mkdtemp(prefix="cns-prometheus-")


def _env_int(name: str, default: int) -> int:
    """A positive integer setting (the one environment reader, errors naming the variable)."""
    try:
        return EnvReader(os.environ).integer(name, default, 1)
    except CNSError as exc:
        raise SystemExit(f"cns: {exc}") from None


try:
    _settings = Settings.from_env()
    requested_exporter(os.environ)  # a bad OTEL_TRACES_EXPORTER stops the master here too
except CNSError as _exc:
    raise SystemExit(f"cns: {_exc}") from None

bind = [f"0.0.0.0:{_env_int('PORT', 8080)}"]
workers = _env_int("WEB_CONCURRENCY", len(os.sched_getaffinity(0)))

# Worker class: gevent, so that slow clients cannot take the service down (docs/benchmarks.md,
# "Slow clients"). A sync or gthread worker gives each connection a thread until its request
# is read: 8 connections trickling header lines, 32 idle sockets or slow bodies held every
# thread and /health stopped answering. gevent gives each connection a greenlet instead;
# the app stays synchronous WSGI (gunicorn monkey-patches the worker after the fork:
# sockets, locks and timers cooperate, so Redis, flask-limiter and the multiprocess metrics
# work unchanged). Slow clients cost a greenlet each, up to worker_connections per worker.
# GET /v1/recipe is CPU-bound (a cache hit is tens of microseconds), so the worker class
# hardly moves its throughput; the measured cost is in docs/benchmarks.md.
worker_class = "cns_web.gevent_worker.GeventWorker"
# Concurrent connections per worker (gunicorn's default; --worker-connections overrides it).
worker_connections = 1000
# Only read by `-k gthread` (kept for deployments that select it on the command line).
threads = _env_int("CNS_THREADS", 4)
# Seconds an idle keep-alive connection is kept open. With gevent it is also the deadline
# for a request's line and headers: a client that has not sent them all by then (slowloris)
# is disconnected.
keepalive = 5

# Load the app (imports, recipe data) once in the master, then fork: workers start
# in milliseconds and share the loaded pages.
preload_app = True

# A worker that stops answering for this long is killed and replaced: the app's own
# per-request budget (CNS_REQUEST_TIMEOUT, answered with 504) comes first.
timeout = math.ceil(_settings.request_timeout) + 10
# After SIGTERM: stop accepting, let in-flight requests finish for up to this long.
# Below the usual platform grace periods (Heroku, Kubernetes: 30 s).
graceful_timeout = _env_int("CNS_GRACEFUL_TIMEOUT", 25)

# Worker heartbeats on a RAM-backed file system (a disk-backed /tmp can stall them).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The app writes the access log itself (route template, status, duration, request id,
# JSON with CNS_LOG_FORMAT=json), so gunicorn's is off. To turn it on as well, pass
# --access-logfile -; this format then includes the request id.
accesslog = None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = "info"
# gunicorn's own lines in cns's shape: JSON with CNS_LOG_FORMAT=json, control characters
# escaped in text (cns_web/gunicorn_logging.py).
logger_class = "cns_web.gunicorn_logging.GunicornLogger"

# gunicorn >= 25 opens a control socket at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): several instances on one host (a fleet, tests) would take it
# from each other, and a read-only root file system has no home to put it in. cns is
# managed by signals (SIGTERM, SIGHUP, TTIN/TTOU), so it is off (older gunicorn ignores it).
control_socket_disable = True


def post_fork(server: Any, worker: Any) -> None:
    """Remember how many workers the master runs now (TTIN/TTOU change it)."""
    worker.cns_workers = server.num_workers


def post_worker_init(worker: Any) -> None:
    """/ready turns 503 as soon as this worker receives SIGTERM; with ``memory://`` rate-limit
    counts, this worker enforces its share of the limit (cns_web.ratelimit); gunicorn's own
    error answers (unparsable requests) carry the JSON error body (cns_web.wire_errors)."""
    from cns_web.ratelimit import share_among_workers
    from cns_web.state import mark_not_ready_on_sigterm
    from cns_web.wire_errors import answer_gunicorn_errors_in_json

    answer_gunicorn_errors_in_json()

    mark_not_ready_on_sigterm(worker.wsgi, worker.handle_exit)
    share_among_workers(worker.wsgi, getattr(worker, "cns_workers", worker.cfg.workers))


def child_exit(server: Any, worker: Any) -> None:
    """Drop the live gauges of a worker that exited (its counters stay in the sums)."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)


def on_exit(server: Any) -> None:
    """Remove the metrics directory if this config created it."""
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ[_MULTIPROC_ENV], ignore_errors=True)
