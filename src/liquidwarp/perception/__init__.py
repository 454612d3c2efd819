"""Perception: one person's keypoints and mask from an image (mediapipe behind a small interface).

Importing this package does not import mediapipe; that happens when a ``MediaPipePose`` is made.
"""

from liquidwarp.perception.mediapipe_pose import (
    MediaPipePose,
    PersonCandidate,
    candidate_at,
    heavy_model_available,
    observe_video,
    people_among,
)
from liquidwarp.perception.observation import (
    BODY_PARTS,
    LANDMARK_INDEX,
    LANDMARK_NAMES,
    NUM_LANDMARKS,
    OBSERVATIONS_FORMAT_VERSION,
    PersonChoice,
    PersonObservation,
    PoseEstimator,
    load_observations,
    missing_body_parts,
    save_observations,
)

__all__ = [
    "BODY_PARTS",
    "LANDMARK_INDEX",
    "LANDMARK_NAMES",
    "NUM_LANDMARKS",
    "OBSERVATIONS_FORMAT_VERSION",
    "MediaPipePose",
    "PersonCandidate",
    "PersonChoice",
    "PersonObservation",
    "PoseEstimator",
    "candidate_at",
    "heavy_model_available",
    "load_observations",
    "missing_body_parts",
    "observe_video",
    "people_among",
    "save_observations",
]
