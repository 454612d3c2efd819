"""``liquidwarp bench memory``: peak memory of ``liquidwarp fit`` and ``liquidwarp imitate`` (a video
reference) against the length of the clip.

Each clip is the lab sample (1080 x 1920, 60 frames/s) looped to the length wanted with ffmpeg
(``-stream_loop``). Each command runs as its own process (the real CLI), so that its peak
resident memory (``ru_maxrss`` from ``wait4``: the process and the children it waited for, such as
the ffmpeg encoder) is its own and not this process's.

``fit`` starts from an empty cache folder, so decoding, perception, fitting, the quality figures
and the overlay video are all part of it. ``imitate`` then runs on the same clip with that cache
(its reference's perception and fitting are what ``fit`` measured; on this 2-core machine they
take most of the time) and ``--side-by-side``, so that every reference frame is decoded again for
its panel; frame 0 of the clip is the source photo, ``--method warp`` and ``--size 128`` by
default (the generator's memory does not depend on the length; its time does).

Figures per length: ``fit_peak_mb``, ``imitate_peak_mb`` and their seconds; then, between the
shortest and the longest clip, ``growth_percent`` for each command.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples" / "lab_throw_cam01.mp4"


def looped_clip(sample: Path, frames: int, out: Path) -> Path:
    """``sample`` played in a loop for ``frames`` frames, at its own size and rate, to ``out``."""
    from liquidwarp.io.media import ffmpeg_exe

    command = [
        ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(sample),
        "-frames:v", str(frames), "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
    return out


def peak_rss_mb(args: list[str], cache: Path, log: Path) -> tuple[float, float]:
    """Run ``python -m liquidwarp ARGS`` with its own cache folder; (peak RSS in MB, seconds).
    RuntimeError (with the log's tail) if it fails."""
    env = dict(os.environ, LIQUIDWARP_CACHE_DIR=str(cache))
    start = time.perf_counter()
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "liquidwarp", *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keeps Popen from waiting again
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:])
        raise RuntimeError(f"liquidwarp {' '.join(args)} failed (exit status {process.returncode}):\n{tail}")
    return usage.ru_maxrss / 1024.0, seconds  # ru_maxrss is in KiB on Linux


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def run(
    lengths: tuple[int, ...] = (100, 1000), sample: Path | None = None, method: str = "warp", size: int = 128, progress: bool = True, report=None
) -> dict:
    """Peak RSS of ``fit`` and ``imitate`` for each clip length; ``report(results)`` is called
    after every measurement (to keep partial figures of a long run)."""
    from liquidwarp.io.media import iter_video_frames, write_image

    sample = Path(sample) if sample is not None else SAMPLE
    results: dict = {
        "sample": sample.name, "method": method, "size": size,
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "memory_gb": _memory_gb(), "python": platform.python_version()},
        "lengths": {},
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="liquidwarp-bench-memory-") as folder:
        work = Path(folder)
        photo = work / "source.png"
        write_image(photo, next(iter_video_frames(sample, max_frames=1)))
        for frames in lengths:
            clip = looped_clip(sample, frames, work / f"clip{frames}.mp4")
            row: dict = {}
            commands = {
                "fit": ["fit", str(clip), "--out", str(work / f"fit{frames}")],
                "imitate": [
                    "imitate", "--source", str(photo), "--reference", str(clip), "--out", str(work / f"imitate{frames}.mp4"),
                    "--method", method, "--size", str(size), "--side-by-side",
                ],
            }  # fmt: skip
            for name, args in commands.items():
                if progress:
                    print(f"bench memory: {name}, {frames} frames", file=sys.stderr, flush=True)
                peak, seconds = peak_rss_mb(args, work / f"cache{frames}", work / f"{name}{frames}.log")
                row[f"{name}_peak_mb"], row[f"{name}_seconds"] = round(peak, 1), round(seconds, 1)
                results["lengths"][str(frames)] = row
                if report is not None:
                    report(results)
            clip.unlink()
    short, long = str(min(lengths)), str(max(lengths))
    if short != long:
        results["growth_percent"] = {
            name: round(100.0 * (results["lengths"][long][f"{name}_peak_mb"] / results["lengths"][short][f"{name}_peak_mb"] - 1), 2)
            for name in ("fit", "imitate")
        }
    return results
