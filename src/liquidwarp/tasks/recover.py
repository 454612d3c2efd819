"""Body mesh recovery for a photo or a video: perception, fitting, cache, overlay, mesh export.

``recover`` is what ``liquidwarp fit`` runs and what imitation uses to read its inputs. Results are
cached by the file's content (``LIQUIDWARP_CACHE_DIR``, default ``~/.cache/liquidwarp``), so the
same footage is perceived and fitted once.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel, BodyParams
from liquidwarp.errors import InputError
from liquidwarp.fitting.fit import FitConfig, fit_frames, relative_keypoint_error
from liquidwarp.fitting.records import FittedSequence, load_sequence, save_sequence, square_crop
from liquidwarp.fitting.targets import FitTargets, build_targets, default_camera
from liquidwarp.io import media
from liquidwarp.perception.observation import PersonChoice, PersonObservation, load_observations, missing_body_parts, save_observations
from liquidwarp.rendering.rasterize import Fragments, rasterize

CACHE_VERSION = "fit-2"  # bump when perception or fitting change what they produce


def cache_root() -> Path:
    return Path(os.environ.get("LIQUIDWARP_CACHE_DIR", Path.home() / ".cache" / "liquidwarp"))


def _content_key(path: Path, max_frames: int | None, person: "PersonPick | None" = None) -> str:
    digest = hashlib.sha256()
    folder = Path(path).is_dir()
    for file in frame_files(path) if folder else [Path(path)]:
        if folder:
            digest.update(file.name.encode())
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    digest.update(f"{CACHE_VERSION}|{max_frames}|{person}|{asdict(FitConfig())}".encode())
    return digest.hexdigest()[:24]


FRAME_FOLDER_FPS = 25.0  # a folder of frames carries no rate; iPER's videos are 25 frames/s


def frame_files(folder: Path) -> list[Path]:
    """The images in ``folder``, in name order (a video stored as frames)."""
    return sorted(f for f in Path(folder).iterdir() if f.is_file() and media.is_image_path(f))


@dataclass(frozen=True)
class Footage:
    """Decoded input: RGB uint8 frames (T, H, W, 3) and the frame rate (1 for a photo)."""

    frames: np.ndarray
    fps: float
    path: Path
    is_video: bool


def load_footage(path: Path, max_frames: int | None = None) -> Footage:
    """Read a photo, a video (by extension) or a folder of video frames (images, in name order, at
    ``FRAME_FOLDER_FPS``); InputError for anything unreadable."""
    path = Path(path)
    if path.is_dir():
        files = frame_files(path)[:max_frames]
        if not files:
            raise InputError(f"{path}: a folder of frames needs images ({', '.join(sorted(media.IMAGE_EXTENSIONS))})")
        return Footage(np.stack([media.read_image(f) for f in files]), FRAME_FOLDER_FPS, path, True)
    if media.is_video_path(path):
        info = media.probe_video(path)
        frames = list(media.iter_video_frames(path, max_frames=max_frames))
        if not frames:
            raise InputError(f"{path}: no frames could be decoded")
        return Footage(np.stack(frames), info.fps, path, True)
    if media.is_image_path(path):
        return Footage(media.read_image(path)[None], 1.0, path, False)
    raise InputError(f"{path}: not a photo or video this tool reads (by its extension)")


@dataclass(frozen=True)
class PersonPick:
    """The user's choice of person: the one at pixel (x, y) of frame ``frame``."""

    frame: int
    x: float
    y: float

    @staticmethod
    def parse(text: str) -> "PersonPick":
        """``X,Y`` (frame 0) or ``FRAME:X,Y``; ValueError with the expected form otherwise."""
        try:
            frame_text, _, point = text.rpartition(":")
            x, y = (float(v) for v in point.split(","))
            frame = int(frame_text) if frame_text else 0
        except ValueError:
            raise ValueError(f"expected X,Y or FRAME:X,Y (pixels), got {text!r}") from None
        if frame < 0:
            raise ValueError(f"frame must be 0 or more, got {frame}")
        return PersonPick(frame, x, y)


