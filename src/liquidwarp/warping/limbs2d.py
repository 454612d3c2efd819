"""A 2D-keypoint baseline for motion imitation: every limb moves by its own landmark map.

The 2D-pose methods that Liquid Warping GAN (Liu et al., ICCV 2019, section 4) is compared
against have no body surface: they cut the source person into rigid pieces along the 2D skeleton
and move each piece by the map that takes its landmarks in the source pose to the same landmarks
in the target (reference) pose. This module is that baseline, with no learning, as a pure
function of the source photo, its person mask and two sets of keypoints.

Keypoints are ``(K, 2)`` continuous pixel coordinates in the order of
``liquidwarp.body.model.KEYPOINT_NAMES`` (the conventions of ``liquidwarp.geometry.cameras``:
x right, y down, the centre of pixel ``(row i, column j)`` at ``(j + 0.5, i + 0.5)``). Left and
right are the person's.

Choices (plain baseline choices, none tuned):

- **Maps.** A segment with two landmarks ``a -> b`` moves by the similarity (rotation, uniform
  scale, translation) that sends ``a, b`` in the source to ``a, b`` in the target. Where either
  of the two segments is shorter than ``MIN_SEGMENT_LENGTH`` (coincident landmarks) it moves by
  the translation sending ``a`` to ``a`` instead, so the limb stays attached at its proximal joint.
  The hand reuses its forearm's map (elbow -> wrist): hand keypoints are not in the set.
  The foot uses ankle -> big toe (heel -> toe nearly vanishes in frontal views).
- **Torso.** The full affine map that sends mid-shoulder, left hip and right hip to the same three
  points: exact on them, it follows a torso that leans, shrugs or is foreshortened along two axes,
  which a similarity cannot. Where either triangle is (nearly) flat (``FLAT_TRIANGLE``; e.g. hips
  on top of each other in a side view) the affine map is undetermined and the torso falls back to
  the similarity mid-hip -> mid-shoulder.
- **Head.** The similarity neck -> nose, where neck = mid-shoulder: the nose is the most reliably
  detected head point, and anchoring at the neck keeps the head on the shoulders while it tilts.
- **Regions.** Each person pixel belongs to the segment whose *bones* (line segments between
  landmarks, listed in ``SEGMENTS``) pass nearest to it in the source, by point-to-segment
  distance. The torso is its spine (mid-shoulder -> mid-hip) and its two flanks (shoulder -> hip),
  not a polygon: an arm held across the chest lies inside a torso polygon but is still nearer its
  own axis. The hand's bone runs from the wrist ``HAND_LENGTH`` forearm lengths on, the head's from
  the neck through the nose to the crown (``HEAD_LENGTH`` neck-nose lengths past the nose) plus
  ear to ear. Ties go to the segment listed first, the proximal one: a pixel behind a joint (both
  distances measured to the shared joint) stays with the part above it.
- **Compositing order** (first drawn = furthest back) is the order of ``SEGMENTS``: torso, head,
  right leg, left leg, right arm, left arm, each limb proximal to distal. 2D keypoints carry no
  depth, so which side is in front is a fixed guess.
- **Sampling and anti-aliasing.** Inverse mapping: each target pixel centre is taken back into the
  source by each segment's inverse map, and the image (premultiplied by that segment's region mask)
  and the region mask itself are sampled there bilinearly (``grid_sample``,
  ``align_corners=False``); the sampled mask is the layer's alpha and layers are composited with
  the premultiplied "over" operator, so silhouettes are soft. Each region mask is grown by one pixel
  *inside the person mask* before sampling, so neighbouring regions overlap and their soft edges
  do not let the background show through along every joint.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F

from liquidwarp.body.model import KEYPOINT_NAMES
from liquidwarp.geometry.cameras import ALIGN_CORNERS, pixel_centers, pixels_to_grid

NUM_KEYPOINTS = len(KEYPOINT_NAMES)
MIN_SEGMENT_LENGTH = 1e-4  # pixels: a landmark segment shorter than this counts as coincident points
FLAT_TRIANGLE = 1e-3  # |cross| / (|e1|^2 + |e2|^2) below this: the torso triangle is flat
HAND_LENGTH = 0.6  # the hand's bone reaches this many forearm lengths past the wrist
HEAD_LENGTH = 0.6  # the head's bone reaches this many neck-to-nose lengths past the nose (crown)

#: A landmark: a weighted sum of named keypoints (a keypoint, a midpoint, a point beyond a joint).
Landmark = tuple[tuple[str, float], ...]


def _at(name: str) -> Landmark:
    return ((name, 1.0),)


def _mid(first: str, second: str) -> Landmark:
    return ((first, 0.5), (second, 0.5))


def _beyond(start: str, end: str, fraction: float) -> Landmark:
    """``end + fraction (end - start)``."""
    return ((end, 1.0 + fraction), (start, -fraction))


def _beyond_mid(start: Landmark, end: str, fraction: float) -> Landmark:
    """``end + fraction (end - start)`` for a composite ``start``."""
    return ((end, 1.0 + fraction), *((name, -fraction * weight) for name, weight in start))


class LimbSegment(NamedTuple):
    """One rigidly moved piece of the person.

    Attributes:
        name: e.g. ``"left_forearm"``.
        landmarks: two landmarks (similarity map) or three (affine map) defining the motion.
        bones: the region's skeleton: pairs of landmarks; a person pixel belongs to the segment
            with the nearest bone.
        fallback: for three-landmark segments, the two landmarks of the similarity used when a
            triangle is flat.
    """

    name: str
    landmarks: tuple[Landmark, ...]
    bones: tuple[tuple[Landmark, Landmark], ...]
    fallback: tuple[Landmark, Landmark] | None = None


_NECK = _mid("left_shoulder", "right_shoulder")
_MID_HIP = _mid("left_hip", "right_hip")


def _leg(side: str) -> tuple[LimbSegment, ...]:
    hip, knee, ankle = _at(f"{side}_hip"), _at(f"{side}_knee"), _at(f"{side}_ankle")
    big_toe, small_toe, heel = _at(f"{side}_big_toe"), _at(f"{side}_small_toe"), _at(f"{side}_heel")
    return (
        LimbSegment(f"{side}_thigh", (hip, knee), ((hip, knee),)),
        LimbSegment(f"{side}_shin", (knee, ankle), ((knee, ankle),)),
        LimbSegment(
            f"{side}_foot",
            (ankle, big_toe),
            ((ankle, big_toe), (ankle, small_toe), (heel, big_toe), (heel, small_toe)),
        ),
    )


def _arm(side: str) -> tuple[LimbSegment, ...]:
    shoulder, elbow, wrist = _at(f"{side}_shoulder"), _at(f"{side}_elbow"), _at(f"{side}_wrist")
    fingertips = _beyond(f"{side}_elbow", f"{side}_wrist", HAND_LENGTH)
    return (
        LimbSegment(f"{side}_upper_arm", (shoulder, elbow), ((shoulder, elbow),)),
        LimbSegment(f"{side}_forearm", (elbow, wrist), ((elbow, wrist),)),
        LimbSegment(f"{side}_hand", (elbow, wrist), ((wrist, fingertips),)),
    )


#: Every segment, in compositing order (first = furthest back); see the module docstring.
SEGMENTS: tuple[LimbSegment, ...] = (
    LimbSegment(
        "torso",
        (_NECK, _at("left_hip"), _at("right_hip")),
        ((_NECK, _MID_HIP), (_at("left_shoulder"), _at("left_hip")), (_at("right_shoulder"), _at("right_hip"))),
        fallback=(_MID_HIP, _NECK),
    ),
    LimbSegment(
        "head",
        (_NECK, _at("nose")),
        ((_NECK, _beyond_mid(_NECK, "nose", HEAD_LENGTH)), (_at("left_ear"), _at("right_ear"))),
    ),
    *_leg("right"),
    *_leg("left"),
    *_arm("right"),
    *_arm("left"),
)
SEGMENT_NAMES: tuple[str, ...] = tuple(segment.name for segment in SEGMENTS)


def _weights(landmarks: tuple[Landmark, ...]) -> torch.Tensor:
    """(P, K) float64 weights of the keypoints in each landmark (see ``_positions``)."""
    rows = torch.zeros(len(landmarks), NUM_KEYPOINTS, dtype=torch.float64)
    for row, landmark in zip(rows, landmarks):
        for name, weight in landmark:
            row[KEYPOINT_NAMES.index(name)] += weight
    return rows


# Built once: landmark weights per segment, and every bone with the segment that owns it.
_LANDMARK_WEIGHTS = [_weights(segment.landmarks) for segment in SEGMENTS]
_FALLBACK_WEIGHTS = [None if segment.fallback is None else _weights(segment.fallback) for segment in SEGMENTS]
_BONE_WEIGHTS = torch.stack([_weights(bone) for segment in SEGMENTS for bone in segment.bones])  # (M, 2, K)
_BONE_OWNER = [index for index, segment in enumerate(SEGMENTS) for _ in segment.bones]


def _positions(weights: torch.Tensor, keypoints: torch.Tensor) -> torch.Tensor:
    """(..., K) landmark weights, (K, 2) keypoints -> (..., 2) landmark positions."""
    return (weights.to(keypoints)[..., None] * keypoints).sum(-2)


def _check_keypoints(keypoints: torch.Tensor, name: str) -> None:
    if not isinstance(keypoints, torch.Tensor) or keypoints.shape != (NUM_KEYPOINTS, 2):
        raise ValueError(f"{name} must be a ({NUM_KEYPOINTS}, 2) tensor, got {getattr(keypoints, 'shape', type(keypoints))}")
    if not keypoints.is_floating_point():
        raise ValueError(f"{name} must be floating point, got {keypoints.dtype}")
    if not torch.isfinite(keypoints).all():
        raise ValueError(f"{name} has non-finite values; every keypoint is needed")


def _similarity(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(2, 3) similarity sending the two ``source`` points (2, 2) onto the two ``target`` points.

    In complex numbers ``z -> s z + t`` with ``s = (b' - a') / (b - a)``; a pure translation
    ``a -> a'`` where either segment is shorter than ``MIN_SEGMENT_LENGTH``.
    """
    source_step, target_step = source[1] - source[0], target[1] - target[0]
    if min(source_step.norm(), target_step.norm()) < MIN_SEGMENT_LENGTH:
        linear = torch.eye(2, dtype=source.dtype, device=source.device)
    else:
        squared = source_step.dot(source_step)
        cosine = source_step.dot(target_step) / squared  # Re(s)
        sine = (source_step[0] * target_step[1] - source_step[1] * target_step[0]) / squared  # Im(s)
        linear = torch.stack([torch.stack([cosine, -sine]), torch.stack([sine, cosine])])
    return torch.cat([linear, (target[0] - linear @ source[0])[:, None]], dim=1)


