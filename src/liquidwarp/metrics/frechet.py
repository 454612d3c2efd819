"""The Fréchet distance between two Gaussians fitted to feature sets (Heusel et al. 2017, "FID")."""

from __future__ import annotations

import numpy as np
from scipy import linalg


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`` for (N, D) and (M, D) feature sets,
    ``S`` the unbiased covariance. The matrix square root is scipy's ``sqrtm``; a tiny imaginary
    part from round-off is dropped, and a singular product is regularised by adding 1e-6 to the
    diagonals (as the reference FID code does)."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (N, D) and (M, D), got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each feature set needs at least 2 samples")
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(s_a @ s_b)
    if not np.isfinite(root).all():
        eps = np.eye(a.shape[1]) * 1e-6
        root = linalg.sqrtm((s_a + eps) @ (s_b + eps))
    root = np.real(root)
    diff = mu_a - mu_b
    return float(diff @ diff + np.trace(s_a) + np.trace(s_b) - 2.0 * np.trace(root))
