"""Moving photo pixels onto bodies: the transfer flow (target pixel -> source pixel, with
visibility) and warping (:mod:`.flow`); the fills of what no source sees (:mod:`.fill`) and
compositing (:mod:`.composite`); texture baking and completion (:mod:`.bake`,
:mod:`.completion`); in-painting the person's hole (:mod:`.inpaint`)."""

from liquidwarp.warping.flow import DEPTH_TOLERANCE, WarpField, merge_sources, transfer_flow, warp

__all__ = ["DEPTH_TOLERANCE", "WarpField", "merge_sources", "transfer_flow", "warp"]
