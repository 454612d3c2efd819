"""The methods without a network: ``copy``, ``affine2d`` and ``warp``, and the in-painted
background every method composites over."""

from __future__ import annotations

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.geometry.cameras import Camera
from liquidwarp.io.images import uint8_to_unit, unit_to_uint8
from liquidwarp.scene.texture import TextureFill
from liquidwarp.scene.views import PreparedSource, part_owner, target_view
from liquidwarp.warping.composite import composite, feather_silhouette, margin_pixels
from liquidwarp.warping.flow import merge_sources, warp
from liquidwarp.warping.inpaint import HOLE_DILATION


def inpainted_background(source: PreparedSource) -> torch.Tensor:
    """The source's view with the person in-painted away (the body grown by ``HOLE_DILATION``
    of the side, filled by :func:`liquidwarp.warping.inpaint.fill_photo`), (1, 3, S, S) in [0, 1]."""
    from liquidwarp.warping.inpaint import dilate_hole, fill_photo

    size = source.image.shape[-1]
    hole = dilate_hole(source.fragments.mask[0].numpy(), margin_pixels(HOLE_DILATION, size))
    return uint8_to_unit(fill_photo(unit_to_uint8(source.image), hole))


class CopyRenderer:
    def __init__(self, sources: list[PreparedSource]) -> None:
        self.frame = unit_to_uint8(sources[0].image)

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        return self.frame.copy()


def _projected_keypoints(body: BodyModel, params: BodyParams, camera: Camera) -> torch.Tensor:
    with torch.no_grad():
        keypoints = body(params).keypoints
    return camera.project(keypoints)[0, :, :2].float()  # (K, 2) pixels


class Affine2DRenderer:
    def __init__(self, body: BodyModel, sources: list[PreparedSource], background: torch.Tensor) -> None:
        self.body = body
        self.source = sources[0]
        self.background = background
        self.keypoints = _projected_keypoints(body, self.source.params, self.source.camera)

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        from liquidwarp.warping.limbs2d import affine_limb_warp

        out = affine_limb_warp(
            self.source.image,
            self.source.fragments.mask,
            self.keypoints,
            _projected_keypoints(self.body, target, camera),
            self.background if background is None else background,
        )
        return unit_to_uint8(out)


class WarpRenderer:
    """``parts`` (body part index -> source index) dresses each part from one source only (appearance
    transfer); None merges every source everywhere."""

    def __init__(self, body: BodyModel, sources: list[PreparedSource], background: torch.Tensor, parts: dict[int, int] | None = None) -> None:
        self.body = body
        self.sources = sources
        self.background = background
        self.owner = part_owner(parts)
        self.fill = TextureFill(body, sources, self.owner)

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        view = target_view(self.body, self.sources, target, camera, self.owner)
        warped = torch.stack([warp(src.image, field) for src, field in zip(self.sources, view.flows)], dim=1)
        colour, seen = merge_sources(warped, torch.stack([field.valid for field in view.flows], dim=1))
        body_rgb = torch.where(seen[:, None], colour, self.fill(view.fragments, view.owners))
        # Feathering the silhouette's inner pixel row avoids a cut-out look against the background.
        alpha = feather_silhouette(view.mask[:, None].float())
        return unit_to_uint8(composite(body_rgb, alpha, self.background if background is None else background))
