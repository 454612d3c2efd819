"""Tests for liquidwarp.data.textures: procedural fabrics, backgrounds, skin and hair colours."""

from __future__ import annotations

import numpy as np
import pytest

from liquidwarp.data import textures
from liquidwarp.data.textures import (
    BACKGROUND_KINDS,
    PATTERN_KINDS,
    hair_color,
    make_background,
    make_pattern,
    shade_variation,
    skin_tone,
)

SIZE = (96, 128)  # (height, width), deliberately not square


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _assert_image(img: np.ndarray, size: tuple[int, int]) -> None:
    assert isinstance(img, np.ndarray)
    assert img.shape == (*size, 3)
    assert img.dtype == np.float32
    assert img.flags.c_contiguous
    assert np.isfinite(img).all()
    assert img.min() >= 0.0 and img.max() <= 1.0


def _channel_std(img: np.ndarray) -> float:
    return float(img.std(axis=(0, 1)).mean())


def _neighbour_diff(img: np.ndarray) -> float:
    """Mean absolute difference between horizontally and vertically adjacent pixels."""
    return float(
        0.5 * (np.abs(np.diff(img, axis=0)).mean() + np.abs(np.diff(img, axis=1)).mean())
    )


def _colour_shares(img: np.ndarray) -> np.ndarray:
    """Fraction of the pixels taken by each distinct (quantised) colour, largest first."""
    q = np.round(img.reshape(-1, 3) * 255).astype(np.int32)
    _, counts = np.unique(q, axis=0, return_counts=True)
    return np.sort(counts)[::-1] / q.shape[0]


# ---------------------------------------------------------------------------------------------
# shapes, dtypes, ranges
# ---------------------------------------------------------------------------------------------


def test_pattern_kinds_constant():
    assert PATTERN_KINDS == ("solid", "stripes", "checks", "noise", "natural")


@pytest.mark.parametrize("kind", [*PATTERN_KINDS, None])
def test_pattern_shape_dtype_range(kind):
    for seed in range(4):
        _assert_image(make_pattern(rng(seed), SIZE, kind), SIZE)


@pytest.mark.parametrize("kind", [*BACKGROUND_KINDS, None])
def test_background_shape_dtype_range(kind):
    for seed in range(4):
        _assert_image(make_background(rng(seed), SIZE, kind), SIZE)


def test_background_default_call_signature():
    _assert_image(make_background(rng(3), (40, 70)), (40, 70))


@pytest.mark.parametrize("size", [(1, 1), (1, 9), (9, 1), (5, 300), (37, 23)])
def test_odd_sizes(size):
    for kind in PATTERN_KINDS:
        _assert_image(make_pattern(rng(1), size, kind), size)
    for kind in BACKGROUND_KINDS:
        _assert_image(make_background(rng(1), size, kind), size)
    assert shade_variation(rng(1), size).shape == (*size, 1)


def test_size_accepts_numpy_integers_and_lists():
    img = make_pattern(rng(0), [np.int64(20), np.int32(30)], "stripes")
    _assert_image(img, (20, 30))


def test_random_kind_covers_several_kinds():
    # kind=None really picks among the kinds: over 20 seeds both flat (solid) fabrics and
    # strongly patterned ones come out.
    stds = [_channel_std(make_pattern(rng(s), SIZE)) for s in range(20)]
    assert min(stds) < 0.03
    assert max(stds) > 0.08


# ---------------------------------------------------------------------------------------------
# determinism
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PATTERN_KINDS)
def test_pattern_deterministic(kind):
    a = make_pattern(rng(123), SIZE, kind)
    b = make_pattern(rng(123), SIZE, kind)
    c = make_pattern(rng(124), SIZE, kind)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kind", [*BACKGROUND_KINDS, None])
