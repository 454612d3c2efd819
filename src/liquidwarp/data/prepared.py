"""Real footage prepared by ``liquidwarp prepare`` (see :mod:`liquidwarp.tasks.prepare` for the
layout), and training pairs from it: a source and a target frame of the same video, the fitted
bodies giving the flow, the maps and the masks (the body's silhouette: real footage has no exact
person mask)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.geometry.cameras import Camera

INDEX_FILE = "index.json"
PREPARED_FORMAT = "liquidwarp-prepared"
PREPARED_VERSION = 1


@dataclass(frozen=True)
class PreparedVideo:
    name: str
    folder: Path
    params: BodyParams  # every frame of the video
    camera: Camera  # the crop's camera (B = 1), image size (size, size)
    found: np.ndarray  # (T,) bool: frames with the person (and a PNG)

    def frame(self, t: int) -> np.ndarray:
        from liquidwarp.io.media import read_image

        return read_image(self.folder / "frames" / f"{t:05d}.png")


def read_prepared(root: str | Path) -> list[PreparedVideo]:
    """The videos of a folder written by ``liquidwarp prepare``."""
    from liquidwarp.fitting.records import load_sequence
    from liquidwarp.geometry.crops import crop_camera

    root = Path(root)
    index_file = root / INDEX_FILE
    if not index_file.is_file():
        raise InputError(f"{root}: not prepared footage (no {INDEX_FILE}); make it with `liquidwarp prepare`")
    index = json.loads(index_file.read_text())
    if index.get("format") != PREPARED_FORMAT or index.get("version") != PREPARED_VERSION:
        raise InputError(f"{index_file}: not a {PREPARED_FORMAT} v{PREPARED_VERSION} index")
    videos = []
    for entry in index["videos"]:
        folder = root / entry["folder"]
        view = json.loads((folder / "view.json").read_text())
        seq = load_sequence(folder / "motion.npz")
        camera = crop_camera(seq.camera, tuple(view["crop"]), int(view["size"]))
        videos.append(PreparedVideo(entry["name"], folder, seq.params, camera, seq.found.copy()))
    if not videos:
        raise InputError(f"{root}: no prepared video in it")
    return videos


class RealPairs(torch.utils.data.Dataset):
    """Pairs from prepared footage: item k is a deterministic function of (``seed``, k): a video,
    then two frames of it where the person was found. ``augmentation`` as in
    :class:`~liquidwarp.data.datasets.SyntheticPairs`."""

    def __init__(self, root: str | Path, body: BodyModel, length: int, seed: int = 0, augmentation=None, guess: bool = True) -> None:
        from liquidwarp.rendering.correspondence import surface_codes

        self.videos = [v for v in read_prepared(root) if v.found.sum() >= 2]
        if not self.videos:
            raise InputError(f"{root}: no prepared video has two frames with the person")
        self.body = body
        self.codes = surface_codes(body.rest_vertices)
        self.length = length
        self.seed = seed
        self.augmentation = augmentation
        self.guess = guess

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, k: int):
        from liquidwarp.data.pairs import make_pair

        rng = np.random.default_rng([self.seed, k])
        video = self.videos[int(rng.integers(len(self.videos)))]
        source, target = (int(t) for t in rng.choice(np.nonzero(video.found)[0], size=2, replace=False))
        pair = make_pair(
            self.body, self.codes,
            video.frame(source), video.params.index(source), video.camera,
            video.frame(target), video.params.index(target), video.camera,
            guess=self.guess,
        )  # fmt: skip
        if self.augmentation is None:
            return pair
        from liquidwarp.data.augment import augment

        return augment(pair, rng, self.augmentation)
