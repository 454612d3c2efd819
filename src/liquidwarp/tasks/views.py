"""Views of photos and videos: the square crop a task generates in, its camera and its pixels;
new backgrounds covering the output."""

from __future__ import annotations

import cv2
import numpy as np

from liquidwarp.geometry.crops import crop_camera, crop_image  # noqa: F401  (the task-level names)

VIEW_MARGIN = 1.35  # an output view is the person's crop grown by this factor


def to_height(image: np.ndarray, height: int) -> np.ndarray:
    """The whole (H, W, 3) image scaled to ``height`` rows, its aspect ratio kept."""
    h, w = image.shape[:2]
    width = max(int(round(w * height / h)), 1)
    interpolation = cv2.INTER_AREA if height < h else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def grow_crop(crop: tuple[float, float, float], factor: float) -> tuple[float, float, float]:
    x0, y0, side = crop
    new = side * factor
    return x0 - (new - side) / 2, y0 - (new - side) / 2, new




def cover(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The (h, w, 3) image scaled to cover ``size`` (H, W) and centre-cropped to it."""
    h, w = image.shape[:2]
    out_h, out_w = size
    scale = max(out_h / h, out_w / w)
    side_w, side_h = out_w / scale, out_h / scale
    x0, y0 = (w - side_w) / 2, (h - side_h) / 2
    matrix = np.array([[scale, 0.0, -scale * x0 + 0.5 * scale - 0.5], [0.0, scale, -scale * y0 + 0.5 * scale - 0.5]])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (out_w, out_h), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)


class Backgrounds:
    """A new background for every output picture, from a photo (the same every frame) or a video
    (frame t, looping when the video is shorter), covering the output's (H, W)."""

    def __init__(self, path, size: tuple[int, int]) -> None:
        from liquidwarp.errors import InputError
        from liquidwarp.io import media

        if media.is_video_path(path):
            self.frames = [cover(f, size) for f in media.iter_video_frames(path)]
            if not self.frames:
                raise InputError(f"{path}: the background video has no frames")
        elif media.is_image_path(path):
            self.frames = [cover(media.read_image(path), size)]
        else:
            raise InputError(f"{path}: a background must be an image or a video")

    def __call__(self, t: int) -> np.ndarray:
        """(H, W, 3) uint8 for output picture ``t``."""
        return self.frames[t % len(self.frames)]
