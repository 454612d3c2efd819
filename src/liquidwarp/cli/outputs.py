"""Checked, all-or-nothing outputs for the command line.

Every command checks its output location before any work and writes into a temporary sibling
that is renamed into place only when complete, so a failure or Ctrl-C leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


class UsageError(Exception):
    """A problem with what the user asked for; reported in one line, exit code 2."""


def check_parent(path: Path, what: str) -> Path:
    """The folder that will hold ``path`` must exist and be writable."""
    parent = path.expanduser().absolute().parent
    if not parent.exists():
        raise UsageError(f"{what} {path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise UsageError(f"{what} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path}: folder {parent} is not writable")
    return parent


def check_output_dir(path: Path, overwrite: bool) -> None:
    check_parent(path, "output folder")
    if path.exists() and not path.is_dir():
        raise UsageError(f"output folder {path} exists and is a file")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise UsageError(f"output folder {path} exists and is not empty (use --overwrite to replace it)")


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success it replaces ``path``."""
    path = path.expanduser().absolute()
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.partial-", dir=path.parent))
    try:
        yield tmp
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_json_atomic(path: Path, data: dict) -> None:
    path = path.expanduser().absolute()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.partial-", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
