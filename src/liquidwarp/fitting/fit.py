"""Body mesh recovery by optimisation (SMPLify-style; Bogo et al. 2016, as the paper's HMR
substitute): body pose, shape and placement against 2D landmarks, hip-relative 3D landmarks and
the person mask, with joint-limit, pose, shape and temporal priors.

Loss terms (all per frame, averaged over the batch):

- 2D: visibility-weighted squared reprojection error of 25 landmark pairs, in percent of the
  person's height in pixels;
- 3D: squared error (cm) of the hip-centred keypoints in camera axes against MediaPipe's world
  landmarks;
- silhouette: every vertex should project inside the mask (distance outside, % of height) and
  every mask outline point should have a projected vertex near it (chamfer, % of height);
- priors: squared joint-limit violation, small pose magnitude, shape near average, and for video
  the squared change of joint and root rotations between neighbouring frames.

A single image runs two stages (placement and facing first, then everything). A video is fitted in
chunks of frames optimised together: the first chunk also fits one shape for the person, the later
ones keep it and start from the previous chunk's last frame. Pose and placement are then low-pass
filtered over time (Butterworth, as the paper's successor does).
"""

from __future__ import annotations

from dataclasses import dataclass

import roma
import torch
import torch.nn.functional as F

from liquidwarp.body.joints import BODY_JOINTS, JOINT_LIMITS
from liquidwarp.body.model import NUM_SHAPE, BodyModel, BodyParams
from liquidwarp.fitting import landmarks
from liquidwarp.fitting.targets import WORLD_TO_CAMERA, FitTargets, default_camera
from liquidwarp.geometry.cameras import Camera, pixels_to_grid
from liquidwarp.geometry.rotations import matrix_to_axis_angle


@dataclass(frozen=True)
class FitConfig:
    """Fitting settings (defaults measured on synthetic renders and the sample footage)."""

    iterations_first: int = 220  # Adam steps for an image, or a video's first chunk
    iterations_warm: int = 45  # Adam steps for each later chunk of a video
    placement_fraction: float = 0.3  # share of the first steps that fit only root rotation + translation
    chunk: int = 16  # video frames optimised together
    lr: float = 0.06  # Adam learning rate (radians, metres, shape logits)
    weight_2d: float = 1.0
    weight_knuckles: float = 0.5  # the knuckle pairs (they orient the hands) against a limb's 1: a few pixels from the wrist, often blurred
    weight_3d: float = 0.05
    weight_inside: float = 10.0
    weight_cover: float = 10.0
    weight_limits: float = 100.0
    weight_pose: float = 0.05
    weight_shape: float = 1.0
    weight_temporal: float = 20.0
    filter_cutoff_hz: float = 5.0  # low-pass cut-off for video; 0 disables filtering
    silhouette_stride: int = 3  # every n-th vertex takes part in the silhouette terms


