"""Appearance transfer: the reference person (their body, pose and place) dressed in the source's
appearance, or part by part in several people's (head, upper body, lower body).

The body-part labels of the reference's fitted mesh decide which source dresses each pixel: each
source's flow is kept only on the parts it dresses (:func:`liquidwarp.tasks.methods.restrict_to_parts`),
so the ``warp`` method copies that source's pixels there and ``lwg`` fuses that source's features
there through the Liquid Warping Blocks. Parts no source is named for keep the reference's own
appearance (its first frame). The reference's background is kept, the person in-painted away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from liquidwarp.body.model import PART_INDEX, PART_NAMES, BodyModel
from liquidwarp.errors import InputError
from liquidwarp.tasks.methods import PART_GROUPS


@dataclass(frozen=True)
class SwapResult:
    frames: int
    seconds: float


def assignment(donors: dict[str, int]) -> dict[int, int]:
    """Garment group -> source index (``PART_GROUPS`` names) -> body part index -> source index."""
    parts = {}
    for group, source in donors.items():
        if group not in PART_GROUPS:
            raise ValueError(f"unknown part group {group!r}; known: {', '.join(PART_GROUPS)}")
        for name in PART_GROUPS[group]:
            parts[PART_INDEX[name]] = source
    return parts


def swap(
    reference: Path,
    out: Path,
    source: Path | None = None,
    head: Path | None = None,
    upper: Path | None = None,
    lower: Path | None = None,
    method: str = "lwg",
    size: int = 256,
    max_frames: int | None = None,
    checkpoint: Path | None = None,
    body: BodyModel | None = None,
    progress: bool = True,
    personalize: int = 0,
    background: Path | None = None,
) -> SwapResult:
    """Write ``out``: an image for a photo reference, an .mp4 for a video reference."""
    from tqdm import tqdm

    from liquidwarp.io.media import VideoWriter, write_image
    from liquidwarp.tasks.imitate import source_in_own_view
    from liquidwarp.tasks.methods import build_method, inpainted_background, prepare_source, to_uint8
    from liquidwarp.tasks.recover import recover
    from liquidwarp.tasks.views import VIEW_MARGIN, Backgrounds, crop_camera, grow_crop

    start = time.perf_counter()
    chosen = {"head": head or source, "upper": upper or source, "lower": lower or source}
    if all(p is None for p in chosen.values()):
        raise InputError("name a source: --source, or one or more of --head, --upper, --lower")
    body = body if body is not None else BodyModel()
    ref = recover(reference, body, max_frames=max_frames, require_full_body=False, progress=progress, person_option=None)
    seq = ref.sequence
    view = grow_crop(seq.crop, VIEW_MARGIN)
    camera = crop_camera(seq.camera, view, size)
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
    renderer = build_method(method, body, sources, checkpoint=checkpoint, parts=parts, personalize=personalize, progress=progress)
    backgrounds = Backgrounds(background, size) if background is not None else None

    frames = range(seq.frames)
    images = []
    for t in tqdm(frames, desc="swap", unit="frame", disable=not progress or not ref.footage.is_video):
        here = prepare_source(body, ref.footage.frames[t], seq.params.index(t), seq.camera, view, size)
        if not seq.found[t]:  # nobody to dress: the frame as it is
            images.append(to_uint8(here.image))
            continue
        behind = inpainted_background(here) if backgrounds is None else backgrounds(t)
        images.append(renderer.render(seq.params.index(t), camera, behind))
    out = Path(out)
    if ref.footage.is_video:
        with VideoWriter(out, seq.fps) as writer:
            for image in images:
                writer.write(image)
    else:
        write_image(out, images[0])
    return SwapResult(len(images), time.perf_counter() - start)
