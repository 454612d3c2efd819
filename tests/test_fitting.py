import numpy as np
import pytest
import torch
import torch.nn.functional as F

from liquidwarp.body import BodyParams
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.errors import InputError
from liquidwarp.fitting import landmarks
from liquidwarp.fitting.fit import FitConfig, _initial_root, fit_frames, smooth_over_time
from liquidwarp.fitting.records import FittedSequence, is_fresh, load_sequence, save_sequence, square_crop
from liquidwarp.fitting.targets import WORLD_TO_CAMERA, build_targets, default_camera
from liquidwarp.geometry.rotations import axis_angle_to_matrix
from liquidwarp.rendering import rasterize

SIZE = 256


def observations_of(body, subject, frames):
    """Perfect perception of a synthetic subject seen by its camera 0: landmarks where MediaPipe
    would put them (the paired body keypoints), camera-axis 3D landmarks, the exact mask."""
    vertices = subject.vertices[frames]
    t = vertices.shape[0]
    cam = subject.cameras.index(0).expand(t)
    keypoints = body(subject.params.index(frames)).keypoints
    pixels = cam.project(keypoints)[..., :2]
    in_camera = torch.einsum("tij,tkj->tki", cam.rotation, keypoints)
    l2, vis, l3 = np.zeros((t, 33, 2), np.float32), np.zeros((t, 33), np.float32), np.zeros((t, 33, 3), np.float32)
    for li, ki in zip(landmarks.LANDMARK_INDEX, landmarks.KEYPOINT_INDEX):
        l2[:, li], vis[:, li], l3[:, li] = pixels[:, ki].numpy(), 1.0, in_camera[:, ki].numpy()
    mask = rasterize(cam.project(vertices), body.faces, (SIZE, SIZE)).mask.numpy().astype(np.float32)
    return l2, vis, l3, mask, keypoints, cam


@pytest.fixture(scope="module")
def engine(body):
    return SyntheticEngine(SynthConfig(subjects=2, frames=12, views=1, size=SIZE, seed=3, texture_size=64), body)


def errors(body, params, l2, mask, keypoints, cam):
    mesh = body(params)
    proj = default_camera((SIZE, SIZE), params.batch_size).project(mesh.keypoints)[..., :2]
    li, ki = list(landmarks.LANDMARK_INDEX), list(landmarks.KEYPOINT_INDEX)
    px = (proj[:, ki] - torch.from_numpy(l2[:, li])).norm(dim=-1).mean().item()
    frags = rasterize(default_camera((SIZE, SIZE), params.batch_size).project(mesh.vertices), body.faces, (SIZE, SIZE))
    gt = torch.from_numpy(mask > 0.5)
    iou = ((frags.mask & gt).sum((1, 2)).float() / (frags.mask | gt).sum((1, 2)).float()).mean().item()
    fitted = mesh.keypoints @ WORLD_TO_CAMERA.T
    truth = torch.einsum("tij,tkj->tki", cam.rotation, keypoints)
    fitted = fitted - 0.5 * (fitted[:, 11:12] + fitted[:, 12:13])
    truth = truth - 0.5 * (truth[:, 11:12] + truth[:, 12:13])
    joint_mm = (fitted - truth)[:, :17].norm(dim=-1).mean().item() * 1000
    return px, iou, joint_mm


def test_fast_posing_equals_the_full_forward(body):
    params = BodyParams.rest(3).replace(
        joint_rotations=torch.randn(3, 19, 3) * 0.3, root_rotation=torch.randn(3, 3), root_translation=torch.randn(3, 3),
        shape=torch.tensor([[0.2, 0.7, 0.4, 0.6, 0.9, 0.3]]).expand(3, 6),
    )  # fmt: skip
    subset = torch.arange(0, body.num_vertices, 5)
    keypoints, vertices = body.pose_points(params, subset)
    full = body(params)
    assert torch.allclose(keypoints, full.keypoints, atol=1e-5)
    assert torch.allclose(vertices, full.vertices[:, subset], atol=1e-5)


def test_initial_facing_comes_from_the_3d_landmarks(body, engine):
    subject = engine.make_subject(0)
    l2, vis, l3, mask, _, cam = observations_of(body, subject, slice(0, 1))
    targets = build_targets(l2, vis, l3, mask, (SIZE, SIZE))
    rotation, _ = _initial_root(targets, default_camera((SIZE, SIZE)))
    expected = WORLD_TO_CAMERA.T @ cam.rotation[0] @ axis_angle_to_matrix(subject.params.root_rotation[0])
    cos = ((torch.trace(axis_angle_to_matrix(rotation[0]).T @ expected) - 1) / 2).clamp(-1, 1)
    assert torch.rad2deg(torch.acos(cos)) < 10


def test_single_image_fit_recovers_a_synthetic_body(body, engine):
    subject = engine.make_subject(1)
    l2, vis, l3, mask, keypoints, cam = observations_of(body, subject, slice(0, 1))
    params = fit_frames(body, build_targets(l2, vis, l3, mask, (SIZE, SIZE)))
    px, iou, joint_mm = errors(body, params, l2, mask, keypoints, cam)
    assert px < 2.0 and iou > 0.88 and joint_mm < 30, (px, iou, joint_mm)


