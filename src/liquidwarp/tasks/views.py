"""Views of photos and videos: the square crop a task generates in, its camera and its pixels;
new backgrounds covering the output; a source photo seen by the tasks (in a square around its
person, and as the output picture), and the camera's up direction they turn and ground bodies by."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.fitting.recover import Recovery
from liquidwarp.scene.views import PreparedSource, prepare_source
from liquidwarp.tasks.framing import VIEW_MARGIN, OutputFrame, frame_hole, output_frame, output_size, remove_person, resize_to


def to_height(image: np.ndarray, height: int) -> np.ndarray:
    """The whole (H, W, 3) image scaled to ``height`` rows, its aspect ratio kept."""
    height, width = output_size(image.shape[:2], height)
    interpolation = cv2.INTER_AREA if height < image.shape[0] else cv2.INTER_LINEAR
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


def camera_up(camera_rotation: torch.Tensor) -> torch.Tensor:
    """The camera's up direction (3,) in world coordinates, for a camera whose world-to-camera
    rotation is ``camera_rotation`` (3, 3): minus the camera's y axis (OpenCV cameras: y points
    down the image), which is row 1 of the rotation (``R^T e_y``)."""
    assert camera_rotation.shape == (3, 3), camera_rotation.shape
    return -camera_rotation[1]


def source_in_own_view(body: BodyModel, recovery: Recovery, size: int) -> PreparedSource:
    """A source photo's first fitted frame, seen in a square around its person."""
    seq = recovery.sequence
    frame = int(np.nonzero(seq.found)[0][0])
    view = grow_crop(seq.crop, VIEW_MARGIN)
    return prepare_source(body, recovery.footage.frames[frame], seq.params.index(frame), seq.camera, view, size)


@dataclass(frozen=True)
class SourceFrame:
    """The output picture of a source photo: its framing at the output size, the photo there (as
    it is, and with its person removed), and the side of the square the person is generated in
    (output pixels)."""

    frame: OutputFrame
    photo: np.ndarray  # (H, W, 3) uint8
    plate: np.ndarray  # (H, W, 3) uint8
    view_side: float


def source_frame(body: BodyModel, recovery: Recovery, size: int, height: int | None = None, keep_person: bool = False) -> SourceFrame:
    """The output picture of ``recovery``'s first fitted frame at ``height`` rows (default: the
    photo's own size); the person is in-painted away unless ``keep_person``, at the scale the
    generator sees them."""
    seq = recovery.sequence
    t = int(np.nonzero(seq.found)[0][0])
    image = recovery.footage.frames[t]
    frame = output_frame(seq.camera, image.shape[:2], height)
    view_side = grow_crop(seq.crop, VIEW_MARGIN)[2] * frame.scale
    photo = resize_to(image, frame.size)
    if keep_person:
        return SourceFrame(frame, photo, photo, view_side)
    observation = recovery.observations[t]
    hole = frame_hole(body, seq.params.index(t), seq.camera, None if observation is None else observation.mask, frame, view_side)
    return SourceFrame(frame, photo, remove_person(photo, hole, size / view_side), view_side)
