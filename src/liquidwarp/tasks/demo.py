"""The built-in demo: a built-in person dances a built-in motion, with no input files and no network.

The person is drawn by the synthetic engine (body shape, clothes, hair, lighting and background
are a function of :data:`DEMO_SEED`) and photographed once from the front; the motion is the
engine's procedural dance. The person's body in that photo is known exactly, so nothing is fitted:
the demo shows the imitation method alone. It writes ``demo.mp4`` (source photo | target body as
its correspondence map | result) and ``source.png``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.geometry.cameras import Camera
from liquidwarp.io.images import unit_to_uint8

DEMO_SEED = 4  # the built-in person (and background)
DEMO_FPS = 25.0
CAMERA_DISTANCE = 3.6  # metres in front of the person
FRAMING = 0.62  # fraction of the image height the standing person takes


@dataclass(frozen=True)
class DemoResult:
    video: Path
    source: Path
    frames: int
    seconds: float


def dance(frames: int, seed: int = DEMO_SEED) -> BodyParams:
    """The built-in motion: ``frames`` frames of the procedural dance (shape zero, facing -y)."""
    from liquidwarp.data.motions import make_motion

    motion = make_motion(np.random.default_rng([seed, 1]), frames, kind="dance", fps=DEMO_FPS)
    root = torch.zeros(frames, 3)
    root[:, 2] = torch.from_numpy(motion.root_yaw)
    return BodyParams(root, torch.from_numpy(motion.root_translation), torch.from_numpy(motion.joint_rotations), torch.zeros(frames, 6))


@dataclass(frozen=True)
class DemoScene:
    """The built-in person photographed once, and the motion they dance."""

    photo: np.ndarray  # (size, size, 3) uint8
    params: BodyParams  # B = 1: the person in the photo, standing on z = 0
    camera: Camera  # B = 1: the photo's camera
    motion: BodyParams  # T frames of the dance


def demo_scene(body: BodyModel, frames: int, size: int, seed: int = DEMO_SEED) -> DemoScene:
    """Draw the built-in person (``seed``; another seed, another person) in the first pose of
    :func:`dance`, facing the camera, the whole body in view, in a ``size`` x ``size`` photo."""
    from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
    from liquidwarp.geometry.cameras import look_at

    engine = SyntheticEngine(SynthConfig(subjects=1, frames=1, views=1, size=size, seed=seed), body)
    person = engine.make_subject(0)
    motion = dance(frames)
    photo_params = motion.index(0).with_person(person.params).replace(root_translation=torch.zeros(1, 3))
    with torch.no_grad():
        posed = body(photo_params)
    vertices = posed.vertices
    floor = vertices[0, :, 2].min()
    photo_params = photo_params.replace(root_translation=torch.tensor([[0.0, 0.0, -float(floor)]]))
    vertices = vertices - torch.tensor([0.0, 0.0, float(floor)])
    height = float(vertices[0, :, 2].max())
    centre = torch.tensor([0.0, 0.0, height / 2])
    eye = centre + torch.tensor([0.0, -CAMERA_DISTANCE, 0.0])
    focal = FRAMING * size * CAMERA_DISTANCE / height
    camera = look_at(eye[None], centre[None], torch.tensor([0.0, 0.0, 1.0]), focal, (size, size))
    shot = replace(person, params=photo_params, vertices=vertices, cameras=camera)
    photo = unit_to_uint8(engine.render_view(shot, 0)["rgb"])
    return DemoScene(photo, photo_params, camera, motion)


@dataclass(frozen=True)
class ExampleFiles:
    photo: Path  # the built-in person (.png), a source for imitate, swap, view and fit
    motion: Path  # the built-in dance as a motion file (.npz), a reference for imitate
    other: Path  # a second built-in person (.png), whose appearance swap can borrow


def write_example(out: Path, frames: int = 100, size: int = 256, body: BodyModel | None = None) -> ExampleFiles:
    """Write the built-in person's photo (``source.png``), their dance (``dance.npz``, the format of
    ``liquidwarp fit``'s motion files, in the same body world: z up, facing -y) and a second
    person's photo (``other.png``) into the folder ``out`` (created or reused): example inputs for
    the tasks that take files."""
    from liquidwarp.fitting.records import FittedSequence, save_sequence
    from liquidwarp.io.media import write_image

    body = body if body is not None else BodyModel()
    scene = demo_scene(body, frames, size)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = ExampleFiles(out / "source.png", out / "dance.npz", out / "other.png")
    write_image(files.photo, scene.photo)
    write_image(files.other, demo_scene(body, 1, size, seed=DEMO_SEED + 1).photo)
    motion = FittedSequence(scene.motion, scene.camera, np.ones(frames, dtype=bool), (0.0, 0.0, float(size)), DEMO_FPS, "liquidwarp built-in dance")
    save_sequence(files.motion, motion)
    return files


def demo(
    out: Path,
    method: str = "lwg",
    frames: int = 100,
    size: int = 256,
    checkpoint: Path | None = None,
    body: BodyModel | None = None,
    progress: bool = True,
) -> DemoResult:
    """Write the demo into the folder ``out`` (created or reused)."""
    from tqdm import tqdm

    from liquidwarp.io.media import VideoWriter, write_image
    from liquidwarp.rendering.correspondence import correspondence_map, surface_codes
    from liquidwarp.rendering.rasterize import rasterize
    from liquidwarp.tasks.imitate import target_params
    from liquidwarp.io.images import model_to_uint8
    from liquidwarp.scene.views import prepare_source
    from liquidwarp.tasks.methods import build_method

    start = time.perf_counter()
    body = body if body is not None else BodyModel()
    scene = demo_scene(body, frames, size)
    photo, photo_params, camera, motion = scene.photo, scene.params, scene.camera, scene.motion
    source = prepare_source(body, photo, photo_params, camera, (0.0, 0.0, float(size)), size)
    renderer = build_method(method, body, [source], checkpoint=checkpoint)
    targets = target_params(photo_params, motion, in_place=True)
    codes = surface_codes(body.rest_vertices)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_image(out / "source.png", photo)
    video = out / "demo.mp4"
    with VideoWriter(video, DEMO_FPS) as writer:
        for t in tqdm(range(frames), desc=f"demo ({method})", unit="frame", disable=not progress):
            target = targets.index(t)
            frame = renderer.render(target, camera)
            with torch.no_grad():
                frags = rasterize(camera.project(body(target).vertices), body.faces, (size, size))
            body_map = model_to_uint8(correspondence_map(frags, body.faces, codes))
            writer.write(np.concatenate([photo, body_map, frame], axis=1))
    return DemoResult(video, out / "source.png", frames, time.perf_counter() - start)