def test_knuckles_orient_the_hands(body, engine):
    """Both wrists bent (within their limits) where the arm alone does not show it: with the
    knuckle landmarks the fitted hands point where the true ones do; without them (knuckles unseen)
    the wrists stay near the pose prior. Direction = wrist to the knuckles' midpoint, in 3D."""
    from dataclasses import replace

    from liquidwarp.body import KEYPOINT_NAMES
    from liquidwarp.body.joints import joint_index

    subject = engine.make_subject(0)
    params = subject.params.index(slice(0, 1))
    joints = params.joint_rotations.clone()
    joints[0, joint_index("wrist.L")] = torch.tensor([0.7, 0.2, 0.4])
    joints[0, joint_index("wrist.R")] = torch.tensor([-0.6, -0.15, -0.35])
    params = params.replace(joint_rotations=joints)
    with torch.no_grad():
        subject = replace(subject, params=params, vertices=body(params).vertices)
    l2, vis, l3, mask, keypoints, cam = observations_of(body, subject, slice(0, 1))
    index = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

    def directions(points):
        return torch.stack([
            F.normalize((points[0, index[f"{side}_index_knuckle"]] + points[0, index[f"{side}_pinky_knuckle"]]) / 2 - points[0, index[f"{side}_wrist"]], dim=-1)
            for side in ("left", "right")
        ])  # fmt: skip

    truth = directions(torch.einsum("tij,tkj->tki", cam.rotation, keypoints))  # camera axes, as the fit's
    knuckles = [landmarks.LANDMARK_INDEX[landmarks.pair_index(f"{side}_{finger}_knuckle")] for side in ("left", "right") for finger in ("index", "pinky")]
    assert sorted(knuckles) == [17, 18, 19, 20]
    unseen = vis.copy()
    unseen[:, knuckles] = 0
    error = {}
    for name, visibility in (("with", vis), ("without", unseen)):
        fitted = directions(body(fit_frames(body, build_targets(l2, visibility, l3, mask, (SIZE, SIZE)))).keypoints @ WORLD_TO_CAMERA.T)
        error[name] = torch.rad2deg(torch.acos((fitted * truth).sum(-1).clamp(-1, 1))).detach()
    # measured: without 35.9 / 5.6 degrees (left / right), with 9.9 / 2.6
    assert error["without"][0] > 25, error
    assert error["with"].max() < 15 and error["with"].mean() < 0.5 * error["without"].mean(), error


def test_video_fit_shares_one_shape_and_tracks_every_frame(body, engine):
    subject = engine.make_subject(0)
    l2, vis, l3, mask, keypoints, cam = observations_of(body, subject, slice(0, 12))
    config = FitConfig(chunk=6, iterations_first=150, iterations_warm=40)
    params = fit_frames(body, build_targets(l2, vis, l3, mask, (SIZE, SIZE)), config, fps=30.0)
    assert params.batch_size == 12
    assert torch.allclose(params.shape, params.shape[:1].expand(12, -1))
    px, iou, joint_mm = errors(body, params, l2, mask, keypoints, cam)
    assert px < 3.0 and iou > 0.85 and joint_mm < 40, (px, iou, joint_mm)


def test_temporal_filter_removes_jitter_and_keeps_slow_motion():
    t = torch.arange(60, dtype=torch.float32) / 30.0
    slow = torch.sin(2 * torch.pi * 0.5 * t)
    jitter = 0.05 * torch.from_numpy(np.random.default_rng(0).standard_normal(60).astype(np.float32))
    p = BodyParams.rest(60)
    joints = p.joint_rotations.clone()
    joints[:, 3, 0] = slow + jitter
    smoothed = smooth_over_time(p.replace(joint_rotations=joints), fps=30.0, cutoff_hz=2.0)
    residual = (smoothed.joint_rotations[:, 3, 0] - slow)[5:-5]
    # white noise keeps about sqrt(2 Hz / 15 Hz) = 0.37 of its amplitude below a 2 Hz cut-off
    assert residual.abs().mean() < 0.6 * jitter[5:-5].abs().mean()
    assert torch.allclose(smoothed.root_rotation, torch.zeros(60, 3), atol=1e-5)  # constant stays constant


def test_square_crop_known_answer():
    assert square_crop(np.array([[10.0, 20.0, 30.0, 60.0]]), margin=0.0) == (0.0, 20.0, 40.0)
    x0, y0, side = square_crop(np.array([[10.0, 20.0, 30.0, 60.0], [50.0, 30.0, 60.0, 40.0]]), margin=0.1)
    assert side == pytest.approx(60.0) and x0 == pytest.approx(5.0) and y0 == pytest.approx(10.0)


def test_motion_file_round_trip_and_freshness(tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"pretend video")
    p = BodyParams.rest(4).replace(root_translation=torch.arange(12, dtype=torch.float32).reshape(4, 3))
    seq = FittedSequence(p, default_camera((48, 64)), np.array([True, False, True, True]), (1.0, 2.0, 30.0), 24.0, str(source))
    path = tmp_path / "motion.npz"
    save_sequence(path, seq)
    back = load_sequence(path)
    assert torch.equal(back.params.root_translation, p.root_translation)
    assert back.camera.image_size == (48, 64) and back.fps == 24.0 and back.crop == (1.0, 2.0, 30.0)
    assert back.found.tolist() == [True, False, True, True]
    assert is_fresh(path, source)
    source.write_bytes(b"another video!")
    assert not is_fresh(path, source)
    (tmp_path / "junk.npz").write_text("not numpy")
    with pytest.raises(InputError):
        load_sequence(tmp_path / "junk.npz")
