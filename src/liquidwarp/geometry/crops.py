"""Square crops of an image and the camera that sees exactly that crop, resampled to a size."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from liquidwarp.geometry.cameras import Camera


def crop_camera(camera: Camera, crop: tuple[float, float, float], size: int) -> Camera:
    """The camera of a square ``crop`` (x0, y0, side) of the image, resampled to ``size`` pixels."""
    x0, y0, side = crop
    s = size / side
    offset = camera.principal.new_tensor([x0, y0])
    return Camera(camera.focal * s, (camera.principal - offset) * s, camera.rotation, camera.translation, (size, size))


def crop_image(image: np.ndarray, crop: tuple[float, float, float], size: int) -> np.ndarray:
    """Resample the square ``crop`` of an (H, W, C) image to ``size`` x ``size``; past the image's
    edges it is black (nothing is invented there: callers mark those pixels, see
    :func:`inside_photo`)."""
    x0, y0, side = crop
    s = size / side
    # pixel centres: out (j + .5) = s * (x - x0)  =>  x = (j + .5) / s + x0; OpenCV maps integer coords
    matrix = np.array([[s, 0.0, -s * x0 + 0.5 * s - 0.5], [0.0, s, -s * y0 + 0.5 * s - 0.5]])
    interpolation = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (size, size), flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def inside_photo(view: tuple[float, float, float], photo_size: tuple[int, int], size: int) -> torch.Tensor:
    """(1, size, size) bool: the view's pixels whose centre lies inside the photo."""
    x0, y0, side = view
    centres = (torch.arange(size, dtype=torch.float64) + 0.5) * (side / size)
    xs, ys = x0 + centres, y0 + centres
    h, w = photo_size
    return (((ys >= 0) & (ys < h))[:, None] & ((xs >= 0) & (xs < w))[None, :])[None]
