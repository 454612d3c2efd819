"""``liquidwarp bench unseen``: how well the ``warp`` method guesses the body a photo does not show.

Synthetic people with exact bodies and cameras (the data engine at ``SYNTH``, what
``liquidwarp synth OUT --subjects 4 --frames 4 --views 4 --size 256 --seed 1000`` writes, made
here in memory): the source is view 0, frame 0; the target is the same body turned about its
vertical axis by each of ``ANGLES`` (:func:`liquidwarp.tasks.view.turned`), seen by the same
camera, whose truth the engine renders (textured, anti-aliased, as the source; once unshaded and
once shaded).

Metric: the mean absolute error (0-255, over RGB) of the ``warp`` method's frame against the
truth, on the target's inner body pixels (the silhouette's edge row left out) that the source does
not see (``transfer_flow(...).valid`` False), pooled over subjects, also per body region; the same
on the seen pixels as a control (both fills leave them alone). Two fills of the unseen pixels are compared: ``old``, the
texture whose unseen texels take their part's mean seen colour
(:func:`liquidwarp.warping.completion.fill_part_means`), and ``new``, the completed texture
(:func:`liquidwarp.warping.completion.complete_texture`, what ``warp`` uses); ``lwg`` is the
shipped Liquid Warping GAN on the same source (its G_TSF gets the completed texture as its guess
for the unseen pixels), to see whether the network beats the classical fill.

Temporal stability: the same body turned from 0 to 180 degrees in steps of ``TURN_STEP``; per
step, :func:`liquidwarp.metrics.image.frame_change` on the body of each method's frames minus
that of the truth's frames (the change the method adds); ``max`` is the largest step, a pop when a
surface turns into view shows there.
"""

from __future__ import annotations

import platform
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine
from liquidwarp.io.images import uint8_frames_to_unit, unit_to_uint8
from liquidwarp.networks.precision import bf16_helps

ANGLES: tuple[float, ...] = (90.0, 135.0, 180.0)
#: Body regions the unseen error is also broken down into.
REGIONS: dict[str, tuple[str, ...]] = {
    "head": ("head",),
    "trunk": ("torso", "pelvis"),
    "arms": ("upper_arm_left", "upper_arm_right", "lower_arm_left", "lower_arm_right", "hand_left", "hand_right"),
    "legs": ("upper_leg_left", "upper_leg_right", "lower_leg_left", "lower_leg_right", "foot_left", "foot_right"),
}
SYNTH = SynthConfig(subjects=4, frames=4, views=4, size=256, seed=1000)
TURN_STEP = 15.0  # degrees between the frames of the turning sequence
FILLS = ("old", "new", "lwg")


