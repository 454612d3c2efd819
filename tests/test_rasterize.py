
import numpy as np
import pytest
import torch

from liquidwarp.body import BodyParams
from liquidwarp.geometry import look_at
from liquidwarp.rendering import rasterize, rasterize_reference

BOTH = pytest.mark.parametrize("raster", [rasterize, rasterize_reference], ids=["fast", "reference"])


@BOTH
def test_one_triangle_hand_computed(raster):
    # Corners at pixel coordinates (1,1), (5,1), (1,5), all at depth 2, in an 8 x 8 image.
    verts = torch.tensor([[[1.0, 1.0, 2.0], [5.0, 1.0, 2.0], [1.0, 5.0, 2.0]]])
    frags = raster(verts, torch.tensor([[0, 1, 2]]), (8, 8))
    # Covered pixel centres (j+.5, i+.5) satisfy x >= 1, y >= 1, x + y <= 6, i.e. i, j >= 1, i + j <= 5.
    expected = torch.tensor([[int(i >= 1 and j >= 1 and i + j <= 5) for j in range(8)] for i in range(8)], dtype=torch.bool)
    assert torch.equal(frags.mask[0], expected)
    assert int(frags.mask.sum()) == 10
    # Pixel (row 1, col 1) samples (1.5, 1.5): weights 1 - 0.125 - 0.125, 0.125, 0.125.
    assert torch.allclose(frags.barycentric[0, 1, 1], torch.tensor([0.75, 0.125, 0.125]))
    # Pixel (row 1, col 4) samples (4.5, 1.5), on the edge x + y = 6 (edges are covered).
    assert torch.allclose(frags.barycentric[0, 1, 4], torch.tensor([0.0, 0.875, 0.125]))
    assert torch.all(frags.depth[0][expected] == 2.0)
    assert torch.all(frags.face_index[0][~expected] == -1) and torch.all(frags.depth[0][~expected] == 0)


@BOTH
def test_perspective_correct_weights_give_the_visible_3d_point(raster):
    from liquidwarp.geometry import Camera

    cam = Camera(torch.tensor([[20.0, 20.0]]), torch.tensor([[8.0, 8.0]]), torch.eye(3)[None], torch.zeros(1, 3), (16, 16))
    world = torch.tensor([[[-0.3, -0.3, 1.0], [0.5, -0.2, 3.0], [-0.1, 0.6, 2.0]]])
    frags = raster(cam.project(world), torch.tensor([[0, 1, 2]]), (16, 16))
    rows, cols = frags.mask[0].nonzero(as_tuple=True)
    assert len(rows) > 10
    w = frags.barycentric[0, rows, cols]  # (N, 3)
    points = w @ world[0]
    reproj = cam.project(points[None])[0]
    assert torch.allclose(reproj[:, 0], cols.float() + 0.5, atol=1e-4)
    assert torch.allclose(reproj[:, 1], rows.float() + 0.5, atol=1e-4)
    assert torch.allclose(frags.depth[0, rows, cols], points[:, 2], atol=1e-5)


@BOTH
def test_nearest_face_wins_and_ties_go_to_the_smaller_index(raster):
    square = [[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]]
    far = [[x, y, 5.0] for x, y in square]
    near = [[x, y, 3.0] for x, y in square]
    verts = torch.tensor([far + near + far])
    faces = torch.tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    frags = raster(verts, faces, (8, 8))
    assert set(frags.face_index[0][frags.mask[0]].tolist()) == {1}
    # Two coincident faces at the same depth: the smaller face index wins everywhere.
    tie = raster(torch.tensor([far + far]), torch.tensor([[3, 4, 5], [0, 1, 2]]), (8, 8))
    assert set(tie.face_index[0][tie.mask[0]].tolist()) == {0}


