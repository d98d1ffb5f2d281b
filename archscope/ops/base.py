"""The op vocabulary's contract: shapes, cost records and the op base class.

An op is a small frozen dataclass holding only its own configuration (kernel, stride,
output channels...). Input channels and spatial sizes come from the shapes of the
tensors it is applied to, so one op description serves every place it is used. Costs are
pure functions of those shapes, written with plain arithmetic, so the same code gives
exact ints or sympy formulas.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Literal, Mapping, NamedTuple, Sequence, TypeVar

from archscope.dims import Dim, ShapeError, is_symbolic, prod
from archscope.ops.tools import DEFAULT_RULES, Invocation, ToolRule


class Shape(NamedTuple):
    """An activation tensor's shape, NCHW."""

    n: Dim
    c: Dim
    h: Dim
    w: Dim

    @property
    def numel(self) -> Dim:
        return prod(self)

    def __str__(self) -> str:
        return f"{self.c}x{self.h}x{self.w}"


class OpClass(StrEnum):
    """Coarse op classes, used for time and cost breakdowns."""

    CONV = "conv"
    DEPTHWISE = "depthwise"
    POINTWISE = "pointwise"
    LINEAR = "linear"
    NORM_ACT = "norm/activation"
    ELEMENTWISE = "elementwise"
    POOLING = "pooling"
    RESIZE = "resize"
    INPUT = "input"


class FusionRole(StrEnum):
    """An op's part in a fused conv-bn-act kernel (profiles with ``fusion = "conv-bn-act"``)."""

    NONE = "none"  # always its own kernel
    PRODUCER = "producer"  # starts the kernel (a convolution)
    NORM = "norm"  # absorbed after the producer; an activation may still follow (BN)
    ACTIVATION = "activation"  # absorbed after the producer or the norm; ends the kernel


@dataclass(frozen=True)
class OpCost:
    """Costs of one op application.

    params:       learnable weights and biases of convolutions, linear layers and
                  activations with weights (PReLU): the papers' convention.
    norm_params:  affine parameters of normalisation layers (BN's gamma and beta), kept
                  apart because they fold into the preceding conv at inference and the
                  papers do not count them; torch counts params + norm_params.
    macs:         multiply-accumulates of convolutions and linear layers.
    vector_ops:   other arithmetic, one per element operation (BN scale-shift, ReLU,
                  adds, pooling comparisons, interpolation).
    read_bytes:   activations, weights and buffers read.
    write_bytes:  activations written.
    saved_bytes:  bytes this op keeps for its backward pass (training activation memory),
                  before de-duplication of tensors saved by several ops.
    """

    params: Dim = 0
    norm_params: Dim = 0
    macs: Dim = 0
    vector_ops: Dim = 0
    read_bytes: Dim = 0
    write_bytes: Dim = 0
    saved_bytes: Dim = 0

    def __add__(self, other: OpCost) -> OpCost:
        return OpCost(*(a + b for a, b in zip(self.values(), other.values())))

    def scaled(self, factor: Dim) -> OpCost:
        return OpCost(*(factor * v for v in self.values()))

    def values(self) -> tuple[Dim, ...]:
        return dataclasses.astuple(self)

    def as_dict(self) -> dict[str, Dim]:
        return dataclasses.asdict(self)


COST_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(OpCost))


class Counts(NamedTuple):
    """What an op computes, before traffic: see ``OpCost`` for the meaning of each field.
    ``buffers`` are non-learnable elements the op reads (BN's running statistics)."""

    params: Dim = 0
    norm_params: Dim = 0
    macs: Dim = 0
    vector_ops: Dim = 0
    buffers: Dim = 0


class Saved(NamedTuple):
    """One tensor an op keeps for backward.

    ``tensor`` is ``"input"`` (the op's ``index``-th input), ``"output"`` (its result) or
    ``"aux"`` (a tensor only this op holds, such as BN's batch statistics or max-pool
    indices). Inputs and outputs are shared with other ops and de-duplicated per network.
    """

    tensor: Literal["input", "output", "aux"]
    index: int
    nbytes: Dim


