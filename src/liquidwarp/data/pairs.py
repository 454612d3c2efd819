"""Training pairs for the Liquid Warping GAN: a source and a target frame of the same person.

Self-supervised as in the paper (section 3.3): the target is another frame of the source's own
video, so the real target frame is the ground truth. From synthetic data the target may also come
from another camera, which teaches novel views. Everything the networks need is prepared here:
correspondence maps of both bodies, the transfer flow, the masks, the background input and the
target's head box. Images are in [-1, 1] (the models' convention), masks 1 = person.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.body.regions import head_boxes
from liquidwarp.rendering.completion import TEXTURE_SIZE, completed_texture
from liquidwarp.rendering.correspondence import correspondence_map, surface_codes
from liquidwarp.rendering.rasterize import Fragments, rasterize
from liquidwarp.rendering.shading import sample_texture
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.warping.flow import WarpField, transfer_flow

BACKGROUND_MARGIN = 0.06  # of the side: how far past the body mask the background input is blanked


@dataclass(frozen=True)
class TrainingPair:
    """A batch of B pairs (one pair: B = 1). All tensors are float unless noted."""

    source_image: torch.Tensor  # (B, 3, H, W) in [-1, 1]
    source_mask: torch.Tensor  # (B, 1, H, W) in {0, 1}: the source body
    source_map: torch.Tensor  # (B, 3, H, W) correspondence map C_s
    target_image: torch.Tensor  # (B, 3, H, W) in [-1, 1]: the ground truth
    target_mask: torch.Tensor  # (B, 1, H, W) in {0, 1}: the target body
    target_map: torch.Tensor  # (B, 3, H, W) correspondence map C_t
    flow_grid: torch.Tensor  # (B, H, W, 2) target pixel -> source grid position
    flow_valid: torch.Tensor  # (B, H, W) bool: the source sees that surface point
    background_input: torch.Tensor  # (B, 4, H, W): source with the body region blanked, and that region
    head_box: torch.Tensor  # (B, 4) x0, y0, x1, y1 pixels of the target's head
    guess: torch.Tensor  # (B, 3, H, W) in [-1, 1]: the source's completed texture on the target body (G_TSF's input where the flow is far from seen pixels); zeros for pairs made with ``guess=False`` (for generators without ``fill_unseen``)

    @property
    def flow(self) -> WarpField:
        return WarpField(self.flow_grid, self.flow_valid)

    @staticmethod
    def collate(pairs: list[TrainingPair]) -> TrainingPair:
        return TrainingPair(**{f.name: torch.cat([getattr(p, f.name) for p in pairs]) for f in fields(TrainingPair)})

    def to(self, device: torch.device | str) -> TrainingPair:
        return TrainingPair(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


def _to_model_range(image: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(image)).permute(2, 0, 1)[None].float() / 127.5 - 1.0


def blank_background(image: torch.Tensor, mask: torch.Tensor, margin: float = BACKGROUND_MARGIN) -> torch.Tensor:
    """G_BG's input: (B, 3, H, W) image with the dilated body (B, 1, H, W) set to 0, and that
    dilated region as a fourth channel -> (B, 4, H, W)."""
    radius = max(int(round(margin * image.shape[-1])), 1)
    grown = torch.nn.functional.max_pool2d(mask, 2 * radius + 1, stride=1, padding=radius)
    return torch.cat([image * (1 - grown), grown], dim=1)


@dataclass(frozen=True)
class _Photo:
    image: torch.Tensor
    vertices: torch.Tensor
    camera: object
    fragments: Fragments


# Pairs bake the guess at half inference's texture side, 4x fewer texels to complete, enough for a
# 256² frame: a whole pair took 2.8-2.9 s at 512² and 1.2-2.7 s at 256² on the 2-core development
# machine with another job running (the completion alone 1.2 s at 512² and 0.65 s at 256², profiled).
GUESS_TEXTURE_SIZE = TEXTURE_SIZE // 2


@functools.lru_cache(maxsize=2)
def _atlas(body: BodyModel) -> UVAtlas:
    return UVAtlas.build(body.face_uvs, GUESS_TEXTURE_SIZE)


def unseen_guess(body: BodyModel, source_image: torch.Tensor, vertices: torch.Tensor, camera, fragments: Fragments, target: Fragments) -> torch.Tensor:
    """(1, 3, H, W) in [-1, 1]: the texture baked from ``source_image`` (1, 3, H, W) in [0, 1]
    (body ``vertices`` (1, V, 3) seen by ``camera`` as ``fragments``) and completed where the photo
    does not see the body, looked up on the ``target`` body; what inference gives G_TSF as its
    ``guess`` (``TextureFill`` in :mod:`liquidwarp.tasks.methods`)."""
    texture = completed_texture(body, [_Photo(source_image, vertices, camera, fragments)], _atlas(body))
    return sample_texture(target, body.face_uvs, texture) * 2 - 1


def make_pair(
    body: BodyModel,
    codes: torch.Tensor,
    source_image: np.ndarray,
    source_params,
    source_camera,
    target_image: np.ndarray,
    target_params,
    target_camera,
    background_from_target: bool = False,
    guess: bool = True,
) -> TrainingPair:
    """One pair from two (S, S, 3) uint8 frames with their bodies (B = 1) and cameras (for those
    frames, image size S x S). G_BG's input is the source frame without its person, or, with
    ``background_from_target`` (a target seen by another camera), the target frame without its
    person: the background is always that of the camera the output is seen from (at inference a
    novel view gets that camera's background plate)."""
    size = tuple(source_image.shape[:2])
    with torch.no_grad():
        meshes = body(type(source_params).cat([source_params, target_params]))
    src_vertices, tgt_vertices = meshes.vertices[:1], meshes.vertices[1:]
    src_frags = rasterize(source_camera.project(src_vertices), body.faces, size)
    tgt_frags = rasterize(target_camera.project(tgt_vertices), body.faces, size)
    field = transfer_flow(body.faces, src_vertices, source_camera, src_frags, tgt_frags)
    source = _to_model_range(source_image)
    source_mask = src_frags.mask[:, None].float()
    target = _to_model_range(target_image)
    target_mask = tgt_frags.mask[:, None].float()
    keypoints = target_camera.project(meshes.keypoints[1:])[..., :2].float()
    if guess:
        guessed = unseen_guess(body, (source + 1) / 2, src_vertices, source_camera, src_frags, tgt_frags)
    else:  # a generator without ``fill_unseen`` takes no guess: not worth baking one
        guessed = torch.zeros_like(target)
    return TrainingPair(
        source_image=source,
        source_mask=source_mask,
        source_map=correspondence_map(src_frags, body.faces, codes).float(),
        target_image=target,
        target_mask=target_mask,
        target_map=correspondence_map(tgt_frags, body.faces, codes).float(),
        flow_grid=field.grid.float(),
        flow_valid=field.valid,
        background_input=blank_background(target, target_mask) if background_from_target else blank_background(source, source_mask),
        head_box=head_boxes(keypoints),
        guess=guessed.float(),
    )


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
        from liquidwarp.data.augment import augment

        return augment(pair, rng, self.augmentation, background_from_target=target_view != source_view)
