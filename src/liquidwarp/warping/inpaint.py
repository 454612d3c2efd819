"""Filling a hole in an image from its surroundings."""

from __future__ import annotations

import cv2
import numpy as np


def inpaint(image: np.ndarray, hole: np.ndarray, method: str = "telea") -> np.ndarray:
    """(H, W, 3) uint8 ``image`` with ``hole`` (H, W) bool filled (OpenCV Telea)."""
    radius = max(int(round(0.03 * min(hole.shape))), 3)
    return cv2.inpaint(image, hole.astype(np.uint8) * 255, radius, cv2.INPAINT_TELEA)
