"""The synthetic data engine: clothed body-model people in motion, seen by static cameras.

Each subject is one person (random shape, skin, hair, clothes painted in UV space) doing one
motion of T frames, filmed by V static cameras spread around them, under one light, in front of
a background per camera. Everything is exact: body parameters, cameras, masks and part maps.

On-disk format (``FORMAT_VERSION`` 1), read back by :func:`read_dataset`::

    OUT/
      manifest.json                  format name + version, the resolved SynthConfig, part names,
                                     joint and shape names, and per subject: motion kind, outfit
      preview.png                    contact sheet (only with --preview)
      subject_0000/
        params.npz                   root_rotation (T,3) axis-angle, root_translation (T,3) m,
                                     joint_rotations (T,19,3) axis-angle, shape (6,) in [0,1]
                                     (see liquidwarp.body.BodyParams for the conventions)
        cameras.npz                  focal (V,2) px, principal (V,2) px, rotation (V,3,3),
                                     translation (V,3), image_size (2,) = H, W
                                     (world -> camera, OpenCV axes; liquidwarp.geometry.Camera)
        texture.png                  the subject's albedo texture in the body model's UV space
        view_00/
          rgb_0000.png               8-bit RGB render (shaded, anti-aliased)
          mask_0000.png              8-bit person mask: 255 = person, 0 = background
          parts_0000.png             8-bit body-part map: 0 = background, k + 1 = PART_NAMES[k]

The world is the body model's frame (z up, metres); the floor is the plane z = 0.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from liquidwarp.body.joints import BODY_JOINTS
from liquidwarp.body.model import PART_NAMES, SHAPE_NAMES, BodyModel, BodyParams
from liquidwarp.data import motions, textures
from liquidwarp.data.appearance import make_appearance
from liquidwarp.rendering.uv_atlas import UVAtlas
from liquidwarp.geometry.cameras import Camera, look_at
from liquidwarp.rendering.rasterize import rasterize
from liquidwarp.rendering.shading import Lighting, render_face_labels, render_textured

FORMAT_NAME = "liquidwarp-synth"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SynthConfig:
    """What ``liquidwarp synth`` renders."""

    subjects: int = 4  # number of people (one motion each)
    frames: int = 30  # frames per motion
    views: int = 2  # static cameras around each person
    size: int = 256  # square image side in pixels
    seed: int = 0  # everything is a function of the seed (and the subject's index)
    fps: float = 30.0  # frame rate of the motions
    texture_size: int = 512  # side of the UV texture
    supersample: int = 2  # render RGB at this factor and downsample (anti-aliasing)
    shading: bool = True  # Lambert shading of the RGB renders

    def validate(self) -> None:
        for name in ("subjects", "frames", "views"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be at least 1, got {getattr(self, name)}")
        if not 16 <= self.size <= 2048:
            raise ValueError(f"--size must be between 16 and 2048 pixels, got {self.size}")
        if self.fps <= 0:
            raise ValueError(f"--fps must be positive, got {self.fps}")
        if self.supersample < 1 or self.supersample > 4:
            raise ValueError(f"supersample must be 1..4, got {self.supersample}")
        if self.texture_size < 64:
            raise ValueError(f"texture size must be at least 64, got {self.texture_size}")


@dataclass(frozen=True)
class Subject:
    """One rendered person, in memory."""

    params: BodyParams  # T frames
    vertices: torch.Tensor  # (T, V, 3) the posed meshes, world coordinates
    cameras: Camera  # V cameras
    texture: np.ndarray  # (S, S, 3) float32 albedo
    lighting: Lighting  # one light for all views (B = 1)
    backgrounds: np.ndarray  # (V, H, W, 3) float32
    motion_kind: str
    outfit: dict


class SyntheticEngine:
    """Generates and renders subjects; holds the body model and the UV atlas."""

    def __init__(self, config: SynthConfig, body: BodyModel | None = None) -> None:
        config.validate()
        self.config = config
        self.body = body if body is not None else BodyModel()
        self.atlas = UVAtlas.build(self.body.face_uvs, config.texture_size)

    def subject_rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, index])

    def make_subject(self, index: int) -> Subject:
        """Draw subject ``index`` (deterministic for the config's seed)."""
        cfg = self.config
        rng = self.subject_rng(index)
        shape = np.array(
            [
                rng.uniform(0.0, 1.0),  # gender
                rng.uniform(0.35, 0.85),  # age (adults)
                rng.uniform(0.2, 0.8),  # muscle
                rng.uniform(0.15, 0.8),  # weight
                rng.uniform(0.2, 0.9),  # height
                rng.uniform(0.3, 0.7),  # proportions
            ],
            dtype=np.float32,
        )
        shape_t = torch.from_numpy(shape)[None]
        with torch.no_grad():
            rest = self.body(BodyParams.rest(1).replace(shape=shape_t))
        texture, outfit = make_appearance(rng, self.body, self.atlas, rest.vertices[0], rest.keypoints[0])

        motion = motions.make_motion(rng, cfg.frames, fps=cfg.fps)
        t = cfg.frames
        heading = rng.uniform(-math.pi, math.pi)
        yaw = torch.from_numpy(motion.root_yaw.astype(np.float32)) + heading
        root_rotation = torch.zeros(t, 3)
        root_rotation[:, 2] = yaw
        c, s = math.cos(heading), math.sin(heading)
        walk = torch.from_numpy(motion.root_translation.astype(np.float32))
        translation = torch.stack([c * walk[:, 0] - s * walk[:, 1], s * walk[:, 0] + c * walk[:, 1], walk[:, 2]], dim=-1)
        params = BodyParams(
            root_rotation=root_rotation,
            root_translation=translation,
            joint_rotations=torch.from_numpy(motion.joint_rotations.astype(np.float32)),
            shape=shape_t.expand(t, -1).clone(),
        )
        with torch.no_grad():
            vertices = self.body(params).vertices
        floor = vertices[0, :, 2].min()  # stand on z = 0 in the first frame
        params = params.replace(root_translation=params.root_translation - torch.tensor([0.0, 0.0, 1.0]) * floor)
        vertices = vertices - torch.tensor([0.0, 0.0, 1.0]) * floor

        cameras = self._place_cameras(rng, vertices)
        direction = torch.tensor(
            [rng.uniform(-1, 1), rng.uniform(-1.0, 0.2), rng.uniform(0.3, 1.2)], dtype=torch.float32
        )
        lighting = Lighting(
            direction=F.normalize(direction, dim=0)[None],
            ambient=torch.tensor([rng.uniform(0.35, 0.6)]),
            diffuse=torch.tensor([rng.uniform(0.4, 0.75)]),
        )
        backgrounds = np.stack([textures.make_background(rng, (cfg.size, cfg.size)) for _ in range(cfg.views)])
        return Subject(params, vertices, cameras, texture, lighting, backgrounds, motion.kind, asdict(outfit))

    def _place_cameras(self, rng: np.random.Generator, vertices: torch.Tensor) -> Camera:
        """V static cameras spread around the motion's bounding box, each zoomed to frame all of it."""
        cfg = self.config
        lo, hi = vertices.reshape(-1, 3).min(0).values, vertices.reshape(-1, 3).max(0).values
        target = (lo + hi) / 2
        start = rng.uniform(-math.pi, math.pi)
        eyes = []
        for v in range(cfg.views):
            azimuth = start + 2 * math.pi * v / cfg.views + rng.uniform(-0.15, 0.15)
            elevation = math.radians(rng.uniform(-2, 15))
            distance = rng.uniform(2.8, 4.2)
            offset = torch.tensor([math.cos(elevation) * math.sin(azimuth), -math.cos(elevation) * math.cos(azimuth), math.sin(elevation)])
            eyes.append(target + distance * offset)
        eye = torch.stack(eyes)
        unit = look_at(eye, target.expand(cfg.views, 3), torch.tensor([0.0, 0.0, 1.0]), 1.0, (cfg.size, cfg.size))
        cam_space = torch.stack([unit.index(v).to_camera_space(vertices.reshape(1, -1, 3))[0] for v in range(cfg.views)])
        extent = (cam_space[..., :2] / cam_space[..., 2:3]).abs().amax(dim=(1, 2))  # (V,)
        focal = 0.46 * cfg.size / extent * rng.uniform(0.85, 1.0)
        return look_at(eye, target.expand(cfg.views, 3), torch.tensor([0.0, 0.0, 1.0]), focal, (cfg.size, cfg.size))

    def render_view(self, subject: Subject, view: int, frames: slice | None = None, background: bool = True) -> dict[str, torch.Tensor]:
        """Render frames of one view: ``rgb`` (T, 3, H, W) in [0, 1] (over the view's background,
        or black), ``mask`` (T, H, W) bool, ``parts`` (T, H, W) long (-1 background)."""
        cfg = self.config
        vertices = subject.vertices if frames is None else subject.vertices[frames]
        t = vertices.shape[0]
        screen = subject.cameras.index(view).expand(t).project(vertices)
        frags = rasterize(screen, self.body.faces, (cfg.size, cfg.size))
        texture = torch.from_numpy(subject.texture).permute(2, 0, 1)[None].expand(t, -1, -1, -1)
        lighting = None
        if cfg.shading:
            lighting = Lighting(subject.lighting.direction.expand(t, 3), subject.lighting.ambient.expand(t), subject.lighting.diffuse.expand(t))
        backdrop = torch.from_numpy(subject.backgrounds[view]).permute(2, 0, 1)[None].expand(t, -1, -1, -1) if background else None
        k = cfg.supersample
        if k > 1:
            big = (cfg.size * k, cfg.size * k)
            screen_big = screen * torch.tensor([k, k, 1.0])
            frags_big = rasterize(screen_big, self.body.faces, big)
            bg_big = None if backdrop is None else F.interpolate(backdrop, size=big, mode="bilinear", align_corners=False)
            rgb, _ = render_textured(frags_big, self.body.faces, self.body.face_uvs, texture, vertices, lighting, bg_big)
            rgb = F.avg_pool2d(rgb, k)
        else:
            rgb, _ = render_textured(frags, self.body.faces, self.body.face_uvs, texture, vertices, lighting, backdrop)
        return {"rgb": rgb, "mask": frags.mask, "parts": render_face_labels(frags, self.body.face_parts)}


def _to_uint8(image: torch.Tensor) -> np.ndarray:
    return (image.clamp(0, 1) * 255 + 0.5).to(torch.uint8).numpy()


def _save_png(array: np.ndarray, path: Path) -> None:
    Image.fromarray(array).save(path, compress_level=1)


def write_dataset(config: SynthConfig, out: Path, preview: bool = False, progress: bool = True, body: BodyModel | None = None) -> dict:
    """Render the whole dataset into ``out`` (which must exist and be empty). Returns stats."""
    from tqdm import tqdm

    start = time.perf_counter()
    engine = SyntheticEngine(config, body)
    manifest: dict = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "config": asdict(config),
        "part_names": list(PART_NAMES),
        "joint_names": list(BODY_JOINTS),
        "shape_names": list(SHAPE_NAMES),
        "world": "body model frame: z up, metres, floor at z = 0",
        "subjects": [],
    }
    sheet_tiles: list[np.ndarray] = []
    total = config.subjects * config.views * config.frames
    bar = tqdm(total=total, unit="frame", desc="synth", disable=not progress)
    for s in range(config.subjects):
        subject = engine.make_subject(s)
        sdir = out / f"subject_{s:04d}"
        sdir.mkdir()
        np.savez(
            sdir / "params.npz",
            root_rotation=subject.params.root_rotation.numpy(),
            root_translation=subject.params.root_translation.numpy(),
            joint_rotations=subject.params.joint_rotations.numpy(),
            shape=subject.params.shape[0].numpy(),
        )
        cams = subject.cameras
        np.savez(
            sdir / "cameras.npz",
            focal=cams.focal.numpy(),
            principal=cams.principal.numpy(),
            rotation=cams.rotation.numpy(),
            translation=cams.translation.numpy(),
            image_size=np.array(cams.image_size),
        )
        _save_png(_to_uint8(torch.from_numpy(subject.texture)), sdir / "texture.png")
        manifest["subjects"].append({"name": sdir.name, "motion": subject.motion_kind, "outfit": subject.outfit})
        for v in range(config.views):
            vdir = sdir / f"view_{v:02d}"
            vdir.mkdir()
            for chunk in range(0, config.frames, 16):
                frames = slice(chunk, min(chunk + 16, config.frames))
                rendered = engine.render_view(subject, v, frames)
                rgb = _to_uint8(rendered["rgb"].permute(0, 2, 3, 1))
                mask = rendered["mask"].numpy().astype(np.uint8) * 255
                parts = (rendered["parts"] + 1).numpy().astype(np.uint8)
                for i, t in enumerate(range(frames.start, frames.stop)):
                    _save_png(rgb[i], vdir / f"rgb_{t:04d}.png")
                    _save_png(mask[i], vdir / f"mask_{t:04d}.png")
                    _save_png(parts[i], vdir / f"parts_{t:04d}.png")
                    if preview and v == 0 and t in _preview_frames(config.frames):
                        sheet_tiles.append(rgb[i])
                bar.update(frames.stop - frames.start)
    bar.close()
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    if preview:
        _save_png(_contact_sheet(sheet_tiles, columns=len(_preview_frames(config.frames))), out / "preview.png")
    elapsed = time.perf_counter() - start
    return {"frames": total, "seconds": elapsed, "frames_per_s": total / elapsed}