def observe(footage: Footage, progress: bool = True, person: PersonPick | None = None) -> tuple[list[PersonObservation | None], PersonChoice | None]:
    """The main person in every frame, or the one the user picked, and who that is and why. For a
    video without a pick, who that is is decided over the whole clip (``main_person``); they are
    then tracked forwards from where they are first seen (or picked), and backwards from there to
    the start.

    Returns:
        T observations (None where nobody was found) and the choice (None if nobody was found).
    """
    from tqdm import tqdm

    from liquidwarp.perception.mediapipe_pose import MediaPipePose, candidate_at, main_person

    frames = footage.frames
    if person is not None:
        if person.frame >= len(frames):
            raise InputError(f"{footage.path}: --person frame {person.frame} is past the last frame ({len(frames) - 1})")
        with MediaPipePose(video=False) as still:
            people = still.people_in(frames[person.frame])
            picked = candidate_at(people, (person.x, person.y))
            if picked is None:
                raise InputError(f"{footage.path}: no person at x {person.x:g}, y {person.y:g} of frame {person.frame}")
            box = picked.box
            choice = PersonChoice(
                people=len(people), box=box, frame=person.frame, image_size=frames.shape[1:3], missing=picked.missing,
                overlapping=picked.overlapping, picked=True,
            )  # fmt: skip
            if not footage.is_video:
                found = still.observe_in(frames[0], box)
                return [found], choice if found is None else replace(choice, missing=tuple(missing_body_parts(found)))
        main = choice
    elif not footage.is_video:
        with MediaPipePose(video=False) as pose:
            found = pose.observe(frames[0])
            return [found], pose.choice if found is not None else None
    else:
        with MediaPipePose(video=False) as still:
            main = main_person(still, frames)
        if main is None:
            return [None] * len(frames), None
    start, box = main.frame, main.box
    bar = tqdm(total=len(frames), desc="perception", unit="frame", disable=not progress)

    def track(order: range) -> list[PersonObservation | None]:
        with MediaPipePose(video=True) as pose:
            pose.follow(box)
            out = []
            for i in order:
                out.append(pose.observe(frames[i]))
                bar.update(1)
            return out

    forward = track(range(start, len(frames)))
    backward = track(range(start - 1, -1, -1)) if start > 0 else []
    bar.close()
    return backward[::-1] + forward, main


def _targets(observations: list[PersonObservation], image_size: tuple[int, int]) -> FitTargets:
    return build_targets(
        np.stack([o.landmarks_2d for o in observations]),
        np.stack([o.visibility for o in observations]),
        np.stack([o.landmarks_3d for o in observations]),
        np.stack([o.mask for o in observations]),
        image_size,
    )


def _fill_missing(params: BodyParams, found: np.ndarray) -> BodyParams:
    """``params`` holds the frames where a person was seen, in order; every frame of the clip takes
    the nearest of those."""
    seen_frames = np.nonzero(found)[0]
    position = np.abs(np.arange(len(found))[:, None] - seen_frames[None]).argmin(1)
    return params.index(torch.from_numpy(position))


@dataclass(frozen=True)
class Recovery:
    """Everything ``recover`` produces for one input."""

    footage: Footage
    observations: list[PersonObservation | None]
    sequence: FittedSequence
    fit_seconds: float
    perception_seconds: float
    cached: bool
    cache_dir: Path | None  # where this input's results are kept (None: caching off)
    choice: PersonChoice | None = None  # who was used and why (None: nobody was found)


