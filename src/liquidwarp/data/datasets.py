"""Datasets of training pairs from ``liquidwarp synth`` folders (real footage prepared by
``liquidwarp prepare``: :class:`liquidwarp.data.prepared.RealPairs`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.data.augment import augment
from liquidwarp.data.pairs import TrainingPair, make_pair
from liquidwarp.rendering.correspondence import surface_codes


def resize_view(image: np.ndarray, camera, size: int | None):
    """(image, camera) resampled to ``size`` x ``size`` (area filter); unchanged for None or the
    image's own size. Pixel centres sit at i + 0.5 for both the image and the camera."""
    if size is None or image.shape[0] == size:
        return image, camera
    import cv2

    s = size / image.shape[0]
    image = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    return image, type(camera)(camera.focal * s, camera.principal * s, camera.rotation, camera.translation, (size, size))


class SyntheticPairs(torch.utils.data.Dataset):
    """Pairs from a dataset written by ``liquidwarp synth``: item k is a deterministic function of
    (``seed``, k): a subject, a source (camera, frame) and a target (camera, frame) of it; the
    target camera differs from the source's with probability ``novel_view``. ``size`` resamples
    the frames (None: the dataset's own); ``augmentation`` (an
    :class:`~liquidwarp.data.augment.Augmentation`, None for none) changes colours, blur, noise
    and backgrounds."""

    def __init__(
        self,
        root: str | Path,
        body: BodyModel,
        length: int,
        seed: int = 0,
        novel_view: float = 0.3,
        size: int | None = None,
        augmentation=None,
        guess: bool = True,
    ) -> None:
        from liquidwarp.data.synthetic import read_dataset

        self.dataset = read_dataset(root)
        self.body = body
        self.codes = surface_codes(body.rest_vertices)
        self.length = length
        self.seed = seed
        self.novel_view = novel_view
        self.size = size
        self.augmentation = augmentation
        self.guess = guess

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, k: int) -> TrainingPair:
        rng = np.random.default_rng([self.seed, k])
        subject = self.dataset.subjects[int(rng.integers(len(self.dataset.subjects)))]
        source_view = int(rng.integers(subject.views))
        target_view = source_view
        if subject.views > 1 and rng.random() < self.novel_view:
            target_view = int((source_view + 1 + rng.integers(subject.views - 1)) % subject.views)
        source_frame, target_frame = (int(f) for f in rng.integers(subject.frames, size=2))
        source_image, source_camera = resize_view(subject.load("rgb", source_view, source_frame), subject.cameras.index(source_view), self.size)
        target_image, target_camera = resize_view(subject.load("rgb", target_view, target_frame), subject.cameras.index(target_view), self.size)
        pair = make_pair(
            self.body,
            self.codes,
            source_image,
            subject.params.index(source_frame),
            source_camera,
            target_image,
            subject.params.index(target_frame),
            target_camera,
            background_from_target=target_view != source_view,
            guess=self.guess,
        )
        if self.augmentation is None:
            return pair
        return augment(pair, rng, self.augmentation, background_from_target=target_view != source_view)
