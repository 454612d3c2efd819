"""Person keypoints and mask from mediapipe's legacy pose solution (BlazePose GHUM 3D).

mediapipe's ``solutions.pose`` finds and tracks **one** person: its detector picks the most
confident person in the whole image, and the segmentation mask it returns covers only the region
around that person. Its detector, which sees the whole image shrunk to 224 x 224, also misses
smaller people (measured: the man on the box in ``outdoor_walk.mp4``, 386 px tall in a 1768 x 994
frame, is found in a square crop but not in the full frame). So to notice other people and choose
among them, :class:`MediaPipePose` searches for them:

1. run the model on the full image (the *primary* result);
2. search: paint a grey box over every person found so far and run the model again, on the full
   image and on overlapping square tiles as tall as the image's short side (so smaller people
   become detectable), until nobody new is found or ``MAX_PEOPLE`` are;
3. take the connected components of the union of everyone's thresholded masks; components whose
   area is at least ``MIN_PERSON_FRACTION`` of the largest are people (components that one
   detection's landmarks span, e.g. a body cut in two by a lamp post, are one person);
4. choose the person with the highest ``area * (1 - d)``, where ``d`` is the distance of the
   person's mask centroid from the image centre divided by the half diagonal (so 0 at the centre,
   1 at a corner): large and central wins;
5. if the primary result's landmarks lie mainly on the chosen person, return it; otherwise run the
   model (static) on a square crop around the chosen person and map the result back.

More than one person raises a :class:`SeveralPeopleWarning`. The search costs a few extra model
runs per image (about 5x a plain run; ``find_others=False`` skips it).

In video mode the person chosen on the first frame where anyone is found is *kept* while they stay
in view (motion must not jump between people): each frame uses the tracker's result if it lies on
that person's previous box, else a static run on a crop around that box. Only when they are lost is
a person chosen afresh. Until someone else has been reported, a search every ``search_interval``
frames looks for people who came into view, to warn (once per video) without changing the choice.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import warnings
from collections.abc import Sequence, Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from liquidwarp.errors import InputError
from liquidwarp.io.media import captured_stderr, iter_video_frames, probe_video
from liquidwarp.perception.observation import NUM_LANDMARKS, PersonObservation, bbox_of, in_image

MIN_PERSON_FRACTION = 0.15  # a mask component counts as a person if its area is >= 15% of the largest
MAX_PEOPLE = 4  # stop searching after this many people
MASK_THRESHOLD = 0.5  # soft mask -> person pixels
LANDMARK_VISIBLE = 0.5  # visibility from which a landmark is used to locate a person
ON_PERSON_FRACTION = 0.6  # landmarks "lie mainly on" a person if this share of the visible ones is in their box
ERASE_MARGIN = 0.1  # the grey box over a found person is this much bigger than their box, per side
CROP_MARGIN = 0.25  # a square crop around a person is this much bigger than their box, per side
HEAVY_MODEL = "pose_landmark_heavy.tflite"

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) pixels


class SeveralPeopleWarning(UserWarning):
    """More than one person is in view; the largest, most central one was used."""


@dataclass(frozen=True)
class _Person:
    """One person among the mask components of everyone found in an image."""

    score: float  # area * (1 - normalised distance of the centroid from the image centre)
    box: Box  # around their mask components
    components: tuple[int, ...]  # their connected-component labels
    detection: PersonObservation | None  # the search result whose landmarks span them, if any


# ------------------------------------------------------------------------------ mediapipe set-up


def pose_model_dir() -> Path:
    """The folder of the installed mediapipe package that holds the pose landmark models."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        raise ImportError("mediapipe is not installed; install it with `pip install mediapipe==0.10.21`")
    return Path(spec.origin).parent / "modules" / "pose_landmark"


def heavy_model_available() -> bool:
    """Whether mediapipe's heavy pose model is installed (mediapipe would otherwise download it)."""
    return (pose_model_dir() / HEAVY_MODEL).is_file()


