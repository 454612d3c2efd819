"""The loss terms of Liquid Warping GAN (Liu et al., ICCV 2019, section 3.4) and their weights.

Images are (B, 3, H, W) in [-1, 1]; attention maps (..., 1, H, W) in [0, 1] with 1 = person (the
generator's convention); masks (..., H, W), 1 = person. Every term returns a scalar mean (a
float32 tensor, also under bf16 autocast) and is differentiable with respect to its first argument.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from liquidwarp.io.images import model_to_unit

# ICCV 2019 section 3.4 / the original launch settings: relu1_1 ... relu5_1 weighted 1/32 ... 1.
PERCEPTUAL_LAYER_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)
# VGG19Features takes caffe-style inputs (x 255, mean subtracted); torchvision's VGG19, which the
# original code used, takes (x - mean) / std with std ~0.226. Dividing by 255 * 0.226 puts the
# activations in roughly those units, so that the paper's weight of 10 keeps its balance against
# the L1 terms. Rough: measured on smooth images, the biases make the actual ratio 31-41 by layer.
VGG19_ACTIVATION_SCALE = 1 / (255 * 0.226)


# -------------------------------------------------------------------------------------- adversarial


def lsgan_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """LSGAN (Mao et al., ICCV 2017) generator term: ``mean((D(fake) - 1)^2)``."""
    return (fake_logits.float() - 1).square().mean()


def lsgan_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """LSGAN discriminator term: ``(mean((D(real) - 1)^2) + mean(D(fake)^2)) / 2`` (halved as
    in pix2pix, so the discriminator learns at half the generator's rate). Pass the fake logits of
    a detached generator output."""
    return 0.5 * ((real_logits.float() - 1).square().mean() + fake_logits.float().square().mean())


# ------------------------------------------------------------------------------------ reconstruction


def reconstruction_loss(images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """L1: ``mean |images - targets|`` over every element."""
    assert images.shape == targets.shape, (tuple(images.shape), tuple(targets.shape))
    return (images.float() - targets.float()).abs().mean()


class PerceptualLoss(nn.Module):
    """``sum_k w_k mean |phi_k(x) - phi_k(y)|`` over the five VGG19 activations relu1_1 ... relu5_1
    (Johnson et al. 2016; weights 1/32, 1/16, 1/8, 1/4, 1 as in Liquid Warping GAN).

    ``features`` maps (B, 3, H, W) images in [0, 1] to a sequence of activations, as
    :class:`liquidwarp.networks.features.VGG19Features` does (the default, the shared frozen
    instance); images here are in [-1, 1] and are converted with ``(x + 1) / 2``. Gradients reach
    ``images``; ``targets`` are usually constants (nothing is computed for them then).

    ``activation_scale`` multiplies every activation difference: by default
    :data:`VGG19_ACTIVATION_SCALE` for the default network (whose caffe-scale activations are some
    30-60 times those of the torchvision VGG19 the original used), 1 for a network passed in.
    """

    def __init__(
        self,
        features: nn.Module | None = None,
        layer_weights: Sequence[float] = PERCEPTUAL_LAYER_WEIGHTS,
        activation_scale: float | None = None,
    ) -> None:
        super().__init__()
        if features is None:
            from liquidwarp.networks.features import vgg19_features

            features = vgg19_features()
            activation_scale = VGG19_ACTIVATION_SCALE if activation_scale is None else activation_scale
        self.features = features
        self.layer_weights = tuple(float(w) for w in layer_weights)
        self.activation_scale = 1.0 if activation_scale is None else float(activation_scale)

    def per_sample(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) x 2 in [-1, 1] -> (B,) the loss of each pair."""
        assert images.shape == targets.shape and images.ndim == 4, (tuple(images.shape), tuple(targets.shape))
        b = images.shape[0]
        # One pass over both batches: half the per-call overhead on CPU.
        both = self.features(model_to_unit(torch.cat([images, targets.to(images.dtype)])))
        assert len(both) == len(self.layer_weights), (len(both), len(self.layer_weights))
        loss = images.new_zeros(b, dtype=torch.float32)
        for weight, activation in zip(self.layer_weights, both):
            x, y = activation.float().split(b)
            loss = loss + weight * (x - y).abs().flatten(1).mean(1)
        return loss * self.activation_scale

    def forward(self, images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.per_sample(images, targets).mean()


# ------------------------------------------------------------------------------------------- face


def crop_boxes(images: torch.Tensor, boxes: torch.Tensor, size: int | tuple[int, int] = 64) -> torch.Tensor:
    """Resample the box of each image to ``size`` (bilinear, zeros outside the image).

    Args:
        images: (B, C, H, W).
        boxes: (B, 4) ``x0, y0, x1, y1`` in continuous pixel coordinates (pixel edges: the box
            ``0, 0, W, H`` is the whole image; pixel (i, j) spans [j, j + 1] x [i, i + 1]).
        size: output (h, w), or one number for a square.
    Returns:
        (B, C, h, w). Output pixel (i, j) samples the input at ``x0 + (j + 1/2) (x1 - x0) / w``,
        likewise for y: an integer box the size of the output copies its pixels exactly.
    """
    b, c, height, width = images.shape
    assert boxes.shape == (b, 4), tuple(boxes.shape)
    h, w = (size, size) if isinstance(size, int) else size
    boxes = boxes.to(images.dtype if images.is_floating_point() else torch.float32)
    x0, y0, x1, y1 = boxes.unbind(1)
    # Normalised (align_corners=False) box centre and half-extent: the affine map of [-1, 1] onto the box.
    zero = torch.zeros_like(x0)
    theta = torch.stack(
        [
            torch.stack([(x1 - x0) / width, zero, (x0 + x1) / width - 1], dim=1),
            torch.stack([zero, (y1 - y0) / height, (y0 + y1) / height - 1], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, [b, c, h, w], align_corners=False)
    return F.grid_sample(images, grid.to(images.dtype), mode="bilinear", padding_mode="zeros", align_corners=False)


class FaceLoss(nn.Module):
    """The perceptual loss on head crops: both images cropped to ``boxes`` at ``crop_size`` by
    :func:`crop_boxes`, then :class:`PerceptualLoss`; the mean over the samples whose box is valid
    (zero when none is).

    The original used a face-recognition network's features on the crops; this is the VGG19
    variant (the same feature network as the perceptual term, so nothing extra to install).
    """

    def __init__(self, perceptual: PerceptualLoss | None = None, crop_size: int = 64) -> None:
        super().__init__()
        self.perceptual = perceptual if perceptual is not None else PerceptualLoss()
        self.crop_size = crop_size

    def forward(
        self, images: torch.Tensor, targets: torch.Tensor, boxes: torch.Tensor, valid: torch.Tensor | None = None
    ) -> torch.Tensor:
        """images, targets (B, 3, H, W) in [-1, 1]; boxes (B, 4) x0, y0, x1, y1 pixels of the head
        in both; valid (B,) bool, None = all."""
        if valid is None:
            valid = torch.ones(images.shape[0], dtype=torch.bool, device=images.device)
        assert valid.shape == (images.shape[0],) and valid.dtype == torch.bool, (tuple(valid.shape), valid.dtype)
        if not bool(valid.any()):
            return images.float().sum() * 0.0  # still part of the graph, so every caller can backward
        crops = crop_boxes(images[valid], boxes[valid], self.crop_size)
        target_crops = crop_boxes(targets[valid], boxes[valid], self.crop_size)
        return self.perceptual(crops, target_crops)


# ------------------------------------------------------------------------------------- attention


def attention_mask_loss(attention: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 of the person alpha toward the body mask: ``mean |A - M|``.

    attention (..., 1, H, W) in [0, 1], 1 = person; mask (..., H, W), 1 = person (bool or float).
    L1 rather than BCE: bounded gradients where A saturates, and no log of 0 under bf16.
    """
    assert attention.shape[-3] == 1 and attention.shape[:-3] + attention.shape[-2:] == mask.shape, (
        tuple(attention.shape),
        tuple(mask.shape),
    )
    return (attention.float().squeeze(-3) - mask.float()).abs().mean()


def total_variation(maps: torch.Tensor) -> torch.Tensor:
    """``mean |m[i+1, j] - m[i, j]| + mean |m[i, j+1] - m[i, j]|`` over (..., H, W): 0 for a
    constant map, 2 for a 0/1 checkerboard."""
    x = maps.float()
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()


# ----------------------------------------------------------------------------------------- weights


@dataclass(frozen=True)
class LossWeights:
    """Generator loss weights; the defaults are the ICCV launch settings (DESIGN.md 2.6)."""

    adversarial: float = 1.0  # LSGAN generator term
    reconstruction: float = 10.0  # L1 of the source reconstruction
    perceptual: float = 10.0  # VGG19 perceptual, transfer output vs target
    face: float = 5.0  # perceptual on head crops
    mask: float = 1.0  # L1 of the attention toward the body mask
    mask_total_variation: float = 1.0  # smoothness of the attention
    pixel: float = 0.0  # L1 of the transfer output to the target (not in the paper's GAN training; personalisation uses it)
    unseen: float = 0.0  # L1 of the output to the target on the body the source does not see, the mean over those pixels (not in the paper)


def combine_losses(terms: Mapping[str, torch.Tensor], weights: LossWeights = LossWeights()) -> dict[str, torch.Tensor]:
    """The named (unweighted) terms plus ``"total" = sum weight * term``.

    Names must be fields of :class:`LossWeights`; a missing one counts 0, and a term of weight 0
    is reported but left out of the sum (so a NaN there cannot spoil the total).
    """
    known = {f.name for f in fields(LossWeights)}
    unknown = set(terms) - known
    if unknown:
        raise ValueError(f"unknown loss terms {sorted(unknown)}; expected some of {sorted(known)}")
    if not terms:
        raise ValueError("no loss terms")
    total = None
    for name, value in terms.items():
        weight = getattr(weights, name)
        if weight != 0:
            total = weight * value if total is None else total + weight * value
    result = dict(terms)
    result["total"] = total if total is not None else next(iter(terms.values())) * 0.0
    return result
