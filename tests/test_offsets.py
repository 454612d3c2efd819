"""Clothes-and-hair offsets: the posed body moved along its normals, fitted to a silhouette."""

import numpy as np
import pytest
import torch

from liquidwarp.body import BodyParams
from liquidwarp.body.model import vertex_normals
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.errors import InputError
from liquidwarp.fitting.offsets import OffsetConfig, fit_offsets, laplacian, offset_frames
from liquidwarp.fitting.records import FORMAT_NAME, FittedSequence, load_sequence, save_sequence
from liquidwarp.fitting.targets import build_targets, default_camera
from liquidwarp.rendering import rasterize

SIZE = 256


def volume(vertices: torch.Tensor, faces: torch.Tensor) -> float:
    a, b, c = (vertices[faces[:, k]].double() for k in range(3))
    return float((a * torch.cross(b, c, dim=-1)).sum() / 6)


def area(vertices: torch.Tensor, faces: torch.Tensor) -> float:
    a, b, c = (vertices[faces[:, k]].double() for k in range(3))
    return float(torch.cross(b - a, c - a, dim=-1).norm(dim=-1).sum() / 2)


def test_normals_point_outwards_so_a_positive_offset_adds_area_times_offset_to_the_volume(body):
    rest = body(BodyParams.rest(1)).vertices
    moved = body(BodyParams.rest(1).replace(offsets=torch.full((1, body.num_vertices), 0.002))).vertices
    normals = vertex_normals(rest, body.faces)
    assert torch.allclose(normals.norm(dim=-1), torch.ones(1, body.num_vertices), atol=1e-5)
    assert torch.allclose(moved - rest, 0.002 * normals, atol=1e-6)
    gained = volume(moved[0], body.faces) - volume(rest[0], body.faces)
    assert gained == pytest.approx(area(rest[0], body.faces) * 0.002, rel=0.05)  # first order in the offset


def test_offsets_follow_the_person_through_index_cat_and_with_person(body):
    person = BodyParams.rest(1).replace(shape=torch.full((1, 6), 0.3), offsets=torch.linspace(0, 0.01, body.num_vertices)[None])
    motion = BodyParams.rest(5).replace(joint_rotations=torch.randn(5, 19, 3) * 0.2)
    posed = motion.with_person(person)
    assert posed.offsets.shape == (5, body.num_vertices) and torch.equal(posed.offsets[3], person.offsets[0])
    assert torch.equal(posed.shape, torch.full((5, 6), 0.3)) and torch.equal(posed.joint_rotations, motion.joint_rotations)
    assert torch.equal(posed.index(torch.tensor([4, 1])).offsets, posed.offsets[[4, 1]])
    both = BodyParams.cat([posed.index(slice(0, 2)), motion.index(slice(0, 3))])  # bare frames get zero offsets
    assert torch.equal(both.offsets[:2], posed.offsets[:2]) and torch.equal(both.offsets[2:], torch.zeros(3, body.num_vertices))
    assert BodyParams.cat([motion, motion]).offsets is None
    assert torch.equal(body(motion.replace(offsets=torch.zeros(5, body.num_vertices))).vertices, body(motion).vertices)
    with pytest.raises(InputError, match="offsets for 10 vertices"):
        body(BodyParams.rest(1).replace(offsets=torch.zeros(1, 10)))


def test_offset_frames_are_spread_over_the_clips_first_frames():
    assert offset_frames(np.ones(300, bool)) == [0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99]
    assert offset_frames(np.ones(5, bool)) == [0, 1, 2, 3, 4]
    found = np.ones(60, bool)
    found[::2] = False  # 24 seen frames among the first 48: every odd one
    assert offset_frames(found, OffsetConfig(frames=3, span=48)) == [1, 25, 47]  # positions 0, 11.5 -> 12, 23 of the 24
    assert offset_frames(np.zeros(10, bool)) == []
    late = np.zeros(300, bool)
    late[250:] = True  # nobody in the first 100 frames: the frames where someone is
    assert offset_frames(late, OffsetConfig(frames=3)) == [250, 274, 299]


def test_laplacian_of_a_constant_is_zero_and_of_a_spike_is_the_spike(body):
    from liquidwarp.fitting.offsets import _edges

    edges = _edges(body.faces)
    degree = torch.zeros(body.num_vertices).index_add_(0, edges[:, 0], torch.ones(len(edges)))
    assert laplacian(torch.full((body.num_vertices,), 0.3), edges, degree).abs().max() < 1e-6
    spike = torch.zeros(body.num_vertices)
    spike[100] = 1.0
    assert laplacian(spike, edges, degree)[100] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def clothed(body):
    """A synthetic person in 3 frames of their motion, and the silhouettes of the same bodies
    grown by 2 cm all over (what clothes do to the outline), seen by the default camera."""
    engine = SyntheticEngine(SynthConfig(subjects=1, frames=24, views=1, size=SIZE, seed=5, texture_size=64), body)
    subject = engine.make_subject(0)
    frames = torch.tensor([0, 8, 16])
    cam = default_camera((SIZE, SIZE), 3)
    # put the bodies 2.2 m in front of the default camera, centred
    params = subject.params.index(frames)
    params = params.replace(root_rotation=torch.zeros(3, 3), root_translation=torch.tensor([[0.0, 2.2, 0.0]]).expand(3, 3))
    grown = params.replace(offsets=torch.full((3, body.num_vertices), 0.02))
    masks = rasterize(cam.project(body(grown).vertices), body.faces, (SIZE, SIZE)).mask.numpy().astype(np.float32)
    keypoints = cam.project(body(params).keypoints)[..., :2].numpy()
    l2 = np.zeros((3, 33, 2), np.float32)
    l2[:, :23] = keypoints[:, :23]  # only the mask and the height matter here
    targets = build_targets(l2, np.ones((3, 33), np.float32), None, masks, (SIZE, SIZE))
    return params, cam, targets, masks


