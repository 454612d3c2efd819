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




def cover(image: np.ndarray, size: int) -> np.ndarray:
    """The (H, W, 3) image scaled to cover ``size`` x ``size`` and centre-cropped to it."""
    h, w = image.shape[:2]
    side = min(h, w)
    return crop_image(image, ((w - side) / 2, (h - side) / 2, float(side)), size)


class Backgrounds:
    """A new background for every output frame, from a photo (the same every frame) or a video
    (frame t, looping when the video is shorter), covering the output view."""

    def __init__(self, path, size: int) -> None:
        from liquidwarp.errors import InputError
        from liquidwarp.io import media

        if media.is_video_path(path):
            frames = [cover(f, size) for f in media.iter_video_frames(path)]
            if not frames:
                raise InputError(f"{path}: the background video has no frames")
        elif media.is_image_path(path):
            frames = [cover(media.read_image(path), size)]
        else:
            raise InputError(f"{path}: a background must be an image or a video")
        import torch

        self.frames = [torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255 for f in frames]

    def __call__(self, t: int):
        """(1, 3, S, S) in [0, 1] for output frame ``t``."""
        return self.frames[t % len(self.frames)]
