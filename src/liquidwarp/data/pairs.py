"""Training pairs for the Liquid Warping GAN: a source and a target frame of the same person.

Self-supervised as in the paper (section 3.3): the target is another frame of the source's own
video, so the real target frame is the ground truth. From synthetic data the target may also come
from another camera, which teaches novel views. Everything the networks need is prepared here:
correspondence maps of both bodies, the transfer flow, the masks, the background input and the
target's head box. The generator's inputs come from :mod:`liquidwarp.scene.inputs`, the same
functions inference uses. Images are in [-1, 1] (the models' convention), masks 1 = person.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.body.regions import head_boxes
from liquidwarp.io.images import uint8_to_unit, unit_to_model
from liquidwarp.scene.inputs import SourceInputs, TargetInputs, source_inputs, target_inputs
from liquidwarp.scene.texture import TextureFill
from liquidwarp.scene.views import PreparedSource, source_view, target_view
from liquidwarp.warping.completion import TEXTURE_SIZE
from liquidwarp.warping.flow import WarpField


@dataclass(frozen=True)
class TrainingPair:
    """A batch of B pairs (one pair: B = 1): the generator's inputs (one source) and the truth.
    All tensors are float unless noted."""

    source_image: torch.Tensor  # (B, 3, H, W) in [-1, 1]
    source_mask: torch.Tensor  # (B, 1, H, W) in {0, 1}: the source body
    source_map: torch.Tensor  # (B, 3, H, W) correspondence map C_s
    target_image: torch.Tensor  # (B, 3, H, W) in [-1, 1]: the ground truth
    target_mask: torch.Tensor  # (B, 1, H, W) in {0, 1}: where the person is in the truth (the attention's target)
    target_body: torch.Tensor  # (B, H, W) bool: the body G_TSF is given (where C_t is drawn); the person's unless the body was moved (personalisation's jitter)
    target_map: torch.Tensor  # (B, 3, H, W) correspondence map C_t
    flow_grid: torch.Tensor  # (B, H, W, 2) target pixel -> source grid position
    flow_valid: torch.Tensor  # (B, H, W) bool: the source sees that surface point
    background_input: torch.Tensor  # (B, 4, H, W): source with the body region blanked, and that region
    head_box: torch.Tensor  # (B, 4) x0, y0, x1, y1 pixels of the target's head
    guess: torch.Tensor  # (B, 3, H, W) in [-1, 1]: the source's completed texture on the target body (G_TSF's input where the flow is far from seen pixels); zeros for pairs made with ``guess=False`` (for generators without ``fill_unseen``)

    @property
    def flow(self) -> WarpField:
        return WarpField(self.flow_grid, self.flow_valid)

    def source_inputs(self) -> SourceInputs:
        """G_BG's and G_SID's inputs (S = 1)."""
        return SourceInputs(self.source_image[:, None], self.source_mask, self.source_map[:, None], self.background_input)

    def target_inputs(self) -> TargetInputs:
        """G_TSF's inputs."""
        return TargetInputs(self.target_map, self.target_body, (self.flow,), self.guess)

    @staticmethod
    def collate(pairs: list[TrainingPair]) -> TrainingPair:
        return TrainingPair(**{f.name: torch.cat([getattr(p, f.name) for p in pairs]) for f in fields(TrainingPair)})

    def to(self, device: torch.device | str) -> TrainingPair:
        return TrainingPair(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


# Pairs bake the guess at half inference's texture side, 4x fewer texels to complete, enough for a
# 256² frame: a whole pair took 2.8-2.9 s at 512² and 1.2-2.7 s at 256² on the 2-core development
# machine with another job running (the completion alone 1.2 s at 512² and 0.65 s at 256², profiled).
GUESS_TEXTURE_SIZE = TEXTURE_SIZE // 2


def make_pair(
    body: BodyModel,
    codes: torch.Tensor,
    source_image: np.ndarray,
    source_params,
    source_camera,
    target_image: np.ndarray,
    target_params,
    target_camera,
    background_from_target: bool = False,
    guess: bool = True,
    texture_size: int = GUESS_TEXTURE_SIZE,
) -> TrainingPair:
    """One pair from two (S, S, 3) uint8 frames with their bodies (B = 1) and cameras (for those
    frames, image size S x S); :func:`pair_from_views` for the rest. ``guess`` bakes G_TSF's guess
    at ``texture_size`` texels a side (zeros otherwise)."""
    source = source_view(body, uint8_to_unit(source_image), source_params, source_camera)
    fill = TextureFill(body, [source], size=texture_size) if guess else None
    return pair_from_views(body, codes, source, target_image, target_params, target_camera, background_from_target, fill)


def pair_from_views(
    body: BodyModel,
    codes: torch.Tensor,
    source: PreparedSource,
    target_image: np.ndarray,
    target_params,
    target_camera,
    background_from_target: bool = False,
    fill: TextureFill | None = None,
) -> TrainingPair:
    """One pair: the ``source`` view re-posed into the body ``target_params`` (B = 1) seen by
    ``target_camera``, whose real frame is ``target_image`` (S, S, 3) uint8. G_BG's input is the
    source frame without its person, or, with ``background_from_target`` (a target seen by another
    camera), the target frame without its person: the background is always that of the camera the
    output is seen from (at inference a novel view gets that camera's background plate). ``fill``
    (the source's :class:`~liquidwarp.scene.texture.TextureFill`) gives G_TSF's guess; zeros
    without one."""
    target = target_view(body, [source], target_params, target_camera)
    truth = uint8_to_unit(target_image)
    plate = (truth, target.mask) if background_from_target else None
    inputs = source_inputs(body, codes, [source], plate)
    to_target = target_inputs(body, codes, target, fill)
    target_model = unit_to_model(truth)
    keypoints = target_camera.project(target.keypoints)[..., :2].float()
    return TrainingPair(
        source_image=inputs.images[:, 0],
        source_mask=inputs.masks,
        source_map=inputs.maps[:, 0],
        target_image=target_model,
        target_mask=target.mask[:, None].float(),
        target_body=to_target.mask,
        target_map=to_target.map,
        flow_grid=to_target.flows[0].grid,
        flow_valid=to_target.flows[0].valid,
        background_input=inputs.background,
        head_box=head_boxes(keypoints),
        guess=torch.zeros_like(target_model) if to_target.guess is None else to_target.guess.float(),
    )