def _preview_frames(frames: int) -> list[int]:
    return sorted({0, frames // 3, (2 * frames) // 3, frames - 1})


def _contact_sheet(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    h, w = tiles[0].shape[:2]
    rows = math.ceil(len(tiles) / columns)
    sheet = np.zeros((rows * h, columns * w, 3), dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = tile
    return sheet


@dataclass(frozen=True)
class SubjectRecord:
    """One subject of a dataset on disk (images are loaded on demand)."""

    root: Path
    params: BodyParams  # T frames
    cameras: Camera  # V cameras
    frames: int
    views: int

    def image_path(self, kind: str, view: int, frame: int) -> Path:
        if kind not in ("rgb", "mask", "parts"):
            raise ValueError(f"unknown image kind {kind!r}")
        if not (0 <= view < self.views and 0 <= frame < self.frames):
            raise IndexError(f"view {view} frame {frame} out of range ({self.views} views, {self.frames} frames)")
        return self.root / f"view_{view:02d}" / f"{kind}_{frame:04d}.png"

    def load(self, kind: str, view: int, frame: int) -> np.ndarray:
        """rgb: (H, W, 3) uint8; mask: (H, W) bool; parts: (H, W) int (-1 background)."""
        array = np.asarray(Image.open(self.image_path(kind, view, frame)))
        if kind == "mask":
            return array > 127
        if kind == "parts":
            return array.astype(np.int64) - 1
        return array


@dataclass(frozen=True)
class SyntheticDataset:
    root: Path
    manifest: dict
    subjects: list[SubjectRecord]


def read_dataset(root: str | Path) -> SyntheticDataset:
    """Read a dataset written by :func:`write_dataset` (checks the format name and version)."""
    root = Path(root)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{root} is not a liquidwarp synthetic dataset (no manifest.json)")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT_NAME:
        raise ValueError(f"{manifest_path}: not a {FORMAT_NAME} manifest")
    if manifest.get("version") != FORMAT_VERSION:
        raise ValueError(f"{manifest_path}: format version {manifest.get('version')}, this liquidwarp reads {FORMAT_VERSION}")
    cfg = manifest["config"]
    subjects = []
    for entry in manifest["subjects"]:
        sdir = root / entry["name"]
        with np.load(sdir / "params.npz") as p:
            t = p["root_rotation"].shape[0]
            params = BodyParams(
                root_rotation=torch.from_numpy(p["root_rotation"]),
                root_translation=torch.from_numpy(p["root_translation"]),
                joint_rotations=torch.from_numpy(p["joint_rotations"]),
                shape=torch.from_numpy(p["shape"])[None].expand(t, -1).clone(),
            )
        with np.load(sdir / "cameras.npz") as c:
            cameras = Camera(
                focal=torch.from_numpy(c["focal"]),
                principal=torch.from_numpy(c["principal"]),
                rotation=torch.from_numpy(c["rotation"]),
                translation=torch.from_numpy(c["translation"]),
                image_size=tuple(int(x) for x in c["image_size"]),
            )
        subjects.append(SubjectRecord(sdir, params, cameras, frames=t, views=cameras.batch_size))
    if len(subjects) != cfg["subjects"]:
        raise ValueError(f"{root}: manifest lists {len(subjects)} subjects, config says {cfg['subjects']}")
    return SyntheticDataset(root, manifest, subjects)