def iou(body, params, cam, masks) -> float:
    fitted = rasterize(cam.project(body(params).vertices), body.faces, (SIZE, SIZE)).mask.numpy()
    truth = masks > 0.5
    return float(((fitted & truth).sum((1, 2)) / (fitted | truth).sum((1, 2))).mean())


def test_offsets_fitted_to_a_grown_silhouette_grow_the_outline_by_about_that_much(body, clothed):
    params, cam, targets, masks = clothed
    offsets = fit_offsets(body, params, cam.index(0), targets)
    bare, fitted = iou(body, params, cam, masks), iou(body, params.replace(offsets=offsets[None].expand(3, -1)), cam, masks)
    assert bare < 0.85 and fitted > 0.93, (bare, fitted)
    # the outline is where it should be: the fitted silhouettes cover the grown ones' area, and
    # the vertices that make the outline (nearest each point of the grown outline) moved by about 2 cm
    fitted_area = rasterize(cam.project(body(params.replace(offsets=offsets[None].expand(3, -1))).vertices), body.faces, (SIZE, SIZE)).mask.sum()
    bare_area = rasterize(cam.project(body(params).vertices), body.faces, (SIZE, SIZE)).mask.sum()
    grown_area = float((masks > 0.5).sum())
    assert float(bare_area) / grown_area < 0.85 and 0.93 < float(fitted_area) / grown_area < 1.02, (float(bare_area) / grown_area, float(fitted_area) / grown_area)
    moved = cam.project(body(params.replace(offsets=offsets[None].expand(3, -1))).vertices)[..., :2]
    on_outline = torch.cdist(targets.boundary, moved).argmin(-1)[targets.boundary_weight > 0]
    assert 0.014 < float(offsets[on_outline].median()) < 0.026, float(offsets[on_outline].median())


def test_motion_files_keep_the_offsets_and_still_read_version_1(tmp_path, body):
    offsets = torch.linspace(-0.01, 0.02, body.num_vertices)
    p = BodyParams.rest(3).replace(offsets=offsets[None].expand(3, -1))
    seq = FittedSequence(p, default_camera((48, 64)), np.ones(3, bool), (1.0, 2.0, 30.0), 24.0, "clip.mp4")
    save_sequence(tmp_path / "motion.npz", seq)
    back = load_sequence(tmp_path / "motion.npz")
    assert torch.equal(back.params.offsets, p.offsets)
    with np.load(tmp_path / "motion.npz") as data:
        old = {k: data[k] for k in data.files if k != "offsets"}
    old["version"] = np.array(1)
    np.savez(tmp_path / "old.npz", **old)
    assert load_sequence(tmp_path / "old.npz").params.offsets is None
    old["version"], old["offsets"], old["format"] = np.array(2), np.array([[0.0, np.nan]]), np.array(FORMAT_NAME)
    np.savez(tmp_path / "bad.npz", **old)
    with pytest.raises(InputError, match="offsets"):
        load_sequence(tmp_path / "bad.npz")
    old["offsets"] = np.zeros(10)
    np.savez(tmp_path / "other-body.npz", **old)
    assert load_sequence(tmp_path / "other-body.npz").params.offsets.shape == (3, 10)  # the file alone is well formed
    with pytest.raises(InputError, match=r"other-body\.npz: damaged motion file: offsets for 10 vertices"):
        load_sequence(tmp_path / "other-body.npz", body.num_vertices)


def test_imitate_refuses_a_motion_file_for_another_body_before_fitting_the_sources(tmp_path, body, monkeypatch):
    """The file's offsets are checked against the body model first: the source photo (which does
    not exist here) is never perceived or fitted, and nothing is written."""
    from liquidwarp.tasks import imitate as task

    seq = FittedSequence(BodyParams.rest(2).replace(offsets=torch.zeros(2, 10)), default_camera((48, 64)), np.ones(2, bool), (1.0, 2.0, 30.0), 24.0, "clip.mp4")
    save_sequence(tmp_path / "other-body.npz", seq)

    def no_fitting(*args, **kwargs):
        raise AssertionError("the sources were fitted before the motion file was checked")

    monkeypatch.setattr(task, "recover_sources", no_fitting)
    with pytest.raises(InputError, match=r"other-body\.npz: damaged motion file: offsets for 10 vertices, but the body model has"):
        task.imitate([tmp_path / "photo.png"], tmp_path / "other-body.npz", tmp_path / "out.mp4", task.ImitateConfig(method="warp"), body=body, progress=False)
    assert not (tmp_path / "out.mp4").exists()
