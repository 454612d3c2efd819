"""Outputs that cannot be written: found before any work where that can be known (a folder no file
can be made in, too little free space), reported in one line naming the output when the system
refuses a write later (a full disk; here a file size limit, ``RLIMIT_FSIZE``, which makes real
writes past N bytes fail the way a full disk does), and never a partial file left behind. Locks
that keep two runs off one output; partial files of dead runs removed."""

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from liquidwarp.cli.main import main
from liquidwarp.errors import OutputError
from liquidwarp.io import atomic
from liquidwarp.io.atomic import output_lock, remove_stale_partials

SRC = Path(__file__).resolve().parents[1] / "src"


def one_line_error(capsys, *words):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("liquidwarp: error:"), err
    for w in words:
        assert w in err[0], (w, err[0])


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# ---------------------------------------------------------------------------------- locks


def test_an_output_is_held_by_one_writer_at_a_time(tmp_path):
    video = tmp_path / "out.mp4"
    with output_lock(video):
        assert (tmp_path / ".out.mp4.lock").read_text() == f"{os.getpid()}\n"
        with pytest.raises(OutputError, match=rf"out.mp4: another liquidwarp run \(process {os.getpid()}\) is writing it") as info:
            with output_lock(video):
                pass
        assert info.value.environment
    assert list(tmp_path.iterdir()) == []  # released and removed
    with output_lock(video):  # free again
        pass


def test_a_lock_left_by_a_killed_process_does_not_hold(tmp_path):
    video = tmp_path / "out.mp4"
    code = f"import sys; from liquidwarp.io.atomic import output_lock\nwith output_lock({str(video)!r}):\n    print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(SRC)})
    assert holder.stdout.readline() == "held\n"
    with pytest.raises(OutputError, match=f"process {holder.pid}"):
        with output_lock(video):
            pass
    holder.kill()
    holder.wait()
    assert (tmp_path / ".out.mp4.lock").read_text() == f"{holder.pid}\n"  # left behind by the kill
    with output_lock(video):
        assert (tmp_path / ".out.mp4.lock").read_text() == f"{os.getpid()}\n"
    assert list(tmp_path.iterdir()) == []


def test_only_partial_files_of_dead_writers_of_that_output_are_removed(tmp_path):
    dead, alive = dead_pid(), os.getpid()
    names = [
        f".out.mp4.partial-{dead}-a1b2.mp4",  # a killed run's: removed
        f".out.mp4.partial-{alive}-c3d4.mp4",  # being written: kept
        f".other.mp4.partial-{dead}-e5f6.mp4",  # another output's: kept
        ".out.mp4.partial-x7y8z9.mp4",  # no process id in the name: kept
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / f".out.mp4.partial-{dead}-dir").mkdir()  # a folder output's partial: removed
    removed = remove_stale_partials(tmp_path / "out.mp4")
    assert sorted(p.name for p in removed) == sorted([names[0], f".out.mp4.partial-{dead}-dir"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])


# ------------------------------------------------------------------------- checks before work


def test_an_output_where_no_file_can_be_made_is_refused_before_any_work(tmp_path, capsys):
    # /proc takes no new files, though root's permission bits say it is writable
    assert main(["fit", str(tmp_path / "photo.png"), "--out", str(tmp_path / "fit"), "--json", "/proc/liquidwarp-fit.json"]) == 2
    one_line_error(capsys, "/proc/liquidwarp-fit.json", "/proc")
    assert list(tmp_path.iterdir()) == []


def test_an_output_on_a_full_disk_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    real = atomic.shutil.disk_usage
    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda p: real(p)._replace(free=300 * 1024))
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "model.pt")]) == 2
    one_line_error(capsys, "model.pt", "only 0.3 MB free")
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------------- writes refused later

WRITERS = textwrap.dedent(
    """
    import json, sys
    from dataclasses import dataclass
    import numpy as np
    import torch
    from pathlib import Path
    from liquidwarp.errors import OutputError
    from liquidwarp.io.atomic import write_bytes_atomic
    from liquidwarp.io.media import VideoWriter
    from liquidwarp.training.checkpoint import save_bundle

    out = Path(sys.argv[1])
    rng = np.random.default_rng(0)

    def video():
        with VideoWriter(out / "video.mp4", fps=10) as writer:
            for t in range(40):  # noise: it does not compress, so the file passes the limit
                writer.write(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8))

    def data():
        write_bytes_atomic(out / "data.bin", bytes(200_000))

    @dataclass
    class Config:  # save_bundle stores the generator's config beside the weights
        width: int = 300

    def model():
        save_bundle(out / "model.pt", torch.nn.Linear(300, 300), Config(), {})

    for writer in (video, data, model):
        try:
            writer()
            print(json.dumps({"writer": writer.__name__, "error": None}))
        except OutputError as e:
            print(json.dumps({"writer": writer.__name__, "error": str(e), "environment": e.environment}))
    """
)


def test_writes_refused_by_the_system_are_one_line_naming_the_output_and_leave_nothing(tmp_path):
    limit = 64 * 1024

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    script = tmp_path / "writers.py"
    script.write_text(WRITERS)
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.run(
        [sys.executable, str(script), str(out)], preexec_fn=limited, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    results = {r["writer"]: r for r in map(json.loads, run.stdout.splitlines())}
    assert results["video"]["error"] == f"{out / 'video.mp4'}: could not be written (file too large)"
    assert results["data"]["error"] == f"{out / 'data.bin'}: could not be written (file too large)"
    assert results["model"]["error"] == f"{out / 'model.pt'}: could not be written (file too large)"
    assert all(r["environment"] for r in results.values())
    assert list(out.iterdir()) == []


def test_prepare_with_nothing_prepared_leaves_no_index_and_no_folder(tmp_path, capsys):
    data = tmp_path / "videos"
    data.mkdir()
    (data / "broken.mp4").write_text("not a video")
    assert main(["prepare", str(data), "--out", str(tmp_path / "prepared"), "--workers", "1"]) == 2
    assert "no video could be prepared" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["videos"]  # an index.json would pass for prepared footage


def test_forgetting_logged_steps_after_a_checkpoint(tmp_path):
    from liquidwarp.training.loop import forget_steps_after

    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"step": s, "g_total": 1.0}) + "\n" for s in range(1, 6)) + '{"step": 6, "g_to')  # cut by a kill
    forget_steps_after(log, 3)
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [1, 2, 3]
    forget_steps_after(log, 3)  # nothing more to drop
    assert log.read_text().count("\n") == 3
