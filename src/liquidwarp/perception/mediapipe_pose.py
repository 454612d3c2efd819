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
   become detectable), until nobody new is found or ``MAX_PEOPLE`` are. A result counts as someone
   new when at least ``MIN_NEW_LANDMARKS`` of its visible landmarks lie off the grey boxes (in a
   crowd, someone standing half behind another is found; the remains of a painted-over person are
   not);
3. take the connected components of the union of everyone's thresholded masks; components that
   one detection's landmarks span (e.g. a body cut in two by a lamp post) are one person, each
   other component is someone. A detection whose mask merged into someone else's component
   (people overlapping in a crowd) is a person too, measured by its own mask inside its
   landmarks' box. People whose area is at least ``MIN_PERSON_FRACTION`` of the largest person's
   count;
4. choose (:func:`people_among`): a **full body** (head, shoulders, hips, knees and ankles
   visible) beats any half body, however big; among equals the highest ``size * (1 - d)`` wins,
   where the size is the squared body length (head to ankles along the skeleton, in pixels; the
   mask area for a mask without landmarks) and ``d`` is the distance of the person's mask
   centroid from the image centre divided by the half diagonal (0 at the centre, 1 at a corner):
   larger, then more central;
5. return the chosen person's result (the primary one, or one from a crop of the unpainted image:
   everyone found after the first is run again on a square crop around them, so that grey paint
   and masks straying onto their surroundings do not skew who is chosen).

What was chosen and why (how many people, where, full body or not, overlapping others) is kept as
a :class:`~liquidwarp.perception.observation.PersonChoice` in :attr:`MediaPipePose.choice`, for
the caller to tell the user (:func:`observe_video` prints it; nothing here warns). The search
costs a few extra model runs per image (about 5x a plain run, one more per extra person;
``find_others=False`` skips it).

In video mode the person chosen on the first frame where anyone is found is *kept* while they stay
in view (motion must not jump between people): each frame uses the tracker's result if it lies on
that person's previous box, else a static run on a crop around that box. Only when they are lost is
a person chosen afresh. Until someone else has been seen, a search every ``search_interval``
frames looks for people who came into view, to count them in the choice without changing it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
from collections.abc import Sequence, Iterable
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from liquidwarp.errors import InputError
from liquidwarp.io.media import captured_stderr, iter_video_frames, probe_video
from liquidwarp.perception.observation import (
    BODY_PARTS,
    LANDMARK_INDEX,
    NUM_LANDMARKS,
    PersonChoice,
    PersonObservation,
    bbox_of,
    in_image,
    missing_body_parts,
)

MIN_PERSON_FRACTION = 0.15  # someone counts as a person if their mask area is >= 15% of the largest person's
MIN_PIECE_FRACTION = 0.01  # mask components smaller than this share of the largest are noise
MAX_PEOPLE = 4  # stop searching after this many people
MASK_THRESHOLD = 0.5  # soft mask -> person pixels
LANDMARK_VISIBLE = 0.5  # visibility from which a landmark is used to locate a person
ON_PERSON_FRACTION = 0.6  # landmarks "lie mainly on" a person if this share of the visible ones is in their box
ERASE_MARGIN = 0.1  # the grey box over a found person is this much bigger than their box, per side
CROP_MARGIN = 0.25  # a square crop around a person is this much bigger than their box, per side
MIN_NEW_LANDMARKS = 8  # a search result is someone new if this many of its visible landmarks are off the grey boxes
OVERLAP_FRACTION = 0.3  # two people overlap strongly if this share of the smaller one's box is inside the other's
SAME_PERSON_DISTANCE = 0.1  # two results are one person if their landmarks are this share of a body height apart (median)
HEAVY_MODEL = "pose_landmark_heavy.tflite"

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) pixels


