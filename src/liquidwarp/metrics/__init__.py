"""Metrics: pure functions over image batches or feature sets, and a registry that says what each
one is and whether it can be computed on this machine.

The names below are imported on first use (PEP 562), so that ``liquidwarp.metrics.protocols``,
which the command line reads for its ``--protocol`` choices, does not bring torch in.
"""

import importlib

_HOMES = {
    "frechet_distance": "frechet",
    "psnr": "image",
    "ssim": "image",
    **dict.fromkeys(
        (
            "KINDS",
            "METRICS",
            "Metric",
            "extract_features",
            "face_identity_dlib",
            "fid_inception_pool3",
            "frechet_distance_of_features",
            "is_pool3_softmax",
            "lpips_alex_v01",
            "metric_status",
            "person_frechet_mobilenetv2",
            "softmax_pool3_score",
            "vgg19_perceptual",
        ),
        "registry",
    ),
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
