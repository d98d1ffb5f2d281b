"""The torch ``nn.Module`` of a network, derived from its graph.

Each op kind maps to a small builder (a table, fvcore-style) that creates the torch layer
from the op and its input shapes. ``GraphModule`` runs the layers in graph order and
frees every intermediate tensor after its last use, so inference memory matches a
hand-written module's. Modules are named ``blocks.<block>.<node>`` so per-block counts
of other tools line up with archscope's blocks.

A node that shares another node's weights (ICNet) gets no layer of its own: it calls its
owner's layer, so torch counts the parameters once, as archscope does, and fvcore and
ptflops count the MACs of every call. A node with several outputs (a max-pool with
indices) returns a tuple; each consumer takes the output its edge names.

Reversible couplings marked in the graph (``archscope.autograd.couplings``, VNet's V
modules) run, whenever autograd records, as one reversible autograd function per stack
(``archscope.autograd.reversible``) that calls the same layers: the outputs, parameters and
state dict are those of the plain module, only the memory kept for backward differs.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Callable, Sequence, TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from archscope.dims import as_int
from archscope.graph import Network
from archscope.autograd.couplings import reversible_stacks, stack_nodes
from archscope.autograd.reversible import ReversibleStack, build_stack, reversible_active
from archscope.ops import (
    Activation,
    AdaptiveAvgPool2d,
    Add,
    AvgPool2d,
    BatchNorm2d,
    Binary,
    ChannelPad,
    ChannelShuffle,
    Concat,
    Conv2d,
    ConvTranspose2d,
    Copy,
    Dropout,
    Fill,
    Input,
    Linear,
    MaxPool2d,
    MaxUnpool2d,
    Op,
    Pad,
    Reduce,
    Scalar,
    Shape,
    Slice,
    Upsample,
    View,
)
from archscope.ops.tools import Invocation

Builder = Callable[[Op, Sequence[Shape]], nn.Module]
BUILDERS: dict[type[Op], Builder] = {}
#: how the built layer calls each op (the cross-check tools count some ops by that)
CALLS: dict[type[Op], Callable[[Op], Invocation]] = {}
_B = TypeVar("_B", bound=Builder)


def builder(op_type: type[Op], call: Invocation | Callable[[Op], Invocation]) -> Callable[[_B], _B]:
    """Register the torch builder of an op type (once) and how its layer calls the op."""

    def register(fn: _B) -> _B:
        if op_type in BUILDERS:
            raise ValueError(f"a torch builder for {op_type.__name__} is already registered")
        BUILDERS[op_type] = fn
        CALLS[op_type] = call if callable(call) else (lambda op: call)
        return fn

    return register


def builder_call(op: Op) -> Invocation:
    """How archscope's own torch module calls ``op``."""
    return CALLS[type(op)](op)


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


class ChannelSlice(nn.Module):
    """``x[:, start:stop]``: a channel range (a view)."""

    def __init__(self, start: int, stop: int) -> None:
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.start : self.stop]


class PadChannels(nn.Module):
    """Zero channels appended up to a width (ENet's downsampling shortcut)."""

    def __init__(self, extra: int) -> None:
        super().__init__()
        self.extra = extra

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))


class Unpool(nn.Module):
    """Max-unpooling with a fixed output size (``nn.MaxUnpool2d`` without one cannot be
    traced by torch.jit, which fvcore uses)."""

    def __init__(self, op: MaxUnpool2d, size: tuple[int, int]) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.size = op.kernel_size, op.stride, op.padding, size

    def forward(self, x: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        return F.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size=self.size)


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