class Op(ABC):
    """Base class of every op. Subclasses are frozen, keyword-only dataclasses.

    What other parts of archscope need to know of an op kind lives here, as class
    attributes and methods, so that a new kind is its class (plus its torch builder and
    its test): its ``op_class`` (breakdowns, latency), whether it ``counts_as_layer`` in
    an imported network, its ``fusion`` role, and how each cross-check tool counts it
    (``tool_counts``).
    """

    kind: ClassVar[str]
    #: number of inputs; ``None`` for two or more (add, concat)
    arity: ClassVar[int | None] = 1
    #: a layer of depth when a network is imported (convolutions and linear layers)
    counts_as_layer: ClassVar[bool] = False
    #: its part in a fused conv-bn-act kernel
    fusion: ClassVar[FusionRole] = FusionRole.NONE
    #: tool -> how the tool counts one application (``archscope.ops.tools``); a tool
    #: missing here (and from ``DEFAULT_RULES``) does not count the op
    tool_counts: ClassVar[Mapping[str, ToolRule]] = {}

    @abstractmethod
    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        """Shape of the result; raises ``ShapeError`` for inputs the op cannot take."""

    @abstractmethod
    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        """Parameter and arithmetic counts of applying the op to ``inputs``."""

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        """Costs of applying the op to ``inputs`` (``output`` is its result's shape).

        Traffic is that of one unfused kernel: it reads its inputs, weights and buffers
        once and writes its output once.
        """
        c = self.counts(inputs, output)
        weights = c.params + c.norm_params + c.buffers
        return OpCost(
            params=c.params,
            norm_params=c.norm_params,
            macs=c.macs,
            vector_ops=c.vector_ops,
            read_bytes=(sum((s.numel for s in inputs), 0) + weights) * elem_bytes,
            write_bytes=output.numel * elem_bytes,
            saved_bytes=sum((s.nbytes for s in self.saved(inputs, output, elem_bytes=elem_bytes)), 0),
        )

    @abstractmethod
    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        """The class this op falls in, for breakdowns."""

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        """The kind of kernel the latency model times this op as: ``op_class:kind``
        (``conv:3x3``, ``norm/activation:bn``), or the op class itself. A device profile
        may give the kind its own parameters; one that does not uses its op class's."""
        return str(self.op_class(inputs))

    def saved(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> tuple[Saved, ...]:
        """Tensors kept for backward (none by default)."""
        return ()

    def label(self) -> str:
        """Short human-readable description, e.g. ``conv3x3/2``."""
        return self.kind

    def tool_count(self, tool: str, inputs: Sequence[Shape], output: Shape, call: Invocation) -> dict[str, float]:
        """What ``tool`` reports for one application called as ``call``, by operator name."""
        rule = self.tool_counts.get(tool, DEFAULT_RULES.get(tool))
        return dict(rule(self, inputs, output, call)) if rule is not None else {}

    def output_count(self) -> int:
        """Number of outputs (ports). Secondary outputs, such as a max-pool's argmax
        indices, have the node's shape; consumers pick one with ``graph.Port``."""
        return 1

    def check_arity(self, inputs: Sequence[Shape]) -> None:
        expected = self.arity
        if expected is None and len(inputs) < 2:
            raise ShapeError(f"{self.kind} needs at least two inputs, got {len(inputs)}")
        if expected is not None and len(inputs) != expected:
            raise ShapeError(f"{self.kind} takes {expected} input(s), got {len(inputs)}")


class ShapeKeeping(Op):
    """An op whose result has its first input's shape, in the element-wise class, with
    no arithmetic unless it says otherwise (copies, shuffles, dropout, arithmetic with a
    constant)."""

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return inputs[0]

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()


OPS: dict[str, type[Op]] = {}
_O = TypeVar("_O", bound=type[Op])


def register_op(cls: _O) -> _O:
    """Add an op class to the vocabulary; a kind can be registered once."""
    if cls.kind in OPS:
        raise ValueError(f"op kind {cls.kind!r} is already registered by {OPS[cls.kind].__name__}")
    OPS[cls.kind] = cls
    return cls


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair is returned as a tuple."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected an int or a pair, got {value!r}")
        return (value[0], value[1])
    return (value, value)


def check_positive(shape: Shape, what: str) -> Shape:
    """Raise if a concrete shape has a non-positive dimension."""
    for dim in shape:
        if not is_symbolic(dim) and int(dim) <= 0:
            raise ShapeError(f"{what} gives an empty output ({shape}): the input is too small")
    return shape


def window_out(size: Dim, *, kernel: int, stride: int, padding: int, dilation: int = 1, ceil_mode: bool = False) -> Dim:
    """Output length of a sliding window (conv or pool), as torch computes it.

    Symbolic sizes rely on sympy's floor: callers give sizes as multiples of a large
    power of two (see ``archscope.symbolic``) so that the floor resolves.
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = (span + stride - 1) // stride + 1
    if not is_symbolic(out) and (out - 1) * stride >= size + padding:
        out -= 1  # torch: the last window must start inside the (left-padded) input
    return out
