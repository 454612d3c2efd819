"""Baking a photo into the body's UV texture: the transfer flow from texture space to the photo."""

from __future__ import annotations

import numpy as np
import torch

from liquidwarp.geometry.cameras import Camera
from liquidwarp.rendering.rasterize import Fragments
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.warping.flow import transfer_flow, warp


def bake_texture(
    image: torch.Tensor,
    faces: torch.Tensor,
    vertices: torch.Tensor,
    camera: Camera,
    fragments: Fragments,
    atlas: UVAtlas,
) -> tuple[np.ndarray, np.ndarray]:
    """Colour every texel by the photo pixel that shows its surface point.

    Args:
        image: (1, 3, H, W) photo in [0, 1]; vertices: (1, V, 3) fitted mesh; camera: its camera;
        fragments: (1, H, W) rasterisation of the fitted mesh by ``camera``.
    Returns:
        texture (S, S, 3) float32 in [0, 1] and seen (S, S) bool. Texels the photo does not show
        (the back, for a front view) take the colour of the nearest seen texel of the layout.
    """
    field = transfer_flow(faces, vertices, camera, fragments, atlas.fragments())
    texels = warp(image, field)[0].permute(1, 2, 0).numpy()
    seen = field.valid[0].numpy()
    if not seen.any():
        return np.full((atlas.size, atlas.size, 3), 0.5, np.float32), seen
    from scipy import ndimage

    _, (rows, cols) = ndimage.distance_transform_edt(~seen, return_indices=True)
    return texels[rows, cols].astype(np.float32), seen
