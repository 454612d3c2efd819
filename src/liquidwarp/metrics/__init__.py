"""Metrics: pure functions over image batches or feature sets, and a registry that says what each
one is and whether it can be computed on this machine."""

from liquidwarp.metrics.frechet import frechet_distance
from liquidwarp.metrics.image import psnr, ssim
from liquidwarp.metrics.registry import (
    KINDS,
    METRICS,
    Metric,
    extract_features,
    face_identity_dlib,
    fid_inception_pool3,
    frechet_distance_of_features,
    is_pool3_softmax,
    lpips_alex_v01,
    metric_status,
    person_frechet_mobilenetv2,
    softmax_pool3_score,
    vgg19_perceptual,
)

__all__ = [
    "KINDS",
    "METRICS",
    "Metric",
    "extract_features",
    "face_identity_dlib",
    "fid_inception_pool3",
    "frechet_distance",
    "frechet_distance_of_features",
    "is_pool3_softmax",
    "lpips_alex_v01",
    "metric_status",
    "person_frechet_mobilenetv2",
    "psnr",
    "softmax_pool3_score",
    "ssim",
    "vgg19_perceptual",
]
