"""Paired image metrics. Images are (B, C, H, W) float tensors in [0, 1]; results are (B,)."""

from __future__ import annotations

import torch

SSIM_SIGMA = 1.5  # Gaussian window of Wang et al. 2004
SSIM_RADIUS = 5  # 11 x 11 window (truncated at 3.5 sigma, as scikit-image does)
SSIM_K1, SSIM_K2 = 0.01, 0.03
SSIM_CHUNK = 8  # images per float64 pass


def _check(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape or a.ndim != 4:
        raise ValueError(f"images must be two (B, C, H, W) tensors of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB, peak 1: ``10 log10(1 / MSE)``, MSE over all pixels and
    channels of each image (infinite for identical images)."""
    _check(a, b)
    mse = (a.double() - b.double()).square().mean(dim=(1, 2, 3))
    return (10.0 * torch.log10(1.0 / mse)).float()


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Structural similarity (Wang et al., IEEE TIP 2004), data range 1: local means, variances
    and covariance under an 11 x 11 Gaussian window (sigma 1.5, population statistics),
    ``SSIM = (2 mu_a mu_b + C1)(2 s_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2))`` with
    ``C1 = (0.01)^2``, ``C2 = (0.03)^2``, averaged over the pixels at least 5 from the border and
    over channels. This is scikit-image's ``structural_similarity(gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=1)``, which the tests check against."""
    _check(a, b)
    if len(a) > SSIM_CHUNK:  # bounded memory: float64 statistics of a few images at a time
        return torch.cat([ssim(a[i : i + SSIM_CHUNK], b[i : i + SSIM_CHUNK]) for i in range(0, len(a), SSIM_CHUNK)])
    x, y = a.double(), b.double()
    r = SSIM_RADIUS
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    g = torch.exp(-(t**2) / (2 * SSIM_SIGMA**2))
    g = g / g.sum()
    n = 2 * r + 1

    def blur(z: torch.Tensor) -> torch.Tensor:
        # The Gaussian window is separable: two 1-D passes of shifted, weighted sums (float64
        # grouped convolutions are far slower on CPU). Valid region only: the border is cropped.
        h, w = z.shape[-2:]
        z = sum(g[k] * z[..., k : h - n + 1 + k, :] for k in range(n))
        return sum(g[k] * z[..., k : w - n + 1 + k] for k in range(n))

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return s.mean(dim=(1, 2, 3)).float()


def frame_change(frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """How much a sequence changes from one frame to the next on the person: for t = 1..T-1, the
    mean over pixels where ``masks[t - 1]`` or ``masks[t]`` is set, and over channels, of
    ``|frames[t] - frames[t - 1]|``, in 0-255 units (0 where neither mask is set).

    ``frames`` (T, 3, H, W) in [0, 1], ``masks`` (T, H, W) bool -> (T - 1,). Compared with the same
    figure of the truth (or the reference) it shows flicker and pops: a method that adds change
    the truth does not have scores above it, and a surface that pops into view makes a spike.
    """
    if frames.ndim != 4 or frames.shape[1] != 3 or masks.shape != (frames.shape[0], *frames.shape[2:]):
        raise ValueError(f"frames must be (T, 3, H, W) and masks (T, H, W), got {tuple(frames.shape)} and {tuple(masks.shape)}")
    region = (masks[1:] | masks[:-1]).to(frames.dtype)  # (T - 1, H, W)
    change = (frames[1:] - frames[:-1]).abs().mean(1) * 255  # (T - 1, H, W)
    return (change * region).sum((1, 2)) / region.sum((1, 2)).clamp(min=1)
