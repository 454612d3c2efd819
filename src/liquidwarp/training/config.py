"""Training configuration: frozen dataclasses, the single source of truth (STYLE.md).

A YAML preset overrides any field by the same nested names; unknown keys are an error. The
resolved configuration is written into the run folder and into every checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from liquidwarp.data.augment import Augmentation
from liquidwarp.losses.terms import LossWeights
from liquidwarp.networks.generator import SMALL, GeneratorConfig


@dataclass(frozen=True)
class DiscriminatorConfig:
    base_channels: int = 64  # channels of the first PatchGAN layer
    n_layers: int = 3  # stride-2 layers (3: the 70 x 70 PatchGAN of pix2pix)


@dataclass(frozen=True)
class OptimConfig:
    lr: float = 2e-4  # Adam learning rate of G and D (the paper's)
    beta1: float = 0.5  # Adam betas (the paper's: 0.5, 0.999)
    beta2: float = 0.999
    batch_size: int = 4  # pairs per step and process (the paper: 4)
    steps: int = 20000  # optimiser steps in all
    decay_from: float = 1 / 6  # fraction of the run after which the lr falls linearly to 0 (paper: 30 epochs, decay over the last 25)


@dataclass(frozen=True)
class DataConfig:
    synthetic: tuple[str, ...] = ()  # folders written by `liquidwarp synth`
    real: tuple[str, ...] = ()  # folders written by `liquidwarp prepare` (real footage, fitted bodies)
    novel_view: float = 0.3  # chance that a synthetic target comes from another camera than its source
    size: int = 0  # side the frames are resampled to (0: the dataset's own)
    augmentation: Augmentation = field(default_factory=Augmentation)  # colour, blur, noise, backgrounds
    workers: int = 0  # DataLoader worker processes making pairs (0: in the training process)


@dataclass(frozen=True)
class RunConfig:
    seed: int = 0  # everything is a function of the seed: weights, pairs, order
    device: str = "cpu"  # "cpu", "cuda", "cuda:1", ...
    init: str = ""  # a bundle (`liquidwarp export`) or checkpoint whose generator starts a new run (its generator settings must be this run's); D and the optimisers start fresh. "": from scratch
    bf16: bool = False  # bf16 autocast; only where the hardware has fast bf16 (CUDA, AVX-512-BF16/AMX CPUs): on AVX2-only CPUs it is 30-140x slower
    log_every: int = 10  # steps between loss lines in log.jsonl
    sample_every: int = 200  # steps between sample grids (samples/step_XXXXXXX.png)
    checkpoint_every: int = 200  # steps between checkpoints (checkpoint.pt, atomically replaced)


@dataclass(frozen=True)
class TrainConfig:
    generator: GeneratorConfig = SMALL
    discriminator: DiscriminatorConfig = field(default_factory=lambda: DiscriminatorConfig(base_channels=32))
    losses: LossWeights = field(default_factory=LossWeights)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    run: RunConfig = field(default_factory=RunConfig)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _override(value: Any, changes: dict[str, Any], where: str) -> Any:
    if not isinstance(changes, dict):
        raise ValueError(f"{where or 'config'}: expected a mapping, got {changes!r}")
    known = {f.name: f for f in fields(value)}
    updates = {}
    for key, new in changes.items():
        if key not in known:
            raise ValueError(f"{where + '.' if where else ''}{key}: unknown setting; known: {', '.join(known)}")
        current = getattr(value, key)
        path = f"{where}.{key}" if where else key
        if is_dataclass(current):
            updates[key] = _override(current, new, path)
        elif isinstance(current, tuple):
            updates[key] = tuple(new) if isinstance(new, (list, tuple)) else (new,)
        elif isinstance(current, bool) and not isinstance(new, bool):
            raise ValueError(f"{path}: expected true or false, got {new!r}")
        elif isinstance(current, float) and isinstance(new, (int, float)) and not isinstance(new, bool):
            updates[key] = float(new)
        elif isinstance(current, (int, str)) and type(new) is not type(current):
            raise ValueError(f"{path}: expected {type(current).__name__}, got {new!r}")
        else:
            updates[key] = new
    return replace(value, **updates)


def config_from_dict(changes: dict[str, Any], base: TrainConfig | None = None) -> TrainConfig:
    """``base`` (default: the defaults) with the nested ``changes`` applied; unknown keys raise."""
    return _override(base if base is not None else TrainConfig(), changes, "")


def load_config(path: str | Path) -> TrainConfig:
    """A YAML preset (any subset of the nested fields) over the defaults."""
    import yaml

    text = Path(path).read_text()
    data = yaml.safe_load(text) or {}
    return config_from_dict(data)
