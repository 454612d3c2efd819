"""Training pairs, correspondence maps and head boxes."""

import numpy as np
import pytest
import torch

from liquidwarp.body import KEYPOINT_NAMES, BodyParams
from liquidwarp.body.regions import head_boxes
from liquidwarp.data.datasets import SyntheticPairs
from liquidwarp.data.pairs import TrainingPair
from liquidwarp.data.synthetic import SynthConfig, write_dataset
from liquidwarp.geometry import look_at
from liquidwarp.rendering import rasterize
from liquidwarp.rendering.correspondence import BACKGROUND_CODE, CODE_RANGE, correspondence_map, surface_codes
from liquidwarp.warping.composite import blank_background
from liquidwarp.warping.flow import warp


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, body):
    root = tmp_path_factory.mktemp("pairs")
    write_dataset(SynthConfig(subjects=2, frames=4, views=2, size=64, seed=5, fps=5.0, texture_size=128), root, progress=False, body=body)
    return root


def test_surface_codes_span_the_range_along_the_height(body):
    codes = surface_codes(body.rest_vertices)
    assert codes.abs().max() == pytest.approx(CODE_RANGE, abs=1e-6)
    z = codes[:, 2]
    assert z.max() - z.min() == pytest.approx(2 * CODE_RANGE, abs=1e-5)  # height is the longest axis


def test_correspondence_map_is_the_same_code_for_the_same_point_in_any_pose(body):
    codes = surface_codes(body.rest_vertices)
    camera = look_at(torch.tensor([[0.0, -3.0, 0.9]]), torch.tensor([[0.0, 0.0, 0.9]]), torch.tensor([0.0, 0.0, 1.0]), 120.0, (96, 96))
    params = BodyParams.rest(1)
    moved = params.replace(root_translation=torch.tensor([[0.3, 0.0, 0.0]]))
    maps = []
    for p in (params, moved):
        frags = rasterize(camera.project(body(p).vertices), body.faces, (96, 96))
        maps.append(correspondence_map(frags, body.faces, codes))
        assert (maps[-1][:, :, ~frags.mask[0]] == BACKGROUND_CODE).all()
        assert maps[-1][:, :, frags.mask[0]].abs().max() <= CODE_RANGE + 1e-6
    # Moving the body 0.3 m sideways at 3 m with f = 120 shifts it by 12 px: codes move with it.
    # (Perspective changes the view a little: compare where both show the body, away from edges.)
    before, after = maps[0][0, :, :, 10:84], maps[1][0, :, :, 22:96]
    both = (before != BACKGROUND_CODE).all(0) & (after != BACKGROUND_CODE).all(0)
    assert both.sum() > 300
    assert (before - after).abs()[:, both].median() < 0.01


def test_head_boxes_centre_and_size():
    keypoints = torch.zeros(1, len(KEYPOINT_NAMES), 2)
    keypoints[0, :5] = torch.tensor([[50.0, 50.0], [48.0, 48.0], [52.0, 48.0], [45.0, 50.0], [55.0, 50.0]])
    box = head_boxes(keypoints)[0]
    # centre = mean of the five points (50, 49.2); side = 3 x the ear-to-ear spread of 10 px
    assert torch.allclose(box, torch.tensor([35.0, 34.2, 65.0, 64.2]))
    with pytest.raises(ValueError):
        head_boxes(torch.zeros(1, 17, 2))


def test_blank_background_hides_the_grown_body():
    image = torch.ones(1, 3, 32, 32)
    mask = torch.zeros(1, 1, 32, 32)
    mask[..., 10:20, 10:20] = 1
    out = blank_background(image, mask, margin=2 / 32)
    assert out.shape == (1, 4, 32, 32)
    assert (out[:, :3, 8:22, 8:22] == 0).all() and (out[:, 3, 8:22, 8:22] == 1).all()
    assert (out[:, :3, :7] == 1).all() and (out[:, 3, :7] == 0).all()


def test_synthetic_pairs_warp_the_source_onto_the_target(dataset, body):
    pairs = SyntheticPairs(dataset, body, length=6, seed=3)
    again = SyntheticPairs(dataset, body, length=6, seed=3)
    batch = TrainingPair.collate([pairs[k] for k in range(6)])
    assert torch.equal(batch.target_image[2:3], again[2].target_image)  # deterministic per (seed, k)
    assert batch.source_image.shape == (6, 3, 64, 64) and batch.flow_grid.shape == (6, 64, 64, 2)
    assert batch.source_image.min() >= -1 and batch.source_image.max() <= 1
    # Where the flow is valid, the warped source shows the target's surface (same texture).
    warped = warp(batch.source_image, batch.flow)
    valid = batch.flow_valid[:, None].expand_as(warped)
    assert valid.sum() > 500
    assert (warped - batch.target_image).abs()[valid].mean() < 0.08
    # The target mask is where the target map holds codes.
    on_body = (batch.target_map != -1).any(1, keepdim=True).float()
    assert torch.equal(on_body, batch.target_mask)
    boxes = batch.head_box
    assert (boxes[:, 2] > boxes[:, 0]).all() and np.isfinite(boxes.numpy()).all()


