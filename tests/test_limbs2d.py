import math

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from liquidwarp.body.model import KEYPOINT_NAMES
from liquidwarp.geometry.cameras import pixel_centers, pixels_to_grid
from liquidwarp.warping.limbs2d import (
    SEGMENT_NAMES,
    SEGMENTS,
    affine_limb_warp,
    limb_transforms,
    segment_labels,
)

SIZE = (128, 128)  # H, W
# (column, row) of the pixel each keypoint sits on: a person facing the camera in a T-pose, so
# the person's left is the image's right. The keypoint is that pixel's centre.
PIXELS = {
    "nose": (64, 22), "left_eye": (67, 19), "right_eye": (61, 19), "left_ear": (71, 21), "right_ear": (57, 21),
    "left_shoulder": (76, 36), "right_shoulder": (52, 36), "left_elbow": (94, 36), "right_elbow": (34, 36),
    "left_wrist": (112, 36), "right_wrist": (16, 36), "left_hip": (72, 76), "right_hip": (56, 76),
    "left_knee": (74, 96), "right_knee": (54, 96), "left_ankle": (75, 114), "right_ankle": (53, 114),
    "left_big_toe": (82, 119), "right_big_toe": (46, 119), "left_small_toe": (80, 121), "right_small_toe": (48, 121),
    "left_heel": (74, 119), "right_heel": (54, 119),
    "left_index_knuckle": (120, 35), "right_index_knuckle": (8, 35), "left_pinky_knuckle": (119, 38), "right_pinky_knuckle": (9, 38),
}  # fmt: skip
KEYPOINTS = torch.tensor([PIXELS[name] for name in KEYPOINT_NAMES], dtype=torch.float32) + 0.5
SOURCE_BACKGROUND = (0.9, 0.9, 0.8)


def stick_person(textured: bool = True) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """(1, 3, H, W) image, (1, H, W) mask and (H, W) part labels of a stick person; each part has
    its own colour, times per-pixel noise so that a shift by one pixel shows."""
    parts = np.zeros(SIZE, np.uint8)  # 0 = background, 1 = torso, 2 = head, 3.. = limbs
    p = {name: tuple(int(v) for v in xy) for name, xy in PIXELS.items()}
    torso = np.array([p["left_shoulder"], p["right_shoulder"], p["right_hip"], p["left_hip"]], np.int32)
    cv2.fillConvexPoly(parts, torso, 1)
    cv2.line(parts, (64, 36), p["nose"], 2, thickness=7)  # neck
    cv2.circle(parts, p["nose"], 9, 2, thickness=-1)
    limbs = []
    for side in ("left", "right"):
        limbs += [(f"{side}_shoulder", f"{side}_elbow"), (f"{side}_elbow", f"{side}_wrist")]
        limbs += [(f"{side}_hip", f"{side}_knee"), (f"{side}_knee", f"{side}_ankle"), (f"{side}_ankle", f"{side}_big_toe")]
    for label, (start, end) in enumerate(limbs, start=3):
        cv2.line(parts, p[start], p[end], label, thickness=7)
    palette = torch.rand(parts.max() + 1, 3, generator=torch.Generator().manual_seed(1)) * 0.6 + 0.2
    labels = torch.from_numpy(parts).long()
    mask = labels > 0
    colour = palette[labels].permute(2, 0, 1)
    if textured:
        colour = colour * (0.6 + 0.4 * torch.rand(1, *SIZE, generator=torch.Generator().manual_seed(2)))
    image = torch.where(mask, colour, torch.tensor(SOURCE_BACKGROUND)[:, None, None])
    return image[None], mask[None], parts


def plain_background() -> torch.Tensor:
    ramp = torch.linspace(0.0, 1.0, SIZE[1])
    return torch.stack([ramp.expand(SIZE), torch.full(SIZE, 0.5), 1.0 - ramp.expand(SIZE)])[None]


def landmark(points, keypoints):
    return sum(weight * keypoints[KEYPOINT_NAMES.index(name)] for name, weight in points)


