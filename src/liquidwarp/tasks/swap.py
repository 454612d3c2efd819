"""Appearance transfer: the reference person (their body, pose and place) dressed in the source's
appearance, or part by part in several people's (head, upper body, lower body).

The body-part labels of the reference's fitted mesh decide which source dresses each pixel: each
source's flow is kept only on the parts it dresses (:func:`liquidwarp.scene.views.restrict_to_parts`),
so the ``warp`` method copies that source's pixels there and ``lwg`` fuses that source's features
there through the Liquid Warping Blocks. Parts no source is named for keep the reference's own
appearance (its first frame). The reference's photo or video is the output (its framing and
aspect ratio): its person is in-painted away and the dressed person pasted in
(:mod:`liquidwarp.tasks.framing`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from liquidwarp.body.model import PART_INDEX, PART_NAMES, BodyModel
from liquidwarp.errors import InputError
from liquidwarp.methods import SWAP_METHODS
from liquidwarp.scene.views import PART_GROUPS
from liquidwarp.tasks.configs import check_generation, check_max_frames, path_or_none, write_config


@dataclass(frozen=True)
class SwapResult:
    frames: int
    seconds: float
    size: tuple[int, int]  # (H, W) of the output


def assignment(donors: dict[str, int]) -> dict[int, int]:
    """Garment group -> source index (``PART_GROUPS`` names) -> body part index -> source index."""
    parts = {}
    for group, source in donors.items():
        if group not in PART_GROUPS:
            raise ValueError(f"unknown part group {group!r}; known: {', '.join(PART_GROUPS)}")
        for name in PART_GROUPS[group]:
            parts[PART_INDEX[name]] = source
    return parts


@dataclass(frozen=True)
class SwapConfig:
    """Every setting of an appearance transfer (``liquidwarp swap``); the reference, the source
    photos and the output are the call's. Paths are text, as the user gave them."""

    method: str = "lwg"  # one of SWAP_METHODS
    size: int = 256  # side of the square the person is generated in (pixels)
    height: int | None = None  # output rows, the width following the reference's aspect ratio (None: its own size)
    max_frames: int | None = None  # use only the first N frames of a video reference (None: all)
    checkpoint: str | None = None  # lwg generator: a bundle or a run's checkpoint.pt (None: the shipped model)
    personalize: int = 0  # lwg: fine-tune on the source photos for this many steps first (0: off)
    background: str | None = None  # an image or video to put the person on (None: the reference's own, the person in-painted away)

    def validate(self) -> SwapConfig:
        """This config when every setting is allowed; ValueError naming the first that is not."""
        check_generation(self, SWAP_METHODS)
        check_max_frames(self.max_frames)
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def swap(
    reference: Path,
    out: Path,
    config: SwapConfig,
    source: Path | None = None,
    head: Path | None = None,
    upper: Path | None = None,
    lower: Path | None = None,
    body: BodyModel | None = None,
    progress: bool = True,
) -> SwapResult:
    """Write ``out``, and beside it its config (``liquidwarp.tasks.configs``): an image for a photo
    reference, an .mp4 for a video reference, at the reference's own size or ``config.height``
    rows with its aspect ratio; ``config.size`` is the side of the square the person is generated
    in. ``source`` dresses every part not given its own photo (``head``, ``upper``, ``lower``)."""
    from tqdm import tqdm

    from liquidwarp.fitting.recover import recover
    from liquidwarp.io.media import VideoWriter, write_image
    from liquidwarp.tasks.framing import VIEW_MARGIN, VideoPlates, frame_hole, output_frame, render_in_frame, resize_to
    from liquidwarp.tasks.methods import build_method
    from liquidwarp.tasks.views import Backgrounds, grow_crop, source_in_own_view

    config.validate()
    size, height, background = config.size, config.height, path_or_none(config.background)
    start = time.perf_counter()
    chosen = {"head": head or source, "upper": upper or source, "lower": lower or source}
    if all(p is None for p in chosen.values()):
        raise InputError("name a source: --source, or one or more of --head, --upper, --lower")
    body = body if body is not None else BodyModel()
    ref = recover(reference, body, max_frames=config.max_frames, require_full_body=False, progress=progress, person_option=None)
    seq = ref.sequence
    frame = output_frame(seq.camera, ref.footage.image_size, height)
    view_side = grow_crop(seq.crop, VIEW_MARGIN)[2] * frame.scale
    # Source 0 is the reference itself (the parts nobody else dresses), then each donor photo once.
    sources = [source_in_own_view(body, ref, size)]
    paths: list[Path] = []
    donors: dict[str, int] = {}
    for group, path in chosen.items():
        if path is None:
            continue
        if path not in paths:
            donor = recover(path, body, progress=progress, person_option=None)
            if donor.footage.is_video:
                raise InputError(f"{path}: a source must be a photo")
            paths.append(path)
            sources.append(source_in_own_view(body, donor, size))
        donors[group] = 1 + paths.index(path)
    parts = dict.fromkeys(range(len(PART_NAMES)), 0)
    parts.update(assignment(donors))
    renderer = build_method(
        config.method, body, sources, checkpoint=path_or_none(config.checkpoint), parts=parts, personalize=config.personalize, progress=progress
    )
    backgrounds = Backgrounds(background, frame.size) if background is not None else None

    def hole(t: int) -> np.ndarray:
        """The person's hole in frame ``t`` at the output size (made when asked for, not kept)."""
        if not seq.found[t]:
            return np.zeros(frame.size, bool)
        obs = ref.observations[t]
        return frame_hole(body, seq.params.index(t), seq.camera, None if obs is None else obs.mask, frame, view_side)

    # A still camera's clip fills the hole from its other frames.
    plates = VideoPlates(ref.footage.frames, _Lazy(seq.frames, hole), size / view_side) if backgrounds is None else None

    def picture(t: int) -> np.ndarray:
        if not seq.found[t]:  # nobody to dress: the frame as it is
            return resize_to(ref.footage.frames[t], frame.size)
        plate = plates(t) if plates is not None else backgrounds(t)
        return render_in_frame(renderer, body, seq.params.index(t), frame, plate, view_side, size)

    out = Path(out)
    if ref.footage.is_video:  # each frame written as it is made
        with VideoWriter(out, seq.fps) as writer:
            for t in tqdm(range(seq.frames), desc="swap", unit="frame", disable=not progress):
                writer.write(picture(t))
    else:
        write_image(out, picture(0))
    write_config(out, "swap", config)
    return SwapResult(seq.frames, time.perf_counter() - start, frame.size)


class _Lazy(Sequence):
    """``count`` items made by ``make(t)`` when indexed (nothing kept)."""

    def __init__(self, count: int, make) -> None:
        self.count, self.make = count, make

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, t):  # type: ignore[override]
        return self.make(int(t))
