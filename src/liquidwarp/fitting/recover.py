"""Body mesh recovery for a photo or a video: perception, fitting, cache, overlay, mesh export.

``recover`` is what ``liquidwarp fit`` runs and what imitation uses to read its inputs.

Memory does not grow with a video's length: frames are decoded when they are needed and at most
a window of them is held (:class:`liquidwarp.io.media.VideoFrames`); each frame's perception
result (landmarks and mask) goes to disk as soon as it is made, and fitting reads them back one
chunk of frames at a time, warm-started from the previous chunk's last frame. What is kept for
the whole clip is small: the fitted parameters and a flag per frame.

The cache (``LIQUIDWARP_CACHE_DIR``, default ``~/.cache/liquidwarp``) keeps results per frame, in
``fits/<key>/``, where the key is the file's content, the person picked and the fitting settings
(not the number of frames asked for):

- ``person.json``: who is followed and why, decided by the first run on the clip;
- ``frames/<t>.npz``: frame ``t``'s perception result (:class:`FrameStore`);
- ``fit.npz``: the unfiltered fit of every frame fitted so far (:class:`FitStore`);
- ``offsets.npz``: the person's clothes-and-hair offsets (``liquidwarp.fitting.offsets``) and the
  frames they were fitted on (the first frames of the clip, so a longer request keeps them);
- ``<T>/``: what depends on the length asked for (fit quality, overlay).

A shorter request reuses the frames it needs. A longer one perceives the missing frames by
following, from the last cached frame, the person the cache followed, and fits them as further
chunks, starting from the last fitted frame (its pose and the clip's shape), as if the fit had
gone on. The low-pass filter over time runs on the requested frames' unfiltered fits each time a
sequence is assembled, so each request is filtered over exactly its own frames (no frame past the
end takes part). A clip fitted in two steps (say 6, then 8 frames) is therefore not bit-identical
to the same 8 frames fitted at once: frames 6 and 7 form a chunk of their own (and a tracker
restarted at frame 6 has no landmark smoothing history), where one run would have fitted frames
0-7 together.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.fitting.fit import FitConfig, fit_chunk, relative_keypoint_error, smooth_over_time
from liquidwarp.fitting.offsets import OffsetConfig, fit_offsets, offset_frames
from liquidwarp.fitting.records import FittedSequence, square_crop
from liquidwarp.fitting.targets import FitTargets, build_targets, default_camera
from liquidwarp.io import media
from liquidwarp.io.atomic import atomic_file
from liquidwarp.perception.observation import PersonChoice, PersonObservation, missing_body_parts
from liquidwarp.rendering.rasterize import Fragments, rasterize

CACHE_VERSION = "fit-5"  # bump when perception, fitting or the cache's layout change what they produce


def cache_root() -> Path:
    return Path(os.environ.get("LIQUIDWARP_CACHE_DIR", Path.home() / ".cache" / "liquidwarp"))


def _content_key(path: Path, person: "PersonPick | None" = None) -> str:
    """The cache key: the file's (or folder's) content, the person picked and the fitting settings;
    not the number of frames (results are kept per frame)."""
    digest = hashlib.sha256()
    folder = Path(path).is_dir()
    for file in frame_files(path) if folder else [Path(path)]:
        if folder:
            digest.update(file.name.encode())
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    digest.update(f"{CACHE_VERSION}|{person}|{asdict(FitConfig())}|{asdict(OffsetConfig())}".encode())
    return digest.hexdigest()[:24]


FRAME_FOLDER_FPS = 25.0  # a folder of frames carries no rate; iPER's videos are 25 frames/s


def frame_files(folder: Path) -> list[Path]:
    """The images in ``folder``, in name order (a video stored as frames)."""
    return sorted(f for f in Path(folder).iterdir() if f.is_file() and media.is_image_path(f))


@dataclass(frozen=True)
class Footage:
    """The input and its frame rate (1 for a photo).

    ``frames`` gives frame ``t`` as ``frames[t]``, (H, W, 3) uint8 RGB, and has ``len`` and
    ``shape`` (T, H, W, 3): a (1, H, W, 3) array for a photo; for a video or a folder of frames, a
    sequence that reads each frame when asked for (:class:`liquidwarp.io.media.VideoFrames`,
    :class:`liquidwarp.io.media.ImageFiles`), so a long clip is never all in memory.
    """

    frames: Sequence[np.ndarray]
    fps: float
    path: Path
    is_video: bool

    @property
    def image_size(self) -> tuple[int, int]:
        """(H, W) of every frame."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])  # type: ignore[attr-defined]


