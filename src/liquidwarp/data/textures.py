"""Deterministic procedural images: clothing fabrics, scene backgrounds, skin and hair colours.

Every generator takes an explicit :class:`numpy.random.Generator` and draws all of its
randomness from it, so the same seed always gives the same image. Images are ``float32``
arrays of shape ``(H, W, 3)`` with values in ``[0, 1]``; row 0 is the top of the image, and
sizes are given as ``(height, width)``.

Fabrics (:func:`make_pattern`) are meant to be painted in a body mesh's UV space; backgrounds
(:func:`make_background`) fill the frame behind the rendered person.

Implementation notes (everything is vectorised, a few milliseconds per 512x512 image):

- Images are built channel-first, ``(3, H, W)``, and interleaved only at the end: numpy
  broadcasts ``(H, W, 1) * (3,)`` many times slower than ``(1, H, W) * (3, 1, 1)``.
- Smooth noise upsamples a small random grid with a cubic B-spline written as two small
  interpolation matrices, ``My @ grid @ Mx.T``.
- Periodic patterns (stripes, checks, grout lines) evaluate an anti-aliased 1-D profile once
  on a fine lookup table and gather it with the pixels' phase.
- Natural images are the pictures bundled inside scikit-image's wheel (only those that load
  without network access); each is decoded once and cached in :data:`_SOURCE_CACHE`.
"""

from __future__ import annotations

import colorsys
import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image

__all__ = [
    "PATTERN_KINDS",
    "BACKGROUND_KINDS",
    "make_pattern",
    "make_background",
    "skin_tone",
    "hair_color",
    "shade_variation",
]

#: Fabric kinds accepted by :func:`make_pattern`.
PATTERN_KINDS: tuple[str, ...] = ("solid", "stripes", "checks", "noise", "natural")

#: Background kinds accepted by :func:`make_background` (``kind=None`` picks one at random).
BACKGROUND_KINDS: tuple[str, ...] = ("natural", "room", "outdoor", "blobs", "tiles")

_F32 = np.float32

# ----------------------------------------------------------------------------------------------
# validation and small helpers
# ----------------------------------------------------------------------------------------------


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _check_size(size: object) -> tuple[int, int]:
    """``size`` is ``(height, width)``: two positive integers."""
    if isinstance(size, (str, bytes)) or not isinstance(size, (Sequence, np.ndarray)):
        raise ValueError(f"size must be a (height, width) pair of positive integers, got {size!r}")
    if len(size) != 2:
        raise ValueError(f"size must be a (height, width) pair, got {len(size)} values: {size!r}")
    out = []
    for v in size:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"size must hold two integers, got {size!r}")
        if v <= 0:
            raise ValueError(f"size must be positive, got {tuple(int(x) for x in size)}")
        out.append(int(v))
    return out[0], out[1]


def _col(c: np.ndarray) -> np.ndarray:
    """A colour (3,) as a channel-first broadcastable (3, 1, 1) float32 array."""
    return np.asarray(c, dtype=_F32).reshape(3, 1, 1)


