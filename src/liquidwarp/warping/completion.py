"""Completing a baked texture where no source photo sees the body: the back, the far side, the
back of the head.

A texture baked from photos (:mod:`liquidwarp.warping.bake`) knows only the texels the photos
show. The rest is guessed from surface correspondences on the rest mesh, found once per topology
and texture size (:func:`surface_correspondences`), in this order of preference for each unseen
texel (:func:`complete_texture`):

1. its left/right mirror texel, if seen: the body is (near-)symmetric, so a seen left sleeve or
   side gives the right one;
2. on the trunk and limbs, its front/back counterpart (the surface point on the other side of the
   same body section at the same height: trunk and legs together, each arm apart), or that
   texel's mirror, if seen: a garment's colour and pattern carried round to the back;
3. on the head, the hair colour on its top and back (from seen texels of the top and back of the
   head, never the face), skin below (the neck's front/back counterpart, else the mean seen colour
   of the head's bare skin);
4. otherwise its body part's mean seen colour (what the texture had before this module).

Completed texels near seen ones are blended toward their seen neighbours over ``FEATHER`` metres
of surface, so completed regions meet the seen ones without a seam, and copied regions get a
smooth hue offset (``match_colours``, fading over ``MATCH_REACH``) so that they match the seen
colours of the same part along their border. Seen texels seen only at a grazing angle are not
copied (``donors``; :func:`facing`). All distances are on the rest mesh in 3D, never in the UV layout: UV islands are cut
apart where the surface is continuous, and the completion must not see those cuts.

Rest-mesh frame (:mod:`liquidwarp.body.model`): z up, the person faces -y, x is their left;
metres.

Measured (``liquidwarp bench unseen``, BENCHMARKS.md): on synthetic people turned away from the
photo, the unseen head's error falls by about 70 % (hair instead of the face's colour); garments
patterned asymmetrically (a different colour on each leg) can come out worse than the flat mean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from scipy.spatial import cKDTree

from liquidwarp.body.model import KEYPOINT_NAMES, PART_INDEX, PART_NAMES, BodyModel, BodyParams
from liquidwarp.geometry.cameras import Camera
from liquidwarp.rendering.rasterize import Fragments
from liquidwarp.rendering.shading import vertex_normals
from liquidwarp.rendering.uv_atlas import UVAtlas

#: Parts whose unseen side takes the front/back counterpart's colour (garments wrap round these).
FRONT_BACK_PARTS: tuple[str, ...] = (
    "torso", "pelvis",
    "upper_arm_left", "upper_arm_right", "lower_arm_left", "lower_arm_right",
    "upper_leg_left", "upper_leg_right", "lower_leg_left", "lower_leg_right",
)  # fmt: skip
MIN_FACING = 0.55  # seen texels at a more grazing angle than this cosine are not copied (0.35 and 0.7 measured worse)
#: Groups of parts whose cross-sections are reflected front <-> back together (each limb apart).
SECTION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("torso", "pelvis", "upper_leg_left", "upper_leg_right", "lower_leg_left", "lower_leg_right"),
    ("upper_arm_left", "lower_arm_left"), ("upper_arm_right", "lower_arm_right"),
    ("head",), ("hand_left",), ("hand_right",), ("foot_left",), ("foot_right",),
)  # fmt: skip
MATCH_REACH = 0.15  # metres: how far past the border the hue offset of copied texels reaches
FEATHER = 0.02  # metres of surface over which completed texels are blended into their seen neighbours
CELL = 0.01  # metres: the (x, z) cells in which a part's front/back centre plane is measured
TEXTURE_SIZE = 512  # side of the baked and completed textures
MIN_PART_TEXELS = 20  # fewer seen texels than this: a part's mean falls back to the whole body's


def _ramp(value: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 below ``low``, 1 above ``high``, linear between."""
    return np.clip((value - low) / (high - low), 0.0, 1.0)