def _quiet_stderr() -> contextlib.AbstractContextManager:
    """Keep mediapipe's C++ logging off the console.

    glog/absl and TF-lite's XNNPACK log straight to stderr (GLOG_minloglevel and
    TF_CPP_MIN_LOG_LEVEL do not silence them, measured). They log when a graph starts and when its
    models first run, so only those calls are wrapped.
    """
    return captured_stderr()


def _import_pose_solution() -> Any:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _quiet_stderr():
        from absl import logging as absl_logging
        from mediapipe.python.solutions import pose as mp_pose

        absl_logging.set_verbosity(absl_logging.ERROR)
    return mp_pose


# ------------------------------------------------------------------------------------- geometry


def _expand(box: Box, margin: float) -> Box:
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return x0 - dx, y0 - dy, x1 + dx, y1 + dy


def _square_around(box: Box, margin: float) -> tuple[int, int, int]:
    """``(x0, y0, side)`` of a square centred on ``box``, ``1 + 2 margin`` times its longer side."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0, 16.0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return int(round(cx - side / 2)), int(round(cy - side / 2)), int(round(side))


def _tiles(height: int, width: int) -> list[tuple[int, int, int]]:
    """Overlapping squares ``(x0, y0, side)`` as big as the short side, spanning the long side."""
    short, long = min(height, width), max(height, width)
    if long < 1.2 * short:
        return []  # the full image is nearly square already
    count = math.ceil(2 * long / short) - 1  # consecutive tiles overlap by at least half
    starts = np.linspace(0, long - short, count).round().astype(int)
    return [(int(s), 0, short) if width > height else (0, int(s), short) for s in starts]


def _person_box(obs: PersonObservation) -> Box:
    """The observation's mask box, grown to include its visible landmarks (clipped to the image)."""
    h, w = obs.image_size
    x0, y0, x1, y1 = obs.bbox
    points = obs.landmarks_2d[obs.visibility >= LANDMARK_VISIBLE]
    if len(points):
        lo = np.clip(points.min(axis=0), 0, [w, h])
        hi = np.clip(points.max(axis=0), 0, [w, h])
        x0, y0, x1, y1 = min(x0, lo[0]), min(y0, lo[1]), max(x1, hi[0]), max(y1, hi[1])
    return float(x0), float(y0), float(x1), float(y1)


def _share_inside(obs: PersonObservation, box: Box) -> float:
    """Share of the observation's visible landmarks inside ``box``."""
    points = obs.landmarks_2d[obs.visibility >= LANDMARK_VISIBLE]
    if not len(points):
        return 0.0
    x0, y0, x1, y1 = box
    inside = (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)
    return float(inside.mean())


def _lies_on(obs: PersonObservation, box: Box) -> bool:
    return _share_inside(obs, _expand(box, ERASE_MARGIN)) >= ON_PERSON_FRACTION


def _observation(points: np.ndarray, visibility: np.ndarray, world: np.ndarray, mask: np.ndarray) -> PersonObservation:
    """Assemble an observation; landmarks outside the image get visibility 0."""
    image_size = (int(mask.shape[0]), int(mask.shape[1]))
    points = points.astype(np.float32)
    visibility = np.clip(visibility, 0.0, 1.0).astype(np.float32)
    visibility[~in_image(points, image_size)] = 0.0
    mask = np.clip(mask, 0.0, 1.0).astype(np.float32, copy=False)
    return PersonObservation(
        landmarks_2d=points,
        visibility=visibility,
        landmarks_3d=world.astype(np.float32),
        mask=mask,
        image_size=image_size,
        bbox=bbox_of(mask, points, visibility, MASK_THRESHOLD),
        score=float(visibility.mean()),
    )


# ----------------------------------------------------------------------------------- the adapter


