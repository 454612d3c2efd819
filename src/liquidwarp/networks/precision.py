"""Where the networks run in bf16: one decision and one context manager for training,
personalisation, inference and the speed benchmark."""

from __future__ import annotations

import contextlib

import torch


def bf16_helps(device: torch.device) -> bool:
    """Whether bf16 autocast speeds the networks up on ``device``: CUDA with bf16, or a CPU whose
    oneDNN has bf16 kernels (AVX-512 BF16 / AMX). On AVX2-only CPUs it is ~40x slower."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def autocast(device: torch.device, enabled: bool):
    """bf16 autocast on ``device`` when ``enabled``, else nothing."""
    return torch.autocast(device.type, dtype=torch.bfloat16) if enabled else contextlib.nullcontext()
