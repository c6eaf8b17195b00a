"""Version strings as clusters report them, vendor suffixes included.

``v1.33.5-eks-3025e55``, ``6.8.0-1028-aws`` and ``1.28.0-gke.1337000`` all parse:
one leading ``v`` is dropped and the first ``-`` or ``+`` after a digit starts the
vendor extras, which never take part in comparisons. A version has one to three
numeric components; that count is its *precision*. Ordering compares only as many
components as the less precise side has (``6.8`` >= ``6.8.0-1028-aws``), equality
compares all three (missing ones are 0).
"""

import re
from typing import NamedTuple, Self

from .errors import InvalidRequestError

_COMPONENT_RE = re.compile(r"[+-]?[0-9]+")
_EXTRAS_RE = re.compile(r"(?<=[0-9])[-+]")
MAX_COMPONENTS = 3


class Version(NamedTuple):
    """A parsed version: up to three numbers, how many were given, and the ignored extras."""

    major: int
    minor: int = 0
    patch: int = 0
    precision: int = MAX_COMPONENTS
    extras: str = ""

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse ``text``; InvalidRequestError says exactly what is wrong."""
        raw = text.strip()
        if not raw:
            raise InvalidRequestError("invalid version '': version string is empty")
        core = raw[1:] if raw[:1] in ("v", "V") else raw
        match = _EXTRAS_RE.search(core)
        extras = core[match.start() :] if match else ""
        if match:
            core = core[: match.start()]
        parts = core.split(".")
        if len(parts) > MAX_COMPONENTS:
            raise InvalidRequestError(
                f"invalid version {text!r}: more than {MAX_COMPONENTS} components "
                "(expected MAJOR[.MINOR[.PATCH]], optionally with a -vendor suffix)"
            )
        numbers = [_component(part, text) for part in parts]
        major, minor, patch = (*numbers, 0, 0)[:MAX_COMPONENTS]
        return cls(major, minor, patch, precision=len(numbers), extras=extras)

    @property
    def numbers(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def compare(self, other: Self) -> int:
        """-1, 0 or 1, comparing only the components both sides specify."""
        depth = min(self.precision, other.precision)
        mine, theirs = self.numbers[:depth], other.numbers[:depth]
        return (mine > theirs) - (mine < theirs)

    def equals(self, other: Self) -> bool:
        """Equality of all three components, whatever the precision."""
        return self.numbers == other.numbers

    def __str__(self) -> str:
        return ".".join(str(n) for n in self.numbers[: self.precision]) + self.extras


def looks_like_version(text: str) -> bool:
    """Whether ``text`` (minus a leading ``v``) has a digit and a dot, like ``1.30`` or ``v24.04``."""
    core = text.strip()
    core = core[1:] if core[:1] in ("v", "V") else core
    return "." in core and any(c.isdigit() for c in core)


def _component(part: str, text: str) -> int:
    if not part:
        raise InvalidRequestError(f"invalid version {text!r}: empty component")
    if not _COMPONENT_RE.fullmatch(part):
        raise InvalidRequestError(f"invalid version {text!r}: component {part!r} is not a number")
    value = int(part)
    if value < 0:
        raise InvalidRequestError(f"invalid version {text!r}: component {part!r} is negative")
    return value
