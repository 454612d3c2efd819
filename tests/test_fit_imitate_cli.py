"""`liquidwarp fit` and `liquidwarp imitate` end to end on the real footage in ../shared/samples."""

import json
import re

import numpy as np
import pytest

from liquidwarp.cli.main import main

from samples import LAB, OUTDOOR, needs_samples, lab_photo

pytestmark = needs_samples


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return lab_photo(tmp_path_factory.mktemp("photos"))


@pytest.fixture(scope="module")
def two_people(tmp_path_factory):
    """Frame 120 of the outdoor clip as a photo: the woman walking in front (x ~720..950,
    y ~515..930 of 1768 x 994) and the man standing on the utility box behind her."""
    from liquidwarp.io.media import iter_video_frames, write_image

    path = tmp_path_factory.mktemp("photos") / "walk.png"
    write_image(path, list(iter_video_frames(OUTDOOR, max_frames=121))[120])
    return path


def one_line_error(capsys, *words):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("liquidwarp: error:"), err
    for w in words:
        assert w in err[0], (w, err[0])


def test_fit_a_photo_writes_everything_and_the_second_run_uses_the_cache(tmp_path, photo, capsys):
    out, stats = tmp_path / "fit", tmp_path / "fit.json"
    assert main(["fit", str(photo), "--out", str(out), "--json", str(stats), "--export-mesh", str(tmp_path / "body.glb")]) == 0
    figures = json.loads(stats.read_text())
    assert figures["frames"] == 1 and figures["cached"] is False
    assert figures["mean_silhouette_iou"] >= 0.7 and figures["mean_keypoint_error_rel"] <= 0.03
    assert sorted(p.name for p in out.iterdir()) == ["motion.npz", "observations.npz", "overlay.png"]
    import trimesh

    mesh = trimesh.load(tmp_path / "body.glb", force="mesh")
    assert mesh.faces.shape == (27420, 3) and mesh.visual.uv is not None
    texture = np.asarray(mesh.visual.material.baseColorTexture.convert("RGB"))
    assert texture.std() > 10  # baked from the photo, not a flat colour
    # again, into another folder: perception and fitting come from the cache
    again = tmp_path / "again.json"
    assert main(["fit", str(photo), "--out", str(tmp_path / "fit2"), "--json", str(again), "--export-mesh", str(tmp_path / "body.obj")]) == 0
    assert json.loads(again.read_text())["cached"] is True
    assert (tmp_path / "body.mtl").is_file() and (tmp_path / "body.png").is_file()


def test_fit_a_video_then_imitate_from_its_motion_file(tmp_path, photo):
    out = tmp_path / "fit"
    assert main(["fit", str(LAB), "--out", str(out), "--max-frames", "6"]) == 0
    from liquidwarp.fitting.records import load_sequence
    from liquidwarp.io.media import probe_video

    motion = load_sequence(out / "motion.npz")
    assert motion.frames == 6 and motion.fps == pytest.approx(60.0)
    overlay = probe_video(out / "overlay.mp4")
    assert overlay.frames == 6 and (overlay.width, overlay.height) == (1080, 1920)
    video = tmp_path / "result.mp4"
    assert main(["imitate", "--source", str(photo), "--reference", str(out / "motion.npz"), "--out", str(video), "--size", "128"]) == 0
    info = probe_video(video)
    # the source photo's own size and framing (1080 x 1920), one frame per reference frame
    assert info.frames == 6 and (info.width, info.height) == (1080, 1920) and info.fps == pytest.approx(60.0)


def test_imitate_side_by_side_from_a_video(tmp_path, photo):
    from liquidwarp.io.media import iter_video_frames, probe_video

    video = tmp_path / "result.mp4"
    assert main(["imitate", "--source", str(photo), "--reference", str(LAB), "--out", str(video), "--size", "96", "--max-frames", "4", "--side-by-side", "--height", "96"]) == 0
    info = probe_video(video)
    # source | reference | result, each 96 rows high with its own aspect ratio (portrait: 54 wide)
    assert info.frames == 4 and (info.width, info.height) == (3 * 54, 96)
    first = next(iter_video_frames(video))
    assert first[:, 108:].std() > 10  # the result panel is a picture, not blank