def test_background_deterministic(kind):
    a = make_background(rng(7), SIZE, kind)
    b = make_background(rng(7), SIZE, kind)
    c = make_background(rng(8), SIZE, kind)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_colours_and_shading_deterministic():
    assert np.array_equal(skin_tone(rng(5)), skin_tone(rng(5)))
    assert np.array_equal(hair_color(rng(5)), hair_color(rng(5)))
    assert np.array_equal(shade_variation(rng(5), SIZE), shade_variation(rng(5), SIZE))
    assert not np.array_equal(shade_variation(rng(5), SIZE), shade_variation(rng(6), SIZE))


def test_generator_state_advances():
    g = rng(0)
    a = make_pattern(g, SIZE, "noise")
    b = make_pattern(g, SIZE, "noise")
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------------------------------------
# what the fabrics look like
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_stripes_have_two_major_colours_and_repeat(seed):
    img = make_pattern(rng(seed), (128, 128), "stripes")
    shares = _colour_shares(img)
    assert len(shares) >= 2
    assert shares[1] > 0.10, shares[:4]  # at least two colours, each on > 10% of the pixels

    # Periodic: along the middle row or the middle column (whichever crosses the stripes) the
    # dominant colour starts and stops many times (period <= 40 px over 128 px).
    major = np.round(img * 255).astype(np.int32)
    q = np.round(img.reshape(-1, 3) * 255).astype(np.int32)
    vals, counts = np.unique(q, axis=0, return_counts=True)
    top = vals[np.argmax(counts)]
    is_top = (major == top).all(axis=2)
    runs = max(
        int(np.count_nonzero(np.diff(is_top[64, :].astype(np.int8)))),
        int(np.count_nonzero(np.diff(is_top[:, 64].astype(np.int8)))),
    )
    assert runs >= 4


@pytest.mark.parametrize("seed", range(6))
def test_checks_have_two_major_colours(seed):
    img = make_pattern(rng(seed), (128, 128), "checks")
    shares = _colour_shares(img)
    assert shares[1] > 0.05, shares[:4]
    assert _channel_std(img) > 0.03


@pytest.mark.parametrize("seed", range(10))
def test_solid_is_nearly_uniform_but_noise_and_natural_are_not(seed):
    solid = make_pattern(rng(seed), SIZE, "solid")
    assert _channel_std(solid) < 0.03
    assert float(np.ptp(solid.reshape(-1, 3), axis=0).max()) < 0.15
    for kind in ("noise", "natural"):
        assert _channel_std(make_pattern(rng(seed), SIZE, kind)) > 0.03, kind


@pytest.mark.parametrize("seed", range(5))
def test_noise_is_smooth_not_white(seed):
    img = make_pattern(rng(seed), (128, 128), "noise")
    white = rng(seed).random((128, 128, 3), dtype=np.float32)
    # Relative to their spread, neighbouring pixels differ ~1.15x for white noise; a mottled,
    # smooth fabric is far below that.
    assert _neighbour_diff(white) / _channel_std(white) > 1.0
    assert _neighbour_diff(img) / _channel_std(img) < 0.3


def test_natural_uses_cached_sources():
    make_pattern(rng(0), SIZE, "natural")
    loaded = {k: v for k, v in textures._SOURCE_CACHE.items() if v is not None}
    assert loaded, "no scikit-image picture could be loaded"
    before = {k: id(v) for k, v in textures._SOURCE_CACHE.items()}
    for s in range(1, 6):
        make_pattern(rng(s), SIZE, "natural")
    after = {k: id(v) for k, v in textures._SOURCE_CACHE.items()}
    assert all(after[k] == before[k] for k in before)  # nothing reloaded


# ---------------------------------------------------------------------------------------------
# backgrounds
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", BACKGROUND_KINDS)
def test_backgrounds_are_structured_scenes(kind):
    for seed in range(3):
        img = make_background(rng(seed), (96, 128), kind)
        assert _channel_std(img) > 0.005  # not a flat colour
        # mostly smooth regions: far from per-pixel noise
        assert _neighbour_diff(img) < 0.2


