"""Reading a written tree back."""

from __future__ import annotations

from pathlib import Path


def tree(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by relative path."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }
