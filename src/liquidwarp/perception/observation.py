"""What perception hands to fitting: one person's keypoints and mask in one image.

Conventions (owned here):

- Landmarks are mediapipe's 33 pose landmarks, in the order of :data:`LANDMARK_NAMES`; ``left`` and
  ``right`` are the *person's* left and right.
- 2D landmarks are pixel ``x, y`` in the original image with the continuous convention of
  :mod:`liquidwarp.geometry.cameras`: the image spans ``[0, W] x [0, H]`` and the centre of pixel
  ``(row i, column j)`` is ``(j + 0.5, i + 0.5)``; ``y`` points down.
- 3D landmarks are metres, centred on the midpoint of the hips, in axes aligned with the camera:
  ``x`` right (image right), ``y`` down, ``z`` away from the camera. (Measured on a front-facing
  person: the nose has ``y`` < the hips' ``y`` and ``z`` < 0, the left hip has ``x`` > 0.)
- Masks are ``(H, W)`` float32 in ``[0, 1]``, 1 = person.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from liquidwarp.io.atomic import atomic_file

from liquidwarp.errors import InputError

#: mediapipe's 33 pose landmarks, in order (L = 33).
LANDMARK_NAMES: tuple[str, ...] = (
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
)
NUM_LANDMARKS = len(LANDMARK_NAMES)
LANDMARK_INDEX: dict[str, int] = {name: i for i, name in enumerate(LANDMARK_NAMES)}

#: The body parts a full-body check looks for, top to bottom, and the landmarks that show each.
BODY_PARTS: dict[str, tuple[str, ...]] = {
    "head": ("nose", "left_eye", "right_eye", "left_ear", "right_ear"),
    "shoulders": ("left_shoulder", "right_shoulder"),
    "hips": ("left_hip", "right_hip"),
    "knees": ("left_knee", "right_knee"),
    "ankles": ("left_ankle", "right_ankle"),
}


@dataclass(frozen=True)
class PersonObservation:
    """One person seen in one image (L = 33 landmarks).

    Attributes:
        landmarks_2d: (L, 2) float32 pixel ``x, y`` in the original image (continuous convention).
        visibility: (L,) float32 in [0, 1]: the detector's visibility, 0 for landmarks outside
            the image.
        landmarks_3d: (L, 3) float32 metres, hip-centred, camera-aligned axes (x right, y down,
            z away from the camera).
        mask: (H, W) float32 soft person mask in [0, 1] at the original image size.
        image_size: ``(H, W)`` of the original image.
        bbox: ``(x0, y0, x1, y1)`` pixels enclosing the person (mask pixels > 0.5, or the visible
            landmarks where the mask is empty).
        score: confidence in [0, 1] (mean landmark visibility; mediapipe's legacy pose solution
            exposes no detection score).
    """

    landmarks_2d: np.ndarray
    visibility: np.ndarray
    landmarks_3d: np.ndarray
    mask: np.ndarray
    image_size: tuple[int, int]
    bbox: tuple[float, float, float, float]
    score: float

    def __post_init__(self) -> None:
        h, w = self.image_size
        if h <= 0 or w <= 0:
            raise ValueError(f"image_size must be positive (H, W), got {self.image_size}")
        expected = {
            "landmarks_2d": (NUM_LANDMARKS, 2),
            "visibility": (NUM_LANDMARKS,),
            "landmarks_3d": (NUM_LANDMARKS, 3),
            "mask": (h, w),
        }
        for name, shape in expected.items():
            value = getattr(self, name)
            if not isinstance(value, np.ndarray) or value.shape != shape or value.dtype != np.float32:
                got = f"{value.dtype} {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
                raise ValueError(f"PersonObservation.{name} must be float32 {shape}, got {got}")
        if len(self.bbox) != 4:
            raise ValueError(f"bbox must be (x0, y0, x1, y1), got {self.bbox}")
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= x1 and y0 <= y1):
            raise ValueError(f"bbox corners out of order: {self.bbox}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"score must be in [0, 1], got {self.score}")

    def landmark(self, name: str) -> np.ndarray:
        """(2,) pixel ``x, y`` of one landmark by name."""
        return self.landmarks_2d[LANDMARK_INDEX[name]]


class PoseEstimator(Protocol):
    """Anything that finds one person's landmarks and mask in an image."""

    def observe(self, image: np.ndarray) -> PersonObservation | None:
        """(H, W, 3) uint8 RGB -> the observation of the main person, or None if nobody is found."""
        ...


