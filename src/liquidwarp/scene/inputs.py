"""The generator's inputs, built by one function for training pairs, personalisation and inference.

:func:`source_inputs` makes what G_BG and G_SID take (once per set of sources) and
:func:`target_inputs` what G_TSF takes (once per target frame), both from the views of
:mod:`liquidwarp.scene.views`. Images are in the model range [-1, 1], made from the unit range by
:mod:`liquidwarp.io.images`; source stacks are (B, S, ...); bool masks (B, H, W) say which
pixels, float masks (B, S, H, W) or (B, 1, H, W) are blended.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.io.images import unit_to_model
from liquidwarp.rendering.correspondence import correspondence_map
from liquidwarp.scene.texture import TextureFill
from liquidwarp.scene.views import PreparedSource, TargetView
from liquidwarp.warping.composite import BACKGROUND_MARGIN, blank_background
from liquidwarp.warping.flow import WarpField


@dataclass(frozen=True)
class SourceInputs:
    """G_BG's and G_SID's inputs (:meth:`LiquidWarpingGenerator.encode_sources`)."""

    images: torch.Tensor  # (B, S, 3, H, W) in [-1, 1]
    masks: torch.Tensor  # (B, S, H, W) float, 1 = the source body
    maps: torch.Tensor  # (B, S, 3, H, W) correspondence maps C_s
    background: torch.Tensor  # (B, 4, H, W) G_BG's input: the output view's plate with the person blanked (``blank_background``)

    def to(self, device: torch.device | str) -> SourceInputs:
        return SourceInputs(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def encode(self, generator, decode: bool = True):
        """``generator.encode_sources`` on these inputs."""
        return generator.encode_sources(self.images, self.masks, self.maps, self.background, decode=decode)


@dataclass(frozen=True)
class TargetInputs:
    """G_TSF's inputs for one target (:meth:`LiquidWarpingGenerator.transfer`)."""

    map: torch.Tensor  # (B, 3, H, W) correspondence map C_t
    mask: torch.Tensor  # (B, H, W) bool: the target body's pixels
    flows: tuple[WarpField, ...]  # S fields (B, H, W): target -> source s
    guess: torch.Tensor | None  # (B, 3, H, W) in [-1, 1]: the completed texture on the target body, or None
    regions: tuple[torch.Tensor, ...] | None = None  # S (B, H, W) bool: the pixels each source dresses, or None

    def to(self, device: torch.device | str) -> TargetInputs:
        move = lambda t: None if t is None else t.to(device)
        return replace(
            self,
            map=self.map.to(device),
            mask=self.mask.to(device),
            flows=tuple(WarpField(f.grid.to(device), f.valid.to(device)) for f in self.flows),
            guess=move(self.guess),
            regions=None if self.regions is None else tuple(r.to(device) for r in self.regions),
        )

    def transfer(self, generator, encoded, background: torch.Tensor | None = None):
        """``generator.transfer`` on these inputs."""
        return generator.transfer(encoded, self.map, self.mask, list(self.flows), background=background, regions=self.regions, guess=self.guess)


def run_generator(generator, sources: SourceInputs, target: TargetInputs):
    """The generator's full forward pass (training: encode with decoding, then transfer), through
    ``generator(...)`` so that a DDP wrapper synchronises its gradients."""
    assert target.regions is None, "the forward pass dresses no parts"
    return generator(sources.images, sources.masks, sources.maps, target.map, target.mask, list(target.flows), sources.background, guess=target.guess)


def source_inputs(
    body: BodyModel,
    codes: torch.Tensor,
    sources: list[PreparedSource],
    plate: tuple[torch.Tensor, torch.Tensor] | None = None,
    margin: float = BACKGROUND_MARGIN,
) -> SourceInputs:
    """G_BG's and G_SID's inputs for ``sources`` (their correspondence maps from the surface
    ``codes``). ``plate`` is (image (1, 3, H, W) in [0, 1], body mask (1, H, W) bool) of the
    camera the output is seen from, whose background G_BG makes (default: the first source's);
    its body, grown by ``margin`` of the side, is blanked."""
    images = torch.stack([unit_to_model(s.image[0]) for s in sources])[None]
    masks = torch.stack([s.fragments.mask[0].float() for s in sources])[None]
    maps = torch.stack([correspondence_map(s.fragments, body.faces, codes)[0].float() for s in sources])[None]
    if plate is None:
        plate_image, plate_mask = images[:, 0], masks[:, :1]
    else:
        plate_image, plate_mask = unit_to_model(plate[0]), plate[1][:, None].float()
    return SourceInputs(images, masks, maps, blank_background(plate_image, plate_mask, margin))


def target_inputs(body: BodyModel, codes: torch.Tensor, target: TargetView, fill: TextureFill | None = None) -> TargetInputs:
    """G_TSF's inputs for ``target``: its correspondence map, body mask, flows (float32) and, with
    ``fill``, the completed texture of the sources on its body (G_TSF's guess where no source sees)."""
    guess = None if fill is None else unit_to_model(fill(target.fragments, target.owners))
    return TargetInputs(
        map=correspondence_map(target.fragments, body.faces, codes).float(),
        mask=target.mask,
        flows=tuple(WarpField(f.grid.float(), f.valid) for f in target.flows),
        guess=guess,
        regions=target.regions(),
    )