_LIMITS = torch.tensor([JOINT_LIMITS[j] for j in BODY_JOINTS])  # (J, 3, 2)
_KNUCKLES = torch.tensor(landmarks.KNUCKLES)  # (P,) bool
#: (P,) 1 for the torso pairs, which alone place the body while the limbs are still at rest.
_TORSO = torch.tensor([float(n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")) for n in landmarks.NAMES])


def _initial_root(targets: FitTargets, camera: Camera) -> tuple[torch.Tensor, torch.Tensor]:
    """Root rotation from the 3D landmarks' left and up directions (or 2D facing), and a
    translation that puts the hips under their 2D position at the depth implied by the height."""
    b = targets.batch_size
    p = landmarks.pair_index
    k3, w3 = targets.keypoints_3d, targets.weight_3d
    left = (k3[:, p("left_hip")] - k3[:, p("right_hip")]) + (k3[:, p("left_shoulder")] - k3[:, p("right_shoulder")])
    up_c = 0.5 * (k3[:, p("left_shoulder")] + k3[:, p("right_shoulder")])  # hips are the origin
    rot = torch.eye(3).repeat(b, 1, 1)
    has3d = w3.sum(1) > 0
    if has3d.any():
        left_w = left @ WORLD_TO_CAMERA  # camera -> world is R^T; row-vector form
        up_w = up_c @ WORLD_TO_CAMERA
        x = F.normalize(left_w, dim=-1)
        z = F.normalize(up_w - (up_w * x).sum(-1, keepdim=True) * x, dim=-1)
        y = torch.cross(z, x, dim=-1)
        rot = torch.where(has3d[:, None, None], torch.stack([x, y, z], dim=-1), rot)
    k2 = targets.keypoints_2d
    facing_away = k2[:, p("left_shoulder"), 0] < k2[:, p("right_shoulder"), 0]
    turn = torch.tensor([[-1.0, 0, 0], [0, -1.0, 0], [0, 0, 1.0]])
    rot = torch.where((~has3d & facing_away)[:, None, None], turn.expand(b, 3, 3), rot)

    hips = 0.5 * (k2[:, p("left_hip")] + k2[:, p("right_hip")])
    depth = camera.focal[:, 1] * 1.7 / targets.person_height.clamp(min=8.0)
    xy = (hips - camera.principal) / camera.focal * depth[:, None]
    cam_point = torch.cat([xy, depth[:, None]], dim=-1)
    translation = (cam_point - camera.translation) @ camera.rotation[0]
    return matrix_to_axis_angle(rot), translation


class _Variables(torch.nn.Module):
    def __init__(self, init: BodyParams, shape_shared: bool, shape_free: bool):
        super().__init__()
        self.root_rotation = torch.nn.Parameter(init.root_rotation.clone())
        self.root_translation = torch.nn.Parameter(init.root_translation.clone())
        self.joint_rotations = torch.nn.Parameter(init.joint_rotations.clone())
        shape = init.shape[:1] if shape_shared else init.shape
        logits = torch.logit(shape.clamp(1e-3, 1 - 1e-3))
        self.shape_logits = torch.nn.Parameter(logits.clone(), requires_grad=shape_free)
        self.batch = init.batch_size

    def params(self) -> BodyParams:
        shape = torch.sigmoid(self.shape_logits).expand(self.batch, NUM_SHAPE)
        return BodyParams(self.root_rotation, self.root_translation, self.joint_rotations, shape)


def _objective(
    body: BodyModel,
    variables: _Variables,
    camera: Camera,
    targets: FitTargets,
    config: FitConfig,
    placement_only: bool,
    anchor: BodyParams | None,
    matches: OutlineMatches,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The loss and its terms (``matches``: see :func:`silhouette_terms`)."""
    params = variables.params()
    subset = torch.arange(0, body.num_vertices, config.silhouette_stride)
    keypoints, verts = body.pose_points(params, subset)
    b = params.batch_size
    kp = keypoints[:, list(landmarks.KEYPOINT_INDEX)]  # (B, P, 3)
    proj = camera.project(kp)[..., :2]
    height = targets.person_height[:, None]
    err2d = ((proj - targets.keypoints_2d).norm(dim=-1) / height * 100.0) ** 2
    pair = torch.where(_KNUCKLES, config.weight_knuckles, 1.0)
    w2 = targets.weight_2d * pair
    if placement_only:
        w2 = w2 * _TORSO
    loss_2d = (err2d * w2).sum(1) / w2.sum(1).clamp(min=1e-6)

    cam_kp = kp @ camera.rotation[0].T  # world -> camera axes (rotation only)
    p = landmarks.pair_index
    cam_kp = cam_kp - 0.5 * (cam_kp[:, p("left_hip")] + cam_kp[:, p("right_hip")])[:, None]
    err3d = ((cam_kp - targets.keypoints_3d) * 100.0).square().sum(-1)
    w3 = targets.weight_3d * pair
    loss_3d = (err3d * w3).sum(1) / w3.sum(1).clamp(min=1e-6)

    terms = {"2d": loss_2d.mean() * config.weight_2d, "3d": loss_3d.mean() * config.weight_3d}
    if targets.outside_distance is not None and not placement_only:
        inside, cover = silhouette_terms(camera.project(verts)[..., :2], targets, matches)
        terms["inside"] = inside * config.weight_inside
        terms["cover"] = cover * config.weight_cover

    joints = params.joint_rotations
    lo, hi = _LIMITS[..., 0], _LIMITS[..., 1]
    terms["limits"] = (F.relu(lo - joints) + F.relu(joints - hi)).square().sum((1, 2)).mean() * config.weight_limits
    terms["pose"] = joints.square().sum((1, 2)).mean() * config.weight_pose
    terms["shape"] = (params.shape - 0.5).square().sum(-1).mean() * config.weight_shape
    if b > 1 or anchor is not None:
        seq_j = joints if anchor is None else torch.cat([anchor.joint_rotations, joints])
        seq_r = params.root_rotation if anchor is None else torch.cat([anchor.root_rotation, params.root_rotation])
        smooth = (seq_j[1:] - seq_j[:-1]).square().sum((1, 2)) + (seq_r[1:] - seq_r[:-1]).square().sum(-1)
        terms["temporal"] = smooth.mean() * config.weight_temporal
    total = sum(terms.values())
    return total, {k: float(v.detach()) for k, v in terms.items()}


#: Uses between recomputing which projected vertex is nearest each mask outline point (the
#: matches move little from one optimisation step to the next, and finding them is half a step's time).
MATCH_REFRESH = 4


def nearest(points: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
    """(B, N) index of the candidate (B, M, 2) nearest each point (B, N, 2); no gradient."""
    with torch.no_grad():
        squared = candidates.square().sum(-1)[:, None, :] - 2.0 * points @ candidates.transpose(1, 2)
        return squared.argmin(dim=-1)


class OutlineMatches:
    """Which projected vertex is nearest each mask outline point, kept across the steps of one
    optimisation and found again every ``MATCH_REFRESH`` uses."""

    def __init__(self) -> None:
        self.which: torch.Tensor | None = None
        self.uses = 0

    def __call__(self, outline: torch.Tensor, projected: torch.Tensor) -> torch.Tensor:
        if self.which is None or self.uses % MATCH_REFRESH == 0:
            self.which = nearest(outline, projected)
        self.uses += 1
        return self.which


def silhouette_terms(
    projected: torch.Tensor, targets: FitTargets, matches: OutlineMatches, reach: float | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """The two silhouette terms, unweighted, for (B, M, 2) projected vertices against the targets'
    masks: ``inside``, the mean distance of the vertices outside the mask (% of the person's
    height), and ``cover``, the mean distance from each mask outline point to its nearest vertex
    (% of height; capped at ``reach`` when given, so a mask leaking far onto the background
    cannot drag the body out)."""
    grid = pixels_to_grid(projected, targets.image_size)[:, :, None]  # (B, M, 1, 2)
    outside = F.grid_sample(targets.outside_distance, grid, mode="bilinear", padding_mode="border", align_corners=False)
    closest = projected.gather(1, matches(targets.boundary, projected)[..., None].expand(-1, -1, 2))
    gap = (targets.boundary - closest).norm(dim=-1) / targets.person_height[:, None] * 100.0
    if reach is not None:
        gap = gap.clamp(max=reach)
    bw = targets.boundary_weight
    return outside.mean() * 100.0, ((gap * bw).sum(1) / bw.sum(1).clamp(min=1.0)).mean()


def optimise(
    body: BodyModel,
    targets: FitTargets,
    init: BodyParams,
    config: FitConfig,
    iterations: int,
    placement_steps: int = 0,
    shape_free: bool = True,
    anchor: BodyParams | None = None,
) -> tuple[BodyParams, dict[str, float]]:
    """Run Adam on a batch of frames sharing one shape. Returns the fitted params and final terms."""
    camera = default_camera(targets.image_size, targets.batch_size)
    variables = _Variables(init, shape_shared=True, shape_free=shape_free)
    optimiser = torch.optim.Adam([p for p in variables.parameters() if p.requires_grad], lr=config.lr)
    terms: dict[str, float] = {}
    matches = OutlineMatches()
    for step in range(iterations):
        placement = step < placement_steps
        variables.joint_rotations.requires_grad_(not placement)
        variables.shape_logits.requires_grad_(shape_free and not placement)
        optimiser.zero_grad(set_to_none=True)
        loss, terms = _objective(body, variables, camera, targets, config, placement, anchor, matches)
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        return _detach(variables.params()), terms


def _detach(p: BodyParams) -> BodyParams:
    return BodyParams(p.root_rotation.detach().clone(), p.root_translation.detach().clone(), p.joint_rotations.detach().clone(), p.shape.detach().clone())


def fit_frames(
    body: BodyModel,
    targets: FitTargets,
    config: FitConfig = FitConfig(),
    fps: float = 30.0,
    progress=None,
) -> BodyParams:
    """Fit B frames: one image (B = 1) or a video's frames in order (one shape for all): chunks of
    ``config.chunk`` frames (:func:`fit_chunk`), then the low-pass filter over time.

    ``progress``, if given, is called with the number of frames finished after each chunk.
    """
    b = targets.batch_size
    results: list[BodyParams] = []
    previous = None
    for start in range(0, b, config.chunk):
        sl = slice(start, min(start + config.chunk, b))
        previous = fit_chunk(body, targets.index(sl), config, previous, alone=b == 1)
        results.append(previous)
        if progress is not None:
            progress(sl.stop - sl.start)
    params = BodyParams.cat(results)
    return smooth_over_time(params, fps, config.filter_cutoff_hz)


def fit_chunk(
    body: BodyModel, targets: FitTargets, config: FitConfig, previous: BodyParams | None, alone: bool = False
) -> BodyParams:
    """Fit one chunk of consecutive video frames (B <= ``config.chunk``), unfiltered.

    The first chunk (``previous`` None) fits its first frame alone from the rest pose (placement,
    then everything, shape included), then the chunk together starting from it, still refining the
    shape; with ``alone`` (a photo: B = 1 and nothing follows) the first frame's fit is the result.
    A later chunk starts every frame from ``previous``'s last frame (pose and shape; facing from its
    own 3D landmarks where there are some), keeps that shape, and is held to that frame by the
    temporal prior. Only the previous chunk's last frame is needed, so a video is fitted chunk by
    chunk in bounded memory, and a fit can be extended later from its last fitted frame.
    """
    n = targets.batch_size
    root_rot, root_trans = _initial_root(targets, default_camera(targets.image_size, n))
    init = BodyParams.rest(n).replace(root_rotation=root_rot, root_translation=root_trans)
    first_chunk = previous is None
    if first_chunk:
        previous, _ = optimise(
            body, targets.index(slice(0, 1)), init.index(0), config, config.iterations_first,
            int(config.iterations_first * config.placement_fraction), shape_free=True,
        )  # fmt: skip
        if alone:
            return previous
    last = previous.index(previous.batch_size - 1)
    has3d = (targets.weight_3d.sum(1) > 0)[:, None]
    part_init = init.replace(
        joint_rotations=last.joint_rotations.expand(n, -1, -1).clone(),
        shape=last.shape.expand(n, -1).clone(),
        # facing from each frame's 3D landmarks where there are some, else from the last frame
        root_rotation=torch.where(has3d, init.root_rotation, last.root_rotation.expand(n, 3)),
    )
    fitted, _ = optimise(
        body, targets, part_init, config, config.iterations_warm, shape_free=first_chunk, anchor=None if first_chunk else last,
    )  # fmt: skip
    return fitted


def smooth_over_time(params: BodyParams, fps: float, cutoff_hz: float) -> BodyParams:
    """Zero-phase Butterworth low-pass (order 2) of joint rotations, root rotation (as the first
    two columns of its matrix, re-orthonormalised) and translation over the frames. Unchanged when
    there are too few frames to filter (under 10) or ``cutoff_hz`` is 0 (filtering off) or at or
    above the Nyquist rate."""
    from scipy.signal import butter, filtfilt

    t = params.batch_size
    nyquist = fps / 2.0
    if t < 10 or cutoff_hz <= 0 or cutoff_hz >= nyquist:
        return params
    b, a = butter(2, cutoff_hz / nyquist)
    pad = min(3 * max(len(a), len(b)), t - 1)

    def low(x: torch.Tensor) -> torch.Tensor:
        arr = x.reshape(t, -1).double().numpy()
        return torch.from_numpy(filtfilt(b, a, arr, axis=0, padlen=pad).copy()).to(x.dtype).reshape(x.shape)

    root = roma.rotvec_to_rotmat(params.root_rotation)
    six = low(root[..., :2])
    root = roma.special_gramschmidt(six)
    return params.replace(
        root_rotation=roma.rotmat_to_rotvec(root),
        root_translation=low(params.root_translation),
        joint_rotations=low(params.joint_rotations),
    )


def relative_keypoint_error(body: BodyModel, params: BodyParams, targets: FitTargets) -> torch.Tensor:
    """(B,) visibility-weighted mean 2D landmark error divided by the person's height in pixels."""
    with torch.no_grad():
        kp = body(params).keypoints[:, list(landmarks.KEYPOINT_INDEX)]
        proj = default_camera(targets.image_size, params.batch_size).project(kp)[..., :2]
        err = (proj - targets.keypoints_2d).norm(dim=-1) / targets.person_height[:, None]
        seen = (targets.weight_2d > 0).float()
        return (err * seen).sum(1) / seen.sum(1).clamp(min=1)


