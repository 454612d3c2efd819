"""The PatchGAN discriminator of pix2pix (Isola et al., CVPR 2017, section 3.2.2 and appendix 6.1.2),
conditioned on the target correspondence map as in Liquid Warping GAN (Liu et al., ICCV 2019,
section 3.4).

Input ``image ‖ C_t``: (B, 3 + 3, H, W), images in [-1, 1]. Output: (B, 1, h, w) raw logits, one
per overlapping patch (no sigmoid: the LSGAN losses in ``liquidwarp.losses`` regress them to 0 / 1).

Layers for ``n_layers = 3`` (the "70 x 70" PatchGAN; each output sees a 70 x 70 input window):
C64 - C128 - C256 - C512 - 1, all 4 x 4 convolutions, the first three with stride 2 and the last two
with stride 1; InstanceNorm on all but the first and the last; LeakyReLU(0.2). At 256 x 256 the
output is 30 x 30. Each extra layer doubles the channels (capped at 8 x ``base_channels``) and the
receptive field grows: 1 -> 16, 2 -> 34, 3 -> 70, 4 -> 142, 5 -> 286.
"""

from __future__ import annotations

import torch
from torch import nn


def _conv4(in_channels: int, out_channels: int, stride: int, bias: bool) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 4, stride=stride, padding=1, bias=bias)


def _leaky() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.2, inplace=True)


class PatchDiscriminator(nn.Module):
    """pix2pix PatchGAN on ``image ‖ condition``.

    ``forward(image (B, 3, H, W), condition (B, condition_channels, H, W)) -> (B, 1, h, w)`` logits.
    H and W should be at least ``2^(n_layers + 2)`` (16 px for n_layers = 2, 32 for 3): the last two
    4 x 4 convolutions each remove one pixel, and InstanceNorm needs more than one.
    """

    def __init__(
        self, image_channels: int = 3, condition_channels: int = 3, *, base_channels: int = 64, n_layers: int = 3
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        self.image_channels, self.condition_channels = image_channels, condition_channels
        layers: list[nn.Module] = [_conv4(image_channels + condition_channels, base_channels, 2, bias=True), _leaky()]
        channels = base_channels
        for i in range(1, n_layers + 1):
            out = base_channels * min(2**i, 8)
            stride = 2 if i < n_layers else 1  # the n_layers-th layer keeps the size, as pix2pix's
            # No bias before InstanceNorm: it would be subtracted right away.
            layers += [_conv4(channels, out, stride, bias=False), nn.InstanceNorm2d(out, affine=True), _leaky()]
            channels = out
        layers.append(_conv4(channels, 1, 1, bias=True))
        self.layers = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        assert image.ndim == 4 and image.shape[1] == self.image_channels, tuple(image.shape)
        assert condition.shape == (image.shape[0], self.condition_channels, *image.shape[2:]), tuple(condition.shape)
        return self.layers(torch.cat([image, condition.to(image.dtype)], dim=1))
