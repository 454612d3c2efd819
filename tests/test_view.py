"""Novel views: the body turned about the scene's vertical axis, and `liquidwarp view` on a real photo."""

import math

import numpy as np
import pytest
import torch

from liquidwarp.body import BodyParams
from liquidwarp.body.joints import BODY_JOINTS, NUM_JOINTS
from liquidwarp.cli.main import main
from liquidwarp.fitting.targets import WORLD_TO_CAMERA
from liquidwarp.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from liquidwarp.tasks.view import grid, parse_angles, turned
from liquidwarp.tasks.views import camera_up

from samples import LAB, needs_samples, lab_photo


def test_parse_angles_is_a_range_in_degrees():
    assert parse_angles("0:360:90") == [0.0, 90.0, 180.0, 270.0]
    assert parse_angles("45") == [45.0]
    assert parse_angles("10:-10:-10") == [10.0, 0.0]
    for bad in ("0:10:-5", "a:b:c", "0:10", "0:10:0"):
        with pytest.raises(ValueError):
            parse_angles(bad)


def test_turning_keeps_the_body_in_place_and_rotates_it_about_the_scene_vertical(body):
    tilted = torch.tensor([[0.3, -0.2, 1.1]])  # a root rotation that is not about the world's z
    params = BodyParams.rest(1).replace(root_rotation=tilted, root_translation=torch.tensor([[0.5, 1.0, 0.2]]))
    up = camera_up(WORLD_TO_CAMERA)  # the fitting's default camera: world z is up
    assert torch.equal(up, torch.tensor([0.0, 0.0, 1.0]))
    with torch.no_grad():
        base = body(params)
        assert torch.allclose(body(turned(params, 360.0)).vertices, base.vertices, atol=1e-4)
        quarter = body(turned(params, 90.0))
    # Heights along the scene's up are unchanged; the root does not move.
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


def test_camera_up_is_minus_the_camera_y_axis():
    # A camera pitched 30 degrees down from the default one: its up leans toward where it looks.
    pitch = axis_angle_to_matrix(torch.tensor([[math.radians(-30), 0.0, 0.0]]))[0]
    rotation = pitch @ WORLD_TO_CAMERA
    up = camera_up(rotation)
    # Seen by that camera, world-up points straight up the image (camera -y).
    assert torch.allclose(rotation @ up, torch.tensor([0.0, -1.0, 0.0]), atol=1e-6)
    assert math.degrees(math.acos(float(up[2]))) == pytest.approx(30.0, abs=1e-3)  # 30 degrees off world z


def test_a_body_with_a_tilted_pelvis_turns_without_leaning(body):
    # An upright body whose pelvis leans 20 degrees in the image plane (about the camera's forward
    # axis, world y), the lower back and both hips bent back by 20 degrees: what fits of real
    # photos often look like.
    lean = math.radians(20)
    joints = torch.zeros(1, NUM_JOINTS, 3)
    for name in ("spine05", "upperleg01.L", "upperleg01.R"):
        joints[0, BODY_JOINTS.index(name), 1] = -lean
    params = BodyParams.rest(1).replace(root_rotation=torch.tensor([[0.0, lean, 0.0]]), joint_rotations=joints)
    up = camera_up(WORLD_TO_CAMERA)

    def lean_from_vertical(p):
        k = body(p).keypoints[0]
        head_ankles = k[0] - (k[15] + k[16]) / 2  # nose minus the ankles' midpoint
        return math.degrees(math.acos(float(head_ankles @ up / head_ankles.norm())))

    with torch.no_grad():
        pelvis_axis = axis_angle_to_matrix(params.root_rotation)[0][:, 2]
        assert math.degrees(math.acos(float(pelvis_axis @ up))) == pytest.approx(20.0, abs=0.1)  # the pelvis leans
        upright = lean_from_vertical(params)
        assert upright < 8.0  # the body does not (the rest pose's head is a little forward)
        for angle in (90.0, 180.0, 270.0):
            assert abs(lean_from_vertical(turned(params, angle)) - upright) < 2.0, angle
        # Angle 0 leaves the body exactly as it was.
        assert torch.equal(body(turned(params, 0.0)).vertices, body(params).vertices)
        # Turning about the pelvis' own axis (the former rule) would lean it by about 2 x 20 degrees.
        q = axis_angle_to_matrix((pelvis_axis * math.pi)[None])[0]
        about_pelvis = params.replace(root_rotation=matrix_to_axis_angle((q @ axis_angle_to_matrix(params.root_rotation)[0])[None]))
        assert lean_from_vertical(about_pelvis) > 30.0


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


@needs_samples
def test_view_of_a_picked_source_person_says_so(tmp_path, photo, capsys):
    # The lab photo shows the thrower and, at the left edge, a woman watching: --source-person
    # picks her, and the line names her and the option.
    from liquidwarp.io.media import read_image

    one = tmp_path / "woman.png"
    args = ["view", "--source", str(photo), "--angle", "0", "--method", "copy", "--size", "64", "--height", "64", "--out", str(one)]
    assert main([*args, "--source-person", "60,500"]) == 0
    assert read_image(one).shape == (64, 36, 3)  # the photo's framing at 64 rows
    said = [line for line in capsys.readouterr().err.splitlines() if "people in view" in line]
    assert len(said) == 1 and said[0].startswith("liquidwarp: thrower.png: 2 people in view; using the one at x "), said
    x = int(said[0].split("using the one at x ")[1].split(",")[0])
    assert x < 200 and "(picked, " in said[0] and said[0].endswith("pick another with --source-person X,Y"), said
