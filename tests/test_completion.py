"""Texture completion: correspondences on the rest mesh and the fill of unseen texels, on textures
painted from the rest mesh's own coordinates (so the right answer is known)."""

import numpy as np
import pytest
import torch

from liquidwarp.body.model import KEYPOINT_NAMES, PART_INDEX, BodyParams
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.warping.completion import complete_texture, fill_part_means, surface_correspondences

SIZE = 256  # texture side: enough texels per part, and fast


@pytest.fixture(scope="module")
def maps(body):
    return surface_correspondences(body, UVAtlas.build(body.face_uvs, SIZE))


def _image(values: np.ndarray) -> np.ndarray:
    return values.reshape(SIZE, SIZE, -1).astype(np.float32)


def test_correspondences_are_cached_per_topology(body, maps):
    again = surface_correspondences(body, UVAtlas.build(body.face_uvs, SIZE))
    assert again is maps


def test_the_mirror_of_the_mirror_is_the_same_point(maps):
    covered = np.flatnonzero(maps.covered)
    back = maps.mirror[maps.mirror[covered]]
    distance = np.linalg.norm(maps.position[back] - maps.position[covered], axis=1)
    # The mesh is symmetric to 0.4 mm; a texel is ~6 mm of surface at 256².
    assert (distance < 0.005).mean() > 0.95, np.percentile(distance, [50, 95, 99])
    reflected = maps.position[covered] * np.array([-1.0, 1.0, 1.0])
    assert np.percentile(np.linalg.norm(maps.position[maps.mirror[covered]] - reflected, axis=1), 95) < 0.005


def test_the_front_back_counterpart_is_on_the_other_side(maps):
    x, y, z = maps.position.T
    torso = maps.covered & (maps.part == PART_INDEX["torso"])
    middle = np.median(z[torso])
    # The chest and the back along the body's midline, in a band 10 cm high: their depth centre.
    band = torso & (np.abs(x) < 0.04) & (np.abs(z - middle) < 0.05)
    centre = (y[band].min() + y[band].max()) / 2
    front, back = band & (y < centre - 0.03), band & (y > centre + 0.03)
    assert front.sum() > 50 and back.sum() > 50
    assert (y[maps.opposite[front]] > centre).mean() > 0.95
    assert (y[maps.opposite[back]] < centre).mean() > 0.95
    assert np.percentile(np.abs(z[maps.opposite[band]] - z[band]), 95) < 0.01  # at the same height
    twice = maps.opposite[maps.opposite[band]]
    assert np.percentile(np.linalg.norm(maps.position[twice] - maps.position[band], axis=1), 90) < 0.01


def test_a_symmetric_texture_seen_on_one_side_is_completed_on_the_other(maps):
    x, y, z = maps.position.T
    # Symmetric in x: smooth colour by height and depth, plus bands across the body.
    truth = np.stack([0.5 + 0.4 * np.sin(8 * z), 0.5 + 0.4 * np.cos(10 * y), 0.3 + 0.4 * (np.sin(40 * np.abs(x)) > 0)], -1)
    seen = maps.covered & (x > 0.003)
    texture = np.where(seen[:, None], truth, 0.0)
    out = complete_texture(_image(texture), seen.reshape(SIZE, SIZE), maps).reshape(-1, 3)
    other = maps.covered & (x < -0.01)
    error = np.abs(out[other] - truth[other]).mean()
    before = np.abs(fill_part_means(_image(texture), seen.reshape(SIZE, SIZE), maps).reshape(-1, 3)[other] - truth[other]).mean()
    assert error < 0.01, error  # on a 0-1 scale (measured 0.002)
    assert error < 0.2 * before, (error, before)


