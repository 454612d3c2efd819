"""The ``lwg`` method: the Liquid Warping GAN bound to its sources. G_BG and G_SID run once on the
sources' inputs, then each frame runs only G_TSF on the target's (:mod:`liquidwarp.scene.inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.geometry.cameras import Camera
from liquidwarp.io.images import model_to_uint8, unit_to_model
from liquidwarp.networks.precision import autocast, bf16_helps
from liquidwarp.rendering.correspondence import surface_codes
from liquidwarp.scene.inputs import SourceInputs, TargetInputs, source_inputs, target_inputs
from liquidwarp.scene.texture import TextureFill
from liquidwarp.scene.views import PreparedSource, part_owner, target_view
from liquidwarp.warping.completion import TEXTURE_SIZE


@dataclass(frozen=True)
class LwgOptions:
    """Settings of the ``lwg`` method beyond its generator (defaults: what the tasks use)."""

    guess: bool = True  # give G_TSF the completed texture as its guess for unseen body pixels (generators with ``fill_unseen``)
    texture_size: int = TEXTURE_SIZE  # side of that texture (training pairs bake it at half this)
    generated_background: bool = False  # composite over G_BG's background instead of the classical in-painting
    bf16: bool = True  # bf16 autocast where the hardware has fast bf16 (False: fp32 everywhere)
    on_frame: Callable[[object, TargetInputs], None] | None = None  # called with (encoded sources, inputs) before each frame's G_TSF: for diagnostics


class LiquidWarpingRenderer:
    """The ``lwg`` method: sources encoded once, G_TSF per frame. ``background`` (1, 3, S, S) in
    [0, 1] replaces G_BG's; ``parts`` (body part index -> source index) dresses each part from its
    source."""

    def __init__(
        self,
        body: BodyModel,
        sources: list[PreparedSource],
        generator,
        background: torch.Tensor | None = None,
        parts: dict[int, int] | None = None,
        options: LwgOptions = LwgOptions(),
    ) -> None:
        self.body, self.sources, self.generator, self.options = body, sources, generator, options
        self.owner = part_owner(parts)
        self.fill = TextureFill(body, sources, self.owner, options.texture_size) if generator.fill_unseen and options.guess else None
        self.device = next(generator.parameters()).device
        self.bf16 = options.bf16 and bf16_helps(self.device)
        self.codes = surface_codes(body.rest_vertices)
        self.source_inputs: SourceInputs = source_inputs(body, self.codes, sources)
        with torch.no_grad(), autocast(self.device, self.bf16):
            self.encoded = self.source_inputs.to(self.device).encode(generator, decode=False)
        self.background = self.encoded.background.float() if background is None else unit_to_model(background.to(self.device))

    def inputs(self, target: BodyParams, camera: Camera) -> TargetInputs:
        """G_TSF's inputs for the ``target`` body (B = 1) seen by ``camera`` (on the CPU)."""
        return target_inputs(self.body, self.codes, target_view(self.body, self.sources, target, camera, self.owner), self.fill)

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        with torch.no_grad():
            inputs = self.inputs(target, camera).to(self.device)
            behind = self.background if background is None else unit_to_model(background.to(self.device))
            if self.options.on_frame is not None:
                self.options.on_frame(self.encoded, inputs)
            with autocast(self.device, self.bf16):
                out = inputs.transfer(self.generator, self.encoded, background=behind)
        return model_to_uint8(out.image.float().cpu())
