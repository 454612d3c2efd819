"""Ending a run early, for real: a `python -m liquidwarp` process is sent SIGTERM, SIGINT or
SIGKILL while it writes its video, and what is left in the output's folder is looked at; a second
run writing the same output meanwhile is refused at once; the next run after a SIGKILL removes the
dead run's partial file.

The default suite does this with `liquidwarp demo --method warp` (nothing to fit, so the video
is being written within seconds); the same with `liquidwarp imitate` from a fitted photo is
marked slow (fitting the photo takes a minute or two on a busy 2-core machine).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from liquidwarp.cli.main import main

SRC = Path(__file__).resolve().parents[1] / "src"


def _env(**extra: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(SRC), **extra}


def start(args: list[str], **env: str) -> subprocess.Popen:
    """`python -m liquidwarp ARGS` in the background, its stderr kept."""
    return subprocess.Popen(
        [sys.executable, "-m", "liquidwarp", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(**env), text=True
    )


def partials(video: Path) -> list[Path]:
    return sorted(video.parent.glob(f".{video.name}.partial-*"))


def wait_until_writing(process: subprocess.Popen, video: Path, timeout: float = 240.0) -> Path:
    """The partial file of ``video`` once the process has written a frame to it (ffmpeg has made it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        found = [p for p in partials(video) if p.stat().st_size > 0]
        if found:
            return found[0]
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"{video}: no partial file after {timeout} s")


def last_line(stderr: str) -> str:
    """The last line (progress bars redraw with carriage returns, so those split lines too)."""
    return stderr.replace("\r", "\n").strip().splitlines()[-1]


def ended_cleanly(process: subprocess.Popen, signum: int) -> str:
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr, stderr[-3000:]
    return stderr


# ------------------------------------------------------------------------------------ the demo


def demo_args(out: Path, frames: int) -> list[str]:
    return ["demo", "--method", "warp", "--size", "64", "--frames", str(frames), "--out", str(out)]


def test_sigterm_ends_a_run_like_ctrl_c_and_a_second_writer_is_refused_meanwhile(tmp_path, capsys):
    out = tmp_path / "demo"
    run = start(demo_args(out, 2000))
    wait_until_writing(run, out / "demo.mp4")
    # the same output from another run, while the first writes it: refused at once, in one line
    began = time.perf_counter()
    assert main(demo_args(out, 2)) == 2
    assert time.perf_counter() - began < 5
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"liquidwarp: error: {out}: another liquidwarp run (process {run.pid}) is writing it; wait for it to end or choose another output"]
    stderr = ended_cleanly(run, signal.SIGTERM)
    assert run.returncode == 143 and last_line(stderr) == "liquidwarp: terminated"
    # no video, no partial file, no lock; the photo (complete, written before the video) stays
    assert sorted(p.name for p in out.iterdir()) == ["source.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_after_sigkill_the_next_run_removes_the_dead_runs_partial_file(tmp_path, capsys):
    out = tmp_path / "demo"
    run = start(demo_args(out, 2000))
    left = wait_until_writing(run, out / "demo.mp4")
    run.kill()
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL
    assert left.exists() and str(run.pid) in left.name  # what a kill leaves: nothing can clean up in the process
    assert main(demo_args(out, 2)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["demo.mp4", "source.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # the lock of the killed run is gone too


def test_ctrl_c_during_start_up_is_one_line(tmp_path):
    run = start(demo_args(tmp_path / "demo", 2))
    time.sleep(0.5)  # python is up; the command's imports (torch, ...) take seconds more
    assert run.poll() is None
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130 and stderr == "liquidwarp: interrupted\n"
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------- imitate


@pytest.fixture(scope="module")
def imitation(tmp_path_factory):
    """(command line without --out, environment): a warp imitation of a long motion (the fitted
    photo's own pose, 600 frames) from the lab photo, whose fit is cached beforehand."""
    from dataclasses import replace

    from samples import lab_photo, needs_samples

    if needs_samples.args[0]:
        pytest.skip(needs_samples.kwargs["reason"])
    from liquidwarp.fitting.records import load_sequence, save_sequence

    folder = tmp_path_factory.mktemp("imitation")
    cache = folder / "cache"
    mp = pytest.MonkeyPatch()
    mp.setenv("LIQUIDWARP_CACHE_DIR", str(cache))
    photo = lab_photo(folder)
    assert main(["fit", str(photo), "--out", str(folder / "fit")]) == 0
    mp.undo()
    seq = load_sequence(folder / "fit" / "motion.npz")
    frames, p = 600, seq.params
    held = type(p)(*(t.expand(frames, *t.shape[1:]).clone() for t in (p.root_rotation, p.root_translation, p.joint_rotations, p.shape)))
    save_sequence(folder / "motion.npz", replace(seq, params=held, found=seq.found.repeat(frames)))
    args = ["imitate", "--source", str(photo), "--reference", str(folder / "motion.npz"), "--method", "warp", "--size", "64", "--height", "64"]
    return args, {"LIQUIDWARP_CACHE_DIR": str(cache)}


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_imitate_ended_by_a_signal_leaves_nothing(imitation, tmp_path, signum):
    args, env = imitation
    video = tmp_path / "out.mp4"
    run = start([*args, "--out", str(video)], **env)
    wait_until_writing(run, video)
    stderr = ended_cleanly(run, signum)
    assert run.returncode == 128 + signum
    assert last_line(stderr) == ("liquidwarp: terminated" if signum == signal.SIGTERM else "liquidwarp: interrupted")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_imitate_after_sigkill_the_next_run_succeeds_and_leaves_no_partial(imitation, tmp_path, monkeypatch):
    args, env = imitation
    video = tmp_path / "out.mp4"
    run = start([*args, "--out", str(video)], **env)
    left = wait_until_writing(run, video)
    run.kill()
    run.communicate(timeout=60)
    assert left.exists()
    monkeypatch.setenv("LIQUIDWARP_CACHE_DIR", env["LIQUIDWARP_CACHE_DIR"])
    assert main([*args, "--out", str(video), "--max-frames", "3"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.config.json", "out.mp4"]
