"""Output framing: results keep the photo's own framing and aspect ratio.

The networks work on a square view around the person at the generation size (``--size``); the
result is the photo itself at the output size (its own size, or ``--height`` with the same aspect
ratio), with the person removed from it (:func:`remove_person`) and the generated person
composited back into it (:func:`paste`). Nothing outside the photo is ever invented: a view that
reaches past the photo's edge sees black there, and those pixels are neither sampled as the
person's appearance (:func:`liquidwarp.tasks.methods.prepare_source` marks them unseen) nor
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
from liquidwarp.tasks.views import VIEW_MARGIN

HOLE_DILATION = 0.03  # of the view's side: how far past the person the background is redone
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


def inside_photo(view: tuple[float, float, float], photo_size: tuple[int, int], size: int) -> torch.Tensor:
    """(1, size, size) bool: the view's pixels whose centre lies inside the photo."""
    x0, y0, side = view
    centres = (torch.arange(size, dtype=torch.float64) + 0.5) * (side / size)
    xs, ys = x0 + centres, y0 + centres
    h, w = photo_size
    return (((ys >= 0) & (ys < h))[:, None] & ((xs >= 0) & (xs < w))[None, :])[None]


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def person_hole(silhouette: np.ndarray, person_mask: np.ndarray | None, radius: float) -> np.ndarray:
    """(H, W) bool: where the background must be redone: the fitted body's ``silhouette`` and the
    perceived ``person_mask`` (hair and clothes the body model does not cover; > 0.5), grown by
    ``radius`` pixels."""
    hole = silhouette.astype(bool)
    if person_mask is not None:
        hole = hole | (person_mask > 0.5)
    r = max(int(round(radius)), 1)
    return cv2.dilate(hole.astype(np.uint8), _disc(r)).astype(bool)


def remove_person(image: np.ndarray, hole: np.ndarray, work_scale: float, method: str = "telea") -> np.ndarray:
    """``image`` (H, W, 3) uint8 with the ``hole`` (H, W) bool filled from around it.

    The fill is made at ``work_scale`` (working pixels per image pixel, at most 1: the scale the
    generator sees the person at, which keeps the cost of a large photo at the cost of the view)
    and pasted back into the hole only, with a soft edge of one working pixel; the rest of the
    image keeps its own pixels.
    """
    from liquidwarp.warping.inpaint import inpaint

    h, w = hole.shape
    if not hole.any():
        return image.copy()
    scale = min(float(work_scale), 1.0)
    small_size = (max(int(round(h * scale)), 8), max(int(round(w * scale)), 8))
    small = resize_to(image, small_size)
    small_hole = resize_to(hole.astype(np.uint8) * 255, small_size) > 0
    filled = resize_to(inpaint(small, small_hole, method), (h, w)).astype(np.float32)
    # Soft edge: the fill reaches one working pixel past the hole, fading out there.
    reach = max(int(round(1 / scale)), 1)
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


def source_plate(image: np.ndarray, silhouette: np.ndarray, person_mask: np.ndarray | None, frame: OutputFrame, view_side: float, size: int) -> np.ndarray:
    """The photo ``image`` (H, W, 3) at the output size with its person removed: the hole is the
    fitted body's ``silhouette`` (H, W) and the perceived ``person_mask`` (H, W, or None), grown by
    ``HOLE_DILATION`` of the person's view (``view_side`` output pixels), filled at the scale the
    generator sees the person (``size`` / ``view_side``)."""
    out = resize_to(image, frame.size)
    sil = resize_to(silhouette.astype(np.uint8) * 255, frame.size) > 127
    mask = None if person_mask is None else resize_to(person_mask.astype(np.float32), frame.size)
    hole = person_hole(sil, mask, HOLE_DILATION * view_side)
    return remove_person(out, hole, size / view_side)


def body_silhouette(body, params, camera: Camera) -> np.ndarray:
    """(H, W) bool: where the body ``params`` (B = 1) covers ``camera``'s image."""
    from liquidwarp.rendering.rasterize import rasterize

    with torch.no_grad():
        vertices = body(params).vertices
    return rasterize(camera.project(vertices), body.faces, camera.image_size).mask[0].numpy()


def render_in_frame(renderer, body, target, frame: OutputFrame, plate: np.ndarray, min_side: float, size: int) -> np.ndarray:
    """One output picture (H, W, 3) uint8: the ``target`` body (B = 1) made by ``renderer`` (a
    method of :mod:`liquidwarp.tasks.methods`) in a square view around it at ``size`` pixels
    (side at least ``min_side`` output pixels), over the ``plate`` (H, W, 3) uint8, pasted into it."""
    from liquidwarp.geometry.crops import crop_camera, crop_image
    from liquidwarp.rendering.rasterize import rasterize

    with torch.no_grad():
        vertices = body(target).vertices
    points = frame.camera.project(vertices)[0, :, :2].numpy()
    view = view_around(points, min_side)
    camera = crop_camera(frame.camera, view, size)
    behind = torch.from_numpy(crop_image(plate, view, size)).permute(2, 0, 1)[None].float() / 255
    generated = renderer.render(target, camera, behind)
    silhouette = rasterize(camera.project(vertices), body.faces, (size, size)).mask[0]
    return paste(plate, generated, paste_alpha(silhouette), view)
