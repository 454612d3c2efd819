"""Every user error is caught before any work starts: one line ``liquidwarp: error: ...`` on
stderr, exit code 2, nothing made at the output path. No fitting, no training step here: each bad
input must be refused from its options, its file headers or a checkpoint's metadata alone.

The table in tests/README.md lists each bad input, its message and the test below that covers it.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from liquidwarp.cli.main import main

from imports import run_and_list_imports

# A run that trains (batch size 1, 2 steps) or that a bad value would start: the error must come first.
TINY = """\
generator: {base_channels: 8, downsamplings: 2, residual_blocks: 1, max_channels: 16, residual: false, attention_prior: 0.0}
discriminator: {base_channels: 8, n_layers: 2}
optim: {batch_size: 1, steps: 2}
"""


def refused(args: list[str], capsys, expected: str, out: Path | None = None) -> str:
    """Run the command in this process; it must exit 2 with one line naming ``expected``, and leave
    nothing at ``out``. Returns the message."""
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("liquidwarp: error: "), err
    assert expected in lines[0], lines[0]
    if out is not None:
        assert not out.exists(), f"{out} was made"
    return lines[0]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Small input files: a photo, a JPEG named .mp4, videos of one and three frames, a folder
    that passes for a synthetic dataset, a valid motion file and damaged copies of it."""
    from liquidwarp.body.model import BodyParams
    from liquidwarp.fitting.records import FittedSequence, save_sequence
    from liquidwarp.geometry.cameras import Camera
    from liquidwarp.io.media import VideoWriter, write_image

    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    picture = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    write_image(root / "photo.png", picture)
    write_image(root / "photo.jpg", picture)
    (root / "photo_named.mp4").write_bytes((root / "photo.jpg").read_bytes())
    for name, frames in (("one_frame.mp4", 1), ("three_frames.mp4", 3)):
        with VideoWriter(root / name, fps=10.0) as video:
            for _ in range(frames):
                video.write(picture)
    (root / "synth").mkdir()
    (root / "synth" / "manifest.json").write_text("{}")  # enough for the checks before training
    (root / "tiny.yaml").write_text(TINY)

    t = 3
    params = BodyParams(torch.zeros(t, 3), torch.zeros(t, 3), torch.zeros(t, 19, 3), torch.full((t, 6), 0.5))
    camera = Camera(torch.tensor([[500.0, 500.0]]), torch.tensor([[32.0, 24.0]]), torch.eye(3)[None], torch.tensor([[0.0, 0.0, 3.0]]), (64, 48))
    save_sequence(root / "good.npz", FittedSequence(params, camera, np.ones(t, bool), (0.0, 0.0, 64.0), 25.0, "clip.mp4"))
    good = dict(np.load(root / "good.npz"))
    nan = good["joint_rotations"].copy()
    nan[1, 2, 0] = np.nan
    damaged = {
        "zero_frames": {k: good[k][:0] for k in ("root_rotation", "root_translation", "joint_rotations", "shape", "found")},
        "joint_shape": {"joint_rotations": np.zeros((t, 18, 3), np.float32)},
        "fps_zero": {"fps": np.array(0.0)},
        "fps_nan": {"fps": np.array(np.nan)},
        "missing_key": {"shape": None},
        "nan_values": {"joint_rotations": nan},
    }
    for name, changes in damaged.items():
        arrays = {k: v for k, v in {**good, **changes}.items() if v is not None}
        np.savez(root / f"{name}.npz", **arrays)
    (root / "not_motion.npz").write_bytes((root / "photo.png").read_bytes())
    return root


@pytest.fixture(scope="module")
def run(tmp_path_factory, inputs):
    """A run folder holding a real checkpoint of TINY's settings at step 2 (no step taken)."""
    from liquidwarp.training.checkpoint import save_checkpoint
    from liquidwarp.training.config import config_from_dict, load_config
    from liquidwarp.training.loop import build_models

    folder = tmp_path_factory.mktemp("run")
    config = config_from_dict({"data": {"synthetic": [str(inputs / "synth")]}}, load_config(inputs / "tiny.yaml"))
    save_checkpoint(folder / "checkpoint.pt", build_models(config, torch.device("cpu")), config, step=2)
    return folder