def _lerp(c0: np.ndarray, c1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Channel-first image ``c0 + t * (c1 - c0)`` for colours c0, c1 and a (h, w) weight t."""
    return _col(c0) + t[None] * _col(np.asarray(c1, _F32) - np.asarray(c0, _F32))


def _over(img: np.ndarray, t: np.ndarray, c: np.ndarray) -> None:
    """In place: blend colour (3,) or image (3, h, w) ``c`` over ``img`` with weight ``t``."""
    c = _col(c) if np.ndim(c) == 1 else c
    img += t[None] * (c - img)


def _finish(planar: np.ndarray) -> np.ndarray:
    """(3, h, w) -> clipped, C-contiguous float32 (h, w, 3)."""
    out = np.stack([planar[0], planar[1], planar[2]], axis=-1).astype(_F32, copy=False)
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _coords(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates as broadcastable (h, 1) and (1, w) float32 arrays."""
    yy = np.arange(h, dtype=_F32)[:, None] + _F32(0.5)
    xx = np.arange(w, dtype=_F32)[None, :] + _F32(0.5)
    return yy, xx


# ----------------------------------------------------------------------------------------------
# smooth noise
# ----------------------------------------------------------------------------------------------

# Mean standard deviation of unit white noise after 2-D cubic B-spline interpolation: the
# integral of B3(x)^2 over the real line is 151/315 per axis, so the 2-D variance is (151/315)^2.
_BSPLINE_STD = 151.0 / 315.0


@functools.lru_cache(maxsize=256)
def _bspline_matrix(n: int, cells: int) -> np.ndarray:
    """(n, cells + 3) matrix sampling a uniform cubic B-spline with ``cells + 3`` control values
    at the centres of ``n`` pixels that span ``cells`` spline intervals."""
    p = (np.arange(n, dtype=np.float64) + 0.5) * (cells / n) + 1.0
    base = np.floor(p).astype(np.int64)
    t = p - base
    t2, t3 = t * t, t * t * t
    w = np.stack(
        [
            (1.0 - t) ** 3 / 6.0,
            (3.0 * t3 - 6.0 * t2 + 4.0) / 6.0,
            (-3.0 * t3 + 3.0 * t2 + 3.0 * t + 1.0) / 6.0,
            t3 / 6.0,
        ],
        axis=1,
    )
    m = np.zeros((n, cells + 3), dtype=_F32)
    m[np.arange(n)[:, None], base[:, None] + np.arange(-1, 3)[None, :]] = w
    m.setflags(write=False)
    return m


def _smooth_field(
    rng: np.random.Generator,
    h: int,
    w: int,
    cells: float,
    channels: int = 1,
    octaves: int = 1,
    persistence: float = 0.5,
) -> np.ndarray:
    """Fractal smooth noise, shape ``(channels, h, w)``, zero mean and roughly unit std.

    ``cells`` is the number of noise cells along the longer image side for the coarsest octave;
    each further octave doubles it and scales the amplitude by ``persistence``.
    """
    longest = max(h, w)
    out: np.ndarray | None = None
    amp, total = 1.0, 0.0
    for o in range(octaves):
        c = cells * (2.0**o)
        gy = min(h, max(1, int(round(c * h / longest))))
        gx = min(w, max(1, int(round(c * w / longest))))
        grid = rng.standard_normal((channels, gy + 3, gx + 3), dtype=_F32)
        layer = _bspline_matrix(h, gy) @ grid @ _bspline_matrix(w, gx).T
        if out is None:
            out = layer if amp == 1.0 else layer * _F32(amp)
        else:
            layer *= _F32(amp)
            out += layer
        total += amp * amp
        amp *= persistence
    assert out is not None
    out *= _F32(1.0 / (_BSPLINE_STD * math.sqrt(total)))
    return out


def _smoothstep01(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Linear ramp from 0 at ``lo`` to 1 at ``hi``, clipped (cheap stand-in for a sigmoid)."""
    t = (x - _F32(lo)) * _F32(1.0 / (hi - lo))
    np.clip(t, 0.0, 1.0, out=t)
    return t


def _shade(rng: np.random.Generator, h: int, w: int, strength: float) -> np.ndarray:
    """(h, w) float32 in [1 - strength, 1 + strength], smooth over a few blotches."""
    f = _smooth_field(rng, h, w, cells=rng.uniform(1.5, 4.0), octaves=2, persistence=0.45)[0]
    peak = float(np.abs(f).max())
    f *= _F32(strength / max(peak, 1e-6))
    f += _F32(1.0)
    np.maximum(f, 0.0, out=f)
    return f


def shade_variation(
    rng: np.random.Generator, size: tuple[int, int], strength: float = 0.1
) -> np.ndarray:
    """Low-frequency multiplicative shading, shape ``(H, W, 1)`` float32 around 1.0.

    Values lie in ``[1 - strength, 1 + strength]`` (clamped at 0) and vary smoothly over a few
    blotches across the image: multiply a flat skin or hair colour by it for a less synthetic look.
    """
    _check_rng(rng)
    h, w = _check_size(size)
    strength = float(strength)
    if not math.isfinite(strength) or strength < 0.0:
        raise ValueError(f"strength must be a finite number >= 0, got {strength}")
    return _shade(rng, h, w, strength)[:, :, None]


# ----------------------------------------------------------------------------------------------
# periodic profiles
# ----------------------------------------------------------------------------------------------

_LUT_N = 1024  # lookup-table samples per period


def _band_1d(s: np.ndarray, period: float, start: float, width: float, soft: float) -> np.ndarray:
    """Membership (0..1) of the periodic band ``[start, start + width)`` (mod ``period``) for 1-D
    coordinates ``s``; the edges ramp linearly over ``soft`` units (one pixel, for
    anti-aliasing)."""
    u = np.mod(s - start, period)
    inside = np.minimum(u, width - u)
    outside = -np.minimum(u - width, period - u)
    d = np.where(u < width, inside, outside)
    return np.clip(d / soft + 0.5, 0.0, 1.0)


def _lut_phase(period: float) -> np.ndarray:
    """Sample positions (in the profile's units) of a one-period lookup table; the extra last
    entry repeats the first so that a phase rounding up to 1.0 still indexes correctly."""
    return np.arange(_LUT_N + 1, dtype=np.float64) * (period / _LUT_N)


def _gather(phase: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Evaluate a periodic profile: ``phase`` in periods (any real), ``lut`` (C, _LUT_N + 1).
    Returns (C, *phase.shape) float32."""
    frac = phase - np.floor(phase)
    frac *= _F32(_LUT_N)
    idx = frac.astype(np.intp)
    return np.take(lut.astype(_F32, copy=False), idx, axis=1)


def _projection(h: int, w: int, theta: float, period: float, phase: float) -> np.ndarray:
    """Pixel phase, in periods, along direction ``theta``: (h, w) float32."""
    yy, xx = _coords(h, w)
    return xx * _F32(math.cos(theta) / period) + (yy * _F32(math.sin(theta) / period) + _F32(phase))


def _square_lut(duty: float, soft: float) -> np.ndarray:
    """(1, _LUT_N + 1) anti-aliased square wave with the given duty cycle; ``soft`` is the edge
    width as a fraction of the period."""
    s = _lut_phase(1.0)
    return _band_1d(s, 1.0, 0.0, duty, soft)[None]


def _random_angle(rng: np.random.Generator, p_axis: float = 0.55, p_diag: float = 0.15) -> float:
    r = rng.random()
    if r < p_axis:
        return float(rng.choice([0.0, math.pi / 2]))
    if r < p_axis + p_diag:
        return float(rng.choice([math.pi / 4, -math.pi / 4]))
    return float(rng.uniform(0.0, math.pi))


# ----------------------------------------------------------------------------------------------
# colours
# ----------------------------------------------------------------------------------------------

_COLOR_STYLES = ("saturated", "muted", "dark", "light", "neutral")
_COLOR_STYLE_P = (0.30, 0.25, 0.15, 0.15, 0.15)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), dtype=_F32)


def _random_color(rng: np.random.Generator, style: str | None = None) -> np.ndarray:
    """One fabric colour, sampled in HSV from a mix of saturated, muted, dark, light and neutral
    palettes."""
    if style is None:
        style = _COLOR_STYLES[int(rng.choice(len(_COLOR_STYLES), p=_COLOR_STYLE_P))]
    hue = rng.random()
    if style == "saturated":
        s, v = rng.uniform(0.55, 1.0), rng.uniform(0.45, 0.95)
    elif style == "muted":
        s, v = rng.uniform(0.15, 0.5), rng.uniform(0.3, 0.8)
    elif style == "dark":
        s, v = rng.uniform(0.0, 0.6), rng.uniform(0.06, 0.3)
    elif style == "light":
        s, v = rng.uniform(0.08, 0.35), rng.uniform(0.8, 1.0)
    elif style == "neutral":
        s, v = rng.uniform(0.0, 0.08), rng.uniform(0.1, 0.95)
    else:  # pragma: no cover - internal misuse
        raise ValueError(f"unknown colour style {style!r}")
    return _hsv(hue, s, v)


def _palette(rng: np.random.Generator, n: int, min_dist: float = 0.25) -> list[np.ndarray]:
    """``n`` colours, pairwise at least ``min_dist`` apart in RGB."""
    cols: list[np.ndarray] = []
    for _ in range(n):
        for _try in range(30):
            c = _random_color(rng)
            if all(float(np.linalg.norm(c - o)) >= min_dist for o in cols):
                break
        else:  # give up sampling: take the colour farthest from the ones chosen so far
            cands = [_random_color(rng) for _ in range(16)] + [
                np.zeros(3, _F32),
                np.ones(3, _F32),
            ]
            c = max(cands, key=lambda q: min(float(np.linalg.norm(q - o)) for o in cols))
        cols.append(c)
    return cols


# Skin ramp from very light to very dark (sRGB); every entry has R > G > B.
_SKIN_RAMP = np.array(
    [
        [0.98, 0.85, 0.76],
        [0.94, 0.77, 0.66],
        [0.87, 0.67, 0.54],
        [0.76, 0.56, 0.42],
        [0.63, 0.44, 0.31],
        [0.49, 0.33, 0.23],
        [0.38, 0.25, 0.17],
        [0.30, 0.19, 0.13],
    ],
    dtype=np.float64,
)


def skin_tone(rng: np.random.Generator) -> np.ndarray:
    """A realistic human skin colour: shape ``(3,)`` float32 RGB in [0, 1], with R >= G >= B.

    Interpolated along a ramp from very light (~(0.98, 0.85, 0.76)) to very dark
    (~(0.30, 0.19, 0.13)) skin, then jittered a little in undertone (pinker or more olive) and
    brightness.
    """
    _check_rng(rng)
    t = rng.random() * (len(_SKIN_RAMP) - 1)
    i = min(int(t), len(_SKIN_RAMP) - 2)
    f = t - i
    c = (1.0 - f) * _SKIN_RAMP[i] + f * _SKIN_RAMP[i + 1]
    under = rng.uniform(-1.0, 1.0)  # + pinker / redder, - more yellow / olive
    c = c * np.array([1.0, 1.0 - 0.035 * under, 1.0 - 0.05 * under])
    c = c * rng.uniform(0.96, 1.04) + rng.normal(0.0, 0.006, 3)
    c = np.clip(c, 0.0, 1.0)
    c[1] = min(c[1], c[0])
    c[2] = min(c[2], c[1])
    return c.astype(_F32)


_HAIR_BASE = {
    "black": (0.06, 0.05, 0.05),
    "dark_brown": (0.17, 0.11, 0.07),
    "brown": (0.34, 0.22, 0.13),
    "light_brown": (0.52, 0.37, 0.23),
    "blonde": (0.82, 0.68, 0.45),
    "dark_blonde": (0.64, 0.50, 0.31),
    "red": (0.55, 0.22, 0.10),
    "ginger": (0.76, 0.40, 0.19),
    "gray": (0.55, 0.54, 0.52),
    "white": (0.85, 0.84, 0.81),
}
_HAIR_NAMES = tuple(_HAIR_BASE)
_HAIR_P = np.array([0.22, 0.22, 0.15, 0.08, 0.08, 0.07, 0.04, 0.04, 0.07, 0.03])
_HAIR_P = _HAIR_P / _HAIR_P.sum()


def hair_color(rng: np.random.Generator) -> np.ndarray:
    """A natural hair colour (black, browns, blondes, reds, grays): shape ``(3,)`` float32 RGB
    in [0, 1]."""
    _check_rng(rng)
    name = _HAIR_NAMES[int(rng.choice(len(_HAIR_NAMES), p=_HAIR_P))]
    c = np.asarray(_HAIR_BASE[name], dtype=np.float64)
    c = c * rng.uniform(0.85, 1.15) + rng.normal(0.0, 0.012, 3)
    return np.clip(c, 0.0, 1.0).astype(_F32)


# ----------------------------------------------------------------------------------------------
# natural images bundled with scikit-image
# ----------------------------------------------------------------------------------------------

# skimage.data loaders whose files ship inside the wheel (the others need pooch and a network).
_FABRIC_SOURCES = (
    "brick",
    "grass",
    "gravel",
    "coffee",
    "chelsea",
    "astronaut",
    "rocket",
    "colorwheel",
    "immunohistochemistry",
    "retina",
    "hubble_deep_field",
    "cell",
    "camera",
    "moon",
    "coins",
    "text",
)
# No pictures of people (astronaut, camera): a second person would break single-person scenes.
_BACKGROUND_SOURCES = (
    "rocket",
    "coffee",
    "chelsea",
    "brick",
    "grass",
    "gravel",
    "moon",
    "hubble_deep_field",
    "coins",
    "clock",
)
_MAX_SOURCE_SIDE = 1024

#: name -> (RGB PIL image, source was grayscale), or None when its loader failed.
_SOURCE_CACHE: dict[str, tuple[Image.Image, bool] | None] = {}


def _to_rgb_uint8(img: np.ndarray) -> tuple[np.ndarray, bool]:
    img = np.asarray(img)
    if img.dtype == np.bool_:
        img = img.astype(np.uint8) * 255
    elif img.dtype != np.uint8:
        img = img.astype(np.float64)
        lo, hi = float(img.min()), float(img.max())
        img = ((img - lo) / max(hi - lo, 1e-12) * 255.0 + 0.5).astype(np.uint8)
    gray = img.ndim == 2 or img.shape[2] == 1
    if img.ndim == 2:
        img = img[:, :, None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    elif img.shape[2] == 4:
        img = img[:, :, :3]
    return np.ascontiguousarray(img), gray


def _load_source(name: str) -> tuple[Image.Image, bool] | None:
    """Load (once) a bundled skimage picture as an RGB PIL image; None if it cannot load."""
    if name in _SOURCE_CACHE:
        return _SOURCE_CACHE[name]
    entry: tuple[Image.Image, bool] | None
    try:
        import skimage.data

        arr, gray = _to_rgb_uint8(getattr(skimage.data, name)())
        pil = Image.fromarray(arr)
        longest = max(pil.size)
        if longest > _MAX_SOURCE_SIDE:
            s = _MAX_SOURCE_SIDE / longest
            new = (max(1, round(pil.size[0] * s)), max(1, round(pil.size[1] * s)))
            pil = pil.resize(new, Image.Resampling.LANCZOS)
        pil.load()
        entry = (pil, gray)
    except Exception:  # file not bundled (needs pooch / network), unknown loader, decode error
        entry = None
    _SOURCE_CACHE[name] = entry
    return entry


def _pick_source(rng: np.random.Generator, names: Sequence[str]) -> tuple[Image.Image, bool] | None:
    """A random loadable source among ``names``; None if none loads."""
    for k in rng.permutation(len(names)):
        entry = _load_source(names[int(k)])
        if entry is not None:
            return entry
    return None


def _natural_crop(
    rng: np.random.Generator, src: Image.Image, h: int, w: int, zoom: tuple[float, float]
) -> np.ndarray:
    """Random crop with the target's aspect ratio, ``zoom`` times the size of the largest such
    crop, maybe mirrored, resized to (h, w); channel-first float32 in [0, 1]."""
    sw, sh = src.size
    aspect = w / h
    ch = min(float(sh), sw / aspect) * rng.uniform(*zoom)
    cw = ch * aspect
    x0 = rng.uniform(0.0, max(sw - cw, 0.0))
    y0 = rng.uniform(0.0, max(sh - ch, 0.0))
    out = src.resize((w, h), Image.Resampling.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
    if rng.random() < 0.5:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    planar = np.stack([np.asarray(c, dtype=_F32) for c in out.split()])
    planar *= _F32(1.0 / 255.0)
    return planar


# ----------------------------------------------------------------------------------------------
# fabrics (all return channel-first (3, h, w))
# ----------------------------------------------------------------------------------------------


def _fabric_solid(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    color = _random_color(rng)
    shade = _shade(rng, h, w, strength=rng.uniform(0.02, 0.06))
    return shade[None] * _col(color)


def _fabric_stripes(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    n = 2 if rng.random() < 0.55 else 3
    period = rng.uniform(6.0, 40.0)
    colors = np.stack(_palette(rng, n, min_dist=0.3))  # (n, 3)
    frac = rng.uniform(0.2, 1.0, n)
    widths = 2.0 + (period - 2.0 * n) * frac / frac.sum()  # every band at least 2 px wide
    starts = np.concatenate([[0.0], np.cumsum(widths)[:-1]])
    s = _lut_phase(period)  # px along the stripe normal, one period
    masks = np.stack([_band_1d(s, period, a, b, 1.0) for a, b in zip(starts, widths)])  # (n, N+1)
    lut = (colors.T.astype(np.float64) @ masks) / np.maximum(masks.sum(0), 1e-9)  # (3, N+1)
    phase = _projection(h, w, _random_angle(rng), period, rng.random())
    return _gather(phase, lut)


def _fabric_checks(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    theta = _random_angle(rng, p_axis=0.6, p_diag=0.2)
    style = int(rng.choice(3, p=[0.35, 0.35, 0.30]))
    cell = rng.uniform(6.0, 48.0)
    if style == 0:  # checkerboard, two colours
        c0, c1 = _palette(rng, 2, min_dist=0.35)
        period = 2.0 * cell
        wave = _square_lut(0.5, 1.0 / period)
        a = _gather(_projection(h, w, theta, period, rng.random()), wave)[0]
        b = _gather(_projection(h, w, theta + math.pi / 2, period, rng.random()), wave)[0]
        m = a + b
        m -= _F32(2.0) * a * b  # soft XOR
        return _lerp(c0, c1, m)
    if style == 1:  # gingham: background, single bands, crossings (three colours)
        c0, c1 = _palette(rng, 2, min_dist=0.35)
        if rng.random() < 0.5:
            c2 = c1 * _F32(rng.uniform(0.45, 0.75))
        else:
            c2 = _palette(rng, 1)[0]
        period = 2.0 * cell
        a = _gather(
            _projection(h, w, theta, period, rng.random()),
            _square_lut(rng.uniform(0.35, 0.6), 1.0 / period),
        )[0]
        b = _gather(
            _projection(h, w, theta + math.pi / 2, period, rng.random()),
            _square_lut(rng.uniform(0.35, 0.6), 1.0 / period),
        )[0]
        both = a * b
        img = _lerp(c0, c1, a + b - _F32(2.0) * both)
        _over(img, both, c2)
        return img
    # plaid: two translucent stripe sets over a base colour, plus thin accent lines
    c0, c1, c2 = _palette(rng, 3, min_dist=0.3)
    period = 2.0 * cell + rng.uniform(4.0, 24.0)
    alpha = rng.uniform(0.45, 0.7)
    duty = rng.uniform(0.25, 0.5)
    lw = rng.uniform(1.0, 3.0) / period
    s = _lut_phase(1.0)
    band = _band_1d(s, 1.0, 0.0, duty, 1.0 / period) * alpha
    line = _band_1d(s, 1.0, rng.uniform(duty, 1.0 - lw), lw, 1.0 / period)
    lut = np.stack([band, line])  # (2, N+1)
    au, lu = _gather(_projection(h, w, theta, period, rng.random()), lut)
    av, lv = _gather(_projection(h, w, theta + math.pi / 2, period, rng.random()), lut)
    img = _lerp(c0, c1, au)
    _over(img, av, c1)
    _over(img, np.maximum(lu, lv), c2)
    return img


def _fabric_noise(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    n = 2 if rng.random() < 0.5 else 3
    colors = _palette(rng, n, min_dist=0.35)
    f = _smooth_field(
        rng, h, w, cells=rng.uniform(3.0, 8.0), channels=2, octaves=4,
        persistence=rng.uniform(0.45, 0.65),
    )
    spread = rng.uniform(0.7, 1.6)
    img = _lerp(colors[0], colors[1], _smoothstep01(f[0], -spread, spread))
    if n == 3:  # sparser blotches of a third colour
        _over(img, _smoothstep01(f[1], 0.6, 0.6 + spread), colors[2])
    else:  # luminance mottling
        lum = f[1]
        lum *= _F32(rng.uniform(0.05, 0.12))
        lum += _F32(1.0)
        img *= lum[None]
    return img


def _fabric_natural(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    img = gray = None
    for _attempt in range(4):  # avoid featureless crops (sky, a black starfield...)
        entry = _pick_source(rng, _FABRIC_SOURCES)
        if entry is None:  # no bundled picture available: fall back to a procedural fabric
            return _fabric_noise(rng, h, w)
        img = _natural_crop(rng, entry[0], h, w, zoom=(0.3, 1.0))
        gray = entry[1]
        if float(img[:, ::4, ::4].std(axis=(1, 2)).mean()) > 0.06:
            break
    assert img is not None
    if gray and rng.random() < 0.7:  # duotone: map gray levels between two fabric colours
        dark, light = _palette(rng, 2, min_dist=0.4)
        if dark.sum() > light.sum():
            dark, light = light, dark
        g = img[0]
        sub = g[::4, ::4]
        lo, hi = float(sub.min()), float(sub.max())
        g -= _F32(lo)
        g *= _F32(1.0 / max(hi - lo, 0.1))  # stretch the crop's gray range
        return _lerp(dark, light, g)
    img *= _F32(rng.uniform(0.85, 1.1))
    return img


_FABRICS: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "solid": _fabric_solid,
    "stripes": _fabric_stripes,
    "checks": _fabric_checks,
    "noise": _fabric_noise,
    "natural": _fabric_natural,
}


def make_pattern(
    rng: np.random.Generator, size: tuple[int, int], kind: str | None = None
) -> np.ndarray:
    """A clothing fabric texture, float32 ``(H, W, 3)`` in [0, 1].

    ``size`` is ``(height, width)``; ``kind`` is one of :data:`PATTERN_KINDS`, or None to pick
    one at random:

    - ``"solid"``: one colour with slight low-frequency shading;
    - ``"stripes"``: 2-3 colours, random orientation, period 6-40 px, bands at least 2 px wide;
    - ``"checks"``: checkerboard, gingham or plaid, random cell size, sometimes rotated;
    - ``"noise"``: smooth mottled multi-octave colour noise;
    - ``"natural"``: a random crop of a picture bundled with scikit-image (grayscale ones are
      often mapped between two fabric colours).
    """
    _check_rng(rng)
    h, w = _check_size(size)
    if kind is None:
        kind = PATTERN_KINDS[int(rng.integers(len(PATTERN_KINDS)))]
    elif kind not in _FABRICS:
        raise ValueError(f"unknown pattern kind {kind!r}; expected one of {PATTERN_KINDS} or None")
    return _finish(_FABRICS[kind](rng, h, w))


# ----------------------------------------------------------------------------------------------
# backgrounds (all return channel-first (3, h, w))
# ----------------------------------------------------------------------------------------------


def _vertical_gradient(h: int, w: int, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """(3, h, w): ``top`` colour at the first row to ``bottom`` at the last."""
    t = (np.arange(h, dtype=_F32) + _F32(0.5)) * _F32(1.0 / h)
    col = _col(top) + t[None, :, None] * _col(np.asarray(bottom, _F32) - np.asarray(top, _F32))
    return np.broadcast_to(col, (3, h, w)).copy()


def _floor(rng: np.random.Generator, h: int, w: int, horizon: float) -> np.ndarray:
    """A floor seen in perspective, horizon at row ``horizon`` (may be above the image, i.e.
    negative); (3, h, w). Tiles, planks or carpet/concrete."""
    yy, xx = _coords(h, w)
    d = np.maximum(yy - _F32(horizon), _F32(0.25))  # (h, 1) rows below the horizon
    d_bottom = max(h - horizon, 1.0)
    focal = w * rng.uniform(0.8, 1.4)
    unit_px = rng.uniform(40.0, 160.0)  # apparent tile / plank size at the bottom row
    cam_h = d_bottom / unit_px
    fx = (xx - _F32(w * rng.uniform(0.3, 0.7))) * (_F32(cam_h) / d)  # (h, w) floor units
    fz = _F32(cam_h * focal) / d  # (h, 1) depth, floor units
    # Texture contrast fades to the mean where one floor unit spans only a few pixels.
    px_per_unit = np.minimum(d / _F32(cam_h), d * d / _F32(cam_h * focal))
    fade = _smoothstep01(px_per_unit, 2.0, 8.0)[None]  # (1, h, 1)
    style = int(rng.choice(3, p=[0.4, 0.35, 0.25]))
    if style == 0:  # tiles
        c0, c1 = _palette(rng, 2, min_dist=0.15)
        if rng.random() < 0.5:  # one tile colour with grout lines
            grout = _random_color(rng, "neutral")
            gw = rng.uniform(0.03, 0.08)
            wave = _square_lut(1.0 - gw, 0.01)
            m = _gather(fx + _F32(rng.random()), wave)[0]
            m = m * _gather(fz + _F32(rng.random()), wave)[0]
            tex = _lerp(grout, c0, m)
            mean = (1.0 - 2.0 * gw) * c0 + 2.0 * gw * grout
        else:  # checkerboard floor
            a = (np.floor(fx + _F32(rng.random())) + np.floor(fz)).astype(np.int32) & 1
            tex = _lerp(c0, c1, a.astype(_F32))
            mean = 0.5 * (c0 + c1)
    elif style == 1:  # wooden planks running away from the camera
        wood = _hsv(rng.uniform(0.05, 0.11), rng.uniform(0.35, 0.7), rng.uniform(0.25, 0.75))
        px = fx * _F32(1.0 / rng.uniform(0.25, 0.6))
        idx = np.floor(px).astype(np.int32) & 127
        jitter = rng.uniform(0.8, 1.2, 128).astype(_F32)
        offset = rng.uniform(0.0, 1.0, 128).astype(_F32)
        seam = _gather(px, _square_lut(0.94, 0.02))[0]
        joint = _gather(fz * _F32(0.25) + offset[idx], _square_lut(0.98, 0.004))[0]
        lum = jitter[idx] * (_F32(0.55) + _F32(0.45) * np.minimum(seam, joint))
        tex = lum[None] * _col(wood)
        mean = wood * _F32(0.97)
    else:  # carpet / concrete
        col = _random_color(rng, "muted" if rng.random() < 0.6 else "neutral")
        f = _smooth_field(rng, h, w, cells=rng.uniform(8.0, 24.0), octaves=2)[0]
        f *= _F32(0.08)
        f += _F32(1.0)
        tex = f[None] * _col(col)
        mean = col
    tex -= _col(mean)
    tex *= fade
    tex += _col(mean)
    lift = rng.uniform(0.0, 0.25)  # light falls off towards the horizon
    light = _F32(1.0 - lift) + _F32(lift) * np.clip(d * _F32(1.0 / d_bottom), 0.0, 1.0)
    tex *= light[None]
    return tex


def _bg_room(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    hz = int(round(rng.uniform(0.35, 0.78) * h))  # wall / floor boundary row
    img = np.empty((3, h, w), dtype=_F32)
    if hz > 0:
        wall = _random_color(rng, str(rng.choice(["light", "muted", "neutral", "light"])))
        top, bottom = wall * _F32(rng.uniform(0.8, 1.1)), wall * _F32(rng.uniform(0.85, 1.15))
        wimg = _vertical_gradient(hz, w, top, bottom)
        r = rng.random()
        if r < 0.3:  # faint wallpaper stripes
            period = rng.uniform(12.0, 60.0)
            m = _gather(
                _projection(1, w, 0.0, period, rng.random()),
                _square_lut(rng.uniform(0.3, 0.6), 1.0 / period),
            )[0]
            m *= _F32(rng.uniform(0.08, 0.2))
            _over(wimg, np.broadcast_to(m, (hz, w)), _random_color(rng, "muted"))
        elif r < 0.55:  # a door / cupboard / picture: a rectangle on the wall
            x0, x1 = sorted(rng.uniform(0, w, 2))
            y0 = rng.uniform(0.05, 0.6) * hz
            y1 = hz if rng.random() < 0.5 else rng.uniform(y0, hz)
            yy, xx = _coords(hz, w)
            m = ((yy >= y0) & (yy < y1) & (xx >= x0) & (xx < x1)).astype(_F32)
            _over(wimg, m, _random_color(rng))
        wimg *= _shade(rng, hz, w, strength=rng.uniform(0.03, 0.1))[None]
        if rng.random() < 0.7:  # baseboard
            bb = max(1, int(round(rng.uniform(0.008, 0.03) * h)))
            board = _random_color(rng, str(rng.choice(["light", "dark", "neutral"])))
            wimg[:, max(0, hz - bb) :] = _col(board)
        img[:, :hz] = wimg
    if hz < h:
        img[:, hz:] = _floor(rng, h - hz, w, 0.0)
    return img


def _bg_outdoor(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    hz = int(round(rng.uniform(0.3, 0.7) * h))  # horizon row
    img = np.empty((3, h, w), dtype=_F32)
    if hz > 0:
        if rng.random() < 0.7:  # blue sky
            zenith = _hsv(rng.uniform(0.55, 0.62), rng.uniform(0.4, 0.8), rng.uniform(0.6, 0.95))
            haze = _hsv(rng.uniform(0.52, 0.6), rng.uniform(0.05, 0.25), rng.uniform(0.85, 1.0))
        else:  # overcast or dusk
            zenith = _random_color(rng, "neutral") * _F32(0.8) + _F32(0.15)
            haze = _random_color(rng, "light")
        sky = _vertical_gradient(hz, w, zenith, haze)
        clouds = _smooth_field(
            rng, hz, w, cells=rng.uniform(2.0, 6.0), octaves=4, persistence=0.55
        )[0]
        cover = rng.uniform(-0.5, 1.5)
        m = _smoothstep01(clouds, cover, cover + 1.25)
        m *= _F32(rng.uniform(0.5, 0.9))
        _over(sky, m, np.full(3, 0.97, _F32))
        if rng.random() < 0.7:  # distant tree line / hills with a wobbly silhouette
            prof = _smooth_field(rng, 1, w, cells=rng.uniform(3.0, 10.0), octaves=3)[0]  # (1, w)
            top = _F32(hz) - _F32(rng.uniform(0.02, 0.1) * h) * (_F32(1.0) + _F32(0.35) * prof)
            yy, _ = _coords(hz, w)
            tree = _hsv(rng.uniform(0.2, 0.4), rng.uniform(0.3, 0.7), rng.uniform(0.12, 0.35))
            _over(sky, np.clip(yy - top, 0.0, 1.0), tree)
        img[:, :hz] = sky
    if hz < h:
        gh = h - hz
        hue, sat, val = [
            (rng.uniform(0.2, 0.33), rng.uniform(0.35, 0.7), rng.uniform(0.3, 0.6)),  # grass
            (rng.uniform(0.06, 0.1), rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.55)),  # dirt
            (rng.uniform(0.1, 0.14), rng.uniform(0.2, 0.45), rng.uniform(0.65, 0.9)),  # sand
            (rng.uniform(0.0, 1.0), rng.uniform(0.0, 0.08), rng.uniform(0.2, 0.45)),  # asphalt
        ][int(rng.integers(4))]
        f = _smooth_field(rng, gh, w, cells=rng.uniform(6.0, 16.0), octaves=3)[0]
        yy, _ = _coords(gh, w)
        depth = yy * _F32(1.0 / gh)  # (gh, 1): 0 at the horizon, 1 at the bottom
        lum = f * (_F32(0.12) * (_F32(0.3) + depth))
        lum += _F32(0.8) + _F32(0.25) * depth
        img[:, hz:] = lum[None] * _col(_hsv(hue, sat, val))
    return img


def _bg_blobs(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Soft out-of-focus colour blobs over a gradient (a shallow depth-of-field look)."""
    top, bottom = _palette(rng, 2, min_dist=0.15)
    img = _vertical_gradient(h, w, top, bottom)
    k = int(rng.integers(4, 14))
    cy = rng.uniform(-0.1, 1.1, k) * h
    cx = rng.uniform(-0.1, 1.1, k) * w
    sig = rng.uniform(0.05, 0.3, k) * max(h, w)
    aspect = rng.uniform(0.6, 1.6, k)
    alpha = rng.uniform(0.4, 2.0, k)
    cols = np.stack([_random_color(rng) for _ in range(k)]).astype(np.float64)  # (k, 3)
    ys = np.arange(h) + 0.5
    xs = np.arange(w) + 0.5
    gy = np.exp(-0.5 * ((ys[:, None] - cy) / (sig * aspect)) ** 2).astype(_F32)  # (h, k)
    gx = np.exp(-0.5 * ((xs[:, None] - cx) / (sig / aspect)) ** 2).astype(_F32)  # (w, k)
    weight = (gy * alpha.astype(_F32)) @ gx.T  # separable Gaussians: (h, w) by one matmul
    for c in range(3):
        img[c] += (gy * (alpha * cols[:, c]).astype(_F32)) @ gx.T
    img /= (_F32(1.0) + weight)[None]
    img *= _shade(rng, h, w, strength=0.05)[None]
    return img


def _bg_tiles(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A tiled floor seen from above, or a frontal tiled wall (square, subway or diagonal tiles)."""
    if rng.random() < 0.35:
        img = _floor(rng, h, w, -rng.uniform(0.05, 0.6) * h)  # horizon just above the frame
        img *= _shade(rng, h, w, strength=0.06)[None]
        return img
    theta = 0.0 if rng.random() < 0.8 else math.pi / 4
    tw = rng.uniform(16.0, 96.0)
    th = tw * (float(rng.choice([1.0, 0.5])) if theta == 0.0 else 1.0)
    brick = theta == 0.0 and rng.random() < 0.4  # staggered rows (subway tiles)
    gw = rng.uniform(1.0, 4.0)
    base = _random_color(rng, str(rng.choice(["light", "muted", "saturated", "neutral"])))
    grout = _random_color(rng, str(rng.choice(["light", "neutral", "dark"])))
    jitter = rng.uniform(0.9, 1.08, 1024).astype(_F32)
    v = _projection(h, w, theta + math.pi / 2, th, rng.random())  # phase in tile rows
    u = _projection(h, w, theta, tw, rng.random())  # phase in tile columns
    row = np.floor(v)
    if brick:
        u += _F32(0.5) * (row - _F32(2.0) * np.floor(row * _F32(0.5)))  # odd rows shift by half
    col = np.floor(u)
    tile = _gather(u, _square_lut(1.0 - gw / tw, 1.0 / tw))[0]
    tile *= _gather(v, _square_lut(1.0 - gw / th, 1.0 / th))[0]
    ids = (row.astype(np.int32) * 37 + col.astype(np.int32)) & 1023
    img = _lerp(grout, base, tile)
    img *= (_F32(1.0) + tile * (jitter[ids] - _F32(1.0)))[None]
    img *= _shade(rng, h, w, strength=rng.uniform(0.04, 0.12))[None]
    return img


def _bg_natural(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    entry = _pick_source(rng, _BACKGROUND_SOURCES)
    if entry is None:
        return _bg_room(rng, h, w)
    img = _natural_crop(rng, entry[0], h, w, zoom=(0.45, 1.0))
    img *= _F32(rng.uniform(0.85, 1.15))
    img += _F32(rng.uniform(-0.04, 0.04))
    return img


_BACKGROUNDS: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "natural": _bg_natural,
    "room": _bg_room,
    "outdoor": _bg_outdoor,
    "blobs": _bg_blobs,
    "tiles": _bg_tiles,
}
_BACKGROUND_P = (0.4, 0.2, 0.15, 0.1, 0.15)


def make_background(
    rng: np.random.Generator, size: tuple[int, int], kind: str | None = None
) -> np.ndarray:
    """A scene background, float32 ``(H, W, 3)`` in [0, 1].

    With ``kind=None`` (the default) one of :data:`BACKGROUND_KINDS` is drawn:

    - ``"natural"``: a crop of a picture bundled with scikit-image (random zoom, maybe mirrored,
      slight exposure change);
    - ``"room"``: a wall (gradient, wallpaper or a door/picture, baseboard) above a horizon line
      at a random height, and a floor in perspective (tiles, planks, carpet) below;
    - ``"outdoor"``: sky with clouds, maybe a tree line, and textured ground;
    - ``"blobs"``: soft out-of-focus colour blobs over a gradient;
    - ``"tiles"``: a tiled wall, or a tiled/planked floor seen from above.
    """
    _check_rng(rng)
    h, w = _check_size(size)
    if kind is None:
        kind = BACKGROUND_KINDS[int(rng.choice(len(BACKGROUND_KINDS), p=_BACKGROUND_P))]
    elif kind not in _BACKGROUNDS:
        raise ValueError(
            f"unknown background kind {kind!r}; expected one of {BACKGROUND_KINDS} or None"
        )
    return _finish(_BACKGROUNDS[kind](rng, h, w))