def _uint8(rgb: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [0, 1] -> (H, W, 3) uint8."""
    return unit_to_uint8(rgb)


def part_mean_texture(body: BodyModel, source, atlas) -> torch.Tensor:
    """(1, 3, T, T) the texture ``warp`` used before completion: baked from ``source`` (a
    ``PreparedSource``), unseen texels at their part's mean seen colour."""
    from liquidwarp.warping.bake import bake_texture
    from liquidwarp.warping.completion import fill_part_means, surface_correspondences

    texture, seen = bake_texture(source.image, body.faces, source.vertices, source.camera, source.fragments, atlas)
    filled = atlas.fill_gaps(fill_part_means(texture, seen, surface_correspondences(body, atlas)))
    return torch.from_numpy(filled.astype(np.float32)).permute(2, 0, 1)[None]


def measure_subject(
    body: BodyModel,
    engine: SyntheticEngine,
    index: int,
    angles: tuple[float, ...] = ANGLES,
    checkpoint: str | None = None,
    bf16: bool = True,
) -> list[dict]:
    """Per angle: error sums and pixel counts of both fills for subject ``index``, and the tiles
    (source | truth | old | new) of the contact sheet."""
    from liquidwarp.body.model import PART_INDEX
    from liquidwarp.methods.lwg import LwgOptions
    from liquidwarp.rendering.rasterize import rasterize
    from liquidwarp.rendering.shading import render_face_labels
    from liquidwarp.scene.views import prepare_source
    from liquidwarp.tasks.methods import build_method
    from liquidwarp.tasks.view import turned
    from liquidwarp.warping.flow import transfer_flow

    size = engine.config.size
    subject = engine.make_subject(index)
    camera = subject.cameras.index(0)
    image = _uint8(engine.render_view(subject, 0, frames=slice(0, 1))["rgb"][0])
    source = prepare_source(body, image, subject.params.index(0), camera, (0.0, 0.0, float(size)), size)
    start = time.perf_counter()
    renderer = build_method("warp", body, [source])
    build_seconds = time.perf_counter() - start
    network = build_method("lwg", body, [source], checkpoint=checkpoint, options=LwgOptions(bf16=bf16))
    new_texture = renderer.fill.textures[0]
    old_texture = part_mean_texture(body, source, engine.atlas)

    def truth_of(target) -> tuple[np.ndarray, object]:
        with torch.no_grad():
            vertices = body(target).vertices
        truth = engine.render_view(replace(subject, vertices=vertices, cameras=camera), 0)
        return _uint8(truth["rgb"][0]), rasterize(camera.project(vertices), body.faces, (size, size))

    def render_all(target) -> dict[str, np.ndarray]:
        frames = {}
        for name, texture in (("old", old_texture), ("new", new_texture)):
            renderer.fill.textures = [texture]  # the same renderer, only the unseen pixels' texture differs
            frames[name] = renderer.render(target, camera)
        frames["lwg"] = network.render(target, camera)
        return frames

    rows = []
    for angle in angles:
        target = turned(source.params, angle)
        truth_u8, frags = truth_of(target)
        truth_rgb = truth_u8.astype(np.float64)
        seen = transfer_flow(body.faces, source.vertices, source.camera, source.fragments, frags).valid[0].numpy()
        inner = (torch.nn.functional.avg_pool2d(frags.mask[:, None].float(), 3, 1, 1)[0, 0] == 1).numpy()
        labels = render_face_labels(frags, body.face_parts)[0].numpy()
        frames = render_all(target)
        columns = np.flatnonzero((source.fragments.mask[0] | frags.mask[0]).any(0).numpy())
        row = {
            "angle": angle,
            "tiles": [image, truth_u8, frames["old"], frames["new"], frames["lwg"]],
            "columns": (int(columns[0]), int(columns[-1]) + 1),
            "build_seconds": build_seconds,
        }
        for name, frame in frames.items():
            error = np.abs(frame.astype(np.float64) - truth_rgb).mean(-1)
            for region, where in (("unseen", inner & ~seen), ("seen", inner & seen)):
                row[f"{name}_{region}_sum"] = float(error[where].sum())
                row[f"{region}_pixels"] = int(where.sum())
            for group, names in REGIONS.items():
                where = inner & ~seen & np.isin(labels, [PART_INDEX[n] for n in names])
                row[f"{name}_unseen_{group}_sum"] = float(error[where].sum())
                row[f"unseen_{group}_pixels"] = int(where.sum())
        rows.append(row)
    rows[0]["turn"] = turn_change(truth_of, render_all, source.params)
    return rows


def turn_change(truth_of, render_all, params) -> dict[str, list[float]]:
    """Per fill, the frame-to-frame change on the body that it adds to the truth's, at each step
    of a turn from 0 to 180 degrees (0-255 units; see the module docstring)."""
    from liquidwarp.metrics.image import frame_change
    from liquidwarp.tasks.view import turned

    angles = np.arange(0.0, 180.0 + 1e-6, TURN_STEP)
    sequences: dict[str, list[np.ndarray]] = {name: [] for name in ("truth", *FILLS)}
    masks = []
    for angle in angles:
        target = turned(params, float(angle))
        truth, frags = truth_of(target)
        sequences["truth"].append(truth)
        for name, frame in render_all(target).items():
            sequences[name].append(frame)
        masks.append(frags.mask[0])
    mask = torch.stack(masks)

    def change(frames: list[np.ndarray]) -> torch.Tensor:
        return frame_change(uint8_frames_to_unit(np.stack(frames)), mask)

    truth = change(sequences["truth"])
    return {name: (change(sequences[name]) - truth).tolist() for name in FILLS}


def contact_sheet(rows: list[dict], margin: int = 12) -> np.ndarray:
    """One row per subject and angle: source | truth | old fill | new fill | lwg, each cut to the
    columns where the person is in either view (plus ``margin`` pixels)."""
    size = rows[0]["tiles"][0].shape[1]
    spans = [(max(r["columns"][0] - margin, 0), min(r["columns"][1] + margin, size)) for r in rows]
    width = max(b - a for a, b in spans)
    lines = []
    for r, (a, _) in zip(rows, spans):
        a = min(a, size - width)  # every row as wide as the widest
        lines.append(np.concatenate([t[:, a : a + width] for t in r["tiles"]], axis=1))
    return np.concatenate(lines, axis=0)


def measure(
    body: BodyModel,
    subjects: int,
    angles: tuple[float, ...],
    shading: bool,
    progress: bool = True,
    checkpoint: str | None = None,
    bf16: bool = True,
) -> tuple[dict, list[dict]]:
    """The table (per angle: both fills' errors on unseen and seen pixels) and the raw rows."""
    from tqdm import tqdm

    engine = SyntheticEngine(replace(SYNTH, subjects=subjects, shading=shading), body)
    rows = []
    for index in tqdm(range(subjects), desc=f"unseen ({'shaded' if shading else 'unshaded'})", unit="subject", disable=not progress):
        rows.extend(measure_subject(body, engine, index, angles, checkpoint, bf16))
    table = {}
    for angle in angles:
        at = [r for r in rows if r["angle"] == angle]
        entry = {}
        for region in ("unseen", "seen"):
            pixels = sum(r[f"{region}_pixels"] for r in at)
            entry[f"{region}_pixels"] = pixels
            for name in FILLS:
                entry[f"{name}_{region}_mae"] = round(sum(r[f"{name}_{region}_sum"] for r in at) / max(pixels, 1), 2)
        entry["unseen_reduction"] = round(1 - entry["new_unseen_mae"] / max(entry["old_unseen_mae"], 1e-9), 3)
        entry["unseen_mae_by_region"] = {
            group: {
                name: round(sum(r[f"{name}_unseen_{group}_sum"] for r in at) / max(sum(r[f"unseen_{group}_pixels"] for r in at), 1), 2)
                for name in FILLS
            }
            for group in REGIONS
        }
        entry["per_subject_unseen_mae"] = {
            name: [round(r[f"{name}_unseen_sum"] / max(r["unseen_pixels"], 1), 2) for r in at] for name in FILLS
        }
        table[f"{angle:g}"] = entry
    turns = [r["turn"] for r in rows if "turn" in r]
    table["turn_added_change"] = {
        name: {
            "mean": round(float(np.mean([np.mean(t[name]) for t in turns])), 2),
            "max": round(float(np.max([np.max(t[name]) for t in turns])), 2),
            "per_step_mean": [round(float(v), 2) for v in np.mean([t[name] for t in turns], axis=0)],
        }
        for name in FILLS
    }
    return table, rows


def run(
    subjects: int = SYNTH.subjects,
    angles: tuple[float, ...] = ANGLES,
    sheet: Path | None = None,
    progress: bool = True,
    checkpoint: str | None = None,
    bf16: bool = True,
) -> dict:
    """Measure every subject and angle, on unshaded renders (the texture alone: what a fill can
    get right) and on shaded ones (as ``liquidwarp synth`` writes them: the light on the turned
    body differs from the photo's, for seen and unseen pixels alike); returns the JSON-ready dict
    and writes the contact sheet of the shaded renders to ``sheet`` when given."""
    start = time.perf_counter()
    body = BodyModel()
    results: dict = {
        "synthetic": {"subjects": subjects, "frames": SYNTH.frames, "views": SYNTH.views, "size": SYNTH.size, "seed": SYNTH.seed},
        "source": "view 0, frame 0",
        "lwg_checkpoint": checkpoint or "shipped",
        "lwg_bf16": bf16 and bf16_helps(torch.device("cpu")),
    }
    for shading in (False, True):
        table, rows = measure(body, subjects, angles, shading, progress, checkpoint, bf16)
        results["shaded" if shading else "unshaded"] = table
    results["method_build_seconds_per_source"] = round(float(np.mean([r["build_seconds"] for r in rows])), 2)
    if sheet is not None:
        from liquidwarp.io.media import write_image

        write_image(Path(sheet), contact_sheet(rows))
    results["seconds"] = round(time.perf_counter() - start, 1)
    results["machine"] = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}
    return results
