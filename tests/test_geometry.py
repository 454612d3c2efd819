import math

import pytest
import torch
import torch.nn.functional as F

from liquidwarp.geometry import (
    ALIGN_CORNERS,
    Camera,
    axis_angle_to_matrix,
    grid_to_pixels,
    look_at,
    matrix_to_axis_angle,
    pixel_centers,
    pixels_to_grid,
    rotation_about_z,
)


def simple_camera(f=100.0, size=(64, 64)):
    return Camera(
        focal=torch.tensor([[f, f]]),
        principal=torch.tensor([[size[1] / 2, size[0] / 2]]),
        rotation=torch.eye(3)[None],
        translation=torch.zeros(1, 3),
        image_size=size,
    )


def test_projection_known_answer():
    cam = simple_camera()
    pts = torch.tensor([[[0.0, 0.0, 2.0], [0.2, -0.1, 2.0], [1.0, 1.0, 4.0]]])
    out = cam.project(pts)
    expected = torch.tensor([[[32.0, 32.0, 2.0], [42.0, 27.0, 2.0], [57.0, 57.0, 4.0]]])
    assert torch.allclose(out, expected)


def test_look_at_puts_target_on_the_optical_axis_and_up_is_image_up():
    eye = torch.tensor([[0.0, -3.0, 1.0]])
    cam = look_at(eye, torch.tensor([[0.0, 0.0, 1.0]]), torch.tensor([0.0, 0.0, 1.0]), 100.0, (64, 80))
    target_px = cam.project(torch.tensor([[[0.0, 0.0, 1.0]]]))[0, 0]
    assert torch.allclose(target_px, torch.tensor([40.0, 32.0, 3.0]), atol=1e-5)
    above = cam.project(torch.tensor([[[0.0, 0.0, 1.5]]]))[0, 0]
    assert above[1] < 32.0  # world up is image up (image y points down)
    right = cam.project(torch.tensor([[[0.5, 0.0, 1.0]]]))[0, 0]
    assert right[0] > 40.0  # looking along +y with z up, world +x is image right
    assert torch.allclose(cam.center, eye, atol=1e-6)
    assert torch.allclose(cam.rotation[0] @ cam.rotation[0].T, torch.eye(3), atol=1e-6)


def test_grid_conventions_round_trip_and_sample_pixel_centres_exactly():
    size = (8, 16)
    xy = pixel_centers(size)
    assert xy[0, 0].tolist() == [0.5, 0.5] and xy[7, 15].tolist() == [15.5, 7.5]
    grid = pixels_to_grid(xy, size)
    assert torch.allclose(grid_to_pixels(grid, size), xy)
    image = torch.rand(1, 3, *size)
    sampled = F.grid_sample(image, grid[None], mode="bilinear", align_corners=ALIGN_CORNERS)
    assert torch.equal(sampled, image)
    assert pixels_to_grid(torch.tensor([0.0, 0.0]), size).tolist() == [-1.0, -1.0]


def test_rotations_round_trip_and_z_rotation():
    rv = torch.tensor([[0.3, -0.2, 0.5], [0.0, 0.0, 1.0]])
    assert torch.allclose(matrix_to_axis_angle(axis_angle_to_matrix(rv)), rv, atol=1e-6)
    rz = rotation_about_z(torch.tensor(math.pi / 2))
    assert torch.allclose(rz @ torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0]), atol=1e-6)
    assert torch.allclose(axis_angle_to_matrix(torch.tensor([0.0, 0.0, 0.7])), rotation_about_z(torch.tensor(0.7)), atol=1e-6)


def test_camera_batching_and_errors():
    a, b = simple_camera(100.0), simple_camera(200.0)
    both = Camera.cat([a, b])
    assert both.batch_size == 2 and both.index(1).focal[0, 0] == 200.0
    with pytest.raises(ValueError):
        Camera.cat([a, simple_camera(size=(32, 32))])
    with pytest.raises(ValueError):
        simple_camera(size=(0, 4))
