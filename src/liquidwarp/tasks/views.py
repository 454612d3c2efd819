"""Square views of photos and videos: the crop a task works in, its camera and its pixels."""

from __future__ import annotations

import cv2
import numpy as np

from liquidwarp.geometry.cameras import Camera

VIEW_MARGIN = 1.35  # an output view is the person's crop grown by this factor


def crop_camera(camera: Camera, crop: tuple[float, float, float], size: int) -> Camera:
    """The camera of a square ``crop`` (x0, y0, side) of the image, resampled to ``size`` pixels."""
    x0, y0, side = crop
    s = size / side
    offset = camera.principal.new_tensor([x0, y0])
    return Camera(camera.focal * s, (camera.principal - offset) * s, camera.rotation, camera.translation, (size, size))


def crop_image(image: np.ndarray, crop: tuple[float, float, float], size: int) -> np.ndarray:
    """Resample the square ``crop`` of an (H, W, C) image to ``size`` x ``size`` (mirrored past the edges)."""
    x0, y0, side = crop
    s = size / side
    # pixel centres: out (j + .5) = s * (x - x0)  =>  x = (j + .5) / s + x0; OpenCV maps integer coords
    matrix = np.array([[s, 0.0, -s * x0 + 0.5 * s - 0.5], [0.0, s, -s * y0 + 0.5 * s - 0.5]])
    interpolation = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (size, size), flags=interpolation, borderMode=cv2.BORDER_REFLECT_101)


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


