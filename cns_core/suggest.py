"""Suggestions for a mistyped word ("did you mean ...?"), found with difflib."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: How alike a suggestion must be (difflib's ratio); 0.6 is difflib's own default.
CUTOFF = 0.6


def close_matches(word: str, choices: Iterable[str], *, limit: int = 3) -> list[str]:
    """The valid ``choices`` closest to ``word`` (case-insensitive), best first."""
    by_lower = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.strip().lower(), by_lower, n=limit, cutoff=CUTOFF)
    return [by_lower[match] for match in found]


def did_you_mean(word: str, choices: Iterable[str], *, quote: str = "'") -> str:
    """``"; did you mean 'eks'?"`` (or ``" or 'x'"`` for several), or ``""`` when none is close."""
    matches = close_matches(word, choices)
    if not matches:
        return ""
    quoted = [f"{quote}{m}{quote}" for m in matches]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"; did you mean {listed}?"
