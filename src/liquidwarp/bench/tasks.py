"""``liquidwarp bench tasks``: appearance transfer, front + back sources and personalisation,
measured on synthetic people with exact bodies.

- ``part_transfer``: four people in flat colours (a reference and three donors, unshaded); the
  reference is dressed head / upper / lower from the three donors; per garment group, the share of
  the reference's inner body pixels (not the silhouette's edge row) whose colour is nearest to the
  right donor's colour.
- ``front_back``: a person turning on the spot in front of a still camera (yaw 0, 30, ..., 330
  degrees, unshaded); sources: the front (0) and the back (180); targets: 150 and 210 degrees;
  the mean absolute error (0-255) on the body pixels the front photo does not see, from the front
  alone and from front + back.
- ``personalisation``: seconds to personalise the shipped model on one source photo for
  ``PERSONAL_STEPS`` steps, at 128² and 256².
"""

from __future__ import annotations

import math
import platform
import time
from dataclasses import replace

import numpy as np
import torch

from liquidwarp.body.model import PART_INDEX, BodyModel, BodyParams
from liquidwarp.io.images import unit_frames_to_uint8

COLOURS = {"reference": (0.9, 0.9, 0.9), "head": (0.9, 0.1, 0.1), "upper": (0.1, 0.8, 0.1), "lower": (0.1, 0.2, 0.9)}
TURN_FRAMES = 12  # yaw steps of 30 degrees
PERSONAL_STEPS = 60


def _uint8(rgb: torch.Tensor) -> np.ndarray:
    return unit_frames_to_uint8(rgb)


def flat_people(body: BodyModel, size: int = 128, seed: int = 31) -> dict:
    """name -> (image, params, camera) for the four flat-coloured people of ``COLOURS``."""
    from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine

    engine = SyntheticEngine(SynthConfig(subjects=4, frames=1, views=1, size=size, seed=seed, shading=False, texture_size=128), body)
    people = {}
    for k, (name, colour) in enumerate(COLOURS.items()):
        subject = engine.make_subject(k)
        subject = replace(subject, texture=np.broadcast_to(np.array(colour, np.float32), subject.texture.shape).copy())
        image = _uint8(engine.render_view(subject, 0, frames=slice(0, 1))["rgb"])[0]
        people[name] = (image, subject.params.index(0), subject.cameras.index(0))
    return people


def part_transfer_accuracy(body: BodyModel, method: str, size: int = 128, checkpoint=None) -> dict[str, float]:
    """Garment group -> share of its pixels dressed from the right donor (see the module docstring)."""
    from liquidwarp.rendering.rasterize import rasterize
    from liquidwarp.rendering.shading import render_face_labels
    from liquidwarp.scene.views import PART_GROUPS, prepare_source
    from liquidwarp.tasks.methods import build_method
    from liquidwarp.tasks.swap import assignment

    people = flat_people(body, size)
    order = list(COLOURS)
    sources = [prepare_source(body, *people[name], (0.0, 0.0, float(size)), size) for name in order]
    parts = dict.fromkeys(range(len(PART_INDEX)), 0)
    parts.update(assignment({"head": 1, "upper": 2, "lower": 3}))
    renderer = build_method(method, body, sources, checkpoint=checkpoint, parts=parts)
    _, target, camera = people["reference"]
    out = renderer.render(target, camera).astype(float) / 255
    with torch.no_grad():
        frags = rasterize(camera.project(body(target).vertices), body.faces, (size, size))
    labels = render_face_labels(frags, body.face_parts)[0]
    inner = torch.nn.functional.avg_pool2d(frags.mask[:, None].float(), 3, 1, 1)[0, 0] == 1
    palette = np.array([COLOURS[n] for n in order])
    nearest = np.abs(out[:, :, None, :] - palette[None, None]).sum(-1).argmin(-1)
    shares = {}
    for group, source in (("head", 1), ("upper", 2), ("lower", 3)):
        ids = torch.tensor([PART_INDEX[n] for n in PART_GROUPS[group]])
        region = (torch.isin(labels, ids) & inner).numpy()
        shares[group] = float((nearest[region] == source).mean()) if region.any() else float("nan")
    return shares


