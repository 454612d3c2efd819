"""Perspective pinhole cameras and the pixel / normalised-grid conventions.

Conventions (owned here, used everywhere):

- Camera space follows OpenCV: ``x`` right, ``y`` down, ``z`` forward (depth > 0 in front).
- Pixel coordinates are continuous: the image spans ``[0, W] x [0, H]`` and the centre of pixel
  ``(row i, column j)`` is at ``(x, y) = (j + 0.5, i + 0.5)``. Image ``y`` points down.
- Sampling grids are normalised to ``[-1, 1]`` with ``align_corners=False`` semantics, so
  ``u = 2 x / W - 1`` and ``-1`` is the left edge of the left-most pixel. ``pixels_to_grid`` and
  ``grid_to_pixels`` are the only converters.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

ALIGN_CORNERS = False  # the one value used with every grid built by ``pixels_to_grid``


@dataclass(frozen=True)
class Camera:
    """A batch of pinhole cameras.

    Attributes:
        focal: (B, 2) focal lengths ``fx, fy`` in pixels.
        principal: (B, 2) principal point ``cx, cy`` in pixels (continuous convention above).
        rotation: (B, 3, 3) world-to-camera rotation ``R``.
        translation: (B, 3) world-to-camera translation ``t``: ``X_cam = R X_world + t``.
        image_size: ``(H, W)`` in pixels, shared by the batch.
    """

    focal: torch.Tensor
    principal: torch.Tensor
    rotation: torch.Tensor
    translation: torch.Tensor
    image_size: tuple[int, int]

    def __post_init__(self) -> None:
        b = self.focal.shape[0]
        assert self.focal.shape == (b, 2), self.focal.shape
        assert self.principal.shape == (b, 2), self.principal.shape
        assert self.rotation.shape == (b, 3, 3), self.rotation.shape
        assert self.translation.shape == (b, 3), self.translation.shape
        h, w = self.image_size
        if h <= 0 or w <= 0:
            raise ValueError(f"image size must be positive, got {self.image_size}")

    @property
    def batch_size(self) -> int:
        return self.focal.shape[0]

    def to_camera_space(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 3) world points -> (B, N, 3) camera-space points."""
        return torch.einsum("bij,bnj->bni", self.rotation, points) + self.translation[:, None]

    def project(self, points: torch.Tensor) -> torch.Tensor:
        """(B, N, 3) world points -> (B, N, 3): pixel ``x, y`` and camera depth ``z``."""
        cam = self.to_camera_space(points)
        z = cam[..., 2:3]
        xy = cam[..., :2] / z.clamp(min=1e-8) * self.focal[:, None] + self.principal[:, None]
        return torch.cat([xy, z], dim=-1)

    def index(self, i: int | slice | torch.Tensor) -> "Camera":
        """A sub-batch of cameras (keeps the batch dimension)."""
        if isinstance(i, int):
            i = slice(i, i + 1)
        return Camera(self.focal[i], self.principal[i], self.rotation[i], self.translation[i], self.image_size)

    def expand(self, batch_size: int) -> "Camera":
        """One camera (B = 1) repeated ``batch_size`` times, e.g. a static camera over T frames."""
        if self.batch_size != 1:
            raise ValueError(f"only a single camera can be expanded, this batch has {self.batch_size}")
        n = batch_size
        return Camera(self.focal.expand(n, 2), self.principal.expand(n, 2), self.rotation.expand(n, 3, 3), self.translation.expand(n, 3), self.image_size)

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "Camera":
        f = lambda t: t.to(device=device, dtype=dtype)  # noqa: E731
        return Camera(f(self.focal), f(self.principal), f(self.rotation), f(self.translation), self.image_size)

    @property
    def center(self) -> torch.Tensor:
        """(B, 3) camera centre in world coordinates, ``-R^T t``."""
        return -torch.einsum("bji,bj->bi", self.rotation, self.translation)

    @staticmethod
    def cat(cameras: list["Camera"]) -> "Camera":
        sizes = {c.image_size for c in cameras}
        if len(sizes) != 1:
            raise ValueError(f"cameras of different image sizes cannot be batched: {sizes}")
        return Camera(
            torch.cat([c.focal for c in cameras]),
            torch.cat([c.principal for c in cameras]),
            torch.cat([c.rotation for c in cameras]),
            torch.cat([c.translation for c in cameras]),
            cameras[0].image_size,
        )


def look_at(
    eye: torch.Tensor,
    target: torch.Tensor,
    up: torch.Tensor,
    focal: torch.Tensor | float,
    image_size: tuple[int, int],
) -> Camera:
    """Cameras at ``eye`` (B, 3) looking at ``target`` (B, 3) with world ``up`` (3,) or (B, 3).

    ``focal`` is in pixels (scalar or (B,)); the principal point is the image centre.
    """
    eye, target = torch.as_tensor(eye), torch.as_tensor(target)
    b = eye.shape[0]
    up = torch.as_tensor(up, dtype=eye.dtype).expand(b, 3)
    forward = torch.nn.functional.normalize(target - eye, dim=-1)  # camera +z
    right = torch.nn.functional.normalize(torch.cross(forward, up, dim=-1), dim=-1)  # camera +x
    down = torch.cross(forward, right, dim=-1)  # camera +y (image y down)
    rotation = torch.stack([right, down, forward], dim=1)
    translation = -torch.einsum("bij,bj->bi", rotation, eye)
    h, w = image_size
    focal = torch.as_tensor(focal, dtype=eye.dtype).reshape(-1).expand(b)
    return Camera(
        focal=torch.stack([focal, focal], dim=-1).clone(),
        principal=torch.tensor([w / 2.0, h / 2.0], dtype=eye.dtype).expand(b, 2).clone(),
        rotation=rotation,
        translation=translation,
        image_size=(h, w),
    )


def pixels_to_grid(xy: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """(..., 2) continuous pixel ``x, y`` -> (..., 2) grid ``u, v`` in [-1, 1] (align_corners=False)."""
    h, w = image_size
    scale = xy.new_tensor([2.0 / w, 2.0 / h])
    return xy * scale - 1.0


def grid_to_pixels(uv: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """Inverse of :func:`pixels_to_grid`."""
    h, w = image_size
    scale = uv.new_tensor([w / 2.0, h / 2.0])
    return (uv + 1.0) * scale


def pixel_centers(image_size: tuple[int, int], dtype=torch.float32, device=None) -> torch.Tensor:
    """(H, W, 2) continuous ``x, y`` of every pixel centre."""
    h, w = image_size
    ys = torch.arange(h, dtype=dtype, device=device) + 0.5
    xs = torch.arange(w, dtype=dtype, device=device) + 0.5
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy], dim=-1)