@dataclass(frozen=True)
class PersonChoice:
    """Which person perception used and why, for telling the user (and kept with a fit).

    Attributes:
        people: how many people were in view (on the image; over the clip for a video).
        box: ``(x0, y0, x1, y1)`` pixels around the person used, on frame ``frame``.
        frame: the frame ``box`` is on (0 for a photo).
        image_size: ``(H, W)`` of the frames.
        missing: the body parts (of :data:`BODY_PARTS`) not visible there; empty: a full body.
        overlapping: how many other people overlap them strongly (a crowd: the fit may mix people).
        picked: True when the user picked them (``--person``), False when the rule chose them.
    """

    people: int
    box: tuple[float, float, float, float]
    frame: int
    image_size: tuple[int, int]
    missing: tuple[str, ...] = ()
    overlapping: int = 0
    picked: bool = False

    @property
    def point(self) -> tuple[int, int]:
        """The box's centre, pixels ``(x, y)``: a point that picks this person again."""
        x0, y0, x1, y1 = self.box
        return round((x0 + x1) / 2), round((y0 + y1) / 2)

    def reason(self) -> str:
        """Why them, in words: ``full body, 71 % of the image height`` and any overlap."""
        x0, y0, x1, y1 = self.box
        height = f"{100 * (y1 - y0) / self.image_size[0]:.0f} % of the image height"
        body = "full body" if not self.missing else f"half body: {', '.join(self.missing)} not visible"
        words = ["picked" if self.picked else None, body, height]
        if self.overlapping:
            others = "another person" if self.overlapping == 1 else f"{self.overlapping} other people"
            words.append(f"overlapping {others}, so the fit may mix them: check the overlay")
        return ", ".join(w for w in words if w)

    def summary(self, video: bool, option: str | None) -> str:
        """``2 people in view; using the one at x 640, y 410 (full body, 71 % of the image
        height); pick another with --person X,Y``.

        Args:
            video: the input is a video (the pick needs a frame).
            option: the command's option that picks a person (``--person``), a phrase saying how
                to pick another, or None where nothing picks one.
        """
        x, y = self.point
        where = f"x {x}, y {y}" + (f" of frame {self.frame}" if video else "")
        verb = "following" if video else "using"
        if option is None:
            hint = "to use another, crop the footage to them"
        elif option.startswith("--"):
            hint = f"pick another with {option} {'FRAME:' if video else ''}X,Y"
        else:
            hint = option
        return f"{self.people} people in view; {verb} the one at {where} ({self.reason()}); {hint}"

    def describe(self, name: str, video: bool, option: str | None) -> str:
        """One plain line for the user: ``photo.jpg: `` and :meth:`summary`."""
        return f"{name}: {self.summary(video, option)}"

    def to_dict(self) -> dict:
        return {
            "people": self.people, "box": list(self.box), "frame": self.frame, "image_size": list(self.image_size),
            "missing": list(self.missing), "overlapping": self.overlapping, "picked": self.picked,
        }  # fmt: skip

    @staticmethod
    def from_dict(d: dict) -> "PersonChoice":
        return PersonChoice(
            int(d["people"]), tuple(float(v) for v in d["box"]), int(d["frame"]), tuple(int(v) for v in d["image_size"]),
            tuple(str(v) for v in d["missing"]), int(d["overlapping"]), bool(d["picked"]),
        )  # fmt: skip


def in_image(points: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """(N, 2) pixel ``x, y`` -> (N,) bool: inside ``[0, W] x [0, H]``."""
    h, w = image_size
    return (points[:, 0] >= 0) & (points[:, 0] <= w) & (points[:, 1] >= 0) & (points[:, 1] <= h)


def bbox_of(
    mask: np.ndarray, landmarks_2d: np.ndarray, visibility: np.ndarray, threshold: float = 0.5
) -> tuple[float, float, float, float]:
    """The box enclosing mask pixels > ``threshold``; the visible landmarks if the mask is empty.

    Mask pixels are unit squares, so a mask covering columns ``j0..j1`` gives ``x0 = j0, x1 = j1 + 1``.
    """
    rows = np.flatnonzero((mask > threshold).any(axis=1))
    cols = np.flatnonzero((mask > threshold).any(axis=0))
    if rows.size:
        return float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)
    points = landmarks_2d[visibility > 0.5]
    if not len(points):
        points = landmarks_2d
    h, w = mask.shape
    lo = np.clip(points.min(axis=0), 0, [w, h])
    hi = np.clip(points.max(axis=0), 0, [w, h])
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def missing_body_parts(observation: PersonObservation, min_visibility: float = 0.5) -> list[str]:
    """Which of head, shoulders, hips, knees, ankles are not visible in the image.

    A part counts as visible when at least one of its landmarks (e.g. one of the two knees) has
    visibility >= ``min_visibility`` (landmarks outside the image have visibility 0), so a side
    view with one knee hidden behind the other still shows its knees.

    Returns:
        The missing parts, top to bottom, e.g. ``["knees", "ankles"]`` for a half-body photo.
    """
    missing = []
    for part, names in BODY_PARTS.items():
        indices = [LANDMARK_INDEX[n] for n in names]
        if not (observation.visibility[indices] >= min_visibility).any():
            missing.append(part)
    return missing


