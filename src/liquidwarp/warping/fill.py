"""Classical fills in image space: the push-pull fill of a hole, and the fill of the body pixels
no source sees (what G_TSF and the network-free ``warp`` method start from).

Masks here are bool (B, H, W) for "which pixels" and float (B, 1, H, W) for holes blended in.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GUESS_REACH = 0.12  # of the image width: the window in which seen pixels vouch for the push-pull fill


def push_pull_fill(image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
    """Fill the ``hole`` (B, 1, H, W; 1 = unknown) of ``image`` (B, C, H, W) by push-pull: average
    the known pixels down an image pyramid, then back up, each level keeping what it knows and
    taking the rest from the coarser level (Gortler et al., "The Lumigraph", SIGGRAPH 1996).
    Known pixels are unchanged; a hole with nothing known anywhere becomes 0."""
    known = 1 - hole
    levels = []
    value, weight = image * known, known
    while min(value.shape[-2:]) > 1:
        levels.append((value, weight))
        value = F.avg_pool2d(value, 2, ceil_mode=True)
        weight = F.avg_pool2d(weight, 2, ceil_mode=True)
    fill = value / weight.clamp(min=1e-6)
    for value, weight in reversed(levels):
        coarse = F.interpolate(fill, size=value.shape[-2:], mode="bilinear", align_corners=False)
        confidence = (weight * 4).clamp(max=1.0)  # a quarter of a 2 x 2 block known is enough
        fill = value / weight.clamp(min=1e-6) * confidence + coarse * (1 - confidence)
    return fill * hole + image * known


def fill_unseen_body(
    image: torch.Tensor, seen: torch.Tensor, body: torch.Tensor, region: torch.Tensor | None = None, guess: torch.Tensor | None = None
) -> torch.Tensor:
    """``image`` (B, 3, H, W), valid where ``seen`` (B, H, W): the pixels of the target ``body``
    (B, H, W) bool (only those in ``region`` (B, H, W) when given) that are not seen take the
    push-pull fill of the seen pixels; everything else is unchanged. A plain image-space fill, but
    measured better than the ``warp`` method's baked-texture fill on held-out synthetic
    self-imitation (mean abs error 16.7 vs 19.9 of 255 on those pixels). ``guess`` (B, 3, H, W),
    when given, is blended with the push-pull fill by how far a pixel lies from the seen ones: the
    push-pull fill next to them, the guess (a texture baked from the sources and completed) where
    few seen pixels are near (:func:`guess_weight`). Measured on `liquidwarp bench unseen` (4
    synthetic people turned 90/135/180 degrees), against the plain average of the two used before:
    unshaded 15.1/19.6/28.6 -> 14.9/17.7/18.5, shaded 14.9/17.7/23.1 -> 16.8/18.3/18.0 (the ghostly
    back at 180 degrees gone)."""
    if bool(seen.all()) or not bool(seen.any()):
        return image
    if region is not None:
        body = body & region
    hole = (body & ~seen)[:, None]
    filled = push_pull_fill(image.float(), (~seen)[:, None].float()).to(image.dtype)
    if guess is not None:
        weight = guess_weight(seen).to(filled.dtype)
        filled = (1 - weight) * filled + weight * guess.to(filled.dtype)
    return torch.where(hole, filled, image)


def guess_weight(seen: torch.Tensor) -> torch.Tensor:
    """(B, H, W) bool seen pixels -> (B, 1, H, W) in [0, 1]: 1 - 2 x the share of seen pixels in a
    window of ``GUESS_REACH`` of the width around each pixel, clamped (0 at the edge of the seen
    region and inside it, 1 where none is near)."""
    k = max(int(round(GUESS_REACH * seen.shape[-1])) // 2 * 2 + 1, 3)
    # The window's mean as two 1-D means (the same figure, k times fewer operations).
    share = F.avg_pool2d(seen[:, None].float(), (k, 1), 1, (k // 2, 0), count_include_pad=False)
    share = F.avg_pool2d(share, (1, k), 1, (0, k // 2), count_include_pad=False)
    return (1 - 2 * share).clamp(0, 1)
