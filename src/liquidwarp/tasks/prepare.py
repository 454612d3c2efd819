"""``liquidwarp prepare``: perceive and fit every video of a dataset once, for training on real footage.

Each video (a folder of videos, or the iPER layout, see :func:`liquidwarp.data.evaluation.list_videos`)
is perceived and fitted (``recover``, cached by content like ``liquidwarp fit``) in its own worker
process, then written to ``OUT/<name>/``:

- ``motion.npz``: the fitted sequence (``liquidwarp.fitting.records``);
- ``view.json``: the fixed square crop (x0, y0, side) of the video holding the person in every
  frame, and the side ``size`` it is resampled to;
- ``frames/NNNNN.png``: every frame where the person was found, cropped and resampled.

A video's folder appears only when it is complete (written beside, then renamed), so a killed run
resumes where it stopped: finished videos are skipped. ``OUT/index.json`` lists the prepared videos
and those that failed (with the reason); :class:`liquidwarp.data.prepared.RealPairs` reads it.
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from liquidwarp.data.evaluation import VideoEntry, list_videos
from liquidwarp.data.prepared import INDEX_FILE, PREPARED_FORMAT, PREPARED_VERSION
from liquidwarp.errors import OutputError

_BODY = None  # the body model of a worker process


@dataclass(frozen=True)
class PrepareResult:
    prepared: int  # videos ready in the output (including earlier runs')
    skipped: int  # of those, done by an earlier run
    failed: dict[str, str]  # name -> reason
    seconds: float


def folder_name(name: str) -> str:
    """A file-system-safe folder name for a video name (``subject/outfit/action`` -> ``subject__outfit__action``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name.replace("/", "__"))


def _worker_init() -> None:
    import torch

    torch.set_num_threads(1)


def _body():
    global _BODY
    if _BODY is None:
        from liquidwarp.body.model import BodyModel

        _BODY = BodyModel()
    return _BODY


def prepare_video(entry: VideoEntry, folder: Path, size: int, max_frames: int | None) -> dict:
    """Perceive, fit and write one video to ``folder`` (all or nothing); returns its index entry."""
    from liquidwarp.data.evaluation import person_crop
    from liquidwarp.fitting.records import save_sequence
    from liquidwarp.geometry.crops import crop_image
    from liquidwarp.io.atomic import atomic_dir
    from liquidwarp.io.media import write_image
    from liquidwarp.fitting.recover import PersonPick, recover

    body = _body()
    person = PersonPick.parse(entry.person) if entry.person is not None else None
    recovery = recover(
        entry.path, body, max_frames=max_frames, require_full_body=False, progress=False, person=person,
        person_option='pick another with a "FRAME:X,Y" entry for this video in people.json',
    )  # fmt: skip
    if not recovery.footage.is_video:
        raise ValueError("a photo, not a video")
    seq = recovery.sequence
    crop = person_crop(body, seq.params, seq.camera, seq.found)
    with atomic_dir(folder) as tmp:
        save_sequence(tmp / "motion.npz", seq)
        (tmp / "frames").mkdir()
        for t in np.nonzero(seq.found)[0]:
            write_image(tmp / "frames" / f"{t:05d}.png", crop_image(recovery.footage.frames[t], crop, size))
        (tmp / "view.json").write_text(json.dumps({"crop": list(crop), "size": size, "source": str(entry.path)}) + "\n")
    return _entry(entry, folder, seq.frames, int(seq.found.sum()), seq.fps)


def _entry(entry: VideoEntry, folder: Path, frames: int, found: int, fps: float) -> dict:
    return {"name": entry.name, "folder": folder.name, "frames": frames, "found": found, "fps": fps}


def _existing(folder: Path, entry: VideoEntry) -> dict | None:
    if not (folder / "view.json").is_file() or not (folder / "motion.npz").is_file():
        return None
    from liquidwarp.fitting.records import load_sequence

    seq = load_sequence(folder / "motion.npz")
    return _entry(entry, folder, seq.frames, int(seq.found.sum()), seq.fps)


def prepare(root: Path, out: Path, workers: int = 2, size: int = 256, max_frames: int | None = None, progress: bool = True) -> PrepareResult:
    """Prepare every video under ``root`` into ``out`` with ``workers`` processes (1: in this one).
    ``out/index.json`` is written (atomically) only when at least one video is ready; a folder
    this call made and left empty is removed."""
    start = time.perf_counter()
    _, entries = list_videos(Path(root))
    out = Path(out)
    created = not out.exists()
    out.mkdir(exist_ok=True)
    try:
        return _prepare_into(root, out, entries, workers, size, max_frames, progress, start)
    finally:
        if created and not any(out.iterdir()):  # nothing came of it (all failed, or interrupted early)
            out.rmdir()


def _prepare_into(
    root: Path, out: Path, entries: list[VideoEntry], workers: int, size: int, max_frames: int | None, progress: bool, start: float
) -> PrepareResult:
    from tqdm import tqdm

    from liquidwarp.io.atomic import write_json_atomic

    done: dict[str, dict] = {}
    todo: list[VideoEntry] = []
    for entry in entries:
        existing = _existing(out / folder_name(entry.name), entry)
        if existing is not None:
            done[entry.name] = existing
        else:
            todo.append(entry)
    skipped = len(done)
    failed: dict[str, str] = {}
    bar = tqdm(total=len(entries), initial=skipped, desc="prepare", unit="video", disable=not progress)
    if workers <= 1 or len(todo) <= 1:
        for entry in todo:
            try:
                done[entry.name] = prepare_video(entry, out / folder_name(entry.name), size, max_frames)
            except OutputError:  # a full disk stops them all
                raise
            except Exception as error:  # one bad video must not stop the others
                failed[entry.name] = f"{type(error).__name__}: {error}"
            bar.update(1)
    else:
        import multiprocessing

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init) as pool:
            jobs = {pool.submit(prepare_video, e, out / folder_name(e.name), size, max_frames): e for e in todo}
            try:
                for job in as_completed(jobs):
                    entry = jobs[job]
                    try:
                        done[entry.name] = job.result()
                    except OutputError:
                        raise
                    except Exception as error:
                        failed[entry.name] = f"{type(error).__name__}: {error}"
                    bar.update(1)
            except BaseException:  # interrupted, or the disk is full: stop the workers rather than wait for their videos
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
                raise
    bar.close()
    ordered = [done[e.name] for e in entries if e.name in done]
    if not ordered:  # an index of nothing would pass for prepared footage (`train --real` looks for it)
        return PrepareResult(0, skipped, failed, time.perf_counter() - start)
    write_json_atomic(
        out / INDEX_FILE,
        {"format": PREPARED_FORMAT, "version": PREPARED_VERSION, "root": str(Path(root).resolve()), "size": size, "videos": ordered, "failed": failed},
    )
    return PrepareResult(len(ordered), skipped, failed, time.perf_counter() - start)
