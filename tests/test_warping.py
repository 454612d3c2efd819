import math

import pytest
import torch

from liquidwarp.body import BodyParams
from liquidwarp.geometry import grid_to_pixels, look_at
from liquidwarp.rendering import rasterize
from liquidwarp.warping import WarpField, merge_sources, transfer_flow, warp

SIZE = (128, 96)


def render(body, params, eye):
    mesh = body(params)
    n = params.batch_size
    cams = look_at(eye.expand(n, 3), torch.tensor([[0.0, 0.0, 0.0]]).expand(n, 3), torch.tensor([0.0, 0.0, 1.0]), 180.0, SIZE)
    return mesh, cams, rasterize(cams.project(mesh.vertices), body.faces, SIZE)


def test_identity_field_returns_its_input_exactly():
    image = torch.rand(2, 5, 16, 32)
    field = WarpField.identity(2, (16, 32))
    assert torch.equal(warp(image, field), image)


def test_flow_of_a_render_onto_itself_is_the_identity(body):
    mesh, cams, frags = render(body, BodyParams.rest(1), torch.tensor([[0.3, -3.0, 0.2]]))
    field = transfer_flow(body.faces, mesh.vertices, cams, frags, frags)
    assert torch.equal(field.valid, frags.mask)  # every body pixel sees itself
    expected = WarpField.identity(1, SIZE).grid
    on = field.valid
    assert (grid_to_pixels(field.grid[on], SIZE) - grid_to_pixels(expected[on], SIZE)).abs().max() < 1e-3
    image = torch.rand(1, 3, *SIZE)
    out = warp(image, field)
    assert torch.allclose(out[:, :, on[0]], image[:, :, on[0]], atol=1e-4)
    assert torch.all(out[:, :, ~on[0]] == 0)


def test_known_rigid_motion(body):
    """Target = source body moved by a known rigid motion; each target pixel must come from the
    source pixel where the same surface point is, found here by unprojecting the target depth map."""
    source = BodyParams.rest(1)
    angle, shift = 0.35, torch.tensor([[0.15, 0.1, 0.05]])
    target = source.replace(root_rotation=torch.tensor([[0.0, 0.0, angle]]), root_translation=shift)
    eye = torch.tensor([[0.0, -3.2, 0.1]])
    src_mesh, cams, src_frags = render(body, source, eye)
    _, _, tgt_frags = render(body, target, eye)
    field = transfer_flow(body.faces, src_mesh.vertices, cams, src_frags, tgt_frags)
    rows, cols = field.valid[0].nonzero(as_tuple=True)
    assert len(rows) > 0.7 * int(tgt_frags.mask.sum())
    # Unproject the target pixels with the target depth, undo the motion, project into the source.
    z = tgt_frags.depth[0, rows, cols]
    xy = torch.stack([cols + 0.5, rows + 0.5], -1).float()
    cam_pts = torch.cat([(xy - cams.principal) / cams.focal * z[:, None], z[:, None]], -1)
    world = (cam_pts - cams.translation) @ cams.rotation[0]
    c, s = math.cos(-angle), math.sin(-angle)
    undo = torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    source_world = (world - shift) @ undo.T
    expected = cams.project(source_world[None])[0, :, :2]
    got = grid_to_pixels(field.grid[0, rows, cols], SIZE)
    assert (got - expected).abs().max() < 0.05  # pixels


def test_occluded_points_are_invalid(body):
    """Rotate the body by 180 degrees: the target sees the back, which the source never saw."""
    source = BodyParams.rest(1)
    target = source.replace(root_rotation=torch.tensor([[0.0, 0.0, math.pi]]))
    eye = torch.tensor([[0.0, -3.0, 0.0]])
    src_mesh, cams, src_frags = render(body, source, eye)
    _, _, tgt_frags = render(body, target, eye)
    field = transfer_flow(body.faces, src_mesh.vertices, cams, src_frags, tgt_frags)
    assert field.valid.float().sum() < 0.05 * tgt_frags.mask.float().sum()


def test_gradients_flow_through_warp():
    torch.manual_seed(1)
    image = torch.rand(1, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    grid = (torch.rand(1, 4, 3, 2, dtype=torch.float64) * 1.6 - 0.8).requires_grad_(True)
    valid = torch.tensor([[[True, True, False], [True, False, True], [True, True, True], [False, True, True]]])

    def f(img, g):
        return warp(img, WarpField(g, valid))

    assert torch.autograd.gradcheck(f, (image, grid))


def test_several_sources_merge_where_each_is_valid():
    a, b = torch.full((1, 3, 4, 4), 1.0), torch.full((1, 3, 4, 4), 3.0)
    va = torch.zeros(1, 4, 4, dtype=torch.bool)
    va[:, :, :2] = True
    vb = torch.zeros(1, 4, 4, dtype=torch.bool)
    vb[:, :, 1:3] = True
    merged, any_valid = merge_sources(torch.stack([a, b], dim=1), torch.stack([va, vb], dim=1))
    assert torch.equal(merged[0, 0], torch.tensor([[1.0, 2.0, 3.0, 0.0]] * 4))
    assert torch.equal(any_valid[0], torch.tensor([[True, True, True, False]] * 4))


def test_resize_keeps_the_field_and_erodes_validity():
    field = WarpField.identity(1, (8, 8))
    valid = field.valid.clone()
    valid[0, 0, 0] = False
    half = WarpField(field.grid, valid).resize((4, 4))
    assert torch.allclose(half.grid, WarpField.identity(1, (4, 4)).grid, atol=1e-6)
    assert not half.valid[0, 0, 0] and half.valid.sum() == 15


def test_warp_rejects_mismatched_batches():
    with pytest.raises(ValueError):
        warp(torch.zeros(2, 3, 4, 4), WarpField.identity(1, (4, 4)))
