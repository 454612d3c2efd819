"""Motion imitation: the source person performs the reference's motion.

For every reference frame the target body has the reference's joint rotations, the source's shape,
and the source's placement with the reference's motion since its first frame added (rotation and
translation; turning only with ``in_place``), its feet kept on the source's ground
(:func:`grounded`). It is generated in a square view around the target
body by one of the methods of :mod:`liquidwarp.methods` and pasted into the first source's
photo, whose framing and aspect ratio the output keeps (:mod:`liquidwarp.tasks.framing`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.fitting.records import FittedSequence, load_sequence
from liquidwarp.fitting.recover import PersonPick, Recovery, recover, recover_sources
from liquidwarp.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from liquidwarp.methods import METHODS
from liquidwarp.tasks.configs import as_tuple, check_generation, check_max_frames, check_people, path_or_none, people, write_config
from liquidwarp.tasks.framing import render_in_frame
from liquidwarp.tasks.methods import build_method
from liquidwarp.tasks.views import Backgrounds, camera_up, source_frame, source_in_own_view, to_height
from liquidwarp.validation import check_device_name, check_flag


def target_params(source: BodyParams, reference: BodyParams, in_place: bool = False) -> BodyParams:
    """Reference pose, source shape and offsets; source placement plus the reference's motion since its frame 0
    (turning only, when ``in_place``: the person stays where the source stands)."""
    r_src = axis_angle_to_matrix(source.root_rotation)  # (1, 3, 3)
    r_ref = axis_angle_to_matrix(reference.root_rotation)  # (T, 3, 3)
    delta = r_ref @ r_ref[:1].transpose(1, 2)  # rotation since the first frame, world axes
    root = matrix_to_axis_angle(delta @ r_src)
    moved = reference.root_translation - reference.root_translation[:1]
    translation = source.root_translation + (torch.zeros_like(moved) if in_place else moved)
    return BodyParams(root, translation, reference.joint_rotations, reference.shape).with_person(source)


CONTACT_LIFT = 0.12  # metres: the reference's lowest point this close to its ground counts as standing on it


def _lowest(body: BodyModel, params: BodyParams, up: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """(B,) the height along ``up`` of each body's lowest vertex."""
    with torch.no_grad():
        return torch.cat([(body(params.index(slice(i, i + chunk))).vertices @ up).amin(-1) for i in range(0, params.batch_size, chunk)])


def grounded(body: BodyModel, source: BodyParams, reference: BodyParams, targets: BodyParams, up: torch.Tensor) -> BodyParams:
    """``targets`` moved along ``up`` (the scene's vertical, (3,)) so that the source stands on its
    own ground in every frame: each target's lowest point is put where the source's (B = 1) is,
    plus the reference's lift off its ground (its lowest point over the clip) where that lift is
    more than ``CONTACT_LIFT`` (a jump is kept). Fitted references drift up and down by some
    centimetres; without this the imitated person floats or sinks."""
    ground = _lowest(body, source, up)[0]
    reference_low = _lowest(body, reference, up)
    lift = reference_low - reference_low.min()
    lift = torch.where(lift > CONTACT_LIFT, lift, torch.zeros_like(lift))
    shift = ground + lift - _lowest(body, targets, up)  # (T,)
    return targets.replace(root_translation=targets.root_translation + shift[:, None] * up.to(shift.dtype))


def load_reference(
    path: Path, body: BodyModel, max_frames: int | None, progress: bool, person: PersonPick | None = None
) -> tuple[FittedSequence, Recovery | None]:
    """A reference video (perceived and fitted, cached) or a motion file saved by ``liquidwarp fit``."""
    if Path(path).suffix.lower() == ".npz":
        if not Path(path).is_file():
            raise InputError(f"{path}: no such file")
        seq = load_sequence(Path(path), body.num_vertices)
        if max_frames is not None and seq.frames > max_frames:
            seq = FittedSequence(seq.params.index(slice(0, max_frames)), seq.camera, seq.found[:max_frames], seq.crop, seq.fps, seq.source)
        return seq, None
    recovery = recover(
        path, body, max_frames=max_frames, require_full_body=False, progress=progress, person=person, person_option="--reference-person"
    )
    if not recovery.footage.is_video:
        raise InputError(f"{path}: the reference must be a video or a motion file (.npz from `liquidwarp fit`)")
    return recovery.sequence, recovery


@dataclass(frozen=True)
class ImitationResult:
    frames: int
    fps: float
    seconds: float
    size: tuple[int, int]  # (H, W) of the output video


