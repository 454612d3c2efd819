"""The training loop of the Liquid Warping GAN: G and D steps as functions of explicit objects,
checkpoints that survive a kill, logs of every loss term, sample grids, and DDP under torchrun.

One step (ICCV 2019, section 3.3): the generator re-poses the source of each pair into the target
body; its loss (``GeneratorLoss``) is the weighted sum (``LossWeights``) of the LSGAN term of D
on (output, C_t), the L1 of G_SID's source reconstruction, the VGG19 perceptual distance of the
output to the real target frame, the same on head crops, and the attention's L1 to the target body
mask plus its total variation. Then D takes an LSGAN step on real (target frame, C_t) against the
detached output. With ``optim.ema`` > 0 a moving average of G's weights follows each G step; it
is what the sample grids show, and what the checkpoint gives for inference.

Multi-process: started by ``torchrun``, each process trains on its own pairs (the pair indices of
a step are spread over the ranks) and DDP averages the gradients; rank 0 writes logs, samples and
checkpoints. Everything else is the same code path as one process.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from liquidwarp.data.pairs import TrainingPair
from liquidwarp.io.atomic import check_free_space, refusals_named, write_bytes_atomic
from liquidwarp.io.images import model_to_uint8
from liquidwarp.losses.generator import GeneratorLoss, GeneratorTruth
from liquidwarp.losses.terms import PerceptualLoss, lsgan_discriminator_loss
from liquidwarp.networks.discriminator import PatchDiscriminator
from liquidwarp.networks.precision import autocast
from liquidwarp.scene.inputs import run_generator
from liquidwarp.training.checkpoint import load_checkpoint, save_checkpoint
from liquidwarp.training.config import TrainConfig
from liquidwarp.training.ema import MovingAverage


@dataclass
class Models:
    generator: torch.nn.Module  # LiquidWarpingGenerator, or its DDP wrapper
    discriminator: torch.nn.Module
    g_optimizer: torch.optim.Optimizer
    d_optimizer: torch.optim.Optimizer
    ema: MovingAverage | None = None  # the moving average of G's weights (optim.ema > 0)


def build_models(config: TrainConfig, device: torch.device) -> Models:
    torch.manual_seed(config.run.seed)
    generator = config.generator.build().to(device)
    discriminator = PatchDiscriminator(base_channels=config.discriminator.base_channels, n_layers=config.discriminator.n_layers).to(device)
    betas = (config.optim.beta1, config.optim.beta2)
    return Models(
        generator,
        discriminator,
        torch.optim.Adam(generator.parameters(), lr=config.optim.lr, betas=betas),
        torch.optim.Adam(discriminator.parameters(), lr=config.optim.lr, betas=betas),
        MovingAverage(generator, config.optim.ema) if config.optim.ema > 0 else None,
    )


def initial_generator(config: TrainConfig) -> torch.nn.Module:
    """The generator of ``config.run.init`` (a bundle or a checkpoint); ValueError when it cannot
    be read or its generator settings differ from the run's."""
    from liquidwarp.training.checkpoint import load_generator

    source, _ = load_generator(Path(config.run.init))
    if config.generator.select and source.config == replace(config.generator, select=False, select_prior=0.0):
        return with_select(source, config.generator)
    if source.config != config.generator:
        raise ValueError(f"{config.run.init}: its generator settings differ from this run's ({source.config} vs {config.generator})")
    return source


def with_select(source: torch.nn.Module, settings) -> torch.nn.Module:
    """A generator built from ``settings`` (``select`` on) that renders as ``source`` (the same
    settings with ``select`` off) would, but for the choice: every weight copied; G_TSF's stem
    gets zero weights for the guess channels, and its head keeps the new choice channels' start
    (:data:`~liquidwarp.networks.generator.SELECT_START`)."""
    generator = settings.build()
    state = generator.state_dict()
    for name, value in source.state_dict().items():
        target = state[name]
        if target.shape == value.shape:
            target.copy_(value)
        elif name == "transfer_stream.stem.0.weight":  # (out, 6, k, k) -> (out, 9, k, k)
            target.zero_()
            target[:, : value.shape[1]] = value
        elif name.startswith("transfer_stream.head."):  # (4, ...) -> (6, ...): keep the new rows
            target[: value.shape[0]] = value
        else:
            raise ValueError(f"{name}: {tuple(value.shape)} cannot become {tuple(target.shape)}")
    generator.load_state_dict(state, strict=True)
    return generator


def learning_rate(config: TrainConfig, step: int) -> float:
    """Constant, then linear decay to 0 over the last ``1 - decay_from`` of the run (the paper's)."""
    start = int(config.optim.decay_from * config.optim.steps)
    if step < start:
        return config.optim.lr
    return config.optim.lr * max(0.0, 1.0 - (step - start) / max(config.optim.steps - start, 1))