def _listing(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.iterdir()}


# ------------------------------------------------------------------------ numbers in options


@pytest.mark.parametrize(
    "options, expected",
    [
        (["--angle", "nan"], "--angle must be a finite number, got nan"),
        (["--angle", "inf"], "--angle must be a finite number, got inf"),
        (["--angle=-inf"], "--angle must be a finite number, got -inf"),
        (["--angle", "ten"], "--angle must be a number, got 'ten'"),
        (["--angle", "0", "--elevation", "nan"], "--elevation must be a finite number, got nan"),
        (["--angle", "0", "--elevation", "90"], "--elevation must be between -60 and 60 degrees, got 90"),
        (["--angles", "0:inf:1"], "angles must be finite numbers of degrees, got '0:inf:1'"),
        (["--angles", "nan:360:30"], "angles must be finite numbers of degrees"),
    ],
)
def test_view_refuses_angles_that_are_not_finite(inputs, tmp_path, capsys, options, expected):
    out = tmp_path / "views.mp4"
    refused(["view", "--source", inputs / "photo.png", *options, "--method", "copy", "--out", out], capsys, expected, out)


@pytest.mark.parametrize("fps", ["nan", "inf", "-inf"])
def test_synth_refuses_a_frame_rate_that_is_not_finite(tmp_path, capsys, fps):
    out = tmp_path / "data"
    refused(["synth", out, f"--fps={fps}"], capsys, f"--fps must be a finite number, got {fps}", out)


def _size_commands(inputs: Path, out: Path) -> dict[str, list]:
    """Every command with --size, its other options valid, writing to ``out``."""
    photo = inputs / "photo.png"
    return {
        "synth": ["synth", out],
        "imitate": ["imitate", "--source", photo, "--reference", inputs / "good.npz", "--out", out.with_suffix(".mp4")],
        "swap": ["swap", "--reference", photo, "--source", photo, "--out", out.with_suffix(".png")],
        "personalize": ["personalize", "--source", photo, "--out", out.with_suffix(".pt")],
        "view": ["view", "--source", photo, "--angle", "0", "--out", out.with_suffix(".png")],
        "prepare": ["prepare", inputs / "three_frames.mp4", "--out", out],
        "demo": ["demo", "--out", out],
        "evaluate": ["evaluate", "--protocol", "self-imitation", "--data", inputs / "three_frames.mp4", "--out", out.with_suffix(".json")],
        "bench sheets": ["bench", "sheets", "--out", out],
    }


@pytest.mark.parametrize("command", ["synth", "imitate", "swap", "personalize", "view", "prepare", "demo", "evaluate", "bench sheets"])
@pytest.mark.parametrize("size", ["100", "7", "48", "2048", "256.5"])
def test_every_size_option_has_one_rule(inputs, tmp_path, capsys, command, size):
    args = _size_commands(inputs, tmp_path / "out")[command]
    rule = "--size must be a multiple of 16 between 64 and 1024 pixels"
    expected = f"{rule}, got {size}" if size != "256.5" else "--size must be an integer, got '256.5'"
    refused([*args, "--size", size], capsys, expected, args[-1] if command != "synth" else args[1])


# ------------------------------------------------------------------------ devices


