"""Front + back sources: a synthetic person turning on the spot; with a photo of their back, the
frames that show the back match the truth far better than from the front photo alone."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from liquidwarp.body import BodyParams
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.geometry import look_at
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.tasks.methods import build_method, prepare_source
from liquidwarp.warping.flow import transfer_flow

SIZE = 96
FRAMES = 12  # yaw 0, 30, ..., 330 degrees


@pytest.fixture(scope="module")
def turning(body):
    engine = SyntheticEngine(SynthConfig(subjects=1, frames=1, views=1, size=SIZE, seed=41, texture_size=256, shading=False), body)
    subject = engine.make_subject(0)
    yaw = torch.arange(FRAMES) * (2 * math.pi / FRAMES)
    params = BodyParams.rest(FRAMES).replace(
        root_rotation=torch.stack([torch.zeros(FRAMES), torch.zeros(FRAMES), yaw], dim=1), shape=subject.params.shape[:1].expand(FRAMES, -1)
    )
    with torch.no_grad():
        vertices = body(params).vertices
    floor = float(vertices[..., 2].min())
    params = params.replace(root_translation=torch.tensor([[0.0, 0.0, -floor]]).expand(FRAMES, -1))
    vertices = vertices - torch.tensor([0.0, 0.0, floor])
    height = float(vertices[..., 2].max())
    centre = torch.tensor([[0.0, 0.0, height / 2]])
    camera = look_at(centre + torch.tensor([[0.0, -3.5, 0.0]]), centre, torch.tensor([0.0, 0.0, 1.0]), 0.8 * SIZE * 3.5 / height, (SIZE, SIZE))
    shot = replace(subject, params=params, vertices=vertices, cameras=camera)
    rendered = engine.render_view(shot, 0)
    frames = (rendered["rgb"].permute(0, 2, 3, 1).clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()
    return frames, rendered["mask"].numpy(), params, camera


def test_a_back_photo_shows_the_real_back(turning, body):
    frames, masks, params, camera = turning
    view = (0.0, 0.0, float(SIZE))
    front = prepare_source(body, frames[0], params.index(0), camera, view, SIZE)
    back = prepare_source(body, frames[FRAMES // 2], params.index(FRAMES // 2), camera, view, SIZE)
    errors = {}
    for name, sources in (("front", [front]), ("front+back", [front, back])):
        renderer = build_method("warp", body, sources)
        per_frame = []
        for t in (5, 7):  # 150 and 210 degrees: the back toward the camera (not the sources' own frames)
            with torch.no_grad():
                frags = rasterize(camera.project(body(params.index(t)).vertices), body.faces, (SIZE, SIZE))
            unseen = ~transfer_flow(body.faces, front.vertices, camera, front.fragments, frags).valid[0].numpy() & masks[t]
            out = renderer.render(params.index(t), camera).astype(float)
            per_frame.append(np.abs(out - frames[t])[unseen].mean())  # what the front photo cannot show
        errors[name] = float(np.mean(per_frame))
    # Measured: front alone 19.7, front + back 10.3 (mean absolute error, 0-255, on the body pixels
    # the front photo does not see; the rest of the error is texture resampling at 96 px and the
    # sides, which neither photo shows squarely).
    assert errors["front+back"] < 0.6 * errors["front"], errors
