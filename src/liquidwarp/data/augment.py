"""Augmentation of training pairs, for robustness to real photos: colour jitter, blur, sensor
noise and new backgrounds.

Both frames of a pair get the same colour change and the same new background (they are frames of
one video: one camera, one scene); blur and noise are drawn per frame. Everything is a function
of the ``numpy`` generator passed in, so a pair index always gives the same augmented pair.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from liquidwarp.data.pairs import TrainingPair
from liquidwarp.io.images import model_to_unit, unit_to_model
from liquidwarp.warping.composite import blank_background


@dataclass(frozen=True)
class Augmentation:
    """Strengths; 0 turns a kind off. Images are in [-1, 1]."""

    brightness: float = 0.15  # gain drawn from [1 - b, 1 + b]
    contrast: float = 0.15  # contrast about the mean, factor from [1 - c, 1 + c]
    saturation: float = 0.2  # factor from [1 - s, 1 + s] on the distance to grey
    white_balance: float = 0.05  # per-channel gain from [1 - w, 1 + w]
    blur: float = 0.3  # chance of a Gaussian blur per frame
    blur_sigma: float = 1.0  # its sigma, drawn from [0.3, blur_sigma] pixels at 256 px (scaled with the side)
    noise: float = 0.02  # Gaussian noise sigma drawn from [0, noise] (in [0, 1] units)
    background: float = 0.3  # chance of a new procedural background behind both frames


NO_AUGMENTATION = Augmentation(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _uniform(rng: np.random.Generator, spread: float) -> float:
    return float(1.0 + rng.uniform(-spread, spread)) if spread > 0 else 1.0


def colour_jitter(
    image: torch.Tensor, brightness: float, contrast: float, saturation: float, gains: torch.Tensor, about: torch.Tensor | None = None
) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] -> jittered (same range): saturation, contrast about the mean of
    ``about`` (same shape; default: the image itself), then brightness and per-channel gains (3,)."""

    def saturated(x: torch.Tensor) -> torch.Tensor:
        grey = x.mean(dim=1, keepdim=True)
        return grey + (x - grey) * saturation

    x = saturated(model_to_unit(image))
    centre = (x if about is None else saturated(model_to_unit(about))).mean(dim=(1, 2, 3), keepdim=True)
    x = centre + (x - centre) * contrast
    x = x * brightness * gains.view(1, 3, 1, 1)
    return unit_to_model(x.clamp(0, 1))


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, C, H, W) with reflected borders."""
    radius = max(1, int(np.ceil(3 * sigma)))
    t = torch.arange(-radius, radius + 1, dtype=image.dtype)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = image.shape[1]
    x = F.pad(image, (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(x, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def augment(pair: TrainingPair, rng: np.random.Generator, config: Augmentation, background_from_target: bool = False) -> TrainingPair:
    """``pair`` (B = 1) with its two images augmented (and the guess, with the source's colour
    change); masks, maps and flow unchanged; the
    background input is made again from the augmented source (or target, see ``make_pair``)."""
    from liquidwarp.data.textures import make_background

    source, target = pair.source_image, pair.target_image
    side = source.shape[-1]
    if config.background > 0 and rng.random() < config.background:
        plate = unit_to_model(torch.from_numpy(make_background(rng, tuple(source.shape[-2:]))).permute(2, 0, 1)[None])
        source = source * pair.source_mask + plate * (1 - pair.source_mask)
        target = target * pair.target_mask + plate * (1 - pair.target_mask)
    brightness, contrast, saturation = (_uniform(rng, s) for s in (config.brightness, config.contrast, config.saturation))
    gains = torch.tensor([_uniform(rng, config.white_balance) for _ in range(3)], dtype=source.dtype)
    # The guess is the source's texture: it changes colour with the source, before blur and noise.
    guess = colour_jitter(pair.guess, brightness, contrast, saturation, gains, about=source)
    images = []
    for image in (source, target):
        image = colour_jitter(image, brightness, contrast, saturation, gains)
        if config.blur > 0 and rng.random() < config.blur:
            image = gaussian_blur(image, float(rng.uniform(0.3, max(config.blur_sigma, 0.3))) * side / 256)
        if config.noise > 0:
            sigma = float(rng.uniform(0, config.noise))
            noise = torch.from_numpy(rng.standard_normal(image.shape).astype(np.float32))
            image = (image + 2 * sigma * noise).clamp(-1, 1)
        images.append(image)
    source, target = images
    behind = blank_background(target, pair.target_mask) if background_from_target else blank_background(source, pair.source_mask)
    return replace(pair, source_image=source, target_image=target, background_input=behind, guess=guess)
