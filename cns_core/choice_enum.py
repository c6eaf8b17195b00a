"""Closed sets of string values (formats, deployers) parsed the same way everywhere."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from .errors import InvalidRequestError


class Choice(StrEnum):
    """Case-insensitive parsing with an error that lists the valid values.

    Messages call a value by the class name in lower case (``Format`` → "format").
    """

    @classmethod
    def parse(cls, value: str) -> Self:
        """The member for ``value`` (blanks and case ignored), or INVALID_REQUEST."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            from .suggest import did_you_mean

            noun, valid = cls.__name__.lower(), [member.value for member in cls]
            raise InvalidRequestError(
                f"invalid {noun} {value!r}: valid {noun}s are {', '.join(valid)}"
                f"{did_you_mean(value, valid)}",
                details={noun: value, "valid": valid},
            ) from None