@pytest.mark.parametrize(
    "device, expected",
    [
        pytest.param("cuda", "--device cuda: this machine has no CUDA device", marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")),
        ("cuda:99", "--device cuda:99: this machine has"),
        pytest.param("mps", "--device mps: this machine has no Apple MPS device", marks=pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")),
        ("gpu", "--device must be cpu, cuda, cuda:N or mps, got 'gpu'"),
    ],
)
@pytest.mark.parametrize("command", ["imitate", "train"])
def test_a_device_this_machine_lacks_is_refused_before_work(inputs, tmp_path, capsys, command, device, expected):
    if command == "imitate":
        out = tmp_path / "out.mp4"
        args = ["imitate", "--source", inputs / "photo.png", "--reference", inputs / "good.npz", "--out", out]
    else:
        out = tmp_path / "run"
        args = ["train", "--config", inputs / "tiny.yaml", "--data", inputs / "synth", "--out", out]
    refused([*args, "--device", device], capsys, expected, out)


def test_a_device_set_in_the_config_is_checked_too(inputs, tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    preset = tmp_path / "cuda.yaml"
    preset.write_text(TINY + "run: {device: cuda}\n")
    out = tmp_path / "run"
    refused(["train", "--config", preset, "--data", inputs / "synth", "--out", out], capsys, "run.device cuda: this machine has no CUDA device", out)


# ------------------------------------------------------------------------ training configs


@pytest.mark.parametrize(
    "preset, expected",
    [
        ("optim: {batch_size: 0}", "optim.batch_size must be at least 1, got 0"),
        ("run: {checkpoint_every: 0}", "run.checkpoint_every must be at least 1, got 0"),
        ("optim: {lr: -0.1}", "optim.lr must be at least 0, got -0.1"),
        ("optim: {lr: .nan}", "optim.lr must be a finite number, got nan"),
        ("losses: {face: .inf}", "losses.face must be a finite number, got inf"),
        ("optim: {beta2: 1.0}", "optim.beta2 must be below 1"),
        ("data: {size: 7}", "data.size must be a multiple of 16 between 64 and 1024 pixels, got 7"),
        ("data: {size: 100}", "data.size must be a multiple of 16 between 64 and 1024 pixels, got 100"),
        ("data: {novel_view: 1.5}", "data.novel_view must be between 0 and 1, got 1.5"),
        ("generator: {fusion: multiply}", "generator.fusion must be one of add, attention, got 'multiply'"),
        ("run: {device: gpu}", "run.device must be cpu, cuda, cuda:N or mps, got 'gpu'"),
        ("optim: {lr: [1,", "not valid YAML at line 2, column 1"),
        ("optim: {speed: 3}", "optim.speed: unknown setting"),
        ("optim: {batch_size: four}", "optim.batch_size: expected int, got 'four'"),
        ("optim: {batch_size: 2.5}", "optim.batch_size: expected int, got 2.5"),
        ("optim: {lr: fast}", "optim.lr: expected a number, got 'fast'"),
        ("optim: {lr: true}", "optim.lr: expected a number, got True"),
        ("data: {synthetic: [1, 2]}", "data.synthetic: expected a list of folder names"),
        ("[1, 2]", "expected a mapping"),
    ],
)
def test_training_config_with_a_bad_value_names_the_setting(inputs, tmp_path, capsys, preset, expected):
    config = tmp_path / "bad.yaml"
    config.write_text(preset + "\n")
    out = tmp_path / "run"
    message = refused(["train", "--config", config, "--data", inputs / "synth", "--out", out], capsys, expected, out)
    assert str(config) in message


def test_config_validation_is_the_same_from_the_library():
    from liquidwarp.training.config import config_from_dict

    with pytest.raises(ValueError, match="optim.batch_size must be at least 1"):
        config_from_dict({"optim": {"batch_size": 0}})
    assert config_from_dict({"data": {"size": 256}, "optim": {"lr": 0}}).data.size == 256  # lr 0: frozen weights, allowed


# ------------------------------------------------------------------------ resume and checkpoints


def test_resume_with_other_settings_is_refused_and_leaves_the_run_alone(inputs, run, capsys):
    before = _listing(run)
    message = refused(["train", "--data", inputs / "synth", "--out", run, "--resume"], capsys, "--resume: settings differ from")
    assert "discriminator.base_channels 32 (checkpoint: 8)" in message
    assert _listing(run) == before


def test_resume_with_fewer_steps_than_taken_is_refused(inputs, run, capsys):
    before = _listing(run)
    refused(
        ["train", "--config", inputs / "tiny.yaml", "--data", inputs / "synth", "--out", run, "--resume", "--steps", "1"],
        capsys, "--steps 1: " + str(run / "checkpoint.pt") + " is already at step 2",
    )  # fmt: skip
    assert _listing(run) == before  # no config.json rewritten


def test_resume_may_change_the_steps_and_the_device(inputs, run):
    from liquidwarp.training.checkpoint import read_checkpoint
    from liquidwarp.training.config import config_from_dict, load_config, resume_differences

    saved = read_checkpoint(run / "checkpoint.pt")
    config = config_from_dict({"data": {"synthetic": [str(inputs / "synth")]}}, load_config(inputs / "tiny.yaml"))
    assert resume_differences(config_from_dict({"optim": {"steps": 10}, "run": {"log_every": 5}}, config), saved["config"]) == []
    assert resume_differences(config_from_dict({"optim": {"lr": 0.1}}, config), saved["config"]) == ["optim.lr 0.1 (checkpoint: 0.0002)"]


@pytest.mark.parametrize(
    "damage, expected",
    [
        (lambda s: s["config"]["optim"].update(lr=float("nan")), "damaged checkpoint: its config: optim.lr must be a finite number"),
        (lambda s: s.update(step=-1), "damaged checkpoint: its step is -1"),
        (lambda s: s.update(step=float("nan")), "damaged checkpoint: its step is nan"),
        (lambda s: s.update(format="something-else"), "not a liquidwarp-checkpoint v1 file"),
    ],
)
def test_export_refuses_a_damaged_checkpoint(run, tmp_path, capsys, damage, expected):
    state = torch.load(run / "checkpoint.pt", weights_only=False)
    damage(state)
    torch.save(state, tmp_path / "checkpoint.pt")
    out = tmp_path / "bundle.pt"
    refused(["export", tmp_path, "--out", out], capsys, expected, out)


@pytest.mark.parametrize("name", ["photo.png", "good.npz"])
def test_export_refuses_a_file_that_is_not_a_checkpoint(inputs, tmp_path, capsys, name):
    out = tmp_path / "bundle.pt"
    refused(["export", inputs / name, "--out", out], capsys, "not a PyTorch file", out)


# ------------------------------------------------------------------------ output folders


def test_train_out_naming_an_existing_file_is_refused(inputs, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("mine")
    refused(["train", "--data", inputs / "synth", "--out", out], capsys, f"run folder {out} exists and is a file")
    assert out.read_text() == "mine"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs permissions that bind (not root)")
@pytest.mark.parametrize("command", ["train", "prepare"])
def test_a_read_only_output_folder_is_refused(inputs, tmp_path, capsys, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        out = locked / "out"
        args = ["train", "--data", inputs / "synth"] if command == "train" else ["prepare", inputs / "three_frames.mp4"]
        refused([*args, "--out", out], capsys, "is not writable", out)
        existing = tmp_path / "existing"  # resuming into a folder that cannot be written
        existing.mkdir()
        existing.chmod(0o555)
        args = ["train", "--data", inputs / "synth", "--resume"] if command == "train" else ["prepare", inputs / "three_frames.mp4"]
        refused([*args, "--out", existing], capsys, f"{existing} is not writable")
    finally:
        locked.chmod(0o755)
        (tmp_path / "existing").chmod(0o755)


# ------------------------------------------------------------------------ motion files


@pytest.mark.parametrize(
    "name, expected",
    [
        ("zero_frames", "motion file has no frames"),
        ("joint_shape", "joint_rotations has shape (3, 18, 3), expected (3, 19, 3)"),
        ("fps_zero", "frame rate 0, expected more than 0"),
        ("fps_nan", "fps holds values that are not finite numbers"),
        ("missing_key", "damaged motion file: no shape"),
        ("nan_values", "joint_rotations holds values that are not finite numbers"),
        ("not_motion", "not a liquidwarp motion file"),
    ],
)
def test_a_bad_motion_file_is_refused_before_the_sources_are_fitted(inputs, tmp_path, capsys, name, expected):
    out = tmp_path / "out.mp4"
    reference = inputs / f"{name}.npz"
    message = refused(["imitate", "--source", inputs / "photo.png", "--reference", reference, "--method", "copy", "--out", out], capsys, expected, out)
    assert str(reference) in message


def test_a_good_motion_file_loads(inputs):
    from liquidwarp.fitting.records import load_sequence

    seq = load_sequence(inputs / "good.npz")
    assert (seq.frames, seq.fps, seq.camera.image_size) == (3, 25.0, (64, 48))


# ------------------------------------------------------------------------ images named as videos, evaluation data


def test_an_image_named_mp4_is_told_by_its_content(inputs):
    from liquidwarp.io.media import image_format

    assert image_format(inputs / "photo_named.mp4") == "JPEG"
    assert image_format(inputs / "photo.png") == "PNG"
    assert image_format(inputs / "three_frames.mp4") is None


@pytest.mark.parametrize("command", ["imitate", "fit", "swap", "prepare", "evaluate", "background"])
def test_an_image_named_mp4_is_refused_where_a_video_is_expected(inputs, tmp_path, capsys, command):
    fake, photo = inputs / "photo_named.mp4", inputs / "photo.png"
    out = tmp_path / "out"
    args = {
        "imitate": ["imitate", "--source", photo, "--reference", fake, "--out", out.with_suffix(".mp4")],
        "fit": ["fit", fake, "--out", out],
        "swap": ["swap", "--reference", fake, "--source", photo, "--out", out.with_suffix(".mp4")],
        "prepare": ["prepare", fake, "--out", out],
        "evaluate": ["evaluate", "--protocol", "cross-imitation", "--data", fake, "--out", out.with_suffix(".json")],
        "background": ["view", "--source", photo, "--angle", "0", "--background", fake, "--out", out.with_suffix(".png")],
    }[command]
    expected = f"{fake}: a JPEG image, not a video" if command != "evaluate" else f"{fake}: a photo; evaluation needs videos"
    target = args[-1]
    refused(args, capsys, expected, target)


@pytest.mark.parametrize(
    "protocol, data, extra, expected",
    [
        ("novel-view", "three_frames.mp4", [], "novel view needs several cameras per subject"),
        ("self-imitation", "photo.png", [], "a photo; evaluation needs videos"),
        ("self-imitation", "one_frame.mp4", [], "self-imitation needs videos of two or more frames (a source and a target); the longest has 1"),
        ("self-imitation", "three_frames.mp4", ["--max-frames", "1"], "the longest has 1 (with --max-frames 1)"),
        ("cross-imitation", "three_frames.mp4", [], "cross-imitation needs two or more videos"),
    ],
)
def test_evaluate_checks_its_data_before_fitting(inputs, tmp_path, capsys, monkeypatch, protocol, data, extra, expected):
    from liquidwarp.data import evaluation

    def no_fitting(*args, **kwargs):
        raise AssertionError("the data was opened (fitting) before the check")

    monkeypatch.setattr(evaluation, "open_evaluation_data", no_fitting)
    out = tmp_path / "results.json"
    frames = tmp_path / "frames"
    args = ["evaluate", "--protocol", protocol, "--data", inputs / data, "--method", "copy", "--out", out, "--save-frames", frames, *extra]
    refused(args, capsys, expected, out)
    assert not frames.exists()


# ------------------------------------------------------------------------ the real process


def test_the_real_entry_point_exits_2_with_one_line(inputs, tmp_path):
    out = tmp_path / "v.png"
    result = subprocess.run(
        [sys.executable, "-m", "liquidwarp", "view", "--source", str(inputs / "photo.png"), "--angle", "nan", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["liquidwarp: error: --angle must be a finite number, got nan"]
    assert not out.exists()


def test_help_imports_no_heavy_module():
    """Building the parser and printing help must not import torch, OpenCV or mediapipe (lazy
    imports keep `liquidwarp --help` well under a second)."""
    script = (
        "import contextlib, io\n"
        "from liquidwarp.__main__ import build_parser\n"
        "parser = build_parser()\n"
        "for argv in (['--help'], ['train', '--help'], ['evaluate', '--help'], ['bench', 'speed', '--help'], ['serve', '--help']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        parser.parse_args(argv)\n"
    )
    printed, imported = run_and_list_imports(script, ("torch", "cv2", "mediapipe", "scipy", "yaml"))
    assert printed.strip() == "" and imported == []
