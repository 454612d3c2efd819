import json
import subprocess
import sys

import pytest

from liquidwarp.cli.main import main


def run_cli(*args):
    return main([str(a) for a in args])


def test_synth_end_to_end_through_the_real_entry_point(tmp_path):
    out = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "liquidwarp", "synth", out, "--subjects", "1", "--frames", "2", "--views", "1", "--size", "64", "--preview"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "frames/s" in proc.stdout
    assert (out / "manifest.json").is_file() and (out / "preview.png").is_file()
    assert len(list(out.rglob("rgb_*.png"))) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["data"]  # no temporary folder left behind


@pytest.mark.parametrize(
    "args, message",
    [
        (["--size", "7"], "--size"),
        (["--subjects", "-3"], "--subjects"),
        (["--frames", "0"], "--frames"),
        (["--views", "two"], "--views"),
    ],
)
def test_synth_rejects_bad_values_with_one_line_and_exit_2(tmp_path, capsys, args, message):
    out = tmp_path / "data"
    assert run_cli("synth", out, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("liquidwarp: error:") and message in err and err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_synth_rejects_missing_and_unwritable_folders(tmp_path, capsys):
    assert run_cli("synth", tmp_path / "missing" / "data") == 2
    assert "does not exist" in capsys.readouterr().err
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    assert run_cli("synth", blocker / "data") == 2
    assert "is not a folder" in capsys.readouterr().err
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("user data")
    assert run_cli("synth", full, "--frames", "1") == 2
    assert "not empty" in capsys.readouterr().err
    assert (full / "keep.txt").read_text() == "user data"
    assert run_cli("synth", blocker) == 2
    assert "is a file" in capsys.readouterr().err


def test_failure_during_work_leaves_nothing_behind(tmp_path, monkeypatch):
    import liquidwarp.data.synthetic as synthetic

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(synthetic, "write_dataset", explode)
    with pytest.raises(RuntimeError):
        run_cli("synth", tmp_path / "data")
    assert list(tmp_path.iterdir()) == []


def test_unknown_command_and_missing_arguments_exit_2(capsys):
    assert run_cli("transmogrify") == 2
    assert run_cli("synth") == 2
    assert run_cli("bench") == 2
    err = capsys.readouterr().err
    assert err.count("liquidwarp: error:") == 3


def test_bench_geometry_json_to_a_missing_folder_fails_before_measuring(tmp_path, capsys):
    assert run_cli("bench", "geometry", "--json", tmp_path / "nope" / "g.json") == 2
    assert "does not exist" in capsys.readouterr().err


def test_bench_geometry_writes_every_figure(tmp_path, capsys):
    path = tmp_path / "geometry.json"
    assert run_cli("bench", "geometry", "--subjects", "1", "--frames", "6", "--repeats", "3", "--json", path) == 0
    figures = json.loads(path.read_text())
    for key in ("rasterize_ms_256", "fast_vs_reference_agreement", "identity_warp_psnr_db", "pair_warp_psnr_db", "synth_frames_per_s"):
        assert isinstance(figures[key], float), key
    assert figures["fast_vs_reference_agreement"] >= 0.999
    assert figures["identity_warp_psnr_db"] >= 60
    assert figures["pair_warp_psnr_db"] >= 25
    assert figures["synth_frames_per_s"] > 0


def test_bench_sheets_finishes_without_a_json_option(tmp_path, capsys, monkeypatch):
    """`bench sheets` writes its own sheets.json and has no --json: the command must still end well."""
    from liquidwarp.bench import sheets

    def run(out, size, progress):  # the real one makes the folder and the sheets (minutes)
        out.mkdir(parents=True)
        return {"size": size, "sheets": {}}

    monkeypatch.setattr(sheets, "run", run)
    assert run_cli("bench", "sheets", "--out", tmp_path / "sheets", "--size", "64") == 0
    assert json.loads((tmp_path / "sheets" / "sheets.json").read_text()) == {"size": 64, "sheets": {}}
