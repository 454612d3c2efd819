"""Image regions located from a posed body: where the head is in a view."""

from __future__ import annotations

import torch

from liquidwarp.body.model import KEYPOINT_NAMES

HEAD_POINTS = slice(0, 5)  # nose, eyes, ears in KEYPOINT_NAMES
HEAD_SCALE = 3.0  # head box side / the largest distance between the nose, eyes and ears
MIN_HEAD_SIDE = 8.0  # pixels


def head_boxes(keypoints_2d: torch.Tensor, scale: float = HEAD_SCALE) -> torch.Tensor:
    """(B, K, 2) projected body keypoints (``KEYPOINT_NAMES``) (pixels) -> (B, 4) square head boxes ``x0, y0, x1, y1``:
    centred on the mean of the nose, eyes and ears, ``scale`` times their largest spread (at least
    ``MIN_HEAD_SIDE``)."""
    k = len(KEYPOINT_NAMES)
    if keypoints_2d.ndim != 3 or keypoints_2d.shape[1:] != (k, 2):
        raise ValueError(f"keypoints must be (B, {k}, 2), got {tuple(keypoints_2d.shape)}")
    points = keypoints_2d[:, HEAD_POINTS]
    spread = torch.cdist(points, points).flatten(1).amax(1)
    half = (spread * scale).clamp(min=MIN_HEAD_SIDE) / 2
    centre = points.mean(1)
    return torch.cat([centre - half[:, None], centre + half[:, None]], dim=1)
