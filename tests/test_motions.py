"""Tests of the synthetic motion generator (liquidwarp.data.motions)."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from liquidwarp.body.joints import BODY_JOINTS, JOINT_LIMITS, NUM_JOINTS, joint_index
from liquidwarp.data.motions import (
    MOTION_KINDS,
    Motion,
    make_motion,
    motion_from_numpy_dict,
    motion_to_numpy_dict,
)

LO = np.array([[lim[0] for lim in JOINT_LIMITS[n]] for n in BODY_JOINTS])
HI = np.array([[lim[1] for lim in JOINT_LIMITS[n]] for n in BODY_JOINTS])
SEEDS = range(50)


@functools.lru_cache(maxsize=None)
def batch(kind: str, frames: int = 90) -> tuple[Motion, ...]:
    """50 motions of one kind (cached: several tests look at the same batch)."""
    return tuple(make_motion(np.random.default_rng(seed), frames, kind) for seed in SEEDS)


def forward(yaw: float) -> np.ndarray:
    return np.array([math.sin(yaw), -math.cos(yaw)])


def test_public_kinds():
    assert MOTION_KINDS == ("walk", "arm_swing", "turn", "dance", "idle")


@pytest.mark.parametrize("kind", MOTION_KINDS)
@pytest.mark.parametrize("frames", [1, 2, 90])
def test_shapes_and_dtypes(kind, frames):
    m = make_motion(np.random.default_rng(7), frames, kind)
    assert isinstance(m, Motion)
    assert m.kind == kind
    assert m.num_frames == frames
    assert m.joint_rotations.shape == (frames, NUM_JOINTS, 3)
    assert m.root_yaw.shape == (frames,)
    assert m.root_translation.shape == (frames, 3)
    for arr in (m.joint_rotations, m.root_yaw, m.root_translation):
        assert arr.dtype == np.float32
        assert np.all(np.isfinite(arr))
    # the motion starts at the origin, facing -y
    np.testing.assert_allclose(m.root_translation[0], 0.0, atol=1e-6)
    assert abs(float(m.root_yaw[0])) < 1e-6


@pytest.mark.parametrize("kind", MOTION_KINDS)
def test_within_joint_limits(kind):
    for m in batch(kind):
        r = m.joint_rotations.astype(np.float64)
        assert np.all(r >= LO - 1e-6), f"{kind}: below limit"
        assert np.all(r <= HI + 1e-6), f"{kind}: above limit"
        assert np.all(np.abs(m.root_translation[:, 2]) < 0.1)


@pytest.mark.parametrize("kind", MOTION_KINDS)
def test_smooth(kind):
    for m in batch(kind):
        joint_step = np.abs(np.diff(m.joint_rotations, axis=0)).max()
        root_step = np.linalg.norm(np.diff(m.root_translation, axis=0), axis=1).max()
        yaw_step = np.abs(np.diff(m.root_yaw)).max()
        assert joint_step < 0.25, f"{kind}: joint jump {joint_step:.3f} rad"
        assert root_step < 0.1, f"{kind}: root jump {root_step:.3f} m"
        assert yaw_step < 0.25, f"{kind}: yaw jump {yaw_step:.3f} rad"


@pytest.mark.parametrize("kind", MOTION_KINDS)
def test_motion_is_not_static(kind):
    for m in batch(kind)[:10]:
        assert np.ptp(m.joint_rotations, axis=0).max() > 0.05


@pytest.mark.parametrize("kind", [*MOTION_KINDS, None])
def test_deterministic(kind):
    a = make_motion(np.random.default_rng(123), 60, kind)
    b = make_motion(np.random.default_rng(123), 60, kind)
    c = make_motion(np.random.default_rng(124), 60, kind)
    assert a.kind == b.kind
    np.testing.assert_array_equal(a.joint_rotations, b.joint_rotations)
    np.testing.assert_array_equal(a.root_yaw, b.root_yaw)
    np.testing.assert_array_equal(a.root_translation, b.root_translation)
    assert a.kind != c.kind or not np.array_equal(a.joint_rotations, c.joint_rotations)


def test_random_kind_covers_all_kinds():
    kinds = {make_motion(np.random.default_rng(s), 2).kind for s in range(60)}
    assert kinds == set(MOTION_KINDS)


def test_walk_gait():
    hip_l, hip_r = joint_index("upperleg01.L"), joint_index("upperleg01.R")
    arm_l, arm_r = joint_index("upperarm01.L"), joint_index("upperarm01.R")
    knee_l = joint_index("lowerleg01.L")
    for m in batch("walk"):
        r = m.joint_rotations
        # legs in antiphase, each arm swings opposite to its leg
        assert np.corrcoef(r[:, hip_l, 0], r[:, hip_r, 0])[0, 1] < -0.5
        assert np.corrcoef(r[:, hip_l, 0], r[:, arm_l, 0])[0, 1] < -0.5
        assert np.corrcoef(r[:, hip_r, 0], r[:, arm_r, 0])[0, 1] < -0.5
        # arms lowered towards the sides, knees bend during the gait
        assert r[:, arm_l, 1].mean() > 0.2 and r[:, arm_r, 1].mean() < -0.2
        assert r[:, knee_l, 0].max() > 0.4
        # 3 s of walking at 0.6-1.4 m/s, along the facing direction
        d = m.root_translation[-1, :2].astype(np.float64)
        dist = np.linalg.norm(d)
        assert dist > 0.5
        assert d @ forward(float(m.root_yaw.mean())) / dist > 0.9


def test_walk_follows_heading():
    for seed in range(20):
        m = make_motion(np.random.default_rng(seed), 90, "walk")
        v = np.diff(m.root_translation[:, :2].astype(np.float64), axis=0)
        yaw_mid = 0.5 * (m.root_yaw[1:] + m.root_yaw[:-1]).astype(np.float64)
        f = np.stack([np.sin(yaw_mid), -np.cos(yaw_mid)], axis=-1)
        cos = np.sum(v * f, axis=1) / np.linalg.norm(v, axis=1)
        assert cos.min() > 0.99


def test_turn_sweeps_at_least_90_degrees():
    signs = set()
    for m in batch("turn"):
        total = float(m.root_yaw[-1] - m.root_yaw[0])
        assert math.pi / 2 - 1e-3 <= abs(total) <= 2 * math.pi + 1e-3
        signs.add(math.copysign(1.0, total))
        # the body stays roughly in place while turning
        assert np.linalg.norm(m.root_translation[:, :2], axis=1).max() < 0.3
    assert signs == {-1.0, 1.0}


@pytest.mark.parametrize("kind", ["arm_swing", "dance", "idle"])
def test_in_place_kinds_stay_near_origin(kind):
    for m in batch(kind):
        assert np.linalg.norm(m.root_translation[:, :2], axis=1).max() < 0.6


def test_arm_swing_moves_arms_more_than_legs():
    arms = [joint_index(n) for n in ("upperarm01.L", "upperarm01.R", "lowerarm01.L", "lowerarm01.R")]
    legs = [joint_index(n) for n in ("upperleg01.L", "upperleg01.R", "lowerleg01.L", "lowerleg01.R")]
    for m in batch("arm_swing"):
        r = m.joint_rotations
        assert np.ptp(r[:, arms], axis=0).max() > 3 * np.ptp(r[:, legs], axis=0).max()


def test_other_frame_rates_are_smooth():
    for fps in (15.0, 60.0):
        for kind in MOTION_KINDS:
            m = make_motion(np.random.default_rng(3), int(3 * fps), kind, fps=fps)
            assert np.abs(np.diff(m.joint_rotations, axis=0)).max() < 0.25 * 30.0 / fps


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"frames": 10, "kind": "jump"}, "unknown motion kind"),
        ({"frames": 0}, "frames"),
        ({"frames": -3}, "frames"),
        ({"frames": 2.5}, "frames"),
        ({"frames": 10, "fps": 0.0}, "fps"),
        ({"frames": 10, "fps": -30.0}, "fps"),
        ({"frames": 10, "fps": float("nan")}, "fps"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_motion(np.random.default_rng(0), **kwargs)


def test_motion_validates_shapes():
    rot = np.zeros((4, NUM_JOINTS, 3))
    yaw = np.zeros(4)
    trans = np.zeros((4, 3))
    m = Motion(rot, yaw, trans, "idle")
    assert m.joint_rotations.dtype == np.float32
    with pytest.raises(ValueError, match="joint_rotations"):
        Motion(np.zeros((4, NUM_JOINTS - 1, 3)), yaw, trans, "idle")
    with pytest.raises(ValueError, match="root_yaw"):
        Motion(rot, np.zeros(5), trans, "idle")
    with pytest.raises(ValueError, match="root_translation"):
        Motion(rot, yaw, np.zeros((4, 2)), "idle")
    with pytest.raises(ValueError, match="non-finite"):
        Motion(rot, np.full(4, np.nan), trans, "idle")
    with pytest.raises(ValueError, match="kind"):
        Motion(rot, yaw, trans, "")


@pytest.mark.parametrize("kind", MOTION_KINDS)
def test_numpy_dict_round_trip(kind, tmp_path):
    m = make_motion(np.random.default_rng(5), 30, kind)
    d = motion_to_numpy_dict(m)
    assert all(isinstance(v, np.ndarray) for v in d.values())
    path = tmp_path / "motion.npz"
    np.savez(path, **d)
    with np.load(path, allow_pickle=False) as loaded:
        back = motion_from_numpy_dict(loaded)
    for m2 in (motion_from_numpy_dict(d), back):
        assert m2.kind == kind
        np.testing.assert_array_equal(m2.joint_rotations, m.joint_rotations)
        np.testing.assert_array_equal(m2.root_yaw, m.root_yaw)
        np.testing.assert_array_equal(m2.root_translation, m.root_translation)
    with pytest.raises(ValueError, match="missing"):
        motion_from_numpy_dict({k: v for k, v in d.items() if k != "root_yaw"})