@dataclass(frozen=True)
class PersonCandidate:
    """One person among everyone found in an image (step 3 of the module docstring)."""

    box: Box  # around their person pixels
    area: float  # their person pixels (near their landmarks, if they have any)
    length: float  # pixels along their skeleton, head to ankles (:func:`_body_length`); 0 without landmarks
    centrality: float  # 1 - distance of their mask centroid from the image centre / half diagonal
    missing: tuple[str, ...]  # body parts not visible (all of them without a detection); () = full body
    components: tuple[int, ...]  # their connected-component labels
    detection: PersonObservation | None  # the search result whose landmarks span them, if any
    overlapping: int = 0  # other people whose boxes overlap theirs strongly

    @property
    def full_body(self) -> bool:
        return not self.missing

    @property
    def score(self) -> float:
        """Larger and more central is better: ``size * (1 - d)``. The size is the squared body
        length for someone with landmarks (masks spill onto what is next to a person, landmarks
        much less), else the mask area."""
        return (self.length**2 if self.detection is not None else self.area) * self.centrality

    def rank(self) -> tuple[bool, bool, float]:
        """Sort key, best last: a full body first, then someone with landmarks, then the score."""
        return self.full_body, self.detection is not None, self.score


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


def _landmark_box(obs: PersonObservation) -> Box:
    """The box of the observation's visible landmarks, ``ERASE_MARGIN`` bigger per side (clipped to
    the image): where this person is, whatever their mask also covers; the mask box without any."""
    h, w = obs.image_size
    points = obs.landmarks_2d[obs.visibility >= LANDMARK_VISIBLE]
    if not len(points):
        return obs.bbox
    x0, y0, x1, y1 = _expand((*points.min(axis=0), *points.max(axis=0)), ERASE_MARGIN)
    return float(max(x0, 0)), float(max(y0, 0)), float(min(x1, w)), float(min(y1, h))