def erode(mask: torch.Tensor, pixels: int) -> torch.Tensor:
    """(H, W) bool mask shrunk by ``pixels`` (square structuring element)."""
    grown = F.max_pool2d((~mask).float()[None, None], 2 * pixels + 1, stride=1, padding=pixels)
    return grown[0, 0] == 0


def test_identical_keypoints_return_the_person_on_the_background():
    image, mask, _ = stick_person()
    background = plain_background()
    out = affine_limb_warp(image, mask, KEYPOINTS, KEYPOINTS.clone(), background)
    assert out.shape == (1, 3, *SIZE) and out.dtype == torch.float32
    on, off = mask[0], ~mask[0]
    assert (out[0][:, erode(on, 1)] - image[0][:, erode(on, 1)]).abs().max() < 1e-5
    assert (out[0][:, on] - image[0][:, on]).abs().max() < 1e-4  # the edge too: nothing moved
    assert (out[0][:, off] - background[0][:, off]).abs().max() < 1e-4


@pytest.mark.parametrize("shift", [(7, -4), (-9, 3)])
def test_integer_translation_moves_the_person_exactly(shift):
    dx, dy = shift
    image, mask, _ = stick_person()
    background = plain_background()
    out = affine_limb_warp(image, mask, KEYPOINTS, KEYPOINTS + torch.tensor([dx, dy]), background)
    # The person is far enough from the borders that rolling does not wrap it around.
    moved_image = image.roll((dy, dx), dims=(-2, -1))
    moved = mask[0].roll((dy, dx), dims=(-2, -1))
    inner = erode(moved, 1)
    assert (out[0][:, inner] - moved_image[0][:, inner]).abs().max() < 1e-5
    assert (out[0][:, moved] - moved_image[0][:, moved]).abs().max() < 1e-4
    assert (out[0][:, ~moved] - background[0][:, ~moved]).abs().max() < 1e-4
    # A shift off by a pixel would fail against the textured image.
    wrong = image.roll((dy, dx + 1), dims=(-2, -1))
    assert (out[0][:, inner] - wrong[0][:, inner]).abs().max() > 0.05


def test_subpixel_motion_has_soft_edges_and_no_seams_between_limbs():
    """A one-colour person moved by a fractional shift: where the shifted mask is full the output
    is that colour exactly (no background leaking along the joints between segments), where it is
    empty it is the background, and the silhouette in between is anti-aliased."""
    image, mask, _ = stick_person(textured=False)
    colour = torch.tensor([0.8, 0.1, 0.3])
    image = torch.where(mask, colour[:, None, None], image)
    background = plain_background()
    shift = torch.tensor([0.3, 0.6])
    out = affine_limb_warp(image, mask, KEYPOINTS, KEYPOINTS + shift, background)
    grid = pixels_to_grid(pixel_centers(SIZE) - shift, SIZE)[None]
    coverage = F.grid_sample(mask[:, None].float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)[0, 0]
    full, empty = coverage > 1 - 1e-5, coverage < 1e-5
    assert (out[0][:, full] - colour[:, None]).abs().max() < 1e-5
    assert (out[0][:, empty] - background[0][:, empty]).abs().max() < 1e-5
    edge = ~full & ~empty
    assert edge.sum() > 100
    # On the edge each pixel is a proper mix of the colour and the background, strictly between.
    mix = (out[0][1, edge] - background[0][1, edge]) / (colour[1] - background[0][1, edge])  # background green is 0.5
    assert mix.min() > 0.01 and mix.max() < 0.99


