"""Checks of output locations, made before any work starts (writing itself is all-or-nothing:
``liquidwarp.io.atomic``)."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from liquidwarp.io.atomic import check_output_location as check_parent
from liquidwarp.io.atomic import output_lock


class UsageError(Exception):
    """A problem with what the user asked for; reported in one line, exit code 2."""


def check_work_dir(path: Path, what: str = "output folder") -> None:
    """A folder the command creates, or fills in further (a run to resume, a dataset to complete):
    its parent exists and is writable, it is not a file, and if it exists it is writable."""
    check_parent(path, what)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{what} {path} exists and is a file")
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{what} {path} is not writable")


def check_output_dir(path: Path, overwrite: bool) -> None:
    check_work_dir(path)
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise UsageError(f"output folder {path} exists and is not empty (use --overwrite to replace it)")


def check_output_file(path: Path | None, what: str, suffixes: tuple[str, ...] | None = None) -> None:
    """A file the command will write: its folder exists and is writable, it is not a folder, and
    its name ends in one of ``suffixes`` (when given). ``None`` (option not used) passes."""
    if path is None:
        return
    check_parent(path, what)
    if path.is_dir():
        raise UsageError(f"{what} {path} is a folder")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise UsageError(f"{what} {path}: use a name ending in {' or '.join(suffixes)}")


# The options of each command that name what it writes (files or folders).
_OUTPUT_OPTIONS = {
    "synth": ("out",),
    "fit": ("out", "json", "export_mesh"),
    "imitate": ("out",),
    "swap": ("out",),
    "personalize": ("out",),
    "view": ("out",),
    "train": ("out",),
    "prepare": ("out",),
    "export": ("out",),
    "demo": ("out",),
    "evaluate": ("out", "save_frames"),
    "bench": ("out", "json", "markdown", "sheet", "plot"),
}


def outputs_of(args: argparse.Namespace) -> list[Path]:
    """What the parsed command will write, each once."""
    paths: dict[Path, Path] = {}
    for name in _OUTPUT_OPTIONS.get(args.command, ()):
        value = getattr(args, name, None)
        if isinstance(value, Path):
            paths.setdefault(value.expanduser().absolute(), value)
    return list(paths.values())


@contextlib.contextmanager
def outputs_held(args: argparse.Namespace) -> Iterator[None]:
    """Hold every output of the command (``liquidwarp.io.atomic.output_lock``) while the block
    runs: a second run writing one of them fails at once with an ``OutputError``. An output whose
    folder cannot take a file is not held; the command's own checks then say what is wrong."""
    with contextlib.ExitStack() as held:
        for path in outputs_of(args):
            try:
                held.enter_context(output_lock(path))
            except OSError:
                pass
        yield
