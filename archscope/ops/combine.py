"""Graph inputs and ops that combine or rearrange tensors: add, concat, channel shuffle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archscope.dims import Dim, ShapeError, exact_div, is_symbolic
from archscope.ops.base import Counts, Op, OpClass, OpCost, Shape, ShapeKeeping, register_op


@register_op
@dataclass(frozen=True, kw_only=True)
class Input(Op):
    """A network input of a given shape; costs nothing."""

    kind = "input"
    arity = 0
    shape: Shape

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        return self.shape

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.INPUT

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        return OpCost()  # the input already exists: no traffic


def _same_shapes(kind: str, inputs: Sequence[Shape], *, skip_channels: bool = False) -> None:
    first = inputs[0]
    for other in inputs[1:]:
        pairs = list(zip(first, other))
        if skip_channels:
            pairs.pop(1)
        for a, b in pairs:
            if not is_symbolic(a, b) and a != b:
                raise ShapeError(f"{kind}: input shapes {first} and {other} do not match")


@register_op
@dataclass(frozen=True, kw_only=True)
class Add(Op):
    """Element-wise sum of two or more tensors of one shape (residual connections)."""

    kind = "add"
    arity = None

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        _same_shapes(self.kind, inputs)
        return inputs[0]

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:add"

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts(vector_ops=(len(inputs) - 1) * output.numel)


@register_op
@dataclass(frozen=True, kw_only=True)
class Concat(Op):
    """Concatenation along channels: a pure copy."""

    kind = "concat"
    arity = None

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        _same_shapes(self.kind, inputs, skip_channels=True)
        channels: Dim = sum((s.c for s in inputs), 0)
        first = inputs[0]
        return Shape(first.n, channels, first.h, first.w)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:concat"

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()


@register_op
@dataclass(frozen=True, kw_only=True)
class ChannelShuffle(ShapeKeeping):
    """ShuffleNet's channel shuffle: a permutation of channels across ``groups``."""

    kind = "channel_shuffle"
    groups: Dim

    def label(self) -> str:
        return f"shuffle g{self.groups}"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        exact_div(inputs[0].c, self.groups, what="channel_shuffle channels")
        return super().output_shape(inputs)

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:copy"
