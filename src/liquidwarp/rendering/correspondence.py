"""Correspondence maps (the C_s, C_t of Liquid Warping GAN, section 3.1): an image of the body in
which every pixel holds a code of the body surface point it shows, the same code for the same
point in every pose and view, so a network can tell which part of the body it is looking at.

The code of a surface point is its position on the body model at average shape in the rest
A-pose, centred and scaled so the whole body lies in [-CODE_RANGE, CODE_RANGE] (the longest axis,
height, spans it; x = the person's left, y = their back, z = up). Pixels off the body hold
BACKGROUND_CODE in every channel, outside the body's range.
"""

from __future__ import annotations

import torch

from liquidwarp.rendering.rasterize import Fragments
from liquidwarp.rendering.shading import interpolate_face_attributes

CODE_RANGE = 0.9
BACKGROUND_CODE = -1.0


def surface_codes(rest_vertices: torch.Tensor) -> torch.Tensor:
    """(V, 3) rest-pose vertices -> (V, 3) codes in [-CODE_RANGE, CODE_RANGE]."""
    low, high = rest_vertices.amin(0), rest_vertices.amax(0)
    centre = (low + high) / 2
    half = (high - low).max() / 2
    return (rest_vertices - centre) / half * CODE_RANGE


def correspondence_map(fragments: Fragments, faces: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
    """(B, H, W) fragments of a body, its (F, 3) faces and (V, 3) ``surface_codes`` -> the
    (B, 3, H, W) correspondence map (perspective-correct interpolation of the codes)."""
    values = interpolate_face_attributes(fragments, codes[faces])  # (B, H, W, 3), zero off the body
    values = torch.where(fragments.mask[..., None], values, torch.full_like(values, BACKGROUND_CODE))
    return values.permute(0, 3, 1, 2).contiguous()