def _overlap(a: Box, b: Box) -> float:
    """Share of the smaller box inside the other."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / max(smaller, 1e-9)


def _same_person(a: PersonObservation, b: PersonObservation) -> bool:
    """Whether two results are the same person: their landmarks nearly coincide (median distance)."""
    x0, y0, x1, y1 = _landmark_box(b)
    distance = np.median(np.linalg.norm(a.landmarks_2d - b.landmarks_2d, axis=1))
    return bool(distance <= SAME_PERSON_DISTANCE * max(y1 - y0, x1 - x0, 1.0))


def _body_length(obs: PersonObservation) -> float:
    """A person's size whatever their pose, in pixels: the length of the chain from the nose
    through the midpoints of the shoulders, hips and knees to the midpoint of the ankles (hidden
    landmarks included: the model places them where the body must be)."""
    points, index = obs.landmarks_2d, LANDMARK_INDEX
    chain = [points[index["nose"]]] + [
        (points[index[f"left_{part}"]] + points[index[f"right_{part}"]]) / 2 for part in ("shoulder", "hip", "knee", "ankle")
    ]
    return float(sum(np.linalg.norm(b - a) for a, b in zip(chain[:-1], chain[1:])))


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
        find_others: search the image for other people and choose among them (a full body first,
            then the largest, most central one; see the module docstring); False trusts mediapipe's
            single detection (faster).
        search_interval: in video mode, while following someone, look for other people every this
            many frames (only to count them in :attr:`choice`; the person followed stays the same).
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
        self._others_seen = False  # video mode: someone besides the person followed has been seen
        #: Who the latest still (or this video) uses and why; None before anyone is chosen, or when
        #: ``find_others`` is False.
        self.choice: PersonChoice | None = None

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
            The person chosen (see the module docstring; who and why in :attr:`choice`), or None if
            nobody is found.
            In video mode, the person chosen first is kept for as long as they stay in view.
        """
        if self._main is None:
            raise RuntimeError("MediaPipePose is closed")
        if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
            got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
            raise ValueError(f"image must be an (H, W, 3) uint8 RGB array, got {got}")
        image = np.ascontiguousarray(image)
        if not self.video:
            self.choice = None
        primary = self._run(self._main, image)
        if not self.find_others:
            return primary
        if self.video and self._target is not None:
            result = self._follow(image, primary, self._target)
            if result is not None and not self._others_seen and self._frame_index % self.search_interval == 0:
                # Only to count people who came into view; the person followed stays.
                people, _ = people_among(self._search(image, result), image.shape[:2])
                if len(people) > 1:
                    self._others_seen = True
                    here = candidate_at(people, _centre(_person_box(result)))
                    self.choice = PersonChoice(
                        people=len(people), box=_person_box(result), frame=self._frame_index, image_size=result.image_size,
                        missing=tuple(missing_body_parts(result)), overlapping=0 if here is None else here.overlapping,
                    )  # fmt: skip
        else:
            result = self._choose(image, primary)
            self._others_seen = self.choice is not None and self.choice.people > 1
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
        """Everyone the model finds when each person found is painted over in turn (step 2), the
        first as found, the others each run again on a crop around them."""
        model = self._static_model()
        h, w = image.shape[:2]
        work = image.copy()
        found: list[PersonObservation] = []
        erased: list[Box] = []

        def add(obs: PersonObservation) -> None:
            found.append(obs)
            # Their mask box, cut down to around their landmarks: in a crowd the mask also covers
            # the people next to them, who must stay visible to be found.
            a, b = _expand(_person_box(obs), ERASE_MARGIN), _expand(_landmark_box(obs), ERASE_MARGIN)
            box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
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
                points = obs.landmarks_2d[obs.visibility >= LANDMARK_VISIBLE]
                off = np.ones(len(points), bool)
                for b in erased:
                    off &= ~((points[:, 0] >= b[0]) & (points[:, 0] <= b[2]) & (points[:, 1] >= b[1]) & (points[:, 1] <= b[3]))
                if off.sum() < MIN_NEW_LANDMARKS:
                    break  # the remains of someone already found (or grey paint taken for a person)
                add(obs)
        # Results found on a painted image see grey where others were, and their masks and limbs
        # may stray onto what is around them: each is run again on a crop of the unpainted image,
        # and the new result kept if it is the same person (where they were, and nobody else).
        for i in range(1, len(found)):
            here = _landmark_box(found[i])
            again = self._run_on_square(model, image, _square_around(here, CROP_MARGIN))
            if (
                again is not None
                and _overlap(_landmark_box(again), here) >= ON_PERSON_FRACTION
                and not any(_same_person(again, other) for j, other in enumerate(found) if j != i)
            ):
                found[i] = again
        return found

    def _choose(self, image: np.ndarray, primary: PersonObservation | None) -> PersonObservation | None:
        """Steps 2-5 of the module docstring; sets :attr:`choice`."""
        found = self._search(image, primary)
        if not found:
            return None
        people, labels = people_among(found, image.shape[:2])
        if not people:  # nobody has a mask: trust the first detection
            people = [_candidate_of(found[0], (), 0.0, 0.0)]
        best = people[0]
        if best.detection is not None:
            chosen: PersonObservation | None = best.detection  # the primary result, or a crop's
        elif primary is not None and _lies_on(primary, best.box):
            chosen = primary
        else:  # a mask nobody's landmarks span: whoever a crop around it shows
            chosen = self._run_on_square(self._static_model(), image, _square_around(best.box, CROP_MARGIN))
        if chosen is None:
            return None
        if len(people) > 1:
            others = np.isin(labels, [k for person in people[1:] for k in person.components if k not in best.components])
            mask = np.where(others, 0.0, chosen.mask).astype(np.float32)
            chosen = _observation(chosen.landmarks_2d, chosen.visibility, chosen.landmarks_3d, mask)
        self.choice = PersonChoice(
            people=len(people), box=_person_box(chosen), frame=self._frame_index, image_size=chosen.image_size,
            missing=tuple(missing_body_parts(chosen)), overlapping=best.overlapping,
        )  # fmt: skip
        return chosen

    def people_in(self, image: np.ndarray) -> list[PersonCandidate]:
        """Everyone found in a still image, best first (the module's rule)."""
        image = np.ascontiguousarray(image)
        primary = self._run(self._static_model(), image)
        people, _ = people_among(self._search(image, primary), image.shape[:2])
        return people

    def person_at(self, image: np.ndarray, point: tuple[float, float]) -> Box | None:
        """The box of the person found at pixel ``point`` (x, y) of a still, or None (see
        :func:`candidate_at`)."""
        found = candidate_at(self.people_in(image), point)
        return None if found is None else found.box

    def observe_in(self, image: np.ndarray, box: Box) -> PersonObservation | None:
        """A still: the person at ``box`` (from :meth:`person_at`), whoever else is in view."""
        found = self._run_on_square(self._static_model(), np.ascontiguousarray(image), _square_around(box, CROP_MARGIN))
        return found if found is not None and _lies_on(found, _expand(box, CROP_MARGIN)) else None

    def follow(self, box: Box) -> None:
        """Video mode: from the next frame on, keep to the person at ``box`` (e.g. the one chosen
        over a whole clip by :func:`main_person`)."""
        self._target = box

    def follow_person(self, observation: PersonObservation | None) -> None:
        """Video mode: from the next frame on, keep to the person of ``observation``, as if it had
        been this model's result on the previous frame (to go on with a clip perceived earlier);
        None: choose afresh."""
        self._target = None if observation is None else _person_box(observation)


