"""An exponential moving average of the generator's weights, kept beside the trained ones during
training and used for inference (Polyak averaging, as GAN trainers since Karras et al. 2018 do):
it smooths out the last steps' oscillations of the adversarial game.
"""

from __future__ import annotations

import copy

import torch


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """``module`` without its DistributedDataParallel wrapper, if it has one."""
    return module.module if isinstance(module, torch.nn.parallel.DistributedDataParallel) else module


class MovingAverage:
    """A copy of a module whose parameters follow ``average = decay * average + (1 - decay) *
    weights`` at each :meth:`update`; buffers are copied as they are. It starts as the module's
    current weights, lives on the module's device and takes no gradients.

    Under DDP every process keeps its own: the weights it averages are the same on all of them.
    """

    def __init__(self, module: torch.nn.Module, decay: float) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"a moving average's decay must be in (0, 1), got {decay!r}")
        self.decay = float(decay)
        self.module = copy.deepcopy(unwrap(module)).eval().requires_grad_(False)
        for parameter in self.module.parameters():
            parameter.grad = None

    @torch.no_grad()
    def update(self, module: torch.nn.Module) -> None:
        """Move the average toward ``module``'s weights (the module it was made from, or a copy)."""
        d = self.decay
        source = unwrap(module)
        for average, weight in zip(self.module.parameters(), source.parameters(), strict=True):
            # written out, not lerp_ or add_(alpha=): the documented formula, rounding and all
            average.copy_(d * average + (1 - d) * weight)
        for average, buffer in zip(self.module.buffers(), source.buffers(), strict=True):
            average.copy_(buffer)

    def reset(self, module: torch.nn.Module) -> None:
        """Start again from ``module``'s current weights."""
        self.module.load_state_dict(unwrap(module).state_dict(), strict=True)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state, strict=True)
