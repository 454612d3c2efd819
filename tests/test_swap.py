"""Appearance transfer, part by part: synthetic people in flat colours (exact bodies), and
`liquidwarp swap` on the real footage."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from liquidwarp.body.model import PART_INDEX
from liquidwarp.cli.main import main
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.rendering.shading import render_face_labels
from liquidwarp.tasks.methods import PART_GROUPS, build_method, prepare_source
from liquidwarp.tasks.swap import assignment

from samples import LAB, needs_samples

COLOURS = {"reference": (0.9, 0.9, 0.9), "head": (0.9, 0.1, 0.1), "upper": (0.1, 0.8, 0.1), "lower": (0.1, 0.2, 0.9)}
SIZE = 128


def flat_person(engine, index: int, colour) -> tuple:
    """Subject ``index`` of the engine, clothed all in one flat colour, unshaded, frame 0."""
    subject = engine.make_subject(index)
    subject = replace(subject, texture=np.broadcast_to(np.array(colour, np.float32), subject.texture.shape).copy())
    rgb = engine.render_view(subject, 0, frames=slice(0, 1))["rgb"][0]
    image = (rgb.permute(1, 2, 0).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    return image, subject.params.index(0), subject.cameras.index(0)


@pytest.fixture(scope="module")
def people(body):
    engine = SyntheticEngine(SynthConfig(subjects=4, frames=1, views=1, size=SIZE, seed=31, shading=False, texture_size=128), body)
    return {name: flat_person(engine, k, colour) for k, (name, colour) in enumerate(COLOURS.items())}


@pytest.mark.parametrize("method", ["warp"])
def test_each_part_takes_its_colour_from_its_own_source(people, body, method):
    order = ["reference", "head", "upper", "lower"]
    sources = [prepare_source(body, *people[name], (0.0, 0.0, float(SIZE)), SIZE) for name in order]
    parts = dict.fromkeys(range(15), 0)
    parts.update(assignment({"head": 1, "upper": 2, "lower": 3}))
    renderer = build_method(method, body, sources, parts=parts)
    _, target, camera = people["reference"]
    out = renderer.render(target, camera).astype(float) / 255
    with torch.no_grad():
        frags = rasterize(camera.project(body(target).vertices), body.faces, (SIZE, SIZE))
    labels = render_face_labels(frags, body.face_parts)[0]
    inner = torch.nn.functional.avg_pool2d(frags.mask[:, None].float(), 3, 1, 1)[0, 0] == 1  # not the feathered edge
    palette = np.array([COLOURS[n] for n in order])
    nearest = np.abs(out[:, :, None, :] - palette[None, None]).sum(-1).argmin(-1)  # (H, W) source index
    for group, source in (("head", 1), ("upper", 2), ("lower", 3)):
        ids = [PART_INDEX[n] for n in PART_GROUPS[group]]
        region = (torch.isin(labels, torch.tensor(ids)) & inner).numpy()
        assert region.sum() > 20, group
        share = (nearest[region] == source).mean()
        assert share >= 0.9, (group, share)


def test_assignment_maps_groups_to_every_part_of_them():
    parts = assignment({"upper": 2})
    assert parts[PART_INDEX["torso"]] == 2 and parts[PART_INDEX["hand_left"]] == 2 and PART_INDEX["head"] not in parts
    with pytest.raises(ValueError, match="unknown part group"):
        assignment({"shoes": 1})


@needs_samples
def test_swap_command_on_real_photos_and_video(tmp_path, capsys, monkeypatch):
    from liquidwarp.io.media import iter_video_frames, probe_video, read_image, write_image

    monkeypatch.setenv("LIQUIDWARP_CACHE_DIR", str(tmp_path / "cache"))
    thrower = tmp_path / "thrower.png"
    write_image(thrower, next(iter_video_frames(LAB, max_frames=1)))
    still = tmp_path / "still.png"
    assert main(["swap", "--reference", str(thrower), "--upper", str(thrower), "--size", "96", "--method", "warp", "--out", str(still)]) == 0
    assert read_image(still).shape == (96, 96, 3)
    video = tmp_path / "swap.mp4"
    assert main(["swap", "--reference", str(LAB), "--source", str(thrower), "--max-frames", "3", "--size", "64", "--out", str(video)]) == 0
    assert probe_video(video).frames == 3
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
