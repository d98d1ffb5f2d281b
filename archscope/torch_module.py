"""The torch ``nn.Module`` of a network, derived from its graph.

Each op kind maps to a small builder (a table, fvcore-style) that creates the torch layer
from the op and its input shapes. ``GraphModule`` runs the layers in graph order and
frees every intermediate tensor after its last use, so inference memory matches a
hand-written module's. Modules are named ``blocks.<block>.<node>`` so per-block counts
of other tools line up with archscope's blocks.
"""

from __future__ import annotations

import functools
import operator
from typing import Callable, Sequence, TypeVar

import torch
from torch import nn

from archscope.dims import as_int
from archscope.graph import Network
from archscope.ops import (
    Activation,
    AdaptiveAvgPool2d,
    Add,
    AvgPool2d,
    BatchNorm2d,
    ChannelShuffle,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Input,
    Linear,
    MaxPool2d,
    Op,
    Shape,
    Upsample,
)

Builder = Callable[[Op, Sequence[Shape]], nn.Module]
BUILDERS: dict[type[Op], Builder] = {}
_B = TypeVar("_B", bound=Builder)


def builder(op_type: type[Op]) -> Callable[[_B], _B]:
    """Register the torch builder of an op type (once)."""

    def register(fn: _B) -> _B:
        if op_type in BUILDERS:
            raise ValueError(f"a torch builder for {op_type.__name__} is already registered")
        BUILDERS[op_type] = fn
        return fn

    return register


class AddN(nn.Module):
    """Sum of its inputs (written with ``+``, as residual adds usually are)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return functools.reduce(operator.add, xs)


class Cat(nn.Module):
    """Concatenation along channels."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=1)


class FlattenLinear(nn.Module):
    """Linear layer on flattened features, returning N×out×1×1 like archscope's op."""

    def __init__(self, in_features: int, out_features: int, bias: bool) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x.flatten(1))[:, :, None, None]


def _conv_args(op: Conv2d | ConvTranspose2d, x: Shape) -> dict:
    return dict(
        in_channels=as_int(x.c),
        out_channels=as_int(op.out_channels),
        kernel_size=op.kernel_size,
        stride=op.stride,
        padding=op.padding,
        dilation=op.dilation,
        groups=as_int(op.groups),
        bias=op.bias,
    )


@builder(Conv2d)
def _conv(op: Conv2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.Conv2d(**_conv_args(op, shapes[0]))


@builder(ConvTranspose2d)
def _deconv(op: ConvTranspose2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.ConvTranspose2d(**_conv_args(op, shapes[0]), output_padding=op.output_padding)


@builder(Linear)
def _linear(op: Linear, shapes: Sequence[Shape]) -> nn.Module:
    x = shapes[0]
    return FlattenLinear(as_int(x.c * x.h * x.w), as_int(op.out_features), op.bias)


@builder(BatchNorm2d)
def _bn(op: BatchNorm2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.BatchNorm2d(as_int(shapes[0].c), eps=op.eps, momentum=op.momentum)


_ACTIVATIONS: dict[str, Callable[[int], nn.Module]] = {
    "relu": lambda c: nn.ReLU(),
    "relu6": lambda c: nn.ReLU6(),
    "prelu": lambda c: nn.PReLU(c),
    "sigmoid": lambda c: nn.Sigmoid(),
    "silu": lambda c: nn.SiLU(),
}


@builder(Activation)
def _activation(op: Activation, shapes: Sequence[Shape]) -> nn.Module:
    return _ACTIVATIONS[op.function](as_int(shapes[0].c))


@builder(MaxPool2d)
def _maxpool(op: MaxPool2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.MaxPool2d(op.kernel_size, op.stride, op.padding, ceil_mode=op.ceil_mode)


@builder(AvgPool2d)
def _avgpool(op: AvgPool2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.AvgPool2d(op.kernel_size, op.stride, op.padding, ceil_mode=op.ceil_mode)


@builder(AdaptiveAvgPool2d)
def _adaptive_avgpool(op: AdaptiveAvgPool2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.AdaptiveAvgPool2d(op.output_size)


@builder(Upsample)
def _upsample(op: Upsample, shapes: Sequence[Shape]) -> nn.Module:
    align = op.align_corners if op.mode == "bilinear" else None
    if op.size is not None:
        return nn.Upsample(size=tuple(as_int(s) for s in op.size), mode=op.mode, align_corners=align)
    return nn.Upsample(scale_factor=op.scale_factor, mode=op.mode, align_corners=align)


@builder(Add)
def _add(op: Add, shapes: Sequence[Shape]) -> nn.Module:
    return AddN()


@builder(Concat)
def _concat(op: Concat, shapes: Sequence[Shape]) -> nn.Module:
    return Cat()


@builder(ChannelShuffle)
def _shuffle(op: ChannelShuffle, shapes: Sequence[Shape]) -> nn.Module:
    return nn.ChannelShuffle(as_int(op.groups))


def module_key(network: Network, node: str) -> tuple[str, str]:
    """(block, key) under which a node's layer lives: ``blocks[block][key]``."""
    block = network.block(node)
    local = node[len(block) + 1 :] if node.startswith(block + ".") else node
    return block, local.replace(".", "__")


class GraphModule(nn.Module):
    """Runs a network's graph with one torch layer per op node."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        if network.folded:
            raise ValueError("a network with symbolic repeats has no torch module; give concrete depths")
        self.network_name = network.name
        self.blocks = nn.ModuleDict()
        self._inputs = list(network.inputs)
        self._outputs = list(network.outputs)
        self._plan: list[tuple[str, str, str, list[str], list[str]]] = []
        last_use = {src: node for node in network.nodes() for src in network.sources(node)}
        for node in network.nodes():
            op = network.op(node)
            if isinstance(op, Input):
                continue
            block, key = module_key(network, node)
            if block not in self.blocks:
                self.blocks[block] = nn.ModuleDict()
            self.blocks[block][key] = BUILDERS[type(op)](op, network.input_shapes(node))
            sources = network.sources(node)
            release = [s for s in dict.fromkeys(sources) if last_use.get(s) == node and s not in self._outputs]
            self._plan.append((node, block, key, sources, release))

    def forward(self, x: torch.Tensor, *more: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        values = dict(zip(self._inputs, (x, *more)))
        for node, block, key, sources, release in self._plan:
            values[node] = self.blocks[block][key](*(values[s] for s in sources))
            for name in release:
                del values[name]
        outputs = tuple(values[name] for name in self._outputs)
        return outputs[0] if len(outputs) == 1 else outputs


def to_torch(network: Network) -> GraphModule:
    """The torch module that computes ``network`` (fresh weights, default init)."""
    return GraphModule(network)


def example_inputs(network: Network, *, device: str | torch.device = "cpu") -> tuple[torch.Tensor, ...]:
    """Random input tensors of the network's input shapes."""
    return tuple(
        torch.randn(tuple(as_int(d) for d in network.shape(name)), device=device) for name in network.inputs
    )
