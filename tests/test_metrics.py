import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from liquidwarp.metrics import frechet_distance, psnr, ssim


def pair(seed=0, shape=(2, 3, 40, 56)):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(shape, generator=g)
    b = (a + 0.1 * torch.randn(shape, generator=g)).clamp(0, 1)
    return a, b


def test_psnr_agrees_with_scikit_image():
    a, b = pair()
    ours = psnr(a, b)
    for i in range(2):
        ref = peak_signal_noise_ratio(a[i].numpy().astype(np.float64), b[i].numpy().astype(np.float64), data_range=1.0)
        assert abs(float(ours[i]) - ref) < 1e-4


def test_ssim_agrees_with_scikit_image():
    a, b = pair(1)
    b[1] = a[1] * 0.9 + 0.05  # a contrast change keeps the structure
    ours = ssim(a, b)
    for i in range(2):
        ref = structural_similarity(
            a[i].permute(1, 2, 0).numpy().astype(np.float64), b[i].permute(1, 2, 0).numpy().astype(np.float64),
            channel_axis=-1, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0,
        )  # fmt: skip
        assert abs(float(ours[i]) - ref) < 1e-4
    assert float(ours[1]) > float(ours[0])


def test_identical_images_have_ssim_one_and_infinite_psnr():
    a, _ = pair()
    assert torch.allclose(ssim(a, a), torch.ones(2))
    assert torch.isinf(psnr(a, a)).all()
    with pytest.raises(ValueError):
        ssim(a, a[:, :2])


def test_frechet_distance_agrees_with_an_independent_computation():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 8)) @ rng.normal(size=(8, 8))
    b = rng.normal(loc=0.5, size=(250, 8)) @ rng.normal(size=(8, 8))
    # Independent: Tr((S_a S_b)^(1/2)) from the symmetric form S_a^(1/2) S_b S_a^(1/2) via eigh.
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    half = v @ np.diag(np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(half @ s_b @ half)
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(s_a) + np.trace(s_b) - 2 * np.sum(np.sqrt(np.clip(inner, 0, None)))
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError):
        frechet_distance(a, b[:, :4])