@dataclass(frozen=True)
class SurfaceCorrespondences:
    """Texel-to-texel correspondences on the rest mesh for one topology and texture size.

    Every array is per texel, flattened row-major from the (size, size) texture (N = size²).

    Attributes:
        size: the texture's side.
        part: (N,) int64 ``PART_NAMES`` index of the texel's face, -1 where no face maps.
        position: (N, 3) float32 rest-mesh point of the texel (0 where uncovered).
        mirror: (N,) int64 the texel showing the point reflected x -> -x (the other side of the
            body), -1 where uncovered.
        opposite: (N,) int64 the texel on the other side (front <-> back) of the body at the same
            height and left/right position (within one of ``SECTION_GROUPS``), -1 where uncovered.
        hair: (N,) float32 in [0, 1]: how surely the texel is hair-covered scalp if it is unseen
            (the top and back of the head); 0 off the head.
        hair_source: (N,) bool: head texels whose seen colour gives the hair colour (the top of
            the head above the forehead, the back of the head above the ears).
    """

    size: int
    part: np.ndarray
    position: np.ndarray
    mirror: np.ndarray
    opposite: np.ndarray
    hair: np.ndarray
    hair_source: np.ndarray

    @property
    def covered(self) -> np.ndarray:
        """(N,) bool: texels some face maps to."""
        return self.part >= 0


_CACHE: dict[tuple[str, int], SurfaceCorrespondences] = {}
_CACHE_SIZE = 4


def _topology_key(body: BodyModel, size: int) -> tuple[str, int]:
    digest = hashlib.sha1()
    for tensor in (body.faces, body.face_uvs, body.face_parts, body.rest_vertices):
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest(), size


def surface_correspondences(body: BodyModel, atlas: UVAtlas) -> SurfaceCorrespondences:
    """The correspondences of ``body``'s rest mesh at the texture size of ``atlas`` (built from
    ``body.face_uvs``); computed once per topology and size in this process (about a second at
    512²) and kept."""
    key = _topology_key(body, atlas.size)
    if key not in _CACHE:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = _build(body, atlas)
    return _CACHE[key]


def _mirror_part(name: str) -> str:
    if name.endswith("_left"):
        return name[: -len("left")] + "right"
    if name.endswith("_right"):
        return name[: -len("right")] + "left"
    return name


def _build(body: BodyModel, atlas: UVAtlas) -> SurfaceCorrespondences:
    faces = body.faces.cpu()
    rest = body.rest_vertices.detach().cpu().float()
    face_index = atlas.face_index.cpu().reshape(-1)
    covered = (face_index >= 0).numpy()
    n = face_index.shape[0]
    part = np.full(n, -1, np.int64)
    part[covered] = body.face_parts.cpu()[face_index[covered]].numpy()
    bary = atlas.barycentric.cpu().reshape(-1, 3)[covered].float()
    corners = rest[faces[face_index[covered]]]  # (M, 3 corners, 3)
    position = np.zeros((n, 3), np.float32)
    position[covered] = (bary[..., None] * corners).sum(1).numpy()

    members = {k: np.flatnonzero(part == k) for k in range(len(PART_NAMES))}
    trees = {k: cKDTree(position[idx]) for k, idx in members.items() if len(idx)}
    mirror = np.full(n, -1, np.int64)
    for k, idx in members.items():
        other = PART_INDEX[_mirror_part(PART_NAMES[k])]
        if len(idx) and other in trees:
            # (a) left/right: the reflected point's nearest texel on the mirrored part.
            _, j = trees[other].query(position[idx] * np.array([-1.0, 1.0, 1.0], np.float32))
            mirror[idx] = members[other][j]
    opposite = np.full(n, -1, np.int64)
    for group in SECTION_GROUPS:
        idx = np.flatnonzero(np.isin(part, [PART_INDEX[p] for p in group]))
        if not len(idx):
            continue
        # (b) front/back: reflect y about the section's centre plane, measured per (x, z) cell as
        # the middle of the group's extent in y there (not the mean: front and back are sampled
        # unevenly). Over a group, not a part: the buttocks' front at their height is the thighs.
        points = position[idx]
        cell = np.floor(points[:, [0, 2]] / CELL).astype(np.int64)
        _, cell_id = np.unique(cell, axis=0, return_inverse=True)
        cell_id = cell_id.reshape(-1)
        low = np.full(cell_id.max() + 1, np.inf, np.float32)
        high = np.full(cell_id.max() + 1, -np.inf, np.float32)
        np.minimum.at(low, cell_id, points[:, 1])
        np.maximum.at(high, cell_id, points[:, 1])
        reflected = points.copy()
        reflected[:, 1] = low[cell_id] + high[cell_id] - points[:, 1]
        _, j = cKDTree(points).query(reflected)
        opposite[idx] = idx[j]

    hair, hair_source = _head_zones(body, position, part)
    return SurfaceCorrespondences(atlas.size, part, position, mirror, opposite, hair, hair_source)


