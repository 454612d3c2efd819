"""Evaluation data: people filmed by one or more cameras, with their body in every frame.

Three layouts are read (``open_evaluation_data`` tells them apart):

- a synthetic dataset written by ``liquidwarp synth`` (``manifest.json``): exact bodies and
  cameras, several views per subject;
- a plain folder of single-person videos, or one video file: each video is perceived and fitted
  once (cached, as ``liquidwarp fit`` does). An optional ``people.json`` beside the videos maps a
  file name to ``"FRAME:X,Y"``, the pixel of the person to follow when a video shows several;
- the iPER layout: ``<subject>/<outfit>/<action>/`` folders holding the frames (images) or one
  video; names become ``subject/outfit/action``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.fitting.records import square_crop
from liquidwarp.geometry.cameras import Camera
from liquidwarp.io import media

PEOPLE_FILE = "people.json"
VIEW_MARGIN = 0.1  # of the side: the evaluation crop around every position of the person


@dataclass(frozen=True)
class EvaluationSubject:
    """One person in one motion, seen by ``views`` static cameras."""

    name: str
    params: BodyParams  # T frames
    cameras: Camera  # V cameras, each for the whole image
    found: np.ndarray  # (T,) bool: frames with the person (fitted frames for real footage)
    fps: float
    exact: bool  # True when ``params`` and ``cameras`` are ground truth (synthetic data)
    load_frame: Callable[[int, int], np.ndarray]  # (view, frame) -> (H, W, 3) uint8
    load_mask: Callable[[int, int], np.ndarray] | None = None  # (view, frame) -> (H, W) bool, when known

    @property
    def frames(self) -> int:
        return self.params.batch_size

    @property
    def views(self) -> int:
        return self.cameras.batch_size

    def frame(self, view: int, t: int) -> np.ndarray:
        return self.load_frame(view, t)

    def background_plate(self, view: int) -> np.ndarray | None:
        """Camera ``view``'s scene without the person, (H, W, 3) uint8, when person masks are known:
        each pixel's median over the frames where nobody covers it; pixels always covered are
        inpainted (OpenCV Telea). None without masks."""
        if self.load_mask is None:
            return None
        import cv2

        frames = np.stack([self.frame(view, t) for t in range(self.frames)]).astype(np.float32)
        free = ~np.stack([self.load_mask(view, t) for t in range(self.frames)])
        stack = np.where(free[..., None], frames, np.nan)
        seen = free.any(0)
        plate = np.zeros(frames.shape[1:], np.float32)
        plate[seen] = np.nanmedian(stack[:, seen], axis=0)
        plate = np.clip(plate + 0.5, 0, 255).astype(np.uint8)
        if not seen.all():
            plate = cv2.inpaint(plate, (~seen).astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
        return plate


@dataclass(frozen=True)
class EvaluationData:
    kind: str  # "synthetic" | "videos" | "iper"
    root: Path
    subjects: list[EvaluationSubject]


def person_view(body: BodyModel, subject: EvaluationSubject, view: int) -> tuple[float, float, float]:
    """The square (x0, y0, side) of camera ``view``'s image holding the person in every found frame:
    one fixed crop per video, as a static camera sees it."""
    return person_crop(body, subject.params, subject.cameras.index(view), subject.found)


def person_crop(body: BodyModel, params: BodyParams, camera: Camera, found: np.ndarray) -> tuple[float, float, float]:
    """The square (x0, y0, side) of ``camera``'s (B = 1) image holding the body ``params`` of every
    ``found`` frame, with a margin of VIEW_MARGIN."""
    frames = np.nonzero(found)[0]
    boxes = []
    with torch.no_grad():
        for chunk in np.array_split(frames, max(1, len(frames) // 32)):
            vertices = body(params.index(torch.from_numpy(chunk))).vertices
            pixels = camera.project(vertices)[..., :2]  # (B, V, 2)
            boxes.append(torch.cat([pixels.amin(1), pixels.amax(1)], dim=1).numpy())
    return square_crop(np.concatenate(boxes), margin=VIEW_MARGIN)


@dataclass(frozen=True)
class VideoEntry:
    """One video of a folder of videos or of an iPER tree."""

    name: str  # the file name, or subject/outfit/action
    path: Path  # a video file, or a folder of frames
    person: str | None = None  # "FRAME:X,Y" from people.json: the person to follow


def list_videos(path: Path) -> tuple[str, list[VideoEntry]]:
    """(layout, videos) of one video file, a folder of videos (+ people.json) or an iPER tree
    (``"videos"`` or ``"iper"``); InputError for anything else."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        return "videos", [VideoEntry(path.name, path)]
    videos = sorted(f for f in path.iterdir() if f.is_file() and media.is_video_path(f))
    if videos:
        people = _people(path)
        return "videos", [VideoEntry(v.name, v, people.get(v.name)) for v in videos]
    entries = []
    for folder in sorted(d for d in path.glob("*/*/*") if d.is_dir()):
        inside = sorted(f for f in folder.iterdir() if f.is_file() and media.is_video_path(f))
        if len(inside) > 1:
            raise InputError(f"{folder}: an iPER action folder holds its frames or one video, found {len(inside)} videos")
        entries.append(VideoEntry(folder.relative_to(path).as_posix(), inside[0] if inside else folder))
    if entries:
        return "iper", entries
    raise InputError(
        f"{path}: not a synthetic dataset (manifest.json), a folder of videos, or an iPER-style "
        "<subject>/<outfit>/<action>/ tree"
    )


