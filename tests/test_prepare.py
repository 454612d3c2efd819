"""``liquidwarp prepare``: real footage perceived and fitted once, in parallel, resumable; and
training pairs from it."""

import json
from pathlib import Path

import pytest

from liquidwarp.cli.main import main
from liquidwarp.data.prepared import RealPairs, read_prepared
from liquidwarp.fitting.recover import load_footage
from liquidwarp.io.media import write_image
from liquidwarp.tasks.prepare import folder_name, prepare
from liquidwarp.warping.flow import warp

LAB = Path(__file__).resolve().parents[2] / "shared" / "samples" / "lab_throw_cam01.mp4"
ACTIONS = {"p1/o1/throw_a": (0, 30, 60), "p1/o1/throw_b": (20, 50, 80)}  # frames of the lab clip


@pytest.fixture(scope="module")
def iper(tmp_path_factory):
    """An iPER-style tree of two actions, each a folder of three frames of the lab clip."""
    if not LAB.is_file():
        pytest.skip(f"{LAB} is missing")
    root = tmp_path_factory.mktemp("iper")
    frames = load_footage(LAB).frames
    for name, picks in ACTIONS.items():
        folder = root / name
        folder.mkdir(parents=True)
        for k, t in enumerate(picks):
            write_image(folder / f"{k:04d}.png", frames[t])
    return root


@pytest.fixture(scope="module")
def prepared(iper, tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))  # the workers inherit it
    out = tmp_path_factory.mktemp("prepared") / "out"
    result = prepare(iper, out, workers=2, size=128, progress=False)
    yield out, result
    mp.undo()


def test_every_video_is_fitted_and_written(prepared):
    out, result = prepared
    assert result.prepared == 2 and result.skipped == 0 and not result.failed
    index = json.loads((out / "index.json").read_text())
    assert [v["name"] for v in index["videos"]] == list(ACTIONS)
    for entry in index["videos"]:
        assert entry["frames"] == 3 and entry["found"] == 3
        pngs = sorted((out / entry["folder"] / "frames").glob("*.png"))
        assert [p.name for p in pngs] == ["00000.png", "00001.png", "00002.png"]
    videos = read_prepared(out)
    assert videos[0].frame(0).shape == (128, 128, 3) and videos[0].camera.image_size == (128, 128)


def test_a_second_run_resumes_and_redoes_only_what_is_missing(prepared, iper):
    out, _ = prepared
    kept = out / folder_name("p1/o1/throw_a") / "motion.npz"
    stamp = kept.stat().st_mtime_ns
    again = prepare(iper, out, workers=2, size=128, progress=False)
    assert again.prepared == 2 and again.skipped == 2
    assert kept.stat().st_mtime_ns == stamp
    import shutil

    shutil.rmtree(out / folder_name("p1/o1/throw_b"))  # as if the run had been killed before it
    third = prepare(iper, out, workers=1, size=128, progress=False)
    assert third.prepared == 2 and third.skipped == 1
    assert (out / folder_name("p1/o1/throw_b") / "frames" / "00002.png").is_file()


def test_real_pairs_warp_the_source_onto_the_target(prepared, body):
    out, _ = prepared
    pairs = RealPairs(out, body, length=8, seed=0)
    better = 0
    for k in range(4):
        pair = pairs[k]
        assert pair.source_image.shape == (1, 3, 128, 128) and pair.flow_valid.shape == (1, 128, 128)
        on = pair.flow_valid[0] & pair.target_mask[0, 0].bool()
        assert on.float().mean() > 0.05  # the fitted bodies overlap the person
        warped = warp(pair.source_image, pair.flow)
        moved = (warped - pair.target_image).abs().mean(1)[0][on].mean()
        still = (pair.source_image - pair.target_image).abs().mean(1)[0][on].mean()
        better += bool(moved < still)
    assert better >= 3  # the fitted motion explains the change between frames


def test_prepare_command_reports_bad_input(tmp_path, capsys):
    assert main(["prepare", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["prepare", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]) == 2
    assert "not a synthetic dataset" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
