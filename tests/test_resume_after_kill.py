"""`liquidwarp train` killed for real (SIGKILL, a process that can clean nothing up) after a
checkpoint, then resumed: the weights, the moving average of G and the optimiser states equal those of a run that was never
stopped, and log.jsonl holds each step once although the killed run had logged steps past its last
checkpoint, which the resumed run takes again."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml

from liquidwarp.cli.main import main

SRC = Path(__file__).resolve().parents[1] / "src"
STEPS = 6
TINY = {
    "generator": {"base_channels": 8, "downsamplings": 2, "residual_blocks": 1, "max_channels": 16, "residual": False, "attention_prior": 0.0},
    "discriminator": {"base_channels": 8, "n_layers": 2},
    "optim": {"batch_size": 2, "steps": STEPS, "ema": 0.5},
    "run": {"log_every": 1, "sample_every": 100, "checkpoint_every": 2, "bf16": False},
}


def logged_steps(log: Path) -> list[int]:
    return [json.loads(line)["step"] for line in log.read_text().splitlines(keepends=True) if line.endswith("\n")] if log.is_file() else []


def kill_after_a_checkpoint(args: list[str], run: Path, timeout: float = 300.0) -> None:
    """Run `liquidwarp train ARGS` and SIGKILL it once it has a checkpoint and has logged a step
    past it."""
    process = subprocess.Popen([sys.executable, "-m", "liquidwarp", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(SRC)}, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-3000:]
        steps = logged_steps(run / "log.jsonl")
        if (run / "checkpoint.pt").is_file() and steps and steps[-1] % 2 == 1 and steps[-1] > 2:
            break
        time.sleep(0.02)
    process.kill()
    process.communicate()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.slow
def test_a_training_run_killed_after_a_checkpoint_resumes_to_the_uninterrupted_result(tmp_path):
    data, preset = tmp_path / "data", tmp_path / "tiny.yaml"
    assert main(["synth", str(data), "--subjects", "2", "--frames", "4", "--views", "2", "--size", "64", "--seed", "21", "--fps", "5"]) == 0
    preset.write_text(yaml.safe_dump(TINY))
    args = ["train", "--config", str(preset), "--data", str(data)]
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    kill_after_a_checkpoint([*args, "--out", str(killed)], killed)
    at = torch.load(killed / "checkpoint.pt", weights_only=False)["step"]
    assert at < STEPS and max(logged_steps(killed / "log.jsonl")) > at  # steps logged that the checkpoint lacks
    assert main([*args, "--out", str(killed), "--resume"]) == 0
    assert main([*args, "--out", str(straight)]) == 0
    assert logged_steps(killed / "log.jsonl") == logged_steps(straight / "log.jsonl") == list(range(1, STEPS + 1))
    a = torch.load(straight / "checkpoint.pt", weights_only=False)
    b = torch.load(killed / "checkpoint.pt", weights_only=False)
    assert a["step"] == b["step"] == STEPS
    # Bitwise: a run's steps are a function of its config and the step (seeded weights and pairs,
    # Adam state saved whole), on the same machine with the same thread count.
    for part in ("generator", "discriminator", "generator_ema"):
        assert a[part].keys() == b[part].keys()
        for key in a[part]:
            assert torch.equal(a[part][key], b[part][key]), (part, key)
    for part in ("g_optimizer", "d_optimizer"):
        assert a[part]["param_groups"] == b[part]["param_groups"]
        for index, state in a[part]["state"].items():
            for key, value in state.items():
                assert torch.equal(value, b[part]["state"][index][key]), (part, index, key)