def test_background_kinds_differ():
    imgs = [make_background(rng(0), SIZE, k) for k in BACKGROUND_KINDS]
    for i in range(len(imgs)):
        for j in range(i + 1, len(imgs)):
            assert not np.allclose(imgs[i], imgs[j])


def test_room_has_a_horizon():
    # Above and below the wall/floor line the colours differ clearly for most rooms.
    differ = 0
    for seed in range(6):
        img = make_background(rng(seed), (120, 80), "room")
        rows = img.mean(axis=1)  # (H, 3)
        jumps = np.abs(np.diff(rows, axis=0)).sum(axis=1)
        differ += int(jumps.max() > 0.05)
    assert differ >= 4


# ---------------------------------------------------------------------------------------------
# skin, hair, shading
# ---------------------------------------------------------------------------------------------


def test_skin_tones_plausible():
    tones = np.stack([skin_tone(rng(s)) for s in range(200)])
    assert tones.shape == (200, 3)
    assert tones.dtype == np.float32
    assert (tones >= 0).all() and (tones <= 1).all()
    r, g, b = tones.T
    assert (r >= g).all() and (g >= b).all()
    lum = tones @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    assert lum.min() < 0.35 and lum.max() > 0.75  # from very dark to very light
    assert len(np.unique(np.round(tones, 3), axis=0)) > 150


def test_hair_colours():
    cols = np.stack([hair_color(rng(s)) for s in range(200)])
    assert cols.shape == (200, 3) and cols.dtype == np.float32
    assert (cols >= 0).all() and (cols <= 1).all()
    lum = cols.mean(axis=1)
    assert lum.min() < 0.1  # black hair occurs
    assert lum.max() > 0.55  # blonde / gray / white occurs
    redness = cols[:, 0] - cols[:, 2]
    assert redness.max() > 0.35  # red / ginger occurs
    assert (np.abs(cols[:, 0] - cols[:, 2]) < 0.05).any()  # gray occurs


@pytest.mark.parametrize("strength", [0.0, 0.05, 0.1, 0.3])
def test_shade_variation(strength):
    s = shade_variation(rng(2), (64, 80), strength)
    assert s.shape == (64, 80, 1) and s.dtype == np.float32
    assert s.min() >= 1 - strength - 1e-5 and s.max() <= 1 + strength + 1e-5
    assert abs(float(s.mean()) - 1.0) < max(strength, 1e-6)
    if strength > 0:
        assert float(s.std()) > 0.05 * strength
        assert _neighbour_diff(s) < 0.05 * strength  # low frequency
    else:
        assert np.all(s == 1.0)


def test_shade_variation_default_strength():
    s = shade_variation(rng(0), (32, 32))
    assert 0.9 - 1e-5 <= s.min() and s.max() <= 1.1 + 1e-5


# ---------------------------------------------------------------------------------------------
# invalid input
# ---------------------------------------------------------------------------------------------


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="unknown pattern kind"):
        make_pattern(rng(0), SIZE, "polka")
    with pytest.raises(ValueError, match="unknown background kind"):
        make_background(rng(0), SIZE, "space")


@pytest.mark.parametrize(
    "size", [(0, 5), (5, 0), (-3, 4), (5,), (1, 2, 3), (2.5, 3), "ab", 64, (True, 4), None]
)
def test_bad_size_raises(size):
    with pytest.raises(ValueError):
        make_pattern(rng(0), size, "solid")
    with pytest.raises(ValueError):
        make_background(rng(0), size)
    with pytest.raises(ValueError):
        shade_variation(rng(0), size)


@pytest.mark.parametrize("strength", [-0.1, float("nan"), float("inf")])
def test_bad_strength_raises(strength):
    with pytest.raises(ValueError):
        shade_variation(rng(0), (8, 8), strength)


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError):
        make_pattern(0, SIZE, "solid")
    with pytest.raises(TypeError):
        make_background(np.random.RandomState(0), SIZE)
    with pytest.raises(TypeError):
        skin_tone(None)
