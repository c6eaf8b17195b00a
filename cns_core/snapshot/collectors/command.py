"""Running a host command (``systemctl``, ``nvidia-smi``) through ``sh``: no TTY, with a timeout."""

from __future__ import annotations

import os

from ...errors import NotFoundError, TimeoutExceededError, UnavailableError


def run_command(program: str, *args: str, timeout: float) -> str:
    """Run ``program args`` and return its stdout.

    Raises NotFoundError when the program is not on PATH, UnavailableError when it
    exits non-zero (with the first line of its stderr) and TimeoutExceededError when
    it runs longer than ``timeout`` seconds (it is killed).
    """
    import sh

    try:
        command = sh.Command(program)
    except sh.CommandNotFound:
        raise NotFoundError(f"{program}: not found on PATH") from None
    env = {**os.environ, "LC_ALL": "C", "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""}
    try:
        output = command(
            *args,
            _timeout=timeout,
            _tty_out=False,
            _tty_in=False,
            _env=env,
            _decode_errors="replace",
        )
    except sh.TimeoutException:
        raise TimeoutExceededError(f"{program}: no answer within {timeout:g}s") from None
    except sh.ErrorReturnCode as exc:
        stderr = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = stderr[0] if stderr else "no error output"
        raise UnavailableError(
            f"{program} {' '.join(args)} exited with {exc.exit_code}: {reason}"
        ) from None
    return str(output)