def test_bad_inputs_fail_in_one_line_with_exit_2_and_leave_nothing(tmp_path, photo, capsys):
    from liquidwarp.io.media import read_image, write_image

    out = tmp_path / "out"
    assert main(["fit", str(tmp_path / "missing.jpg"), "--out", str(out)]) == 2
    one_line_error(capsys, "missing.jpg")
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a picture")
    assert main(["fit", str(text), "--out", str(out)]) == 2
    one_line_error(capsys, "notes.jpg")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    assert main(["fit", str(empty), "--out", str(out)]) == 2
    one_line_error(capsys, "empty.mp4")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 255, 50_000, dtype=np.uint8).tobytes())
    assert main(["fit", str(corrupt), "--out", str(out)]) == 2
    one_line_error(capsys, "corrupt.mp4")
    blank = tmp_path / "blank.png"
    write_image(blank, np.full((480, 360, 3), 128, np.uint8))
    assert main(["fit", str(blank), "--out", str(out)]) == 2
    one_line_error(capsys, "no person")
    half = tmp_path / "half.png"
    image = read_image(photo)
    # The thrower cut at mid-thigh, the woman at the left edge painted grey (she is whole in the top
    # 45 %, so she would be chosen before his bigger half body).
    top = image[: int(image.shape[0] * 0.45)].copy()
    top[:, :150] = 128
    write_image(half, top)
    assert main(["fit", str(half), "--out", str(out)]) == 2
    one_line_error(capsys, "half-body")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert main(["fit", str(photo), "--out", str(blocker / "out")]) == 2
    one_line_error(capsys, "not a folder")
    assert main(["imitate", "--source", str(photo), "--reference", str(LAB), "--out", str(blocker / "x.mp4")]) == 2
    one_line_error(capsys, "not a folder")
    assert main(["imitate", "--source", str(tmp_path / "nobody.png"), "--reference", str(LAB), "--out", str(tmp_path / "x.mp4")]) == 2
    one_line_error(capsys, "nobody.png")
    assert main(["imitate", "--source", str(photo), "--reference", str(photo), "--out", str(tmp_path / "x.mp4")]) == 2
    one_line_error(capsys, "reference must be a video")
    two = ["imitate", "--source", str(photo), "--source", str(photo), "--reference", str(LAB), "--out", str(tmp_path / "x.mp4")]
    assert main([*two, "--source-person", "400,700"]) == 2
    one_line_error(capsys, "--source-person", "one per --source")
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == sorted(["notes.jpg", "empty.mp4", "corrupt.mp4", "blank.png", "half.png", "file.txt"]), leftovers


def test_person_pick_chooses_the_bystander_and_bad_picks_fail(tmp_path, photo, capsys):
    from liquidwarp.perception.observation import load_observations

    out = tmp_path / "woman"
    assert main(["fit", str(photo), "--out", str(out), "--person", "60,500"]) == 0  # the woman at the left edge
    obs = load_observations(out / "observations.npz")[0]
    assert obs.bbox[2] < 200  # her box, not the thrower's (x 243-565)
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1 and said[0].startswith("liquidwarp: thrower.png: 2 people in view; using the one at x "), said
    assert "(picked, full body, " in said[0] and said[0].endswith("; pick another with --person X,Y"), said
    assert main(["fit", str(photo), "--out", str(tmp_path / "x"), "--person", "1000,100"]) == 2
    one_line_error(capsys, "no person at")
    assert main(["fit", str(photo), "--out", str(tmp_path / "x"), "--person", "left"]) == 2
    one_line_error(capsys, "--person")


def test_imitate_over_a_new_background(tmp_path, photo, capsys):
    from liquidwarp.io.media import iter_video_frames, write_image

    blue = tmp_path / "blue.png"
    write_image(blue, np.broadcast_to(np.array([20, 40, 220], np.uint8), (50, 80, 3)).copy())
    video = tmp_path / "result.mp4"
    args = ["imitate", "--source", str(photo), "--reference", str(LAB), "--max-frames", "2", "--size", "96", "--method", "warp"]
    assert main([*args, "--background", str(blue), "--out", str(video)]) == 0
    for frame in iter_video_frames(video):
        corners = np.concatenate([frame[:12, :12].reshape(-1, 3), frame[-12:, -12:].reshape(-1, 3)])
        assert np.abs(corners.astype(int) - [20, 40, 220]).max() <= 12  # H.264 rounding
    (tmp_path / "notes.txt").write_text("x")
    capsys.readouterr()
    assert main([*args, "--background", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "other.mp4")]) == 2
    one_line_error(capsys, "image or a video")
    assert not (tmp_path / "other.mp4").exists()


PERSON_LINE = re.compile(
    r"liquidwarp: walk\.png: 2 people in view; using the one at x (\d+), y (\d+) "
    r"\(full body, (\d+) % of the image height\); pick another with --person X,Y"
)


def test_fit_says_which_person_it_used_cached_or_not(tmp_path, two_people, capfd):
    lines = []
    for run in ("first", "cached"):
        assert main(["fit", str(two_people), "--out", str(tmp_path / run), "--json", str(tmp_path / f"{run}.json")]) == 0
        err = capfd.readouterr().err
        assert "Warning" not in err and "warn(" not in err, err
        said = [line for line in err.splitlines() if "people in view" in line]
        assert len(said) == 1 and PERSON_LINE.fullmatch(said[0]), err
        lines.append(said[0])
    assert json.loads((tmp_path / "cached.json").read_text())["cached"] is True
    assert lines[0] == lines[1]  # the cached fit says the same
    x, y, height = (int(v) for v in PERSON_LINE.fullmatch(lines[0]).groups())
    assert 780 < x < 900 and 650 < y < 800 and 38 <= height <= 46  # the woman, not the man on the box
