"""Pure geometry: rotations, cameras, pixel and grid conventions."""

from liquidwarp.geometry.cameras import (
    ALIGN_CORNERS,
    Camera,
    grid_to_pixels,
    look_at,
    pixel_centers,
    pixels_to_grid,
)
from liquidwarp.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_about_z

__all__ = [
    "ALIGN_CORNERS",
    "Camera",
    "axis_angle_to_matrix",
    "grid_to_pixels",
    "look_at",
    "matrix_to_axis_angle",
    "pixel_centers",
    "pixels_to_grid",
    "rotation_about_z",
]