def test_a_garment_pattern_seen_from_the_front_is_carried_to_the_back(maps):
    z = maps.position[:, 2]
    stripes = (np.floor(z / 0.04) % 2).astype(bool)  # horizontal bands 4 cm high
    red, blue = np.array([0.9, 0.1, 0.1]), np.array([0.1, 0.1, 0.9])
    truth = np.where(stripes[:, None], red, blue)
    partner_y = maps.position[maps.opposite, 1]
    front = maps.covered & (maps.position[:, 1] < partner_y)  # the nearer side of each cross-section
    seen = front | ~maps.covered
    torso_back = maps.covered & (maps.part == PART_INDEX["torso"]) & (maps.position[:, 1] > partner_y + 0.05)
    assert torso_back.sum() > 500
    out = complete_texture(_image(np.where(seen[:, None], truth, 0.5)), seen.reshape(SIZE, SIZE), maps).reshape(-1, 3)
    # Away from the band edges (where a few texels of height error flip the band), the right colour.
    inside = torso_back & (np.abs(z / 0.04 - np.round(z / 0.04)) > 0.2)
    right = np.abs(out[inside] - truth[inside]).sum(-1) < 0.3
    assert right.mean() > 0.9, right.mean()


def test_seen_texels_are_never_changed(maps):
    rng = np.random.default_rng(0)
    texture = rng.uniform(0, 1, (SIZE, SIZE, 3)).astype(np.float32)
    seen = rng.uniform(size=(SIZE, SIZE)) < 0.4
    out = complete_texture(texture, seen, maps)
    assert np.array_equal(out[seen], texture[seen])
    assert not np.array_equal(out[~seen & maps.covered.reshape(SIZE, SIZE)], texture[~seen & maps.covered.reshape(SIZE, SIZE)])


def test_nothing_seen_gives_grey_and_everything_seen_is_kept(maps):
    texture = np.zeros((SIZE, SIZE, 3), np.float32)
    covered = maps.covered.reshape(SIZE, SIZE)
    assert np.allclose(complete_texture(texture, np.zeros((SIZE, SIZE), bool), maps)[covered], 0.5)
    assert np.array_equal(complete_texture(texture + 0.25, np.ones((SIZE, SIZE), bool), maps), texture + 0.25)


def test_the_back_of_the_head_gets_the_hair_colour_not_the_face(body, maps):
    with torch.no_grad():
        keypoints = body(BodyParams.rest()).keypoints[0].numpy()
    eye_z = keypoints[KEYPOINT_NAMES.index("left_eye"), 2]
    ear_y = keypoints[KEYPOINT_NAMES.index("left_ear"), 1]
    _, y, z = maps.position.T
    head = maps.covered & (maps.part == PART_INDEX["head"])
    skin, hair = np.array([0.85, 0.65, 0.5]), np.array([0.15, 0.1, 0.05])
    scalp = head & ((z > eye_z + 0.06) | ((y > ear_y) & (z > eye_z - 0.06)))
    truth = np.where(scalp[:, None], hair, skin)
    seen = ~head | (y < ear_y - 0.01)  # a photo from the front: face, forehead, top of the head
    out = complete_texture(_image(np.where(seen[:, None], truth, 0.5)), seen.reshape(SIZE, SIZE), maps).reshape(-1, 3)
    back = head & (y > ear_y + 0.03) & (z > eye_z - 0.03)
    assert back.sum() > 200
    assert np.abs(out[back] - hair).sum(-1).mean() < 0.1
    old = fill_part_means(_image(np.where(seen[:, None], truth, 0.5)), seen.reshape(SIZE, SIZE), maps).reshape(-1, 3)
    assert np.abs(old[back] - hair).sum(-1).mean() > 0.5  # the part's mean is mostly face


def test_bench_unseen_checks_its_outputs_before_measuring(tmp_path, capsys):
    from liquidwarp.cli.main import main

    assert main(["bench", "unseen", "--json", str(tmp_path / "nope" / "u.json")]) == 2
    assert main(["bench", "unseen", "--sheet", str(tmp_path / "sheet.jpg")]) == 2
    assert "sheet" in capsys.readouterr().err
