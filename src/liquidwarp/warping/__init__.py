"""Transfer flow (target pixel -> source pixel, with visibility) and warping."""

from liquidwarp.warping.flow import DEPTH_TOLERANCE, WarpField, merge_sources, transfer_flow, warp

__all__ = ["DEPTH_TOLERANCE", "WarpField", "merge_sources", "transfer_flow", "warp"]
