"""Imitation methods behind one interface, so that imitation, evaluation and the later tasks run
any of them the same way.

A method is built once from the prepared sources (photos of one person, each with its fitted body,
seen in the output view) and then renders one frame per target body and camera:

- ``copy``: the first source photo unchanged. The floor any method must clear.
- ``affine2d``: a 2D-keypoint method, as the 2D-pose methods in the paper's comparison: every limb
  of the first source is moved by the similarity map of its two landmarks (the fitted body's
  keypoints projected into each view), see :mod:`liquidwarp.warping.limbs2d`.
- ``lwg``: the Liquid Warping GAN (:mod:`liquidwarp.networks.generator`): G_BG and G_SID run once
  on the sources, then each frame runs only G_TSF on the warped sources (body pixels no source
  sees: the push-pull fill of the seen ones averaged with the sources' baked texture, for models
  with ``fill_unseen``) and the target's correspondence map; the shipped model
  (:data:`liquidwarp.models.DEFAULT_GENERATOR`) unless a checkpoint is given. Its background is the first source's view in-painted as for the other
  methods (G_BG's in-painting is there, but the shipped G_BG does worse than OpenCV's Telea: measured).
- ``warp``: 3D liquid warping without a network. Each target pixel takes its colour from where
  the same body surface point appears in a source photo (``transfer_flow``; several sources are
  merged where each sees the point). Body pixels no source sees take the colour of a texture baked
  from the sources, whose unseen texels are completed from the seen ones (the mirror side, the
  front/back counterpart, the hair: :mod:`liquidwarp.rendering.completion`).

The other methods put the person on the same background: the first source's view with the person
removed by :func:`liquidwarp.warping.inpaint.inpaint` (patch-based).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from liquidwarp.body.model import PART_NAMES, BodyModel, BodyParams
from liquidwarp.geometry.cameras import Camera
from liquidwarp.networks.generator import feather_silhouette
from liquidwarp.networks.precision import autocast, bf16_helps
from liquidwarp.rendering.completion import TEXTURE_SIZE, completed_texture
from liquidwarp.rendering.rasterize import Fragments, rasterize
from liquidwarp.rendering.shading import render_face_labels, sample_texture
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.tasks import METHODS
from liquidwarp.tasks.framing import HOLE_DILATION, inside_photo
from liquidwarp.geometry.crops import crop_camera, crop_image
from liquidwarp.warping.flow import merge_sources, transfer_flow, warp

INPAINT_DILATION = HOLE_DILATION  # of the view size: how far past the person mask the background is redone


@dataclass(frozen=True)
class PreparedSource:
    """One source photo in its output view."""

    image: torch.Tensor  # (1, 3, S, S) in [0, 1]
    vertices: torch.Tensor  # (1, V, 3)
    camera: Camera  # the view's camera (B = 1)
    fragments: Fragments  # (1, S, S)
    params: BodyParams  # B = 1


def prepare_source(
    body: BodyModel, image: np.ndarray, params: BodyParams, camera: Camera, view: tuple[float, float, float], size: int
) -> PreparedSource:
    """A photo (H, W, 3) uint8 with its fitted body (B = 1) and full-image camera, seen in the square
    ``view`` (x0, y0, side) of the photo resampled to ``size`` pixels. Where the view reaches past
    the photo's edges it is black and its body is unseen (so no method takes the person's
    appearance from there)."""
    view_camera = crop_camera(camera, view, size)
    with torch.no_grad():
        vertices = body(params).vertices
    fragments = rasterize(view_camera.project(vertices), body.faces, (size, size))
    inside = inside_photo(view, image.shape[:2], size)
    if not inside.all():
        fragments = Fragments(
            fragments.face_index.masked_fill(~inside, -1), fragments.barycentric * inside[..., None], fragments.depth * inside
        )
    pixels = torch.from_numpy(crop_image(image, view, size)).permute(2, 0, 1)[None].float() / 255
    return PreparedSource(pixels, vertices, view_camera, fragments, params)


def inpainted_background(source: PreparedSource) -> torch.Tensor:
    """The source's view with the person in-painted away (the body grown by ``INPAINT_DILATION``
    of the side, filled by :func:`liquidwarp.warping.inpaint.inpaint`), (1, 3, S, S)."""
    from liquidwarp.warping.inpaint import dilate_hole, inpaint

    size = source.image.shape[-1]
    hole = dilate_hole(source.fragments.mask[0].numpy(), max(int(round(INPAINT_DILATION * size)), 1))
    filled = inpaint(to_uint8(source.image), hole)
    return torch.from_numpy(filled).permute(2, 0, 1)[None].float() / 255


def to_uint8(image: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) float in [0, 1] -> (H, W, 3) uint8."""
    return (image[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)


class Renderer(Protocol):
    """A method bound to its sources."""

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        """One frame (S, S, 3) uint8 of the source person in the ``target`` body (B = 1), seen by
        ``camera`` (B = 1, image size S x S), over ``background`` ((1, 3, S, S) in [0, 1]; default:
        the first source's view with the person inpainted away)."""
        ...


class CopyRenderer:
    def __init__(self, sources: list[PreparedSource]) -> None:
        self.frame = to_uint8(sources[0].image)

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        return self.frame.copy()


def _projected_keypoints(body: BodyModel, params: BodyParams, camera: Camera) -> torch.Tensor:
    with torch.no_grad():
        keypoints = body(params).keypoints
    return camera.project(keypoints)[0, :, :2].float()  # (23, 2) pixels


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
        return to_uint8(out)


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
        body = self.body
        with torch.no_grad():
            vertices = body(target).vertices
        frags = rasterize(camera.project(vertices), body.faces, camera.image_size)
        owners = pixel_owner(frags, body, self.owner)
        warped, valid = [], []
        for k, src in enumerate(self.sources):
            field = transfer_flow(body.faces, src.vertices, src.camera, src.fragments, frags)
            warped.append(warp(src.image, field))
            valid.append(restrict_to_parts(field.valid, frags, owners, k))
        colour, seen = merge_sources(torch.stack(warped), torch.stack(valid))
        body_rgb = torch.where(seen[:, None], colour, self.fill(frags, owners))
        # Feathering the silhouette's inner pixel row avoids a cut-out look against the background.
        alpha = feather_silhouette(frags.mask[:, None].float())
        behind = self.background if background is None else background
        return to_uint8(body_rgb * alpha + behind * (1 - alpha))


class TextureFill:
    """The colour of body pixels no source sees: a texture baked from all sources (unseen texels
    completed from the seen ones, :func:`~liquidwarp.rendering.completion.completed_texture`), or with ``owner`` (see :func:`part_owner`) each part from
    its own source's texture."""

    def __init__(self, body: BodyModel, sources: list[PreparedSource], owner: torch.Tensor | None = None) -> None:
        self.body, self.owner = body, owner
        atlas = UVAtlas.build(body.face_uvs, TEXTURE_SIZE)
        if owner is None:
            self.textures = [completed_texture(body, sources, atlas)]
        else:
            self.textures = [completed_texture(body, [src], atlas) for src in sources]

    def __call__(self, frags: Fragments, owners: torch.Tensor | None = None) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] for the rendered body ``frags``; ``owners`` is its
        :func:`pixel_owner` map when already made (computed here otherwise)."""
        body = self.body
        if self.owner is None:
            return sample_texture(frags, body.face_uvs, self.textures[0])
        owner = pixel_owner(frags, body, self.owner) if owners is None else owners
        filled = torch.zeros(frags.mask.shape[0], 3, *frags.mask.shape[1:])
        for k, texture in enumerate(self.textures):
            filled = torch.where((owner == k)[:, None], sample_texture(frags, body.face_uvs, texture), filled)
        return filled


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


def restrict_to_parts(valid: torch.Tensor, frags: Fragments, owners: torch.Tensor | None, source: int) -> torch.Tensor:
    """``valid`` (B, H, W) of source ``source``'s flow, kept only on the target pixels whose body
    part that source dresses (``owners`` from :func:`pixel_owner`; None keeps everything)."""
    if owners is None:
        return valid
    return valid & (owners == source) & frags.mask


def pixel_owner(frags: Fragments, body: BodyModel, owner: torch.Tensor | None) -> torch.Tensor | None:
    """(B, H, W) the source that dresses each pixel's body part (``owner`` from
    :func:`part_owner`; background pixels map to source 0); None for None."""
    return None if owner is None else owner[render_face_labels(frags, body.face_parts)]


@functools.lru_cache(maxsize=2)
def load_lwg_generator(checkpoint: str | None, device: str = "cpu"):
    """(generator, description) from ``checkpoint`` (a bundle or a training checkpoint), or the
    shipped model for None; loaded once per path and device."""
    from liquidwarp.errors import InputError
    from liquidwarp.models import DEFAULT_GENERATOR
    from liquidwarp.training.checkpoint import load_generator

    path = Path(checkpoint) if checkpoint is not None else DEFAULT_GENERATOR
    if not path.is_file():
        what = "the shipped model is missing from the installation" if checkpoint is None else "no such file"
        raise InputError(f"{path}: {what}")
    try:
        return load_generator(path, device)
    except (ValueError, RuntimeError, KeyError) as error:
        raise InputError(f"{path}: not a liquidwarp generator ({error})") from error


class LiquidWarpingRenderer:
    """The ``lwg`` method: sources encoded once, G_TSF per frame."""

    def __init__(
        self,
        body: BodyModel,
        sources: list[PreparedSource],
        generator,
        background: torch.Tensor | None = None,
        parts: dict[int, int] | None = None,
        margin: float = INPAINT_DILATION,
    ) -> None:
        """``background`` (1, 3, S, S) in [0, 1] replaces G_BG's; ``margin`` (of the side) is how
        far past the first source's body G_BG redoes the background (as the other methods'
        in-painting)."""
        from liquidwarp.data.pairs import blank_background

        from liquidwarp.rendering.correspondence import correspondence_map, surface_codes

        self.owner = part_owner(parts)
        self.fill = TextureFill(body, sources, self.owner) if generator.fill_unseen else None
        self.body, self.sources, self.generator = body, sources, generator
        self.device = next(generator.parameters()).device
        self.bf16 = bf16_helps(self.device)
        self.codes = surface_codes(body.rest_vertices)
        images = torch.stack([s.image[0] for s in sources])[None].to(self.device) * 2 - 1  # (1, S, 3, H, W)
        masks = torch.stack([s.fragments.mask[0].float() for s in sources])[None].to(self.device)  # (1, S, H, W)
        maps = torch.stack([correspondence_map(s.fragments, body.faces, self.codes)[0].float() for s in sources])[None].to(self.device)
        with torch.no_grad(), autocast(self.device, self.bf16):
            self.encoded = generator.encode_sources(images, masks, maps, blank_background(images[:, 0], masks[:, :1], margin), decode=False)
        self.background = self.encoded.background.float() if background is None else background.to(self.device) * 2 - 1

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        from liquidwarp.rendering.correspondence import correspondence_map
        from liquidwarp.warping.flow import WarpField

        body = self.body
        with torch.no_grad():
            vertices = body(target).vertices
            frags = rasterize(camera.project(vertices), body.faces, camera.image_size)
            owners = pixel_owner(frags, body, self.owner)
            flows = []
            for k, src in enumerate(self.sources):
                field = transfer_flow(body.faces, src.vertices, src.camera, src.fragments, frags)
                valid = restrict_to_parts(field.valid, frags, owners, k)
                flows.append(WarpField(field.grid.float().to(self.device), valid.to(self.device)))
            target_map = correspondence_map(frags, body.faces, self.codes).float().to(self.device)
            behind = self.background if background is None else background.to(self.device) * 2 - 1
            regions = None
            if owners is not None:
                regions = [((owners == k) & frags.mask).to(self.device) for k in range(len(self.sources))]
            guess = None if self.fill is None else self.fill(frags, owners).to(self.device) * 2 - 1
            with autocast(self.device, self.bf16):
                out = self.generator.transfer(self.encoded, target_map, flows, background=behind, regions=regions, guess=guess)
        return to_uint8((out.image.float().cpu() + 1) / 2)


def build_method(
    name: str,
    body: BodyModel,
    sources: list[PreparedSource],
    checkpoint: str | Path | None = None,
    device: str = "cpu",
    parts: dict[int, int] | None = None,
    personalize: int = 0,
    progress: bool = True,
) -> Renderer:
    """The method ``name`` (one of ``METHODS``) bound to ``sources`` (the first one gives the
    background and, for the single-source methods, the appearance). ``checkpoint`` and
    ``device`` are the ``lwg`` method's (default: the shipped model, on the CPU); ``personalize``
    > 0 fine-tunes a copy of that generator on the sources for that many steps first
    (:mod:`liquidwarp.training.personalize`). ``parts`` (body part index -> source index; ``lwg``
    and ``warp`` only) dresses each part from its source."""
    if personalize and name != "lwg":
        raise ValueError(f"personalisation needs the lwg method, not {name!r}")
    if parts is not None and name not in ("lwg", "warp"):
        raise ValueError(f"part-by-part transfer needs the lwg or warp method, not {name!r}")
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(METHODS)}")
    if not sources:
        raise ValueError("a method needs at least one source")
    if name == "copy":
        return CopyRenderer(sources)
    if name == "lwg":
        generator, _ = load_lwg_generator(None if checkpoint is None else str(checkpoint), device)
        if personalize:
            from liquidwarp.training.personalize import PersonalizeConfig
            from liquidwarp.training.personalize import personalize as tune

            generator, _ = tune(generator, body, sources, PersonalizeConfig(steps=personalize), progress=progress)
        # The background: the classical in-painting, as the other methods. Measured on held-out
        # synthetic self-imitation with the first shipped model (400 CPU steps), its G_BG in-painted
        # worse than Telea (mean error 2.40 vs 1.59 on the background; not re-measured for the
        # current model); LiquidWarpingRenderer(background=None) uses G_BG.
        return LiquidWarpingRenderer(body, sources, generator, background=inpainted_background(sources[0]), parts=parts)
    background = inpainted_background(sources[0])
    if name == "affine2d":
        return Affine2DRenderer(body, sources, background)
    return WarpRenderer(body, sources, background, parts)
