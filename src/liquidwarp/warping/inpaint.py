"""Filling the hole a person leaves in a photo's background.

Two ways, for a single photo and for a video from a static camera:

- :func:`inpaint` completes a hole from the rest of the image. ``"telea"`` is OpenCV's fast
  marching method (Telea 2004): smooth, and a blurred smear over a person-sized hole. ``"patch"``
  is exemplar-based completion: every patch that overlaps the hole is matched to a patch of known
  pixels by a PatchMatch nearest-neighbour field (Barnes et al., *PatchMatch*, SIGGRAPH 2009,
  section 3: random initialisation, propagation, random search), and each hole pixel becomes the
  weighted vote of the matched patches that cover it (Wexler, Shechtman and Irani, *Space-Time
  Completion of Video*, TPAMI 2007, section 3, equation 3, with their weights
  ``exp(-d / (2 sigma^2))``, sigma^2 the 75th percentile of the distances). Both steps alternate
  (an EM-like iteration) coarse to fine over an image pyramid; the coarsest level starts from
  the Telea fill, each finer level from the coarser level's field, scaled up. Patches are
  compared on colour and on two texture features (the mean absolute x and y derivative over a
  patch-sized window; Newson et al., SIAM J. Imaging Sci. 2014, section 4.2), which keep the
  smooth start from being matched to smooth patches only. Limit: a texture whose period is
  larger than a patch at the coarsest level (shorter side 48 to 95 pixels) can come out with
  jumps of phase.
- :func:`background_from_frames` takes, for a static camera, each pixel's median over the frames
  where the person is not there; :func:`clean_plate` gives one frame's background: its own
  pixels where the person is not, other frames where they show the background, and
  :func:`inpaint` for what no frame shows.

Conventions: images are ``(H, W, 3)`` uint8 (any channel order: the channels are treated alike),
holes and person masks ``(H, W)`` bool with True = to be filled (1 = person, as everywhere in
liquidwarp). Pixels outside the hole are returned unchanged, bit for bit; patches are taken only
from pixels outside the hole. ``"patch"`` is deterministic: its random search draws from numba's
generator, seeded on every call.

Speed of ``"patch"`` (2-core x86_64 CPU shared with other jobs, load average 7, after numba's
first compilation, which is cached on disk): 1.2 s for a 256x256 view with a 26 % person-shaped
hole, 4.7 s at 512x512, 18 s for a 1080x1920 frame with an 11 % hole (Telea: 0.2 s, 2.4 s, 33 s,
its radius growing with the image). The cost grows with the number of hole pixels; callers that
need speed fill a ~256-pixel view (see ``BENCHMARKS.md``, "Person-hole in-painting").
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numba
import numpy as np

METHODS = ("telea", "patch")
HOLE_DILATION = 0.03  # of the view's side: how far past the person mask the background is redone
TELEA_RADIUS = 0.03  # of the image's shorter side: OpenCV's neighbourhood radius (at least 3 px)
PATCH_SIZE = 7  # side of the square patches matched and voted, pixels (odd)
COARSEST_SIDE = 48  # the pyramid stops halving once the shorter side would fall below this
MIN_SOURCES = 64  # ... or once fewer patch centres than this would lie wholly in known pixels
EM_ITERATIONS = (10, 4)  # match + vote rounds at the coarsest level, and at the finest (linear between)
MATCH_ITERATIONS = 2  # PatchMatch sweeps (propagation + random search) per round
SIGMA_PERCENTILE = 75  # voting weights exp(-d / (2 sigma^2)), sigma^2 this percentile of d (Wexler et al.)
BOUNDARY_GAMMA = 1.3  # voting weights also times gamma^-(distance into the hole), pixels (Wexler et al., section 3.2)
FEATURE_WEIGHT = 3.0  # texture features' weight against colour in the patch distance (Newson et al.)
#: ``smooth_sigma`` of the pipeline's single-photo fill (:func:`fill_photo`): the patch fill's detail
#: over Telea's low frequencies (4 px at 256). Against the pure patch fill it lowers the pixel
#: error of person-sized holes in real photos (lab self-imitation `warp`: PSNR 21.72 -> 22.57) at
#: the cost of fainter regular textures (BENCHMARKS.md, "Person-hole in-painting").
PHOTO_SMOOTH = 1 / 64


def telea_radius(height: int, width: int) -> int:
    """OpenCV Telea's neighbourhood radius for an image of this size, pixels."""
    return max(int(round(TELEA_RADIUS * min(height, width))), 3)


