"""Putting a person over a background: alpha compositing, the feathered silhouette, and the
background with the person blanked out (G_BG's input).

Masks are float (B, 1, H, W), 1 = person; images any range (the operations are linear).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

BACKGROUND_MARGIN = 0.06  # of the side: how far past the body G_BG's input is blanked (the person's edge and shadow go too)


def composite(colour: torch.Tensor, alpha: torch.Tensor, background: torch.Tensor) -> torch.Tensor:
    """``alpha * colour + (1 - alpha) * background``; ``alpha`` is the person alpha."""
    return alpha * colour + (1 - alpha) * background


def feather_silhouette(mask: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) binary mask -> alpha: each mask pixel times the share of its 3 x 3
    neighbourhood inside the mask (replicated borders), so the inner edge row is partly
    transparent and the silhouette does not look cut out."""
    return mask * F.avg_pool2d(F.pad(mask, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


def margin_pixels(margin: float, side: int) -> int:
    """A margin given as a share of the image side, in whole pixels (at least 1 when > 0)."""
    return max(int(round(margin * side)), 1) if margin > 0 else 0


def blank_background(image: torch.Tensor, mask: torch.Tensor, margin: float = BACKGROUND_MARGIN) -> torch.Tensor:
    """G_BG's input: (B, 3, H, W) ``image`` with the body ``mask`` (B, 1, H, W), grown by ``margin``
    of the side (0: not grown), set to 0, and that grown region as a fourth channel -> (B, 4, H, W)."""
    radius = margin_pixels(margin, image.shape[-1])
    grown = mask.to(image.dtype)
    if radius:
        grown = F.max_pool2d(grown, 2 * radius + 1, stride=1, padding=radius)
    return torch.cat([image * (1 - grown), grown], dim=1)
