"""A method as the tasks use it: the ``lwg`` method's generator loaded from a checkpoint (the
shipped model by default) and, if asked, personalised on the sources, then bound by
:func:`liquidwarp.methods.build.make_renderer`. The methods themselves are in
:mod:`liquidwarp.methods`."""

from __future__ import annotations

import functools
from pathlib import Path

from liquidwarp.body.model import BodyModel
from liquidwarp.scene.views import PreparedSource


@functools.lru_cache(maxsize=2)
def load_lwg_generator(checkpoint: str | None, device: str = "cpu"):
    """(generator, description) from ``checkpoint`` (a bundle or a training checkpoint), or the
    shipped model (:data:`liquidwarp.models.DEFAULT_GENERATOR`) for None; loaded once per path
    and device."""
    from liquidwarp.errors import InputError
    from liquidwarp.models import DEFAULT_GENERATOR
    from liquidwarp.training.checkpoint import load_generator

    path = Path(checkpoint) if checkpoint is not None else DEFAULT_GENERATOR
    if not path.is_file():
        what = "the shipped model is missing from the installation" if checkpoint is None else "no such file"
        raise InputError(f"{path}: {what}")
    try:
        return load_generator(path, device)
    except (ValueError, RuntimeError, KeyError) as error:
        raise InputError(f"{path}: not a liquidwarp generator ({error})") from error


def build_method(
    name: str,
    body: BodyModel,
    sources: list[PreparedSource],
    checkpoint: str | Path | None = None,
    device: str = "cpu",
    parts: dict[int, int] | None = None,
    personalize=0,
    progress: bool = True,
    options=None,
):
    """The method ``name`` (one of :data:`liquidwarp.methods.METHODS`) bound to ``sources``. ``checkpoint`` and ``device``
    are the ``lwg`` method's (default: the shipped model, on the CPU); ``personalize`` (a number
    of steps > 0, or a :class:`~liquidwarp.training.personalize.PersonalizeConfig`) fine-tunes a
    copy of that generator on the sources first; ``options`` are its
    :class:`~liquidwarp.methods.lwg.LwgOptions`. ``parts`` as
    :func:`~liquidwarp.methods.build.make_renderer`."""
    from liquidwarp.methods.build import make_renderer

    if personalize and name != "lwg":
        raise ValueError(f"personalisation needs the lwg method, not {name!r}")
    generator = None
    if name == "lwg":
        generator, _ = load_lwg_generator(None if checkpoint is None else str(checkpoint), device)
        if personalize:
            from liquidwarp.training.personalize import PersonalizeConfig
            from liquidwarp.training.personalize import personalize as tune

            config = personalize if isinstance(personalize, PersonalizeConfig) else PersonalizeConfig(steps=int(personalize))
            generator, _ = tune(generator, body, sources, config, progress=progress)
    return make_renderer(name, body, sources, generator=generator, parts=parts, options=options)
