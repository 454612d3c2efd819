"""All-or-nothing outputs: write beside the target under a temporary name, rename on success.

A failure or Ctrl-C therefore never leaves a half-written file or folder under the user's name.
Temporary files get the permissions an ordinary new file would (``mkstemp`` alone gives 0600).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def check_output_location(path: str | os.PathLike, what: str = "output") -> Path:
    """Before any work: the folder that will hold ``path`` exists and is writable, and ``path``
    is not itself a folder. Raises ``InputError`` naming the problem; returns the folder."""
    from liquidwarp.errors import InputError

    path = Path(path)
    folder = path.expanduser().absolute().parent
    if not folder.exists():
        raise InputError(f"{what} {path}: folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"{what} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{what} {path}: folder {folder} is not writable")
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (its folder must exist); it becomes ``path`` when the
    block ends without an exception and is deleted otherwise. ``suffix`` keeps tools that look at
    extensions (numpy, ffmpeg) happy."""
    target = Path(path).expanduser().absolute()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.partial-", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    with atomic_file(path) as tmp:
        tmp.write_bytes(data)


def write_json_atomic(path: str | os.PathLike, data: dict) -> None:
    write_bytes_atomic(path, (json.dumps(data, indent=2) + "\n").encode())


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``path``; on success it replaces ``path``."""
    target = Path(path).expanduser().absolute()
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
