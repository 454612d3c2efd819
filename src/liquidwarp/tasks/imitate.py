"""Motion imitation by 3D liquid warping alone (no network): the source person performs the
reference's motion.

For every reference frame: the target body has the reference's joint rotations, the source's
shape, and the source's placement with the reference's motion since its first frame added
(rotation and translation). It is rendered in the source's view (a square crop around the source
person); each target pixel takes its colour from where the same surface point appears in a source
photo (``transfer_flow``; several sources are merged where each sees the point). Body pixels no
source sees take the colour of a texture baked from the sources, whose unseen texels carry their
body part's mean seen colour. The background is the source photo with the person removed by
OpenCV inpainting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from liquidwarp.body.model import PART_NAMES, BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.fitting.records import FittedSequence, load_sequence
from liquidwarp.geometry.cameras import Camera
from liquidwarp.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from liquidwarp.rendering.bake import bake_texture
from liquidwarp.rendering.rasterize import Fragments, rasterize
from liquidwarp.rendering.shading import sample_texture
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.tasks.recover import PersonPick, Recovery, recover
from liquidwarp.warping.flow import merge_sources, transfer_flow, warp

METHODS = ("warp",)
VIEW_MARGIN = 1.35  # the output view is the source's person crop grown by this factor
INPAINT_DILATION = 0.03  # of the view size: how far past the person mask the background is redone
TEXTURE_SIZE = 512


def crop_camera(camera: Camera, crop: tuple[float, float, float], size: int) -> Camera:
    """The camera of a square ``crop`` (x0, y0, side) of the image, resampled to ``size`` pixels."""
    x0, y0, side = crop
    s = size / side
    offset = camera.principal.new_tensor([x0, y0])
    return Camera(camera.focal * s, (camera.principal - offset) * s, camera.rotation, camera.translation, (size, size))


def crop_image(image: np.ndarray, crop: tuple[float, float, float], size: int) -> np.ndarray:
    """Resample the square ``crop`` of an (H, W, C) image to ``size`` x ``size`` (mirrored past the edges)."""
    x0, y0, side = crop
    s = size / side
    # pixel centres: out (j + .5) = s * (x - x0)  =>  x = (j + .5) / s + x0; OpenCV maps integer coords
    matrix = np.array([[s, 0.0, -s * x0 + 0.5 * s - 0.5], [0.0, s, -s * y0 + 0.5 * s - 0.5]])
    interpolation = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (size, size), flags=interpolation, borderMode=cv2.BORDER_REFLECT_101)


def letterbox(image: np.ndarray, size: int) -> np.ndarray:
    """The whole (H, W, 3) image scaled to fit ``size`` x ``size``, centred on black."""
    h, w = image.shape[:2]
    s = size / max(h, w)
    nh, nw = max(int(round(h * s)), 1), max(int(round(w * s)), 1)
    out = np.zeros((size, size, 3), np.uint8)
    y, x = (size - nh) // 2, (size - nw) // 2
    out[y : y + nh, x : x + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return out


def grow_crop(crop: tuple[float, float, float], factor: float) -> tuple[float, float, float]:
    x0, y0, side = crop
    new = side * factor
    return x0 - (new - side) / 2, y0 - (new - side) / 2, new


@dataclass(frozen=True)
class PreparedSource:
    """One source photo in the output view."""

    image: torch.Tensor  # (1, 3, S, S) in [0, 1]
    vertices: torch.Tensor  # (1, V, 3)
    camera: Camera  # the output view's camera (B = 1)
    fragments: Fragments  # (1, S, S)
    params: BodyParams  # B = 1


def _prepare_source(body: BodyModel, recovery: Recovery, view: tuple[float, float, float], size: int) -> PreparedSource:
    seq = recovery.sequence
    frame = int(np.nonzero(seq.found)[0][0])
    params = seq.params.index(frame)
    camera = crop_camera(seq.camera, view, size)
    with torch.no_grad():
        vertices = body(params).vertices
    fragments = rasterize(camera.project(vertices), body.faces, (size, size))
    image = torch.from_numpy(crop_image(recovery.footage.frames[frame], view, size)).permute(2, 0, 1)[None].float() / 255
    return PreparedSource(image, vertices, camera, fragments, params)


def _merged_texture(body: BodyModel, sources: list[PreparedSource], atlas: UVAtlas) -> torch.Tensor:
    """(1, 3, T, T) texture from all sources; unseen texels take their part's mean seen colour."""
    textures, seens = [], []
    for src in sources:
        tex, seen = bake_texture(src.image, body.faces, src.vertices, src.camera, src.fragments, atlas)
        textures.append(tex)
        seens.append(seen)
    seen = np.stack(seens).astype(np.float32)  # (S, T, T)
    stack = np.stack(textures)
    count = seen.sum(0)
    merged = (stack * seen[..., None]).sum(0) / np.maximum(count, 1)[..., None]
    any_seen = count > 0
    covered = atlas.face_index.numpy() >= 0
    part = body.face_parts[atlas.face_index.clamp(min=0)].numpy()
    fallback = merged[any_seen & covered].mean(0) if (any_seen & covered).any() else np.full(3, 0.5)
    for k in range(len(PART_NAMES)):
        in_part = covered & (part == k)
        seen_part = in_part & any_seen
        colour = merged[seen_part].mean(0) if seen_part.sum() > 20 else fallback
        merged[in_part & ~any_seen] = colour
    merged = atlas.fill_gaps(merged.astype(np.float32))
    return torch.from_numpy(merged).permute(2, 0, 1)[None]


