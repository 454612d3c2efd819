"""Fitted bodies on disk: one record per clip, so footage is processed once.

Format ``liquidwarp-fit`` version 2, a single ``.npz`` (version 1, without ``offsets``, is still read):

- ``format``, ``version``: strings/ints identifying this layout;
- ``root_rotation`` (T, 3), ``root_translation`` (T, 3), ``joint_rotations`` (T, 19, 3),
  ``shape`` (T, 6): ``liquidwarp.body.BodyParams`` per frame (world = the fitting camera's frame,
  see ``liquidwarp.fitting.targets``);
- ``offsets`` (V,), optional: the person's clothes-and-hair offsets along the body's normals,
  metres, the same for every frame (``liquidwarp.fitting.offsets``);
- ``focal`` (2,), ``principal`` (2,), ``rotation`` (3, 3), ``translation`` (3,), ``image_size`` (2,):
  the one static camera (H, W);
- ``found`` (T,) bool: whether a person was seen in the frame (others are interpolated);
- ``crop`` (3,): one square crop for the whole clip, ``x0, y0, side`` in pixels (may extend past
  the image; the area outside is padded);
- ``fps`` (): frame rate of the source; ``source`` (): the file it came from;
  ``source_size``, ``source_mtime``: to tell when the cache is stale.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.joints import NUM_JOINTS
from liquidwarp.body.model import NUM_SHAPE, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.io.atomic import atomic_file
from liquidwarp.geometry.cameras import Camera

FORMAT_NAME = "liquidwarp-fit"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class FittedSequence:
    """Fitted body parameters for every frame of an image (T = 1) or a video."""

    params: BodyParams  # T frames
    camera: Camera  # B = 1, static
    found: np.ndarray  # (T,) bool
    crop: tuple[float, float, float]  # x0, y0, side (pixels)
    fps: float
    source: str

    @property
    def frames(self) -> int:
        return self.params.batch_size


def square_crop(boxes: np.ndarray, margin: float = 0.1) -> tuple[float, float, float]:
    """One square around all (N, 4) ``x0, y0, x1, y1`` boxes, grown by ``margin`` of its side."""
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = boxes[:, 2].max(), boxes[:, 3].max()
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return float(cx - side / 2), float(cy - side / 2), float(side)


def _source_stamp(source: str) -> tuple[int, float]:
    try:
        st = os.stat(source)
        return st.st_size, st.st_mtime
    except OSError:
        return -1, -1.0


def save_sequence(path: Path, seq: FittedSequence) -> None:
    size, mtime = _source_stamp(seq.source)
    p, c = seq.params, seq.camera
    extra = {} if p.offsets is None else {"offsets": p.offsets[0].numpy()}
    with atomic_file(path, suffix=".npz") as tmp:
        np.savez(
            tmp,
            **extra,
            format=FORMAT_NAME,
            version=FORMAT_VERSION,
            root_rotation=p.root_rotation.numpy(),
            root_translation=p.root_translation.numpy(),
            joint_rotations=p.joint_rotations.numpy(),
            shape=p.shape.numpy(),
            focal=c.focal[0].numpy(),
            principal=c.principal[0].numpy(),
            rotation=c.rotation[0].numpy(),
            translation=c.translation[0].numpy(),
            image_size=np.array(c.image_size),
            found=seq.found,
            crop=np.array(seq.crop),
            fps=seq.fps,
            source=str(seq.source),
            source_size=size,
            source_mtime=mtime,
        )


def load_sequence(path: Path, vertices: int | None = None) -> FittedSequence:
    """Read a record written by :func:`save_sequence`; InputError if it is not one, or (given the
    body model's number of ``vertices``) if its offsets are for another body model."""
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's input problem
        raise InputError(f"{path}: not a liquidwarp motion file ({type(e).__name__})") from None
    with data:
        if "format" not in data or str(data["format"]) != FORMAT_NAME:
            raise InputError(f"{path}: not a liquidwarp motion file (saved by `liquidwarp fit`)")
        if int(data["version"]) not in READABLE_VERSIONS:
            readable = " and ".join(str(v) for v in READABLE_VERSIONS)
            raise InputError(f"{path}: motion file version {int(data['version'])}, this liquidwarp reads versions {readable}")
        arrays = _checked_arrays(path, data)
    t = lambda k: torch.from_numpy(arrays[k].astype(np.float32))  # noqa: E731
    frames = arrays["root_rotation"].shape[0]
    offsets = t("offsets")[None].expand(frames, -1) if "offsets" in arrays else None
    if offsets is not None and vertices is not None and offsets.shape[1] != vertices:
        raise InputError(f"{path}: damaged motion file: offsets for {offsets.shape[1]} vertices, but the body model has {vertices}")
    params = BodyParams(t("root_rotation"), t("root_translation"), t("joint_rotations"), t("shape"), offsets)
    camera = Camera(t("focal")[None], t("principal")[None], t("rotation")[None], t("translation")[None], tuple(int(x) for x in arrays["image_size"]))
    crop = tuple(float(x) for x in arrays["crop"])
    return FittedSequence(params, camera, arrays["found"].astype(bool), crop, float(arrays["fps"]), str(arrays["source"]))


# Every array of the format: its shape, "T" standing for the number of frames.
_SHAPES: dict[str, tuple] = {
    "root_rotation": ("T", 3),
    "root_translation": ("T", 3),
    "joint_rotations": ("T", NUM_JOINTS, 3),
    "shape": ("T", NUM_SHAPE),
    "focal": (2,),
    "principal": (2,),
    "rotation": (3, 3),
    "translation": (3,),
    "image_size": (2,),
    "found": ("T",),
    "crop": (3,),
    "fps": (),
    "source": (),
}


def _checked_arrays(path: Path, data) -> dict[str, np.ndarray]:
    """The arrays of an open record, each checked (present, shape, numbers finite); InputError
    naming the file and the array otherwise."""
    missing = [k for k in _SHAPES if k not in data]
    if missing:
        raise InputError(f"{path}: damaged motion file: no {', '.join(missing)}")
    arrays = {k: np.asarray(data[k]) for k in _SHAPES}
    frames = arrays["root_rotation"].shape[0] if arrays["root_rotation"].ndim else 0
    if frames < 1:
        raise InputError(f"{path}: motion file has no frames")
    for key, shape in _SHAPES.items():
        expected = tuple(frames if n == "T" else n for n in shape)
        if arrays[key].shape != expected:
            raise InputError(f"{path}: damaged motion file: {key} has shape {arrays[key].shape}, expected {expected}")
        if key not in ("found", "source") and not (np.issubdtype(arrays[key].dtype, np.number) and np.isfinite(arrays[key]).all()):
            raise InputError(f"{path}: damaged motion file: {key} holds values that are not finite numbers")
    if "offsets" in data:
        offsets = np.asarray(data["offsets"])
        if offsets.ndim != 1 or not (np.issubdtype(offsets.dtype, np.number) and np.isfinite(offsets).all()):
            raise InputError(f"{path}: damaged motion file: offsets should be one finite number per vertex (shape {offsets.shape})")
        arrays["offsets"] = offsets
    if not arrays["fps"] > 0:
        raise InputError(f"{path}: damaged motion file: frame rate {float(arrays['fps']):g}, expected more than 0")
    if not (arrays["image_size"] >= 1).all() or not arrays["crop"][2] > 0:
        raise InputError(f"{path}: damaged motion file: image size {arrays['image_size'].tolist()}, crop {arrays['crop'].tolist()}")
    return arrays


def is_fresh(path: Path, source: Path) -> bool:
    """True when ``path`` holds a fit of ``source`` as it is now (same size and modification time)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["format"]) != FORMAT_NAME or int(data["version"]) != FORMAT_VERSION:
                return False
            size, mtime = _source_stamp(str(source))
            return int(data["source_size"]) == size and float(data["source_mtime"]) == mtime
    except Exception:  # noqa: BLE001 - a missing or damaged cache is simply not fresh
        return False
