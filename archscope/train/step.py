"""One SGD training step, shared by the trainer and the training-memory measurement so
that what is measured is what is trained."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch
import torch.nn.functional as F
from torch import nn

from archscope.data.base import IGNORE_INDEX


def autocast_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on CPUs and on GPUs that support it, float16 on older GPUs."""
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16


def autocast(device: torch.device, enabled: bool) -> AbstractContextManager:
    """Mixed precision for the forward pass and loss, or nothing."""
    return torch.autocast(device.type, dtype=autocast_dtype(device)) if enabled else nullcontext()


def grad_scaler(device: torch.device, amp: bool) -> torch.amp.GradScaler | None:
    """A loss scaler where float16 needs one (CUDA without bfloat16)."""
    if amp and autocast_dtype(device) is torch.float16:
        return torch.amp.GradScaler(device.type)
    return None


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    amp: bool = False,
    scaler: torch.amp.GradScaler | None = None,
) -> torch.Tensor:
    """Forward, pixel-wise cross entropy (ignoring ``IGNORE_INDEX``), backward and an
    optimizer step; returns the detached loss.

    Gradients are zeroed in place (not freed), so they live through the whole step, and
    the logits are not kept once the loss has its log-probabilities (see
    ``archscope.memory`` for what this means for peak memory).
    """
    optimizer.zero_grad(set_to_none=False)
    with autocast(images.device, amp):
        loss = F.cross_entropy(model(images), labels, ignore_index=IGNORE_INDEX)
    if scaler is None:
        loss.backward()
        optimizer.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    return loss.detach()