def recover(
    path: Path,
    body: BodyModel,
    max_frames: int | None = None,
    require_full_body: bool = True,
    progress: bool = True,
    use_cache: bool = True,
    person: PersonPick | None = None,
    person_option: str | None = "--person",
    report: bool = True,
) -> Recovery:
    """Perceive and fit a photo or video (cached by content and by the person picked).

    Args:
        person: the person to use; None lets perception choose (see ``liquidwarp.perception``).
        person_option: how the user picks another person, for the line that says who was used: the
            command's option (``--person``, ``--reference-person``), a phrase, or None where no
            option picks one (see ``PersonChoice.describe``).
        report: when several people are in view, print that line (``liquidwarp: ...``) on stderr,
            cached or not.
    """
    footage = load_footage(path, max_frames)
    key = _content_key(Path(path), max_frames, person)
    cache = cache_root() / "fits" / key
    motion_file, obs_file, choice_file = cache / "motion.npz", cache / "observations.npz", cache / "person.json"
    name = Path(path).name

    def tell(choice: PersonChoice | None) -> None:
        if report and choice is not None and choice.people > 1:
            from liquidwarp.io.console import note

            note(choice.describe(name, footage.is_video, person_option))

    if use_cache and motion_file.is_file() and obs_file.is_file() and choice_file.is_file():
        choice = _load_choice(choice_file)
        tell(choice)
        return Recovery(footage, load_observations(obs_file), load_sequence(motion_file), 0.0, 0.0, True, cache, choice)

    t0 = time.perf_counter()
    observations, choice = observe(footage, progress, person)
    t1 = time.perf_counter()
    found = np.array([o is not None for o in observations])
    if not found.any():
        raise InputError(f"{path}: no person found" + (" in any frame" if footage.is_video else ""))
    if require_full_body and not footage.is_video:
        missing = missing_body_parts(observations[0])
        if missing:
            used = f"; {choice.summary(False, person_option)}" if choice is not None and choice.people > 1 else ""
            raise InputError(f"{path}: half-body photo ({', '.join(missing)} not visible); a full-body photo is needed{used}")
    tell(choice)
    seen = [o for o in observations if o is not None]
    image_size = footage.frames.shape[1:3]
    targets = _targets(seen, image_size)
    bar = None
    if progress and footage.is_video:
        from tqdm import tqdm

        bar = tqdm(total=len(seen), desc="fitting", unit="frame")
    params = fit_frames(body, targets, FitConfig(), fps=footage.fps, progress=None if bar is None else bar.update)
    if bar is not None:
        bar.close()
    t2 = time.perf_counter()
    params = _fill_missing(params, found) if not found.all() else params
    crop = square_crop(np.array([o.bbox for o in seen]))
    sequence = FittedSequence(params, default_camera(image_size), found, crop, footage.fps, str(Path(path).resolve()))
    if use_cache:
        from liquidwarp.io.atomic import write_json_atomic

        cache.mkdir(parents=True, exist_ok=True)
        write_json_atomic(choice_file, None if choice is None else choice.to_dict())
        save_observations(obs_file, observations)
        save_sequence(motion_file, sequence)
    return Recovery(footage, observations, sequence, t2 - t1, t1 - t0, False, cache if use_cache else None, choice)


def recover_sources(sources: list[Path], body: BodyModel, people: list[PersonPick] | None = None, progress: bool = True) -> list[Recovery]:
    """Recover each source photo, with the person picked in it (``people``: one per source, in
    order) or chosen automatically (None); the line saying who was used names ``--source-person``."""
    if people is not None and len(people) != len(sources):
        raise InputError(f"{len(people)} source person pick(s) for {len(sources)} source(s): give one per source, in order")
    picks = people if people is not None else [None] * len(sources)
    return [recover(p, body, progress=progress, person=pick, person_option="--source-person") for p, pick in zip(sources, picks)]


def _load_choice(path: Path) -> PersonChoice | None:
    """The choice kept beside a cached fit (``person.json``); InputError names a damaged file."""
    import json

    try:
        data = json.loads(path.read_text())
        return None if data is None else PersonChoice.from_dict(data)
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path}: damaged cache file ({e}); delete the folder {path.parent} and run again") from None


def render_fragments(body: BodyModel, sequence: FittedSequence, frames: slice | None = None) -> tuple[torch.Tensor, Fragments]:
    """Posed vertices (T, V, 3) and their fragments in the source image for the chosen frames."""
    params = sequence.params if frames is None else sequence.params.index(frames)
    with torch.no_grad():
        vertices = body(params).vertices
    camera = sequence.camera.expand(params.batch_size)
    return vertices, rasterize(camera.project(vertices), body.faces, camera.image_size)


def fit_quality(body: BodyModel, recovery: Recovery) -> dict[str, float]:
    """Mean silhouette IoU (fitted mesh vs perception mask) and mean relative keypoint error
    (kept beside the cached fit)."""
    import json

    stored = recovery.cache_dir / "quality.json" if recovery.cache_dir is not None else None
    if stored is not None and stored.is_file():
        return json.loads(stored.read_text())
    quality = _measure_quality(body, recovery)
    if stored is not None:
        from liquidwarp.io.atomic import write_json_atomic

        write_json_atomic(stored, quality)
    return quality