@dataclass(frozen=True)
class ImitateConfig:
    """Every setting of an imitation (``liquidwarp imitate``); the sources, reference and output
    are the call's. Paths and person picks are text, as the user gave them."""

    method: str = "lwg"  # one of METHODS
    size: int = 256  # side of the square the person is generated in (pixels)
    height: int | None = None  # output rows, the width following the photo's aspect ratio (None: the photo's own size)
    side_by_side: bool = False  # source, reference and result next to each other
    max_frames: int | None = None  # use only the first N reference frames (None: all)
    in_place: bool = False  # keep the person where the source stands (the reference's pose and turning, not its travel)
    checkpoint: str | None = None  # lwg generator: a bundle or a run's checkpoint.pt (None: the shipped model)
    device: str = "cpu"  # where lwg runs: cpu, cuda, cuda:1, ...
    personalize: int = 0  # lwg: fine-tune on the source photo(s) for this many steps first (0: off)
    background: str | None = None  # an image or video to put the person on (None: the source's own, the person in-painted away)
    reference_person: str | None = None  # "[FRAME:]X,Y": the person at this pixel of the reference (None: chosen automatically)
    source_people: tuple[str, ...] | None = None  # "X,Y" in each source photo, one per source, in order (None: chosen automatically)

    def __post_init__(self) -> None:
        as_tuple(self, "source_people")

    def validate(self) -> ImitateConfig:
        """This config when every setting is allowed; ValueError naming the first that is not."""
        check_generation(self, METHODS)
        check_max_frames(self.max_frames)
        check_flag(self.side_by_side, "side_by_side")
        check_flag(self.in_place, "in_place")
        check_device_name(self.device, "device")
        check_people(None if self.reference_person is None else (self.reference_person,), "reference_person")
        check_people(self.source_people, "source_people")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def imitate(
    sources: list[Path],
    reference: Path,
    out: Path,
    config: ImitateConfig,
    body: BodyModel | None = None,
    progress: bool = True,
) -> ImitationResult:
    """Write ``out`` (.mp4), and beside it its config (``liquidwarp.tasks.configs``): the first
    source's person performing the reference's motion, in the first source's photo (its framing
    and aspect ratio; ``config.height`` rows, default the photo's own) with the person in-painted
    away, or over ``config.background`` (an image, or a video played along, scaled to cover the
    output). ``config.source_people``: the person to use in each source photo (one per source, in
    order; None: chosen automatically); ``config.reference_person`` likewise in the reference."""
    import time

    from tqdm import tqdm

    from liquidwarp.io.media import VideoWriter

    config.validate()
    size, height, background = config.size, config.height, path_or_none(config.background)
    start = time.perf_counter()
    from liquidwarp.io import media

    motion_file = Path(reference).suffix.lower() == ".npz"
    if not (motion_file or Path(reference).is_dir() or media.is_video_path(reference)):
        # Said before the sources are perceived and fitted, so that it is all the run says.
        raise InputError(f"{reference}: the reference must be a video or a motion file (.npz from `liquidwarp fit`)")
    body = body if body is not None else BodyModel()
    reference_person = None if config.reference_person is None else PersonPick.parse(config.reference_person)
    # A motion file is read (and checked against the body model) before the sources are fitted,
    # so that a bad one is refused at once; a video is perceived after them, as before.
    motion = load_reference(reference, body, config.max_frames, progress) if motion_file else None
    recoveries = recover_sources(sources, body, people(config.source_people), progress)
    ref_seq, ref_recovery = motion if motion is not None else load_reference(reference, body, config.max_frames, progress, reference_person)
    # Each source is seen in (a crop of) its own photo; the output is the first source's photo.
    prepared = [source_in_own_view(body, r, size) for r in recoveries]
    first = prepared[0]
    picture = source_frame(body, recoveries[0], size, height, keep_person=background is not None)
    renderer = build_method(
        config.method, body, prepared, checkpoint=path_or_none(config.checkpoint), device=config.device, personalize=config.personalize, progress=progress
    )
    backgrounds = Backgrounds(background, picture.frame.size) if background is not None else None
    targets = target_params(first.params, ref_seq.params, config.in_place)
    targets = grounded(body, first.params, ref_seq.params, targets, camera_up(first.camera.rotation[0]))
    audio = reference if ref_recovery is not None else None

    n = targets.batch_size
    with VideoWriter(out, ref_seq.fps, audio_from=audio) as writer:
        for t in tqdm(range(n), desc="imitate", unit="frame", disable=not progress):
            plate = picture.plate if backgrounds is None else backgrounds(t)
            frame = render_in_frame(renderer, body, targets.index(t), picture.frame, plate, picture.view_side, size)
            if config.side_by_side:
                panels = [picture.photo]
                if ref_recovery is not None:
                    panels.append(to_height(ref_recovery.footage.frames[t], frame.shape[0]))
                panels.append(frame)
                frame = np.concatenate(panels, axis=1)
            writer.write(frame)
    write_config(out, "imitate", config)
    seconds = time.perf_counter() - start
    return ImitationResult(n, n / seconds, seconds, picture.frame.size)
