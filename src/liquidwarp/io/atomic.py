"""All-or-nothing outputs: write beside the target under a temporary name, rename on success.

A failure or Ctrl-C therefore never leaves a half-written file or folder under the user's name.
Temporary files get the permissions an ordinary new file would (``mkstemp`` alone gives 0600).

A temporary sibling is named ``.<name>.partial-<pid>-<random><suffix>``: the writer's process id
is in the name, so that one left behind by a killed run (SIGKILL, a crash, a power cut) is told
apart from one being written and is removed by the next run that writes the same output
(:func:`remove_stale_partials`). A failed write (a full disk, a file size limit, a folder that went
read-only) becomes one :class:`~liquidwarp.errors.OutputError` line naming the output.

:func:`output_lock` keeps two runs from writing one output at once.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from liquidwarp.errors import InputError, OutputError

#: A folder with less free space than this is taken to be full: no output is started there.
MIN_FREE_BYTES = 1 << 20

# Errors of a write that say the system refused it, not that liquidwarp misbehaved; the second
# kind only counts for a file beside the output (it could be an input's otherwise).
_REFUSED_WRITES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
_REFUSED_HERE = frozenset({errno.EACCES, errno.EPERM, errno.EIO})


def _absolute(path: str | os.PathLike) -> Path:
    return Path(path).expanduser().absolute()


def _megabytes(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def check_free_space(path: str | os.PathLike, need_bytes: int, what: str = "output") -> None:
    """InputError unless the folder that will hold ``path`` has ``need_bytes`` free (at least
    :data:`MIN_FREE_BYTES`)."""
    folder = _absolute(path).parent
    free = shutil.disk_usage(folder).free
    need = max(int(need_bytes), MIN_FREE_BYTES)
    if free < need:
        raise InputError(f"{what} {path}: only {_megabytes(free)} free in {folder}, it needs about {_megabytes(need)}")


def check_output_location(path: str | os.PathLike, what: str = "output", need_bytes: int = 0) -> Path:
    """Before any work: the folder that will hold ``path`` exists, a file can be made in it (tried,
    not guessed from permission bits, which say yes to root on a read-only mount), it has room
    (``need_bytes``, at least :data:`MIN_FREE_BYTES`), and ``path`` is not itself a folder. Raises
    ``InputError`` naming the problem; returns the folder."""
    path = Path(path)
    folder = path.expanduser().absolute().parent
    if not folder.exists():
        raise InputError(f"{what} {path}: folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"{what} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{what} {path}: folder {folder} is not writable")
    try:
        fd, probe = tempfile.mkstemp(prefix=_partial_prefix(path), suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise InputError(f"{what} {path}: cannot write in folder {folder} ({error.strerror or error})") from None
    check_free_space(path, need_bytes, what)
    return folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------------------ partial siblings


def _partial_prefix(path: str | os.PathLike) -> str:
    return f".{Path(path).name}.partial-{os.getpid()}-"


def new_partial_file(path: str | os.PathLike, suffix: str = "") -> Path:
    """A new empty hidden sibling of ``path`` to write into, with ordinary permissions; stale
    siblings of ``path`` from dead runs are removed first."""
    target = _absolute(path)
    remove_stale_partials(target)
    fd, tmp = tempfile.mkstemp(prefix=_partial_prefix(target), suffix=suffix, dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return Path(tmp)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine); a zombie counts as alive."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_partials(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary siblings of ``path`` whose writer process is gone; returns them.

    Only names of this module's form with a process id are touched, and only when no process of
    that id exists, so a run writing the same output right now keeps its file."""
    target = _absolute(path)
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.partial-(\d+)-")
    removed = []
    for entry in target.parent.glob(glob.escape(f".{target.name}.partial-") + "*"):
        match = pattern.match(entry.name)
        if match is None or process_alive(int(match.group(1))):
            continue
        with contextlib.suppress(FileNotFoundError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


# ---------------------------------------------------------------------------------- write errors


def _within(filename, folder: str) -> bool:
    return isinstance(filename, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(filename)).startswith(folder)


def refused_write(error: BaseException, output: str | os.PathLike) -> OSError | None:
    """The OSError behind ``error`` (itself, or one it was raised from or during) when it says
    the system refused a write of ``output`` (no space, a quota, a size limit, a read-only folder;
    no permission or an I/O error on a file beside it); else None. Libraries that write through
    Python file objects (torch.save) re-raise such errors as their own, with the OSError as the
    context."""
    folder = str(_absolute(output).parent)
    seen: BaseException | None = error
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno in _REFUSED_WRITES:
            return seen
        if isinstance(seen, OSError) and seen.errno in _REFUSED_HERE and _within(seen.filename, folder):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def write_failed(path: str | os.PathLike, reason: str, environment: bool = True) -> OutputError:
    """The one-line error of an output that could not be written."""
    return OutputError(f"{path}: could not be written ({reason})", environment)


@contextlib.contextmanager
def refusals_named(path: str | os.PathLike) -> Iterator[None]:
    """A write of ``path`` in the block that the system refuses raises ``OutputError`` naming it."""
    try:
        yield
    except Exception as error:
        refusal = refused_write(error, path)
        if refusal is None:
            raise
        raise write_failed(path, os.strerror(refusal.errno).lower()) from None


# ------------------------------------------------------------------------------------- writing


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (its folder must exist); it becomes ``path`` when the
    block ends without an exception and is deleted otherwise. ``suffix`` keeps tools that look at
    extensions (numpy, ffmpeg) happy. A write the system refuses raises ``OutputError``."""
    target = _absolute(path)
    tmp = new_partial_file(target, suffix)
    try:
        with refusals_named(path):
            yield tmp
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
    target = _absolute(path)
    remove_stale_partials(target)
    tmp = Path(tempfile.mkdtemp(prefix=_partial_prefix(target), dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        with refusals_named(path):
            yield tmp
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------------------- locks


def _lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


@contextlib.contextmanager
def output_lock(path: str | os.PathLike) -> Iterator[None]:
    """Hold ``path`` (a file or folder to be written) for this process while the block runs.

    A second run that asks for the same output while this one holds it gets an ``OutputError``
    at once. The lock is ``flock`` on a hidden sibling ``.<name>.lock`` that holds the holder's
    process id (for the message): the kernel drops it when the holder dies, even by SIGKILL, so a
    lock left by a killed run is never mistaken for a live one (no guessing from the pid, which the
    system may have given to another process since). Stale partial files of ``path`` are removed
    once the lock is held. ``OSError`` if no file can be made beside ``path``.
    """
    import fcntl

    target = _absolute(path)
    lock = _lock_path(target)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise OutputError(f"{path}: another liquidwarp run{who} is writing it; wait for it to end or choose another output") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # its last holder removed the file between our open and flock: take a new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        remove_stale_partials(target)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(lock)
        os.close(fd)