def generate(generator: torch.nn.Module, batch: TrainingPair):
    """The generator's output for a batch of single-source pairs (S = 1)."""
    return run_generator(generator, batch.source_inputs(), batch.target_inputs())


def generator_step(models: Models, batch: TrainingPair, loss: GeneratorLoss, bf16: bool) -> tuple[dict[str, float], torch.Tensor]:
    """One G update with ``loss`` (its weights: the run's ``config.losses``), then the moving
    average's, if any; returns every loss term (unweighted) and the weighted total, and the
    generated images (detached, for D's step and the samples)."""
    device = batch.source_image.device
    models.g_optimizer.zero_grad(set_to_none=True)
    with autocast(device, bf16):
        out = generate(models.generator, batch)
        fake_logits = models.discriminator(out.image, batch.target_map)
    named = loss(out, GeneratorTruth.of(batch), fake_logits)
    named["total"].backward()
    models.g_optimizer.step()
    if models.ema is not None:
        models.ema.update(models.generator)
    return {f"g_{k}": float(v.detach()) for k, v in named.items()}, out.image.float().detach()


def discriminator_step(models: Models, batch: TrainingPair, fake: torch.Tensor, bf16: bool) -> dict[str, float]:
    """One D update on real targets against the generator's (detached) outputs."""
    device = batch.target_image.device
    models.d_optimizer.zero_grad(set_to_none=True)
    with autocast(device, bf16):
        real_logits = models.discriminator(batch.target_image, batch.target_map)
        fake_logits = models.discriminator(fake.detach(), batch.target_map)
    loss = lsgan_discriminator_loss(real_logits.float(), fake_logits.float())
    loss.backward()
    models.d_optimizer.step()
    return {"d_total": float(loss.detach())}


def _dist() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class StepBatches(torch.utils.data.Dataset):
    """Item ``step``: the batch of pairs this process trains on at that step, global pair indices
    (step * world + rank) * B + i; so a resumed run, or one with more DataLoader workers, sees
    exactly the pairs it would have seen."""

    def __init__(self, pairs: torch.utils.data.Dataset, batch_size: int, rank: int = 0, world: int = 1) -> None:
        self.pairs, self.batch_size, self.rank, self.world = pairs, batch_size, rank, world

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, step: int) -> TrainingPair:
        first = (step * self.world + self.rank) * self.batch_size
        return TrainingPair.collate([self.pairs[(first + i) % len(self.pairs)] for i in range(self.batch_size)])


def _one_thread(_worker: int) -> None:
    torch.set_num_threads(1)


def _as_is(batch: TrainingPair) -> TrainingPair:
    return batch


def step_batches(pairs, batch_size: int, steps: range, workers: int = 0, rank: int = 0, world: int = 1):
    """An iterator over the batches of ``steps`` (see :class:`StepBatches`), made by ``workers``
    processes (0: here), each with one thread."""
    batches = StepBatches(pairs, batch_size, rank, world)
    if workers == 0:
        return (batches[step] for step in steps)
    loader = torch.utils.data.DataLoader(
        batches, batch_size=None, sampler=steps, num_workers=workers, worker_init_fn=_one_thread, collate_fn=_as_is, prefetch_factor=2,
        multiprocessing_context="spawn",  # forked workers hung in the rasteriser's thread pool
    )  # fmt: skip
    return iter(loader)


def sample_grid(batch: TrainingPair, image: torch.Tensor, path: Path) -> None:
    """Rows of source | target body map | output | real target, as a PNG."""
    from liquidwarp.io.media import write_image

    u8 = model_to_uint8
    rows = [np.concatenate([u8(batch.source_image[i]), u8(batch.target_map[i]), u8(image[i]), u8(batch.target_image[i])], axis=1) for i in range(len(image))]
    write_image(path, np.concatenate(rows, axis=0))


