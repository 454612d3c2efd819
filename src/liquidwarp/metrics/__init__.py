"""Metrics: pure functions over image batches or feature sets, and a registry that says what each
one is and whether it can be computed on this machine."""

from liquidwarp.metrics.frechet import frechet_distance
from liquidwarp.metrics.image import psnr, ssim

__all__ = ["frechet_distance", "psnr", "ssim"]
