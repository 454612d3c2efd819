"""Output framing: results keep the photo's own framing and aspect ratio.

The networks work on a square view around the person at the generation size (``--size``); the
result is the photo itself at the output size (its own size, or ``--height`` with the same aspect
ratio), with the person removed from it (:func:`remove_person`) and the generated person
composited back into it (:func:`paste`). Nothing outside the photo is ever invented: a view that
reaches past the photo's edge sees black there, and those pixels are neither sampled as the
person's appearance (:func:`liquidwarp.scene.views.prepare_source` marks them unseen) nor
pasted back (they lie outside the output).

Coordinates: a view is a square ``(x0, y0, side)`` in the pixels of the picture it is cut from
(``liquidwarp.geometry.crops``); pixel centres at ``(j + 0.5, i + 0.5)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from liquidwarp.geometry.cameras import Camera
from liquidwarp.io.images import uint8_to_unit
from liquidwarp.warping.inpaint import HOLE_DILATION

VIEW_MARGIN = 1.35  # an output view is the person's crop grown by this factor
EDGE_PIXELS = 1.5  # generated pixels: how far past the body's silhouette the paste reaches


@dataclass(frozen=True)
class OutputFrame:
    """The output picture: the photo's framing at the output size.

    Attributes:
        size: (H, W) of the output in pixels.
        scale: output pixels per photo pixel.
        camera: the photo's camera seen at the output size (B = 1).
    """

    size: tuple[int, int]
    scale: float
    camera: Camera


def output_size(photo_size: tuple[int, int], height: int | None = None) -> tuple[int, int]:
    """(H, W) of the output: the photo's own size, or ``height`` rows with the photo's aspect ratio
    (the width rounded to the nearest pixel, at least 1)."""
    h, w = photo_size
    if height is None:
        return int(h), int(w)
    if height < 1:
        raise ValueError(f"the output height must be at least 1 pixel, got {height}")
    return int(height), max(int(round(w * height / h)), 1)


def scale_camera(camera: Camera, scale: float, size: tuple[int, int]) -> Camera:
    """``camera`` seen on an image resized by ``scale`` to ``size`` (H, W)."""
    return Camera(camera.focal * scale, camera.principal * scale, camera.rotation, camera.translation, size)


def output_frame(camera: Camera, photo_size: tuple[int, int], height: int | None = None) -> OutputFrame:
    """The output picture of a photo of ``photo_size`` (H, W) seen by ``camera`` (B = 1)."""
    size = output_size(photo_size, height)
    scale = size[0] / photo_size[0]
    return OutputFrame(size, scale, scale_camera(camera, scale, size))


def resize_to(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(h, w, ...) -> ``size`` (H, W, ...); area averaging when shrinking, bilinear when growing."""
    if image.shape[:2] == tuple(size):
        return image
    shrink = size[0] < image.shape[0]
    return cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def view_around(points: np.ndarray, min_side: float, margin: float = VIEW_MARGIN) -> tuple[float, float, float]:
    """The square view ``(x0, y0, side)`` centred on the box of (N, 2) pixel ``points``: its side
    is the box's longer side times ``margin``, and at least ``min_side`` (so the person keeps one
    scale in the generator while they move)."""
    lo, hi = points.min(0), points.max(0)
    side = max(float((hi - lo).max()) * margin, float(min_side))
    cx, cy = (lo + hi) / 2
    return float(cx - side / 2), float(cy - side / 2), side


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def person_hole(silhouette: np.ndarray, person_mask: np.ndarray | None, radius: float) -> np.ndarray:
    """(H, W) bool: where the background must be redone: the fitted body's ``silhouette`` and the
    perceived ``person_mask`` (hair and clothes the body model does not cover; > 0.5), grown by
    ``radius`` pixels."""
    from liquidwarp.warping.inpaint import dilate_hole

    hole = silhouette.astype(bool)
    if person_mask is not None:
        hole = hole | (person_mask > 0.5)
    return dilate_hole(hole, max(int(round(radius)), 1))


def work_size(size: tuple[int, int], work_scale: float) -> tuple[int, int]:
    """(h, w): an image of ``size`` (H, W) at ``work_scale`` (at most 1), at least 8 pixels a side."""
    scale = min(float(work_scale), 1.0)
    return max(int(round(size[0] * scale)), 8), max(int(round(size[1] * scale)), 8)


