"""Appearance transfer, part by part: synthetic people in flat colours (exact bodies), and
`liquidwarp swap` on the real footage."""

import pytest

from liquidwarp.bench.tasks import part_transfer_accuracy
from liquidwarp.body.model import PART_INDEX
from liquidwarp.cli.main import main
from liquidwarp.tasks.swap import assignment

from samples import LAB, needs_samples, lab_photo

@pytest.mark.parametrize("method", ["warp", "lwg"])
def test_each_part_takes_its_colour_from_its_own_source(body, method):
    # The donors see few of the reference's body points (12 of 638 lower-body pixels): most of
    # each part is dressed by its own source's fill (warp: its baked texture; lwg: the push-pull
    # fill of what that source sees, restricted to its parts).
    shares = part_transfer_accuracy(body, method, size=128)
    assert all(share >= 0.9 for share in shares.values()), shares


def test_assignment_maps_groups_to_every_part_of_them():
    parts = assignment({"upper": 2})
    assert parts[PART_INDEX["torso"]] == 2 and parts[PART_INDEX["hand_left"]] == 2 and PART_INDEX["head"] not in parts
    with pytest.raises(ValueError, match="unknown part group"):
        assignment({"shoes": 1})


@needs_samples
def test_swap_command_on_real_photos_and_video(tmp_path, capsys, monkeypatch):
    from liquidwarp.io.media import probe_video, read_image

    monkeypatch.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path / "cache"))
    thrower = lab_photo(tmp_path)
    still = tmp_path / "still.png"
    assert main(["swap", "--reference", str(thrower), "--upper", str(thrower), "--size", "96", "--method", "warp", "--out", str(still)]) == 0
    assert read_image(still).shape == read_image(thrower).shape  # the reference photo's own size
    video = tmp_path / "swap.mp4"
    assert main(["swap", "--reference", str(LAB), "--source", str(thrower), "--max-frames", "3", "--size", "64", "--height", "64", "--out", str(video)]) == 0
    info = probe_video(video)
    assert info.frames == 3 and (info.width, info.height) == (36, 64)
    capsys.readouterr()
    for args, words in (
        (["--reference", str(thrower), "--out", str(tmp_path / "a.png")], "name a source"),
        (["--reference", str(thrower), "--source", str(LAB), "--out", str(tmp_path / "a.png")], "must be a photo"),
        (["--reference", str(LAB), "--source", str(thrower), "--out", str(tmp_path / "a.png")], "ending in .mp4"),
        (["--reference", str(tmp_path / "none.png"), "--source", str(thrower), "--out", str(tmp_path / "a.png")], "no such file"),
    ):
        assert main(["swap", *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0], err
    assert not (tmp_path / "a.png").exists()
