"""Personalisation: fine-tune a generator on the source photo(s) of one person before using it
(as the TPAMI successor does), so that what the shipped model renders vaguely — this person's
clothes, face and colours — comes out as in their photos.

Each step trains on one pair made from the sources alone, so it needs no other data:
- a target that is a source itself, re-framed by a random crop (scale and shift: the crop's camera
  is exact, so the flow between the bodies is too), and
- with several sources (front and back), a target that is another source: a real re-posing.
In both, random patches of the target body are hidden from the flow (``hide``): the photo sees
all of itself, but a new pose shows surfaces the photo does not, and those patches teach the
network to fill them as this person looks rather than as the training people did.
The losses are the generator's own (``GeneratorLoss``: G_SID reconstruction, VGG19 perceptual, head
crops, attention mask) plus an L1 to the target, weighted by ``PersonalizeConfig.weights``; no
discriminator. With ``focus="hidden"`` (the default) the image
losses see only the hidden patches (the output elsewhere replaced by the target): fine-tuning on
what the photo shows would teach the network to copy its warped input, which it does already, and
measured on the lab footage that made the re-posed frames slightly worse (see BENCHMARKS.md).
The weights are copied: the model passed in is left unchanged.
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
    hide: int = 3  # up to this many discs of the target body are hidden from the flow per pair (0: none)
    hide_radius: float = 0.08  # their largest radius, of the side
    focus: str = "hidden"  # the image losses see: "hidden" (only the hidden patches; elsewhere the output is replaced by the target) or "all"
    jitter: float = 0.0  # > 0: the target body the flow and body map come from is the fitted one moved by noise (joint rotations: this std in radians; the body: this std x 0.4 in metres), as a fit's errors on a new frame
    seed: int = 0
    weights: LossWeights = PERSONALIZE_WEIGHTS  # the generator's loss weights (no adversarial term: there is no discriminator)

    def __post_init__(self) -> None:
        if self.focus not in ("hidden", "all"):
            raise ValueError(f"focus must be 'hidden' or 'all', not {self.focus!r}")


def hide_patches(valid: torch.Tensor, rng: np.random.Generator, count: int, radius: float) -> torch.Tensor:
    """``valid`` (B, H, W) bool with 1 to ``count`` discs (radius up to ``radius`` of the side,
    centred on valid pixels) set to False."""
    out = valid.clone()
    size = valid.shape[-1]
    ys, xs = torch.meshgrid(torch.arange(valid.shape[-2]), torch.arange(size), indexing="ij")
    for b in range(valid.shape[0]):
        seen = torch.nonzero(valid[b])
        if count <= 0 or len(seen) == 0:
            continue
        for _ in range(int(rng.integers(1, count + 1))):
            cy, cx = seen[int(rng.integers(len(seen)))].tolist()
            r = float(rng.uniform(0.3, 1.0)) * radius * size
            out[b] &= (ys - cy) ** 2 + (xs - cx) ** 2 > r * r
    return out


def personal_pair(body: BodyModel, codes: torch.Tensor, sources, rng: np.random.Generator, config: PersonalizeConfig = PersonalizeConfig(), fills=None):
    """One training pair from the prepared sources (``PreparedSource`` list, one person), and the
    (B, 1, H, W) mask of the target pixels hidden from its flow. ``fills`` are the sources'
    :func:`source_fills` (made here when None)."""
    from liquidwarp.data.pairs import pair_from_views
    from liquidwarp.geometry.crops import crop_camera, crop_image
    from liquidwarp.io.images import unit_to_uint8
    from liquidwarp.warping.composite import blank_background

    k = int(rng.integers(len(sources)))
    j = int(rng.integers(len(sources))) if len(sources) > 1 and rng.random() < 0.5 else k
    source, target = sources[k], sources[j]
    size = source.image.shape[-1]
    zoom = config.zoom
    side = size * float(rng.uniform(1 - zoom, 1 + zoom))
    x0, y0 = (size - side) / 2 + rng.uniform(-0.5, 0.5, size=2) * zoom * size
    crop = (float(x0), float(y0), side)
    target_image = crop_image(unit_to_uint8(target.image), crop, size)
    target_camera = crop_camera(target.camera, crop, size)
    fill = (fills if fills is not None else source_fills(body, sources))[k]
    pair = pair_from_views(body, codes, source, target_image, jittered(target.params, rng, config.jitter), target_camera, True, fill)
    if config.jitter > 0:  # the attention is to follow where the person is, not the moved body,
        # and G_BG must see neither: blank the background where either of them is
        still = body_mask(body, target.params, target_camera, size)
        person = torch.maximum(still, pair.target_mask)
        pair = replace(pair, target_mask=still, background_input=blank_background(pair.target_image, person))
    valid = hide_patches(pair.flow_valid, rng, config.hide, config.hide_radius)
    return replace(pair, flow_valid=valid), (pair.flow_valid & ~valid)[:, None]


def source_fills(body: BodyModel, sources, guess: bool = True) -> list:
    """Per source, the completed texture G_TSF takes as its guess (at training pairs' texture
    size, :data:`~liquidwarp.data.pairs.GUESS_TEXTURE_SIZE`), made once for every step; None for
    each without ``guess`` (a generator without ``fill_unseen``)."""
    from liquidwarp.data.pairs import GUESS_TEXTURE_SIZE
    from liquidwarp.scene.texture import TextureFill

    return [TextureFill(body, [source], size=GUESS_TEXTURE_SIZE) if guess else None for source in sources]


def jittered(params, rng: np.random.Generator, std: float):
    """``params`` (B = 1) with Gaussian noise on the joint rotations (``std`` radians) and the body's
    position (``std`` x 0.4 metres); unchanged for ``std`` 0."""
    if std <= 0:
        return params
    noise = lambda t, scale: t + torch.from_numpy(rng.normal(0.0, scale, size=tuple(t.shape))).to(t.dtype)
    return params.replace(joint_rotations=noise(params.joint_rotations, std), root_translation=noise(params.root_translation, 0.4 * std))


def body_mask(body: BodyModel, params, camera, size: int) -> torch.Tensor:
    """(1, 1, S, S) float silhouette of ``params`` (B = 1) seen by ``camera``."""
    from liquidwarp.rendering.rasterize import rasterize

    with torch.no_grad():
        frags = rasterize(camera.project(body(params).vertices), body.faces, (size, size))
    return frags.mask[:, None].float()


def personalize(generator: torch.nn.Module, body: BodyModel, sources, config: PersonalizeConfig = PersonalizeConfig(), progress: bool = True):
    """A fine-tuned copy of ``generator`` for the person of ``sources``; returns (copy in eval
    mode, seconds taken)."""
    from tqdm import tqdm

    from liquidwarp.losses.generator import GeneratorLoss, GeneratorTruth
    from liquidwarp.losses.terms import PerceptualLoss
    from liquidwarp.rendering.correspondence import surface_codes
    from liquidwarp.networks.precision import autocast, bf16_helps
    from liquidwarp.training.loop import generate

    start = time.perf_counter()
    tuned = copy.deepcopy(generator).train()
    device = next(tuned.parameters()).device
    optimizer = torch.optim.Adam(tuned.parameters(), lr=config.lr, betas=(0.5, 0.999))
    loss = GeneratorLoss(config.weights, PerceptualLoss().to(device))
    codes = surface_codes(body.rest_vertices)
    rng = np.random.default_rng(config.seed)
    bf16 = bf16_helps(device)
    fills = source_fills(body, sources, guess=tuned.fill_unseen)
    for _ in tqdm(range(config.steps), desc="personalize", unit="step", disable=not progress):
        batch, hidden = personal_pair(body, codes, sources, rng, config, fills)
        batch, hidden = batch.to(device), hidden.to(device)
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, bf16):
            out = generate(tuned, batch)
        # focus "hidden": what the photo shows is copied already, so learn only what it hides
        focus = hidden if config.focus == "hidden" else None
        loss(out, GeneratorTruth.of(batch), focus=focus)["total"].backward()
        optimizer.step()
    return tuned.eval(), time.perf_counter() - start