def to_work(image: np.ndarray, hole: np.ndarray, work_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """``image`` and its ``hole`` at the working scale (a working pixel is in the hole when any of
    the image pixels it covers is)."""
    small = work_size(hole.shape, work_scale)
    return resize_to(image, small), resize_to(hole.astype(np.uint8) * 255, small) > 0


def remove_person(image: np.ndarray, hole: np.ndarray, work_scale: float, fill=None) -> np.ndarray:
    """``image`` (H, W, 3) uint8 with the ``hole`` (H, W) bool filled from around it.

    The fill is made at ``work_scale`` (working pixels per image pixel, at most 1: the scale the
    generator sees the person at, which keeps the cost of a large photo at the cost of the view)
    by ``fill(small_image, small_hole)`` (default: the single-photo fill,
    :func:`liquidwarp.warping.inpaint.fill_photo`) and pasted back into the hole only, with a soft
    edge of one working pixel; the rest of the image keeps its own pixels.
    """
    from liquidwarp.warping.inpaint import fill_photo

    h, w = hole.shape
    if not hole.any():
        return image.copy()
    small, small_hole = to_work(image, hole, work_scale)
    filled = (fill or fill_photo)(small, small_hole)
    filled = resize_to(filled, (h, w)).astype(np.float32)
    # Soft edge: the fill reaches one working pixel past the hole, fading out there.
    reach = max(int(round(h / small.shape[0])), 1)
    soft = cv2.GaussianBlur(cv2.dilate(hole.astype(np.uint8), _disc(reach)).astype(np.float32), (0, 0), reach / 2 + 0.3)
    alpha = np.maximum(soft, hole.astype(np.float32))[..., None]
    return (image.astype(np.float32) * (1 - alpha) + filled * alpha + 0.5).clip(0, 255).astype(np.uint8)


def paste_alpha(silhouette: torch.Tensor) -> np.ndarray:
    """(S, S) float alpha of a generated view: the body's ``silhouette`` (S, S) bool grown by
    ``EDGE_PIXELS`` and feathered, so the generated edge (and what the generator adds just past
    the mesh) comes with the person."""
    mask = silhouette.numpy().astype(np.uint8)
    grown = cv2.dilate(mask, _disc(int(np.ceil(EDGE_PIXELS))))
    return np.maximum(cv2.GaussianBlur(grown.astype(np.float32), (0, 0), EDGE_PIXELS / 2), mask.astype(np.float32))


def paste(canvas: np.ndarray, view_image: np.ndarray, alpha: np.ndarray, view: tuple[float, float, float]) -> np.ndarray:
    """``canvas`` (H, W, 3) uint8 with the generated ``view_image`` (S, S, 3) uint8 of the square
    ``view`` (in canvas pixels) laid over it with ``alpha`` (S, S) in [0, 1]. Only the part of
    the view inside the canvas is used; a new array is returned."""
    h, w = canvas.shape[:2]
    x0, y0, side = view
    s = view_image.shape[0] / side
    # Canvas pixels the view covers (clipped to the canvas), with a one-pixel guard band.
    c0, r0 = max(int(np.floor(x0)) - 1, 0), max(int(np.floor(y0)) - 1, 0)
    c1, r1 = min(int(np.ceil(x0 + side)) + 1, w), min(int(np.ceil(y0 + side)) + 1, h)
    out = canvas.copy()
    if c1 <= c0 or r1 <= r0:
        return out
    # canvas pixel (c, r) of the region -> view pixel: (c + c0 + .5 - x0) * s - .5
    matrix = np.array([[s, 0.0, (c0 + 0.5 - x0) * s - 0.5], [0.0, s, (r0 + 0.5 - y0) * s - 0.5]])
    region = (c1 - c0, r1 - r0)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    person = cv2.warpAffine(view_image, matrix, region, flags=flags, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    a = cv2.warpAffine(alpha.astype(np.float32), matrix, region, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)[..., None]
    under = out[r0:r1, c0:c1].astype(np.float32)
    out[r0:r1, c0:c1] = (under * (1 - a) + person * a + 0.5).clip(0, 255).astype(np.uint8)
    return out


def frame_hole(body, params, camera: Camera, person_mask: np.ndarray | None, frame: OutputFrame, view_side: float) -> np.ndarray:
    """(H, W) bool at the output size: where a photo's person hides the background: the fitted
    body ``params`` (B = 1) seen by the photo's ``camera`` and the perceived ``person_mask`` (photo
    size, or None), grown by ``HOLE_DILATION`` of the person's view (``view_side`` output pixels)."""
    silhouette = body_silhouette(body, params, scale_camera(camera, frame.scale, frame.size))
    mask = None if person_mask is None else resize_to(person_mask.astype(np.float32), frame.size)
    return person_hole(silhouette, mask, HOLE_DILATION * view_side)


STILL_CAMERA_ERROR = 6.0  # mean |frame - median| (0-255) of the background below which a clip's camera counts as still
PLATE_FRAMES = 40  # at most this many frames of a clip give the still camera's background


class VideoPlates:
    """Each frame of a video with its person removed. With a still camera the background behind
    the person is taken from the other frames, where the person has moved away
    (:func:`liquidwarp.warping.inpaint.clean_plate`); what no frame shows, and every hole of a
    moving camera's clip, is in-painted.

    Only the ``PLATE_FRAMES`` frames the background is drawn from are kept (at the working scale),
    so memory does not grow with the clip; ``frames`` and ``holes`` are read by index, once per
    plate frame here and once per call.

    Args:
        frames: T (H, W, 3) uint8 at any size (resized to the output's): an array or any sequence
            that reads frames when indexed (:class:`liquidwarp.io.media.VideoFrames`).
        holes: T (H, W) bool holes at the output size (:func:`frame_hole`), likewise.
        work_scale: working pixels per output pixel (the generator's scale).
    """

    def __init__(self, frames, holes, work_scale: float) -> None:
        from liquidwarp.warping.inpaint import background_from_frames

        self.frames, self.holes, self.work_scale = frames, holes, work_scale
        self.indices = np.unique(np.linspace(0, len(frames) - 1, min(PLATE_FRAMES, len(frames))).round().astype(int))
        size = holes[int(self.indices[0])].shape
        works = [to_work(resize_to(frames[t], size), holes[t], work_scale) for t in self.indices]
        # The plate frames, and one more slot for the frame being cleaned (see __call__).
        self.small = np.stack([w[0] for w in works] + [works[0][0]])
        self.small_holes = np.stack([w[1] for w in works] + [works[0][1]])
        k = len(self.indices)
        background, seen = background_from_frames(self.small, self.small_holes, np.arange(k))
        shown = seen[None] & ~self.small_holes[:k]
        error = np.abs(self.small[:k].astype(np.float32) - background[None]).mean(-1)
        self.still = len(frames) > 1 and bool(shown.any()) and float(error[shown].mean()) < STILL_CAMERA_ERROR

    def __call__(self, t: int) -> np.ndarray:
        """(H, W, 3) uint8: frame ``t`` at the output size with its person removed."""
        from liquidwarp.warping.inpaint import clean_plate

        hole = self.holes[t]
        fill = None
        if self.still:
            k = len(self.indices)
            others = np.flatnonzero(self.indices != t)

            def fill(small: np.ndarray, small_hole: np.ndarray) -> np.ndarray:
                self.small[k], self.small_holes[k] = small, small_hole
                return clean_plate(self.small, self.small_holes, k, indices=others)

        return remove_person(resize_to(self.frames[t], hole.shape), hole, self.work_scale, fill)


def body_silhouette(body, params, camera: Camera) -> np.ndarray:
    """(H, W) bool: where the body ``params`` (B = 1) covers ``camera``'s image."""
    from liquidwarp.rendering.rasterize import rasterize

    with torch.no_grad():
        vertices = body(params).vertices
    return rasterize(camera.project(vertices), body.faces, camera.image_size).mask[0].numpy()


def render_in_frame(renderer, body, target, frame: OutputFrame, plate: np.ndarray, min_side: float, size: int) -> np.ndarray:
    """One output picture (H, W, 3) uint8: the ``target`` body (B = 1) made by ``renderer`` (a
    method of :mod:`liquidwarp.methods`) in a square view around it at ``size`` pixels
    (side at least ``min_side`` output pixels), over the ``plate`` (H, W, 3) uint8, pasted into it."""
    from liquidwarp.geometry.crops import crop_camera, crop_image
    from liquidwarp.rendering.rasterize import rasterize

    with torch.no_grad():
        vertices = body(target).vertices
    points = frame.camera.project(vertices)[0, :, :2].numpy()
    view = view_around(points, min_side)
    camera = crop_camera(frame.camera, view, size)
    behind = uint8_to_unit(crop_image(plate, view, size))
    generated = renderer.render(target, camera, behind)
    silhouette = rasterize(camera.project(vertices), body.faces, (size, size)).mask[0]
    return paste(plate, generated, paste_alpha(silhouette), view)
