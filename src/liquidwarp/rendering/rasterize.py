"""Triangle rasterisation into ``Fragments``: which face covers each pixel, where, how deep.

Two implementations of one definition, tested against each other:

- ``rasterize_reference``: vectorised PyTorch, the definition (slow, simple to read);
- ``rasterize``: a numba z-buffer (the fast CPU path, the default).

The definition. Pixel ``(i, j)`` samples the point ``(x, y) = (j + 0.5, i + 0.5)`` (see
``liquidwarp.geometry.cameras``). A triangle covers it when all three screen-space barycentric
coordinates are ``>= 0`` (edges included, both windings, no back-face culling) and every corner
is in front of the near plane. Among covering triangles the smallest depth wins; equal depths go
to the smallest face index. Barycentric weights are perspective-correct (weights of the 3D
surface point, so ``sum_k w_k V_k`` is the point seen), and depth is camera-space ``z`` of that
point. Background pixels have ``face_index = -1``, zero weights and zero depth.
All arithmetic is float64 so both paths agree bit for bit in all but the rarest ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import torch

NEAR = 1e-3  # metres; faces with a corner nearer than this are dropped


@dataclass(frozen=True)
class Fragments:
    """Per-pixel rasterisation result for a batch of B images of size H x W.

    Attributes:
        face_index: (B, H, W) long, the visible face, -1 = background.
        barycentric: (B, H, W, 3) float32 perspective-correct weights of the face's corners.
        depth: (B, H, W) float32 camera-space depth of the visible point (0 on background).
    """

    face_index: torch.Tensor
    barycentric: torch.Tensor
    depth: torch.Tensor

    def __post_init__(self) -> None:
        b, h, w = self.face_index.shape
        assert self.barycentric.shape == (b, h, w, 3), self.barycentric.shape
        assert self.depth.shape == (b, h, w), self.depth.shape

    @property
    def mask(self) -> torch.Tensor:
        """(B, H, W) bool, True where a face is visible."""
        return self.face_index >= 0

    @property
    def image_size(self) -> tuple[int, int]:
        return tuple(self.face_index.shape[1:])  # type: ignore[return-value]


def _check_inputs(screen_vertices: torch.Tensor, faces: torch.Tensor, image_size: tuple[int, int]) -> None:
    if screen_vertices.ndim != 3 or screen_vertices.shape[-1] != 3:
        raise ValueError(f"screen_vertices must be (B, V, 3), got {tuple(screen_vertices.shape)}")
    if faces.ndim != 2 or faces.shape[-1] != 3:
        raise ValueError(f"faces must be (F, 3), got {tuple(faces.shape)}")
    h, w = image_size
    if h <= 0 or w <= 0:
        raise ValueError(f"image size must be positive, got {image_size}")


def rasterize(screen_vertices: torch.Tensor, faces: torch.Tensor, image_size: tuple[int, int]) -> Fragments:
    """Rasterise B meshes sharing one topology (fast numba path).

    Args:
        screen_vertices: (B, V, 3) pixel ``x``, pixel ``y``, camera depth ``z`` (``Camera.project``).
        faces: (F, 3) vertex indices.
        image_size: ``(H, W)``.
    Returns:
        ``Fragments`` on the device of ``screen_vertices``. Not differentiable (indices and weights
        are recomputed from vertices where gradients are needed).
    """
    _check_inputs(screen_vertices, faces, image_size)
    h, w = image_size
    verts = screen_vertices.detach().to("cpu", torch.float64).contiguous().numpy()
    tri = faces.detach().to("cpu", torch.int64).contiguous().numpy()
    b = verts.shape[0]
    face_index = np.full((b, h, w), -1, dtype=np.int64)
    bary = np.zeros((b, h, w, 3), dtype=np.float32)
    depth = np.zeros((b, h, w), dtype=np.float32)
    _rasterize_numba(verts, tri, face_index, bary, depth, NEAR)
    device = screen_vertices.device
    return Fragments(
        torch.from_numpy(face_index).to(device),
        torch.from_numpy(bary).to(device),
        torch.from_numpy(depth).to(device),
    )


@numba.njit(parallel=True, cache=True, fastmath=False)
def _rasterize_numba(verts, tri, face_index, bary, depth, near):  # pragma: no cover - compiled
    n_batch, h, w = face_index.shape
    for b in numba.prange(n_batch):
        zbuf = np.full((h, w), np.inf)
        for f in range(tri.shape[0]):
            i0, i1, i2 = tri[f, 0], tri[f, 1], tri[f, 2]
            x0, y0, z0 = verts[b, i0, 0], verts[b, i0, 1], verts[b, i0, 2]
            x1, y1, z1 = verts[b, i1, 0], verts[b, i1, 1], verts[b, i1, 2]
            x2, y2, z2 = verts[b, i2, 0], verts[b, i2, 1], verts[b, i2, 2]
            if z0 < near or z1 < near or z2 < near:
                continue
            area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
            if area == 0.0:
                continue
            row_lo = max(int(np.ceil(min(y0, y1, y2) - 0.5)), 0)
            row_hi = min(int(np.floor(max(y0, y1, y2) - 0.5)), h - 1)
            col_lo = max(int(np.ceil(min(x0, x1, x2) - 0.5)), 0)
            col_hi = min(int(np.floor(max(x0, x1, x2) - 0.5)), w - 1)
            for i in range(row_lo, row_hi + 1):
                py = i + 0.5
                for j in range(col_lo, col_hi + 1):
                    px = j + 0.5
                    w0 = ((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)) / area
                    w1 = ((x0 - x2) * (py - y2) - (y0 - y2) * (px - x2)) / area
                    w2 = ((x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)) / area
                    if w0 < 0.0 or w1 < 0.0 or w2 < 0.0:
                        continue
                    q0, q1, q2 = w0 / z0, w1 / z1, w2 / z2
                    inv_z = q0 + q1 + q2
                    z = 1.0 / inv_z
                    if z < zbuf[i, j]:
                        zbuf[i, j] = z
                        face_index[b, i, j] = f
                        bary[b, i, j, 0] = q0 / inv_z
                        bary[b, i, j, 1] = q1 / inv_z
                        bary[b, i, j, 2] = q2 / inv_z
                        depth[b, i, j] = z


def rasterize_reference(screen_vertices: torch.Tensor, faces: torch.Tensor, image_size: tuple[int, int]) -> Fragments:
    """The definition in vectorised PyTorch: enumerate each face's bounding-box pixels, keep the
    covered ones, then resolve visibility per pixel with scatter-min. Same signature as ``rasterize``."""
    _check_inputs(screen_vertices, faces, image_size)
    h, w = image_size
    device = screen_vertices.device
    verts = screen_vertices.detach().to(torch.float64)
    faces = faces.to(device=device, dtype=torch.long)
    n_batch = verts.shape[0]
    face_index = torch.full((n_batch, h, w), -1, dtype=torch.long, device=device)
    bary = torch.zeros((n_batch, h, w, 3), dtype=torch.float32, device=device)
    depth = torch.zeros((n_batch, h, w), dtype=torch.float32, device=device)
    for b in range(n_batch):
        corners = verts[b][faces]  # (F, 3 corners, 3 xyz)
        pix, fid, weights, z = _covered_pixels(corners, h, w)
        if pix.numel() == 0:
            continue
        zbuf = torch.full((h * w,), float("inf"), dtype=torch.float64, device=device)
        zbuf.scatter_reduce_(0, pix, z, reduce="amin")
        nearest = z == zbuf[pix]
        pix, fid, weights, z = pix[nearest], fid[nearest], weights[nearest], z[nearest]
        winner = torch.full((h * w,), torch.iinfo(torch.long).max, dtype=torch.long, device=device)
        winner.scatter_reduce_(0, pix, fid, reduce="amin")
        keep = fid == winner[pix]
        pix, fid, weights, z = pix[keep], fid[keep], weights[keep], z[keep]
        face_index[b].view(-1)[pix] = fid
        bary[b].view(-1, 3)[pix] = weights.float()
        depth[b].view(-1)[pix] = z.float()
    return Fragments(face_index, bary, depth)


def _covered_pixels(corners: torch.Tensor, h: int, w: int):
    """(F, 3, 3) screen-space corners -> flat pixel index, face id, perspective-correct weights and
    depth of every (pixel, face) pair where the face covers the pixel centre."""
    device = corners.device
    x, y, z = corners[..., 0], corners[..., 1], corners[..., 2]
    area = (x[:, 1] - x[:, 0]) * (y[:, 2] - y[:, 0]) - (y[:, 1] - y[:, 0]) * (x[:, 2] - x[:, 0])
    row_lo = torch.ceil(y.min(1).values - 0.5).clamp(min=0)
    row_hi = torch.floor(y.max(1).values - 0.5).clamp(max=h - 1)
    col_lo = torch.ceil(x.min(1).values - 0.5).clamp(min=0)
    col_hi = torch.floor(x.max(1).values - 0.5).clamp(max=w - 1)
    extent = torch.maximum(row_hi - row_lo, col_hi - col_lo) + 1
    usable = (z.min(1).values >= NEAR) & (area != 0) & (row_hi >= row_lo) & (col_hi >= col_lo)
    out = []
    # Bucket faces by bounding-box size so each bucket enumerates a fixed K x K window.
    size = 1
    while True:
        bucket = usable & (extent <= size) & (extent > size // 2)
        if bucket.any():
            out.append(_covered_in_window(bucket.nonzero()[:, 0], x, y, z, area, row_lo, row_hi, col_lo, col_hi, size, w))
        if size >= max(h, w):
            break
        size *= 2
    if not out:
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return empty, empty, torch.zeros(0, 3, dtype=torch.float64, device=device), torch.zeros(0, dtype=torch.float64, device=device)
    return tuple(torch.cat(parts) for parts in zip(*out))


def _covered_in_window(fid, x, y, z, area, row_lo, row_hi, col_lo, col_hi, size, w):
    offs = torch.arange(size, device=x.device, dtype=torch.float64)
    rows = row_lo[fid, None, None] + offs[None, :, None]  # (Fk, K, 1)
    cols = col_lo[fid, None, None] + offs[None, None, :]  # (Fk, 1, K)
    inside_box = (rows <= row_hi[fid, None, None]) & (cols <= col_hi[fid, None, None])
    px, py = cols + 0.5, rows + 0.5
    af = area[fid, None, None]
    xf, yf, zf = x[fid][:, :, None, None], y[fid][:, :, None, None], z[fid][:, :, None, None]
    x0, x1, x2 = xf[:, 0], xf[:, 1], xf[:, 2]
    y0, y1, y2 = yf[:, 0], yf[:, 1], yf[:, 2]
    w0 = ((x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)) / af
    w1 = ((x0 - x2) * (py - y2) - (y0 - y2) * (px - x2)) / af
    w2 = ((x1 - x0) * (py - y0) - (y1 - y0) * (px - x0)) / af
    covered = inside_box & (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
    q = torch.stack([w0 / zf[:, 0], w1 / zf[:, 1], w2 / zf[:, 2]], dim=-1)  # (Fk, K, K, 3)
    inv_z = q.sum(-1)
    sel = covered.nonzero(as_tuple=True)
    k = sel[0]
    pix = (rows.expand_as(covered)[sel] * w + cols.expand_as(covered)[sel]).long()
    weights = q[sel] / inv_z[sel][:, None]
    depth = 1.0 / inv_z[sel]
    return pix, fid[k], weights, depth