def _background(source: PreparedSource, size: int) -> torch.Tensor:
    """The first source's view with the person inpainted away, (1, 3, S, S)."""
    image = (source.image[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    mask = source.fragments.mask[0].numpy().astype(np.uint8) * 255
    radius = max(int(round(INPAINT_DILATION * size)), 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    mask = cv2.dilate(mask, kernel)
    filled = cv2.inpaint(image, mask, max(radius, 3), cv2.INPAINT_TELEA)
    return torch.from_numpy(filled).permute(2, 0, 1)[None].float() / 255


def target_params(source: BodyParams, reference: BodyParams, in_place: bool = False) -> BodyParams:
    """Reference pose, source shape; source placement plus the reference's motion since its frame 0
    (turning only, when ``in_place``: the person stays where the source stands)."""
    t = reference.batch_size
    r_src = axis_angle_to_matrix(source.root_rotation)  # (1, 3, 3)
    r_ref = axis_angle_to_matrix(reference.root_rotation)  # (T, 3, 3)
    delta = r_ref @ r_ref[:1].transpose(1, 2)  # rotation since the first frame, world axes
    root = matrix_to_axis_angle(delta @ r_src)
    moved = reference.root_translation - reference.root_translation[:1]
    translation = source.root_translation + (torch.zeros_like(moved) if in_place else moved)
    return BodyParams(root, translation, reference.joint_rotations, source.shape.expand(t, -1))


def load_reference(
    path: Path, body: BodyModel, max_frames: int | None, progress: bool, person: PersonPick | None = None
) -> tuple[FittedSequence, Recovery | None]:
    """A reference video (perceived and fitted, cached) or a motion file saved by ``liquidwarp fit``."""
    if Path(path).suffix.lower() == ".npz":
        if not Path(path).is_file():
            raise InputError(f"{path}: no such file")
        seq = load_sequence(Path(path))
        if max_frames is not None and seq.frames > max_frames:
            seq = FittedSequence(seq.params.index(slice(0, max_frames)), seq.camera, seq.found[:max_frames], seq.crop, seq.fps, seq.source)
        return seq, None
    recovery = recover(path, body, max_frames=max_frames, require_full_body=False, progress=progress, person=person)
    if not recovery.footage.is_video:
        raise InputError(f"{path}: the reference must be a video or a motion file (.npz from `liquidwarp fit`)")
    return recovery.sequence, recovery


@dataclass(frozen=True)
class ImitationResult:
    frames: int
    fps: float
    seconds: float


def imitate(
    sources: list[Path],
    reference: Path,
    out: Path,
    body: BodyModel | None = None,
    size: int = 256,
    side_by_side: bool = False,
    max_frames: int | None = None,
    method: str = "warp",
    progress: bool = True,
    reference_person: PersonPick | None = None,
    in_place: bool = False,
) -> ImitationResult:
    """Write ``out`` (.mp4): the first source's person performing the reference's motion."""
    import time

    from tqdm import tqdm

    from liquidwarp.io.media import VideoWriter

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; available: {', '.join(METHODS)}")
    start = time.perf_counter()
    body = body if body is not None else BodyModel()
    recoveries = [recover(p, body, progress=progress) for p in sources]
    ref_seq, ref_recovery = load_reference(reference, body, max_frames, progress, reference_person)
    # Each source is seen in (a crop of) its own photo; the output is in the first source's view.
    prepared = [_prepare_source(body, r, grow_crop(r.sequence.crop, VIEW_MARGIN), size) for r in recoveries]
    first = prepared[0]
    atlas = UVAtlas.build(body.face_uvs, TEXTURE_SIZE)
    texture = _merged_texture(body, prepared, atlas)
    background = _background(first, size)
    targets = target_params(first.params, ref_seq.params, in_place)
    audio = reference if ref_recovery is not None else None

    n = targets.batch_size
    with VideoWriter(out, ref_seq.fps, audio_from=audio) as writer:
        for t in tqdm(range(n), desc="imitate", unit="frame", disable=not progress):
            frame = render_frame(body, prepared, texture, background, targets.index(t), first.camera, size)
            if side_by_side:
                panels = [(first.image[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)]
                if ref_recovery is not None:
                    panels.append(letterbox(ref_recovery.footage.frames[t], size))
                panels.append(frame)
                frame = np.concatenate(panels, axis=1)
            writer.write(frame)
    seconds = time.perf_counter() - start
    return ImitationResult(n, n / seconds, seconds)


def render_frame(
    body: BodyModel,
    sources: list[PreparedSource],
    texture: torch.Tensor,
    background: torch.Tensor,
    target: BodyParams,
    camera: Camera,
    size: int,
) -> np.ndarray:
    """One output frame (S, S, 3) uint8 for one target body (B = 1)."""
    with torch.no_grad():
        vertices = body(target).vertices
    frags = rasterize(camera.project(vertices), body.faces, (size, size))
    warped, valid = [], []
    for src in sources:
        field = transfer_flow(body.faces, src.vertices, src.camera, src.fragments, frags)
        warped.append(warp(src.image, field))
        valid.append(field.valid)
    colour, seen = merge_sources(torch.stack(warped), torch.stack(valid))
    filled = sample_texture(frags, body.face_uvs, texture)
    body_rgb = torch.where(seen[:, None], colour, filled)
    # Feathering the silhouette's inner pixel row avoids a cut-out look against the background.
    mask = frags.mask[:, None].float()
    alpha = mask * F.avg_pool2d(F.pad(mask, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
    out = body_rgb * alpha + background * (1 - alpha)
    return (out[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255 + 0.5).astype(np.uint8)