def _centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _candidate_of(obs: PersonObservation, components: tuple[int, ...], area: float, centrality: float) -> PersonCandidate:
    return PersonCandidate(_person_box(obs), area, _body_length(obs), centrality, tuple(missing_body_parts(obs)), components, obs)


def people_among(found: Sequence[PersonObservation], image_size: tuple[int, int]) -> tuple[list[PersonCandidate], np.ndarray]:
    """Steps 3-4 of the module docstring: the people among everyone found in one image, best first.

    Args:
        found: the search's results, each with its (H, W) mask.
        image_size: ``(H, W)``.

    Returns:
        The people, best first (:meth:`PersonCandidate.rank`), and the (H, W) int32 component labels
        of the union of the thresholded masks (0: background).
    """
    h, w = image_size
    union = np.zeros((h, w), np.uint8)
    for obs in found:
        assert obs.image_size == (h, w), (obs.image_size, image_size)
        union |= (obs.mask > MASK_THRESHOLD).astype(np.uint8)
    _, labels, stats, centroids = cv2.connectedComponentsWithStats(union, connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    areas[0] = 0.0  # the background
    if areas.max() == 0:
        return [], labels
    pieces = np.flatnonzero(areas >= MIN_PIECE_FRACTION * areas.max())
    half_diagonal = math.hypot(w, h) / 2

    def centrality(x: float, y: float) -> float:
        return 1.0 - math.hypot(x - w / 2, y - h / 2) / half_diagonal

    # Components that one detection's landmarks span are one person (at least 3 landmarks): a body
    # cut in pieces by a lamp post, or a mask broken up where people overlap, counts whole.
    groups: dict[object, list[int]] = {}
    for k in pieces:
        x, y, bw, bh = stats[k, :4]
        box = _expand((float(x), float(y), float(x + bw), float(y + bh)), ERASE_MARGIN)
        counts = [_share_inside(obs, box) * np.count_nonzero(obs.visibility >= LANDMARK_VISIBLE) for obs in found]
        best = int(np.argmax(counts)) if counts else -1
        owner: object = best if best >= 0 and counts[best] >= 3 else ("unexplained", int(k))
        groups.setdefault(owner, []).append(int(k))

    def measured(pixels: np.ndarray, x0: int, y0: int) -> tuple[float, float, Box] | None:
        """Area, centrality and box of the person pixels ``pixels`` of the region at (x0, y0)."""
        ys, xs = np.nonzero(pixels)
        if not len(xs):
            return None
        box = (float(x0 + xs.min()), float(y0 + ys.min()), float(x0 + xs.max() + 1), float(y0 + ys.max() + 1))
        return float(len(xs)), centrality(x0 + xs.mean() + 0.5, y0 + ys.mean() + 0.5), box

    # Someone with landmarks is measured by their person pixels around their landmarks (masks
    # spill onto whatever is next to them: other people, foliage).
    people = []
    for owner, components in groups.items():
        if isinstance(owner, int):
            detection: PersonObservation | None = found[owner]
            x0, y0, x1, y1 = (int(round(v)) for v in _landmark_box(detection))
            found_here = measured(np.isin(labels[y0:y1, x0:x1], components), x0, y0)
            if found_here is None:
                continue
            area, central, box = found_here
            missing = tuple(missing_body_parts(detection))
        else:
            detection, (k,) = None, components
            x, y, bw, bh = (float(v) for v in stats[k, :4])
            area, central, box = float(areas[k]), centrality(*centroids[k]), (x, y, x + bw, y + bh)
            missing = tuple(BODY_PARTS)
        length = _body_length(detection) if detection is not None else 0.0
        people.append(PersonCandidate(box, area, length, central, missing, tuple(components), detection))
    # Someone whose mask merged into another's component (a crowd) owns no component: they are
    # measured by their own mask around their landmarks.
    for i, obs in enumerate(found):
        if i in groups:
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in _landmark_box(obs))
        found_here = measured(obs.mask[y0:y1, x0:x1] > MASK_THRESHOLD, x0, y0)
        if found_here is not None:
            area, central, box = found_here
            people.append(PersonCandidate(box, area, _body_length(obs), central, tuple(missing_body_parts(obs)), (), obs))
    if not people:
        return [], labels
    largest = max(p.area for p in people)
    people = [p for p in people if p.area >= MIN_PERSON_FRACTION * largest]

    # Overlap is judged on where each person's landmarks are (masks of people in a crowd merge).
    where = [_landmark_box(p.detection) if p.detection is not None else p.box for p in people]
    people = [
        replace(p, overlapping=sum(1 for j, b in enumerate(where) if j != i and _overlap(where[i], b) >= OVERLAP_FRACTION))
        for i, p in enumerate(people)
    ]
    people.sort(key=PersonCandidate.rank, reverse=True)
    return people, labels