def load_footage(path: Path, max_frames: int | None = None) -> Footage:
    """Open a photo, a video (by extension) or a folder of video frames (images, in name order, at
    ``FRAME_FOLDER_FPS``); InputError for anything unreadable. Video frames are decoded later, as
    they are used."""
    path = Path(path)
    if path.is_dir():
        files = frame_files(path)[:max_frames]
        if not files:
            raise InputError(f"{path}: a folder of frames needs images ({', '.join(sorted(media.IMAGE_EXTENSIONS))})")
        return Footage(media.ImageFiles(files), FRAME_FOLDER_FPS, path, True)
    if media.is_video_path(path):
        frames = media.VideoFrames(path, max_frames=max_frames)
        return Footage(frames, frames.info.fps, path, True)
    if media.is_image_path(path):
        return Footage(media.read_image(path)[None], 1.0, path, False)
    raise InputError(f"{path}: not a photo or video this tool reads (by its extension)")


@dataclass(frozen=True)
class PersonPick:
    """The user's choice of person: the one at pixel (x, y) of frame ``frame``."""

    frame: int
    x: float
    y: float

    @staticmethod
    def parse(text: str) -> "PersonPick":
        """``X,Y`` (frame 0) or ``FRAME:X,Y``; ValueError with the expected form otherwise."""
        try:
            frame_text, _, point = text.rpartition(":")
            x, y = (float(v) for v in point.split(","))
            frame = int(frame_text) if frame_text else 0
        except ValueError:
            raise ValueError(f"expected X,Y or FRAME:X,Y (pixels), got {text!r}") from None
        if frame < 0:
            raise ValueError(f"frame must be 0 or more, got {frame}")
        return PersonPick(frame, x, y)


