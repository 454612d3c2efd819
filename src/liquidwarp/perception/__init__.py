"""Perception: one person's keypoints and mask from an image (mediapipe behind a small interface).

Importing this package does not import mediapipe; that happens when a ``MediaPipePose`` is made.
"""

from liquidwarp.perception.mediapipe_pose import (
    MediaPipePose,
    SeveralPeopleWarning,
    heavy_model_available,
    observe_video,
)
from liquidwarp.perception.observation import (
    BODY_PARTS,
    LANDMARK_INDEX,
    LANDMARK_NAMES,
    NUM_LANDMARKS,
    OBSERVATIONS_FORMAT_VERSION,
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
    "PersonObservation",
    "PoseEstimator",
    "SeveralPeopleWarning",
    "heavy_model_available",
    "load_observations",
    "missing_body_parts",
    "observe_video",
    "save_observations",
]