def train(
    config: TrainConfig, out: Path, resume: bool = False, progress: bool = True, body=None, init: torch.nn.Module | None = None
) -> dict[str, float]:
    """Train (or continue, with ``resume``) into ``out``; returns the last logged losses. ``init``
    is ``config.run.init``'s generator when the caller has already loaded it (it is read from
    that path otherwise)."""
    from tqdm import tqdm

    from liquidwarp.body.model import BodyModel
    from liquidwarp.data.datasets import SyntheticPairs
    from liquidwarp.data.prepared import RealPairs

    rank, world = _dist()
    device = torch.device(config.run.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    out = Path(out)
    models = build_models(config, device)
    start_step = 0
    checkpoint = out / "checkpoint.pt"
    if resume and checkpoint.is_file():
        start_step = load_checkpoint(checkpoint, models, config)
    elif config.run.init:  # before any DDP wrapping
        models.generator.load_state_dict((init if init is not None else initial_generator(config)).state_dict(), strict=True)
        if models.ema is not None:
            models.ema.reset(models.generator)
    if world > 1:
        models.generator = torch.nn.parallel.DistributedDataParallel(models.generator, find_unused_parameters=False)
        models.discriminator = torch.nn.parallel.DistributedDataParallel(models.discriminator)
    if not config.data.synthetic and not config.data.real:
        raise ValueError("no training data: set data.synthetic (folders from `liquidwarp synth`) or data.real (from `liquidwarp prepare`)")
    body = body if body is not None else BodyModel()
    datasets = [
        SyntheticPairs(
            root,
            body,
            length=10**9,
            seed=config.run.seed + k,
            novel_view=config.data.novel_view,
            size=config.data.size or None,
            augmentation=config.data.augmentation,
            guess=config.generator.fill_unseen,
        )
        for k, root in enumerate(config.data.synthetic)
    ]
    offset = len(datasets)
    datasets += [
        RealPairs(root, body, length=10**9, seed=config.run.seed + offset + k, augmentation=config.data.augmentation, guess=config.generator.fill_unseen)
        for k, root in enumerate(config.data.real)
    ]
    batches = step_batches(_Interleaved(datasets), config.optim.batch_size, range(start_step, config.optim.steps), config.data.workers, rank, world)
    loss = GeneratorLoss(config.losses, PerceptualLoss().to(device))
    log = out / "log.jsonl"
    if rank == 0:
        out.mkdir(parents=True, exist_ok=True)
        check_free_space(checkpoint, checkpoint_bytes(models), "checkpoint")
        (out / "samples").mkdir(exist_ok=True)
        (out / "config.json").write_text(json.dumps(config.to_dict(), indent=2) + "\n")
        if resume:
            forget_steps_after(log, start_step)
    last: dict[str, float] = {}
    bar = tqdm(total=config.optim.steps, initial=start_step, desc="train", unit="step", disable=not progress or rank != 0)
    begun = time.perf_counter()
    for step in range(start_step, config.optim.steps):
        lr = learning_rate(config, step)
        for optimizer in (models.g_optimizer, models.d_optimizer):
            for group in optimizer.param_groups:
                group["lr"] = lr
        batch = next(batches).to(device)
        g, image = generator_step(models, batch, loss, config.run.bf16)
        d = discriminator_step(models, batch, image, config.run.bf16)
        last = {"step": step + 1, "lr": lr, **g, **d}
        bar.update(1)
        if rank == 0:
            if (step + 1) % config.run.log_every == 0 or step + 1 == config.optim.steps:
                last["seconds"] = round(time.perf_counter() - begun, 1)
                with refusals_named(log), open(log, "a") as f:
                    f.write(json.dumps(last) + "\n")
                bar.set_postfix(g=f"{g['g_total']:.3f}", d=f"{d['d_total']:.3f}")
            if (step + 1) % config.run.sample_every == 0:
                shown = image if models.ema is None else averaged_output(models.ema, batch, config.run.bf16)
                sample_grid(batch, shown, out / "samples" / f"step_{step + 1:07d}.png")
            if (step + 1) % config.run.checkpoint_every == 0 or step + 1 == config.optim.steps:
                save_checkpoint(checkpoint, models, config, step + 1)
    bar.close()
    return last


def averaged_output(ema: MovingAverage, batch: TrainingPair, bf16: bool) -> torch.Tensor:
    """The images the moving average of G makes of ``batch`` (float, no gradients)."""
    with torch.no_grad(), autocast(batch.source_image.device, bf16):
        return generate(ema.module, batch).image.float()


def checkpoint_bytes(models: Models) -> int:
    """About the size of a checkpoint of ``models``: weights, optimiser state (Adam keeps two
    moments per parameter) and the moving average of G."""
    size = 0
    for module in (models.generator, models.discriminator):
        size += sum(t.numel() * t.element_size() for t in module.state_dict().values())
        size += 2 * sum(p.numel() * p.element_size() for p in module.parameters())
    if models.ema is not None:
        size += sum(t.numel() * t.element_size() for t in models.ema.state_dict().values())
    return size


def forget_steps_after(log: Path, step: int) -> None:
    """Drop the lines of ``log`` (log.jsonl) after ``step``: a run killed after its last checkpoint
    logged steps that the resumed run takes again, and each step is to appear once."""
    if not log.is_file():
        return
    lines = log.read_text().splitlines(keepends=True)
    kept = [line for line in lines if _logged_step(line) <= step]
    if kept != lines:
        write_bytes_atomic(log, "".join(kept).encode())


def _logged_step(line: str) -> float:
    """The step of a log line; infinity for a line cut short by a kill (it is dropped)."""
    try:
        return json.loads(line)["step"] if line.endswith("\n") else float("inf")
    except (ValueError, KeyError, TypeError):
        return float("inf")


class _Interleaved(torch.utils.data.Dataset):
    """Item k of several endless pair datasets, taken in turn."""

    def __init__(self, datasets) -> None:
        self.datasets = datasets

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)

    def __getitem__(self, k: int) -> TrainingPair:
        return self.datasets[k % len(self.datasets)][k // len(self.datasets)]


