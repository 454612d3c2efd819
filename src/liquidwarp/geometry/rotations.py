"""Rotation conversions. Thin, named wrappers over ``roma`` (a dependency of the body model)."""

from __future__ import annotations

import roma
import torch


def axis_angle_to_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle (radians) -> (..., 3, 3) rotation matrices."""
    return roma.rotvec_to_rotmat(rotvec)


def matrix_to_axis_angle(matrix: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrices -> (..., 3) axis-angle (radians)."""
    return roma.rotmat_to_rotvec(matrix)


def rotation_about_z(angle: torch.Tensor) -> torch.Tensor:
    """(...,) angles (radians) -> (..., 3, 3) rotations about the vertical ``z`` axis."""
    c, s = torch.cos(angle), torch.sin(angle)
    zero, one = torch.zeros_like(angle), torch.ones_like(angle)
    return torch.stack(
        [torch.stack([c, -s, zero], -1), torch.stack([s, c, zero], -1), torch.stack([zero, zero, one], -1)],
        dim=-2,
    )
