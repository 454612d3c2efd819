"""The project's image ranges and the only conversions between them.

Three ranges meet in the pipeline:
- **uint8** (H, W, 3) numpy arrays: files, videos, what the tasks return;
- **unit** (B, 3, H, W) float tensors in [0, 1]: photos inside the pipeline (sources, backgrounds,
  rendered textures);
- **model** (B, 3, H, W) float tensors in [-1, 1]: what the networks take and make.

The model range is always made from the unit range (``unit * 2 - 1``), so a photo enters the
networks as the same tensor whichever path (training, personalisation, inference) brought it.
"""

from __future__ import annotations

import numpy as np
import torch


def uint8_to_unit(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in [0, 1]."""
    if not (image.flags.writeable and image.flags.c_contiguous):
        image = np.array(image)  # torch takes only writable memory
    return torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255


def unit_to_uint8(image: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) or (3, H, W) float in [0, 1] (clipped) -> (H, W, 3) uint8, rounded."""
    image = image[0] if image.dim() == 4 else image
    return (image.detach().float().cpu().permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)


def unit_to_model(image: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1], any shape."""
    return image * 2 - 1


def model_to_unit(image: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], any shape (not clipped)."""
    return (image + 1) / 2


def uint8_to_model(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float32 in [-1, 1]."""
    return unit_to_model(uint8_to_unit(image))


def model_to_uint8(image: torch.Tensor) -> np.ndarray:
    """(1, 3, H, W) or (3, H, W) float in [-1, 1] (clipped) -> (H, W, 3) uint8, rounded."""
    return unit_to_uint8(model_to_unit(image.float()))


def uint8_frames_to_unit(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.array(frames)).permute(0, 3, 1, 2).float() / 255


def unit_frames_to_uint8(frames: torch.Tensor) -> np.ndarray:
    """(T, 3, H, W) float in [0, 1] (clipped) -> (T, H, W, 3) uint8, rounded."""
    return (frames.detach().float().cpu().permute(0, 2, 3, 1).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
