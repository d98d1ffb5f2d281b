"""Multi-process training under ``torchrun`` (DistributedDataParallel).

``torchrun`` sets RANK, WORLD_SIZE and LOCAL_RANK; with WORLD_SIZE > 1 the process group
uses NCCL on GPUs and gloo on CPUs. Each process trains on its own ``--batch`` images per
step (positions of the shared training stream, ``archscope.data.stream``), gradients are
averaged by DDP, evaluation shards the validation images and sums the confusion matrices,
and only rank 0 writes metrics and checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup() -> Distributed:
    """The process's place in a torchrun job (a single process without torchrun)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return Distributed(rank=rank, world=world, local_rank=local_rank, device=device)


def teardown(context: Distributed) -> None:
    if context.active and dist.is_initialized():
        dist.destroy_process_group()


def all_sum(context: Distributed, tensor: torch.Tensor) -> torch.Tensor:
    """The element-wise sum over processes (in place; the tensor itself without DDP)."""
    if context.active:
        moved = tensor.to(context.device)
        dist.all_reduce(moved)
        tensor.copy_(moved.to(tensor.device))
    return tensor


def parameters_in_sync(context: Distributed, model: nn.Module) -> bool:
    """Whether every process holds exactly rank 0's parameters."""
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).to(context.device)
    if not context.active:
        return True
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    mismatches = torch.tensor([int(not torch.equal(flat, reference))])
    return int(all_sum(context, mismatches)[0]) == 0


def wrap(context: Distributed, model: nn.Module) -> nn.Module:
    """The module the steps run: DDP around ``model`` in a multi-process job."""
    if not context.active:
        return model
    device_ids = [context.local_rank] if context.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)
