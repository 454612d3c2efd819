"""The body's UV layout rasterised: which face owns each texel of a square texture.

From it any per-vertex quantity becomes a per-texel map (``interpolate``), and, seen as the
``Fragments`` of a "camera" looking at the UV layout, the transfer flow can bake a photo into
texture space (``liquidwarp.warping.bake``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from liquidwarp.rendering.rasterize import Fragments, rasterize


@dataclass(frozen=True)
class UVAtlas:
    """Which face owns each texel of a square texture of side ``size``.

    Attributes:
        face_index: (size, size) long, -1 where no face maps (gaps between UV islands).
        barycentric: (size, size, 3) weights of the owning face's corners.
        nearest: (2, size, size) row/column of the nearest covered texel (used to bleed colours
            into the gaps so bilinear lookups at island borders do not pick up black).
    """

    face_index: torch.Tensor
    barycentric: torch.Tensor
    nearest: np.ndarray

    @property
    def size(self) -> int:
        return self.face_index.shape[0]

    @staticmethod
    def build(face_uvs: torch.Tensor, size: int) -> "UVAtlas":
        """Rasterise ``face_uvs`` (F, 3, 2) (u right, v up) into a ``size`` x ``size`` atlas."""
        n_faces = face_uvs.shape[0]
        uv = face_uvs.reshape(-1, 2).double()
        screen = torch.stack([uv[:, 0] * size, (1.0 - uv[:, 1]) * size, torch.ones_like(uv[:, 0])], dim=-1)
        corners = torch.arange(n_faces * 3).reshape(n_faces, 3)
        frags = rasterize(screen[None], corners, (size, size))
        covered = frags.face_index[0].numpy() >= 0
        _, nearest = ndimage.distance_transform_edt(~covered, return_indices=True)
        return UVAtlas(frags.face_index[0], frags.barycentric[0], nearest)

    def interpolate(self, faces: torch.Tensor, vertex_values: torch.Tensor) -> torch.Tensor:
        """(V, D) per-vertex values -> (size, size, D) per-texel values (gaps filled from the nearest texel)."""
        idx = self.face_index.clamp(min=0)
        corner = vertex_values[faces[idx]]  # (S, S, 3, D)
        values = (self.barycentric[..., None].to(corner.dtype) * corner).sum(-2)
        return values[self.nearest[0], self.nearest[1]]

    def fragments(self) -> Fragments:
        """The atlas as (1, size, size) fragments (depth unused: 0)."""
        return Fragments(self.face_index[None], self.barycentric[None], torch.zeros(1, self.size, self.size))

    def fill_gaps(self, texture: np.ndarray) -> np.ndarray:
        """Copy each uncovered texel from its nearest covered one."""
        return texture[self.nearest[0], self.nearest[1]]