def open_evaluation_data(
    path: Path, body: BodyModel, max_frames: int | None = None, progress: bool = True
) -> EvaluationData:
    """Read ``path`` in whichever layout it is (see the module docstring)."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        return EvaluationData("synthetic", path, _synthetic_subjects(path, max_frames))
    kind, entries = list_videos(path)
    subjects = [_video_subject(e.path, e.name, body, max_frames, progress, e.person) for e in entries]
    return EvaluationData(kind, path.parent if path.is_file() else path, subjects)


def check_evaluation_data(path: Path, protocol: str, max_frames: int | None = None) -> None:
    """Before anything is perceived or fitted: InputError when the data at ``path`` cannot serve
    ``protocol`` (a photo where videos are needed, too few frames, cameras or videos), told from
    the manifest, the file names and at most two decoded frames per video."""
    path = Path(path)
    manifest = path / "manifest.json"
    if manifest.is_file():
        try:
            config = json.loads(manifest.read_text())["config"]
            counts = [(int(config["views"]), int(config["frames"]))] * int(config["subjects"])
        except (ValueError, KeyError, TypeError) as error:
            raise InputError(f"{manifest}: not a manifest of `liquidwarp synth` ({type(error).__name__})") from None
    else:
        counts = [(1, _frames_up_to_two(entry.path)) for entry in list_videos(path)[1]]
    frames = max(min(f, max_frames or f) for _, f in counts)
    if protocol == "novel-view" and max(v for v, _ in counts) < 2:
        raise InputError(f"{path}: novel view needs several cameras per subject (a synthetic dataset, e.g. `liquidwarp synth --views 4`); a video has one")
    if protocol == "cross-imitation" and len(counts) < 2:
        raise InputError(f"{path}: cross-imitation needs two or more videos; this data has one")
    if protocol == "self-imitation" and frames < 2:
        cut = " (with --max-frames 1)" if max_frames == 1 else ""
        raise InputError(f"{path}: self-imitation needs videos of two or more frames (a source and a target); the longest has {frames}{cut}")


def _frames_up_to_two(path: Path) -> int:
    """Frames of a video or a folder of frames, counted up to two; InputError for a photo."""
    if path.is_dir():
        return min(2, sum(1 for f in path.iterdir() if f.is_file() and media.is_image_path(f)))
    if media.is_image_path(path) or media.image_format(path) is not None:
        raise InputError(f"{path}: a photo; evaluation needs videos (or folders of frames)")
    return sum(1 for _ in media.iter_video_frames(path, max_frames=2))


def _people(folder: Path) -> dict[str, str]:
    file = folder / PEOPLE_FILE
    if not file.is_file():
        return {}
    try:
        people = json.loads(file.read_text())
    except json.JSONDecodeError as error:
        raise InputError(f"{file}: not valid JSON ({error})") from None
    if not isinstance(people, dict) or not all(isinstance(v, str) for v in people.values()):
        raise InputError(f'{file}: expected {{"video.mp4": "FRAME:X,Y", ...}}')
    return people


def _synthetic_subjects(root: Path, max_frames: int | None) -> list[EvaluationSubject]:
    from liquidwarp.data.synthetic import read_dataset

    dataset = read_dataset(root)
    fps = float(dataset.manifest["config"]["fps"])
    subjects = []
    for record in dataset.subjects:
        t = record.frames if max_frames is None else min(record.frames, max_frames)

        def load(view: int, frame: int, record=record) -> np.ndarray:
            return record.load("rgb", view, frame)

        def load_mask(view: int, frame: int, record=record) -> np.ndarray:
            return record.load("mask", view, frame)

        subjects.append(
            EvaluationSubject(record.root.name, record.params.index(slice(0, t)), record.cameras, np.ones(t, bool), fps, True, load, load_mask)
        )
    return subjects


def _video_subject(
    path: Path, name: str, body: BodyModel, max_frames: int | None, progress: bool, person: str | None = None
) -> EvaluationSubject:
    from liquidwarp.fitting.recover import PersonPick, recover

    pick = None
    if person is not None:
        try:
            pick = PersonPick.parse(person)
        except ValueError as error:
            raise InputError(f"{PEOPLE_FILE} entry for {name}: {error}") from None
    recovery = recover(
        path, body, max_frames=max_frames, require_full_body=False, progress=progress, person=pick,
        person_option='pick another with a "FRAME:X,Y" entry for this video in people.json',
    )  # fmt: skip
    if not recovery.footage.is_video:
        raise InputError(f"{path}: evaluation needs videos (or folders of frames), not a photo")
    seq = recovery.sequence
    if not seq.found.any():
        raise InputError(f"{path}: nobody was found in any frame")
    frames = recovery.footage.frames

    def load(view: int, frame: int) -> np.ndarray:
        if view != 0:
            raise IndexError(f"{name} has one view")
        return frames[frame]

    return EvaluationSubject(name, seq.params, seq.camera, seq.found.copy(), seq.fps, False, load)