def _is_flat(triangle: torch.Tensor) -> bool:
    first, second = triangle[1] - triangle[0], triangle[2] - triangle[0]
    cross = first[0] * second[1] - first[1] * second[0]
    return bool(cross.abs() <= FLAT_TRIANGLE * (first.dot(first) + second.dot(second)))


def _affine(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(2, 3) affine map sending the three ``source`` points (3, 2) onto the three ``target`` points."""
    ones = torch.ones(3, 1, dtype=source.dtype, device=source.device)
    homogeneous = torch.cat([source, ones], dim=1)  # (3, 3): rows [x, y, 1]
    return torch.linalg.solve(homogeneous, target).T  # homogeneous @ M.T = target


def limb_transforms(source_keypoints: torch.Tensor, target_keypoints: torch.Tensor) -> dict[str, torch.Tensor]:
    """The forward map of every segment (see the module docstring for how each is chosen).

    Args:
        source_keypoints: (K, 2) pixel ``x, y`` in the source image.
        target_keypoints: (K, 2) pixel ``x, y`` of the same keypoints in the target pose.
    Returns:
        ``{segment name: (2, 3) matrix}`` in ``SEGMENTS`` order, each sending a source pixel
        ``(x, y, 1)`` to its target pixel; dtype and device of ``source_keypoints``.
    """
    _check_keypoints(source_keypoints, "source_keypoints")
    _check_keypoints(target_keypoints, "target_keypoints")
    # float64: the affine solve and the later inversion stay exact to well below a pixel.
    source, target = source_keypoints.double(), target_keypoints.to(source_keypoints.device).double()
    transforms = {}
    for segment, weights, fallback in zip(SEGMENTS, _LANDMARK_WEIGHTS, _FALLBACK_WEIGHTS):
        source_points, target_points = _positions(weights, source), _positions(weights, target)
        if len(segment.landmarks) == 2:
            matrix = _similarity(source_points, target_points)
        elif not (_is_flat(source_points) or _is_flat(target_points)):
            matrix = _affine(source_points, target_points)
        else:
            matrix = _similarity(_positions(fallback, source), _positions(fallback, target))
        transforms[segment.name] = matrix.to(source_keypoints.dtype)
    return transforms


def segment_labels(mask: torch.Tensor, source_keypoints: torch.Tensor) -> torch.Tensor:
    """Which segment each person pixel belongs to: the one with the nearest bone.

    Args:
        mask: (H, W) bool, 1 = person.
        source_keypoints: (K, 2) pixel ``x, y``.
    Returns:
        (H, W) long index into ``SEGMENTS``; -1 off the person.
    """
    if mask.ndim != 2 or mask.dtype != torch.bool:
        raise ValueError(f"mask must be (H, W) bool, got {tuple(mask.shape)} {mask.dtype}")
    _check_keypoints(source_keypoints, "source_keypoints")
    keypoints = source_keypoints.to(mask.device, torch.float32)
    points = pixel_centers(tuple(mask.shape), device=mask.device)[mask]  # (P, 2) person pixels only
    bones = _positions(_BONE_WEIGHTS, keypoints)  # (M, 2 ends, 2)
    nearest = torch.full((len(SEGMENTS), len(points)), torch.inf, device=mask.device)
    for (start, end), owner in zip(bones, _BONE_OWNER):  # one bone at a time keeps memory at O(P)
        step = end - start
        offset = points - start
        along = (offset @ step / step.dot(step).clamp(min=1e-12)).clamp(0.0, 1.0)
        squared = (offset - along[:, None] * step).square().sum(-1)
        nearest[owner] = torch.minimum(nearest[owner], squared)
    labels = torch.full(mask.shape, -1, dtype=torch.long, device=mask.device)
    labels[mask] = nearest.argmin(0)  # first minimum on ties: the proximal segment
    return labels


def _invert(matrix: torch.Tensor) -> torch.Tensor:
    """Inverse of a (2, 3) affine map."""
    linear = torch.linalg.inv(matrix[:, :2])
    return torch.cat([linear, -(linear @ matrix[:, 2:])], dim=1)


def affine_limb_warp(
    image: torch.Tensor,
    mask: torch.Tensor,
    source_keypoints: torch.Tensor,
    target_keypoints: torch.Tensor,
    background: torch.Tensor,
) -> torch.Tensor:
    """The source person re-posed limb by limb onto ``background`` (the 2D-keypoint baseline).

    Args:
        image: (1, 3, H, W) float in [0, 1], the source photo.
        mask: (1, H, W) bool, the source person (1 = person).
        source_keypoints: (K, 2) pixel ``x, y`` of ``KEYPOINT_NAMES`` in ``image``.
        target_keypoints: (K, 2) pixel ``x, y`` of the same keypoints in the target pose (the
            reference); may lie outside the image.
        background: (1, 3, H, W) float, shown wherever no segment lands.
    Returns:
        (1, 3, H, W) float in [0, 1], dtype and device of ``image``.
    """
    if image.ndim != 4 or image.shape[:2] != (1, 3) or not image.is_floating_point():
        raise ValueError(f"image must be (1, 3, H, W) float, got {tuple(image.shape)} {image.dtype}")
    size = tuple(image.shape[2:])
    if mask.shape != (1, *size) or mask.dtype != torch.bool:
        raise ValueError(f"mask must be (1, {size[0]}, {size[1]}) bool, got {tuple(mask.shape)} {mask.dtype}")
    if background.shape != image.shape or not background.is_floating_point():
        raise ValueError(f"background must be {tuple(image.shape)} float, got {tuple(background.shape)} {background.dtype}")

    dtype, device = image.dtype, image.device
    transforms = limb_transforms(source_keypoints, target_keypoints)
    inverses = torch.stack([_invert(transforms[name].double()) for name in SEGMENT_NAMES]).to(device, dtype)  # (N, 2, 3)

    # Region masks, each grown by a pixel inside the person so that neighbours overlap.
    labels = segment_labels(mask[0].to(device), source_keypoints)
    regions = (labels == torch.arange(len(SEGMENTS), device=device)[:, None, None]).to(dtype)  # (N, H, W)
    regions = F.max_pool2d(regions[:, None], kernel_size=3, stride=1, padding=1) * mask.to(dtype)  # (N, 1, H, W)
    layers = torch.cat([image * regions, regions], dim=1)  # (N, 4, H, W): premultiplied colour, alpha

    centers = pixel_centers(size, dtype=dtype, device=device)  # (H, W, 2) target pixels
    source_xy = torch.einsum("nij,hwj->nhwi", inverses[:, :, :2], centers) + inverses[:, None, None, :, 2]
    grid = pixels_to_grid(source_xy, size)
    samples = F.grid_sample(layers, grid, mode="bilinear", padding_mode="zeros", align_corners=ALIGN_CORNERS)

    output = background.to(device, dtype)
    for sample in samples:  # back to front
        output = sample[None, :3] + (1.0 - sample[None, 3:]) * output
    return output.clamp(0.0, 1.0)
