"""Kubernetes object name rules (RFC 1123), checked before anything is sent to a cluster."""

from __future__ import annotations

import re

from ..errors import InvalidRequestError

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LABEL_RE = re.compile(_LABEL)
_SUBDOMAIN_RE = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_LABEL_VALUE_BAD = re.compile(r"[^A-Za-z0-9._-]")

DNS_LABEL_RULE = (
    "at most 63 characters: lowercase letters, digits and '-', alphanumeric at both ends"
)
DNS_SUBDOMAIN_RULE = (
    "at most 253 characters: lowercase letters, digits, '-' and '.', alphanumeric at both ends"
)


def check_dns_label(value: str, what: str) -> str:
    """Return ``value`` if it is a valid DNS label (namespaces, Job names), else raise."""
    if len(value) > 63 or not _LABEL_RE.fullmatch(value):
        raise InvalidRequestError(f"invalid {what} {value!r}: expected {DNS_LABEL_RULE}")
    return value


def check_dns_subdomain(value: str, what: str) -> str:
    """Return ``value`` if it is a valid DNS subdomain (most object names), else raise."""
    if len(value) > 253 or not _SUBDOMAIN_RE.fullmatch(value):
        raise InvalidRequestError(f"invalid {what} {value!r}: expected {DNS_SUBDOMAIN_RULE}")
    return value


def label_value(text: str) -> str:
    """``text`` made into a valid label value (invalid characters become '_', cut to 63)."""
    value = _LABEL_VALUE_BAD.sub("_", text)[:63]
    return value.strip("._-") or "unknown"
