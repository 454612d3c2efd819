"""Evaluation protocols: which frames are sources and which are compared with what
(Liquid Warping GAN, ICCV 2019, section 5: self-imitation and cross-imitation on iPER; novel view
from other cameras). Pure functions of frame counts; nothing is loaded or generated here.

- self-imitation: the source is one frame of a video, the targets are all the other frames of the
  same video (the person's own motion), and the real frames are the ground truth. Several source
  frames are taken per video, spread evenly over it, as the paper did.
- cross-imitation: the source is a frame of video A, the motion is video B's (every ordered pair
  of different videos); there is no paired ground truth, so set-level metrics compare the
  generated frames with video A's real frames.
- novel view: the source is frame t of camera 0, the ground truth the same frame t from every
  other camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROTOCOLS = ("self-imitation", "cross-imitation", "novel-view")


@dataclass(frozen=True)
class FrameRef:
    """One frame of one subject's camera."""

    subject: int
    view: int
    frame: int


@dataclass(frozen=True)
class Trial:
    """One source and the targets generated from it.

    ``targets`` are the frames whose bodies drive the generated frames; when ``paired``, each is
    also the ground truth and its camera the view generated. Unpaired (cross-imitation) targets
    come from another subject and are generated in the source's view."""

    source: FrameRef
    targets: tuple[FrameRef, ...]
    paired: bool


def source_frames(found: np.ndarray, count: int) -> list[int]:
    """``count`` frames spread evenly over the found frames of a video: positions 0, n/count, ..."""
    frames = np.nonzero(np.asarray(found, bool))[0]
    if len(frames) == 0 or count < 1:
        return []
    count = min(count, len(frames))
    return [int(frames[(i * len(frames)) // count]) for i in range(count)]


def self_imitation(found: list[np.ndarray], sources_per_video: int) -> list[Trial]:
    """For each video (``found`` per subject), ``sources_per_video`` source frames, each with every
    other found frame as a target, from the same camera (view 0)."""
    trials = []
    for s, mask in enumerate(found):
        frames = np.nonzero(mask)[0]
        for src in source_frames(mask, sources_per_video):
            targets = tuple(FrameRef(s, 0, int(t)) for t in frames if t != src)
            if targets:
                trials.append(Trial(FrameRef(s, 0, src), targets, True))
    return trials


def cross_imitation(found: list[np.ndarray]) -> list[Trial]:
    """Every ordered pair (A, B) of different videos: A's first source frame performs B's motion
    (every found frame of B)."""
    trials = []
    for a, mask_a in enumerate(found):
        src = source_frames(mask_a, 1)
        if not src:
            continue
        for b, mask_b in enumerate(found):
            if a != b:
                targets = tuple(FrameRef(b, 0, int(t)) for t in np.nonzero(mask_b)[0])
                if targets:
                    trials.append(Trial(FrameRef(a, 0, src[0]), targets, False))
    return trials


def novel_view(found: list[np.ndarray], views: list[int], sources_per_video: int) -> list[Trial]:
    """For each subject with two or more cameras: ``sources_per_video`` frames of camera 0 as
    sources, each with the same frame from every other camera as targets."""
    trials = []
    for s, (mask, v) in enumerate(zip(found, views, strict=True)):
        if v < 2:
            continue
        for src in source_frames(mask, sources_per_video):
            trials.append(Trial(FrameRef(s, 0, src), tuple(FrameRef(s, k, src) for k in range(1, v)), True))
    return trials


def make_trials(protocol: str, found: list[np.ndarray], views: list[int], sources_per_video: int) -> list[Trial]:
    if protocol == "self-imitation":
        return self_imitation(found, sources_per_video)
    if protocol == "cross-imitation":
        return cross_imitation(found)
    if protocol == "novel-view":
        return novel_view(found, views, sources_per_video)
    raise ValueError(f"unknown protocol {protocol!r}; available: {', '.join(PROTOCOLS)}")
