"""``liquidwarp bench speed``: frames per second of each pipeline stage at 128², 256² and 512².

Input: the first ``frames`` frames of ``../shared/samples/lab_throw_cam01.mp4``, cropped to a
square around the person and resized to each resolution. Stages, per frame:

- ``perception``: MediaPipe pose + person mask (video mode, tracking);
- ``fitting``: the body fit of those frames (first frame alone, then warm-started chunks), over
  the frames after the first;
- ``render_flow``: the target body (vertices), rasterised, and the transfer flow to one source;
- ``warp``: the ``warp`` method's colour work: warping the source, the texture fill for unseen
  pixels, compositing on the background (``render_flow`` + ``warp`` = one ``warp`` frame);
- ``affine2d``: the 2D baseline's whole frame (keypoints projected, limbs warped, composited);
- ``lwg_method_total``: the ``lwg`` method's whole frame with the shipped model (target body,
  rasterised, flow, correspondence map, G_TSF, composite; the sources encoded once before).

``generator`` (:func:`generator_speed`): G_TSF alone (``LiquidWarpingGenerator.transfer``, one
source, random inputs) for the ``paper`` and ``small`` presets, frames/s in fp32 and (where the CPU
has fast bf16) bf16 autocast, FLOPs per frame and the fraction of this CPU's measured
matrix-multiply throughput of the same precision (:func:`matmul_gflops`) that they reach.

Each figure is the median over the timed frames, after one warm-up frame (numba compiles the
rasteriser on first use). Everything runs on this machine's CPU with torch's default threads.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path

import numpy as np
import torch

from liquidwarp.bench.fitting import SAMPLE
from liquidwarp.body.model import BodyModel
from liquidwarp.errors import InputError
from liquidwarp.geometry.crops import crop_camera, crop_image

RESOLUTIONS = (128, 256, 512)


def _median_fps(seconds: list[float]) -> float:
    return float(1.0 / np.median(seconds))


def _render_fps(renderer, seq, camera, frames: int) -> float:
    """Median frames/s of ``renderer.render`` over the sequence's first ``frames`` bodies, the
    first (warm-up) frame left out."""
    times = []
    for t in range(frames):
        start = time.perf_counter()
        renderer.render(seq.params.index(t), camera)
        times.append(time.perf_counter() - start)
    return _median_fps(times[1:])


def run(video: Path | None = None, frames: int = 24, resolutions: tuple[int, ...] = RESOLUTIONS, progress: bool = True) -> dict:
    from tqdm import tqdm

    from liquidwarp.fitting.fit import fit_frames
    from liquidwarp.perception.mediapipe_pose import MediaPipePose
    from liquidwarp.rendering.rasterize import rasterize
    from liquidwarp.fitting.recover import _targets, recover
    from liquidwarp.scene.views import prepare_source
    from liquidwarp.tasks.methods import build_method
    from liquidwarp.warping.flow import merge_sources, transfer_flow, warp

    video = Path(video) if video is not None else SAMPLE
    body = BodyModel()
    recovery = recover(video, body, max_frames=frames, require_full_body=False, progress=progress)
    seq = recovery.sequence
    crop = seq.crop
    results: dict = {"video": video.name, "frames": frames, "stages": {}}
    bar = tqdm(total=len(resolutions) * 6, desc="bench speed", disable=not progress)
    for size in resolutions:
        images = [crop_image(f, crop, size) for f in recovery.footage.frames[:frames]]
        row: dict[str, float] = {}
        # perception
        times = []
        with MediaPipePose(video=True) as pose:
            observations = []
            for image in images:
                start = time.perf_counter()
                observations.append(pose.observe(image))
                times.append(time.perf_counter() - start)
        row["perception"] = _median_fps(times[1:])
        bar.update(1)
        # fitting (the frames where someone was found)
        found = [o for o in observations if o is not None]
        start = time.perf_counter()
        fit_frames(body, _targets(found[:1], (size, size)), fps=seq.fps)
        first = time.perf_counter() - start
        start = time.perf_counter()
        fit_frames(body, _targets(found, (size, size)), fps=seq.fps)
        total = time.perf_counter() - start
        row["fitting"] = (len(found) - 1) / max(total - first, 1e-9)
        bar.update(1)
        # render + flow, warp: a source at frame 0, targets the other frames
        camera = crop_camera(seq.camera, crop, size)
        source = prepare_source(body, recovery.footage.frames[0], seq.params.index(0), seq.camera, crop, size)
        renderer = build_method("warp", body, [source])
        flow_times, warp_times = [], []
        for t in range(frames):
            start = time.perf_counter()
            with torch.no_grad():
                vertices = body(seq.params.index(t)).vertices
            frags = rasterize(camera.project(vertices), body.faces, (size, size))
            field = transfer_flow(body.faces, source.vertices, source.camera, source.fragments, frags)
            middle = time.perf_counter()
            colour, seen = merge_sources(warp(source.image, field)[:, None], field.valid[:, None])
            filled = renderer.fill(frags)
            body_rgb = torch.where(seen[:, None], colour, filled)
            mask = frags.mask[:, None].float()
            _ = body_rgb * mask + renderer.background * (1 - mask)
            end = time.perf_counter()
            flow_times.append(middle - start)
            warp_times.append(end - middle)
        row["render_flow"] = _median_fps(flow_times[1:])
        bar.update(1)
        row["warp"] = _median_fps(warp_times[1:])
        bar.update(1)
        row["affine2d"] = _render_fps(build_method("affine2d", body, [source]), seq, camera, frames)
        bar.update(1)
        try:
            lwg = build_method("lwg", body, [source])
        except InputError as error:
            results.setdefault("skipped", {})["lwg_method_total"] = str(error)
        else:
            row["lwg_method_total"] = _render_fps(lwg, seq, camera, frames)
        bar.update(1)
        row["warp_method_total"] = 1.0 / (1.0 / row["render_flow"] + 1.0 / row["warp"])
        results["stages"][str(size)] = {k: round(v, 2) for k, v in row.items()}
    bar.close()
    results["generator"] = generator_speed(resolutions, progress=progress)
    results["matmul_gflops"] = matmul_gflops()
    for row in results["generator"].values():
        for entry in row.values():
            for kind, peak in results["matmul_gflops"].items():
                if kind in entry:  # each precision against the matrix product of the same precision
                    entry[kind]["fraction_of_matmul"] = round(entry[kind]["gflop_per_s"] / peak, 4)
    results["machine"] = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads()}
    return results


def plot(results: dict, path: Path) -> None:
    """Frames/s against resolution, one line per stage, log scale (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(int(s) for s in results["stages"])
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for stage in results["stages"][str(sizes[0])]:
        ax.plot(sizes, [results["stages"][str(s)][stage] for s in sizes], marker="o", label=stage)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sizes, [f"{s}²" for s in sizes])
    ax.set_xlabel("resolution (pixels)")
    ax.set_ylabel("frames per second (median)")
    threads = results["machine"]["threads"]
    ax.set_title(f"liquidwarp stages on {threads} CPU thread{'s' if threads != 1 else ''}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def matmul_gflops(sizes: tuple[int, ...] = (2048, 4096), repeats: int = 5) -> dict[str, float]:
    """This CPU's measured throughput of an n x n matrix product, GFLOP/s (2 n^3 per product,
    median of ``repeats`` after a warm-up; the best over ``sizes``: a 2048² product does not
    reach the peak of some CPUs), in fp32 and bf16."""
    out = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        best = 0.0
        for n in sizes:
            a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
            a @ b
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                a @ b
                times.append(time.perf_counter() - start)
            best = max(best, 2 * n**3 / float(np.median(times)) / 1e9)
        out[name] = round(best, 2)
    return out


def generator_speed(resolutions: tuple[int, ...] = RESOLUTIONS, repeats: int = 5, progress: bool = True) -> dict:
    """G_TSF per frame for the ``paper`` and ``small`` presets (random weights: the speed does not
    depend on them): GFLOP per frame, and per precision (``fp32``, and ``bf16`` autocast where
    :func:`~liquidwarp.networks.precision.bf16_helps` says this CPU has fast bf16) frames/s (median of
    ``repeats`` after a warm-up) and GFLOP/s achieved. ``precision`` names the one the ``lwg``
    method uses here and ``frames_per_s`` repeats its figure."""
    from tqdm import tqdm

    from liquidwarp.networks.generator import PRESETS, dummy_transfer_inputs, transfer_flops
    from liquidwarp.networks.precision import autocast, bf16_helps

    precisions = ("fp32", "bf16") if bf16_helps(torch.device("cpu")) else ("fp32",)
    out: dict = {}
    bar = tqdm(total=len(resolutions) * len(PRESETS) * len(precisions), desc="bench generator", disable=not progress)
    for size in resolutions:
        out[str(size)] = {}
        for name, preset in PRESETS.items():
            generator = preset.build().eval()
            inputs = dummy_transfer_inputs(generator, (size, size))
            flops = transfer_flops(generator, (size, size))
            entry: dict = {"gflop_per_frame": round(flops / 1e9, 2)}
            for precision in precisions:
                times = []
                with torch.no_grad(), autocast(torch.device("cpu"), precision == "bf16"):
                    generator.transfer(*inputs)
                    for _ in range(repeats):
                        start = time.perf_counter()
                        generator.transfer(*inputs)
                        times.append(time.perf_counter() - start)
                seconds = float(np.median(times))
                entry[precision] = {"frames_per_s": round(1 / seconds, 2), "gflop_per_s": round(flops / seconds / 1e9, 2)}
                bar.update(1)
            entry["precision"] = precisions[-1]
            entry["frames_per_s"] = entry[precisions[-1]]["frames_per_s"]
            out[str(size)][name] = entry
    bar.close()
    return out