def test_rotating_the_left_forearm_moves_it_and_leaves_the_torso():
    image, mask, parts = stick_person()
    background = plain_background()
    elbow = KEYPOINTS[KEYPOINT_NAMES.index("left_elbow")]
    wrist = KEYPOINT_NAMES.index("left_wrist")
    target = KEYPOINTS.clone()
    arm = KEYPOINTS[wrist] - elbow
    target[wrist] = elbow + torch.stack([-arm[1], arm[0]])  # 90 degrees: pointing down (y is down)
    out = affine_limb_warp(image, mask, KEYPOINTS, target, background)

    ex, ey = PIXELS["left_elbow"]
    for column in range(ex + 5, ex + 15):  # along the forearm, off the elbow and the hand
        for off_axis in (-2, 0, 2):
            # (column, ey + off_axis) rotates about the elbow to (ex - off_axis, ey + column - ex).
            expected = image[0, :, ey + off_axis, column]
            assert torch.allclose(out[0, :, ey + (column - ex), ex - off_axis], expected, atol=1e-5)
            assert torch.allclose(out[0, :, ey + off_axis, column], background[0, :, ey + off_axis, column], atol=1e-5)
    torso = erode(torch.from_numpy(parts == 1), 1)
    assert torso.sum() > 500
    assert (out[0][:, torso] - image[0][:, torso]).abs().max() < 1e-5
    # The other arm did not move either.
    right_arm = erode(torch.from_numpy((parts == 8) | (parts == 9)), 1)
    assert (out[0][:, right_arm] - image[0][:, right_arm]).abs().max() < 1e-5


def test_each_map_sends_its_source_landmarks_to_its_target_landmarks():
    generator = torch.Generator().manual_seed(3)
    source = KEYPOINTS + 4 * torch.randn(KEYPOINTS.shape, generator=generator)
    target = KEYPOINTS * 0.8 + 10 + 6 * torch.randn(KEYPOINTS.shape, generator=generator)
    transforms = limb_transforms(source, target)
    assert tuple(transforms) == SEGMENT_NAMES
    for segment in SEGMENTS:
        matrix = transforms[segment.name]
        assert matrix.shape == (2, 3) and matrix.dtype == torch.float32
        for points in segment.landmarks:
            moved = matrix[:, :2] @ landmark(points, source) + matrix[:, 2]
            assert torch.allclose(moved, landmark(points, target), atol=1e-4), segment.name
        if len(segment.landmarks) == 2:  # a similarity: a scaled rotation, no shear, no reflection
            (a, b), (c, d) = matrix[:, :2]
            assert torch.allclose(a, d, atol=1e-5) and torch.allclose(b, -c, atol=1e-5), segment.name
    assert torch.equal(transforms["left_hand"], transforms["left_forearm"])
    assert not torch.allclose(transforms["torso"][:, :2], transforms["head"][:, :2], atol=1e-3)


def test_rotation_and_scale_of_a_known_segment():
    source, target = KEYPOINTS.clone(), KEYPOINTS.clone()
    knee, ankle = KEYPOINT_NAMES.index("left_knee"), KEYPOINT_NAMES.index("left_ankle")
    target[knee] = torch.tensor([30.0, 40.0])
    target[ankle] = target[knee] + 2 * torch.tensor([-(source[ankle] - source[knee])[1], (source[ankle] - source[knee])[0]])
    matrix = limb_transforms(source, target)["left_shin"]
    angle = math.pi / 2
    expected = 2 * torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    assert torch.allclose(matrix[:, :2], expected, atol=1e-5)


def test_coincident_landmarks_fall_back_to_translation():
    source, target = KEYPOINTS.clone(), KEYPOINTS + torch.tensor([3.0, -2.0])
    elbow, wrist = KEYPOINT_NAMES.index("left_elbow"), KEYPOINT_NAMES.index("left_wrist")
    source[wrist] = source[elbow]  # zero-length source forearm
    target[KEYPOINT_NAMES.index("right_wrist")] = target[KEYPOINT_NAMES.index("right_elbow")]  # zero-length target
    transforms = limb_transforms(source, target)
    for name in ("left_forearm", "left_hand", "right_forearm"):
        assert torch.allclose(transforms[name], torch.tensor([[1.0, 0.0, 3.0], [0.0, 1.0, -2.0]]), atol=1e-5), name
    image, mask, _ = stick_person()
    out = affine_limb_warp(image, mask, source, target, plain_background())
    assert torch.isfinite(out).all()


