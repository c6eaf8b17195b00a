"""Running a call that must not block: in a daemon thread, with a bound on the wait."""

from __future__ import annotations

import threading
from collections.abc import Callable


def outcome_within(call: Callable[[], object], seconds: float, what: str) -> object:
    """What ``call()`` returned or the exception it raised, which must come within
    ``seconds``; else the test fails with ``what`` (the thread is a daemon, left behind)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), what
    return outcome[0]
