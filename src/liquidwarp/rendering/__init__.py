"""Rendering: rasterisation into Fragments, textured/shaded images, per-pixel labels."""

from liquidwarp.rendering.rasterize import Fragments, rasterize, rasterize_reference
from liquidwarp.rendering.shading import (
    Lighting,
    interpolate_face_attributes,
    lambert,
    render_face_labels,
    render_textured,
    sample_texture,
    vertex_normals,
)

__all__ = [
    "Fragments",
    "Lighting",
    "interpolate_face_attributes",
    "lambert",
    "rasterize",
    "rasterize_reference",
    "render_face_labels",
    "render_textured",
    "sample_texture",
    "vertex_normals",
]
