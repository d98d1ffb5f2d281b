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
  for backward during the forward pass and the loss (each storage once, parameters left
  out), which checks the op vocabulary's ``saved()`` on its own. Tensors a reversible
  stack saves while it recomputes a coupling in backward live only for that coupling's
  backward and are not counted there (they are in the live-tensor peak).

``forward_saved_bytes`` measures the same saved bytes for one forward pass of any module.
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


class SavedTensors:
    """Distinct storages autograd saves while recording is on (parameters excluded): a
    ``saved_tensors_hooks`` pack hook. Storages are keyed by address, which is unique
    while they are alive, as everything saved and not yet used by backward is."""

    def __init__(self, parameters: Iterable[torch.Tensor] = ()) -> None:
        self.recording = True
        self.storages: dict[int, int] = {}
        self._params = {p.untyped_storage().data_ptr() for p in parameters}

    @property
    def nbytes(self) -> int:
        return sum(self.storages.values())

    def pack(self, tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if self.recording and storage.data_ptr() not in self._params:
            self.storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    def hooks(self) -> torch.autograd.graph.saved_tensors_hooks:
        return torch.autograd.graph.saved_tensors_hooks(self.pack, lambda tensor: tensor)


def forward_saved_bytes(module: torch.nn.Module, *inputs: torch.Tensor) -> int:
    """Bytes ``module(*inputs)`` saves for backward (each storage once, parameters and
    buffers left out), with the autograd graph alive."""
    saved = SavedTensors([*module.parameters(), *module.buffers()])
    with saved.hooks():
        output = module(*inputs)
    del output
    return saved.nbytes


def _stop_at_backward(saved: SavedTensors) -> Any:
    """A forward hook on the model: recording stops when backward reaches its output."""

    def hook(module: torch.nn.Module, args: Any, output: Any) -> None:
        def stop(grad: torch.Tensor) -> None:
            saved.recording = False

        for tensor in output if isinstance(output, tuple) else (output,):
            if isinstance(tensor, torch.Tensor) and tensor.requires_grad:
                tensor.register_hook(stop)

    return hook


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
    saved = SavedTensors(model.parameters())
    handle = model.register_forward_hook(_stop_at_backward(saved))
    try:
        with saved.hooks():
            if device.type == "cuda":
                torch.cuda.synchronize(device)
                torch.cuda.reset_peak_memory_stats(device)
                train_step(model, optimizer, images, labels)
                torch.cuda.synchronize(device)
                return MeasuredMemory(torch.cuda.max_memory_allocated(device), before, saved.nbytes, "cuda-allocator")
            with LiveTensorBytes(known) as live:
                train_step(model, optimizer, images, labels)
    finally:
        handle.remove()
    return MeasuredMemory(before + live.peak, before, saved.nbytes, "live-tensors")