def _head_zones(body: BodyModel, position: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per texel: how surely an unseen head texel is hair, and which seen head texels show it.

    Placed by the rest keypoints (eyes, ears): the scalp above the forehead and the back of the
    head above the nape are hair on most people (or bare scalp, which then shows as seen skin)."""
    with torch.no_grad():
        keypoints = body(BodyParams.rest(1, device=body.rest_vertices.device)).keypoints[0].cpu().numpy()
    kp = {name: keypoints[i] for i, name in enumerate(KEYPOINT_NAMES)}
    eye_z = float(kp["left_eye"][2] + kp["right_eye"][2]) / 2
    ear_y = float(kp["left_ear"][1] + kp["right_ear"][1]) / 2
    y, z = position[:, 1], position[:, 2]
    head = part == PART_INDEX["head"]
    # The hairline: higher over the forehead than at the sides and back.
    forehead = 1.0 - _ramp(y, ear_y - 0.06, ear_y - 0.03)
    top = _ramp(z, eye_z + 0.03 + 0.03 * forehead, eye_z + 0.06 + 0.02 * forehead)
    back = _ramp(y, ear_y - 0.03, ear_y) * _ramp(z, eye_z - 0.10, eye_z - 0.05)
    hair = np.where(head, np.maximum(top, back), 0.0).astype(np.float32)
    hair_source = head & ((z > eye_z + 0.075) | ((y > ear_y + 0.025) & (z > eye_z - 0.02)))
    return hair, hair_source


def facing(faces: torch.Tensor, vertices: torch.Tensor, camera: Camera, atlas: UVAtlas) -> np.ndarray:
    """(T, T) cosine between each texel's surface normal on the posed mesh ``vertices`` (1, V, 3)
    and the direction to ``camera`` (B = 1): near 0 where a photo sees the surface at a grazing
    angle (stretched, and darkened by the light's falloff), 1 where it looks straight at it."""
    normals = vertex_normals(vertices, faces)[0]
    normal = torch.nn.functional.normalize(atlas.interpolate(faces, normals), dim=-1, eps=1e-8)
    point = atlas.interpolate(faces, vertices[0])
    towards = torch.nn.functional.normalize(camera.center[0].to(point.dtype) - point, dim=-1, eps=1e-8)
    return (normal * towards).sum(-1).numpy()


def fill_part_means(texture: np.ndarray, seen: np.ndarray, maps: SurfaceCorrespondences) -> np.ndarray:
    """(T, T, 3) texture whose unseen covered texels take their part's mean seen colour (the
    whole body's where a part has fewer than ``MIN_PART_TEXELS`` seen texels; grey where
    nothing is seen). Seen and uncovered texels are returned unchanged."""
    flat = texture.reshape(-1, 3).copy()
    seen = seen.reshape(-1) & maps.covered
    fallback = flat[seen].mean(0) if seen.any() else np.full(3, 0.5, flat.dtype)
    for k in range(len(PART_NAMES)):
        in_part = maps.part == k
        seen_part = in_part & seen
        flat[in_part & ~seen] = flat[seen_part].mean(0) if seen_part.sum() > MIN_PART_TEXELS else fallback
    return flat.reshape(texture.shape)


def complete_texture(
    texture: np.ndarray,
    seen: np.ndarray,
    maps: SurfaceCorrespondences,
    donors: np.ndarray | None = None,
    feather: float = FEATHER,
    match_colours: bool = True,
    detail: float = 1.0,
    match_reach: float | None = MATCH_REACH,
) -> np.ndarray:
    """Fill the texels no photo sees (rules 1-4 of the module docstring).

    Args:
        texture: (T, T, 3) float colours; only the seen texels' are used.
        seen: (T, T) bool, the texels a photo shows; they are returned unchanged.
        maps: :func:`surface_correspondences` at T.
        donors: (T, T) bool, the seen texels whose colour may be copied elsewhere (default: all
            seen; e.g. leave out texels seen only at a grazing angle).
        feather: metres of surface over which completed texels blend into their seen neighbours.
        match_colours: shift copied colours so they match the seen colours of the same part
            along their border (:func:`_match_colours`).
        detail: the contrast kept of a copied pattern around its local mean (1: as seen).
        match_reach: metres past the border over which the hue offset fades (None: no fading).
    Returns:
        (T, T, 3) float32; uncovered texels unchanged.
    """
    size = maps.size
    assert texture.shape == (size, size, 3), (texture.shape, size)
    assert seen.shape == (size, size), seen.shape
    colour = texture.reshape(-1, 3).astype(np.float32)
    covered = maps.covered
    seen = seen.reshape(-1) & covered
    donor = seen if donors is None else donors.reshape(-1) & seen
    out = colour.copy()
    unseen = covered & ~seen
    if not seen.any():
        return fill_part_means(out.reshape(texture.shape), seen.reshape(size, size), maps)
    if not unseen.any():
        return out.reshape(texture.shape)

    means = fill_part_means(colour.reshape(size, size, 3), seen.reshape(size, size), maps).reshape(-1, 3)
    filled = np.zeros_like(unseen)
    copied = np.zeros_like(unseen)  # filled from another texel of the surface (rules 1 and 2)

    def take(candidates: np.ndarray, partner: np.ndarray) -> None:
        ok = candidates & ~filled & (partner >= 0)
        ok[ok] &= donor[partner[ok]]
        out[ok] = colour[partner[ok]]
        filled[ok] = True
        copied[ok] = True

    # 1. The other side of the body.
    take(unseen, maps.mirror)
    # 2. Front <-> back on the trunk and limbs: the counterpart, else the counterpart's mirror.
    wraps = np.isin(maps.part, [PART_INDEX[p] for p in FRONT_BACK_PARTS])
    take(unseen & wraps, maps.opposite)
    take(unseen & wraps, np.where(maps.opposite >= 0, maps.mirror[maps.opposite], -1))
    # 3. The head: hair on the top and back, skin (the neck's counterpart, else the part's mean) below.
    head = unseen & ~filled & (maps.part == PART_INDEX["head"])
    if head.any():
        neck = head & (maps.hair < 1) & (maps.opposite >= 0)
        neck[neck] &= donor[maps.opposite[neck]]
        bare = donor & (maps.part == PART_INDEX["head"]) & (maps.hair == 0) & ~maps.hair_source
        skin = np.broadcast_to(colour[bare].mean(0) if bare.sum() > MIN_PART_TEXELS else means[head].mean(0), colour.shape).copy()
        skin[neck] = colour[maps.opposite[neck]]
        skin = skin[head]
        hair_colour = _hair_colours(colour, donor & maps.hair_source, maps.position, maps.position[head])
        w = maps.hair[head][:, None]
        out[head] = skin if hair_colour is None else w * hair_colour + (1 - w) * skin
        filled[head] = True
    # 4. The part's mean seen colour.
    rest = unseen & ~filled
    out[rest] = means[rest]

    if match_colours and copied.any():
        out = _match_colours(out, donor, copied, maps, match_reach)
    if detail < 1 and copied.any():
        smooth = _part_lowpass(out, copied, maps)
        out[copied] = smooth[copied] + detail * (out[copied] - smooth[copied])
    if feather > 0:
        out = _feather(out, seen, unseen, maps.position, feather)
    out[seen] = colour[seen]
    return out.reshape(texture.shape)


def _part_lowpass(values: np.ndarray, mask: np.ndarray, maps: SurfaceCorrespondences, sigma: float = 6.0) -> np.ndarray:
    """(N, 3) Gaussian low-pass (``sigma`` texels) of ``values`` over the ``mask`` texels of each
    part, in the UV layout (normalised convolution; island seams within a part are rare enough at
    this scale)."""
    import cv2

    size = maps.size
    image = values.reshape(size, size, 3).astype(np.float32)
    out = values.copy()
    for k in range(len(PART_NAMES)):
        m = (mask & (maps.part == k)).reshape(size, size)
        if not m.any():
            continue
        rows, cols = np.flatnonzero(m.any(1)), np.flatnonzero(m.any(0))
        pad = int(3 * sigma)
        r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + pad + 1, size)
        c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + pad + 1, size)
        weight = m[r0:r1, c0:c1].astype(np.float32)
        num = cv2.GaussianBlur(image[r0:r1, c0:c1] * weight[..., None], (0, 0), sigma)
        den = cv2.GaussianBlur(weight, (0, 0), sigma)
        smooth = num / np.maximum(den, 1e-6)[..., None]
        flat = np.zeros((size, size, 3), np.float32)
        flat[r0:r1, c0:c1] = smooth
        sel = m.reshape(-1)
        out[sel] = flat.reshape(-1, 3)[sel]
    return out


