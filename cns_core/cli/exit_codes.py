"""Exit codes of ``cns`` (docs/cli.md): the one mapping from error codes to them."""

from __future__ import annotations

from ..errors import ErrorCode

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INVALID_INPUT = 3
EXIT_UNAVAILABLE = 4
#: stdout was closed early (``cns ... | head``): 128 + SIGPIPE, as a Unix tool killed by it
EXIT_BROKEN_PIPE = 141

_BY_CODE = {
    ErrorCode.INVALID_REQUEST: EXIT_INVALID_INPUT,
    ErrorCode.PAYLOAD_TOO_LARGE: EXIT_INVALID_INPUT,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: EXIT_INVALID_INPUT,
    ErrorCode.NOT_FOUND: EXIT_UNAVAILABLE,
    ErrorCode.SERVICE_UNAVAILABLE: EXIT_UNAVAILABLE,
    ErrorCode.TIMEOUT: EXIT_UNAVAILABLE,
}


def exit_code(code: ErrorCode) -> int:
    """3 invalid input, 4 not found / unavailable, 1 anything else."""
    return _BY_CODE.get(code, EXIT_FAILURE)
