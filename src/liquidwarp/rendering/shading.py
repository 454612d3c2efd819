"""Textured, optionally Lambert-shaded images of a rasterised mesh, and per-pixel attributes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from liquidwarp.body.model import uv_to_grid
from liquidwarp.rendering.rasterize import Fragments


@dataclass(frozen=True)
class Lighting:
    """A directional light plus ambient term, per image.

    Attributes:
        direction: (B, 3) unit vectors in world space pointing *towards* the light.
        ambient: (B,) ambient intensity.
        diffuse: (B,) diffuse intensity; pixel colour = albedo * (ambient + diffuse * max(0, n.l)).
    """

    direction: torch.Tensor
    ambient: torch.Tensor
    diffuse: torch.Tensor


def interpolate_face_attributes(fragments: Fragments, face_attributes: torch.Tensor) -> torch.Tensor:
    """Barycentric interpolation of per-face-corner attributes.

    Args:
        fragments: (B, H, W) fragments.
        face_attributes: (F, 3, D) shared by the batch, or (B, F, 3, D).
    Returns:
        (B, H, W, D), zero on background.
    """
    mask = fragments.mask
    idx = fragments.face_index[mask]  # only covered pixels: the background is most of the image
    if face_attributes.ndim == 3:
        corner = face_attributes[idx]  # (N, 3, D)
    else:
        batch = torch.arange(mask.shape[0], device=idx.device)[:, None, None].expand_as(mask)[mask]
        corner = face_attributes[batch, idx]
    weights = fragments.barycentric[mask].to(corner.dtype)
    out = corner.new_zeros(*mask.shape, corner.shape[-1])
    out[mask] = (weights[..., None] * corner).sum(-2)
    return out


def vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(B, V, 3) vertices, (F, 3) faces -> (B, V, 3) unit area-weighted vertex normals
    (oriented by the faces' winding: counter-clockwise seen from outside points outwards)."""
    v = vertices
    a, b, c = v[:, faces[:, 0]], v[:, faces[:, 1]], v[:, faces[:, 2]]
    face_n = torch.cross(b - a, c - a, dim=-1)  # length = 2 * area, so sums are area-weighted
    normals = torch.zeros_like(v)
    for k in range(3):
        normals.index_add_(1, faces[:, k], face_n)
    return F.normalize(normals, dim=-1)


def sample_texture(fragments: Fragments, face_uvs: torch.Tensor, texture: torch.Tensor) -> torch.Tensor:
    """Look up a UV texture at every pixel.

    Args:
        face_uvs: (F, 3, 2) texture coordinates (u right, v up).
        texture: (B, C, Ht, Wt).
    Returns:
        (B, C, H, W) texture values, zero on background.
    """
    uv = interpolate_face_attributes(fragments, face_uvs.to(texture.dtype))
    lod = _texture_lod(uv, fragments.mask, texture.shape[-2:])
    grid = uv_to_grid(uv)
    out = texture.new_zeros(texture.shape[0], texture.shape[1], *fragments.image_size)
    for b in range(texture.shape[0]):  # sample covered pixels only
        sel = fragments.mask[b]
        values = _sample_mipmapped(texture[b : b + 1], grid[b][sel][None, :, None], lod[b][sel][None, :, None])
        out[b][:, sel] = values[0, :, :, 0]
    return out


MAX_LOD = 5  # coarsest mip level used (texture side / 32)


