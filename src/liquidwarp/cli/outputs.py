"""Checks of output locations, made before any work starts (writing itself is all-or-nothing:
``liquidwarp.io.atomic``)."""

from __future__ import annotations

import os
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
