"""Novel views: the body turned about its own vertical axis, and `liquidwarp view` on a real photo."""

import math

import numpy as np
import pytest
import torch

from liquidwarp.body import BodyParams
from liquidwarp.cli.main import main
from liquidwarp.geometry.rotations import axis_angle_to_matrix
from liquidwarp.tasks.view import grid, parse_angles, turned

from samples import LAB, needs_samples, lab_photo


def test_parse_angles_is_a_range_in_degrees():
    assert parse_angles("0:360:90") == [0.0, 90.0, 180.0, 270.0]
    assert parse_angles("45") == [45.0]
    assert parse_angles("10:-10:-10") == [10.0, 0.0]
    for bad in ("0:10:-5", "a:b:c", "0:10", "0:10:0"):
        with pytest.raises(ValueError):
            parse_angles(bad)


def test_turning_keeps_the_body_in_place_and_rotates_it_about_its_up_axis(body):
    tilted = torch.tensor([[0.3, -0.2, 1.1]])  # a root rotation that is not about the world's z
    params = BodyParams.rest(1).replace(root_rotation=tilted, root_translation=torch.tensor([[0.5, 1.0, 0.2]]))
    up = axis_angle_to_matrix(tilted)[0][:, 2]
    with torch.no_grad():
        base = body(params)
        assert torch.allclose(body(turned(params, 0.0)).vertices, base.vertices, atol=1e-5)
        assert torch.allclose(body(turned(params, 360.0)).vertices, base.vertices, atol=1e-4)
        quarter = body(turned(params, 90.0))
    # Heights along the body's up axis are unchanged; the root does not move.
    assert torch.allclose(quarter.vertices[0] @ up, base.vertices[0] @ up, atol=1e-4)
    assert torch.allclose(turned(params, 90.0).root_translation, params.root_translation)
    # The line between the shoulders (keypoints 5 and 6), seen from above, turns by 90 degrees
    # counter-clockwise.
    def flat(v):
        return v - (v @ up) * up

    a = flat(base.keypoints[0, 5] - base.keypoints[0, 6])
    b = flat(quarter.keypoints[0, 5] - quarter.keypoints[0, 6])
    angle = math.degrees(math.atan2(float(torch.dot(torch.linalg.cross(a, b), up)), float(torch.dot(a, b))))
    assert angle == pytest.approx(90.0, abs=1.0)


def test_grid_lays_views_out_in_rows():
    frames = [np.full((4, 4, 3), k, np.uint8) for k in range(7)]
    out = grid(frames, columns=3)
    assert out.shape == (12, 12, 3) and out[4, 4, 0] == 4 and out[8, 4, 0] == 0  # the padding cell is black


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    if not LAB.is_file():
        pytest.skip("../shared/samples is missing")
    mp = pytest.MonkeyPatch()
    mp.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield lab_photo(tmp_path_factory.mktemp("photos"))
    mp.undo()


@needs_samples
def test_view_command_writes_images_grids_and_videos(tmp_path, photo, capsys):
    from liquidwarp.io.media import probe_video, read_image

    photo_image = read_image(photo)  # 1920 x 1080, portrait
    front = tmp_path / "front.png"
    assert main(["view", "--source", str(photo), "--angle", "0", "--method", "warp", "--size", "96", "--out", str(front)]) == 0
    assert read_image(front).shape == photo_image.shape  # the photo's own size and framing
    small = tmp_path / "small.png"
    assert main(["view", "--source", str(photo), "--angle", "0", "--method", "warp", "--size", "96", "--height", "160", "--out", str(small)]) == 0
    assert read_image(small).shape == (160, 90, 3)  # 160 rows, the width by the photo's aspect ratio
    sheet = tmp_path / "sheet.png"
    assert main(["view", "--source", str(photo), "--angles", "0:360:90", "--size", "64", "--height", "64", "--out", str(sheet)]) == 0
    cells = read_image(sheet)
    assert cells.shape == (64, 4 * 36, 3)
    assert np.abs(cells[:, :36].astype(int) - cells[:, 72:108].astype(int)).mean() > 1  # front and back differ
    video = tmp_path / "turn.mp4"
    assert main(["view", "--source", str(photo), "--angles", "0:90:30", "--size", "64", "--height", "128", "--elevation", "20", "--out", str(video)]) == 0
    info = probe_video(video)
    assert info.frames == 3 and (info.width, info.height) == (72, 128)
    blue = tmp_path / "blue.png"
    from liquidwarp.io.media import write_image

    write_image(blue, np.broadcast_to(np.array([20, 40, 220], np.uint8), (40, 70, 3)).copy())
    placed = tmp_path / "placed.png"
    assert main(["view", "--source", str(photo), "--angle", "90", "--method", "warp", "--size", "64", "--height", "128", "--background", str(blue), "--out", str(placed)]) == 0
    corners = read_image(placed)[:8, :8].reshape(-1, 3).astype(int)
    assert np.abs(corners - [20, 40, 220]).max() <= 1
    capsys.readouterr()
    for args, words in (
        (["--angles", "0:10:-5"], "give no angle"),
        (["--elevation", "80"], "--elevation"),
        (["--angle", "10", "--out", str(tmp_path / "x.mp4")], "ending in"),
    ):
        out = [] if "--out" in args else ["--out", str(tmp_path / "y.png")]
        assert main(["view", "--source", str(photo), *args, *out]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0], err
    assert not (tmp_path / "x.mp4").exists() and not (tmp_path / "y.png").exists()
