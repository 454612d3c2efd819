"""One factory for the methods of :data:`liquidwarp.methods.METHODS`, bound to their sources."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.geometry.cameras import Camera
from liquidwarp.methods import METHODS, SWAP_METHODS
from liquidwarp.scene.views import PreparedSource


class Renderer(Protocol):
    """A method bound to its sources."""

    def render(self, target: BodyParams, camera: Camera, background: torch.Tensor | None = None) -> np.ndarray:
        """One frame (S, S, 3) uint8 of the source person in the ``target`` body (B = 1), seen by
        ``camera`` (B = 1, image size S x S), over ``background`` ((1, 3, S, S) in [0, 1]; default:
        the first source's view with the person in-painted away)."""
        ...


def make_renderer(name: str, body: BodyModel, sources: list[PreparedSource], generator=None, parts: dict[int, int] | None = None, options=None) -> Renderer:
    """The method ``name`` bound to ``sources`` (the first one gives the background and, for the
    single-source methods, the appearance). ``generator`` is the ``lwg`` method's network (loaded
    and, if wanted, personalised by the caller) and ``options`` its
    :class:`~liquidwarp.methods.lwg.LwgOptions`; ``parts`` (body part index -> source index;
    ``lwg`` and ``warp`` only) dresses each part from its source."""
    from liquidwarp.methods.classic import Affine2DRenderer, CopyRenderer, WarpRenderer, inpainted_background

    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; available: {', '.join(METHODS)}")
    if parts is not None and name not in SWAP_METHODS:
        raise ValueError(f"part-by-part transfer needs the lwg or warp method, not {name!r}")
    if not sources:
        raise ValueError("a method needs at least one source")
    if name == "copy":
        return CopyRenderer(sources)
    if name == "lwg":
        from liquidwarp.methods.lwg import LiquidWarpingRenderer, LwgOptions

        if generator is None:
            raise ValueError("the lwg method needs a generator")
        options = options if options is not None else LwgOptions()
        # The background: the classical in-painting, as the other methods. Measured on held-out
        # synthetic self-imitation with the first shipped model (400 CPU steps), its G_BG in-painted
        # worse than Telea (mean error 2.40 vs 1.59 on the background; not re-measured for the
        # current model); ``LwgOptions(generated_background=True)`` uses G_BG.
        background = None if options.generated_background else inpainted_background(sources[0])
        return LiquidWarpingRenderer(body, sources, generator, background=background, parts=parts, options=options)
    background = inpainted_background(sources[0])
    if name == "affine2d":
        return Affine2DRenderer(body, sources, background)
    return WarpRenderer(body, sources, background, parts)
