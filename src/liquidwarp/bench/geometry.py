"""``liquidwarp bench geometry``: speed and exactness of the network-free core, on this machine.

Figures (all measured on synthetic subjects from the data engine, seed 0):

- ``rasterize_ms_256``: median wall time of the fast rasteriser, one posed full Anny mesh
  (13,718 vertices, 27,420 triangles) at 256 x 256, after a warm-up call.
- ``rasterize_reference_ms_256``: the same for the PyTorch reference (for context).
- ``fast_vs_reference_agreement``: fraction of pixels (over several renders) where both paths
  pick the same face (background included).
- ``identity_warp_psnr_db``: a render warped to itself by its transfer flow vs itself, on the
  flow's valid pixels (images in [0, 1]; the MSE is floored at 1e-15, so 150 dB means exact).
- ``pair_warp_psnr_db``: an unshaded render of frame 0 warped to frame k of the same subject and
  camera, compared with the unshaded render of frame k on the flow's valid pixels (valid in both
  renders); mean over subjects and frame pairs.
- ``synth_frames_per_s``: frames written per second by the full engine (shaded, anti-aliased,
  PNG writing included) for the same subjects x frames x 2 views.
"""

from __future__ import annotations

import math
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from liquidwarp.body.model import BodyModel
from liquidwarp.data.synthetic import SynthConfig, SyntheticEngine, write_dataset
from liquidwarp.rendering.rasterize import Fragments, rasterize, rasterize_reference
from liquidwarp.warping.flow import transfer_flow, warp


def psnr_on(a: torch.Tensor, b: torch.Tensor, valid: torch.Tensor) -> float:
    """PSNR in dB of (C, H, W) images in [0, 1] over the (H, W) ``valid`` pixels (MSE floored at 1e-15)."""
    diff = (a.double() - b.double())[:, valid]
    mse = max(float((diff**2).mean()), 1e-15)
    return 10.0 * math.log10(1.0 / mse)


def _single(frags: Fragments, i: int) -> Fragments:
    return Fragments(frags.face_index[i : i + 1], frags.barycentric[i : i + 1], frags.depth[i : i + 1])


def run(subjects: int = 4, frames: int = 30, repeats: int = 50, progress: bool = True) -> dict:
    """Measure everything; returns the JSON-ready dict."""
    body = BodyModel()
    config = SynthConfig(subjects=subjects, frames=frames, views=2, size=256, seed=0, shading=False, supersample=1)
    engine = SyntheticEngine(config, body)
    faces = body.faces

    rast_times, ref_times, agree, identity, pair = [], [], [], [], []
    for s in range(subjects):
        subject = engine.make_subject(s)
        vertices = subject.vertices
        cams = subject.cameras.index(0).expand(frames)
        screen = cams.project(vertices)
        frags = rasterize(screen, faces, (256, 256))
        images = engine.render_view(subject, 0, background=False)["rgb"]  # unshaded, anti-aliased, black background

        one = screen[:1]
        rasterize(one, faces, (256, 256))  # warm-up (numba compile or cache load)
        for _ in range(repeats if s == 0 else 0):
            t0 = time.perf_counter()
            rasterize(one, faces, (256, 256))
            rast_times.append(time.perf_counter() - t0)
        for k in (0, frames // 2):
            t0 = time.perf_counter()
            ref = rasterize_reference(screen[k : k + 1], faces, (256, 256))
            ref_times.append(time.perf_counter() - t0)
            agree.append(float((ref.face_index[0] == frags.face_index[k]).float().mean()))

        src = 0
        src_frags = _single(frags, src)
        field = transfer_flow(faces, vertices[src : src + 1], cams.index(src), src_frags, src_frags)
        identity.append(psnr_on(warp(images[src : src + 1], field)[0], images[src], field.valid[0]))
        for k in range(frames // 6, frames, max(frames // 6, 1)):
            field = transfer_flow(faces, vertices[src : src + 1], cams.index(src), src_frags, _single(frags, k))
            if field.valid[0].sum() < 100:
                continue
            pair.append(psnr_on(warp(images[src : src + 1], field)[0], images[k], field.valid[0]))

    with tempfile.TemporaryDirectory() as tmp:
        synth_cfg = replace(config, shading=True, supersample=2)  # the engine's defaults
        stats = write_dataset(synth_cfg, Path(tmp), progress=progress, body=body)

    return {
        "rasterize_ms_256": statistics.median(rast_times) * 1000,
        "rasterize_reference_ms_256": statistics.median(ref_times) * 1000,
        "fast_vs_reference_agreement": statistics.fmean(agree),
        "identity_warp_psnr_db": min(identity),
        "pair_warp_psnr_db": statistics.fmean(pair),
        "pair_warp_psnr_db_min": min(pair),
        "pair_count": len(pair),
        "synth_frames_per_s": stats["frames_per_s"],
        "machine": machine_description(),
    }


def machine_description() -> str:
    """Platform, CPU count and torch threads, for the record in BENCHMARKS.md."""
    import os

    return f"{platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} ({torch.get_num_threads()} threads)"