def test_flat_torso_falls_back_to_the_spine_similarity():
    source, target = KEYPOINTS.clone(), KEYPOINTS * 1.5 - 7
    left_hip, right_hip = KEYPOINT_NAMES.index("left_hip"), KEYPOINT_NAMES.index("right_hip")
    source[left_hip] = source[right_hip] = (source[left_hip] + source[right_hip]) / 2  # side view: hips coincide
    matrix = limb_transforms(source, target)["torso"]
    mid_hip = (("left_hip", 0.5), ("right_hip", 0.5))
    neck = (("left_shoulder", 0.5), ("right_shoulder", 0.5))
    for points in (mid_hip, neck):
        moved = matrix[:, :2] @ landmark(points, source) + matrix[:, 2]
        assert torch.allclose(moved, landmark(points, target), atol=1e-4)


def test_pixels_belong_to_their_nearest_segment():
    _, mask, _ = stick_person()
    labels = segment_labels(mask[0], KEYPOINTS)
    assert torch.equal(labels >= 0, mask[0])
    index = {name: i for i, name in enumerate(SEGMENT_NAMES)}
    # Centres of drawn parts, away from joints.
    assert labels[56, 64] == index["torso"]
    assert labels[16, 64] == index["head"]  # above the nose: the crown
    assert labels[36, 103] == index["left_forearm"]
    assert labels[36, 43] == index["right_upper_arm"]
    assert labels[105, 54] == index["right_shin"]
    assert labels[118, 79] == index["left_foot"]
    assert labels[36, 115] == index["left_hand"]  # past the wrist
    # Straight above the left shoulder the upper arm's start and the torso's flank are equally
    # near (both measure to the shoulder): the tie goes to the proximal segment, the torso.
    everywhere = segment_labels(torch.ones(SIZE, dtype=torch.bool), KEYPOINTS)
    assert everywhere[33, 76] == index["torso"] and everywhere[33, 73] == index["torso"]
    assert everywhere[33, 80] == index["left_upper_arm"]


def test_keypoints_outside_the_image_are_fine():
    image, mask, _ = stick_person()
    target = KEYPOINTS + torch.tensor([500.0, -300.0])
    out = affine_limb_warp(image, mask, KEYPOINTS, target, plain_background())
    assert torch.allclose(out, plain_background(), atol=1e-6)  # the person left the frame


def test_bad_inputs_raise():
    image, mask, _ = stick_person()
    background = plain_background()
    good = (image, mask, KEYPOINTS, KEYPOINTS, background)
    bad_cases = [
        (image[0], mask, KEYPOINTS, KEYPOINTS, background),  # no batch dimension
        (image.expand(2, -1, -1, -1), mask, KEYPOINTS, KEYPOINTS, background),  # batch of two
        (image[:, :1], mask, KEYPOINTS, KEYPOINTS, background),  # one channel
        (image, mask[0], KEYPOINTS, KEYPOINTS, background),  # mask without batch
        (image, mask.float(), KEYPOINTS, KEYPOINTS, background),  # mask not bool
        (image, mask[:, :-1], KEYPOINTS, KEYPOINTS, background),  # mask of another size
        (image, mask, KEYPOINTS[:17], KEYPOINTS, background),  # COCO-17 only
        (image, mask, KEYPOINTS, KEYPOINTS.T, background),
        (image, mask, KEYPOINTS.long(), KEYPOINTS, background),
        (image, mask, KEYPOINTS, torch.full_like(KEYPOINTS, math.nan), background),
        (image, mask, KEYPOINTS, KEYPOINTS, background[..., :-1]),
    ]
    affine_limb_warp(*good)
    for case in bad_cases:
        with pytest.raises(ValueError):
            affine_limb_warp(*case)
    with pytest.raises(ValueError):
        limb_transforms(KEYPOINTS, KEYPOINTS[:, :1])
