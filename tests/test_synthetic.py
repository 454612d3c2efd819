import json

import numpy as np
import pytest
import torch
from PIL import Image

from liquidwarp.body import PART_INDEX
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.data.synthetic import FORMAT_VERSION, SynthConfig, SyntheticEngine, read_dataset, write_dataset
from liquidwarp.rendering import rasterize, render_face_labels

CFG = SynthConfig(subjects=2, frames=3, views=2, size=64, seed=7, texture_size=128)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, body):
    out = tmp_path_factory.mktemp("synth")
    stats = write_dataset(CFG, out, preview=True, progress=False, body=body)
    return out, stats


def test_files_are_ordinary_pngs_and_the_manifest_is_versioned(dataset):
    out, stats = dataset
    assert stats["frames"] == 2 * 3 * 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["version"] == FORMAT_VERSION and manifest["config"]["seed"] == 7
    assert len(manifest["subjects"]) == 2
    rgb = Image.open(out / "subject_0001" / "view_01" / "rgb_0002.png")
    assert rgb.mode == "RGB" and rgb.size == (64, 64)
    assert Image.open(out / "subject_0000" / "view_00" / "mask_0000.png").mode == "L"
    preview = Image.open(out / "preview.png")
    assert preview.size[1] == 2 * 64  # one row per subject
    assert len(list(out.rglob("*.png"))) == 2 * (2 * 3 * 3 + 1) + 1  # frames x 3 kinds + texture, + preview


def test_saved_params_and_cameras_reproduce_the_saved_masks_and_parts(dataset, body):
    """The strongest check of the format: re-render from what was written, compare pixel-exactly."""
    out, _ = dataset
    data = read_dataset(out)
    assert len(data.subjects) == 2
    for subject in data.subjects:
        assert subject.params.batch_size == 3 and subject.cameras.batch_size == 2
        mesh = body(subject.params)
        for view in range(2):
            cam = subject.cameras.index(view)
            for t in range(3):
                frags = rasterize(cam.project(mesh.vertices[t : t + 1]), body.faces, (64, 64))
                mask = subject.load("mask", view, t)
                parts = subject.load("parts", view, t)
                assert mask.sum() > 50  # the person is in view
                assert np.array_equal(mask, frags.mask[0].numpy())
                assert np.array_equal(parts, render_face_labels(frags, body.face_parts)[0].numpy())
                assert np.array_equal(mask, parts >= 0)


def test_people_stand_on_the_floor_and_fill_the_frame(dataset, body):
    data = read_dataset(dataset[0])
    for subject in data.subjects:
        z = body(subject.params.index(0)).vertices[0, :, 2]
        assert abs(float(z.min())) < 1e-4  # feet on z = 0 in the first frame
        mask = subject.load("mask", 0, 0)
        rows = np.nonzero(mask.any(1))[0]
        assert rows.max() - rows.min() > 0.4 * 64


def test_deterministic_for_a_seed_and_different_across_seeds(tmp_path, body, dataset):
    again = tmp_path / "again"
    again.mkdir()
    write_dataset(CFG, again, progress=False, body=body)
    first = dataset[0] / "subject_0001" / "view_00" / "rgb_0001.png"
    assert (again / "subject_0001" / "view_00" / "rgb_0001.png").read_bytes() == first.read_bytes()
    engine = SyntheticEngine(CFG, body)
    other = SyntheticEngine(SynthConfig(**{**CFG.__dict__, "seed": 8}), body)
    a, b = engine.make_subject(0), other.make_subject(0)
    assert not np.array_equal(a.texture, b.texture)
    assert not torch.equal(a.params.shape, b.params.shape)


def test_clothes_differ_from_skin_and_cover_the_right_parts(body):
    engine = SyntheticEngine(SynthConfig(texture_size=256), body)
    subject = engine.make_subject(3)
    tex = subject.texture
    atlas = engine.atlas
    part = atlas.face_index.clamp(min=0)
    covered = atlas.face_index >= 0
    labels = body.face_parts[part]

    def mean_colour(name):
        sel = (labels == PART_INDEX[name]) & covered
        return tex[sel.numpy()].mean(0)

    # A torso (top) and a hand (skin) never share one colour in this generator.
    assert np.abs(mean_colour("torso") - mean_colour("hand_left")).sum() > 0.05
    assert tex.min() >= 0 and tex.max() <= 1 and tex.dtype == np.float32


def test_uv_atlas_covers_the_layout_and_interpolates_vertex_values(body):
    atlas = UVAtlas.build(body.face_uvs, 128)
    coverage = float((atlas.face_index >= 0).float().mean())
    assert 0.3 < coverage < 0.95
    ones = atlas.interpolate(body.faces, torch.ones(body.num_vertices, 1))
    assert torch.allclose(ones, torch.ones_like(ones))


def test_config_validation():
    for bad in ({"subjects": 0}, {"frames": -1}, {"size": 7}, {"views": 0}):
        with pytest.raises(ValueError):
            SynthConfig(**bad).validate()


def test_reader_rejects_other_folders(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_dataset(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "liquidwarp-synth", "version": 99}))
    with pytest.raises(ValueError, match="version"):
        read_dataset(tmp_path)
