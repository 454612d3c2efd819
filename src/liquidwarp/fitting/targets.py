"""What fitting aims at: perception output turned into tensors, and the default camera.

The camera is fixed (static footage, unknown intrinsics): at the world origin, looking along the
body world's ``+y`` with ``z`` up, so a person at zero root rotation faces it. Its focal length is
``FOCAL_FACTOR * max(H, W)`` pixels (a ~53 degree field of view on the long side); the body's root
translation carries its position and depth, so another focal only rescales the fitted depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from liquidwarp.fitting import landmarks
from liquidwarp.geometry.cameras import Camera

FOCAL_FACTOR = 1.0
#: Rotation from the body world (z up, person faces -y) to camera axes (x right, y down, z forward).
WORLD_TO_CAMERA = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
SILHOUETTE_SIDE = 480  # masks are compared at most at this size (longest side): 4 px of a 1920-px frame
BOUNDARY_POINTS = 400  # mask outline points per frame for the coverage term


def default_camera(image_size: tuple[int, int], batch_size: int = 1) -> Camera:
    h, w = image_size
    f = FOCAL_FACTOR * max(h, w)
    return Camera(
        focal=torch.full((batch_size, 2), float(f)),
        principal=torch.tensor([[w / 2.0, h / 2.0]]).expand(batch_size, 2).clone(),
        rotation=WORLD_TO_CAMERA.expand(batch_size, 3, 3).clone(),
        translation=torch.zeros(batch_size, 3),
        image_size=(h, w),
    )


@dataclass(frozen=True)
class FitTargets:
    """Per-frame targets for B frames (P = len(landmarks.PAIRS) = 25).

    Attributes:
        keypoints_2d: (B, P, 2) pixels.
        weight_2d: (B, P) visibility x pair weight (0 = unseen).
        keypoints_3d: (B, P, 3) hip-centred metres in camera axes (x right, y down, z away).
        weight_3d: (B, P).
        outside_distance: (B, 1, h, w) distance to the person mask, in units of the person's height,
            at the silhouette working size (0 inside the mask); None when no mask is used.
        boundary: (B, N, 2) pixels of points on the mask outline (full-image coordinates).
        boundary_weight: (B, N) 1 for real points, 0 for padding.
        person_height: (B,) pixels, for normalising 2D errors.
        image_size: (H, W).
    """

    keypoints_2d: torch.Tensor
    weight_2d: torch.Tensor
    keypoints_3d: torch.Tensor
    weight_3d: torch.Tensor
    outside_distance: torch.Tensor | None
    boundary: torch.Tensor | None
    boundary_weight: torch.Tensor | None
    person_height: torch.Tensor
    image_size: tuple[int, int]

    @property
    def batch_size(self) -> int:
        return self.keypoints_2d.shape[0]

    def index(self, i: slice) -> "FitTargets":
        opt = lambda t: None if t is None else t[i]  # noqa: E731
        return FitTargets(
            self.keypoints_2d[i], self.weight_2d[i], self.keypoints_3d[i], self.weight_3d[i],
            opt(self.outside_distance), opt(self.boundary), opt(self.boundary_weight), self.person_height[i], self.image_size,
        )  # fmt: skip


def person_height_px(landmarks_2d: np.ndarray, visibility: np.ndarray, mask: np.ndarray | None) -> float:
    """A robust person height in pixels: the mask's vertical extent, else the landmarks' span x 1.1."""
    if mask is not None and (mask > 0.5).any():
        rows = np.nonzero((mask > 0.5).any(1))[0]
        return float(rows.max() - rows.min() + 1)
    seen = landmarks_2d[visibility > 0.3]
    if len(seen) < 2:
        return float(max(landmarks_2d[:, 1].max() - landmarks_2d[:, 1].min(), 1.0))
    return float(1.1 * (seen[:, 1].max() - seen[:, 1].min()))


def _silhouette_maps(mask: np.ndarray, height_px: float, rng: np.random.Generator):
    h, w = mask.shape
    scale = min(1.0, SILHOUETTE_SIDE / max(h, w))
    small_size = (max(int(round(w * scale)), 1), max(int(round(h * scale)), 1))
    from PIL import Image

    small = np.asarray(Image.fromarray((mask > 0.5).astype(np.uint8) * 255).resize(small_size, Image.BILINEAR)) > 127
    outside = ndimage.distance_transform_edt(~small).astype(np.float32) / (height_px * scale)
    edge = small & ~ndimage.binary_erosion(small)
    rows, cols = np.nonzero(edge)
    points = np.zeros((BOUNDARY_POINTS, 2), np.float32)
    weights = np.zeros(BOUNDARY_POINTS, np.float32)
    if len(rows):
        pick = rng.choice(len(rows), size=min(BOUNDARY_POINTS, len(rows)), replace=False)
        points[: len(pick), 0] = (cols[pick] + 0.5) / scale
        points[: len(pick), 1] = (rows[pick] + 0.5) / scale
        weights[: len(pick)] = 1.0
    return outside, points, weights


def build_targets(
    landmarks_2d: np.ndarray,
    visibility: np.ndarray,
    landmarks_3d: np.ndarray | None,
    masks: np.ndarray | None,
    image_size: tuple[int, int],
    seed: int = 0,
) -> FitTargets:
    """Targets from per-frame perception arrays.

    Args:
        landmarks_2d: (B, 33, 2) pixels; visibility: (B, 33) in [0, 1].
        landmarks_3d: (B, 33, 3) hip-centred metres in camera axes, or None (2D only).
        masks: (B, H, W) soft person masks, or None (no silhouette term).
    """
    b = landmarks_2d.shape[0]
    li = list(landmarks.LANDMARK_INDEX)
    pair_w = np.asarray(landmarks.WEIGHTS, np.float32)
    vis = visibility[:, li].astype(np.float32)
    k2 = torch.from_numpy(landmarks_2d[:, li].astype(np.float32))
    w2 = torch.from_numpy(vis * pair_w)
    if landmarks_3d is not None:
        k3 = landmarks_3d[:, li].astype(np.float32)
        hips = 0.5 * (k3[:, landmarks.pair_index("left_hip")] + k3[:, landmarks.pair_index("right_hip")])
        k3 = torch.from_numpy(k3 - hips[:, None])
        w3 = torch.from_numpy(vis * pair_w)
    else:
        k3, w3 = torch.zeros(b, len(li), 3), torch.zeros(b, len(li))
    heights = [person_height_px(landmarks_2d[i], visibility[i], None if masks is None else masks[i]) for i in range(b)]
    outside = boundary = boundary_w = None
    if masks is not None:
        rng = np.random.default_rng(seed)
        maps = [_silhouette_maps(masks[i], heights[i], rng) for i in range(b)]
        outside = torch.from_numpy(np.stack([m[0] for m in maps]))[:, None]
        boundary = torch.from_numpy(np.stack([m[1] for m in maps]))
        boundary_w = torch.from_numpy(np.stack([m[2] for m in maps]))
    return FitTargets(k2, w2, k3, w3, outside, boundary, boundary_w, torch.tensor(heights, dtype=torch.float32), image_size)
