"""The colour of body pixels no source sees: a texture baked from the sources, its unseen texels
completed from the seen ones (:func:`liquidwarp.warping.completion.completed_texture`: the mirror
side, the front/back counterpart, the hair). The ``warp`` method shows it; G_TSF takes it as its
guess for those pixels."""

from __future__ import annotations

import functools

import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.rendering.rasterize import Fragments
from liquidwarp.rendering.shading import sample_texture
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.scene.views import PreparedSource, pixel_owner
from liquidwarp.warping.completion import TEXTURE_SIZE, completed_texture


@functools.lru_cache(maxsize=4)
def _atlas(body: BodyModel, size: int) -> UVAtlas:
    return UVAtlas.build(body.face_uvs, size)


class TextureFill:
    """The completed texture of ``sources`` at ``size`` texels a side, or with ``owner`` (see
    :func:`~liquidwarp.scene.views.part_owner`) one per source, each part from its own source's."""

    def __init__(self, body: BodyModel, sources: list[PreparedSource], owner: torch.Tensor | None = None, size: int = TEXTURE_SIZE) -> None:
        self.body, self.owner = body, owner
        atlas = _atlas(body, size)
        if owner is None:
            self.textures = [completed_texture(body, sources, atlas)]
        else:
            self.textures = [completed_texture(body, [src], atlas) for src in sources]

    def __call__(self, frags: Fragments, owners: torch.Tensor | None = None) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] for the rendered body ``frags``; ``owners`` is its
        :func:`~liquidwarp.scene.views.pixel_owner` map when already made (computed here otherwise)."""
        body = self.body
        if self.owner is None:
            return sample_texture(frags, body.face_uvs, self.textures[0])
        owner = pixel_owner(frags, body, self.owner) if owners is None else owners
        filled = torch.zeros(frags.mask.shape[0], 3, *frags.mask.shape[1:])
        for k, texture in enumerate(self.textures):
            filled = torch.where((owner == k)[:, None], sample_texture(frags, body.face_uvs, texture), filled)
        return filled
