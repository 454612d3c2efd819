"""Personalisation: fine-tune a generator on the source photo(s) of one person before using it
(as the TPAMI successor does), so that what the shipped model renders vaguely — this person's
clothes, face and colours — comes out as in their photos.

Each step trains on one pair made from the sources alone, so it needs no other data:
- a target that is a source itself, re-framed by a random crop (scale and shift: the crop's camera
  is exact, so the flow between the bodies is too), and
- with several sources (front and back), a target that is another source: a real re-posing.
The losses are the generator's own (G_SID reconstruction, VGG19 perceptual, head crops, attention
mask) plus an L1 to the target; no discriminator. The weights are copied: the model passed in is
left unchanged.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.losses.terms import LossWeights

PERSONALIZE_WEIGHTS = replace(LossWeights(), adversarial=0.0, pixel=10.0)


@dataclass(frozen=True)
class PersonalizeConfig:
    steps: int = 60  # optimiser steps (one pair each)
    lr: float = 5e-5  # Adam learning rate (a quarter of the training rate: small steps near a trained model)
    zoom: float = 0.15  # random re-framing: crop side in [1 - zoom, 1 + zoom] of the view, shifted up to zoom / 2
    seed: int = 0


def personal_pair(body: BodyModel, codes: torch.Tensor, sources, rng: np.random.Generator, zoom: float = PersonalizeConfig.zoom):
    """One training pair from the prepared sources (``PreparedSource`` list, one person)."""
    from liquidwarp.data.pairs import make_pair
    from liquidwarp.geometry.crops import crop_camera, crop_image
    from liquidwarp.tasks.methods import to_uint8

    k = int(rng.integers(len(sources)))
    j = int(rng.integers(len(sources))) if len(sources) > 1 and rng.random() < 0.5 else k
    source, target = sources[k], sources[j]
    size = source.image.shape[-1]
    side = size * float(rng.uniform(1 - zoom, 1 + zoom))
    x0, y0 = (size - side) / 2 + rng.uniform(-0.5, 0.5, size=2) * zoom * size
    crop = (float(x0), float(y0), side)
    target_image = crop_image(to_uint8(target.image), crop, size)
    return make_pair(
        body, codes,
        to_uint8(source.image), source.params, source.camera,
        target_image, target.params, crop_camera(target.camera, crop, size),
        background_from_target=True,
    )  # fmt: skip


def personalize(generator: torch.nn.Module, body: BodyModel, sources, config: PersonalizeConfig = PersonalizeConfig(), progress: bool = True):
    """A fine-tuned copy of ``generator`` for the person of ``sources``; returns (copy in eval
    mode, seconds taken)."""
    from tqdm import tqdm

    from liquidwarp.losses.terms import FaceLoss, PerceptualLoss, attention_mask_loss, combine_losses, reconstruction_loss, total_variation
    from liquidwarp.rendering.correspondence import surface_codes
    from liquidwarp.training.loop import generate

    start = time.perf_counter()
    tuned = copy.deepcopy(generator).train()
    device = next(tuned.parameters()).device
    optimizer = torch.optim.Adam(tuned.parameters(), lr=config.lr, betas=(0.5, 0.999))
    perceptual = PerceptualLoss().to(device)
    face = FaceLoss(perceptual)
    codes = surface_codes(body.rest_vertices)
    rng = np.random.default_rng(config.seed)
    for _ in tqdm(range(config.steps), desc="personalize", unit="step", disable=not progress):
        batch = personal_pair(body, codes, sources, rng, config.zoom).to(device)
        optimizer.zero_grad(set_to_none=True)
        out = generate(tuned, batch)
        terms = {
            "reconstruction": reconstruction_loss(out.source_reconstruction[:, 0], batch.source_image),
            "perceptual": perceptual(out.image, batch.target_image),
            "face": face(out.image, batch.target_image, batch.head_box),
            "mask": attention_mask_loss(out.attention, batch.target_mask[:, 0]),
            "mask_total_variation": total_variation(out.attention),
            "pixel": (out.image - batch.target_image).abs().mean(),
        }
        combine_losses(terms, PERSONALIZE_WEIGHTS)["total"].backward()
        optimizer.step()
    return tuned.eval(), time.perf_counter() - start
