"""Ops that select or pad channels: a channel slice (split) and zero channel padding.

``Slice`` lets a network split its channels, as VNet's reversible coupling does
(X = [X1, X2]); ``ChannelPad`` is ENet's zero-padding of the max-pooled shortcut of a
downsampling bottleneck to the wider output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archscope.dims import Dim, ShapeError, is_symbolic
from archscope.ops.base import Counts, Op, OpClass, OpCost, Shape, register_op


@register_op
@dataclass(frozen=True, kw_only=True)
class Slice(Op):
    """Channels ``start`` (inclusive) to ``stop`` (exclusive) of the input, ``x[:, start:stop]``.

    A view: torch launches no kernel for it, so it costs nothing itself; its consumer
    reads the selected channels.
    """

    kind = "slice"
    start: Dim
    stop: Dim

    def label(self) -> str:
        return f"slice[{self.start}:{self.stop}]"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        if not is_symbolic(self.start, self.stop, x.c) and not 0 <= self.start < self.stop <= x.c:
            raise ShapeError(f"{self.label()}: not a non-empty channel range of a {x.c}-channel input")
        return Shape(x.n, self.stop - self.start, x.h, x.w)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:copy"

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()

    def cost(self, inputs: Sequence[Shape], output: Shape, *, elem_bytes: int = 4) -> OpCost:
        return OpCost()  # a view: no kernel, no traffic


@register_op
@dataclass(frozen=True, kw_only=True)
class ChannelPad(Op):
    """Zero channels appended to reach ``channels`` (``F.pad`` on the channel dimension):
    a copy that reads the input and writes the wider output, no arithmetic."""

    kind = "channel_pad"
    channels: Dim

    def label(self) -> str:
        return f"pad_to{self.channels}"

    def output_shape(self, inputs: Sequence[Shape]) -> Shape:
        self.check_arity(inputs)
        x = inputs[0]
        if not is_symbolic(self.channels, x.c) and self.channels < x.c:
            raise ShapeError(f"{self.label()}: cannot pad {x.c} channels down to {self.channels}")
        return Shape(x.n, self.channels, x.h, x.w)

    def op_class(self, inputs: Sequence[Shape]) -> OpClass:
        return OpClass.ELEMENTWISE

    def latency_class(self, inputs: Sequence[Shape]) -> str:
        return "elementwise:copy"

    def counts(self, inputs: Sequence[Shape], output: Shape) -> Counts:
        return Counts()
