"""The image ranges and their converters (liquidwarp.io.images)."""

import numpy as np
import torch

from liquidwarp.io.images import (
    model_to_uint8,
    model_to_unit,
    uint8_frames_to_unit,
    uint8_to_model,
    uint8_to_unit,
    unit_frames_to_uint8,
    unit_to_model,
    unit_to_uint8,
)

EVERY_LEVEL = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)  # (16, 16, 3): 0..255


def test_every_uint8_level_survives_both_ranges():
    unit = uint8_to_unit(EVERY_LEVEL)
    assert unit.shape == (1, 3, 16, 16) and unit.dtype == torch.float32
    assert unit[0, 0, 0, 0] == 0 and unit[0, 0, -1, -1] == 1 and torch.equal(unit[0, 1], unit[0, 0])
    assert np.array_equal(unit_to_uint8(unit), EVERY_LEVEL)
    model = uint8_to_model(EVERY_LEVEL)
    assert model.min() == -1 and model.max() == 1
    assert torch.equal(model, unit * 2 - 1)  # the model range is always made from the unit range
    assert np.array_equal(model_to_uint8(model), EVERY_LEVEL)
    assert torch.allclose(model_to_unit(unit_to_model(unit)), unit, rtol=0, atol=1e-7)  # within a rounding


def test_out_of_range_values_are_clipped_and_levels_rounded():
    unit = torch.tensor([-0.5, 0.0, 0.6 / 255, 1.6 / 255, 1.0, 2.0]).view(1, 1, 1, 6).expand(1, 3, 1, 6)
    assert unit_to_uint8(unit)[0, :, 0].tolist() == [0, 0, 1, 2, 255, 255]
    assert model_to_uint8(unit * 2 - 1)[0, :, 0].tolist() == [0, 0, 1, 2, 255, 255]


def test_frames_convert_as_single_images_do():
    frames = np.stack([EVERY_LEVEL, EVERY_LEVEL[::-1]])  # (2, 16, 16, 3), read-only views are fine
    frames.setflags(write=False)
    unit = uint8_frames_to_unit(frames)
    assert unit.shape == (2, 3, 16, 16)
    assert torch.equal(unit[1:], uint8_to_unit(frames[1]))
    assert np.array_equal(unit_frames_to_uint8(unit), frames)