def dilate_hole(hole: np.ndarray, radius: int) -> np.ndarray:
    """(H, W) bool -> (H, W) bool grown by a disc of ``radius`` pixels (0: unchanged).

    Person masks stop short of hair, shadows and blur at the person's edge; the pipeline grows
    them by ``0.03 x`` the image side before filling (``HOLE_DILATION``)."""
    _check_mask(hole, "hole")
    if radius <= 0:
        return hole.copy()
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(hole.astype(np.uint8), kernel).astype(bool)


def inpaint(
    image: np.ndarray,
    hole: np.ndarray,
    method: str = "patch",
    *,
    patch_size: int = PATCH_SIZE,
    smooth_sigma: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """Fill ``hole`` from the rest of ``image``.

    Args:
        image: (H, W, 3) uint8.
        hole: (H, W) bool, True where the image is to be completed.
        method: ``"patch"`` (exemplar-based, see the module docstring) or ``"telea"`` (OpenCV).
        patch_size: ``"patch"`` only: side of the matched patches (odd, >= 3).
        smooth_sigma: ``"patch"`` only: when > 0, keep only the patch fill's detail and take the
            low frequencies (a Gaussian of this sigma, as a fraction of the shorter side; 1/64
            = 4 px at 256) from the Telea fill. It hedges against copied structures of the
            wrong colour (it lowers pixel errors on person-sized holes in real photos) but blurs
            a regular texture's completion towards Telea's smear; 0 (default) is the pure
            patch fill.
        seed: ``"patch"`` only: seed of the random search.

    Returns:
        (H, W, 3) uint8: ``image`` outside the hole, exactly; the completion inside it. With no
        known pixel at all the hole is filled with mid-grey (128). Where no ``patch_size`` patch
        lies wholly outside the hole, ``"patch"`` returns the Telea fill.
    """
    _check_image(image, "image")
    _check_mask(hole, "hole", image.shape[:2])
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if patch_size < 3 or patch_size % 2 == 0:
        raise ValueError(f"patch_size must be odd and >= 3, got {patch_size}")
    if not smooth_sigma >= 0:
        raise ValueError(f"smooth_sigma must be >= 0, got {smooth_sigma}")
    out = image.copy()
    if not hole.any():
        return out
    if hole.all():
        out[:] = 128
        return out
    if method == "telea":
        return _telea(image, hole)
    filled = _patch_fill(image, hole, patch_size // 2, seed)
    if smooth_sigma > 0:
        # The patch fill's detail over the Telea fill's low frequencies.
        smooth = _telea(image, hole).astype(np.float32)
        sigma = smooth_sigma * min(image.shape[:2])
        filled = filled - cv2.GaussianBlur(filled, (0, 0), sigma) + cv2.GaussianBlur(smooth, (0, 0), sigma)
    out[hole] = np.clip(filled[hole] + 0.5, 0, 255).astype(np.uint8)
    return out


def background_from_frames(
    frames: np.ndarray, person: np.ndarray, indices: Sequence[int] | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A static camera's background: each pixel's median over the frames that show it.

    Args:
        frames: (T, H, W, 3) uint8 (a memory map is fine: it is read, never copied).
        person: (T, H, W) bool, True where the person (or anything moving) hides the background.
        indices: use only these frames (default all): a subsample keeps long videos cheap.

    Returns:
        ``background`` (H, W, 3) uint8: per pixel and channel, the median over the frames where
        ``person`` is False (for an even count, the mean of the two middle values rounded half
        up), 0 where no frame shows the pixel; ``seen`` (H, W) bool: whether any frame shows it.
    """
    frames, person, chosen = _check_frames(frames, person, indices)
    height, width = frames.shape[1:3]
    background = np.zeros((height, width, 3), np.uint8)
    seen = np.zeros((height, width), bool)
    _median_background(frames, person, chosen, np.ones((height, width), bool), background, seen)
    return background, seen


def clean_plate(
    frames: np.ndarray,
    person: np.ndarray,
    t: int,
    method: str = "patch",
    indices: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """Frame ``t`` with the person removed: its own pixels where ``person[t]`` is False, the
    median of the other frames (:func:`background_from_frames`) where they show the background,
    and :func:`inpaint` with ``method`` for what no frame shows.

    Args:
        frames: (T, H, W, 3) uint8, a static camera.
        person: (T, H, W) bool, True = person (grow it first, :func:`dilate_hole`, as for
            :func:`inpaint`).
        t: the frame to clean.
        method: how to fill what no other frame shows (see :func:`inpaint`).
        indices: the other frames to draw from (default all but ``t``).

    Returns:
        (H, W, 3) uint8; ``frames[t]`` bit for bit outside ``person[t]``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if indices is None:
        if not isinstance(frames, np.ndarray) or frames.ndim != 4:
            raise ValueError(f"frames must be a (T, H, W, 3) uint8 array, got {_describe(frames)}")
        indices = [i for i in range(frames.shape[0]) if i != t]
    frames, person, chosen = _check_frames(frames, person, indices)
    if not 0 <= t < frames.shape[0]:
        raise ValueError(f"t must be in [0, {frames.shape[0]}), got {t}")
    chosen = chosen[chosen != t]
    hole = person[t]
    plate = frames[t].copy()
    seen = np.zeros(hole.shape, bool)
    if chosen.size:
        _median_background(frames, person, chosen, hole, plate, seen)
    missing = hole & ~seen
    if missing.any():
        plate = inpaint(plate, missing, method)
    return plate


# ----------------------------------------------------------------------------------------------
# Checks


def _describe(x: object) -> str:
    return f"{x.dtype} {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__


def _check_image(image: np.ndarray, name: str) -> None:
    if not (isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
        raise ValueError(f"{name} must be an (H, W, 3) uint8 array, got {_describe(image)}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{name} is empty: {image.shape}")


def _check_mask(mask: np.ndarray, name: str, shape: tuple[int, ...] | None = None) -> None:
    if not (isinstance(mask, np.ndarray) and mask.dtype == bool and mask.ndim == 2):
        raise ValueError(f"{name} must be an (H, W) bool array, got {_describe(mask)}")
    if shape is not None and mask.shape != tuple(shape):
        raise ValueError(f"{name} must be {tuple(shape)}, got {mask.shape}")


def _check_frames(frames: np.ndarray, person: np.ndarray, indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not (isinstance(frames, np.ndarray) and frames.dtype == np.uint8 and frames.ndim == 4 and frames.shape[3] == 3):
        raise ValueError(f"frames must be a (T, H, W, 3) uint8 array, got {_describe(frames)}")
    if not (isinstance(person, np.ndarray) and person.dtype == bool and person.shape == frames.shape[:3]):
        raise ValueError(f"person must be a {frames.shape[:3]} bool array, got {_describe(person)}")
    count = frames.shape[0]
    chosen = np.arange(count, dtype=np.int64) if indices is None else np.asarray(indices, dtype=np.int64).reshape(-1)
    if chosen.size and (chosen.min() < 0 or chosen.max() >= count):
        raise ValueError(f"indices must lie in [0, {count}), got {chosen.min()}..{chosen.max()}")
    if not frames.flags.c_contiguous or not person.flags.c_contiguous:
        raise ValueError("frames and person must be C-contiguous (np.ascontiguousarray copies them once)")
    return frames, person, chosen


def fill_photo(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The fill the pipeline uses for a single photo: :func:`inpaint` by ``"patch"`` with
    ``smooth_sigma=PHOTO_SMOOTH``; arguments and result as there."""
    return inpaint(image, hole, "patch", smooth_sigma=PHOTO_SMOOTH)


# ----------------------------------------------------------------------------------------------
# Telea


def _telea(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    radius = telea_radius(*image.shape[:2])
    return cv2.inpaint(image, hole.astype(np.uint8) * 255, radius, cv2.INPAINT_TELEA)


# ----------------------------------------------------------------------------------------------
# Patch-based completion


def _half(image: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One pyramid step: 2x2 means (edges repeated to an even size); a coarse pixel is in the hole
    where any of its four is, so known coarse pixels are made of known pixels only."""
    height, width = hole.shape
    pad = ((0, height % 2), (0, width % 2))
    image = np.pad(image, pad + ((0, 0),), mode="edge")
    hole = np.pad(hole, pad, mode="edge")
    h2, w2 = hole.shape[0] // 2, hole.shape[1] // 2
    coarse = image.reshape(h2, 2, w2, 2, image.shape[2]).mean(axis=(1, 3), dtype=np.float32)
    return coarse, hole.reshape(h2, 2, w2, 2).any(axis=(1, 3))


def _sources(hole: np.ndarray, radius: int) -> np.ndarray:
    """(H, W) bool: patch centres whose whole patch lies inside the image and outside the hole."""
    side = 2 * radius + 1
    known = (~hole).astype(np.uint8)
    return cv2.erode(known, np.ones((side, side), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)


def _targets(hole: np.ndarray, radius: int) -> np.ndarray:
    """(H, W) bool: patch centres whose patch overlaps the hole."""
    side = 2 * radius + 1
    return cv2.dilate(hole.astype(np.uint8), np.ones((side, side), np.uint8)).astype(bool)


def _patch_fill(image: np.ndarray, hole: np.ndarray, radius: int, seed: int) -> np.ndarray:
    """(H, W, 3) float32 completion (only its hole pixels are meant)."""
    levels = [(_with_features(image, hole, 2 * radius + 1), hole)]
    while True:
        coarse, coarse_hole = _half(*levels[-1])
        if min(coarse_hole.shape) < COARSEST_SIDE or coarse_hole.all():
            break
        if np.count_nonzero(_sources(coarse_hole, radius)) < MIN_SOURCES:
            break
        levels.append((coarse, coarse_hole))
    if not _sources(levels[0][1], radius).any():
        return _telea(image, hole).astype(np.float32)

    _seed(seed)
    nnf_y = nnf_x = tidx = None
    for depth in range(len(levels) - 1, -1, -1):
        level_image, level_hole = levels[depth]
        work = level_image.copy()
        valid = _sources(level_hole, radius)
        source_y, source_x = np.nonzero(valid)
        target_y, target_x = np.nonzero(_targets(level_hole, radius))
        level_tidx = np.full(level_hole.shape, -1, np.int64)
        level_tidx[target_y, target_x] = np.arange(target_y.size)
        if nnf_y is None:
            # Coarsest level: a smooth start (Telea, three channels at a time), and a random field.
            for first in range(0, work.shape[2], 3):
                part = np.zeros(work.shape[:2] + (3,), np.float32)
                part[..., : min(3, work.shape[2] - first)] = work[..., first : first + 3]
                start = _telea(np.clip(part + 0.5, 0, 255).astype(np.uint8), level_hole).astype(np.float32)
                work[level_hole, first : first + 3] = start[level_hole][:, : min(3, work.shape[2] - first)]
            pick = _random_sources(target_y.size, source_y.size)
            nnf_y, nnf_x = source_y[pick], source_x[pick]
        else:
            # Finer level: the coarser result, scaled up, as the start; its field, scaled up.
            up = cv2.resize(previous, (level_hole.shape[1], level_hole.shape[0]), interpolation=cv2.INTER_LINEAR)
            work[level_hole] = up[level_hole]
            nnf_y, nnf_x = _upsample_field(target_y, target_x, tidx, nnf_y, nnf_x, valid, source_y, source_x)
        tidx = level_tidx
        distance = np.empty(target_y.size, np.float32)
        inside = cv2.distanceTransform(level_hole.astype(np.uint8), cv2.DIST_L2, 3)[target_y, target_x]
        prior = (BOUNDARY_GAMMA ** -inside).astype(np.float64)
        fraction = depth / max(len(levels) - 1, 1)
        rounds = int(round(EM_ITERATIONS[1] + fraction * (EM_ITERATIONS[0] - EM_ITERATIONS[1])))
        for _ in range(rounds):
            _patchmatch(work, valid, target_y, target_x, tidx, nnf_y, nnf_x, distance, source_y, source_x, radius, MATCH_ITERATIONS)
            sigma2 = max(float(np.percentile(distance, SIGMA_PERCENTILE)), 1e-3)
            _vote(work, level_hole, target_y, target_x, nnf_y, nnf_x, distance, prior, radius, sigma2)
        previous = work
    return previous[..., :3]


def _with_features(image: np.ndarray, hole: np.ndarray, side: int) -> np.ndarray:
    """(H, W, 3 + 2) float32: the colours and, as two more channels, the mean absolute x and y
    derivative of the grey level over a ``side``-pixel window of known pixels (Newson et al.,
    *Video Inpainting of Complex Scenes*, SIAM J. Imaging Sci. 2014, section 4.2: texture
    features keep smooth patches from matching textured ones), times FEATURE_WEIGHT."""
    colour = image.astype(np.float32)
    if FEATURE_WEIGHT <= 0:
        return colour
    grey = colour.mean(axis=2)
    known = (~hole).astype(np.float32)
    dx = np.zeros_like(grey)
    dy = np.zeros_like(grey)
    dx[:, 1:] = np.abs(np.diff(grey, axis=1)) * known[:, 1:] * known[:, :-1]
    dy[1:] = np.abs(np.diff(grey, axis=0)) * known[1:] * known[:-1]
    count = cv2.boxFilter(known, -1, (side, side), normalize=False, borderType=cv2.BORDER_REFLECT)
    features = [cv2.boxFilter(d, -1, (side, side), normalize=False, borderType=cv2.BORDER_REFLECT) / np.maximum(count, 1) for d in (dx, dy)]
    return np.concatenate([colour, FEATURE_WEIGHT * np.stack(features, axis=2)], axis=2).astype(np.float32)


@numba.njit(cache=True)
def _seed(seed: int) -> None:
    np.random.seed(seed)


@numba.njit(cache=True)
def _random_sources(count: int, sources: int) -> np.ndarray:
    pick = np.empty(count, np.int64)
    for k in range(count):
        pick[k] = np.random.randint(0, sources)
    return pick


@numba.njit(cache=True)
def _upsample_field(target_y, target_x, coarse_tidx, coarse_y, coarse_x, valid, source_y, source_x):
    """Each fine patch centre takes its coarse parent's match, doubled, plus its own offset within
    the parent; where that lands off the known patch centres, a random one."""
    height, width = valid.shape
    count = target_y.size
    nnf_y = np.empty(count, np.int64)
    nnf_x = np.empty(count, np.int64)
    for k in range(count):
        y, x = target_y[k], target_x[k]
        parent = coarse_tidx[y // 2, x // 2]
        found = False
        if parent >= 0:
            sy = 2 * coarse_y[parent] + y % 2
            sx = 2 * coarse_x[parent] + x % 2
            if 0 <= sy < height and 0 <= sx < width and valid[sy, sx]:
                nnf_y[k], nnf_x[k] = sy, sx
                found = True
        if not found:
            j = np.random.randint(0, source_y.size)
            nnf_y[k], nnf_x[k] = source_y[j], source_x[j]
    return nnf_y, nnf_x


@numba.njit(cache=True, inline="always")
def _distance(image, ty, tx, sy, sx, radius, limit):
    """Mean squared colour difference per pixel between the patches at (ty, tx) and (sy, sx),
    over the target patch's pixels inside the image (the source patch lies wholly inside). Stops
    early, returning something above ``limit``, once the sum shows it cannot end below it."""
    height, width = image.shape[0], image.shape[1]
    full = (2 * radius + 1) * (2 * radius + 1)
    total = 0.0
    count = 0
    for dy in range(-radius, radius + 1):
        y = ty + dy
        if y < 0 or y >= height:
            continue
        for dx in range(-radius, radius + 1):
            x = tx + dx
            if x < 0 or x >= width:
                continue
            for c in range(image.shape[2]):
                e = image[y, x, c] - image[sy + dy, sx + dx, c]
                total += e * e
            count += 1
        if total > limit * full:
            return total / max(count, 1)
    return total / count


@numba.njit(cache=True)
def _patchmatch(image, valid, target_y, target_x, tidx, nnf_y, nnf_x, distance, source_y, source_x, radius, sweeps):
    """Barnes et al. 2009, section 3.2: alternate raster and reverse-raster sweeps; each patch
    centre tries its scan-order neighbours' matches shifted by one (propagation), then random
    candidates in windows halving from the image size (random search, alpha = 1/2)."""
    height, width = valid.shape
    count = target_y.size
    inf = np.inf
    for k in range(count):
        distance[k] = _distance(image, target_y[k], target_x[k], nnf_y[k], nnf_x[k], radius, inf)
    for sweep in range(sweeps):
        step = 1 if sweep % 2 == 0 else -1
        for i in range(count):
            k = i if step == 1 else count - 1 - i
            y, x = target_y[k], target_x[k]
            best_y, best_x, best = nnf_y[k], nnf_x[k], distance[k]
            # Propagation: the neighbour already visited in this sweep, left/right then up/down.
            for n in range(2):
                ny = y - step if n == 1 else y
                nx = x - step if n == 0 else x
                if ny < 0 or ny >= height or nx < 0 or nx >= width:
                    continue
                j = tidx[ny, nx]
                if j < 0:
                    continue
                cy = nnf_y[j] + (y - ny)
                cx = nnf_x[j] + (x - nx)
                if 0 <= cy < height and 0 <= cx < width and valid[cy, cx] and (cy != best_y or cx != best_x):
                    d = _distance(image, y, x, cy, cx, radius, best)
                    if d < best:
                        best_y, best_x, best = cy, cx, d
            # Random search around the current best.
            window = max(height, width)
            while window >= 1:
                cy = best_y + np.random.randint(-window, window + 1)
                cx = best_x + np.random.randint(-window, window + 1)
                if 0 <= cy < height and 0 <= cx < width and valid[cy, cx]:
                    d = _distance(image, y, x, cy, cx, radius, best)
                    if d < best:
                        best_y, best_x, best = cy, cx, d
                window //= 2
            nnf_y[k], nnf_x[k], distance[k] = best_y, best_x, best


@numba.njit(cache=True)
def _vote(image, hole, target_y, target_x, nnf_y, nnf_x, distance, prior, radius, sigma2):
    """Wexler et al. 2007, equation 3: each hole pixel becomes the mean of the pixels that the
    matched patches covering it put there, each patch weighted by exp(-d / (2 sigma^2)).
    Reads known pixels only (matched patches lie outside the hole), writes hole pixels only."""
    height, width = hole.shape
    total = np.zeros((height, width, image.shape[2]), np.float64)
    weight = np.zeros((height, width), np.float64)
    for k in range(target_y.size):
        w = prior[k] * np.exp(-distance[k] / (2.0 * sigma2))
        ty, tx, sy, sx = target_y[k], target_x[k], nnf_y[k], nnf_x[k]
        for dy in range(-radius, radius + 1):
            y = ty + dy
            if y < 0 or y >= height:
                continue
            for dx in range(-radius, radius + 1):
                x = tx + dx
                if x < 0 or x >= width or not hole[y, x]:
                    continue
                for c in range(image.shape[2]):
                    total[y, x, c] += w * image[sy + dy, sx + dx, c]
                weight[y, x] += w
    for y in range(height):
        for x in range(width):
            if hole[y, x] and weight[y, x] > 0:
                for c in range(image.shape[2]):
                    image[y, x, c] = total[y, x, c] / weight[y, x]


# ----------------------------------------------------------------------------------------------
# Background from frames


@numba.njit(cache=True)
def _select(values, count, k):
    """The k-th smallest of values[:count] (0-based), reordering values[:count] so that every
    value before position k is <= it (Hoare's selection, middle pivot)."""
    lo, hi = 0, count - 1
    while lo < hi:
        pivot = values[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                values[i], values[j] = values[j], values[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return values[k]


@numba.njit(cache=True)
def _median_background(frames, person, chosen, where, out, seen):
    """out[y, x] = per-channel median of frames[chosen, y, x] where person is False, and
    seen[y, x] = whether there is any, for pixels where ``where`` is True (others untouched)."""
    height, width = where.shape
    values = np.empty(chosen.size, np.int64)
    for y in range(height):
        for x in range(width):
            if not where[y, x]:
                continue
            for c in range(3):
                count = 0
                for t in chosen:
                    if not person[t, y, x]:
                        values[count] = frames[t, y, x, c]
                        count += 1
                if count == 0:
                    break
                upper = _select(values, count, count // 2)
                if count % 2 == 1:
                    out[y, x, c] = upper
                else:
                    lower = values[0]
                    for i in range(1, count // 2):
                        lower = max(lower, values[i])
                    out[y, x, c] = (lower + upper + 1) // 2
                seen[y, x] = True