def test_resampled_pairs_keep_the_warp_consistent(dataset, body):
    pairs = SyntheticPairs(dataset, body, length=4, seed=1, size=32)
    pair = pairs[0]
    assert pair.source_image.shape == (1, 3, 32, 32) and pair.flow_grid.shape == (1, 32, 32, 2)
    full = SyntheticPairs(dataset, body, length=4, seed=1)[0]  # the same pair at 64 x 64
    small_mask = torch.nn.functional.avg_pool2d(full.target_mask, 2)
    assert (small_mask.round() != pair.target_mask).float().mean() < 0.03  # the camera was scaled with the image


def test_augmentation_is_deterministic_and_changes_only_the_images(dataset, body):
    from dataclasses import replace

    from liquidwarp.data.augment import Augmentation, augment

    plain = SyntheticPairs(dataset, body, length=4, seed=2)[1]
    strong = Augmentation(brightness=0.3, contrast=0.3, saturation=0.3, blur=1.0, noise=0.05, background=1.0)
    a = augment(plain, np.random.default_rng(7), strong)
    b = augment(plain, np.random.default_rng(7), strong)
    assert torch.equal(a.source_image, b.source_image) and torch.equal(a.target_image, b.target_image)
    assert not torch.equal(a.source_image, plain.source_image)
    assert torch.equal(a.target_map, plain.target_map) and torch.equal(a.flow_grid, plain.flow_grid)
    assert a.source_image.min() >= -1 and a.source_image.max() <= 1
    assert torch.equal(a.background_input, blank_background(a.source_image, a.source_mask))
    # Only a new background, nothing else: the person's pixels are kept exactly, the others change.
    only_background = augment(plain, np.random.default_rng(3), replace(Augmentation(0, 0, 0, 0, 0, 0, 0, 0), background=1.0))
    person = plain.source_mask.bool().expand_as(plain.source_image)
    assert torch.equal(only_background.source_image[person], plain.source_image[person])
    assert (only_background.source_image[~person] != plain.source_image[~person]).float().mean() > 0.5


def test_background_input_comes_from_the_camera_the_output_is_seen_from(dataset, body):
    pairs = SyntheticPairs(dataset, body, length=40, seed=4, novel_view=0.5)
    kinds = set()
    for k in range(12):
        pair = pairs[k]
        from_target = torch.equal(pair.background_input, blank_background(pair.target_image, pair.target_mask))
        from_source = torch.equal(pair.background_input, blank_background(pair.source_image, pair.source_mask))
        assert from_target or from_source
        kinds.add(from_target and not from_source)
    assert kinds == {True, False}  # both same-camera and other-camera pairs were drawn


def test_the_guess_is_the_source_texture_on_the_target_body(dataset, body):
    pairs = SyntheticPairs(dataset, body, length=6, seed=3, novel_view=1.0)
    batch = TrainingPair.collate([pairs[k] for k in range(6)])
    assert batch.guess.shape == batch.target_image.shape
    assert batch.guess.min() >= -1 and batch.guess.max() <= 1
    seen = batch.flow_valid[:, None] & (batch.target_mask > 0)
    unseen = ~batch.flow_valid[:, None] & (batch.target_mask > 0)
    assert unseen.sum() > 200  # another camera: the target shows body the source does not
    # Where the source sees the target's surface, the guess is that surface's colour, about as
    # close to the truth as the warped source itself.
    warped = warp(batch.source_image, batch.flow)
    guess_error = (batch.guess - batch.target_image).abs()[seen.expand_as(warped)].mean()
    warp_error = (warped - batch.target_image).abs()[seen.expand_as(warped)].mean()
    assert guess_error < 1.5 * warp_error + 0.02
    # Where it does not, the guess is completed, not blank: closer to the target than grey.
    assert (batch.guess - batch.target_image).abs()[unseen.expand_as(warped)].mean() < batch.target_image.abs()[unseen.expand_as(warped)].mean()


def test_pairs_for_a_generator_without_the_guess_skip_baking_it(dataset, body):
    with_guess = SyntheticPairs(dataset, body, length=2, seed=3, novel_view=1.0)[1]
    without = SyntheticPairs(dataset, body, length=2, seed=3, novel_view=1.0, guess=False)[1]
    assert (without.guess == 0).all() and with_guess.guess.abs().sum() > 0
    assert torch.equal(without.target_image, with_guess.target_image) and torch.equal(without.flow_grid, with_guess.flow_grid)
