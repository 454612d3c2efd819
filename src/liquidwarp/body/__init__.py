"""The body model: typed parameters -> posed mesh, keypoints, UVs and part labels."""

from liquidwarp.body.joints import BODY_JOINTS, JOINT_LIMITS, NUM_JOINTS, joint_index
from liquidwarp.body.model import (
    KEYPOINT_NAMES,
    NUM_SHAPE,
    PART_INDEX,
    PART_NAMES,
    SHAPE_NAMES,
    BodyMesh,
    BodyModel,
    BodyParams,
    anny_cache_dir,
    uv_to_grid,
)

__all__ = [
    "BODY_JOINTS",
    "JOINT_LIMITS",
    "KEYPOINT_NAMES",
    "NUM_JOINTS",
    "NUM_SHAPE",
    "PART_INDEX",
    "PART_NAMES",
    "SHAPE_NAMES",
    "BodyMesh",
    "BodyModel",
    "BodyParams",
    "anny_cache_dir",
    "joint_index",
    "uv_to_grid",
]
