"""Novel view synthesis: the person of a photo turned about the scene's vertical axis through their
root (and tilted toward or away from the camera), seen from the photo's camera over the photo's
background.

Turning the body in front of a still camera is the same as moving the camera around a still body,
with the background kept still (bullet time). The body keeps its pose and shape; only the root
rotation and translation change: a world rotation ``Q`` about the point ``c`` maps the root to
``(Q R, Q (t - c) + c)``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from liquidwarp.methods import METHODS
from liquidwarp.tasks.configs import as_tuple, check_generation, check_people, path_or_none, people, write_config
from liquidwarp.tasks.views import camera_up
from liquidwarp.validation import check_finite, check_range


MAX_VIEWS = 3600  # views a run makes at most


def parse_angles(text: str) -> list[float]:
    """``"START:STOP:STEP"`` (degrees, STOP excluded, like ``range``) or one angle -> angles."""
    parts = text.split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"angles must be numbers in degrees, as START:STOP:STEP or one angle, got {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"angles must be finite numbers of degrees, got {text!r}")
    if len(values) == 1:
        return values
    if len(values) != 3:
        raise ValueError(f"angles must be START:STOP:STEP or one angle, got {text!r}")
    start, stop, step = values
    if step == 0 or (stop - start) / step <= 0:
        raise ValueError(f"angles {text!r} give no angle (STEP must go from START toward STOP)")
    count = int(math.ceil((stop - start) / step - 1e-9))
    if count > MAX_VIEWS:
        raise ValueError(f"angles {text!r} give {count} views; at most {MAX_VIEWS}")
    return [start + k * step for k in range(count)]


def turned(params: BodyParams, angle: float, elevation: float = 0.0, camera_rotation: torch.Tensor | None = None) -> BodyParams:
    """``params`` (B = 1) turned by ``angle`` degrees about the scene's vertical through the body's
    root (positive: counter-clockwise seen from above), then tilted by ``elevation`` degrees about
    the camera's horizontal axis through the root (positive: the camera seems to rise and look down
    on the person).

    The vertical is the camera's up direction in world coordinates (:func:`camera_up`), which for an
    upright photo is the opposite of gravity. Not the body's own axis: on real photos the fitted
    pelvis often leans 10-30 degrees while the legs and spine make up for it, and turning about the
    pelvis' axis then swings the whole body off vertical (by twice the lean at 180 degrees). Not the
    body's standing axis (ankles to shoulders) either: it is undefined or misleading when the person
    bends, sits, kicks or jumps, whereas the photo's up is the direction the ground and background
    stay level with. A rotation ``Q`` about the root ``t`` maps ``(R, t)`` to ``(Q R, t)``: the
    model's vertices are ``R v + t`` (``liquidwarp.body.model``), so the root stays in place.

    Args:
        params: the body, B = 1.
        angle: degrees about the vertical.
        elevation: degrees about the camera's x axis.
        camera_rotation: (3, 3) world-to-camera rotation of the camera the body is seen by; None
            means the fitting's default camera (``liquidwarp.fitting.targets.WORLD_TO_CAMERA``,
            world z up).
    """
    assert params.batch_size == 1, params.batch_size
    if camera_rotation is None:
        from liquidwarp.fitting.targets import WORLD_TO_CAMERA

        camera_rotation = WORLD_TO_CAMERA
    camera_rotation = camera_rotation.to(params.root_rotation)
    r = axis_angle_to_matrix(params.root_rotation)[0]
    up = camera_up(camera_rotation)
    q = axis_angle_to_matrix((up * math.radians(angle))[None])[0]
    if elevation:
        horizontal = camera_rotation[0]  # the camera's x axis in world coordinates
        q = axis_angle_to_matrix((horizontal * math.radians(-elevation))[None])[0] @ q
    if angle == 0 and not elevation:
        return params  # exactly unchanged (a rotation by zero still rounds through the matrices)
    root = params.root_translation[0]
    # Rotating about the root keeps it in place: t' = Q (t - t) + t = t.
    return params.replace(root_rotation=matrix_to_axis_angle((q @ r)[None]), root_translation=root[None].clone())


@dataclass(frozen=True)
class ViewResult:
    views: int
    seconds: float
    size: tuple[int, int]  # (H, W) of each view


@dataclass(frozen=True)
class ViewConfig:
    """Every setting of novel view synthesis (``liquidwarp view``); the source photos and the
    output are the call's. Paths and person picks are text, as the user gave them."""

    angles: tuple[float, ...] = tuple(float(a) for a in range(0, 360, 30))  # degrees about the vertical, one view each
    elevation: float = 0.0  # tilt in degrees, -60..60 (positive: seen from higher up)
    method: str = "lwg"  # one of METHODS
    size: int = 256  # side of the square the person is generated in (pixels)
    height: int | None = None  # output rows, the width following the photo's aspect ratio (None: the photo's own size)
    checkpoint: str | None = None  # lwg generator: a bundle or a run's checkpoint.pt (None: the shipped model)
    personalize: int = 0  # lwg: fine-tune on the source photo(s) for this many steps first (0: off)
    background: str | None = None  # an image or video to put the person on (None: the photo's own, the person in-painted away)
    source_people: tuple[str, ...] | None = None  # "X,Y" in each source photo, one per source, in order (None: chosen automatically)
    fps: float = 12.0  # frame rate of a video output (views per second)

    def __post_init__(self) -> None:
        as_tuple(self, "angles", "source_people")

    def validate(self) -> ViewConfig:
        """This config when every setting is allowed; ValueError naming the first that is not."""
        check_generation(self, METHODS)
        if not isinstance(self.angles, tuple) or not 1 <= len(self.angles) <= MAX_VIEWS:
            raise ValueError(f"angles must be a list of 1 to {MAX_VIEWS} angles in degrees, got {self.angles!r}")
        for angle in self.angles:
            check_finite(angle, "angles")
        check_range(self.elevation, "elevation", -60, 60, "degrees")
        check_range(self.fps, "fps", low=0.1)
        check_people(self.source_people, "source_people")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def novel_views(sources: list[Path], out: Path, config: ViewConfig, body: BodyModel | None = None, progress: bool = True) -> ViewResult:
    """Write ``out``, and beside it its config (``liquidwarp.tasks.configs``): one angle as an image
    (.png/.jpg), several as a video (.mp4) or a grid image (.png/.jpg, one row of up to 6 views per
    row). Each view is the photo (its framing and aspect ratio, ``config.height`` rows, default its
    own size) with the turned person pasted in; ``config.size`` is the side of the square the
    person is generated in. ``config.source_people``: the person to use in each source photo (one
    per source, in order; None: chosen automatically)."""
    from tqdm import tqdm

    from liquidwarp.fitting.recover import recover_sources
    from liquidwarp.io.media import VideoWriter, write_image
    from liquidwarp.tasks.framing import render_in_frame
    from liquidwarp.tasks.methods import build_method
    from liquidwarp.tasks.views import Backgrounds, source_frame, source_in_own_view

    config.validate()
    size, height, background = config.size, config.height, path_or_none(config.background)
    start = time.perf_counter()
    body = body if body is not None else BodyModel()
    recoveries = recover_sources(sources, body, people(config.source_people), progress)
    for path, recovery in zip(sources, recoveries):
        if recovery.footage.is_video:
            raise InputError(f"{path}: a photo is needed, not a video")
    prepared = [source_in_own_view(body, r, size) for r in recoveries]
    first = prepared[0]
    picture = source_frame(body, recoveries[0], size, height, keep_person=background is not None)
    renderer = build_method(config.method, body, prepared, checkpoint=path_or_none(config.checkpoint), personalize=config.personalize, progress=progress)
    backgrounds = Backgrounds(background, picture.frame.size) if background is not None else None
    frames = []
    for k, angle in enumerate(tqdm(config.angles, desc="view", unit="view", disable=not progress)):
        target = turned(first.params, angle, config.elevation, first.camera.rotation[0])
        plate = picture.plate if backgrounds is None else backgrounds(k)
        frames.append(render_in_frame(renderer, body, target, picture.frame, plate, picture.view_side, size))
    out = Path(out)
    if out.suffix.lower() == ".mp4":
        with VideoWriter(out, config.fps) as writer:
            for frame in frames:
                writer.write(frame)
    else:
        write_image(out, frames[0] if len(frames) == 1 else grid(frames))
    write_config(out, "view", config)
    return ViewResult(len(frames), time.perf_counter() - start, picture.frame.size)


def grid(frames: list[np.ndarray], columns: int = 6) -> np.ndarray:
    """Frames (H, W, 3) in rows of ``columns`` (the last row padded with black)."""
    columns = min(columns, len(frames))
    rows = -(-len(frames) // columns)
    blank = np.zeros_like(frames[0])
    cells = frames + [blank] * (rows * columns - len(frames))
    return np.concatenate([np.concatenate(cells[r * columns : (r + 1) * columns], axis=1) for r in range(rows)], axis=0)