class FrameStore(Sequence["PersonObservation | None"]):
    """Per-frame perception results on disk, one ``<t>.npz`` per frame of a clip of ``frames``
    frames: ``store[t]`` reads frame ``t``'s observation (None: nobody found), ``store.put(t, o)``
    writes it (atomically). Masks are kept as uint8 (1/255 steps). Nothing is held in memory.

    Args:
        folder: where the files are (made when the first is written).
        frames: the clip's length as used now (``len``); files past it are left alone.
        temporary: a folder (``folder`` or one above it) removed when this object is collected:
            a run without the cache keeps its files there only while they are used.
    """

    def __init__(self, folder: Path, frames: int, temporary: Path | None = None) -> None:
        self.folder, self.frames = Path(folder), frames
        if temporary is not None:
            weakref.finalize(self, shutil.rmtree, temporary, True)

    def _file(self, t: int) -> Path:
        return self.folder / f"{t:06d}.npz"

    def __len__(self) -> int:
        return self.frames

    def known(self) -> int:
        """How many frames from the first on are stored (up to ``len``)."""
        t = 0
        while t < self.frames and self._file(t).is_file():
            t += 1
        return t

    def put(self, t: int, observation: PersonObservation | None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_file(self._file(t), suffix=".npz") as tmp:
            if observation is None:
                np.savez(tmp, found=False)
            else:
                o = observation
                mask = np.round(np.clip(o.mask, 0, 1) * 255).astype(np.uint8)
                np.savez_compressed(
                    tmp, found=True, landmarks_2d=o.landmarks_2d, visibility=o.visibility, landmarks_3d=o.landmarks_3d,
                    mask=mask, bbox=np.array(o.bbox, np.float64), score=np.float64(o.score),
                )  # fmt: skip

    def found(self, t: int) -> bool:
        """Whether a person was found on frame ``t`` (without reading the mask)."""
        with self._load(t) as data:
            return bool(data["found"])

    def bbox(self, t: int) -> tuple[float, float, float, float]:
        """The box of the person found on frame ``t`` (without reading the mask)."""
        with self._load(t) as data:
            return tuple(float(v) for v in data["bbox"])  # type: ignore[return-value]

    def _load(self, t: int):
        try:
            return np.load(self._file(t), allow_pickle=False)
        except (OSError, ValueError) as e:
            raise InputError(f"{self._file(t)}: damaged cache file ({e}); delete the folder {self.folder.parent} and run again") from None

    def __getitem__(self, t):  # type: ignore[override]
        if isinstance(t, slice):
            return [self[i] for i in range(*t.indices(len(self)))]
        if not 0 <= t < self.frames:
            raise IndexError(f"frame {t} of {self.frames}")
        with self._load(t) as data:
            if not bool(data["found"]):
                return None
            mask = data["mask"]
            return PersonObservation(
                landmarks_2d=data["landmarks_2d"], visibility=data["visibility"], landmarks_3d=data["landmarks_3d"],
                mask=mask.astype(np.float32) / 255.0, image_size=(int(mask.shape[0]), int(mask.shape[1])),
                bbox=tuple(float(v) for v in data["bbox"]), score=float(data["score"]),
            )  # fmt: skip


def _perceive(footage: Footage, store: FrameStore, begin: int, progress: bool, person: PersonPick | None) -> PersonChoice | None:
    """Perceive frames ``begin`` to the end into ``store``: the main person in every frame, or the
    one the user picked; returns who that is and why (None where ``begin`` > 0: the cache's choice
    stands, or nobody was found).

    From the first frame (``begin`` 0): for a video without a pick, who that is is decided over the
    whole clip (``main_person``); they are then tracked forwards from where they are first seen (or
    picked), and backwards from there to the start. From a later frame (extending a cached clip):
    tracked forwards from the person of frame ``begin - 1`` (chosen afresh if nobody was there).
    """
    from tqdm import tqdm

    from liquidwarp.perception.mediapipe_pose import MediaPipePose, candidate_at, main_person

    frames, n = footage.frames, len(footage.frames)
    if person is not None and begin == 0:
        with MediaPipePose(video=False) as still:
            people = still.people_in(frames[person.frame])
            picked = candidate_at(people, (person.x, person.y))
            if picked is None:
                raise InputError(f"{footage.path}: no person at x {person.x:g}, y {person.y:g} of frame {person.frame}")
            box = picked.box
            choice = PersonChoice(
                people=len(people), box=box, frame=person.frame, image_size=footage.image_size, missing=picked.missing,
                overlapping=picked.overlapping, picked=True,
            )  # fmt: skip
            if not footage.is_video:
                found = still.observe_in(frames[0], box)
                store.put(0, found)
                return choice if found is None else replace(choice, missing=tuple(missing_body_parts(found)))
        main = choice
    elif not footage.is_video:
        with MediaPipePose(video=False) as pose:
            found = pose.observe(frames[0])
            store.put(0, found)
            return pose.choice if found is not None else None
    elif begin == 0:
        with MediaPipePose(video=False) as still:
            main = main_person(still, frames)
        if main is None:
            for t in range(n):
                store.put(t, None)
            return None
    else:
        main = None
    bar = tqdm(total=n - begin, desc="perception", unit="frame", disable=not progress)

    def track(order: range, follow: PersonObservation | tuple | None) -> None:
        with MediaPipePose(video=True) as pose:
            if isinstance(follow, PersonObservation):
                pose.follow_person(follow)
            elif follow is not None:
                pose.follow(follow)
            for t in order:
                store.put(t, pose.observe(frames[t]))
                bar.update(1)

    if main is None:  # extending: go on from the last frame perceived
        track(range(begin, n), store[begin - 1])
    else:
        track(range(main.frame, n), main.box)
        track(range(main.frame - 1, -1, -1), main.box)
    bar.close()
    return main


def _targets(observations: Sequence[PersonObservation], image_size: tuple[int, int], seed: int = 0) -> FitTargets:
    return build_targets(
        np.stack([o.landmarks_2d for o in observations]),
        np.stack([o.visibility for o in observations]),
        np.stack([o.landmarks_3d for o in observations]),
        np.stack([o.mask for o in observations]),
        image_size,
        seed=seed,
    )


class FitStore:
    """The unfiltered fit of a clip's first frames (``fit.npz``): for each frame fitted so far
    whether a person was seen, and the parameters of the frames where one was."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def load(self) -> tuple[np.ndarray, BodyParams | None]:
        """(M,) bool ``found`` for the M frames fitted so far and their (found-frame) parameters."""
        if not self.path.is_file():
            return np.zeros(0, bool), None
        try:
            with np.load(self.path, allow_pickle=False) as data:
                found = np.array(data["found"], bool)
                t = lambda k: torch.from_numpy(np.array(data[k]))  # noqa: E731
                params = BodyParams(t("root_rotation"), t("root_translation"), t("joint_rotations"), t("shape"))
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"{self.path}: damaged cache file ({e}); delete the folder {self.path.parent} and run again") from None
        return found, params if params.batch_size else None

    def save(self, found: np.ndarray, params: BodyParams) -> None:
        with atomic_file(self.path, suffix=".npz") as tmp:
            np.savez(
                tmp, found=found, root_rotation=params.root_rotation.numpy(), root_translation=params.root_translation.numpy(),
                joint_rotations=params.joint_rotations.numpy(), shape=params.shape.numpy(),
            )  # fmt: skip


def _fit_more(
    body: BodyModel, store: FrameStore, seen: np.ndarray, found: np.ndarray, fitted: BodyParams | None, image_size: tuple[int, int],
    progress: bool,
) -> tuple[np.ndarray, BodyParams]:
    """Extend an unfiltered fit of the first ``len(found)`` frames (``fitted``: their seen frames)
    to all of ``store``'s frames (``seen``: where a person was found), one chunk of seen frames at
    a time, only that chunk's observations in memory. Returns ``seen`` and all seen frames' fits."""
    config = FitConfig()
    todo = [int(t) for t in np.nonzero(seen[len(found) :])[0] + len(found)]
    bar = None
    if progress and len(store) > 1 and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="fitting", unit="frame")
    results = [] if fitted is None else [fitted]
    previous = fitted
    for start in range(0, len(todo), config.chunk):
        chunk = todo[start : start + config.chunk]
        targets = _targets([store[t] for t in chunk], image_size, seed=chunk[0])
        previous = fit_chunk(body, targets, config, previous, alone=len(store) == 1)
        results.append(previous)
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return seen, BodyParams.cat(results)


def _fill_missing(params: BodyParams, found: np.ndarray) -> BodyParams:
    """``params`` holds the frames where a person was seen, in order; every frame of the clip takes
    the nearest of those."""
    seen_frames = np.nonzero(found)[0]
    position = np.abs(np.arange(len(found))[:, None] - seen_frames[None]).argmin(1)
    return params.index(torch.from_numpy(position))


def _offsets(
    body: BodyModel, store: FrameStore, found: np.ndarray, raw: BodyParams, image_size: tuple[int, int], fps: float, path: Path
) -> tuple[torch.Tensor, bool]:
    """The person's offsets, from ``path`` when they were fitted on the frames they are fitted on
    now, else fitted now and kept there. Returns them and whether they were fitted now.

    They are fitted on frames among all the clip's frames fitted so far (``found``, which may run
    past this request), so a shorter request reuses a longer one's offsets and a clip's offsets
    stop changing once its first ``OffsetConfig.span`` frames have been fitted."""
    kept = None
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                kept = data["frames"].tolist(), torch.from_numpy(np.array(data["offsets"], np.float32))
        except (OSError, ValueError, KeyError) as e:
            raise InputError(f"{path}: damaged cache file ({e}); delete the folder {path.parent} and run again") from None
    frames = offset_frames(found)
    if frames and frames[-1] >= len(store) and (kept is None or kept[0] != frames):
        frames = offset_frames(found[: len(store)])  # a longer request stopped before its offsets were kept
    if kept is not None and kept[0] == frames:
        return kept[1], False
    rows = torch.from_numpy(np.cumsum(found)[frames] - 1)  # where each frame's fit is among the seen frames'
    # the bodies the frames will show: low-pass filtered
    poses = smooth_over_time(raw.index(slice(0, int(rows[-1]) + 1)), fps, FitConfig().filter_cutoff_hz)
    targets = _targets([store[t] for t in frames], image_size)
    offsets = fit_offsets(body, poses.index(rows), default_camera(image_size), targets)
    with atomic_file(path, suffix=".npz") as tmp:
        np.savez(tmp, frames=np.array(frames, np.int64), offsets=offsets.numpy())
    return offsets, True


def _sequence(store: FrameStore, found: np.ndarray, raw: BodyParams, footage: Footage, offsets: torch.Tensor | None = None) -> FittedSequence:
    """The fitted sequence of the first ``len(store)`` frames: their unfiltered fits (``raw`` holds
    the seen frames among ``found``, which may run past them), low-pass filtered over these frames
    only, every unseen frame taking its nearest seen frame; every frame carries ``offsets``."""
    n = len(store)
    found = found[:n]
    params = raw.index(slice(0, int(found.sum())))
    if offsets is not None:
        params = params.replace(offsets=offsets[None].expand(params.batch_size, -1))
    params = smooth_over_time(params, footage.fps, FitConfig().filter_cutoff_hz)
    params = _fill_missing(params, found) if not found.all() else params
    crop = square_crop(np.array([store.bbox(t) for t in np.nonzero(found)[0]]))
    return FittedSequence(params, default_camera(footage.image_size), found, crop, footage.fps, str(Path(footage.path).resolve()))


@dataclass(frozen=True)
class Recovery:
    """Everything ``recover`` produces for one input. ``observations`` reads each frame's
    perception result from disk when indexed (a :class:`FrameStore`)."""

    footage: Footage
    observations: Sequence[PersonObservation | None]
    sequence: FittedSequence
    fit_seconds: float
    perception_seconds: float
    cached: bool  # nothing was perceived or fitted in this run
    cache_dir: Path | None  # where results for this input and length are kept (None: caching off)
    choice: PersonChoice | None = None  # who was used and why (None: nobody was found)
    perceived_frames: int = 0  # frames perceived in this run (the rest came from the cache)
    fitted_frames: int = 0  # frames fitted in this run


def recover(
    path: Path,
    body: BodyModel,
    max_frames: int | None = None,
    require_full_body: bool = True,
    progress: bool = True,
    use_cache: bool = True,
    person: PersonPick | None = None,
    person_option: str | None = "--person",
    report: bool = True,
) -> Recovery:
    """Perceive and fit a photo or video, reusing the cached frames (see the module docstring).

    Args:
        person: the person to use; None lets perception choose (see ``liquidwarp.perception``).
        person_option: how the user picks another person, for the line that says who was used: the
            command's option (``--person``, ``--reference-person``), a phrase, or None where no
            option picks one (see ``PersonChoice.describe``).
        report: when several people are in view, print that line (``liquidwarp: ...``) on stderr,
            cached or not.
    """
    footage = load_footage(path, max_frames)
    n = len(footage.frames)
    if person is not None and person.frame >= n:
        raise InputError(f"{path}: --person frame {person.frame} is past the last frame ({n - 1})")
    if use_cache:
        folder = cache_root() / "fits" / _content_key(Path(path), person)
    else:
        folder = Path(tempfile.mkdtemp(prefix="liquidwarp-fit-"))
    store = FrameStore(folder / "frames", n, temporary=None if use_cache else folder)
    choice_file, fits = folder / "person.json", FitStore(folder / "fit.npz")

    t0 = time.perf_counter()
    known = store.known() if choice_file.is_file() else 0
    choice = _load_choice(choice_file) if known else None
    if known < n:
        perceived = _perceive(footage, store, known, progress, person)
        if known == 0:
            choice = perceived
            from liquidwarp.io.atomic import write_json_atomic

            write_json_atomic(choice_file, None if choice is None else choice.to_dict())
    t1 = time.perf_counter()
    if report and choice is not None and choice.people > 1:
        from liquidwarp.io.console import note

        note(choice.describe(Path(path).name, footage.is_video, person_option))
    seen = np.array([store.found(t) for t in range(n)], bool)
    if not seen.any():
        raise InputError(f"{path}: no person found" + (" in any frame" if footage.is_video else ""))
    if require_full_body and not footage.is_video:
        missing = missing_body_parts(store[0])
        if missing:
            used = f"; {choice.summary(False, person_option)}" if choice is not None and choice.people > 1 else ""
            raise InputError(f"{path}: half-body photo ({', '.join(missing)} not visible); a full-body photo is needed{used}")
    found, raw = fits.load()
    fitted_now = len(found) < n
    fitted_frames = max(n - len(found), 0)
    if fitted_now:
        found, raw = _fit_more(body, store, seen, found, raw, footage.image_size, progress)
        fits.save(found, raw)
    offsets, offsets_now = _offsets(body, store, found, raw, footage.image_size, footage.fps, folder / "offsets.npz")
    if offsets_now:  # what was made for each length (quality, overlay) showed the old offsets
        for kept in folder.iterdir():
            if kept.is_dir() and kept.name.isdigit():
                shutil.rmtree(kept, ignore_errors=True)
    fitted_now = fitted_now or offsets_now
    t2 = time.perf_counter()
    sequence = _sequence(store, found, raw, footage, offsets)
    cached = known >= n and not fitted_now
    fit_seconds, perception_seconds = (t2 - t1 if fitted_now else 0.0), (t1 - t0 if known < n else 0.0)
    return Recovery(
        footage, store, sequence, fit_seconds, perception_seconds, cached, folder / str(n) if use_cache else None, choice,
        perceived_frames=max(n - known, 0), fitted_frames=fitted_frames,
    )  # fmt: skip
def recover_sources(sources: list[Path], body: BodyModel, people: list[PersonPick] | None = None, progress: bool = True) -> list[Recovery]:
    """Recover each source photo, with the person picked in it (``people``: one per source, in
    order) or chosen automatically (None); the line saying who was used names ``--source-person``."""
    if people is not None and len(people) != len(sources):
        raise InputError(f"{len(people)} source person pick(s) for {len(sources)} source(s): give one per source, in order")
    picks = people if people is not None else [None] * len(sources)
    return [recover(p, body, progress=progress, person=pick, person_option="--source-person") for p, pick in zip(sources, picks)]


def _load_choice(path: Path) -> PersonChoice | None:
    """The choice kept beside a cached fit (``person.json``); InputError names a damaged file."""
    import json

    try:
        data = json.loads(path.read_text())
        return None if data is None else PersonChoice.from_dict(data)
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: damaged cache file ({e}); delete the folder {path.parent} and run again") from None


def render_fragments(body: BodyModel, sequence: FittedSequence, frames: slice | None = None) -> tuple[torch.Tensor, Fragments]:
    """Posed vertices (T, V, 3) and their fragments in the source image for the chosen frames."""
    params = sequence.params if frames is None else sequence.params.index(frames)
    with torch.no_grad():
        vertices = body(params).vertices
    camera = sequence.camera.expand(params.batch_size)
    return vertices, rasterize(camera.project(vertices), body.faces, camera.image_size)


def fit_quality(body: BodyModel, recovery: Recovery) -> dict[str, float]:
    """Mean silhouette IoU (fitted mesh vs perception mask) and mean relative keypoint error
    (kept beside the cached fit)."""
    import json

    stored = recovery.cache_dir / "quality.json" if recovery.cache_dir is not None else None
    if stored is not None and stored.is_file():
        return json.loads(stored.read_text())
    quality = _measure_quality(body, recovery)
    if stored is not None:
        from liquidwarp.io.atomic import write_json_atomic

        stored.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(stored, quality)
    return quality


def _measure_quality(body: BodyModel, recovery: Recovery, chunk: int = 16) -> dict[str, float]:
    seq = recovery.sequence
    idx = [i for i in range(seq.frames) if seq.found[i]]
    ious, errors = [], []
    for start in range(0, len(idx), chunk):
        frames = idx[start : start + chunk]
        seen = [recovery.observations[i] for i in frames]
        _, frags = render_fragments(body, seq, torch.tensor(frames))
        for k, observation in enumerate(seen):
            mask = torch.from_numpy(observation.mask > 0.5)
            inter = (frags.mask[k] & mask).sum().item()
            union = (frags.mask[k] | mask).sum().item()
            ious.append(inter / max(union, 1))
        targets = _targets(seen, seq.camera.image_size)
        errors.append(relative_keypoint_error(body, seq.params.index(torch.tensor(frames)), targets))
    return {"mean_silhouette_iou": float(np.mean(ious)), "mean_keypoint_error_rel": float(torch.cat(errors).mean())}


OVERLAY_OPACITY = 0.6
OVERLAY_COLOUR = (0.75, 0.8, 0.9)


def write_overlay(body: BodyModel, recovery: Recovery, folder: Path, audio_from: Path | None = None) -> Path:
    """``overlay.mp4`` (video) or ``overlay.png`` (photo) in ``folder``; reused from the cache."""
    from tqdm import tqdm

    from liquidwarp.io.media import VideoWriter, write_image

    name = "overlay.mp4" if recovery.footage.is_video else "overlay.png"
    target = folder / name
    stored = recovery.cache_dir / name if recovery.cache_dir is not None else None
    if stored is not None and stored.is_file():
        shutil.copyfile(stored, target)
        return target
    if recovery.footage.is_video:
        with VideoWriter(target, recovery.footage.fps, audio_from=audio_from) as writer:
            for frame in tqdm(overlay_frames(body, recovery), total=recovery.sequence.frames, desc="overlay", unit="frame"):
                writer.write(frame)
    else:
        write_image(target, next(overlay_frames(body, recovery)))
    if stored is not None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(stored, suffix=target.suffix) as tmp:
            shutil.copyfile(target, tmp)
    return target


def overlay_frames(body: BodyModel, recovery: Recovery, chunk: int = 8):
    """Yield each frame (H, W, 3) uint8 with the fitted mesh drawn over it (grey, lit from the camera)."""
    from liquidwarp.io.images import uint8_frames_to_unit, unit_frames_to_uint8
    from liquidwarp.rendering.shading import Lighting, lambert

    seq = recovery.sequence
    colour = torch.tensor(OVERLAY_COLOUR).view(1, 3, 1, 1)
    for start in range(0, seq.frames, chunk):
        idx = torch.arange(start, min(start + chunk, seq.frames))
        vertices, frags = render_fragments(body, seq, idx)
        n = len(idx)
        toward_camera = -seq.camera.center[0] + vertices.mean(1).mean(0)
        light = Lighting(torch.nn.functional.normalize(-toward_camera, dim=0).expand(n, 3), torch.full((n,), 0.35), torch.full((n,), 0.65))
        shaded = colour * lambert(frags, body.faces, vertices, light)
        mask = frags.mask[:, None].float()
        frames = uint8_frames_to_unit(recovery.footage.frames[start : start + n])
        alpha = mask * OVERLAY_OPACITY
        out = frames * (1 - alpha) + shaded * alpha
        yield from unit_frames_to_uint8(out)


def export_textured_mesh(body: BodyModel, recovery: Recovery, path: Path, texture_size: int = 1024) -> list[Path]:
    """The fitted mesh of the first frame with a person, textured from that frame's visible pixels."""
    from liquidwarp.io.images import uint8_to_unit
    from liquidwarp.io.mesh_export import export_mesh
    from liquidwarp.rendering.uv_atlas import UVAtlas
    from liquidwarp.warping.bake import bake_texture

    seq = recovery.sequence
    frame = int(np.nonzero(seq.found)[0][0])
    vertices, frags = render_fragments(body, seq, torch.tensor([frame]))
    image = uint8_to_unit(recovery.footage.frames[frame])
    atlas = UVAtlas.build(body.face_uvs, texture_size)
    texture, _ = bake_texture(image, body.faces, vertices, seq.camera, frags, atlas)
    texture_u8 = (np.clip(texture, 0, 1) * 255 + 0.5).astype(np.uint8)
    return export_mesh(path, vertices[0].numpy(), body.faces.numpy(), body.face_uvs.numpy(), texture_u8)
