"""Output framing: the photo's own size and aspect ratio, nothing invented past its edges."""

import numpy as np
import pytest
import torch

from liquidwarp.body import BodyParams
from liquidwarp.geometry import look_at
from liquidwarp.geometry.crops import inside_photo
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.scene.views import prepare_source
from liquidwarp.tasks.framing import output_size, paste, remove_person, view_around


def test_output_size_keeps_the_photo_or_its_aspect_ratio():
    assert output_size((1920, 1080)) == (1920, 1080)
    assert output_size((1920, 1080), 96) == (96, 54)
    assert output_size((994, 1768), 100) == (100, 178)
    with pytest.raises(ValueError):
        output_size((10, 10), 0)


def test_view_around_centres_the_points_and_keeps_a_minimum_side():
    points = np.array([[10.0, 20.0], [30.0, 100.0]])
    x0, y0, side = view_around(points, min_side=50.0, margin=1.5)
    assert side == 120.0 and (x0 + side / 2, y0 + side / 2) == (20.0, 60.0)
    assert view_around(points, min_side=500.0)[2] == 500.0


def test_paste_lands_where_the_view_lies_and_nowhere_else():
    canvas = np.zeros((50, 80, 3), np.uint8)
    view_image = np.full((20, 20, 3), 200, np.uint8)
    alpha = np.zeros((20, 20), np.float32)
    alpha[5:15, 5:15] = 1.0
    # The view is 40 canvas pixels wide starting 10 pixels left of the canvas: view pixel j covers
    # canvas x in [-10 + 2 j, -8 + 2 j), so the block (j 5..14) covers canvas x 0..19, y 30..49.
    out = paste(canvas, view_image, alpha, (-10.0, 20.0, 40.0))
    assert (out[32:48, 1:18] == 200).all()
    touched = np.argwhere(out.any(-1))
    assert touched[:, 0].min() >= 28 and touched[:, 1].max() <= 21  # nothing outside the block's reach
    assert canvas.max() == 0  # the input is not modified


def test_a_view_past_the_photo_edge_is_black_and_its_body_unseen(body):
    size = 64
    camera = look_at(torch.tensor([[0.0, -4.0, 0.0]]), torch.zeros(1, 3), torch.tensor([0.0, 0.0, 1.0]), 150.0, (240, 160))
    params = BodyParams.rest(1).replace(root_translation=torch.tensor([[-2.0, 0.0, 0.0]]))  # at the photo's left edge
    photo = np.full((240, 160, 3), 255, np.uint8)
    view = (-40.0, 0.0, 200.0)  # its left 40 of 200 photo pixels lie past the photo's left edge
    source = prepare_source(body, photo, params, camera, view, size)
    inside = inside_photo(view, (240, 160), size)[0]
    outside_cols = ~inside[0]
    assert outside_cols.sum() == 13 and outside_cols[:13].all()  # centres (j + .5) * 200 / 64 - 40 < 0 for j <= 12
    assert source.image[0, :, :, :13].max() == 0 and source.image[0, :, :, 14:].min() == 1
    assert (source.fragments.face_index[0][:, outside_cols] == -1).all()
    from liquidwarp.geometry.crops import crop_camera

    full = rasterize(crop_camera(camera, view, size).project(body(params).vertices), body.faces, (size, size))
    assert full.mask[0][:, outside_cols].any()  # the body does reach past the edge...
    assert torch.equal(source.fragments.face_index[0][:, ~outside_cols], full.face_index[0][:, ~outside_cols])  # ...and is kept inside


def test_remove_person_changes_only_the_hole_and_its_soft_edge():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (120, 90, 3), dtype=np.uint8)
    image[:, :] = [90, 120, 30]
    image[:10] = rng.integers(0, 255, (10, 90, 3), dtype=np.uint8)  # texture far from the hole
    hole = np.zeros((120, 90), bool)
    hole[40:90, 30:60] = True
    image[hole] = [250, 0, 250]  # the "person"
    out = remove_person(image, hole, work_scale=0.5)
    near = np.zeros_like(hole)
    near[36:94, 26:64] = True  # the hole grown by its soft edge (one working pixel = 2 pixels)
    assert np.array_equal(out[~near], image[~near])
    assert np.abs(out[hole].astype(int) - [90, 120, 30]).max() <= 2  # filled with what surrounds it


def _moving_square_clip(shift_background: bool):
    rng = np.random.default_rng(1)
    wide = rng.integers(0, 255, (48, 120, 3), dtype=np.uint8)
    frames, holes = [], []
    for t in range(6):
        x0 = 4 * t if shift_background else 0
        frame = wide[:, x0 : x0 + 64].copy()
        hole = np.zeros((48, 64), bool)
        hole[10:30, 5 + 10 * t : 15 + 10 * t] = True
        frame[hole] = [255, 0, 255]  # the "person", moving right
        frames.append(frame)
        holes.append(hole)
    return np.stack(frames), holes, wide[:, :64]


def test_a_still_camera_clip_is_cleaned_from_its_other_frames():
    from liquidwarp.tasks.framing import VideoPlates

    frames, holes, background = _moving_square_clip(shift_background=False)
    plates = VideoPlates(frames, holes, work_scale=1.0)
    assert plates.still
    for t in (0, 3, 5):
        assert np.abs(plates(t).astype(int) - background).max() <= 1  # exactly what the person hid
    moving = VideoPlates(*_moving_square_clip(shift_background=True)[:2], work_scale=1.0)
    assert not moving.still  # a panning camera: each frame is in-painted on its own

