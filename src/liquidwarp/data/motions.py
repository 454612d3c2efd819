"""Deterministic generator of smooth, plausible human motion sequences.

The synthetic-people pipeline animates bodies with these motions. A :class:`Motion` holds, per frame,
the axis-angle rotations of the 19 posed joints (``liquidwarp.body.joints.BODY_JOINTS`` order, same
sign conventions), the yaw of the whole body about the vertical axis and the displacement of the body
in the world frame (``z`` up).

Every kind of motion is assembled from

* keyframes at random times (every ~0.3-1.0 s) with per-kind random amplitudes, interpolated with a
  shape-preserving piecewise cubic (PCHIP-like) after limiting the keyframe-to-keyframe rate, so
  angular speed is bounded by construction (at most ``2 * max_speed`` of the keyframe track), and
* sinusoids for the periodic parts (gait, breathing, dance bounce),

and is finally clipped to ``JOINT_LIMITS``. All randomness comes from the ``numpy.random.Generator``
passed in, so the same seed and arguments give identical output.

Root conventions: ``root_yaw[0] == 0`` (the body starts facing ``-y``) and
``root_translation[0] == (0, 0, 0)``; a positive yaw turns the body counter-clockwise seen from above,
so the facing direction at yaw ``a`` is ``(sin a, -cos a, 0)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from liquidwarp.body.joints import BODY_JOINTS, JOINT_LIMITS, NUM_JOINTS

__all__ = ["MOTION_KINDS", "Motion", "make_motion", "motion_to_numpy_dict", "motion_from_numpy_dict"]

#: The kinds of motion :func:`make_motion` can generate.
MOTION_KINDS: tuple[str, ...] = ("walk", "arm_swing", "turn", "dance", "idle")

_LIMITS = np.array([JOINT_LIMITS[name] for name in BODY_JOINTS], dtype=np.float64)  # (J, 3, 2)
_LO = _LIMITS[..., 0]  # (J, 3)
_HI = _LIMITS[..., 1]
_J = {name: i for i, name in enumerate(BODY_JOINTS)}

_X, _Y, _Z = 0, 1, 2

#: Keyframe rate limit (rad/s) of the angle tracks; the interpolant's speed stays below twice this.
_MAX_KEY_SPEED = 3.0
#: Keyframe spacing (seconds).
_KEY_INTERVAL = (0.3, 1.0)
#: Bound on the vertical root displacement (metres).
_MAX_ROOT_Z = 0.09


# --------------------------------------------------------------------------------------------------
# The motion container
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Motion:
    """A motion sequence of ``T`` frames.

    Attributes:
        joint_rotations: ``(T, 19, 3)`` float32, axis-angle radians per joint in ``BODY_JOINTS`` order.
        root_yaw: ``(T,)`` float32, radians about the world ``z`` axis (0 = facing ``-y``).
        root_translation: ``(T, 3)`` float32, metres, world frame (``z`` up), displacement of the body
            from its starting point.
        kind: name of the motion kind (one of ``MOTION_KINDS`` for generated motions; any non-empty
            string is accepted so motions from other sources can use the same container).
    """

    joint_rotations: np.ndarray
    root_yaw: np.ndarray
    root_translation: np.ndarray
    kind: str

    def __post_init__(self) -> None:
        rot = np.ascontiguousarray(self.joint_rotations, dtype=np.float32)
        yaw = np.ascontiguousarray(self.root_yaw, dtype=np.float32)
        trans = np.ascontiguousarray(self.root_translation, dtype=np.float32)
        if rot.ndim != 3 or rot.shape[1:] != (NUM_JOINTS, 3) or rot.shape[0] < 1:
            raise ValueError(
                f"joint_rotations must have shape (T, {NUM_JOINTS}, 3) with T >= 1, got {rot.shape}"
            )
        frames = rot.shape[0]
        if yaw.shape != (frames,):
            raise ValueError(f"root_yaw must have shape ({frames},), got {yaw.shape}")
        if trans.shape != (frames, 3):
            raise ValueError(f"root_translation must have shape ({frames}, 3), got {trans.shape}")
        for name, arr in (("joint_rotations", rot), ("root_yaw", yaw), ("root_translation", trans)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} contains non-finite values")
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError(f"kind must be a non-empty string, got {self.kind!r}")
        object.__setattr__(self, "joint_rotations", rot)
        object.__setattr__(self, "root_yaw", yaw)
        object.__setattr__(self, "root_translation", trans)

    @property
    def num_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.joint_rotations.shape[0])


def motion_to_numpy_dict(m: Motion) -> dict[str, np.ndarray]:
    """Plain dict of arrays (``np.savez(path, **d)`` friendly, no pickling needed)."""
    return {
        "joint_rotations": m.joint_rotations.copy(),
        "root_yaw": m.root_yaw.copy(),
        "root_translation": m.root_translation.copy(),
        "kind": np.array(m.kind),
    }


def motion_from_numpy_dict(d: Mapping[str, np.ndarray]) -> Motion:
    """Inverse of :func:`motion_to_numpy_dict`; also accepts the ``NpzFile`` of ``np.load``."""
    keys = ("joint_rotations", "root_yaw", "root_translation", "kind")
    missing = [k for k in keys if k not in d]
    if missing:
        raise ValueError(f"motion dict is missing {', '.join(missing)}")
    kind = np.asarray(d["kind"])
    if kind.ndim != 0:
        raise ValueError(f"'kind' must be a scalar string array, got shape {kind.shape}")
    return Motion(
        joint_rotations=np.array(d["joint_rotations"], dtype=np.float32),
        root_yaw=np.array(d["root_yaw"], dtype=np.float32),
        root_translation=np.array(d["root_translation"], dtype=np.float32),
        kind=str(kind.item()),
    )


# --------------------------------------------------------------------------------------------------
# Interpolation helpers
# --------------------------------------------------------------------------------------------------


def _pchip(x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Shape-preserving piecewise cubic Hermite interpolation of ``y`` (K, C) at ``x`` (K,), evaluated at ``t``.

    Interior slopes are the weighted harmonic means of the neighbouring secants (Fritsch-Butland),
    zero at local extrema; end slopes equal the end secants. Every slope is bounded by the adjacent
    secants, so the interpolant's speed is at most twice the largest secant.
    """
    h = np.diff(x)  # (K-1,)
    delta = np.diff(y, axis=0) / h[:, None]  # (K-1, C)
    d = np.empty_like(y)
    d[0] = delta[0]
    d[-1] = delta[-1]
    if len(x) > 2:
        d0, d1 = delta[:-1], delta[1:]
        w1 = (2.0 * h[1:] + h[:-1])[:, None]
        w2 = (h[1:] + 2.0 * h[:-1])[:, None]
        same_sign = d0 * d1 > 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            hm = (w1 + w2) / (w1 / d0 + w2 / d1)
        d[1:-1] = np.where(same_sign, hm, 0.0)
    idx = np.clip(np.searchsorted(x, t, side="right") - 1, 0, len(x) - 2)
    hh = h[idx][:, None]
    s = ((t - x[idx]) / h[idx])[:, None]
    s2, s3 = s * s, s * s * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    return h00 * y[idx] + h10 * hh * d[idx] + h01 * y[idx + 1] + h11 * hh * d[idx + 1]


