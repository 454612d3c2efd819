"""Square views of photos and videos: the crop a task works in, its camera and its pixels."""

from __future__ import annotations

import cv2
import numpy as np

from liquidwarp.geometry.crops import crop_camera, crop_image  # noqa: F401  (the task-level names)

VIEW_MARGIN = 1.35  # an output view is the person's crop grown by this factor


def letterbox(image: np.ndarray, size: int) -> np.ndarray:
    """The whole (H, W, 3) image scaled to fit ``size`` x ``size``, centred on black."""
    h, w = image.shape[:2]
    s = size / max(h, w)
    nh, nw = max(int(round(h * s)), 1), max(int(round(w * s)), 1)
    out = np.zeros((size, size, 3), np.uint8)
    y, x = (size - nh) // 2, (size - nw) // 2
    out[y : y + nh, x : x + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def grow_crop(crop: tuple[float, float, float], factor: float) -> tuple[float, float, float]:
    x0, y0, side = crop
    new = side * factor
    return x0 - (new - side) / 2, y0 - (new - side) / 2, new