def _hair_colours(colour: np.ndarray, sources: np.ndarray, position: np.ndarray, targets: np.ndarray, k: int = 48) -> np.ndarray | None:
    """(M, 3) hair colour at the ``targets`` (M, 3) points: a distance-weighted mean of the nearest
    seen hair-source texels, each weighted down by its colour distance from their median (the
    forehead skin or background bleeding at the silhouette is not hair). None if too few are seen."""
    idx = np.flatnonzero(sources)
    if len(idx) < MIN_PART_TEXELS:
        return None
    samples = colour[idx]
    median = np.median(samples, axis=0)
    spread = max(float(np.median(np.abs(samples - median).sum(-1))), 0.02)
    typical = np.exp(-((np.abs(samples - median).sum(-1) / (3 * spread)) ** 2))
    k = min(k, len(idx))
    dist, j = cKDTree(position[idx]).query(targets, k=k)
    weight = typical[j] / (dist + 0.01)
    return (weight[..., None] * samples[j]).sum(1) / np.maximum(weight.sum(1), 1e-8)[:, None]


def _match_colours(
    out: np.ndarray,
    seen: np.ndarray,
    copied: np.ndarray,
    maps: SurfaceCorrespondences,
    reach: float | None = None,
    radius: float = 0.05,
    band: float = 0.015,
    anchors: int = 300,
) -> np.ndarray:
    """Shift the copied texels' chromaticity by a smooth per-part offset so that, along their
    border with the seen texels of the same part, it matches the seen one: the pattern and its
    brightness are copied, its hue follows what is seen next to it (a trouser leg whose seen half
    is another colour than its mirror). Seamless cloning in spirit, with the offset interpolated
    from the border by inverse distance instead of solving Laplace's equation.

    Brightness is left alone on purpose: along the border the photo sees the surface at a grazing
    angle, darkened by the light's falloff, and matching it would darken the whole copied side.

    The offset is measured at up to ``anchors`` copied texels per part within ``radius`` / 2 of a
    seen one, as the difference of the seen and copied texels' mean chromaticity (colour over its
    channel mean) within ``radius`` and ``band`` of its height; a part with no seen texels keeps
    its copied colours."""
    out = out.copy()
    position = maps.position
    brightness = out.mean(-1, keepdims=True) + 1e-3
    chroma = out / brightness
    for k in range(len(PART_NAMES)):
        if k == PART_INDEX["head"]:
            continue  # its seen/unseen border runs between face and hair: no common colour to match
        in_part = maps.part == k
        seen_idx, copied_idx = np.flatnonzero(in_part & seen), np.flatnonzero(in_part & copied)
        if len(seen_idx) < MIN_PART_TEXELS or len(copied_idx) < MIN_PART_TEXELS:
            continue
        seen_tree, copied_tree = cKDTree(position[seen_idx]), cKDTree(position[copied_idx])
        dist, _ = seen_tree.query(position[copied_idx], distance_upper_bound=radius / 2)
        border = copied_idx[np.isfinite(dist)]
        if len(border) < MIN_PART_TEXELS:
            continue
        border = border[np.linspace(0, len(border) - 1, min(anchors, len(border))).round().astype(np.int64)]
        centres = position[border]

        def local_mean(tree: cKDTree, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            d, j = tree.query(centres, k=min(128, len(idx)), distance_upper_bound=radius)  # k > 1: (A, k)
            present = np.isfinite(d)
            j = np.where(present, j, 0)
            # Only texels at the anchor's height: garment edges (waist, neckline, hems) run round
            # the body, and a mean across one would pull one garment's hue toward the other's.
            present &= np.abs(position[idx[j], 2] - centres[:, None, 2]) < band
            values = chroma[idx[np.where(present, j, 0)]] * present[..., None]
            return values.sum(1) / np.maximum(present.sum(1), 1)[:, None], present.sum(1)

        seen_mean, seen_count = local_mean(seen_tree, seen_idx)
        copied_mean, copied_count = local_mean(copied_tree, copied_idx)
        ok = (seen_count >= 8) & (copied_count >= 8)
        if not ok.any():
            continue
        offsets, centres = (seen_mean - copied_mean)[ok], centres[ok]
        d, j = cKDTree(centres).query(position[copied_idx], k=min(16, len(centres)))
        d, j = (d[:, None], j[:, None]) if d.ndim == 1 else (d, j)
        weight = 1.0 / (d + 0.01) ** 2
        offset = (weight[..., None] * offsets[j]).sum(1) / weight.sum(1)[:, None]
        if reach is not None:
            offset *= np.exp(-((d[:, 0] / reach) ** 2))[:, None]
        shifted = np.maximum(chroma[copied_idx] + offset, 0.0)
        out[copied_idx] = np.clip(brightness[copied_idx] * shifted, 0.0, 1.0)
    return out


def _feather(out: np.ndarray, seen: np.ndarray, unseen: np.ndarray, position: np.ndarray, feather: float) -> np.ndarray:
    """Blend unseen texels within ``feather`` metres of a seen one toward the mean of their nearest
    seen texels: weight 1 on the seen side of the border, 0 at ``feather`` (smoothstep)."""
    seen_idx, unseen_idx = np.flatnonzero(seen), np.flatnonzero(unseen)
    dist, j = cKDTree(position[seen_idx]).query(position[unseen_idx], k=4, distance_upper_bound=feather)
    near = np.isfinite(dist[:, 0])
    if not near.any():
        return out
    dist, j, rows = dist[near], j[near], unseen_idx[near]
    present = np.isfinite(dist)
    j = np.where(present, j, 0)
    neighbour = (out[seen_idx[j]] * present[..., None]).sum(1) / present.sum(1, keepdims=True)
    t = np.clip(dist[:, 0] / feather, 0.0, 1.0)
    keep = (t * t * (3 - 2 * t))[:, None]
    out = out.copy()
    out[rows] = keep * out[rows] + (1 - keep) * neighbour
    return out


class SeenPhoto(Protocol):
    """What a texture is baked from: a photo with the body fitted to it."""

    image: torch.Tensor  # (1, 3, H, W) in [0, 1]
    vertices: torch.Tensor  # (1, V, 3)
    camera: Camera  # B = 1
    fragments: Fragments  # (1, H, W) the body rasterised by ``camera``


def completed_texture(body: BodyModel, photos: Sequence[SeenPhoto], atlas: UVAtlas) -> torch.Tensor:
    """(1, 3, T, T) texture in [0, 1] baked from all ``photos`` (averaged where several see a
    texel), with the texels none of them sees completed by :func:`complete_texture`."""
    from liquidwarp.warping.bake import bake_texture

    textures, seens, donors = [], [], []
    for photo in photos:
        texture, seen = bake_texture(photo.image, body.faces, photo.vertices, photo.camera, photo.fragments, atlas)
        textures.append(texture)
        seens.append(seen)
        donors.append(seen & (facing(body.faces, photo.vertices, photo.camera, atlas) > MIN_FACING))
    seen = np.stack(seens).astype(np.float32)  # (S, T, T)
    count = seen.sum(0)
    merged = (np.stack(textures) * seen[..., None]).sum(0) / np.maximum(count, 1)[..., None]
    merged = complete_texture(merged, count > 0, surface_correspondences(body, atlas), np.any(donors, axis=0))
    merged = atlas.fill_gaps(merged.astype(np.float32))
    return torch.from_numpy(merged).permute(2, 0, 1)[None]