def _measure_quality(body: BodyModel, recovery: Recovery) -> dict[str, float]:
    seq = recovery.sequence
    idx = [i for i, o in enumerate(recovery.observations) if o is not None]
    seen = [recovery.observations[i] for i in idx]
    ious = []
    for start in range(0, len(idx), 16):
        chunk = idx[start : start + 16]
        _, frags = render_fragments(body, seq, torch.tensor(chunk))
        for k, i in enumerate(chunk):
            mask = torch.from_numpy(recovery.observations[i].mask > 0.5)
            inter = (frags.mask[k] & mask).sum().item()
            union = (frags.mask[k] | mask).sum().item()
            ious.append(inter / max(union, 1))
    targets = _targets(seen, seq.camera.image_size)
    err = relative_keypoint_error(body, seq.params.index(torch.tensor(idx)), targets)
    return {"mean_silhouette_iou": float(np.mean(ious)), "mean_keypoint_error_rel": float(err.mean())}


OVERLAY_OPACITY = 0.6
OVERLAY_COLOUR = (0.75, 0.8, 0.9)


def write_overlay(body: BodyModel, recovery: Recovery, folder: Path, audio_from: Path | None = None) -> Path:
    """``overlay.mp4`` (video) or ``overlay.png`` (photo) in ``folder``; reused from the cache."""
    import shutil

    from tqdm import tqdm

    from liquidwarp.io.media import VideoWriter, write_image

    name = "overlay.mp4" if recovery.footage.is_video else "overlay.png"
    target = folder / name
    stored = recovery.cache_dir / name if recovery.cache_dir is not None else None
    if stored is not None and stored.is_file():
        shutil.copyfile(stored, target)
        return target
    if recovery.footage.is_video:
        with VideoWriter(target, recovery.footage.fps, audio_from=audio_from) as writer:
            for frame in tqdm(overlay_frames(body, recovery), total=recovery.sequence.frames, desc="overlay", unit="frame"):
                writer.write(frame)
    else:
        write_image(target, next(overlay_frames(body, recovery)))
    if stored is not None:
        from liquidwarp.io.atomic import atomic_file

        with atomic_file(stored, suffix=target.suffix) as tmp:
            shutil.copyfile(target, tmp)
    return target


def overlay_frames(body: BodyModel, recovery: Recovery, chunk: int = 8):
    """Yield each frame (H, W, 3) uint8 with the fitted mesh drawn over it (grey, lit from the camera)."""
    from liquidwarp.rendering.shading import Lighting, lambert

    seq = recovery.sequence
    colour = torch.tensor(OVERLAY_COLOUR).view(1, 3, 1, 1)
    for start in range(0, seq.frames, chunk):
        idx = torch.arange(start, min(start + chunk, seq.frames))
        vertices, frags = render_fragments(body, seq, idx)
        n = len(idx)
        toward_camera = -seq.camera.center[0] + vertices.mean(1).mean(0)
        light = Lighting(torch.nn.functional.normalize(-toward_camera, dim=0).expand(n, 3), torch.full((n,), 0.35), torch.full((n,), 0.65))
        shaded = colour * lambert(frags, body.faces, vertices, light)
        mask = frags.mask[:, None].float()
        frames = torch.from_numpy(recovery.footage.frames[start : start + n]).permute(0, 3, 1, 2).float() / 255
        alpha = mask * OVERLAY_OPACITY
        out = frames * (1 - alpha) + shaded * alpha
        yield from (out.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def export_textured_mesh(body: BodyModel, recovery: Recovery, path: Path, texture_size: int = 1024) -> list[Path]:
    """The fitted mesh of the first frame with a person, textured from that frame's visible pixels."""
    from liquidwarp.io.mesh_export import export_mesh
    from liquidwarp.rendering.bake import bake_texture
    from liquidwarp.rendering.uv_atlas import UVAtlas

    seq = recovery.sequence
    frame = int(np.nonzero(seq.found)[0][0])
    vertices, frags = render_fragments(body, seq, torch.tensor([frame]))
    image = torch.from_numpy(recovery.footage.frames[frame]).permute(2, 0, 1)[None].float() / 255
    atlas = UVAtlas.build(body.face_uvs, texture_size)
    texture, _ = bake_texture(image, body.faces, vertices, seq.camera, frags, atlas)
    texture_u8 = (np.clip(texture, 0, 1) * 255 + 0.5).astype(np.uint8)
    return export_mesh(path, vertices[0].numpy(), body.faces.numpy(), body.face_uvs.numpy(), texture_u8)