# ------------------------------------------------------------------------------------ .npz files

OBSERVATIONS_FORMAT_VERSION = 1


def save_observations(path: str | os.PathLike, observations: Sequence[PersonObservation | None]) -> None:
    """Save a sequence of observations (None = nobody found in that frame) to a .npz file.

    Layout (version 1): ``format_version``; ``present`` (T,) bool; for the N present frames, in
    order, ``landmarks_2d`` (N, L, 2), ``visibility`` (N, L), ``landmarks_3d`` (N, L, 3),
    ``image_size`` (N, 2), ``bbox`` (N, 4), ``score`` (N,); and one ``mask_<t>`` (H, W) uint8
    (mask * 255, rounded) per present frame ``t``. Written atomically.
    """
    path = Path(path)
    target = path.expanduser().absolute()
    if not target.parent.is_dir():
        raise InputError(f"{path}: output folder {target.parent} does not exist")
    # Written member by member (as np.savez_compressed lays them out), so that a long clip's masks
    # (a lazy sequence) are never all in memory at once.
    present, kept = [], []
    with atomic_file(target, suffix=".npz") as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:

        def member(name: str, array: np.ndarray) -> None:
            with archive.open(f"{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)

        for t, o in enumerate(observations):
            present.append(o is not None)
            if o is None:
                continue
            kept.append((o.landmarks_2d, o.visibility, o.landmarks_3d, o.image_size, o.bbox, o.score))
            member(f"mask_{t:06d}", np.round(np.clip(o.mask, 0, 1) * 255).astype(np.uint8))
        member("format_version", np.array(OBSERVATIONS_FORMAT_VERSION, dtype=np.int64))
        member("present", np.array(present, dtype=bool))
        empty = {"landmarks_2d": (NUM_LANDMARKS, 2), "visibility": (NUM_LANDMARKS,), "landmarks_3d": (NUM_LANDMARKS, 3)}
        for k, (name, shape) in enumerate(empty.items()):
            member(name, np.stack([row[k] for row in kept]) if kept else np.zeros((0, *shape), np.float32))
        member("image_size", np.array([row[3] for row in kept], dtype=np.int64).reshape(-1, 2))
        member("bbox", np.array([row[4] for row in kept], dtype=np.float64).reshape(-1, 4))
        member("score", np.array([row[5] for row in kept], dtype=np.float64))


def load_observations(path: str | os.PathLike) -> list[PersonObservation | None]:
    """Read a file written by :func:`save_observations` (masks come back quantised to 1/255)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found" if not path.exists() else f"{path}: is not a file")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise InputError(f"{path}: not an observations .npz file ({e})") from None
    with data:
        if "format_version" not in data.files:
            raise InputError(f"{path}: not an observations file (no format_version)")
        version = int(data["format_version"])
        if version != OBSERVATIONS_FORMAT_VERSION:
            raise InputError(
                f"{path}: observations format version {version}, this liquidwarp reads version {OBSERVATIONS_FORMAT_VERSION}"
            )
        names = ["present", "landmarks_2d", "visibility", "landmarks_3d", "image_size", "bbox", "score"]
        if "present" in data.files:
            names += [f"mask_{t:06d}" for t in np.flatnonzero(data["present"])]
        absent = [n for n in names if n not in data.files]
        if absent:
            more = ", ..." if len(absent) > 3 else ""
            raise InputError(f"{path}: observations file is incomplete (missing {', '.join(absent[:3])}{more})")
        present = data["present"]
        landmarks_2d, visibility, landmarks_3d = data["landmarks_2d"], data["visibility"], data["landmarks_3d"]
        image_size, bbox, score = data["image_size"], data["bbox"], data["score"]
        lengths = {len(a) for a in (landmarks_2d, visibility, landmarks_3d, image_size, bbox, score)}
        if lengths != {int(present.sum())}:
            raise InputError(f"{path}: observations file is inconsistent (array lengths differ)")
        observations: list[PersonObservation | None] = []
        n = 0
        for t, here in enumerate(present):
            if not here:
                observations.append(None)
                continue
            observations.append(
                PersonObservation(
                    landmarks_2d=landmarks_2d[n].astype(np.float32),
                    visibility=visibility[n].astype(np.float32),
                    landmarks_3d=landmarks_3d[n].astype(np.float32),
                    mask=data[f"mask_{t:06d}"].astype(np.float32) / 255.0,
                    image_size=(int(image_size[n, 0]), int(image_size[n, 1])),
                    bbox=tuple(float(v) for v in bbox[n]),  # type: ignore[arg-type]
                    score=float(score[n]),
                )
            )
            n += 1
    return observations
