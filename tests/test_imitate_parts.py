import math

import numpy as np
import torch

from liquidwarp.body import BodyParams
from liquidwarp.geometry import Camera
from liquidwarp.geometry.crops import crop_camera, crop_image
from liquidwarp.geometry.rotations import axis_angle_to_matrix
from liquidwarp.tasks.imitate import target_params
from liquidwarp.tasks.views import cover, grow_crop, to_height


def test_crop_camera_and_crop_image_agree_on_where_a_point_lands():
    camera = Camera(torch.tensor([[500.0, 500.0]]), torch.tensor([[320.0, 240.0]]), torch.eye(3)[None], torch.zeros(1, 3), (480, 640))
    point = torch.tensor([[[0.1, -0.05, 2.0]]])
    x, y = camera.project(point)[0, 0, :2].tolist()  # 345.0, 227.5
    image = np.zeros((480, 640, 3), np.uint8)
    image[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3] = 255  # a 5 x 5 dot around the point
    crop = (300.0, 180.0, 100.0)
    small = crop_image(image, crop, 200)  # 2x upsampling of the crop
    cx, cy = crop_camera(camera, crop, 200).project(point)[0, 0, :2].tolist()
    assert (cx, cy) == (2 * (x - 300.0), 2 * (y - 180.0))
    # The dot covers pixels int(x)-2..int(x)+2, so its centre is at int(x) + 0.5 (pixel centres
    # at j + 0.5); in the crop it must sit where the crop camera puts that position.
    dot = crop_camera(camera, crop, 200).principal[0] + (torch.tensor([int(x) + 0.5, int(y) + 0.5]) - camera.principal[0]) * 2
    rows, cols = np.nonzero(small[..., 0] > 127)
    assert abs(cols.mean() + 0.5 - float(dot[0])) < 0.25 and abs(rows.mean() + 0.5 - float(dot[1])) < 0.25


def test_grow_crop_keeps_the_centre():
    x0, y0, side = grow_crop((10.0, 20.0, 100.0), 1.5)
    assert side == 150.0 and x0 + side / 2 == 60.0 and y0 + side / 2 == 70.0


def test_to_height_keeps_the_aspect_ratio():
    assert to_height(np.full((100, 200, 3), 255, np.uint8), 64).shape == (64, 128, 3)


def test_cover_fills_the_output_without_padding():
    image = np.zeros((100, 200, 3), np.uint8)
    image[:, :50] = 255  # a white left quarter, cut away when a square is covered
    out = cover(image, (60, 60))
    assert out.shape == (60, 60, 3) and out.max() == 0
    wide = cover(image, (50, 200))  # wider than the image: scaled up, the rows centre-cropped
    assert wide.shape == (50, 200, 3) and (wide[:, :45] == 255).all() and (wide[:, 55:] == 0).all()


def test_target_takes_the_reference_pose_and_motion_and_the_source_shape_and_place():
    source = BodyParams.rest(1).replace(
        root_rotation=torch.tensor([[0.0, 0.0, 0.3]]), root_translation=torch.tensor([[1.0, 2.0, 3.0]]), shape=torch.full((1, 6), 0.2)
    )
    reference = BodyParams.rest(2).replace(
        root_rotation=torch.tensor([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0 + math.pi / 2]]),
        root_translation=torch.tensor([[5.0, 5.0, 0.0], [5.5, 5.0, 0.1]]),
        joint_rotations=torch.randn(2, 19, 3) * 0.2,
    )
    target = target_params(source, reference)
    assert torch.equal(target.joint_rotations, reference.joint_rotations)
    assert torch.equal(target.shape, torch.full((2, 6), 0.2))
    assert torch.allclose(target.root_translation, torch.tensor([[1.0, 2.0, 3.0], [1.5, 2.0, 3.1]]))
    assert torch.allclose(axis_angle_to_matrix(target.root_rotation[0]), axis_angle_to_matrix(source.root_rotation[0]), atol=1e-6)
    turned = axis_angle_to_matrix(torch.tensor([0.0, 0.0, 0.3 + math.pi / 2]))
    assert torch.allclose(axis_angle_to_matrix(target.root_rotation[1]), turned, atol=1e-5)


def test_in_place_keeps_the_source_position():
    source = BodyParams.rest(1).replace(root_translation=torch.tensor([[1.0, 2.0, 3.0]]))
    reference = BodyParams.rest(3).replace(root_translation=torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 1.0, 0.0]]))
    assert torch.equal(target_params(source, reference, in_place=True).root_translation, torch.tensor([[1.0, 2.0, 3.0]] * 3))


def test_grounded_keeps_the_feet_on_the_source_ground_but_keeps_jumps(body):
    from liquidwarp.tasks.imitate import _lowest, grounded

    up = torch.tensor([0.0, 0.0, 1.0])
    source = BodyParams.rest(1).replace(root_translation=torch.tensor([[0.2, 1.0, 0.3]]))
    # A fitted reference drifting up by 5 and 10 cm (floating), then a real 50 cm jump.
    lift = torch.tensor([0.0, 0.05, 0.10, 0.50])
    reference = BodyParams.rest(4).replace(root_translation=torch.stack([torch.zeros(4), torch.zeros(4), lift], dim=1))
    targets = target_params(source, reference)
    out = grounded(body, source, reference, targets, up)
    ground = _lowest(body, source, up)[0]
    low = _lowest(body, out, up)
    assert torch.allclose(low, ground + torch.tensor([0.0, 0.0, 0.0, 0.5]), atol=1e-4)
    assert torch.allclose(out.root_translation[:, :2], targets.root_translation[:, :2])  # only the height moves
