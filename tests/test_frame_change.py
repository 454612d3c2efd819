"""The frame-to-frame change metric (temporal stability)."""

import torch

from liquidwarp.metrics.image import frame_change


def test_frame_change_counts_change_on_the_person_only():
    frames = torch.zeros(3, 3, 4, 4)
    masks = torch.zeros(3, 4, 4, dtype=torch.bool)
    masks[:, :2, :2] = True  # the person: the top-left 2 x 2
    frames[1, :, 0, 0] = 1.0  # one person pixel flashes white in frame 1
    frames[2, :, 3, 3] = 1.0  # a background pixel changes in frame 2: not counted
    change = frame_change(frames, masks)
    assert torch.allclose(change, torch.tensor([255 / 4, 255 / 4]))  # on, then off again; the background ignored
