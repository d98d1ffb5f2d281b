"""Measured peak memory of one training step (the quantity ``predict`` models).

The network's torch module takes one warm-up step (so gradients and momentum buffers
exist), then one measured step of ``archscope.train.step.train_step``:

- on CPU, ``LiveTensorBytes`` (a TorchDispatchMode) sees every tensor an op returns,
  during forward, loss, backward and the optimizer step, and follows its storage until it
  is freed (a weak reference to the storage): the peak of live bytes, plus the bytes of
  what existed before the step (weights, gradients, momentum, buffers, the batch);
- on a GPU, CUDA's allocator statistics: ``max_memory_allocated`` over the step (this
  also counts kernel workspaces, e.g. cuDNN's, which the prediction leaves out);
- in both cases ``torch.autograd.graph.saved_tensors_hooks`` records every tensor saved
  for backward (each storage once, parameters left out), which checks the op
  vocabulary's ``saved()`` on its own.
"""

from __future__ import annotations

import weakref
from dataclasses import asdict, dataclass
from typing import Any, Iterable

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_map_only

from archscope.dims import as_int
from archscope.graph import Network
from archscope.torch_module import to_torch
from archscope.train.layout import set_memory_format
from archscope.train.step import train_step


class LiveTensorBytes(TorchDispatchMode):
    """Live bytes of the storages created by ops while the mode is active, and their peak.
    Storages of ``known`` tensors (that existed before) are not counted again when an
    in-place op returns them."""

    def __init__(self, known: Iterable[torch.Tensor] = ()) -> None:
        super().__init__()
        self.current = self.peak = 0
        self._refs: dict[int, weakref.ref] = {}
        self._known = {t.untyped_storage().data_ptr() for t in known}

    def _freed(self, key: int, nbytes: int) -> None:
        self._refs.pop(key, None)
        self.current -= nbytes

    def _track(self, tensor: torch.Tensor) -> None:
        storage = tensor.untyped_storage()
        key = id(storage)
        if key in self._refs or storage.data_ptr() in self._known or tensor.device.type == "meta":
            return
        nbytes = storage.nbytes()
        self._refs[key] = weakref.ref(storage, lambda _, key=key, nbytes=nbytes: self._freed(key, nbytes))
        self.current += nbytes
        self.peak = max(self.peak, self.current)

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        result = func(*args, **(kwargs or {}))
        tree_map_only(torch.Tensor, self._track, result)
        return result


def unique_bytes(tensors: Iterable[torch.Tensor]) -> int:
    """Bytes of the distinct storages behind ``tensors``."""
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}
    return sum(storages.values())


@dataclass(frozen=True)
class MeasuredMemory:
    peak_bytes: int  # the measured peak of the step (what TrainMemory.total_bytes predicts)
    before_step_bytes: int  # weights, gradients, momentum, buffers and batch at the start
    saved_bytes: int  # tensors saved for backward (saved_tensors_hooks), parameters excluded
    method: str  # "live-tensors" (CPU) or "cuda-allocator"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _state_tensors(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    tensors = [*model.parameters(), *model.buffers()]
    tensors += [p.grad for p in model.parameters() if p.grad is not None]
    tensors += [v for state in optimizer.state.values() for v in state.values() if isinstance(v, torch.Tensor)]
    return tensors


def measure_train_memory(
    network: Network, *, device: str | torch.device = "cpu", channels_last: bool = True, seed: int = 0
) -> MeasuredMemory:
    """Peak memory of a training step of ``network`` (its batch and input size; class
    labels drawn at random among its output channels)."""
    device = torch.device(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    torch.manual_seed(seed)
    model = set_memory_format(to_torch(network).to(device), channels_last=channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
    if len(network.inputs) != 1:
        raise ValueError(f"a training step is measured for one input image; {network.name} has {len(network.inputs)}")
    (name,) = network.inputs
    images = torch.randn(tuple(as_int(d) for d in network.shape(name)), device=device).contiguous(memory_format=fmt)
    out = network.output_shape
    labels = torch.randint(0, as_int(out.c), (as_int(out.n), as_int(out.h), as_int(out.w)), device=device)
    train_step(model, optimizer, images, labels)  # warm-up: gradients and momentum now exist

    known = [*_state_tensors(model, optimizer), images, labels]
    before = unique_bytes(known)
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            train_step(model, optimizer, images, labels)
            torch.cuda.synchronize(device)
            return MeasuredMemory(
                torch.cuda.max_memory_allocated(device), before, sum(saved.values()), "cuda-allocator"
            )
        with LiveTensorBytes(known) as live:
            train_step(model, optimizer, images, labels)
    return MeasuredMemory(before + live.peak, before, sum(saved.values()), "live-tensors")
