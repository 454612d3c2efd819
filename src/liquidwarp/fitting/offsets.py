"""Clothes and hair: per-vertex offsets of the fitted body along its surface normal, fitted to the
person's silhouette (the body model is unclothed and bald; a person is not).

After the pose fit, the body of a few frames is held still and one offset per vertex (the same in
every frame: it is the person's, like the shape) is fitted so that the posed, offset mesh fills
the person mask: every vertex should project inside the mask and every mask outline point should
have a vertex near it (the same two silhouette terms as the pose fit,
``liquidwarp.fitting.fit``), with a smoothness prior (the offsets' graph Laplacian over the mesh's
edges) and a small-size prior. Outline points far from every vertex (a mask leaking onto the
background) are capped, so they cannot drag the surface out. Vertices that no frame's silhouette
constrains (the side away from the camera in a photo) are held near zero by the priors.

On the lab sample (``lab_throw_cam01.mp4``, all 100 frames) this lifts the fitted mesh's
silhouette IoU against the person mask from 0.883 to 0.903 (BENCHMARKS.md, "Body mesh recovery").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams, vertex_normals
from liquidwarp.fitting.fit import OutlineMatches, silhouette_terms
from liquidwarp.fitting.targets import FitTargets
from liquidwarp.geometry.cameras import Camera


@dataclass(frozen=True)
class OffsetConfig:
    """Offset-fitting settings (chosen on the lab sample)."""

    frames: int = 12  # at most this many frames take part ...
    span: int = 100  # ... spread over a clip's first `span` frames, so a longer request keeps them
    steps: int = 60  # Adam steps
    lr: float = 0.006  # metres per step, roughly
    weight_inside: float = 3.0
    weight_cover: float = 3.0
    weight_smooth: float = 100.0  # on the squared Laplacian, in cm
    weight_size: float = 1.0  # on the squared offset, in dm
    reach: float = 8.0  # % of the person's height: outline points farther from the body count as this far
    limit: float = 0.06  # metres: offsets are clamped to +-limit


def offset_frames(found: np.ndarray, config: OffsetConfig = OffsetConfig()) -> list[int]:
    """Which frames the offsets are fitted on: up to ``config.frames`` frames where a person was
    found, evenly spread over the clip's first ``config.span`` frames (over all its frames when
    nobody is found in those)."""
    found = np.asarray(found, bool)
    seen = np.nonzero(found[: config.span])[0]
    if len(seen) == 0:
        seen = np.nonzero(found)[0]
    if len(seen) <= config.frames:
        return [int(t) for t in seen]
    pick = np.round(np.linspace(0, len(seen) - 1, config.frames)).astype(int)
    return [int(seen[i]) for i in pick]


def _edges(faces: torch.Tensor) -> torch.Tensor:
    """(E, 2) directed edges, both directions of every mesh edge (each appears in two faces of a
    closed mesh, once per direction)."""
    return torch.cat([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])


def laplacian(values: torch.Tensor, edges: torch.Tensor, degree: torch.Tensor) -> torch.Tensor:
    """(V,) each vertex's value minus the mean of its neighbours'."""
    neighbours = torch.zeros_like(values).index_add_(0, edges[:, 0], values[edges[:, 1]])
    return values - neighbours / degree


def fit_offsets(body: BodyModel, params: BodyParams, camera: Camera, targets: FitTargets, config: OffsetConfig = OffsetConfig()) -> torch.Tensor:
    """(V,) offsets in metres for the person fitted by ``params`` (B frames, bare bodies) against
    ``targets`` (the same B frames' masks), seen by the static ``camera`` (B = 1)."""
    if targets.outside_distance is None:
        raise ValueError("fitting offsets needs the person masks")
    b = params.batch_size
    with torch.no_grad():
        vertices = body(params.replace(offsets=None)).vertices
        normals = vertex_normals(vertices, body.faces)
    cam = camera.expand(b)
    edges = _edges(body.faces)
    degree = torch.zeros(body.num_vertices).index_add_(0, edges[:, 0], torch.ones(len(edges)))
    matches = OutlineMatches()
    offsets = torch.zeros(body.num_vertices, requires_grad=True)
    optimiser = torch.optim.Adam([offsets], lr=config.lr)
    for _ in range(config.steps):
        projected = cam.project(vertices + offsets[None, :, None] * normals)[..., :2]
        inside, cover = silhouette_terms(projected, targets, matches, reach=config.reach)
        smooth = (laplacian(offsets, edges, degree) * 100.0).square().mean()
        loss = (
            inside * config.weight_inside + cover * config.weight_cover
            + smooth * config.weight_smooth + (offsets * 10.0).square().mean() * config.weight_size
        )  # fmt: skip
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return offsets.detach().clamp(-config.limit, config.limit)