def turning_person(body: BodyModel, size: int = 96, seed: int = 41):
    """(frames (T, S, S, 3) uint8, masks (T, S, S) bool, params (T), camera) of a person turning on
    the spot in front of a still camera, unshaded."""
    from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
    from liquidwarp.geometry.cameras import look_at

    engine = SyntheticEngine(SynthConfig(subjects=1, frames=1, views=1, size=size, seed=seed, texture_size=256, shading=False), body)
    subject = engine.make_subject(0)
    t = TURN_FRAMES
    yaw = torch.arange(t) * (2 * math.pi / t)
    params = BodyParams.rest(t).replace(root_rotation=torch.stack([torch.zeros(t), torch.zeros(t), yaw], dim=1)).with_person(subject.params)
    with torch.no_grad():
        vertices = body(params).vertices
    floor = float(vertices[..., 2].min())
    params = params.replace(root_translation=torch.tensor([[0.0, 0.0, -floor]]).expand(t, -1))
    vertices = vertices - torch.tensor([0.0, 0.0, floor])
    height = float(vertices[..., 2].max())
    centre = torch.tensor([[0.0, 0.0, height / 2]])
    camera = look_at(centre + torch.tensor([[0.0, -3.5, 0.0]]), centre, torch.tensor([0.0, 0.0, 1.0]), 0.8 * size * 3.5 / height, (size, size))
    rendered = engine.render_view(replace(subject, params=params, vertices=vertices, cameras=camera), 0)
    return _uint8(rendered["rgb"]), rendered["mask"].numpy(), params, camera


def front_back_errors(body: BodyModel, method: str = "warp", size: int = 96, checkpoint=None) -> dict[str, float]:
    """Mean absolute error (0-255) on what the front photo does not see, with the front photo alone
    and with front + back (see the module docstring)."""
    from liquidwarp.rendering.rasterize import rasterize
    from liquidwarp.scene.views import prepare_source
    from liquidwarp.tasks.methods import build_method
    from liquidwarp.warping.flow import transfer_flow

    frames, masks, params, camera = turning_person(body, size)
    view = (0.0, 0.0, float(size))
    front = prepare_source(body, frames[0], params.index(0), camera, view, size)
    back = prepare_source(body, frames[TURN_FRAMES // 2], params.index(TURN_FRAMES // 2), camera, view, size)
    errors = {}
    for name, sources in (("front", [front]), ("front+back", [front, back])):
        renderer = build_method(method, body, sources, checkpoint=checkpoint)
        per_frame = []
        for t in (5, 7):  # 150 and 210 degrees: the back toward the camera
            with torch.no_grad():
                frags = rasterize(camera.project(body(params.index(t)).vertices), body.faces, (size, size))
            unseen = ~transfer_flow(body.faces, front.vertices, camera, front.fragments, frags).valid[0].numpy() & masks[t]
            out = renderer.render(params.index(t), camera).astype(float)
            per_frame.append(np.abs(out - frames[t])[unseen].mean())
        errors[name] = float(np.mean(per_frame))
    return errors


def personalisation_seconds(body: BodyModel, size: int, steps: int = PERSONAL_STEPS, checkpoint=None) -> float:
    """Seconds to personalise the model on one source photo (a synthetic person) at ``size``²."""
    from liquidwarp.scene.views import prepare_source
    from liquidwarp.tasks.methods import load_lwg_generator
    from liquidwarp.training.personalize import PersonalizeConfig, personalize

    image, params, camera = flat_people(body, size)["upper"]
    source = prepare_source(body, image, params, camera, (0.0, 0.0, float(size)), size)
    generator, _ = load_lwg_generator(None if checkpoint is None else str(checkpoint))
    start = time.perf_counter()
    personalize(generator, body, [source], PersonalizeConfig(steps=steps), progress=False)
    return time.perf_counter() - start


def run(progress: bool = True) -> dict:
    body = BodyModel()
    results: dict = {"part_transfer": {}, "front_back": {}, "personalisation_seconds_per_source": {}}
    for method in ("warp", "lwg"):
        results["part_transfer"][method] = part_transfer_accuracy(body, method)
        results["front_back"][method] = front_back_errors(body, method)
    for size in (128, 256):
        results["personalisation_seconds_per_source"][str(size)] = round(personalisation_seconds(body, size), 1)
    results["personalisation_steps"] = PERSONAL_STEPS
    results["machine"] = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}
    return results