def _texture_lod(uv: torch.Tensor, mask: torch.Tensor, texture_size: tuple[int, int]) -> torch.Tensor:
    """(B, H, W) mip level per pixel: log2 of how many texels one pixel step spans.

    Differences are taken to both horizontal and both vertical neighbours on the body, and the
    smaller of each pair is kept, so a UV seam on one side does not blur the pixel."""
    scale = uv.new_tensor([texture_size[1], texture_size[0]])
    t = uv * scale
    big = torch.finfo(t.dtype).max / 4

    def step(dim: int) -> torch.Tensor:
        fwd = (t.roll(-1, dim) - t).norm(dim=-1)
        bwd = (t - t.roll(1, dim)).norm(dim=-1)
        fwd = torch.where(mask & mask.roll(-1, dim), fwd, torch.full_like(fwd, big))
        bwd = torch.where(mask & mask.roll(1, dim), bwd, torch.full_like(bwd, big))
        d = torch.minimum(fwd, bwd)
        return torch.where(d >= big, torch.zeros_like(d), d)

    footprint = torch.maximum(step(1), step(2))
    return torch.log2(footprint.clamp(min=1.0)).clamp(max=MAX_LOD)


def _sample_mipmapped(texture: torch.Tensor, grid: torch.Tensor, lod: torch.Tensor) -> torch.Tensor:
    """Trilinear lookup: bilinear in the two mip levels around ``lod``, blended linearly."""
    levels = [texture]
    while len(levels) <= MAX_LOD and min(levels[-1].shape[-2:]) >= 2:
        levels.append(F.avg_pool2d(levels[-1], 2))
    lod = lod.clamp(max=len(levels) - 1)
    out = torch.zeros(texture.shape[0], texture.shape[1], *grid.shape[1:3], dtype=texture.dtype, device=texture.device)
    for k, level in enumerate(levels):
        weight = (1.0 - (lod - k).abs()).clamp(min=0)
        if bool((weight > 0).any()):
            sample = F.grid_sample(level, grid, mode="bilinear", padding_mode="border", align_corners=False)
            out = out + sample * weight[:, None].to(out.dtype)
    return out


def render_textured(
    fragments: Fragments,
    faces: torch.Tensor,
    face_uvs: torch.Tensor,
    texture: torch.Tensor,
    vertices: torch.Tensor | None = None,
    lighting: Lighting | None = None,
    background: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Render a textured mesh, Lambert-shaded when ``lighting`` is given (unshaded otherwise).

    Args:
        fragments: (B, H, W) rasterisation of ``vertices``.
        faces: (F, 3); face_uvs: (F, 3, 2); texture: (B, 3, Ht, Wt) albedo in [0, 1].
        vertices: (B, V, 3) world-space vertices (needed for shading).
        lighting: per-image light, or None for flat albedo.
        background: (B, 3, H, W) image behind the person, or None for black.
    Returns:
        image (B, 3, H, W) in [0, 1] and person mask (B, 1, H, W) float (1 = person).
    """
    albedo = sample_texture(fragments, face_uvs, texture)
    if lighting is not None:
        if vertices is None:
            raise ValueError("shading needs the world-space vertices")
        albedo = albedo * lambert(fragments, faces, vertices, lighting).to(albedo.dtype)
    mask = fragments.mask[:, None].to(albedo.dtype)
    if background is not None:
        albedo = albedo + (1 - mask) * background.to(albedo.dtype)
    return albedo.clamp(0, 1), mask


def lambert(fragments: Fragments, faces: torch.Tensor, vertices: torch.Tensor, lighting: Lighting) -> torch.Tensor:
    """(B, 1, H, W) shading factor ``ambient + diffuse * max(0, n.l)`` from interpolated vertex
    normals (0 on background)."""
    normals = vertex_normals(vertices, faces)
    n = F.normalize(interpolate_face_attributes(fragments, normals[:, faces]), dim=-1, eps=1e-8)
    cosine = (n * lighting.direction[:, None, None, :].to(n.dtype)).sum(-1).clamp(min=0)
    shade = lighting.ambient[:, None, None] + lighting.diffuse[:, None, None] * cosine
    return (shade * fragments.mask)[:, None]


def render_face_labels(fragments: Fragments, face_labels: torch.Tensor) -> torch.Tensor:
    """(F,) integer labels per face -> (B, H, W) long label per pixel, -1 on background."""
    labels = face_labels[fragments.face_index.clamp(min=0)]
    return torch.where(fragments.mask, labels, torch.full_like(labels, -1))
