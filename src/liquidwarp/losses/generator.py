"""The generator's loss: the terms of :mod:`liquidwarp.losses.terms` put together once, for both
the GAN training step and personalisation (Liu et al., ICCV 2019, section 3.4).

The terms, each unweighted and then summed with :class:`LossWeights` by :func:`combine_losses`:
``adversarial`` (LSGAN, only when the discriminator's logits of the output are given),
``reconstruction`` (L1 of G_SID's source reconstruction), ``perceptual`` (VGG19, output vs target),
``face`` (the same on head crops), ``mask`` (L1 of the attention toward the target body mask),
``mask_total_variation`` (the attention's smoothness), ``pixel`` (L1 of the output to the target)
and, only when its weight is not 0, ``unseen`` (the same L1 averaged over the target body the source
does not see alone, so that a few thousand unseen pixels weigh as much as the whole frame).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import nn

from liquidwarp.losses.terms import (
    FaceLoss,
    LossWeights,
    PerceptualLoss,
    attention_mask_loss,
    combine_losses,
    lsgan_generator_loss,
    reconstruction_loss,
    total_variation,
)

if TYPE_CHECKING:  # only the type: the losses need not load the generator's module
    from liquidwarp.networks.generator import GeneratorOutput


class GeneratorTruth(NamedTuple):
    """What the generator's output of a batch is compared with.

    Attributes:
        target_image: (B, 3, H, W) the real target frame in [-1, 1].
        target_mask: (B, 1, H, W) the target body mask, 1 = person.
        head_box: (B, 4) ``x0, y0, x1, y1`` pixels of the target's head.
        source_image: (B, 3, H, W) the source, which G_SID reconstructs (S = 1).
        unseen: (B, 1, H, W) bool, the target's body pixels the source does not see (None: not known).
    """

    target_image: torch.Tensor
    target_mask: torch.Tensor
    head_box: torch.Tensor
    source_image: torch.Tensor
    unseen: torch.Tensor | None = None

    @classmethod
    def of(cls, batch) -> "GeneratorTruth":
        """The truth of a batch of pairs (``liquidwarp.data.pairs.TrainingPair``: any object with
        these four attributes, and ``target_body`` and ``flow_valid``)."""
        unseen = (batch.target_body & ~batch.flow_valid)[:, None] & (batch.target_mask > 0.5)
        return cls(batch.target_image, batch.target_mask, batch.head_box, batch.source_image, unseen)


class GeneratorLoss(nn.Module):
    """The weighted generator loss; see the module docstring for its terms.

    ``perceptual`` is the VGG19 loss of the whole images; the head crops go through the same
    network (:class:`FaceLoss`). Called with the generator's output, the truth of its batch, the
    discriminator's logits of the output (None: no adversarial term, as if its weight were 0)
    and a ``focus`` mask (None: the whole image). Returns the named unweighted terms and their
    weighted ``"total"``.
    """

    def __init__(self, weights: LossWeights, perceptual: PerceptualLoss | None = None) -> None:
        super().__init__()
        self.weights = weights
        self.perceptual = perceptual if perceptual is not None else PerceptualLoss()
        self.face = FaceLoss(self.perceptual)

    def forward(
        self,
        output: GeneratorOutput,
        truth: GeneratorTruth,
        fake_logits: torch.Tensor | None = None,
        focus: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """``focus`` (B, 1, H, W) bool: the image terms (perceptual, face, pixel) see only these
        pixels; elsewhere the output is replaced by the target (no loss, no gradient there), and
        the pixel L1 is the mean over the focused pixels (personalisation's hidden patches)."""
        target = truth.target_image
        image, attention = output.image.float(), output.attention.float()
        if focus is not None:
            assert focus.dtype == torch.bool and focus.shape == attention.shape, (focus.dtype, tuple(focus.shape), tuple(attention.shape))
            image = torch.where(focus, image, target)
        terms = {} if fake_logits is None else {"adversarial": lsgan_generator_loss(fake_logits.float())}
        terms["reconstruction"] = reconstruction_loss(output.source_reconstruction[:, 0].float(), truth.source_image)
        terms["perceptual"] = self.perceptual(image, target)
        terms["face"] = self.face(image, target, truth.head_box)
        terms["mask"] = attention_mask_loss(attention, truth.target_mask[:, 0])
        terms["mask_total_variation"] = total_variation(attention)
        difference = (image - target).abs()
        terms["pixel"] = difference.mean() if focus is None else difference.sum() / (3 * focus.sum()).clamp(min=1)
        if self.weights.unseen != 0:
            if truth.unseen is None:
                raise ValueError("the unseen loss needs the truth's unseen mask (GeneratorTruth.unseen)")
            terms["unseen"] = (difference * truth.unseen).sum() / (3 * truth.unseen.sum()).clamp(min=1)
        return combine_losses(terms, self.weights)
