"""Motion imitation: the source person performs the reference's motion.

For every reference frame the target body has the reference's joint rotations, the source's shape,
and the source's placement with the reference's motion since its first frame added (rotation and
translation; turning only with ``in_place``). It is rendered in the source's view (a square crop
around the source person) by one of the methods of :mod:`liquidwarp.tasks.methods`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.fitting.records import FittedSequence, load_sequence
from liquidwarp.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from liquidwarp.tasks.methods import METHODS, PreparedSource, build_method, prepare_source, to_uint8
from liquidwarp.tasks.recover import PersonPick, Recovery, recover, recover_sources
from liquidwarp.tasks.views import VIEW_MARGIN, Backgrounds, grow_crop, letterbox


def target_params(source: BodyParams, reference: BodyParams, in_place: bool = False) -> BodyParams:
    """Reference pose, source shape; source placement plus the reference's motion since its frame 0
    (turning only, when ``in_place``: the person stays where the source stands)."""
    t = reference.batch_size
    r_src = axis_angle_to_matrix(source.root_rotation)  # (1, 3, 3)
    r_ref = axis_angle_to_matrix(reference.root_rotation)  # (T, 3, 3)
    delta = r_ref @ r_ref[:1].transpose(1, 2)  # rotation since the first frame, world axes
    root = matrix_to_axis_angle(delta @ r_src)
    moved = reference.root_translation - reference.root_translation[:1]
    translation = source.root_translation + (torch.zeros_like(moved) if in_place else moved)
    return BodyParams(root, translation, reference.joint_rotations, source.shape.expand(t, -1))


def load_reference(
    path: Path, body: BodyModel, max_frames: int | None, progress: bool, person: PersonPick | None = None
) -> tuple[FittedSequence, Recovery | None]:
    """A reference video (perceived and fitted, cached) or a motion file saved by ``liquidwarp fit``."""
    if Path(path).suffix.lower() == ".npz":
        if not Path(path).is_file():
            raise InputError(f"{path}: no such file")
        seq = load_sequence(Path(path))
        if max_frames is not None and seq.frames > max_frames:
            seq = FittedSequence(seq.params.index(slice(0, max_frames)), seq.camera, seq.found[:max_frames], seq.crop, seq.fps, seq.source)
        return seq, None
    recovery = recover(
        path, body, max_frames=max_frames, require_full_body=False, progress=progress, person=person, person_option="--reference-person"
    )
    if not recovery.footage.is_video:
        raise InputError(f"{path}: the reference must be a video or a motion file (.npz from `liquidwarp fit`)")
    return recovery.sequence, recovery


def source_in_own_view(body: BodyModel, recovery: Recovery, size: int) -> PreparedSource:
    """A source photo's first fitted frame, seen in a square around its person."""
    seq = recovery.sequence
    frame = int(np.nonzero(seq.found)[0][0])
    view = grow_crop(seq.crop, VIEW_MARGIN)
    return prepare_source(body, recovery.footage.frames[frame], seq.params.index(frame), seq.camera, view, size)


@dataclass(frozen=True)
class ImitationResult:
    frames: int
    fps: float
    seconds: float


def imitate(
    sources: list[Path],
    reference: Path,
    out: Path,
    body: BodyModel | None = None,
    size: int = 256,
    side_by_side: bool = False,
    max_frames: int | None = None,
    method: str = "lwg",
    progress: bool = True,
    reference_person: PersonPick | None = None,
    in_place: bool = False,
    checkpoint: Path | None = None,
    device: str = "cpu",
    background: Path | None = None,
    personalize: int = 0,
    source_people: list[PersonPick] | None = None,
) -> ImitationResult:
    """Write ``out`` (.mp4): the first source's person performing the reference's motion, over the
    first source's background (the person in-painted away) or over ``background`` (an image, or a
    video played along). ``source_people``: the person to use in each source photo (one per
    source, in order; None: chosen automatically); ``reference_person`` likewise in the reference."""
    import time

    from tqdm import tqdm

    from liquidwarp.io.media import VideoWriter

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; available: {', '.join(METHODS)}")
    start = time.perf_counter()
    from liquidwarp.io import media

    if not (Path(reference).suffix.lower() == ".npz" or Path(reference).is_dir() or media.is_video_path(reference)):
        # Said before the sources are perceived and fitted, so that it is all the run says.
        raise InputError(f"{reference}: the reference must be a video or a motion file (.npz from `liquidwarp fit`)")
    body = body if body is not None else BodyModel()
    recoveries = recover_sources(sources, body, source_people, progress)
    ref_seq, ref_recovery = load_reference(reference, body, max_frames, progress, reference_person)
    # Each source is seen in (a crop of) its own photo; the output is in the first source's view.
    prepared = [source_in_own_view(body, r, size) for r in recoveries]
    first = prepared[0]
    renderer = build_method(method, body, prepared, checkpoint=checkpoint, device=device, personalize=personalize, progress=progress)
    backgrounds = Backgrounds(background, size) if background is not None else None
    targets = target_params(first.params, ref_seq.params, in_place)
    audio = reference if ref_recovery is not None else None

    n = targets.batch_size
    with VideoWriter(out, ref_seq.fps, audio_from=audio) as writer:
        for t in tqdm(range(n), desc="imitate", unit="frame", disable=not progress):
            frame = renderer.render(targets.index(t), first.camera, None if backgrounds is None else backgrounds(t))
            if side_by_side:
                panels = [to_uint8(first.image)]
                if ref_recovery is not None:
                    panels.append(letterbox(ref_recovery.footage.frames[t], size))
                panels.append(frame)
                frame = np.concatenate(panels, axis=1)
            writer.write(frame)
    seconds = time.perf_counter() - start
    return ImitationResult(n, n / seconds, seconds)
