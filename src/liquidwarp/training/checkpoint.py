"""Checkpoints: one dict (format version, resolved config, weights, optimiser states, step, and
the moving average of the generator's weights when the run keeps one), written atomically so a kill
never leaves a half-written file; DDP wrappers are removed first and weights load with
``strict=True``. The inference bundle (generator weights in fp16 + its config) is separate from
the training state. The generator a checkpoint gives for inference (:func:`load_generator`,
:func:`export_bundle`) is that moving average when there is one, else the trained weights.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from liquidwarp.io.atomic import atomic_file
from liquidwarp.training.ema import unwrap as _unwrap

FORMAT = "liquidwarp-checkpoint"
VERSION = 1
BUNDLE_FORMAT = "liquidwarp-generator"
BUNDLE_VERSION = 1


def _save(data: dict, path: Path) -> None:
    # Through a Python file object: a failed write then surfaces as the OSError (no space, ...)
    # that atomic_file reports in one line, not as torch's "unexpected pos" message.
    with atomic_file(path, suffix=".pt") as tmp, open(tmp, "wb") as f:
        torch.save(data, f)


def save_checkpoint(path: Path, models, config, step: int) -> None:
    state = {
        "format": FORMAT,
        "version": VERSION,
        "config": config.to_dict(),
        "step": step,
        "generator": _unwrap(models.generator).state_dict(),
        "discriminator": _unwrap(models.discriminator).state_dict(),
        "g_optimizer": models.g_optimizer.state_dict(),
        "d_optimizer": models.d_optimizer.state_dict(),
    }
    if models.ema is not None:
        state["generator_ema"] = models.ema.state_dict()
    _save(state, path)


def _load(path: Path) -> object:
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # truncated, another format, not a torch file at all
        raise ValueError(f"{path}: not a PyTorch file, or a damaged one ({type(error).__name__})") from None


def _check_state(path: Path, state: object) -> dict:
    """``state`` when it is a training checkpoint with a valid config and step; ValueError otherwise."""
    from liquidwarp.training.config import config_from_dict

    if not isinstance(state, dict) or state.get("format") != FORMAT or state.get("version") != VERSION:
        raise ValueError(f"{path}: not a {FORMAT} v{VERSION} file (a training run's checkpoint.pt)")
    step = state.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"{path}: damaged checkpoint: its step is {step!r}")
    try:
        config_from_dict(state.get("config"))
    except ValueError as error:
        raise ValueError(f"{path}: damaged checkpoint: its config: {error}") from None
    return state


def read_checkpoint(path: Path) -> dict:
    """The checkpoint dict at ``path`` (see :func:`save_checkpoint`), its format, step and config
    checked; ValueError naming the file otherwise."""
    return _check_state(path, _load(path))


def load_checkpoint(path: Path, models, config) -> int:
    """Load ``path`` into ``models`` (built from ``config``); returns the step to continue from.
    The checkpoint's network settings must equal ``config``'s. A run that keeps a moving average
    of G takes the checkpoint's, or, from a checkpoint without one, starts it at G's weights."""
    state = read_checkpoint(path)
    for part in ("generator", "discriminator"):
        if state["config"][part] != config.to_dict()[part]:
            raise ValueError(f"{path}: its {part} settings differ from this run's ({state['config'][part]} vs {config.to_dict()[part]})")
    _unwrap(models.generator).load_state_dict(state["generator"], strict=True)
    _unwrap(models.discriminator).load_state_dict(state["discriminator"], strict=True)
    if models.ema is not None:
        models.ema.load_state_dict(inference_weights(state))  # without a saved average: G's weights
    models.g_optimizer.load_state_dict(state["g_optimizer"])
    models.d_optimizer.load_state_dict(state["d_optimizer"])
    return int(state["step"])


def save_bundle(path: Path, generator: torch.nn.Module, generator_config, provenance: dict) -> None:
    """The inference weights of ``generator`` in fp16 with its config and where they came from."""
    weights = {k: v.half() if v.is_floating_point() else v for k, v in _unwrap(generator).state_dict().items()}
    bundle = {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "generator_config": asdict(generator_config), "weights": weights, "provenance": provenance}
    _save(bundle, path)


def load_bundle(path: Path, device: str | torch.device = "cpu"):
    """(generator in eval mode, float32, on ``device``; provenance dict) from a bundle file."""
    from liquidwarp.networks.generator import GeneratorConfig

    from liquidwarp.training.config import config_from_dict

    bundle = _load(path)
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT or bundle.get("version") != BUNDLE_VERSION:
        raise ValueError(f"{path}: not a {BUNDLE_FORMAT} v{BUNDLE_VERSION} file")
    try:
        config_from_dict({"generator": bundle.get("generator_config")})
    except ValueError as error:
        raise ValueError(f"{path}: damaged bundle: {error}") from None
    generator = GeneratorConfig(**bundle["generator_config"]).build()
    generator.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in bundle["weights"].items()}, strict=True)
    return generator.eval().to(device), bundle["provenance"]


def load_generator(path: Path, device: str | torch.device = "cpu"):
    """(generator in eval mode, float32, on ``device``; description dict) from an inference bundle
    (``liquidwarp export``) or a training checkpoint (``OUT/checkpoint.pt`` of ``liquidwarp train``)."""
    from liquidwarp.networks.generator import GeneratorConfig

    path = Path(path)
    state = _load(path)
    kind = state.get("format") if isinstance(state, dict) else None
    if kind == BUNDLE_FORMAT:
        return load_bundle(path, device)
    if kind != FORMAT or state.get("version") != VERSION:
        raise ValueError(f"{path}: neither a {BUNDLE_FORMAT} bundle nor a {FORMAT} v{VERSION} file")
    state = _check_state(path, state)
    generator = GeneratorConfig(**state["config"]["generator"]).build()
    generator.load_state_dict(inference_weights(state), strict=True)
    return generator.eval().to(device), {"checkpoint": str(path), "step": int(state["step"]), "config": state["config"], "ema": "generator_ema" in state}


def inference_weights(state: dict) -> dict[str, torch.Tensor]:
    """The generator weights of a checkpoint dict to infer with: the moving average when the run
    kept one (``optim.ema`` > 0), else the trained weights."""
    return state.get("generator_ema", state["generator"])


def export_bundle(checkpoint: Path, out: Path) -> dict:
    """Write the generator of a training ``checkpoint`` (its :func:`inference_weights`) as an
    inference bundle at ``out``; returns the provenance stored with it (source file, step, the
    run's whole config, whether the weights are the moving average, library version)."""
    from liquidwarp import __version__
    from liquidwarp.networks.generator import GeneratorConfig

    state = read_checkpoint(checkpoint)
    config = GeneratorConfig(**state["config"]["generator"])
    generator = config.build()
    generator.load_state_dict(inference_weights(state), strict=True)
    provenance = {"checkpoint": Path(checkpoint).name, "step": int(state["step"]), "config": state["config"], "ema": "generator_ema" in state, "liquidwarp": __version__}
    save_bundle(out, generator, config, provenance)
    return provenance
