"""Training configuration: frozen dataclasses, the single source of truth (STYLE.md).

A YAML preset overrides any field by the same nested names; unknown keys are an error. The
resolved configuration is written into the run folder and into every checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from collections.abc import Callable
from typing import Any

from liquidwarp.data.augment import Augmentation
from liquidwarp.losses.terms import LossWeights
from liquidwarp.networks.generator import SMALL, GeneratorConfig
from liquidwarp.validation import check_device_name, check_range, check_size


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
    ema: float = 0.0  # decay of a moving average of G's weights, updated after each G step, saved in checkpoints and used for inference (0: none; e.g. 0.999 for runs of well over 1,000 steps)


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
            if not all(isinstance(item, str) for item in updates[key]):
                raise ValueError(f"{path}: expected a list of folder names, got {new!r}")
        elif isinstance(current, bool) and not isinstance(new, bool):
            raise ValueError(f"{path}: expected true or false, got {new!r}")
        elif isinstance(current, float):
            if isinstance(new, bool) or not isinstance(new, (int, float)):
                raise ValueError(f"{path}: expected a number, got {new!r}")
            updates[key] = float(new)
        elif isinstance(current, (int, str)) and type(new) is not type(current):
            raise ValueError(f"{path}: expected {type(current).__name__}, got {new!r}")
        else:
            updates[key] = new
    return replace(value, **updates)


def _at_least(low: float) -> Callable[[str, Any], None]:
    return lambda name, value: check_range(value, name, low=low)


def _between(low: float, high: float) -> Callable[[str, Any], None]:
    return lambda name, value: check_range(value, name, low, high)


def _below_one(why: str) -> Callable[[str, Any], None]:
    def check(name: str, value: float) -> None:
        check_range(value, name, low=0)
        if value >= 1:
            raise ValueError(f"{name} must be below 1 ({why}), got {value:g}")

    return check


_adam_beta = _below_one("Adam's moving averages")


def _one_of(*choices: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")

    return check


def _data_size(name: str, value: int) -> None:
    if value != 0:
        check_size(value, name)


# The allowed values of every numeric or named setting, by its nested name (types are checked by
# ``_override``; a float setting not listed here must still be finite).
_RULES: dict[str, Callable[[str, Any], None]] = {
    "generator.base_channels": _at_least(1),
    "generator.downsamplings": _between(1, 4),
    "generator.residual_blocks": _at_least(0),
    "generator.max_channels": _at_least(1),
    "generator.stem_kernel": _at_least(1),
    "generator.fusion": _one_of("add", "attention"),
    "generator.attention_prior": _at_least(0),
    "discriminator.base_channels": _at_least(1),
    "discriminator.n_layers": _at_least(1),
    "optim.lr": _at_least(0),
    "optim.beta1": _adam_beta,
    "optim.beta2": _adam_beta,
    "optim.batch_size": _at_least(1),
    "optim.steps": _at_least(1),
    "optim.decay_from": _between(0, 1),
    "optim.ema": _below_one("the decay of a moving average; 0 keeps none"),
    "data.novel_view": _between(0, 1),
    "data.size": _data_size,
    "data.workers": _at_least(0),
    "run.seed": _at_least(0),
    "run.device": lambda name, value: check_device_name(value, name),
    "run.log_every": _at_least(1),
    "run.sample_every": _at_least(1),
    "run.checkpoint_every": _at_least(1),
}


def _validate(value: Any, where: str) -> None:
    for f in fields(value):
        name, current = f"{where}.{f.name}" if where else f.name, getattr(value, f.name)
        if is_dataclass(current):
            _validate(current, name)
        elif name in _RULES:
            _RULES[name](name, current)
        elif isinstance(current, float):
            check_range(current, name, low=0)  # loss weights, augmentation strengths and chances


def validate(config: TrainConfig) -> TrainConfig:
    """``config`` when every setting is allowed; ValueError naming the first that is not."""
    _validate(config, "")
    if config.generator.stem_kernel % 2 == 0:
        raise ValueError(f"generator.stem_kernel must be odd, got {config.generator.stem_kernel}")
    return config


def config_from_dict(changes: dict[str, Any], base: TrainConfig | None = None) -> TrainConfig:
    """``base`` (default: the defaults) with the nested ``changes`` applied and :func:`validate`d;
    unknown keys, wrong types and disallowed values raise ValueError naming the setting."""
    return validate(_override(base if base is not None else TrainConfig(), changes, ""))


def load_config(path: str | Path) -> TrainConfig:
    """A YAML preset (any subset of the nested fields) over the defaults; ValueError (naming the
    line, or the setting) for a file that is not YAML or a setting that is not allowed."""
    import yaml

    text = Path(path).read_text()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise ValueError(f"not valid YAML{where}: {problem}") from None
    return config_from_dict(data if data is not None else {})


# Settings that a resumed run may change: they do not alter what is computed (optim.ema: not what
# G and D learn; a run resumed with another decay, or from a checkpoint without an average, starts
# or continues its average from there).
RESUMABLE = frozenset({"optim.steps", "optim.ema", "run.device", "run.log_every", "run.sample_every", "run.checkpoint_every", "data.workers"})


def _flatten(values: dict[str, Any], where: str = "") -> dict[str, Any]:
    flat = {}
    for key, value in values.items():
        name = f"{where}.{key}" if where else key
        flat.update(_flatten(value, name) if isinstance(value, dict) else {name: value})
    return flat


def resume_differences(config: TrainConfig, saved: dict[str, Any]) -> list[str]:
    """The settings of ``config`` that differ from ``saved`` (a checkpoint's config dict) other
    than those in ``RESUMABLE``, as ``"name: this run's value (checkpoint: its value)"``."""
    ours, theirs = _flatten(config.to_dict()), _flatten(saved)
    names = sorted(n for n in ours.keys() | theirs.keys() if n not in RESUMABLE and _normal(ours.get(n)) != _normal(theirs.get(n)))
    return [f"{n} {ours.get(n)!r} (checkpoint: {theirs.get(n)!r})" for n in names]


def _normal(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