def test_faces_behind_the_near_plane_are_dropped():
    verts = torch.tensor([[[0.0, 0.0, -1.0], [8.0, 0.0, 2.0], [0.0, 8.0, 2.0]]])
    assert not rasterize(verts, torch.tensor([[0, 1, 2]]), (8, 8)).mask.any()
    assert not rasterize_reference(verts, torch.tensor([[0, 1, 2]]), (8, 8)).mask.any()


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError):
        rasterize(torch.zeros(3, 3), torch.tensor([[0, 1, 2]]), (8, 8))
    with pytest.raises(ValueError):
        rasterize(torch.zeros(1, 3, 3), torch.tensor([0, 1, 2]), (8, 8))
    with pytest.raises(ValueError):
        rasterize(torch.zeros(1, 3, 3), torch.tensor([[0, 1, 2]]), (0, 8))


def posed_bodies(body):
    """Three bodies in different poses seen by three cameras, each at 128 x 96 (H x W)."""
    params = BodyParams.rest(3)
    joints = params.joint_rotations.clone()
    joints[1, 7] = torch.tensor([-0.8, -0.9, 0.2])  # left shoulder forward and up
    joints[1, 9, 0] = -1.3  # left elbow bent
    joints[2, 13, 0] = -1.0  # left hip flexed
    joints[2, 15, 0] = 1.2  # left knee bent
    params = params.replace(joint_rotations=joints, root_rotation=torch.tensor([[0, 0, 0.0], [0, 0, 0.8], [0.2, 0, -2.5]]))
    mesh = body(params)
    eye = torch.tensor([[0.0, -3.0, 0.2], [2.5, -1.5, 0.8], [-1.0, 2.6, -0.4]])
    cams = look_at(eye, torch.zeros(3, 3), torch.tensor([0.0, 0.0, 1.0]), 180.0, (128, 96))
    return mesh, cams


def test_fast_path_equals_reference_on_the_full_body(body):
    mesh, cams = posed_bodies(body)
    screen = cams.project(mesh.vertices)
    fast = rasterize(screen, body.faces, (128, 96))
    ref = rasterize_reference(screen, body.faces, (128, 96))
    assert fast.mask.float().mean() > 0.1
    agreement = (fast.face_index == ref.face_index).float().mean().item()
    assert agreement >= 0.999
    same = (fast.face_index == ref.face_index) & fast.mask
    assert torch.allclose(fast.barycentric[same], ref.barycentric[same], atol=1e-6)
    assert torch.allclose(fast.depth[same], ref.depth[same], atol=1e-6)


def test_agrees_with_an_independent_ray_caster(body):
    trimesh = pytest.importorskip("trimesh")
    mesh, cams = posed_bodies(body)
    frags = rasterize(cams.project(mesh.vertices), body.faces, (128, 96))
    faces = body.faces.numpy()
    for b in range(2):
        tm = trimesh.Trimesh(mesh.vertices[b].numpy().astype(np.float64), faces, process=False)
        # Rays from the camera centre through every pixel centre.
        xy = torch.stack(torch.meshgrid(torch.arange(128) + 0.5, torch.arange(96) + 0.5, indexing="ij")[::-1], -1).reshape(-1, 2)
        cam = cams.index(b)
        dirs_cam = torch.cat([(xy - cam.principal) / cam.focal, torch.ones(len(xy), 1)], -1)
        dirs = (dirs_cam @ cam.rotation[0]).numpy().astype(np.float64)
        origins = np.repeat(cam.center.numpy().astype(np.float64), len(dirs), axis=0)
        tri, ray, _ = tm.ray.intersects_id(origins, dirs, multiple_hits=False, return_locations=True)
        cast = np.full(len(dirs), -1)
        cast[ray] = tri
        ours = frags.face_index[b].reshape(-1).numpy()
        coverage = (cast >= 0) == (ours >= 0)
        assert coverage.mean() >= 0.999
        both = (cast >= 0) & (ours >= 0)
        assert both.sum() > 1000
        assert (cast[both] == ours[both]).mean() >= 0.999
