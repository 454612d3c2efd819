"""``liquidwarp personalize``: a personal model for the person of some photos (see
:mod:`liquidwarp.training.personalize`), saved as a bundle for ``--checkpoint``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from liquidwarp.body.model import BodyModel

if TYPE_CHECKING:
    from liquidwarp.fitting.recover import PersonPick


def personal_model(
    sources: list[Path], out: Path, steps: int, checkpoint: Path | None = None, size: int = 256, progress: bool = True,
    source_people: "list[PersonPick] | None" = None,
) -> float:
    """Fine-tune the model (``checkpoint`` or the shipped one) on ``sources`` and write ``out``;
    returns the seconds the fine-tuning took. ``source_people``: the person to use in each photo
    (one per source, in order; None: chosen automatically)."""
    from liquidwarp.errors import InputError
    from liquidwarp.fitting.recover import recover_sources
    from liquidwarp.tasks.methods import load_lwg_generator
    from liquidwarp.tasks.views import source_in_own_view
    from liquidwarp.training.checkpoint import save_bundle
    from liquidwarp.training.personalize import PersonalizeConfig, personalize

    body = BodyModel()
    recoveries = recover_sources(sources, body, source_people, progress)
    for path, recovery in zip(sources, recoveries):
        if recovery.footage.is_video:
            raise InputError(f"{path}: a photo is needed, not a video")
    prepared = [source_in_own_view(body, r, size) for r in recoveries]
    generator, provenance = load_lwg_generator(None if checkpoint is None else str(checkpoint))
    tuned, seconds = personalize(generator, body, prepared, PersonalizeConfig(steps=steps), progress=progress)
    record = {"personalized": {"sources": [str(Path(p).name) for p in sources], "steps": steps, "size": size}, "from": provenance}
    save_bundle(out, tuned, tuned.config, record)
    return seconds