def _keyframes(
    rng: np.random.Generator,
    t: np.ndarray,
    sample: Callable[[int], np.ndarray],
    *,
    max_speed: float | np.ndarray = _MAX_KEY_SPEED,
    interval: tuple[float, float] = _KEY_INTERVAL,
) -> np.ndarray:
    """A smooth multi-channel track through random keyframes, evaluated at times ``t``.

    Keyframe times start a random fraction of an interval before 0 and run past ``t[-1]``.
    ``sample(k)`` returns the ``(k, C)`` keyframe values. Consecutive keyframes are rate-limited to
    ``max_speed`` (per channel, units per second); since the limiting moves each key towards its
    predecessor, keys stay inside any convex range the sampler draws from.
    """
    end = float(t[-1])
    times = [-rng.uniform(0.0, interval[1])]
    while times[-1] <= end:
        times.append(times[-1] + rng.uniform(*interval))
    x = np.asarray(times)
    values = np.asarray(sample(len(x)), dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    vmax = np.broadcast_to(np.asarray(max_speed, dtype=np.float64), values.shape[1:])
    for k in range(1, len(x)):
        lim = vmax * (x[k] - x[k - 1])
        values[k] = values[k - 1] + np.clip(values[k] - values[k - 1], -lim, lim)
    return _pchip(x, values, t)


def _uniform(rng: np.random.Generator, low, high) -> Callable[[int], np.ndarray]:
    """Sampler of keyframes uniform in the box ``[low, high]`` (per channel)."""
    low = np.atleast_1d(np.asarray(low, dtype=np.float64))
    high = np.atleast_1d(np.asarray(high, dtype=np.float64))
    return lambda k: rng.uniform(low, high, size=(k, *np.broadcast_shapes(low.shape, high.shape)))


def _bump(phase: np.ndarray, power: float = 2.0) -> np.ndarray:
    """Smooth periodic bump in [0, 1], peaking at ``phase == 0 (mod 2 pi)``."""
    return (0.5 + 0.5 * np.cos(phase)) ** power


def _integrate(v: np.ndarray, dt: float) -> np.ndarray:
    """Cumulative trapezoidal integral along axis 0, starting at 0."""
    out = np.zeros_like(v)
    if len(v) > 1:
        out[1:] = np.cumsum(0.5 * (v[1:] + v[:-1]) * dt, axis=0)
    return out


def _forward(yaw: np.ndarray) -> np.ndarray:
    """Facing direction ``(sin yaw, -cos yaw, 0)``: (0, -1, 0) rotated by ``yaw`` about ``z``."""
    return np.stack([np.sin(yaw), -np.cos(yaw), np.zeros_like(yaw)], axis=-1)


def _body_to_world(local_xy: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Rotate body-frame horizontal offsets (T, 2) by ``yaw`` about ``z``; returns (T, 3) with z = 0."""
    c, s = np.cos(yaw), np.sin(yaw)
    x, y = local_xy[:, 0], local_xy[:, 1]
    return np.stack([c * x - s * y, s * x + c * y, np.zeros_like(x)], axis=-1)


def _mirror(rot: np.ndarray) -> np.ndarray:
    """Left/right mirror of axis-angle rotations (reflection x -> -x): (x, y, z) -> (x, -y, -z)."""
    return rot * np.array([1.0, -1.0, -1.0])


class _Pose:
    """Mutable (T, J, 3) rotation buffer with name-based access."""

    def __init__(self, frames: int):
        self.r = np.zeros((frames, NUM_JOINTS, 3), dtype=np.float64)

    def add(self, joint: str, axis: int, values) -> None:
        self.r[:, _J[joint], axis] += values

    def add_lr(self, joint: str, axis: int, left, right) -> None:
        self.r[:, _J[joint + ".L"], axis] += left
        self.r[:, _J[joint + ".R"], axis] += right


def _lower_arms(rng: np.random.Generator, pose: _Pose, low: float, high: float) -> None:
    """Lower both arms from the A-pose towards the sides (left +y, right -y)."""
    amount = rng.uniform(low, high)
    pose.add_lr("upperarm01", _Y, amount, -amount)


def _jitter(rng: np.random.Generator, t: np.ndarray, pose: _Pose, scale: float) -> None:
    """Small keyframed wobble on every joint component, proportional to its limit range."""
    span = (_HI - _LO).reshape(-1)
    amp = scale * span * rng.uniform(0.5, 1.0)
    track = _keyframes(rng, t, _uniform(rng, -amp, amp), max_speed=0.5)
    pose.r += track.reshape(len(t), NUM_JOINTS, 3)


# --------------------------------------------------------------------------------------------------
# Motion kinds. Each returns (rotations (T, J, 3), yaw (T,), translation (T, 3)) in float64.
# --------------------------------------------------------------------------------------------------

_Parts = tuple[np.ndarray, np.ndarray, np.ndarray]


def _walk(rng: np.random.Generator, t: np.ndarray) -> _Parts:
    frames = len(t)
    dt = float(t[1] - t[0]) if frames > 1 else 1.0
    pose = _Pose(frames)
    speed = rng.uniform(0.6, 1.4)
    vigour = (speed - 0.6) / 0.8  # 0 (slow) .. 1 (brisk)
    cycle = rng.uniform(0.9, 1.3)
    phase = 2.0 * math.pi * t / cycle + rng.uniform(0.0, 2.0 * math.pi)
    # Left leg: swing while the hip flexes (phase in (-pi/2, pi/2)), heel strike at pi/2.
    ph_l, ph_r = phase, phase + math.pi
    # slow stride-to-stride variation of the amplitudes
    mod = _keyframes(rng, t, _uniform(rng, 0.88, 1.12), max_speed=0.4, interval=(0.6, 1.0))[:, 0]

    # hips: flexion (-x) / extension in antiphase
    hip_amp = (0.2 + 0.17 * vigour) * rng.uniform(0.9, 1.1) * mod
    hip_bias = -rng.uniform(0.04, 0.12)
    pose.add_lr("upperleg01", _X, hip_bias - hip_amp * np.sin(ph_l), hip_bias - hip_amp * np.sin(ph_r))
    sway = rng.uniform(0.02, 0.05)  # pelvic drop: stance hip adducts slightly
    pose.add_lr("upperleg01", _Y, sway * np.cos(ph_l), -sway * np.cos(ph_r))
    # knees: big bend in early/mid swing, small loading bend after heel strike
    knee_peak = rng.uniform(0.6, 0.85) + 0.2 * vigour
    knee_load = rng.uniform(0.05, 0.2)
    knee_rest = rng.uniform(0.03, 0.08)
    for side, ph in (("L", ph_l), ("R", ph_r)):
        knee = knee_rest + knee_peak * mod * _bump(ph + 0.35) + knee_load * _bump(ph - math.pi / 2 - 0.5, 3.0)
        pose.add(f"lowerleg01.{side}", _X, knee)
        ankle = (
            0.04
            + rng.uniform(0.06, 0.12) * _bump(ph - math.pi)  # tibia rolls over the foot in mid stance
            + rng.uniform(0.03, 0.08) * _bump(ph - 0.3)  # toes up in swing
            - rng.uniform(0.2, 0.35) * _bump(ph + math.pi / 2 + 0.2, 3.0)  # push-off
        )
        pose.add(f"foot.{side}", _X, ankle)

    # arms swing opposite to the legs: left arm back when the left leg is forward
    arm_amp = (0.18 + 0.22 * vigour) * rng.uniform(0.85, 1.15) * mod
    arm_bias = -rng.uniform(0.0, 0.08)
    pose.add_lr("upperarm01", _X, arm_bias + arm_amp * np.sin(phase), arm_bias - arm_amp * np.sin(phase))
    _lower_arms(rng, pose, 0.4, 0.6)
    elbow_base = rng.uniform(0.15, 0.35)
    elbow_swing = rng.uniform(0.1, 0.3) * (0.5 + vigour)
    pose.add_lr(
        "lowerarm01",
        _X,
        -(elbow_base + elbow_swing * 0.5 * (1.0 - np.sin(phase))),  # bends more when swung forward
        -(elbow_base + elbow_swing * 0.5 * (1.0 + np.sin(phase))),
    )

    # trunk: slight forward lean, counter-twist of the upper back with the arm swing, lateral sway
    twist = rng.uniform(0.04, 0.1)
    pose.add("spine05", _Z, -0.5 * twist * np.sin(phase))
    pose.add("spine01", _Z, twist * np.sin(phase))
    pose.add("spine03", _X, rng.uniform(0.0, 0.08))
    pose.add("spine05", _Y, rng.uniform(0.01, 0.03) * np.cos(phase))
    pose.add("neck01", _Z, -0.5 * twist * np.sin(phase))
    look = _keyframes(rng, t, _uniform(rng, [-0.1, -0.05, -0.3], [0.15, 0.05, 0.3]), max_speed=1.0)
    pose.r[:, _J["head"]] += look
    _jitter(rng, t, pose, 0.01)

    # root: optional slow heading drift, forward displacement, vertical bob
    if rng.random() < 0.5:
        rate = _keyframes(rng, t, _uniform(rng, -0.3, 0.3), max_speed=0.5)[:, 0]
        yaw = _integrate(rate, dt) if frames > 1 else np.zeros(frames)
    else:
        yaw = np.zeros(frames)
    v = speed * (1.0 + 0.05 * np.cos(2.0 * phase))
    trans = _integrate(v[:, None] * _forward(yaw), dt) if frames > 1 else np.zeros((frames, 3))
    bob = rng.uniform(0.01, 0.025) * np.cos(2.0 * phase)  # highest in mid stance
    trans[:, 2] = bob - bob[0]
    return pose.r, yaw, trans


def _arm_swing(rng: np.random.Generator, t: np.ndarray) -> _Parts:
    frames = len(t)
    pose = _Pose(frames)
    d = math.radians
    # shoulder (x swing, y abduction, z twist) and elbow (x bend, z twist) of the left arm;
    # the right arm is drawn in the mirrored (left) frame and mirrored back.
    sh_lo, sh_hi = np.array([d(-110), d(-100), d(-50)]), np.array([d(40), d(35), d(50)])
    el_lo, el_hi = np.array([d(-125), 0.0, d(-40)]), np.array([0.0, 0.0, d(40)])
    wr = np.array([d(35), d(12), d(20)])
    lo = np.concatenate([sh_lo, el_lo, -wr])
    hi = np.concatenate([sh_hi, el_hi, wr])
    speed = _MAX_KEY_SPEED * rng.uniform(0.6, 1.0)
    left = _keyframes(rng, t, _uniform(rng, lo, hi), max_speed=speed)
    if rng.random() < 0.4:  # symmetric arm motion
        right = left + 0.05 * _keyframes(rng, t, _uniform(rng, -1.0, 1.0), max_speed=1.0)
    else:
        right = _keyframes(rng, t, _uniform(rng, lo, hi), max_speed=speed)
    for side, arm in (("L", left), ("R", right)):
        m = (lambda a: a) if side == "L" else _mirror
        pose.r[:, _J[f"upperarm01.{side}"]] += m(arm[:, 0:3])
        pose.r[:, _J[f"lowerarm01.{side}"]] += m(arm[:, 3:6])
        pose.r[:, _J[f"wrist.{side}"]] += m(arm[:, 6:9])
    # shoulders shrug a little when the arms go up
    pose.add_lr("clavicle", _Y, -0.12 * np.clip(-left[:, 1], 0, None), 0.12 * np.clip(-right[:, 1], 0, None))
    # trunk and head follow loosely
    trunk = _keyframes(rng, t, _uniform(rng, [-0.05, -0.06, -0.12], [0.12, 0.06, 0.12]), max_speed=1.0)
    pose.r[:, _J["spine03"]] += trunk
    pose.r[:, _J["spine01"]] += 0.5 * trunk
    head = _keyframes(rng, t, _uniform(rng, [-0.15, -0.1, -0.35], [0.2, 0.1, 0.35]), max_speed=1.5)
    pose.r[:, _J["head"]] += head
    # legs mostly still: slight stance variation
    pose.add_lr("lowerleg01", _X, rng.uniform(0.0, 0.1), rng.uniform(0.0, 0.1))
    _jitter(rng, t, pose, 0.012)
    return pose.r, np.zeros(frames), np.zeros((frames, 3))


def _turn(rng: np.random.Generator, t: np.ndarray) -> _Parts:
    frames = len(t)
    pose = _Pose(frames)
    duration = float(t[-1])
    # the turn occupies a window of the clip, with a minimum-jerk yaw profile
    start = rng.uniform(0.0, 0.15) * duration
    window = max(duration - start - rng.uniform(0.0, 0.15) * duration, 1e-9)
    peak_rate = 4.0  # rad/s; peak of the min-jerk profile is 1.875 * total / window
    total_max = min(2.0 * math.pi, peak_rate * window / 1.875)
    total_min = min(math.pi / 2, total_max)
    total = rng.uniform(total_min, total_max) * rng.choice([-1.0, 1.0])
    tau = np.clip((t - start) / window, 0.0, 1.0)
    yaw = total * (10 * tau**3 - 15 * tau**4 + 6 * tau**5)
    effort = 16.0 * tau**2 * (1.0 - tau) ** 2  # normalised turning speed, 0..1, smooth
    sign = math.copysign(1.0, total)

    # small alternating steps while turning
    step_rate = rng.uniform(1.6, 2.2)  # steps per second (each leg steps at half this rate)
    ph = math.pi * step_rate * t + rng.uniform(0.0, 2.0 * math.pi)
    lift_hip, lift_knee = rng.uniform(0.15, 0.35), rng.uniform(0.3, 0.6)
    for side, p in (("L", ph), ("R", ph + math.pi)):
        lift = effort * _bump(p)
        pose.add(f"upperleg01.{side}", _X, -lift_hip * lift)
        pose.add(f"lowerleg01.{side}", _X, lift_knee * lift)
        pose.add(f"foot.{side}", _X, 0.3 * lift_hip * lift)
        pose.add(f"upperleg01.{side}", _Z, 0.12 * sign * lift)  # foot turns into the new direction
    # head and upper body lead the turn
    lead = rng.uniform(0.1, 0.3)
    pose.add("head", _Z, lead * sign * effort)
    pose.add("neck01", _Z, 0.5 * lead * sign * effort)
    pose.add("spine01", _Z, 0.4 * lead * sign * effort)
    _lower_arms(rng, pose, 0.35, 0.6)
    arms = _keyframes(rng, t, _uniform(rng, [-0.25, -0.1, -0.45], [0.15, 0.1, 0.0]), max_speed=1.5)
    pose.add_lr("upperarm01", _X, arms[:, 0], arms[:, 0] + 0.05 * arms[:, 1])
    pose.add_lr("upperarm01", _Y, arms[:, 1], -arms[:, 1])
    pose.add_lr("lowerarm01", _X, arms[:, 2], arms[:, 2])
    pose.add_lr("lowerleg01", _X, 0.05, 0.05)
    _jitter(rng, t, pose, 0.01)

    # the body wanders a few centimetres while stepping
    drift = _keyframes(rng, t, _uniform(rng, [-0.1, -0.1], [0.1, 0.1]), max_speed=0.25)
    trans = np.zeros((frames, 3))
    trans[:, :2] = drift - drift[0]
    bob = -0.012 * effort * (_bump(ph) + _bump(ph + math.pi))
    trans[:, 2] = bob - bob[0]
    return pose.r, yaw, trans


def _dance(rng: np.random.Generator, t: np.ndarray) -> _Parts:
    frames = len(t)
    pose = _Pose(frames)
    energy = rng.uniform(0.4, 0.7)  # fraction of the distance from neutral to each limit
    neutral = np.clip(np.zeros((NUM_JOINTS, 3)), _LO, _HI)
    # per-joint share of the energy: legs and spine calmer than arms and head
    share = np.ones(NUM_JOINTS)
    for name in ("upperleg01.L", "upperleg01.R"):
        share[_J[name]] = 0.4
    for name in ("lowerleg01.L", "lowerleg01.R"):
        share[_J[name]] = 0.25
    for name in ("foot.L", "foot.R", "spine05", "spine03", "spine01"):
        share[_J[name]] = 0.5
    scale = (energy * share)[:, None]
    lo = (neutral + scale * (_LO - neutral)).reshape(-1)
    hi = (neutral + scale * (_HI - neutral)).reshape(-1)
    speed = np.full((NUM_JOINTS, 3), _MAX_KEY_SPEED * rng.uniform(0.6, 1.0)).reshape(-1)
    pose.r += _keyframes(rng, t, _uniform(rng, lo, hi), max_speed=speed).reshape(frames, NUM_JOINTS, 3)

    # the beat: knee bounce with matching hip flexion and ankle dorsiflexion, hips sway every two beats
    beat = 60.0 / rng.uniform(90.0, 130.0)
    ph = 2.0 * math.pi * t / beat + rng.uniform(0.0, 2.0 * math.pi)
    bounce_amp = rng.uniform(0.1, 0.4)
    bounce = bounce_amp * _bump(ph)
    pose.add_lr("lowerleg01", _X, bounce, bounce)
    pose.add_lr("upperleg01", _X, -0.5 * bounce, -0.5 * bounce)
    pose.add_lr("foot", _X, 0.4 * bounce, 0.4 * bounce)
    sway_amp = rng.uniform(0.03, 0.1)
    sway = np.sin(0.5 * ph)
    pose.add_lr("upperleg01", _Y, 0.8 * sway_amp * sway, 0.8 * sway_amp * sway)
    pose.add("spine05", _Y, -1.5 * sway_amp * sway)
    pose.add("spine03", _Y, 0.6 * sway_amp * sway)

    # root: small steps around the origin, some yaw, sway and vertical bounce
    yaw_key = _keyframes(rng, t, _uniform(rng, -0.6, 0.6), max_speed=1.5)[:, 0]
    yaw = yaw_key - yaw_key[0]
    steps = _keyframes(rng, t, _uniform(rng, [-0.25, -0.25], [0.25, 0.25]), max_speed=0.6)
    local_sway = np.stack([rng.uniform(0.02, 0.06) * sway, np.zeros(frames)], axis=-1)
    trans = np.zeros((frames, 3))
    trans[:, :2] = steps - steps[0]
    trans += _body_to_world(local_sway, yaw) - _body_to_world(local_sway[:1], yaw[:1])
    z = -0.15 * bounce  # bending the knees lowers the body
    trans[:, 2] = z - z[0]
    return pose.r, yaw, trans


def _idle(rng: np.random.Generator, t: np.ndarray) -> _Parts:
    frames = len(t)
    pose = _Pose(frames)
    # breathing: chest rises, shoulders lift slightly
    breath = np.sin(2.0 * math.pi * t / rng.uniform(3.0, 5.0) + rng.uniform(0.0, 2.0 * math.pi))
    pose.add("spine01", _X, -rng.uniform(0.01, 0.03) * breath)
    pose.add("neck01", _X, rng.uniform(0.005, 0.015) * breath)
    shrug = rng.uniform(0.01, 0.03) * breath
    pose.add_lr("clavicle", _Y, -shrug, shrug)
    # weight shift from one leg to the other (w > 0: weight on the left leg, pelvis moves left)
    w = _keyframes(rng, t, _uniform(rng, -1.0, 1.0), max_speed=0.8, interval=(0.6, 1.0))[:, 0]
    shift = rng.uniform(0.03, 0.08)
    pose.add_lr("upperleg01", _Y, shift * w, shift * w)
    pose.add("spine05", _Y, -0.6 * shift * w)
    pose.add_lr("lowerleg01", _X, 0.03 + 0.1 * np.clip(-w, 0, None), 0.03 + 0.1 * np.clip(w, 0, None))
    # looking around
    head = _keyframes(rng, t, _uniform(rng, [-0.12, -0.08, -0.35], [0.15, 0.08, 0.35]), max_speed=1.0)
    pose.r[:, _J["head"]] += head
    pose.r[:, _J["neck01"]] += 0.3 * head
    # arms hang, elbows relaxed
    _lower_arms(rng, pose, 0.45, 0.65)
    arms = _keyframes(rng, t, _uniform(rng, [-0.12, -0.05, -0.35, -0.12], [0.08, 0.05, -0.1, 0.08]), max_speed=0.6)
    pose.add_lr("upperarm01", _X, arms[:, 0], arms[:, 3])
    pose.add_lr("upperarm01", _Y, arms[:, 1], -arms[:, 1])
    pose.add_lr("lowerarm01", _X, arms[:, 2], arms[:, 2] + 0.5 * arms[:, 1])
    _jitter(rng, t, pose, 0.008)
    trans = np.zeros((frames, 3))
    trans[:, 0] = rng.uniform(0.02, 0.04) * (w - w[0])
    return pose.r, np.zeros(frames), trans


_BUILDERS: dict[str, Callable[[np.random.Generator, np.ndarray], _Parts]] = {
    "walk": _walk,
    "arm_swing": _arm_swing,
    "turn": _turn,
    "dance": _dance,
    "idle": _idle,
}


# --------------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------------


def make_motion(rng: np.random.Generator, frames: int, kind: str | None = None, fps: float = 30.0) -> Motion:
    """Generate a random motion of ``frames`` frames sampled at ``fps``.

    Args:
        rng: source of all randomness (same state and arguments -> identical output).
        frames: number of frames, >= 1.
        kind: one of ``MOTION_KINDS``, or ``None`` for a random kind (drawn from ``rng``).
        fps: frame rate, > 0. Motions are defined in seconds, so a different ``fps`` samples the
            same kind of motion more or less densely.

    Joint speeds stay below ~6 rad/s (measured max ~5 rad/s, i.e. < 0.2 rad per frame at 30 fps)
    and the root moves at most ~1.5 m/s. ``root_yaw[0]`` is 0 and ``root_translation[0]`` is ``(0, 0, 0)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)):
        raise ValueError(f"frames must be an integer >= 1, got {frames!r}")
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    try:
        fps_value = float(fps)
    except (TypeError, ValueError):
        raise ValueError(f"fps must be a positive number, got {fps!r}") from None
    if not math.isfinite(fps_value) or fps_value <= 0.0:
        raise ValueError(f"fps must be a positive finite number, got {fps!r}")
    if kind is None:
        kind = MOTION_KINDS[int(rng.integers(len(MOTION_KINDS)))]
    elif kind not in _BUILDERS:
        raise ValueError(f"unknown motion kind {kind!r}; expected one of {', '.join(MOTION_KINDS)} or None")

    t = np.arange(int(frames), dtype=np.float64) / fps_value
    rot, yaw, trans = _BUILDERS[kind](rng, t)
    rot = np.clip(rot, _LO, _HI)
    trans = trans.copy()
    trans[:, 2] = np.clip(trans[:, 2], -_MAX_ROOT_Z, _MAX_ROOT_Z)
    return Motion(
        joint_rotations=rot.astype(np.float32),
        root_yaw=yaw.astype(np.float32),
        root_translation=trans.astype(np.float32),
        kind=kind,
    )
