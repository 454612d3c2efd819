import math

import numpy as np
import pytest
import torch
from PIL import Image

from liquidwarp.body import BODY_JOINTS, KEYPOINT_NAMES, PART_INDEX, PART_NAMES, BodyParams, joint_index
from liquidwarp.body.model import uv_to_grid


def test_mesh_sizes_and_rest_shape(body):
    assert body.num_vertices == 13718 and body.num_faces == 27420
    assert body.face_uvs.shape == (27420, 3, 2)
    mesh = body(BodyParams.rest(1))
    v = mesh.vertices[0]
    height = float(v[:, 2].max() - v[:, 2].min())
    assert 1.55 < height < 1.70  # Anny's average adult is 1.63 m tall
    kp = {n: mesh.keypoints[0, i] for i, n in enumerate(KEYPOINT_NAMES)}
    assert kp["left_shoulder"][0] > 0 > kp["right_shoulder"][0]  # the person's left is +x
    assert kp["nose"][1] < kp["left_ear"][1]  # the person faces -y
    assert kp["nose"][2] > kp["left_hip"][2] > kp["left_ankle"][2]  # z is up


def test_every_part_label_is_present_and_sided(body):
    counts = torch.bincount(body.face_parts, minlength=len(PART_NAMES))
    assert (counts > 0).all(), dict(zip(PART_NAMES, counts.tolist()))
    centre = body.rest_vertices[body.faces].mean(1)  # (F, 3)
    for part in ("hand", "foot", "upper_arm", "lower_leg"):
        left = centre[body.face_parts == PART_INDEX[f"{part}_left"]]
        right = centre[body.face_parts == PART_INDEX[f"{part}_right"]]
        assert (left[:, 0] > 0).all() and (right[:, 0] < 0).all()
    z = lambda p: centre[body.face_parts == PART_INDEX[p]][:, 2].mean()  # noqa: E731
    assert z("head") > z("torso") > z("upper_leg_left") > z("lower_leg_left") > z("foot_left")
    assert z("upper_arm_left") > z("lower_arm_left") > z("hand_left")


def test_uv_convention_matches_annys_own_part_atlas(body):
    """Sampling Anny's UV-space segmentation image with our UVs finds our hands and feet."""
    import anny.paths

    path = anny.paths.get_anny_root_dir() / "data" / "segmentation" / "body_parts_segmentation.png"
    seg = torch.from_numpy(np.array(Image.open(path).convert("RGB"))).permute(2, 0, 1)[None].float()
    centre_uv = body.face_uvs.mean(1)  # (F, 2)
    colours = torch.nn.functional.grid_sample(seg, uv_to_grid(centre_uv)[None, None], mode="nearest", align_corners=False)[0, :, 0].T
    expect = {"foot_left": (254, 251, 251), "foot_right": (255, 0, 245), "hand_left": (7, 255, 0), "hand_right": (255, 29, 35)}
    for part, rgb in expect.items():
        sel = body.face_parts == PART_INDEX[part]
        match = ((colours[sel] - torch.tensor(rgb, dtype=torch.float32)).abs().sum(-1) < 30).float().mean()
        assert match > 0.8, (part, float(match))


def test_root_rotation_and_translation_are_rigid(body):
    base = body(BodyParams.rest(1))
    params = BodyParams.rest(1).replace(root_rotation=torch.tensor([[0.0, 0.0, math.pi / 2]]), root_translation=torch.tensor([[1.0, 2.0, 3.0]]))
    moved = body(params)
    x, y, z = base.vertices[0].unbind(-1)
    expected = torch.stack([-y + 1.0, x + 2.0, z + 3.0], -1)  # 90 degrees about z, then shift
    assert torch.allclose(moved.vertices[0], expected, atol=1e-5)


def test_joint_conventions(body):
    """Signs documented in liquidwarp.body.joints, checked on the keypoints."""
    rest = body(BodyParams.rest(1)).keypoints[0]
    k = KEYPOINT_NAMES.index

    def pose(joint, axis, angle):
        p = BodyParams.rest(1)
        j = p.joint_rotations.clone()
        j[0, joint_index(joint), axis] = angle
        return body(p.replace(joint_rotations=j)).keypoints[0]

    assert pose("upperleg01.L", 0, -0.8)[k("left_knee"), 1] < rest[k("left_knee"), 1] - 0.1  # hip flexion: knee forward
    assert pose("lowerleg01.L", 0, 1.0)[k("left_ankle"), 1] > rest[k("left_ankle"), 1] + 0.1  # knee flexion: shin back
    assert pose("upperarm01.L", 1, -1.0)[k("left_wrist"), 2] > rest[k("left_wrist"), 2] + 0.2  # left arm raised
    assert pose("upperarm01.R", 1, 1.0)[k("right_wrist"), 2] > rest[k("right_wrist"), 2] + 0.2  # right arm raised
    assert pose("lowerarm01.L", 0, -1.2)[k("left_wrist"), 2] > rest[k("left_wrist"), 2] + 0.15  # elbow flexion: forearm comes up
    assert pose("spine03", 0, 0.5)[k("nose"), 1] < rest[k("nose"), 1] - 0.1  # bend forward


def test_shape_changes_height_and_gradients_reach_every_parameter(body):
    tall = BodyParams.rest(1).replace(shape=torch.tensor([[0.5, 0.5, 0.5, 0.5, 1.0, 0.5]]))
    short = BodyParams.rest(1).replace(shape=torch.tensor([[0.5, 0.5, 0.5, 0.5, 0.0, 0.5]]))
    h = lambda p: float(body(p).vertices[0, :, 2].max() - body(p).vertices[0, :, 2].min())  # noqa: E731
    assert h(tall) > h(short) + 0.1
    p = BodyParams.rest(2)
    leaves = {n: getattr(p, n).clone().requires_grad_(True) for n in ("root_rotation", "root_translation", "joint_rotations", "shape")}
    out = body(BodyParams(**leaves))
    (out.vertices.square().sum() + out.keypoints.sum()).backward()
    for name, leaf in leaves.items():
        assert leaf.grad is not None and leaf.grad.abs().sum() > 0, name


def test_params_validate_shapes():
    with pytest.raises(AssertionError):
        BodyParams(torch.zeros(1, 3), torch.zeros(1, 3), torch.zeros(1, len(BODY_JOINTS) - 1, 3), torch.zeros(1, 6))
    p = BodyParams.cat([BodyParams.rest(2), BodyParams.rest(1)])
    assert p.batch_size == 3 and p.index(2).batch_size == 1


def test_joint_index_names_valid_joints():
    assert BODY_JOINTS[joint_index("head")] == "head"
    with pytest.raises(KeyError, match="posed joints are"):
        joint_index("tail")