def candidate_at(people: Sequence[PersonCandidate], point: tuple[float, float]) -> PersonCandidate | None:
    """The person whose box holds pixel ``point`` (x, y), or None; where boxes overlap, the one
    whose centre is nearest."""
    x, y = point
    inside = [p for p in people if p.box[0] <= x <= p.box[2] and p.box[1] <= y <= p.box[3]]
    if not inside:
        return None
    return min(inside, key=lambda p: math.hypot(_centre(p.box)[0] - x, _centre(p.box)[1] - y))


def main_person(pose: MediaPipePose, frames: Sequence[np.ndarray], samples: int = 8) -> PersonChoice | None:
    """Who a clip is about: among the people seen on ``samples`` evenly spaced frames, each linked
    to the nearest person of the previous sample (within a body height), the one seen as a full
    body on at least half their samples (as for stills: a full body beats a bigger half body), then
    the one whose scores (area x centrality) add up highest. Someone who is central for a moment
    loses to the person the camera follows.

    Returns:
        The choice: the first sampled frame they are seen on, their box there and the number of
        people seen over the clip; None if nobody is seen.
    """
    if len(frames) == 0:
        return None
    picks = sorted({round(i) for i in np.linspace(0, len(frames) - 1, min(samples, len(frames)))})
    tracks: list[dict] = []  # {"first": frame, "seen": first candidate, "last": last box, "score": total, "full": count, "samples": count}
    for index in picks:
        people = pose.people_in(frames[index])
        taken: set[int] = set()
        for person in people:
            box = person.box
            cx, cy, height = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[3] - box[1]
            best, best_distance = None, float("inf")
            for k, track in enumerate(tracks):
                last = track["last"]
                d = math.hypot((last[0] + last[2]) / 2 - cx, (last[1] + last[3]) / 2 - cy)
                if k not in taken and d < best_distance and d <= max(height, last[3] - last[1]):
                    best, best_distance = k, d
            if best is None:
                tracks.append({"first": index, "seen": person, "last": box, "score": 0.0, "full": 0, "samples": 0})
                best = len(tracks) - 1
            track = tracks[best]
            track["last"] = box
            track["score"] += person.score
            track["full"] += int(person.full_body)
            track["samples"] += 1
            taken.add(best)
    if not tracks:
        return None
    chosen = max(tracks, key=lambda t: (2 * t["full"] >= t["samples"], t["score"]))
    seen: PersonCandidate = chosen["seen"]
    h, w = frames[chosen["first"]].shape[:2]
    return PersonChoice(
        people=len(tracks), box=seen.box, frame=chosen["first"], image_size=(h, w), missing=seen.missing,
        overlapping=seen.overlapping,
    )  # fmt: skip


def observe_video(
    source: str | os.PathLike | Iterable[np.ndarray],
    max_frames: int | None = None,
    progress: bool = True,
    heavy: bool | None = None,
    find_others: bool = True,
    report: bool = True,
) -> list[PersonObservation | None]:
    """Observe the main person in every frame of a video (tracking mode).

    Args:
        source: a video file, or an iterable of (H, W, 3) uint8 RGB frames.
        max_frames: observe at most this many frames.
        progress: show a tqdm progress bar on stderr.
        heavy, find_others: as for :class:`MediaPipePose`.
        report: when several people were in view, print one line on stderr saying who was
            followed (:meth:`PersonChoice.describe`).

    Returns:
        T observations, None where nobody was found.
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
        choice = pose.choice
    if report and choice is not None and choice.people > 1:
        from liquidwarp.io.console import note

        note(choice.describe(name, video=True, option=None))
    return observations
