"""Transfer flow between two renders of the same mesh topology, and warping with it.

For every target pixel that sees face ``f`` with (perspective-correct) weights ``w``, the surface
point is ``P = sum_k w_k V_src[f_k]`` on the *source* mesh; projecting ``P`` with the source
camera gives where that point of the body appears in the source image (Liquid Warping GAN,
Liu et al. ICCV 2019, section 3.2). The point is usable only if the source actually sees it: the
target pixel is on the body, ``P`` projects inside the source image, and the source's depth
buffer at that place agrees with ``P``'s depth (otherwise something nearer hides it).
Validity travels explicitly in ``WarpField.valid``; the grid holds no sentinel values.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from liquidwarp.geometry.cameras import ALIGN_CORNERS, Camera, pixel_centers, pixels_to_grid
from liquidwarp.rendering.rasterize import Fragments

DEPTH_TOLERANCE = 0.03  # metres: a surface point within this of the source depth counts as seen


@dataclass(frozen=True)
class WarpField:
    """Where each target pixel takes its value from in a source image.

    Attributes:
        grid: (B, H, W, 2) source locations, normalised to [-1, 1] (``align_corners=False``).
        valid: (B, H, W) bool, True where the source sees the target pixel's surface point.
    """

    grid: torch.Tensor
    valid: torch.Tensor

    def __post_init__(self) -> None:
        b, h, w = self.valid.shape
        assert self.grid.shape == (b, h, w, 2), self.grid.shape
        assert self.valid.dtype == torch.bool, self.valid.dtype

    @staticmethod
    def identity(batch_size: int, image_size: tuple[int, int], dtype=torch.float32, device=None) -> "WarpField":
        """The field that maps every pixel to itself (all valid)."""
        grid = pixels_to_grid(pixel_centers(image_size, dtype=dtype, device=device), image_size)
        grid = grid.expand(batch_size, *grid.shape).clone()
        return WarpField(grid, torch.ones(grid.shape[:3], dtype=torch.bool, device=device))

    def resize(self, image_size: tuple[int, int]) -> "WarpField":
        """The same field at another resolution (for feature maps). Grids are resolution-free in
        normalised coordinates, so only the sampling of the field changes; a pixel stays valid
        only when every target pixel it covers was valid (nearest for upsampling)."""
        grid = F.interpolate(self.grid.permute(0, 3, 1, 2), size=image_size, mode="bilinear", align_corners=False, antialias=False)
        valid = self.valid[:, None].float()
        if image_size[0] < self.valid.shape[1]:
            valid = -F.adaptive_max_pool2d(-valid, image_size)
        else:
            valid = F.interpolate(valid, size=image_size, mode="nearest")
        return WarpField(grid.permute(0, 2, 3, 1).contiguous(), valid[:, 0] > 0.5)


def transfer_flow(
    faces: torch.Tensor,
    source_vertices: torch.Tensor,
    source_camera: Camera,
    source_fragments: Fragments,
    target_fragments: Fragments,
    depth_tolerance: float = DEPTH_TOLERANCE,
) -> WarpField:
    """The transfer flow from a target render to a source image.

    Args:
        faces: (F, 3) the shared topology.
        source_vertices: (B, V, 3) world-space vertices of the source mesh.
        source_camera: B cameras of the source images.
        source_fragments: (B, Hs, Ws) rasterisation of the source mesh by ``source_camera``.
        target_fragments: (B, H, W) rasterisation of the target mesh (any pose, camera, size).
        depth_tolerance: metres of depth disagreement still counted as visible.
    Returns:
        ``WarpField`` of size (B, H, W) pointing into the source image.
    """
    b, h, w = target_fragments.face_index.shape
    assert source_vertices.shape[0] == b and source_camera.batch_size == b
    assert source_fragments.face_index.shape[0] == b
    src_size = source_fragments.image_size
    assert tuple(source_camera.image_size) == src_size, (source_camera.image_size, src_size)

    source_cam_space = source_camera.to_camera_space(source_vertices)  # (B, V, 3)
    on_body = target_fragments.mask
    face = target_fragments.face_index.clamp(min=0)  # (B, H, W)
    corners = faces[face]  # (B, H, W, 3)
    batch = torch.arange(b, device=face.device)[:, None, None, None]
    corner_points = source_cam_space[batch, corners]  # (B, H, W, 3, 3)
    weights = target_fragments.barycentric.to(corner_points.dtype)
    point = (weights[..., None] * corner_points).sum(-2)  # (B, H, W, 3) source camera space
    z = point[..., 2]
    in_front = z > 1e-6
    xy = point[..., :2] / z.clamp(min=1e-6)[..., None] * source_camera.focal[:, None, None] + source_camera.principal[:, None, None]

    hs, ws = src_size
    # The point counts as seen only if every pixel of its bilinear footprint shows the same
    # surface (on the body, depth within tolerance): the sample is then uncontaminated by the
    # background or by a nearer limb.
    x0 = torch.floor(xy[..., 0] - 0.5)
    y0 = torch.floor(xy[..., 1] - 0.5)
    frac_x = xy[..., 0] - 0.5 - x0
    frac_y = xy[..., 1] - 0.5 - y0
    src_depth = source_fragments.depth.reshape(b, -1)
    src_mask = source_fragments.mask.reshape(b, -1)
    visible = torch.ones_like(on_body)
    for dy in (0, 1):
        for dx in (0, 1):
            # A neighbour with (numerically) zero bilinear weight cannot contaminate the sample.
            weight = (frac_x if dx else 1 - frac_x) * (frac_y if dy else 1 - frac_y)
            col, row = x0 + dx, y0 + dy
            inside = (col >= 0) & (col < ws) & (row >= 0) & (row < hs)
            flat = (row.clamp(0, hs - 1) * ws + col.clamp(0, ws - 1)).long().view(b, -1)
            seen = src_mask.gather(1, flat).view(b, h, w)
            depth = src_depth.gather(1, flat).view(b, h, w)
            ok = inside & seen & ((depth - z).abs() <= depth_tolerance)
            visible &= ok | (weight <= 1e-3)

    valid = on_body & in_front & visible
    grid = pixels_to_grid(xy, src_size)
    grid = torch.where(valid[..., None], grid, torch.zeros_like(grid))
    return WarpField(grid.to(target_fragments.barycentric.dtype), valid)


def warp(source: torch.Tensor, field: WarpField, mode: str = "bilinear") -> torch.Tensor:
    """Sample ``source`` (B, C, Hs, Ws) images or features at ``field`` -> (B, C, H, W).

    Invalid pixels are zero. Differentiable with respect to ``source`` and ``field.grid``.
    """
    if source.ndim != 4 or source.shape[0] != field.grid.shape[0]:
        raise ValueError(f"source must be (B, C, H, W) with B={field.grid.shape[0]}, got {tuple(source.shape)}")
    out = F.grid_sample(source, field.grid.to(source.dtype), mode=mode, padding_mode="zeros", align_corners=ALIGN_CORNERS)
    return out * field.valid[:, None].to(out.dtype)


def merge_sources(warped: torch.Tensor, valid: torch.Tensor, weights: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Blend several warped sources per pixel, each where it is valid.

    Args:
        warped: (B, S, C, H, W) each source warped to the target by its own field.
        valid: (B, S, H, W) bool validity of each source's field.
        weights: optional (B, S, H, W) non-negative preference per source (e.g. how frontally the
            source saw the surface point); uniform when None.
    Returns:
        (B, C, H, W) the weighted mean over valid sources (zero where none is valid) and
        (B, H, W) bool, True where at least one source is valid.
    """
    w = valid.to(warped.dtype)
    if weights is not None:
        w = w * weights.to(warped.dtype)
    total = w.sum(1)
    merged = (warped * w[:, :, None]).sum(1) / total.clamp(min=1e-8)[:, None]
    return merged, total > 0
