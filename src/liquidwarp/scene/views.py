"""Source and target views: what every method, training pair and personalisation step starts from.

A :class:`PreparedSource` is one photo with its fitted body, seen by the output view's camera; a
:class:`TargetView` is one target body seen by the output camera, with each source's transfer
flow into it (``valid`` only on the body parts that source dresses, for appearance transfer).
Images are unit range (``liquidwarp.io.images``); masks (B, H, W) bool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from liquidwarp.body.model import PART_NAMES, BodyModel, BodyParams
from liquidwarp.geometry.cameras import Camera
from liquidwarp.geometry.crops import crop_camera, crop_image, inside_photo
from liquidwarp.io.images import uint8_to_unit
from liquidwarp.rendering.rasterize import Fragments, rasterize
from liquidwarp.rendering.shading import render_face_labels
from liquidwarp.warping.flow import WarpField, transfer_flow


@dataclass(frozen=True)
class PreparedSource:
    """One source photo in its output view."""

    image: torch.Tensor  # (1, 3, S, S) in [0, 1]
    vertices: torch.Tensor  # (1, V, 3)
    camera: Camera  # the view's camera (B = 1)
    fragments: Fragments  # (1, S, S)
    params: BodyParams  # B = 1


def source_view(body: BodyModel, image: torch.Tensor, params: BodyParams, camera: Camera, inside: torch.Tensor | None = None) -> PreparedSource:
    """A photo ``image`` (1, 3, S, S) in [0, 1] of the body ``params`` (B = 1) seen by ``camera``
    (image size S x S). Pixels outside ``inside`` (1, S, S) bool (None: all inside) are unseen:
    no method takes the person's appearance from there."""
    with torch.no_grad():
        vertices = body(params).vertices
    fragments = rasterize(camera.project(vertices), body.faces, tuple(image.shape[-2:]))
    if inside is not None and not inside.all():
        fragments = Fragments(
            fragments.face_index.masked_fill(~inside, -1), fragments.barycentric * inside[..., None], fragments.depth * inside
        )
    return PreparedSource(image, vertices, camera, fragments, params)


def prepare_source(
    body: BodyModel, image: np.ndarray, params: BodyParams, camera: Camera, view: tuple[float, float, float], size: int
) -> PreparedSource:
    """A photo (H, W, 3) uint8 with its fitted body (B = 1) and full-image camera, seen in the square
    ``view`` (x0, y0, side) of the photo resampled to ``size`` pixels. Where the view reaches past
    the photo's edges it is black and its body is unseen (so no method takes the person's
    appearance from there)."""
    pixels = uint8_to_unit(crop_image(image, view, size))
    return source_view(body, pixels, params, crop_camera(camera, view, size), inside_photo(view, image.shape[:2], size))


#: Garment groups for appearance transfer: which body parts each one covers.
PART_GROUPS: dict[str, tuple[str, ...]] = {
    "head": ("head",),
    "upper": ("torso", "upper_arm_left", "upper_arm_right", "lower_arm_left", "lower_arm_right", "hand_left", "hand_right"),
    "lower": ("pelvis", "upper_leg_left", "upper_leg_right", "lower_leg_left", "lower_leg_right", "foot_left", "foot_right"),
}


def part_owner(parts: dict[int, int] | None) -> torch.Tensor | None:
    """A (P + 1,) lookup: body part index -> the source that dresses it (entry -1, the background,
    maps to source 0); None for None (every source may supply every part)."""
    if parts is None:
        return None
    owner = torch.zeros(len(PART_NAMES) + 1, dtype=torch.long)
    for part, source in parts.items():
        owner[part] = source
    return owner


def pixel_owner(frags: Fragments, body: BodyModel, owner: torch.Tensor | None) -> torch.Tensor | None:
    """(B, H, W) the source that dresses each pixel's body part (``owner`` from
    :func:`part_owner`; background pixels map to source 0); None for None."""
    return None if owner is None else owner[render_face_labels(frags, body.face_parts)]


def restrict_to_parts(valid: torch.Tensor, frags: Fragments, owners: torch.Tensor | None, source: int) -> torch.Tensor:
    """``valid`` (B, H, W) of source ``source``'s flow, kept only on the target pixels whose body
    part that source dresses (``owners`` from :func:`pixel_owner`; None keeps everything)."""
    if owners is None:
        return valid
    return valid & (owners == source) & frags.mask


@dataclass(frozen=True)
class TargetView:
    """One target body (B = 1) seen by the output camera."""

    params: BodyParams
    camera: Camera
    vertices: torch.Tensor  # (1, V, 3)
    keypoints: torch.Tensor  # (1, K, 3) world space
    fragments: Fragments  # (1, H, W)
    flows: tuple[WarpField, ...]  # one per source: target pixel -> that source, valid where it sees the point (and dresses the part)
    owners: torch.Tensor | None  # (1, H, W) the source dressing each pixel's part (appearance transfer), or None

    @property
    def mask(self) -> torch.Tensor:
        """(1, H, W) bool: the target body's pixels."""
        return self.fragments.mask

    def regions(self) -> tuple[torch.Tensor, ...] | None:
        """Per source, (1, H, W) bool: the body pixels it dresses; None without part owners."""
        if self.owners is None:
            return None
        return tuple((self.owners == k) & self.mask for k in range(len(self.flows)))


def target_view(
    body: BodyModel, sources: list[PreparedSource], params: BodyParams, camera: Camera, owner: torch.Tensor | None = None
) -> TargetView:
    """The body ``params`` (B = 1) seen by ``camera`` (B = 1), with the transfer flow into each of
    ``sources``; ``owner`` (from :func:`part_owner`) keeps each flow to the parts its source dresses."""
    with torch.no_grad():
        posed = body(params)
    frags = rasterize(camera.project(posed.vertices), body.faces, camera.image_size)
    owners = pixel_owner(frags, body, owner)
    flows = []
    for k, src in enumerate(sources):
        field = transfer_flow(body.faces, src.vertices, src.camera, src.fragments, frags)
        flows.append(WarpField(field.grid, restrict_to_parts(field.valid, frags, owners, k)))
    return TargetView(params, camera, posed.vertices, posed.keypoints, frags, tuple(flows), owners)