@builder(Conv2d, Invocation.module("Conv2d"))
def _conv(op: Conv2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.Conv2d(**_conv_args(op, shapes[0]))


@builder(ConvTranspose2d, Invocation.module("ConvTranspose2d"))
def _deconv(op: ConvTranspose2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.ConvTranspose2d(**_conv_args(op, shapes[0]), output_padding=op.output_padding)


@builder(Linear, Invocation.module("Linear"))
def _linear(op: Linear, shapes: Sequence[Shape]) -> nn.Module:
    x = shapes[0]
    if op.last_dim:
        return nn.Linear(as_int(x.w), as_int(op.out_features), bias=op.bias)
    return FlattenLinear(as_int(x.c * x.h * x.w), as_int(op.out_features), op.bias)


@builder(BatchNorm2d, Invocation.module("BatchNorm2d"))
def _bn(op: BatchNorm2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.BatchNorm2d(as_int(shapes[0].c), eps=op.eps, momentum=op.momentum, affine=op.affine)


_ACTIVATIONS: dict[str, Callable[[int], nn.Module]] = {
    "relu": lambda c: nn.ReLU(),
    "relu6": lambda c: nn.ReLU6(),
    "hardtanh": lambda c: nn.Hardtanh(),
    "prelu": lambda c: nn.PReLU(c),
    "leaky_relu": lambda c: nn.LeakyReLU(),
    "elu": lambda c: nn.ELU(),
    "sigmoid": lambda c: nn.Sigmoid(),
    "tanh": lambda c: nn.Tanh(),
    "silu": lambda c: nn.SiLU(),
    "gelu": lambda c: nn.GELU(),
    "hardswish": lambda c: nn.Hardswish(),
    "hardsigmoid": lambda c: nn.Hardsigmoid(),
    "softmax": lambda c: nn.Softmax(dim=1),
    "log_softmax": lambda c: nn.LogSoftmax(dim=1),
}


@builder(Activation, lambda op: Invocation.module(type(_ACTIVATIONS[op.function](1)).__name__))
def _activation(op: Activation, shapes: Sequence[Shape]) -> nn.Module:
    slopes = as_int(op.slopes) if op.slopes is not None else as_int(shapes[0].c)
    return _ACTIVATIONS[op.function](slopes)


@builder(MaxPool2d, Invocation.module("MaxPool2d"))
def _maxpool(op: MaxPool2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.MaxPool2d(op.kernel_size, op.stride, op.padding, ceil_mode=op.ceil_mode, return_indices=op.return_indices)


@builder(MaxUnpool2d, Invocation("function", "max_unpool2d"))
def _unpool(op: MaxUnpool2d, shapes: Sequence[Shape]) -> nn.Module:
    out = op.output_shape(shapes)
    return Unpool(op, (as_int(out.h), as_int(out.w)))


@builder(Slice, Invocation("operator", "getitem"))
def _slice(op: Slice, shapes: Sequence[Shape]) -> nn.Module:
    return ChannelSlice(as_int(op.start), as_int(op.stop))


@builder(ChannelPad, Invocation("function", "pad"))
def _channel_pad(op: ChannelPad, shapes: Sequence[Shape]) -> nn.Module:
    return PadChannels(as_int(op.channels - shapes[0].c))


@builder(Dropout, lambda op: Invocation.module("Dropout2d" if op.channelwise else "Dropout"))
def _dropout(op: Dropout, shapes: Sequence[Shape]) -> nn.Module:
    return nn.Dropout2d(op.p) if op.channelwise else nn.Dropout(op.p)


@builder(AvgPool2d, Invocation.module("AvgPool2d"))
def _avgpool(op: AvgPool2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.AvgPool2d(op.kernel_size, op.stride, op.padding, ceil_mode=op.ceil_mode)


@builder(AdaptiveAvgPool2d, Invocation.module("AdaptiveAvgPool2d"))
def _adaptive_avgpool(op: AdaptiveAvgPool2d, shapes: Sequence[Shape]) -> nn.Module:
    return nn.AdaptiveAvgPool2d(op.output_size)


@builder(Upsample, Invocation.module("Upsample"))
def _upsample(op: Upsample, shapes: Sequence[Shape]) -> nn.Module:
    align = op.align_corners if op.mode == "bilinear" else None
    if op.size is not None:
        return nn.Upsample(size=tuple(as_int(s) for s in op.size), mode=op.mode, align_corners=align)
    return nn.Upsample(scale_factor=op.scale_factor, mode=op.mode, align_corners=align)


@builder(Add, Invocation("operator", "add"))
def _add(op: Add, shapes: Sequence[Shape]) -> nn.Module:
    return AddN()


@builder(Concat, Invocation("torch", "cat"))
def _concat(op: Concat, shapes: Sequence[Shape]) -> nn.Module:
    return Cat()


@builder(ChannelShuffle, Invocation.module("ChannelShuffle"))
def _shuffle(op: ChannelShuffle, shapes: Sequence[Shape]) -> nn.Module:
    return nn.ChannelShuffle(as_int(op.groups))


def module_key(network: Network, node: str) -> tuple[str, str]:
    """(block, key) under which a node's layer lives: ``blocks[block][key]``; a name that
    is an attribute of ``nn.Module`` (a node called ``half`` or ``train``) gets an ``op_``
    prefix."""
    block = network.block(node)
    local = node[len(block) + 1 :] if node.startswith(block + ".") else node
    return _free(block), _free(local.replace(".", "__"))


def _free(name: str) -> str:
    return f"op_{name}" if hasattr(nn.ModuleDict, name) else name


#: one step of a GraphModule: node, its layer's (block, key), its inputs as (node, output
#: index or None for a single-output node), the values it is the last user of
Step = tuple[str, str, str, list[tuple[str, int | None]], list[str]]


class GraphModule(nn.Module):
    """Runs a network's graph with one torch layer per op node (shared-weight nodes call
    their owner's layer)."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        if network.folded:
            raise ValueError("a network with symbolic repeats has no torch module; give concrete depths")
        self.network_name = network.name
        self.blocks = nn.ModuleDict()
        self._inputs = list(network.inputs)
        self._outputs = list(network.outputs)
        self._plan: list[Step] = []
        last_use = {src: node for node in network.nodes() for src in network.sources(node)}
        for node in network.nodes():
            op = network.op(node)
            if isinstance(op, Input):
                continue
            block, key = module_key(network, network.shares(node) or node)
            if network.shares(node) is None:
                if block not in self.blocks:
                    self.blocks[block] = nn.ModuleDict()
                self.blocks[block][key] = _build(op, network.input_shapes(node))
            sources = [
                (port.node, port.index if network.op(port.node).output_count() > 1 else None)
                for port in network.ports(node)
            ]
            used = dict.fromkeys(network.sources(node))
            release = [s for s in used if last_use.get(s) == node and s not in self._outputs]
            self._plan.append((node, block, key, sources, release))
        self._stacks = self._reversible_stacks(network)

    def _reversible_stacks(self, network: Network) -> dict[str, tuple[ReversibleStack, int, list[str]]]:
        """First node of each stack -> (the stack, its number of plan steps, the values
        to release after it)."""
        layer_of = {node: module_key(network, network.shares(node) or node) for node in network.nodes()}
        order = {step[0]: i for i, step in enumerate(self._plan)}
        stacks = {}
        for stack in reversible_stacks(network):
            nodes = stack_nodes(network, stack)
            first = order[nodes[0]]
            if [order[n] for n in nodes] != list(range(first, first + len(nodes))):
                raise ValueError(f"the reversible stack ending at {stack.output} is not contiguous in graph order")
            inner = set(nodes)
            release = [v for step in self._plan[first : first + len(nodes)] for v in step[4] if v not in inner]
            stacks[nodes[0]] = (build_stack(network, stack, layer_of), len(nodes), release)
        return stacks

    def forward(self, x: torch.Tensor, *more: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        return self.run((x, *more))

    def run(
        self, inputs: Sequence[torch.Tensor], clock: Callable[[], float] | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """The forward pass; with a ``clock``, each op's elapsed time by node name is
        left in ``self.op_seconds`` (latency calibration times ops where they run)."""
        values = dict(zip(self._inputs, inputs))
        if clock is not None:
            self.op_seconds: dict[str, float] = {}
        stacks = self._stacks if self._stacks and reversible_active() else {}
        # the layers' dicts read directly, not through ModuleDict lookups: this loop's own
        # time per op is framework overhead every timing of the network includes
        layers = {block: blocks._modules for block, blocks in self.blocks._modules.items()}
        index = 0
        while index < len(self._plan):
            node, block, key, sources, release = self._plan[index]
            start = clock() if clock is not None else 0.0
            if node in stacks:
                stack, length, release = stacks[node]
                node = stack.output
                values[node] = stack(values[stack.input], self.blocks)
            else:
                length = 1
                args = [values[s] if port is None else values[s][port] for s, port in sources]
                values[node] = layers[block][key](*args)
            if clock is not None:
                self.op_seconds[node] = clock() - start
            for name in release:
                del values[name]
            index += length
        outputs = tuple(values[name] for name in self._outputs)
        return outputs[0] if len(outputs) == 1 else outputs


def _build(op: Op, shapes: Sequence[Shape]) -> nn.Module:
    try:
        make = BUILDERS[type(op)]
    except KeyError:
        raise ValueError(f"{op.label()} has no torch layer: a network with it cannot become a module") from None
    return make(op, shapes)


def to_torch(network: Network) -> GraphModule:
    """The torch module that computes ``network`` (fresh weights, default init)."""
    return GraphModule(network)


def example_inputs(network: Network, *, device: str | torch.device = "cpu") -> tuple[torch.Tensor, ...]:
    """Random input tensors of the network's input shapes."""
    return tuple(
        torch.randn(tuple(as_int(d) for d in network.shape(name)), device=device) for name in network.inputs
    )


class BinaryOp(nn.Module):
    """``a <operation> b`` with broadcasting (written as an operator, as in user code)."""

    _FUNCTIONS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
                  "maximum": torch.maximum, "minimum": torch.minimum}

    def __init__(self, operation: str) -> None:
        super().__init__()
        self.operation = operation

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return self._FUNCTIONS[self.operation](a, b)


class ScalarOp(nn.Module):
    """``x <operation> value`` with a constant."""

    def __init__(self, operation: str, value: float) -> None:
        super().__init__()
        self.operation, self.value = operation, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = self.value
        return {"add": lambda: x + v, "sub": lambda: x - v, "rsub": lambda: v - x, "mul": lambda: x * v,
                "div": lambda: x / v, "rdiv": lambda: v / x, "pow": lambda: x ** v}[self.operation]()


class CopyOp(nn.Module):
    """A copy of the input (one kernel that reads and writes every element)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone(memory_format=torch.contiguous_format)


class ViewOp(nn.Module):
    """The input's first elements seen with another shape (no copy)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1)[: math.prod(self.shape)].view(self.shape)


class PadOp(nn.Module):
    """Constant padding of width, height and channels."""

    def __init__(self, pads: tuple[int, ...], value: float) -> None:
        super().__init__()
        self.pads, self.value = pads, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, self.pads, value=self.value)


class FillOp(nn.Module):
    """A tensor of a fixed shape, created in forward."""

    def __init__(self, shape: tuple[int, ...], value: float) -> None:
        super().__init__()
        self.shape, self.value = shape, value

    def forward(self) -> torch.Tensor:
        return torch.full(self.shape, self.value)


@builder(Binary, lambda op: Invocation("operator", op.operation))
def _binary(op: Binary, shapes: Sequence[Shape]) -> nn.Module:
    return BinaryOp(op.operation)


@builder(Scalar, lambda op: Invocation("operator", op.operation))
def _scalar(op: Scalar, shapes: Sequence[Shape]) -> nn.Module:
    return ScalarOp(op.operation, op.value)


@builder(Copy, Invocation("method", "clone"))
def _copy(op: Copy, shapes: Sequence[Shape]) -> nn.Module:
    return CopyOp()


@builder(View, Invocation("method", "view"))
def _view(op: View, shapes: Sequence[Shape]) -> nn.Module:
    return ViewOp(tuple(as_int(d) for d in op.shape))


@builder(Pad, Invocation("function", "pad"))
def _pad(op: Pad, shapes: Sequence[Shape]) -> nn.Module:
    return PadOp(op.pads, op.value)


class ReduceOp(nn.Module):
    """A sum, mean, max or min over the dimensions the output shape makes 1."""

    def __init__(self, operation: str, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.operation, self.shape = operation, shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dims = [i for i, (a, b) in enumerate(zip(x.shape, self.shape)) if b == 1 and a != 1]
        return getattr(torch, self.operation)(x, dim=dims, keepdim=True).reshape(self.shape)


@builder(Reduce, lambda op: Invocation("torch", op.operation))
def _reduce(op: Reduce, shapes: Sequence[Shape]) -> nn.Module:
    return ReduceOp(op.operation, tuple(as_int(d) for d in op.shape))


@builder(Fill, Invocation("torch", "full"))
def _fill(op: Fill, shapes: Sequence[Shape]) -> nn.Module:
    return FillOp(tuple(as_int(d) for d in op.shape), op.value)
