"""Loss terms of the Liquid Warping GAN (Liu et al., ICCV 2019, section 3.4): callables that take
network outputs and, where needed, the networks or feature extractors themselves. No optimiser
lives here; :class:`GeneratorLoss` combines the generator's terms with :class:`LossWeights` via
:func:`combine_losses`, for training and personalisation alike.
"""

from liquidwarp.losses.generator import GeneratorLoss, GeneratorTruth
from liquidwarp.losses.terms import (
    PERCEPTUAL_LAYER_WEIGHTS,
    VGG19_ACTIVATION_SCALE,
    FaceLoss,
    LossWeights,
    PerceptualLoss,
    attention_mask_loss,
    combine_losses,
    crop_boxes,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    reconstruction_loss,
    total_variation,
)

__all__ = [
    "PERCEPTUAL_LAYER_WEIGHTS",
    "VGG19_ACTIVATION_SCALE",
    "FaceLoss",
    "GeneratorLoss",
    "GeneratorTruth",
    "LossWeights",
    "PerceptualLoss",
    "attention_mask_loss",
    "combine_losses",
    "crop_boxes",
    "lsgan_discriminator_loss",
    "lsgan_generator_loss",
    "reconstruction_loss",
    "total_variation",
]
