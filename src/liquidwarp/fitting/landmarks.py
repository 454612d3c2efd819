"""Which perception landmark corresponds to which body-model keypoint.

MediaPipe Pose gives 33 landmarks; the body model has 27 keypoints (COCO 17, 6 foot points and 4
knuckles). 25 of them name the same anatomical point; MediaPipe's ``foot_index`` (the tip of the
foot) is matched to the body's big toe, its ``index`` and ``pinky`` (the first knuckle of those
fingers) to the body's knuckles, which orient the hands. Left and right are the person's own on
both sides.
"""

from __future__ import annotations

from liquidwarp.body.model import KEYPOINT_NAMES

#: (MediaPipe landmark index, body keypoint name).
PAIRS: tuple[tuple[int, str], ...] = (
    (0, "nose"),
    (2, "left_eye"),
    (5, "right_eye"),
    (7, "left_ear"),
    (8, "right_ear"),
    (11, "left_shoulder"),
    (12, "right_shoulder"),
    (13, "left_elbow"),
    (14, "right_elbow"),
    (15, "left_wrist"),
    (16, "right_wrist"),
    (23, "left_hip"),
    (24, "right_hip"),
    (25, "left_knee"),
    (26, "right_knee"),
    (27, "left_ankle"),
    (28, "right_ankle"),
    (29, "left_heel"),
    (30, "right_heel"),
    (31, "left_big_toe"),
    (32, "right_big_toe"),
    (17, "left_pinky_knuckle"),
    (18, "right_pinky_knuckle"),
    (19, "left_index_knuckle"),
    (20, "right_index_knuckle"),
)

LANDMARK_INDEX: tuple[int, ...] = tuple(i for i, _ in PAIRS)
KEYPOINT_INDEX: tuple[int, ...] = tuple(KEYPOINT_NAMES.index(n) for _, n in PAIRS)
NAMES: tuple[str, ...] = tuple(n for _, n in PAIRS)

#: Relative trust in each pair. Hips are defined differently by the two skeletons (MediaPipe's
#: sit higher and wider) and ears/eyes are small, so they count less than limbs. The knuckles'
#: weight is ``FitConfig.weight_knuckles``.
WEIGHTS: tuple[float, ...] = tuple(0.5 if any(part in n for part in ("hip", "ear", "eye")) else 1.0 for n in NAMES)
#: Which pairs are knuckles.
KNUCKLES: tuple[bool, ...] = tuple("knuckle" in n for n in NAMES)


def pair_index(name: str) -> int:
    """Position of a body keypoint name within ``PAIRS``."""
    return NAMES.index(name)
