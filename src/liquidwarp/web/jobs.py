"""One web job: uploads checked and copied into a folder of its own, the command line's own checks
and task functions run on them, the result moved out, the folder removed.

Nothing here imports the web framework, so the rules a visitor meets (which files, how large, how
long, what an error says) are tested without a browser. The task runs through the command line's
parser and runner for that command: a visitor gets the same checks and the same one-line messages
as ``liquidwarp <command>`` prints after ``liquidwarp: error:``.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liquidwarp.cli.outputs import UsageError
from liquidwarp.errors import InputError
from liquidwarp.io.media import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, is_video_path, probe_video

log = logging.getLogger("liquidwarp.web")

MAX_UPLOAD_MB = 50  # per file; the server refuses larger uploads before they reach a job
MAX_VIDEO_SECONDS = 30.0  # a longer video takes minutes a job on a CPU; the command line has no limit
RESULT_AGE_S = 3600  # results are kept this long for the page to fetch and the visitor to download
PAGE_COMMANDS = ("imitate", "swap", "view", "fit")  # what a job may run
GENERIC_MESSAGE = "something went wrong on the server while doing that (the details are in the server's log)"

KINDS = {
    "photo": IMAGE_EXTENSIONS,
    "video": VIDEO_EXTENSIONS,
    "photo or video": IMAGE_EXTENSIONS | VIDEO_EXTENSIONS,
    "video or motion file": VIDEO_EXTENSIONS | {".npz"},
}


class PageError(Exception):
    """A message for the visitor: one line, no server paths, no traceback."""


def _listed(suffixes: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(suffixes))


def safe_name(name: str) -> str:
    """A file name of letters, digits, ``.``, ``-`` and ``_`` only (the visitor's name, tidied)."""
    stem, dot, suffix = Path(name).name.rpartition(".")
    stem, suffix = (stem, suffix) if dot else (suffix, "")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:60] or "upload"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix)[:8]
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(path: Path, kind: str) -> None:
    """InputError (``"<name>: <problem>"``) unless ``path`` is a ``kind`` (a key of :data:`KINDS`)
    by its extension, at most :data:`MAX_UPLOAD_MB` and, for a video, at most
    :data:`MAX_VIDEO_SECONDS` long. Whether its content reads is left to the task, which says so
    in the command line's words."""
    suffixes = KINDS[kind]
    if path.suffix.lower() not in suffixes:
        raise InputError(f"{path.name}: not a {kind} (use {_listed(suffixes)})")
    size_mb = path.stat().st_size / 2**20
    if size_mb > MAX_UPLOAD_MB:
        raise InputError(f"{path.name}: {size_mb:.0f} MB; the web page takes files up to {MAX_UPLOAD_MB} MB")
    if is_video_path(path):
        info = probe_video(path)
        seconds = info.frames / info.fps if info.fps > 0 else float("inf")
        if seconds > MAX_VIDEO_SECONDS:
            raise InputError(
                f"{path.name}: {seconds:.1f} s long; the web page takes videos up to {MAX_VIDEO_SECONDS:.0f} s "
                "(cut it shorter, or use the command line)"
            )


class Job:
    """A folder for one job's inputs and outputs (under ``root``), removed when the job ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._inputs = 0

    def stage(self, upload: str | Path, kind: str) -> Path:
        """Check an uploaded file (:func:`check_upload`) and copy it into the job's folder under
        its own (tidied) name, which is how messages name it."""
        self._inputs += 1
        target = self.folder / f"input{self._inputs}" / safe_name(Path(upload).name)
        target.parent.mkdir()
        shutil.copyfile(upload, target)
        check_upload(target, kind)
        return target

    def output(self, name: str) -> Path:
        """Where the task writes its output ``name`` (not created)."""
        return self.folder / "output" / name

    def keep(self, path: Path, results: Path) -> Path:
        """Move an output out of the job's folder into ``results`` (a new sub-folder), to outlive the job."""
        kept = results / uuid.uuid4().hex / path.name
        kept.parent.mkdir(parents=True)
        shutil.move(path, kept)
        return kept


def prune(results: Path, age_s: float = RESULT_AGE_S) -> None:
    """Remove kept results older than ``age_s``."""
    now = time.time()
    for entry in results.glob("*") if results.is_dir() else []:
        if now - entry.stat().st_mtime > age_s:
            shutil.rmtree(entry, ignore_errors=True)


def _plain(message: str, folder: Path) -> str:
    """The message without the job folder's path (so ``/tmp/.../input1/photo.png: ...`` reads
    ``photo.png: ...``)."""
    message = re.sub(re.escape(str(folder)) + r"/(input\d+|output)/", "", message)
    return message.replace(str(folder), "").splitlines()[0] if message else GENERIC_MESSAGE


@contextmanager
def job(root: Path) -> Iterator[Job]:
    """A new :class:`Job` under ``root``. User errors (the command line's :class:`UsageError` and
    :class:`InputError`) leave as :class:`PageError` with the command line's message; anything
    else is logged with its traceback and leaves as :class:`PageError` with
    :data:`GENERIC_MESSAGE`. The folder is removed in every case."""
    folder = Path(tempfile.mkdtemp(prefix="job-", dir=root))
    (folder / "output").mkdir()
    try:
        yield Job(folder)
    except PageError:
        raise
    except (UsageError, InputError) as error:
        raise PageError(_plain(str(error), folder)) from None
    except Exception:
        log.exception("job failed")
        raise PageError(GENERIC_MESSAGE) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_command(argv: list[str]) -> None:
    """Parse ``argv`` as ``liquidwarp``'s arguments and run that command: the same checks, messages
    and task functions as the command line. Raises UsageError / InputError like it."""
    from liquidwarp.cli import main as cli

    # The page's tasks only; the command line's runners, so that the page checks nothing the
    # command line does not and says it in the same words.
    args = cli.build_parser().parse_args(argv)
    if args.command not in PAGE_COMMANDS:
        raise ValueError(f"not a command of the web page: {args.command}")
    cli.RUNNERS[args.command](args)