class MediaPipePose:
    """:class:`~liquidwarp.perception.observation.PoseEstimator` backed by mediapipe's legacy pose solution.

    Args:
        video: True for consecutive frames of one video (tracking, temporal smoothing of landmarks
            and mask); False for unrelated images (every image detected afresh).
        heavy: use the heavy landmark model (model complexity 2, slower, a little more accurate).
            ``None``: only if it is already installed. mediapipe does not ship it and would download
            it; liquidwarp never downloads, so ``heavy=True`` without the file is an error.
        find_others: search the image for other people and choose the largest, most central one
            (see the module docstring); False trusts mediapipe's single detection (faster).
        search_interval: in video mode, while following someone, look for other people every this
            many frames (only to warn about them; the person followed stays the same).
        min_confidence: mediapipe's minimum detection confidence.

    Not thread-safe; use one instance per thread. Close it (or use ``with``) to free the graphs.
    """

    def __init__(
        self,
        video: bool = False,
        heavy: bool | None = None,
        find_others: bool = True,
        search_interval: int = 30,
        min_confidence: float = 0.5,
    ) -> None:
        if search_interval < 1:
            raise ValueError(f"search_interval must be >= 1, got {search_interval}")
        available = heavy_model_available()
        if heavy and not available:
            raise InputError(
                f"{pose_model_dir() / HEAVY_MODEL}: heavy pose model not installed; copy pose_landmark_heavy.tflite "
                f"from the npm package @mediapipe/pose into {pose_model_dir()} (liquidwarp does not download models), "
                "or use the full model (heavy=False)"
            )
        self.video = video
        self.heavy = available if heavy is None else heavy
        self.find_others = find_others
        self.search_interval = search_interval
        self.min_confidence = min_confidence
        self._pose_module = _import_pose_solution()
        self._main = self._new_model(static=not video)
        self._static = None if video else self._main  # for searches and crops; made when first needed
        self._started: set[int] = set()  # ids of models that have found someone (and so logged all they log)
        self._frame_index = 0
        self._target: Box | None = None  # video mode: the box of the person followed
        self._warned = False

    def _new_model(self, static: bool) -> Any:
        with _quiet_stderr():
            model = self._pose_module.Pose(
                static_image_mode=static,
                model_complexity=2 if self.heavy else 1,
                smooth_landmarks=not static,
                enable_segmentation=True,
                smooth_segmentation=not static,
                min_detection_confidence=self.min_confidence,
                min_tracking_confidence=0.5,
            )
            # The graph opens its models on worker threads after the constructor returns; one
            # (empty) frame waits for that, so their start-up logging falls in the quiet window.
            model.process(np.zeros((64, 64, 3), np.uint8))
        return model

    def _static_model(self) -> Any:
        if self._static is None:
            self._static = self._new_model(static=True)
        return self._static

    # -- lifecycle
    def close(self) -> None:
        """Free mediapipe's graphs; the instance cannot be used afterwards."""
        for model in {id(m): m for m in (self._main, self._static) if m is not None}.values():
            model.close()
        self._main = self._static = None

    def __enter__(self) -> "MediaPipePose":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- running the model
    def _process(self, model: Any, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """One model run on a whole (H, W, 3) uint8 RGB image.

        Returns:
            None if nobody is found, else (L, 2) pixel landmarks, (L,) the model's own visibility,
            (L, 3) world landmarks and the (H, W) soft mask.
        """
        quiet = _quiet_stderr() if id(model) not in self._started else contextlib.nullcontext()
        with quiet:
            result = model.process(image)
        if result.pose_landmarks is None:
            return None
        # The landmark model's interpreter starts (and logs) the first time someone is found.
        self._started.add(id(model))
        h, w = image.shape[:2]
        uvv = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark], dtype=np.float32)
        world = np.array([(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark], dtype=np.float32)
        assert uvv.shape == (NUM_LANDMARKS, 3) and world.shape == (NUM_LANDMARKS, 3), (uvv.shape, world.shape)
        mask = result.segmentation_mask
        mask = np.zeros((h, w), np.float32) if mask is None else np.asarray(mask, dtype=np.float32)
        assert mask.shape == (h, w), (mask.shape, (h, w))
        # Normalised [0, 1] coordinates span the whole image, edges included: x = u W, y = v H.
        points = uvv[:, :2] * np.array([w, h], dtype=np.float32)
        return points, uvv[:, 2], world, mask

    def _run(self, model: Any, image: np.ndarray) -> PersonObservation | None:
        """One model run on a whole image, as an observation."""
        found = self._process(model, image)
        return None if found is None else _observation(*found)

    def _run_on_square(self, model: Any, image: np.ndarray, square: tuple[int, int, int]) -> PersonObservation | None:
        """Run on the square ``(x0, y0, side)`` of the image (black outside it), mapped back to the image."""
        h, w = image.shape[:2]
        x0, y0, side = square
        ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
        if ix1 <= ix0 or iy1 <= iy0:
            return None
        crop = np.zeros((side, side, 3), np.uint8)
        crop[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = image[iy0:iy1, ix0:ix1]
        found = self._process(model, crop)
        if found is None:
            return None
        points, visibility, world, crop_mask = found
        mask = np.zeros((h, w), np.float32)
        mask[iy0:iy1, ix0:ix1] = crop_mask[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0]
        # Crop pixels are image pixels shifted by (x0, y0), so continuous coordinates shift alike.
        return _observation(points + np.array([x0, y0], dtype=np.float32), visibility, world, mask)

    # -- the public entry point
    def observe(self, image: np.ndarray) -> PersonObservation | None:
        """Find the main person in an image.

        Args:
            image: (H, W, 3) uint8 RGB. In video mode, consecutive frames of one video.

        Returns:
            The largest, most central person (see the module docstring), or None if nobody is found.
            In video mode, the person chosen first is kept for as long as they stay in view.
        """
        if self._main is None:
            raise RuntimeError("MediaPipePose is closed")
        if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
            got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
            raise ValueError(f"image must be an (H, W, 3) uint8 RGB array, got {got}")
        image = np.ascontiguousarray(image)
        primary = self._run(self._main, image)
        if not self.find_others:
            return primary
        if self.video and self._target is not None:
            result = self._follow(image, primary, self._target)
            if result is not None and not self._warned and self._frame_index % self.search_interval == 0:
                # Only to tell the user about people who came into view; the choice stays.
                people, _ = self._people(image, self._search(image, result))
                if len(people) > 1:
                    self._warn(len(people), result.bbox, image.shape[:2], stacklevel=3)
        else:
            result = self._choose(image, primary)
        self._frame_index += 1
        self._target = _person_box(result) if (self.video and result is not None) else None
        return result

    def _follow(self, image: np.ndarray, primary: PersonObservation | None, target: Box) -> PersonObservation | None:
        """Video mode: keep to the person whose box was ``target`` in the previous frame."""
        if primary is not None and _lies_on(primary, target):
            return primary
        found = self._run_on_square(self._static_model(), image, _square_around(target, CROP_MARGIN))
        if found is not None and _lies_on(found, _expand(target, CROP_MARGIN)):
            return found
        return None  # they are gone; the next frame chooses afresh

    def _search(self, image: np.ndarray, primary: PersonObservation | None) -> list[PersonObservation]:
        """Everyone the model finds when each person found is painted over in turn (step 2)."""
        model = self._static_model()
        h, w = image.shape[:2]
        work = image.copy()
        found: list[PersonObservation] = []
        erased: list[Box] = []

        def add(obs: PersonObservation) -> None:
            found.append(obs)
            box = _expand(_person_box(obs), ERASE_MARGIN)
            erased.append(box)
            x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
            x1, y1 = min(w, math.ceil(box[2])), min(h, math.ceil(box[3]))
            work[y0:y1, x0:x1] = 128

        if primary is not None:
            add(primary)
        # The full image again only if something was painted over (else a static model repeats itself).
        regions: list[tuple[int, int, int] | None] = ([None] if primary is not None or self.video else []) + _tiles(h, w)
        for region in regions:
            while len(found) < MAX_PEOPLE:
                obs = self._run(model, work) if region is None else self._run_on_square(model, work, region)
                if obs is None:
                    break
                x0, y0, x1, y1 = _person_box(obs)
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                if any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in erased):
                    break  # the remains of someone already found
                add(obs)
        return found

    def _people(self, image: np.ndarray, found: list[PersonObservation]) -> tuple[list[_Person], np.ndarray]:
        """Steps 3-4: the people among the mask components, best first, and the (H, W) component labels."""
        h, w = image.shape[:2]
        union = np.zeros((h, w), np.uint8)
        for obs in found:
            union |= (obs.mask > MASK_THRESHOLD).astype(np.uint8)
        _, labels, stats, centroids = cv2.connectedComponentsWithStats(union, connectivity=8)
        areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
        areas[0] = 0.0  # the background
        if areas.max() == 0:
            return [], labels
        large = np.flatnonzero(areas >= MIN_PERSON_FRACTION * areas.max())

        # Components that one detection's landmarks span are one person (at least 3 landmarks).
        groups: dict[object, list[int]] = {}
        for k in large:
            x, y, bw, bh = stats[k, :4]
            box = _expand((float(x), float(y), float(x + bw), float(y + bh)), ERASE_MARGIN)
            counts = [_share_inside(obs, box) * np.count_nonzero(obs.visibility >= LANDMARK_VISIBLE) for obs in found]
            best = int(np.argmax(counts)) if counts else -1
            owner: object = best if best >= 0 and counts[best] >= 3 else ("unexplained", int(k))
            groups.setdefault(owner, []).append(int(k))

        half_diagonal = math.hypot(w, h) / 2
        people = []
        for owner, components in groups.items():
            area = float(sum(areas[k] for k in components))
            centroid = sum(centroids[k] * areas[k] for k in components) / area
            distance = math.hypot(centroid[0] - w / 2, centroid[1] - h / 2) / half_diagonal
            box = (
                float(min(stats[k, 0] for k in components)),
                float(min(stats[k, 1] for k in components)),
                float(max(stats[k, 0] + stats[k, 2] for k in components)),
                float(max(stats[k, 1] + stats[k, 3] for k in components)),
            )
            detection = found[owner] if isinstance(owner, int) else None
            people.append(_Person(score=area * (1.0 - distance), box=box, components=tuple(components), detection=detection))
        people.sort(key=lambda p: p.score, reverse=True)
        return people, labels

    def _choose(self, image: np.ndarray, primary: PersonObservation | None) -> PersonObservation | None:
        """Steps 2-5 of the module docstring."""
        found = self._search(image, primary)
        if not found:
            return None
        people, labels = self._people(image, found)
        if not people:  # nobody has a mask: trust the first detection
            return found[0]
        best = people[0]
        if primary is not None and _lies_on(primary, best.box):
            chosen: PersonObservation | None = primary
        else:
            chosen = self._run_on_square(self._static_model(), image, _square_around(best.box, CROP_MARGIN))
            if chosen is None or not _lies_on(chosen, best.box):
                chosen = best.detection or chosen
        if chosen is None:
            return None
        if len(people) > 1:
            others = np.isin(labels, [k for person in people[1:] for k in person.components])
            mask = np.where(others, 0.0, chosen.mask).astype(np.float32)
            chosen = _observation(chosen.landmarks_2d, chosen.visibility, chosen.landmarks_3d, mask)
            self._warn(len(people), chosen.bbox, image.shape[:2], stacklevel=4)
        return chosen

    def people_in(self, image: np.ndarray) -> list[tuple[float, Box]]:
        """Everyone found in a still image as ``(score, box)``, best first (the module's rule)."""
        primary = self._run(self._static_model(), np.ascontiguousarray(image))
        people, _ = self._people(image, self._search(image, primary))
        return [(p.score, p.box) for p in people]

    def person_at(self, image: np.ndarray, point: tuple[float, float]) -> Box | None:
        """The box of the person found at pixel ``point`` (x, y) of a still, or None. Where boxes
        overlap, the one whose centre is nearest wins."""
        x, y = point
        inside = [box for _, box in self.people_in(image) if box[0] <= x <= box[2] and box[1] <= y <= box[3]]
        if not inside:
            return None
        return min(inside, key=lambda b: math.hypot((b[0] + b[2]) / 2 - x, (b[1] + b[3]) / 2 - y))

    def observe_in(self, image: np.ndarray, box: Box) -> PersonObservation | None:
        """A still: the person at ``box`` (from :meth:`person_at`), whoever else is in view."""
        found = self._run_on_square(self._static_model(), np.ascontiguousarray(image), _square_around(box, CROP_MARGIN))
        return found if found is not None and _lies_on(found, _expand(box, CROP_MARGIN)) else None

    def follow(self, box: Box) -> None:
        """Video mode: from the next frame on, keep to the person at ``box`` (e.g. the one chosen
        over a whole clip by :func:`main_person`)."""
        self._target = box

    def _warn(self, count: int, box: Box, image_size: tuple[int, int], stacklevel: int) -> None:
        """Warn about several people; ``stacklevel`` points the warning at the caller of ``observe``."""
        if self.video and self._warned:
            return  # once per video
        x0, y0, x1, y1 = (round(v) for v in box)
        warnings.warn(
            f"several people in view ({count}); using the largest, most central one "
            f"(box x {x0}-{x1}, y {y0}-{y1} of a {image_size[1]}x{image_size[0]} image)",
            SeveralPeopleWarning,
            stacklevel=stacklevel,
        )
        self._warned = True


def main_person(pose: MediaPipePose, frames: Sequence[np.ndarray], samples: int = 8) -> tuple[int, Box] | None:
    """Who a clip is about: among the people seen on ``samples`` evenly spaced frames, each linked
    to the nearest person of the previous sample (within a body height), the one whose scores
    (area x centrality, as for stills) add up highest. Someone who is central for a moment loses
    to the person the camera follows. Returns the first sampled frame they are seen on and their
    box there, or None if nobody is seen."""
    if len(frames) == 0:
        return None
    picks = sorted({round(i) for i in np.linspace(0, len(frames) - 1, min(samples, len(frames)))})
    tracks: list[dict] = []  # {"first": frame, "box": first box, "last": last box, "score": total}
    for index in picks:
        people = pose.people_in(frames[index])
        taken: set[int] = set()
        for score, box in people:
            cx, cy, height = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[3] - box[1]
            best, best_distance = None, float("inf")
            for k, track in enumerate(tracks):
                last = track["last"]
                d = math.hypot((last[0] + last[2]) / 2 - cx, (last[1] + last[3]) / 2 - cy)
                if k not in taken and d < best_distance and d <= max(height, last[3] - last[1]):
                    best, best_distance = k, d
            if best is None:
                tracks.append({"first": index, "box": box, "last": box, "score": score})
                taken.add(len(tracks) - 1)
            else:
                tracks[best]["last"] = box
                tracks[best]["score"] += score
                taken.add(best)
    if not tracks:
        return None
    chosen = max(tracks, key=lambda t: t["score"])
    if len(tracks) > 1:
        x0, y0, x1, y1 = (round(v) for v in chosen["box"])
        warnings.warn(
            f"several people in this video ({len(tracks)}); following the one who is largest and most central "
            f"over the whole clip (first seen at frame {chosen['first']}, box x {x0}-{x1}, y {y0}-{y1})",
            SeveralPeopleWarning,
            stacklevel=2,
        )
    return chosen["first"], chosen["box"]


def observe_video(
    source: str | os.PathLike | Iterable[np.ndarray],
    max_frames: int | None = None,
    progress: bool = True,
    heavy: bool | None = None,
    find_others: bool = True,
) -> list[PersonObservation | None]:
    """Observe the main person in every frame of a video (tracking mode).

    Args:
        source: a video file, or an iterable of (H, W, 3) uint8 RGB frames.
        max_frames: observe at most this many frames.
        progress: show a tqdm progress bar on stderr.
        heavy, find_others: as for :class:`MediaPipePose`.

    Returns:
        T observations, None where nobody was found. Several people in view are reported once.
    """
    from tqdm import tqdm

    total: int | None = None
    if isinstance(source, (str, os.PathLike)):
        total = probe_video(source).frames
        frames: Iterable[np.ndarray] = iter_video_frames(source, max_frames=max_frames)
        name = Path(source).name
    else:
        frames = source if max_frames is None else islice(source, max_frames)
        name = "frames"
    if total is not None and max_frames is not None:
        total = min(total, max_frames)
    observations: list[PersonObservation | None] = []
    with MediaPipePose(video=True, heavy=heavy, find_others=find_others) as pose:
        for frame in tqdm(frames, total=total, desc=f"pose {name}", unit="frame", disable=not progress):
            observations.append(pose.observe(frame))
    return observations
